"""Print the tables of docs/library.md from the built-in library's files.

    .venv/bin/python scripts/library_tables.py us-rok-2025      # one seed scenario's tables
    .venv/bin/python scripts/library_tables.py --modules         # the dilemma and account modules

The tables are read from the TOML files as written (a scenario's own entries; each module's),
so that the page says what the files say. Paste the output into docs/library.md.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "alliancesim" / "scenario" / "library"
SEEDS = {"000_ea92047b3d6a092b.txt": "000", "001_00561143f748d279.txt": "001",
         "003_0c1f547c9cb3c5fa.txt": "003"}  # fmt: skip
MODULES = [
    "dilemma",
    "consultation-costs",
    "consult-reassure",
    "consult-costly-signal",
    "troops-symbol",
    "troops-tool",
    "nuclear-retrenchment",
    "nuclear-threat",
    "nuclear-backfire",
    "nuclear-assurance",
    "burden-backfire",
    "burden-leverage",
    "engage-wedge",
    "engage-coordinated",
    "align-hedge",
    "align-balance",
    "japan-shared-fear",
    "japan-history",
]


def load(name: str) -> dict[str, Any]:
    return tomllib.loads((LIBRARY / f"{name}.toml").read_text(encoding="utf-8"))


def num(value: Any) -> str:
    if isinstance(value, dict):
        if "mean" in value:
            return f"N({value['mean']:g}, {value['sd']:g})"
        if "mode" in value:
            return f"{value['low']:g}–{value['high']:g} (mode {value['mode']:g})"
        return f"{value['low']:g}–{value['high']:g}"
    if isinstance(value, float | int):
        return f"{value:g}"
    return str(value)


def src(source: Any) -> str:
    if source is None:
        return "–"
    if isinstance(source, dict):
        return f"{SEEDS.get(source['seed'], source['seed'])}: “{source['quote']}”"
    return str(source)


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(head: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def rules_table(rules: list[dict[str, Any]], *, account: bool = False) -> str:
    head = ["id", "P", "target ← driver (× gate)", "encodes", "weight", "source"]
    if account:
        head.insert(2, "account")
    rows = []
    for r in rules:
        gate = f" × {r['gate']}" if r.get("gate") else ""
        fades = f", fades {num(r['fades'])}" if "fades" in r else ""
        row = [
            r["id"],
            r.get("proposition", "–"),
            f"{r['target']} ← {r['driver']}{gate}",
            r.get("label", ""),
            num(r["weight"]) + fades,
            src(r.get("source")),
        ]
        if account:
            row.insert(2, r.get("account", "–"))
        rows.append(row)
    return table(head, rows)


def params_table(items: list[dict[str, Any]], prefix: str) -> str:
    return table(
        ["name", "meaning", "value", "source"],
        [
            [f"{prefix}.{p['id']}", p.get("label", ""), num(p["value"]),
             src(p.get("sources", {}).get("value", p.get("source")))]  # fmt: skip
            for p in items
        ],
    )


def scenario_tables(ident: str) -> str:
    s = load(ident)
    parts = []
    parts.append("#### Actors\n\n" + table(
        ["id", "who", "kind", "capability", "source"],
        [[a["id"], a["name"], a.get("kind", "state") + (f" of {a['parent']}" if "parent" in a else ""),
          num(a["capability"]), src(a.get("source"))] for a in s["actors"]],
    ))  # fmt: skip
    rows = []
    for issue in s.get("issues", []):
        stances = "; ".join(
            f"{actor} {num(p['position'])} (s {num(p['salience'])})"
            for actor, p in issue["positions"].items()
        )
        rows.append([issue["id"], f"0 = {issue['ends'][0]}; 100 = {issue['ends'][1]}",
                     issue.get("model", "compromise"), num(issue["status_quo"]),
                     num(issue.get("relaxation", 0)), stances, src(issue.get("source"))])  # fmt: skip
    parts.append("#### Issues (0–100)\n\n" + table(
        ["id", "scale", "model", "status quo", "relaxation", "positions (salience)", "source"], rows))  # fmt: skip
    parts.append("#### State variables\n\n" + table(
        ["id", "meaning", "initial", "relaxation", "source of the initial value"],
        [[v["id"], v.get("label", ""), num(v["initial"]), num(v.get("relaxation", 0)),
          src(v.get("sources", {}).get("initial", v.get("source")))] for v in s["state"]],
    ))  # fmt: skip
    parts.append("#### Levers and parameters\n\n"
                 + params_table(s.get("levers", []), "policy")
                 + "\n" + "\n".join(params_table(s.get("parameters", []), "param").splitlines()[2:]))  # fmt: skip
    parts.append("#### Scenario rules (besides the modules')\n\n" + rules_table(s.get("rules", []), account=True))  # fmt: skip
    rows = []
    for e in s.get("events", []):
        rows.append([e["id"], "stochastic", e.get("label", ""),
                     f"{e['rate']}; intensity {num(e.get('intensity', 1))}", "–", src(e.get("source"))])  # fmt: skip
    for e in s.get("schedule", []):
        at = e.get("at", [])
        at = [at] if isinstance(at, str) else at
        changes = "; ".join([f"{k} += {num(v)}" for k, v in e.get("effects", {}).items()]
                            + [f"{k} = {num(v)}" for k, v in e.get("sets", {}).items()]) or "–"  # fmt: skip
        rows.append([e["id"], "scheduled", e.get("label", ""), ", ".join(at) or "only under a policy",
                     changes, src(e.get("source"))])  # fmt: skip
    parts.append("#### Events\n\n" + table(["id", "kind", "what", "rate / dates", "effects and sets", "source"], rows))  # fmt: skip
    if s.get("elections"):
        rows = []
        for el in s["elections"]:
            for o in el["outcomes"]:
                sets = "; ".join(f"{k} = {num(v)}" for k, v in o.get("sets", {}).items()) or "–"
                rows.append([el["id"], el["at"], o["id"], o.get("label", ""), num(o["probability"]), sets, src(o.get("source"))])  # fmt: skip
        parts.append("#### Elections\n\n" + table(["election", "takes office", "outcome", "what", "probability", "sets", "source"], rows))  # fmt: skip
    rows = []
    for a in s.get("actions", []):
        effects = "; ".join(f"{k} += {num(v)}" for k, v in a.get("effects", {}).items()) or "–"
        prob = num(a["probability"]) + ("" if a.get("once", True) else " (repeatable)")
        rows.append([a["id"], f"{a['actor']} → {a.get('target', '–')}", a.get("label", ""), a.get("when", "1"),
                     prob, effects, a.get("consulted", "0"), src(a.get("source"))])  # fmt: skip
    parts.append("#### Actions\n\n" + table(["id", "actor → target", "what", "when", "probability / quarter", "effects", "consulted", "source"], rows))  # fmt: skip
    rows = []
    for p in s.get("policies", []):
        changes = [f"{k} = {num(v)}" for k, v in p.get("set", {}).items()]
        changes += [f"+{o['event']} at {o['at']}" for o in p.get("schedule", [])]
        rows.append([p["id"], p.get("kind", "recommendation"), p["label"], "; ".join(changes), src(p.get("source"))])  # fmt: skip
    parts.append("#### Policies\n\n" + table(["id", "kind", "what", "changes", "source"], rows))
    rows = []
    for c in s.get("claims", []):
        cmp = c["compare"]
        test = (f"{cmp['indicator']} at {cmp.get('at', 'horizon')}: {cmp['policy']} "
                f"{'>' if cmp['expect'] == 'greater' else '<'} {cmp['against']} ({cmp.get('statistic', 'member')})")  # fmt: skip
        rows.append([c["id"], c["statement"], test, src(c.get("source"))])
    parts.append("#### Claims\n\n" + table(["id", "claim", "test", "quote"], rows))
    rows = []
    for m in s.get("mechanisms", []):
        for k, a in enumerate(m["accounts"]):
            rows.append([m["id"] if k == 0 else "", a["id"] + (" (seed)" if k == 0 else ""), a["label"],
                         ", ".join(a.get("include", [])), src(a.get("source"))])  # fmt: skip
    parts.append("#### Contested mechanisms and their accounts\n\n" + table(["mechanism", "account", "says", "rule modules", "source"], rows))  # fmt: skip
    d = s["decoupling"]
    rows = [[sign["id"], sign.get("label", ""), sign["when"], sign.get("for_steps", 1),
             src(sign.get("sources", {}).get("when", sign.get("source")))] for sign in d.get("signs", [])]  # fmt: skip
    combine = d.get("combine", "any")
    combine = f"at least {combine['at_least']}" if isinstance(combine, dict) else combine
    parts.append(f"#### Decoupling: observable signs ({combine} of them)\n\n"
                 + table(["sign", "what a historian would code", "condition", "quarters", "source"], rows)
                 + (f"\n\nThe cohesion index, recorded beside the signs and not part of the definition: "
                    f"`{d['index']['when']}` for {d['index'].get('for_steps', 1)} quarters." if "index" in d else ""))  # fmt: skip
    return "\n\n".join(parts)


def module_tables() -> str:
    parts = []
    for name in MODULES:
        m = load(name)
        meta = m["module"]
        block = [f"#### `{name}` — {meta['title']}", "", meta.get("description", "")]
        if m.get("rules"):
            block += ["", rules_table(m["rules"])]
        if m.get("parameters"):
            block += ["", params_table(m["parameters"], "param")]
        parts.append("\n".join(block))
    return "\n\n".join(parts)


if __name__ == "__main__":
    if sys.argv[1:] == ["--modules"]:
        print(module_tables())
    else:
        for ident in sys.argv[1:]:
            print(scenario_tables(ident))
