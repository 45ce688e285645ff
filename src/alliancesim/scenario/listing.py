"""What ``alliancesim scenarios`` lists about each built-in scenario, kept between calls.

Listing the library means loading and validating every built-in scenario (about 50 ms each,
plus the schema's import). The rows depend only on the package (its library, code and data)
and on the alliancesim version, so they are kept in ``<cache>/library-<fingerprint>.json``,
where the fingerprint (:func:`package_fingerprint`) hashes the version and every such file's
name and bytes: an edited, added or removed file gives a new fingerprint, and the rows are
computed again. The cache directory follows the platform's conventions
(:func:`cache_directory`); a cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from alliancesim.scenario.library import LIBRARY, builtin_scenarios, resolve

__all__ = [
    "CACHE_VARIABLE",
    "cache_directory",
    "keep",
    "library_fingerprint",
    "library_rows",
    "package_fingerprint",
    "read_kept",
]

CACHE_VARIABLE = "ALLIANCESIM_CACHE"
"""Environment variable naming the cache directory (default: the platform's user cache)."""


def cache_directory() -> Path:
    """Where alliancesim keeps what it can compute again: ``$ALLIANCESIM_CACHE``, else the
    platform's user cache directory (``~/.cache/alliancesim`` on Linux)."""
    value = os.environ.get(CACHE_VARIABLE)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("alliancesim", appauthor=False))


def library_fingerprint() -> str:
    """A hash of the alliancesim version and of every library file's name and contents."""
    from alliancesim import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(LIBRARY.glob("*.toml")):
        digest.update(b"\0" + path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()[:24]


def package_fingerprint() -> str:
    """A hash of everything that can change what alliancesim says about a built-in scenario
    without loading it again: the library (:func:`library_fingerprint`) and the package's code
    (``*.py``) and data (``*.json``), each file's path and contents (a few milliseconds)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(library_fingerprint().encode())
    for path in sorted(package.rglob("*")):
        if path.suffix not in {".py", ".json"} or "__pycache__" in path.parts:
            continue
        digest.update(b"\0" + path.relative_to(package).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()[:24]


def _describe(ident: str) -> dict[str, Any]:
    """One built-in scenario as the listing shows it (loading and validating it)."""
    from alliancesim.errors import InputError
    from alliancesim.scenario.clock import Clock
    from alliancesim.scenario.loader import load_scenario
    from alliancesim.scenario.parameters import scenario_parameters
    from alliancesim.scenario.uncertain import Fixed

    row: dict[str, Any] = {"id": ident}
    try:
        scenario = load_scenario(ident)
    except InputError as exc:
        row.update(ok=False, problems=len(exc.problems))
        return row
    meta = scenario.scenario
    clock = Clock(meta.start, meta.step, meta.horizon)
    params = scenario_parameters(scenario)
    row.update(
        ok=True,
        title=meta.title,
        kind=meta.kind,
        seed=meta.seed,
        start=meta.start,
        step=meta.step,
        horizon=meta.horizon,
        span=f"{clock.label(1)} to {clock.label(meta.horizon)} ({meta.horizon} {meta.step}s)",
        policies=len(scenario.policies),
        claims=len(scenario.claims),
        actors=len(scenario.actors),
        issues=len(scenario.issues),
        rules=len(scenario.rules),
        parameters=len(params),
        uncertain=sum(1 for p in params.values() if not isinstance(p.value, Fixed)),
    )
    return row


def library_rows(*, use_cache: bool = True) -> list[dict[str, Any]]:
    """Per built-in scenario: id, file, ok (or problems), title, kind, seed, start, step,
    horizon, span, policies, claims, actors, issues, rules, parameters, uncertain."""
    fingerprint = package_fingerprint()
    rows: list[dict[str, Any]] | None = read_kept("library", fingerprint) if use_cache else None
    if not isinstance(rows, list):
        rows = [_describe(ident) for ident in builtin_scenarios()]
        if use_cache:
            keep("library", fingerprint, rows)
    return [{"id": r["id"], "file": str(resolve(r["id"])), **r} for r in rows]


def read_kept(kind: str, fingerprint: str) -> Any:
    """What :func:`keep` wrote under ``kind`` and ``fingerprint`` (parsed JSON), or None when
    nothing is kept there or it cannot be read."""
    try:
        return json.loads((cache_directory() / f"{kind}-{fingerprint}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def keep(kind: str, fingerprint: str, data: Any) -> None:
    """Keep JSON-ready ``data`` in ``<cache>/<kind>-<fingerprint>.json``, written atomically (a
    temporary file renamed), removing what was kept under ``kind`` with other fingerprints. A
    cache that cannot be written is not used: it only costs time."""
    directory = cache_directory()
    path = directory / f"{kind}-{fingerprint}.json"
    older = re.compile(re.escape(kind) + r"-[0-9a-f]+\.json")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            if old != path and older.fullmatch(old.name):
                old.unlink(missing_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
