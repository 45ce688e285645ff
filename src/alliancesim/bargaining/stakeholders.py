"""Stakeholder tables: who takes part in a negotiation, with what clout, where, how much they care.

Two CSV formats are read (``read_stakeholders`` tells them apart by the first line):

**KTAB's format** (KAPSARC's ``smpc``): line 1 ``scenario name, description, number
of actors, number of dimensions``; line 2 a header (``Actor, Description, Power``,
then a position and a salience column per dimension, whose position-column names
become the issue names); then one row per actor: name, description, capability,
then position (0–100) and salience (0–100) per dimension. An actor's saliences may
add up to at most 100.

**A plain stakeholder table**, with a header naming the columns (any order, case
does not matter):

=============  =========================================================================
``actor``      the actor's name
``capability`` its clout on the issue, > 0 (any unit: only ratios matter)
``position``   its preferred outcome, on the issue's own scale (e.g. years, 0–100)
``salience``   how much it cares, 0–1 — or 0–100 (read as percent) if any value is above 1
``issue``      optional: the issue's name, when the table covers several issues; one
               row per actor and issue (an actor may sit out an issue)
=============  =========================================================================

A row whose actor is ``status_quo`` gives the issue's status quo in ``position``
(capability and salience left empty); the Nash model needs one. Blank lines and
lines starting with ``#`` are ignored.

Every problem found is reported at once as an ``InputError`` naming the file, line,
field and what was expected.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alliancesim.errors import InputError, Problem

__all__ = ["Stakeholders", "read_ktab_csv", "read_stakeholder_csv", "read_stakeholders"]

STATUS_QUO = "status_quo"
_COLUMNS = ("actor", "capability", "position", "salience", "issue")


@dataclass(frozen=True)
class Stakeholders:
    """A negotiation over one or more issues.

    Arrays are shaped (actors, issues); NaN marks an actor that takes no part in an
    issue. Salience is on [0, 1]. ``scale`` is the issue scale when the format fixes
    one (KTAB: 0–100), else None.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    status_quo: np.ndarray  # (issues,), NaN where unknown
    source: str = ""
    scale: tuple[float, float] | None = None
    descriptions: tuple[str, ...] = field(default=())

    def issue_scale(self, issue: int) -> tuple[float, float]:
        """The scale of an issue: the format's if it has one, else 0–100 if every value
        lies there, else the range of the positions and status quo."""
        if self.scale is not None:
            return self.scale
        values = self.position[:, issue]
        values = values[np.isfinite(values)]
        sq = self.status_quo[issue]
        if np.isfinite(sq):
            values = np.append(values, sq)
        lo, hi = float(values.min()), float(values.max())
        if lo >= 0.0 and hi <= 100.0:
            return (0.0, 100.0)
        return (lo, hi) if hi > lo else (lo - 1.0, lo + 1.0)


def read_stakeholders(path: str | Path) -> Stakeholders:
    """Read a KTAB CSV or a plain stakeholder CSV, whichever ``path`` holds."""
    text, name = _read_text(path)
    first = next(
        (line for line in text.splitlines() if line.strip() and not line.startswith("#")), ""
    )
    cells = [c.strip() for c in next(csv.reader([first]), [])]
    looks_ktab = len(cells) >= 4 and _is_int(cells[2]) and _is_int(cells[3])
    return _parse_ktab(text, name) if looks_ktab else _parse_plain(text, name)


def read_ktab_csv(path: str | Path) -> Stakeholders:
    """Read KTAB's scenario CSV (see the module docstring)."""
    text, name = _read_text(path)
    return _parse_ktab(text, name)


def read_stakeholder_csv(path: str | Path) -> Stakeholders:
    """Read a plain stakeholder CSV (see the module docstring)."""
    text, name = _read_text(path)
    return _parse_plain(text, name)


def _read_text(path: str | Path) -> tuple[str, str]:
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError.single(name, "no such file") from None
    except OSError as exc:
        raise InputError.single(name, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(name, f"is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise InputError.single(name, "is empty: expected a header line and one row per actor")
    return text, name


def _is_int(cell: str) -> bool:
    try:
        int(cell)
    except ValueError:
        return False
    return True


def _number(cell: str, file: str, line: int, fld: str, problems: list[Problem], what: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        problems.append(Problem(file, line, fld, f"expected {what}, got {cell!r}"))
        return math.nan
    if not math.isfinite(value):
        problems.append(Problem(file, line, fld, f"expected {what}, got {cell!r}"))
        return math.nan
    return value


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of the non-blank, non-comment lines."""
    out = []
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        line = reader.line_num
        stripped = [c.strip() for c in cells]
        if not any(stripped) or stripped[0].startswith("#"):
            continue
        out.append((line, stripped))
    return out


def _parse_ktab(text: str, file: str) -> Stakeholders:
    rows = _rows(text)
    problems: list[Problem] = []
    line0, head = rows[0]
    n_actors, n_dims = int(head[2]), int(head[3])
    if n_actors < 1:
        problems.append(
            Problem(file, line0, "actors", f"expected at least one actor, got {n_actors}")
        )
    if n_dims < 1:
        problems.append(
            Problem(file, line0, "dimensions", f"expected at least one dimension, got {n_dims}")
        )
    if problems:
        raise InputError(problems)
    if len(rows) < 2:
        raise InputError.single(
            file, "expected a header line after the scenario line", line=line0 + 1
        )
    line1, header = rows[1]
    needed = 3 + 2 * n_dims
    while header and not header[-1]:
        header = header[:-1]
    if len(header) < needed:
        problems.append(
            Problem(
                file,
                line1,
                "header",
                f"expected {needed} columns (actor, description, power, then "
                f"position and salience for each of {n_dims} dimensions), got {len(header)}",
            )
        )
        raise InputError(problems)
    issues = tuple(header[3 + 2 * d] or f"dimension {d + 1}" for d in range(n_dims))
    body = rows[2:]
    if len(body) != n_actors:
        problems.append(
            Problem(
                file,
                line0,
                "actors",
                f"the scenario line announces {n_actors} actors but {len(body)} rows follow",
            )
        )
    names, descs = [], []
    cap = np.full((len(body), n_dims), np.nan)
    pos = np.full((len(body), n_dims), np.nan)
    sal = np.full((len(body), n_dims), np.nan)
    for a, (line, cells) in enumerate(body):
        cells = cells[:needed] if len(cells) >= needed else cells
        if len(cells) < needed or any(c == "" for c in cells[2:needed]):
            problems.append(
                Problem(
                    file,
                    line,
                    "row",
                    f"expected {needed} values (name, description, power, "
                    f"then position and salience per dimension), got {len([c for c in cells if c])}",
                )
            )
            names.append(cells[0] if cells else f"row {line}")
            descs.append("")
            continue
        names.append(cells[0])
        descs.append(cells[1])
        power = _number(cells[2], file, line, header[2] or "power", problems, "a capability > 0")
        if power <= 0:
            problems.append(
                Problem(
                    file, line, header[2] or "power", f"expected a capability > 0, got {cells[2]}"
                )
            )
        cap[a, :] = power
        total = 0.0
        for d in range(n_dims):
            p_name, s_name = (
                header[3 + 2 * d] or f"position {d + 1}",
                header[4 + 2 * d] or f"salience {d + 1}",
            )
            p = _number(cells[3 + 2 * d], file, line, p_name, problems, "a position from 0 to 100")
            s = _number(cells[4 + 2 * d], file, line, s_name, problems, "a salience from 0 to 100")
            if not 0.0 <= p <= 100.0 and math.isfinite(p):
                problems.append(
                    Problem(
                        file,
                        line,
                        p_name,
                        f"expected a position from 0 to 100, got {cells[3 + 2 * d]}",
                    )
                )
            if not 0.0 <= s <= 100.0 and math.isfinite(s):
                problems.append(
                    Problem(
                        file,
                        line,
                        s_name,
                        f"expected a salience from 0 to 100, got {cells[4 + 2 * d]}",
                    )
                )
            pos[a, d] = p
            sal[a, d] = s / 100.0
            total += s if math.isfinite(s) else 0.0
        if total > 100.0 + 1e-9:
            problems.append(
                Problem(
                    file,
                    line,
                    "salience",
                    f"the saliences of {cells[0]} add up to {total:g}, "
                    "expected at most 100 (KTAB: no more than all of an actor's attention)",
                )
            )
    _check_names(names, [line for line, _ in body], file, problems)
    if problems:
        raise InputError(problems)
    return Stakeholders(
        actors=tuple(names),
        issues=issues,
        capability=cap,
        position=pos,
        salience=sal,
        status_quo=np.full(n_dims, np.nan),
        source=file,
        scale=(0.0, 100.0),
        descriptions=tuple(descs),
    )


def _check_names(names: list[str], lines: list[int], file: str, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for name, line in zip(names, lines, strict=True):
        if not name:
            problems.append(
                Problem(file, line, "actor", "expected an actor name, got an empty cell")
            )
        elif name in seen:
            problems.append(
                Problem(
                    file,
                    line,
                    "actor",
                    f"actor {name!r} appears twice (first on line {seen[name]})",
                )
            )
        else:
            seen[name] = line


def _parse_plain(text: str, file: str) -> Stakeholders:
    rows = _rows(text)
    problems: list[Problem] = []
    line0, header = rows[0]
    columns = [h.lower() for h in header]
    for i, col in enumerate(columns):
        if col and col not in _COLUMNS:
            problems.append(
                Problem(
                    file,
                    line0,
                    col,
                    f"unknown column; expected the columns {', '.join(_COLUMNS)} (issue optional)",
                )
            )
        if col in columns[:i]:
            problems.append(Problem(file, line0, col, "column appears twice"))
    missing = [c for c in _COLUMNS[:4] if c not in columns]
    if missing:
        problems.append(
            Problem(
                file,
                line0,
                "header",
                f"missing column(s) {', '.join(missing)}; expected a header "
                "with actor, capability, position, salience (and issue for several issues)",
            )
        )
    if problems:
        raise InputError(problems)
    col = {name: columns.index(name) for name in _COLUMNS if name in columns}
    has_issue = "issue" in col
    entries: list[tuple[int, str, str, float, float, float]] = []
    status_quo: dict[str, tuple[int, float]] = {}
    for line, cells in rows[1:]:
        cells = cells + [""] * (len(columns) - len(cells))
        if len(cells) > len(columns) and any(cells[len(columns) :]):
            problems.append(
                Problem(file, line, "row", f"expected {len(columns)} values, got {len(cells)}")
            )
            continue
        actor = cells[col["actor"]]
        issue = cells[col["issue"]] if has_issue else "issue"
        if has_issue and not issue:
            problems.append(
                Problem(file, line, "issue", "expected the issue's name, got an empty cell")
            )
            continue
        if actor.lower() in (STATUS_QUO, "status quo"):
            sq = _number(
                cells[col["position"]],
                file,
                line,
                "position",
                problems,
                "the status quo's position",
            )
            if issue in status_quo:
                problems.append(
                    Problem(
                        file,
                        line,
                        "actor",
                        f"a second status quo for issue {issue!r} "
                        f"(first on line {status_quo[issue][0]})",
                    )
                )
            status_quo[issue] = (line, sq)
            continue
        if not actor:
            problems.append(
                Problem(file, line, "actor", "expected an actor name, got an empty cell")
            )
            continue
        c = _number(
            cells[col["capability"]], file, line, "capability", problems, "a capability > 0"
        )
        if math.isfinite(c) and c <= 0:
            problems.append(
                Problem(
                    file,
                    line,
                    "capability",
                    f"expected a capability > 0, got {cells[col['capability']]}",
                )
            )
        p = _number(
            cells[col["position"]], file, line, "position", problems, "a position (a number)"
        )
        s = _number(
            cells[col["salience"]],
            file,
            line,
            "salience",
            problems,
            "a salience from 0 to 1 (or 0 to 100)",
        )
        if math.isfinite(s) and not 0.0 <= s <= 100.0:
            problems.append(
                Problem(
                    file,
                    line,
                    "salience",
                    f"expected a salience from 0 to 1 (or 0 to 100), got {cells[col['salience']]}",
                )
            )
        entries.append((line, actor, issue, c, p, s))
    if not entries and not problems:
        problems.append(
            Problem(
                file, line0 + 1, "row", "no actors: expected one row per actor after the header"
            )
        )
    actors = list(dict.fromkeys(e[1] for e in entries))
    issues = list(dict.fromkeys(e[2] for e in entries))
    for issue in status_quo:
        if issue not in issues:
            problems.append(
                Problem(
                    file,
                    status_quo[issue][0],
                    "issue",
                    f"status quo for issue {issue!r}, which no actor takes part in",
                )
            )
    seen: dict[tuple[str, str], int] = {}
    for line, actor, issue, *_ in entries:
        key = (actor, issue)
        if key in seen:
            where = f"on issue {issue!r} " if has_issue else ""
            problems.append(
                Problem(
                    file,
                    line,
                    "actor",
                    f"actor {actor!r} appears twice {where}(first on line {seen[key]})",
                )
            )
        seen.setdefault(key, line)
    if problems:
        raise InputError(problems)
    percent = any(e[5] > 1.0 for e in entries)
    shape = (len(actors), len(issues))
    cap, pos, sal = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    for _, actor, issue, c, p, s in entries:
        a, d = actors.index(actor), issues.index(issue)
        cap[a, d], pos[a, d], sal[a, d] = c, p, (s / 100.0 if percent else s)
    sq = np.array([status_quo[i][1] if i in status_quo else np.nan for i in issues])
    return Stakeholders(tuple(actors), tuple(issues), cap, pos, sal, sq, source=file)
