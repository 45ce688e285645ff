"""Uploaded scenario files: size-limited, decoded, checked by the scenario validator, kept.

An upload arrives from the browser as a base64 data URL and a file name. It is refused if it
is larger than the limit or not UTF-8 text. It is then written under a safe name into a fresh
temporary directory and loaded with :func:`load_scenario`, the same validator the CLI uses, told
that the file may include built-in rule modules only (``Includes.BUILTIN``: the loader's one
include decision, so no path in an upload is ever opened); TOML is parsed, never executed. Problems come back with the *uploaded* file's name,
the line and the field. A valid upload is kept under its content hash and named by the reference
``upload:<sha256>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alliancesim.errors import InputError, Problem
from alliancesim.scenario import load_scenario
from alliancesim.scenario.reading import Includes
from alliancesim.web.sources import ScenarioSources

__all__ = ["MAX_UPLOAD_BYTES", "UploadResult", "accept_upload", "safe_name"]

MAX_UPLOAD_BYTES = 512 * 1024
"""Largest scenario file accepted (the biggest built-in is about a tenth of this)."""


@dataclass
class UploadResult:
    """What became of an upload: its reference and title, or the problems found."""

    filename: str
    reference: str | None = None
    scenario_id: str = ""
    title: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if the scenario passed every check."""
        return self.reference is not None


def safe_name(filename: str | None) -> str:
    """The uploaded file's base name reduced to letters, digits, ``._-`` (ends in .toml)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "scenario"
    stem = stem[:80]
    return stem if stem.lower().endswith(".toml") else f"{stem}.toml"


def _decode(contents: str, name: str, limit: int) -> bytes:
    header, _, payload = (contents or "").partition(",")
    if not payload or ";base64" not in header:
        raise InputError.single(name, "the upload arrived empty or in an unexpected form")
    if len(payload) > (limit * 4) // 3 + 8:
        raise InputError.single(name, f"file too large: at most {limit // 1024} KB")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError.single(name, "the upload is not valid base64 data") from None
    if len(data) > limit:
        raise InputError.single(name, f"file too large: at most {limit // 1024} KB")
    if not data.strip():
        raise InputError.single(name, "the file is empty", line=1)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            name, f"not UTF-8 text (byte {exc.start}): a scenario is a TOML text file"
        ) from None
    return data


def _renamed(problems: list[Problem], directory: Path, name: str) -> list[Problem]:
    prefix = str(directory)
    out = []
    for p in problems:
        file = name if p.file.startswith(prefix) else p.file
        out.append(Problem(file, p.line, p.field, p.message))
    return out


def accept_upload(
    contents: str | None,
    filename: str | None,
    sources: ScenarioSources,
    *,
    limit: int = MAX_UPLOAD_BYTES,
) -> UploadResult:
    """Check an uploaded scenario (a data URL from the browser) and keep it if valid."""
    name = safe_name(filename)
    result = UploadResult(name)
    try:
        data = _decode(contents or "", name, limit)
    except InputError as exc:
        result.problems = list(exc.problems)
        return result
    digest = hashlib.sha256(data).hexdigest()
    directory = Path(tempfile.mkdtemp(prefix="alliancesim-upload-"))
    try:
        path = directory / name
        path.write_bytes(data)
        scenario = load_scenario(path, includes=Includes.BUILTIN)
    except InputError as exc:
        result.problems = _renamed(list(exc.problems), directory, name)
        return result
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    kept = sources.upload_path(digest)
    if not kept.exists():
        partial = kept.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(kept)
    result.reference = f"upload:{digest}"
    result.scenario_id = scenario.id
    result.title = scenario.scenario.title
    return result
