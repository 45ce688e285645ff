"""The built-in library: the scenarios and rule modules shipped in ``library/*.toml``, and which
file a reference to a scenario names (a built-in id or a path)."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = [
    "LIBRARY",
    "builtin_episodes",
    "builtin_modules",
    "builtin_scenarios",
    "exists",
    "looks_like_path",
    "resolve",
]

LIBRARY = Path(__file__).parent / "library"


def _library_files() -> list[Path]:
    return sorted(LIBRARY.glob("*.toml"))


def _head(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


_KINDS: dict[tuple[tuple[str, int, int], ...], tuple[list[str], list[str]]] = {}
"""The library's scenarios and modules, by the names, sizes and times of its files."""


def _kinds() -> tuple[list[str], list[str]]:
    """The ids of the built-in scenarios and the names of the built-in modules, sorted: each
    file read once while the library's files are unchanged (name, size, modification time)."""
    files = _library_files()
    key = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        key.append((path.name, stat.st_size, stat.st_mtime_ns))
    found = _KINDS.get(tuple(key))
    if found is None:
        texts = {path: _head(path) for path in files}
        found = (
            [p.stem for p in files if re.search(r"(?m)^\s*\[scenario\]", texts[p])],
            [p.stem for p in files if re.search(r"(?m)^\s*\[module\]", texts[p])],
        )
        _KINDS.clear()
        _KINDS[tuple(key)] = found
    return found


def builtin_scenarios() -> list[str]:
    """Ids of the built-in scenarios and episodes (not rule modules), sorted."""
    return list(_kinds()[0])


def builtin_episodes() -> list[str]:
    """Ids of the built-in scenarios that are episodes (``kind = "episode"``), sorted; read
    from the files' TOML only (no scenario is loaded)."""
    import tomllib

    out = []
    for ident in builtin_scenarios():
        try:
            meta = tomllib.loads((LIBRARY / f"{ident}.toml").read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # loading it reports the problem; it is not listed as an episode here
        if isinstance(meta.get("scenario"), dict) and meta["scenario"].get("kind") == "episode":
            out.append(ident)
    return out


def builtin_modules() -> list[str]:
    """Names of the built-in rule modules (e.g. ``dilemma``)."""
    return list(_kinds()[1])


def looks_like_path(text: str) -> bool:
    """Whether a reference is written as a path (``x.toml``, ``dir/x``) rather than an id."""
    return text.endswith(".toml") or "/" in text or "\\" in text


def exists(path: Path) -> bool:
    """Whether ``path`` exists; False for names the system cannot even look up."""
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, an embedded NUL…
        return False


def resolve(reference: str | Path, *, relative_to: Path | None = None) -> Path:
    """The file a scenario reference names: a built-in id, or a path (relative to a file)."""
    text = str(reference)
    candidate = Path(text)
    if not looks_like_path(text) and exists(LIBRARY / f"{text}.toml"):
        return LIBRARY / f"{text}.toml"
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to.parent / candidate
    return candidate
