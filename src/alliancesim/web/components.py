"""Small pieces of page shared by the dashboard's tabs: cards, help texts, problem lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dash import html

from alliancesim.errors import Problem

__all__ = ["card", "field", "help_text", "problem_list"]


def help_text(text: str, **props: Any) -> html.Div:
    """A short grey explanation under a control."""
    return html.Div(text, className="help", **props)


def field(label: str, control: Any, help_: str = "", *, label_for: str | None = None) -> html.Div:
    """A labelled control with its help text."""
    parts: list[Any] = [html.Label(label, htmlFor=label_for) if label_for else html.Label(label)]
    parts.append(control)
    if help_:
        parts.append(help_text(help_))
    return html.Div(parts, className="field")


def card(children: Any, **props: Any) -> html.Div:
    """A white panel."""
    props["className"] = ("card " + props.get("className", "")).strip()
    return html.Div(children, **props)


def problem_list(problems: Iterable[Problem], title: str, **props: Any) -> html.Div:
    """Input problems as a list, each with its file, line, field and message."""
    items = []
    for p in problems:
        where = p.file if p.line is None else f"{p.file}, line {p.line}"
        parts: list[Any] = [html.Span(where, className="where")]
        if p.field:
            parts += [" · field ", html.Code(p.field)]
        parts += [html.Div(p.message, className="message")]
        items.append(html.Li(parts))
    return html.Div(
        [html.Div(title, className="problems-title"), html.Ul(items)],
        className="problems",
        role="alert",
        **props,
    )
