"""The dashboard's style sheet (inlined in the page: no asset files, no web fonts)."""

from __future__ import annotations

__all__ = ["CSS"]

CSS = """
:root {
  --ink: #1d2733; --muted: #5b6673; --line: #dde3ea; --bg: #f4f6f9; --card: #ffffff;
  --blue: #0b5cad; --blue-dark: #084a8c; --red: #b3261e; --green: #1e7b45;
  --font: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 var(--font); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  background: #eef1f5; padding: 0 4px; border-radius: 3px; }
h2 { font-size: 19px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.top { background: #12263f; color: #fff; padding: 10px 24px 0; }
.brand { font-weight: 700; font-size: 18px; margin-right: 12px; letter-spacing: .2px; }
.tagline { color: #b9c7d8; font-size: 13px; }
.tabs { margin-top: 8px; border: none !important; }
.tabs .tab { background: transparent !important; color: #d7e1ec !important; border: none !important;
  border-bottom: 3px solid transparent !important; padding: 8px 16px !important; font-weight: 600; }
.tabs .tab--selected { color: #fff !important; border-bottom: 3px solid #6fb1ff !important; }
main { padding: 18px 24px 40px; }
.columns { display: flex; gap: 18px; align-items: flex-start; }
.controls { flex: 0 0 410px; max-width: 410px; }
.main { flex: 1 1 auto; min-width: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 18px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.help { color: var(--muted); font-size: 12.5px; margin: 3px 0 8px; }
.small { color: var(--muted); font-size: 12px; }
.note { color: var(--muted); }
.field { margin: 8px 0; }
.field label { display: block; font-weight: 600; font-size: 13px; margin-bottom: 3px; }
.pair { display: flex; gap: 12px; }
.pair .field { flex: 1; }
input[type=number], input[type=text] { width: 100%; padding: 6px 8px; border: 1px solid #c7ced6;
  border-radius: 5px; font: inherit; }
.ranges .dash-input-container { width: 62px; min-width: 62px; }
.ranges .dash-input-stepper { display: none; }
.ranges input { padding: 4px 6px; }
.choice .dash-input-container.narrow { width: 180px; }
.upload { border: 2px dashed #aeb9c6; border-radius: 8px; padding: 14px; text-align: center;
  margin: 10px 0 2px; cursor: pointer; background: #fafbfd; color: var(--muted); }
.upload:hover { border-color: var(--blue); color: var(--ink); }
.upload a { color: var(--blue); text-decoration: underline; }
.checklist { font-size: 13px; }
.checklist .dash-options-list-option { display: flex; gap: 6px; align-items: flex-start;
  margin: 5px 0; }
.tag { font-size: 11px; color: #7a4b00; background: #fbefc9; border-radius: 3px; padding: 0 4px;
  margin-left: 4px; }
button { font: inherit; border-radius: 6px; padding: 7px 14px; cursor: pointer; border: 1px solid
  transparent; }
button.primary { background: var(--blue); color: #fff; font-weight: 600; min-width: 120px; }
button.primary:hover { background: var(--blue-dark); }
button.secondary { background: #fff; border-color: #b8c2cd; color: var(--ink); }
button.secondary:hover { border-color: var(--blue); }
button.danger { background: #fff; border-color: #e3b3ae; color: var(--red); }
button.link { background: none; color: var(--blue); padding: 4px 0; }
button:disabled { opacity: .45; cursor: default; }
.small-button { padding: 3px 10px; font-size: 12.5px; margin-right: 6px; }
.row-buttons { display: flex; gap: 10px; margin: 14px 0 6px; flex-wrap: wrap; }
.progress-box progress { width: 100%; height: 12px; }
.problems { border: 1px solid #efc2bd; background: #fdf1ef; border-radius: 6px; padding: 10px 12px;
  margin: 8px 0; }
.problems-title { font-weight: 700; color: var(--red); margin-bottom: 4px; }
.problems ul { margin: 0; padding-left: 18px; }
.problems li { margin: 4px 0; }
.problems .where { font-weight: 600; }
.problems .message { color: #5a1f1a; }
.ok { border: 1px solid #b8dcc5; background: #eef8f1; border-radius: 6px; padding: 8px 12px;
  margin: 8px 0; color: #174d2c; }
.about { margin: 4px 0 6px; }
details { margin: 12px 0; }
summary { cursor: pointer; font-weight: 600; }
.table { border-collapse: collapse; width: 100%; margin-top: 8px; }
.table th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600;
  border-bottom: 1px solid var(--line); padding: 6px 8px; }
.table td { border-bottom: 1px solid #eef1f5; padding: 6px 8px; vertical-align: top; }
.table .num { text-align: right; white-space: nowrap; }
.table code, .table .actions, .table .when { white-space: nowrap; }
.table.ranges td, .table.ranges th { padding: 4px 3px; }
.badge { display: inline-block; white-space: nowrap; border-radius: 10px; padding: 1px 8px; font-size: 12px; }
.badge.supported { background: #d7eedd; color: #174d2c; }
.badge.rejected { background: #f6d3cf; color: #7a1d14; }
.badge.neutral { background: #eceff3; color: #46505a; }
.headline .big, .big { font-size: 17px; margin: 8px 0; }
.ci { color: var(--muted); font-size: 13px; }
.caveat { color: var(--muted); font-size: 12px; margin-top: 6px; }
.title-row { display: flex; justify-content: space-between; align-items: center; }
fieldset.actor { border: 1px solid var(--line); border-radius: 8px; margin: 10px 0; padding: 6px 12px 8px; }
fieldset.actor legend { font-weight: 700; padding: 0 6px; font-size: 13.5px; }
.choice { padding: 7px 0; border-bottom: 1px solid #f0f2f5; }
.choice:last-child { border-bottom: none; }
.choice-label { font-weight: 600; font-size: 13px; }
.radio label { margin-right: 12px; font-size: 13px; white-space: nowrap; }
.radio input { margin-right: 4px; }
.consult { display: flex; align-items: center; gap: 4px; flex-wrap: wrap; }
.turn-header { margin: 14px 0 4px; font-size: 15px; }
.log li { margin: 4px 0; }
"""
