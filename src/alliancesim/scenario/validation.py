"""Every entry of a file validated on its own against its section's schema.

A file's top-level keys must be sections its kind (scenario or rule module) may have, in the
shape the section registry says (a table, or an array of tables); each entry is validated
separately, so that one mistake does not hide the others. An entry that fails keeps the fields
that are valid on their own (its *partial* value): the cross-reference checks still read them,
so a rule with a malformed driver *and* an unknown target gets both problems.
"""

from __future__ import annotations

import typing
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from alliancesim.scenario.entries import Entry
from alliancesim.scenario.files import Problems, TomlFile, field_path
from alliancesim.scenario.names import suggest
from alliancesim.scenario.sections import FileKind, Section, section_named, sections
from alliancesim.scenario.wording import error_messages, shown

__all__ = ["Document", "Item", "validate"]

Loc = tuple[Any, ...]


@dataclass
class Item:
    """One entry of a file: where it is written, as written, validated (or None), and the entry
    built from those of its fields that are valid on their own."""

    file: TomlFile
    section: Section
    loc: Loc
    raw: Any
    value: Any  # the validated entry, or None when it failed the schema
    partial: Any

    @property
    def complete(self) -> bool:
        """Whether the whole entry is valid."""
        return self.value is not None

    def get(self, name: str, default: Any = None) -> Any:
        """A field of the entry, or ``default`` when it did not validate (or is not set)."""
        return getattr(self.partial, name, default)


@dataclass
class Document:
    """A file's entries, each validated on its own: its single tables and its arrays of tables."""

    file: TomlFile
    kind: FileKind
    singles: dict[str, Item] = field(default_factory=dict)
    arrays: dict[str, list[Item]] = field(default_factory=dict)

    @property
    def heading(self) -> Item | None:
        """The ``[scenario]`` or ``[module]`` table, when it is one."""
        return self.singles.get(self.kind)

    def includes(self) -> list[Any]:
        """What the file's ``include`` names, as written (nothing unless it is an array)."""
        heading = self.heading
        names = heading.raw.get("include", []) if heading is not None else []
        return names if isinstance(names, list) else []


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _control_character(text: str) -> tuple[int, str] | None:
    """The first character of ``text`` a terminal or a page would act on rather than show
    (C0/C1 controls other than tab and line breaks, DEL, bidirectional overrides), with its
    position; None for plain text."""
    for position, char in enumerate(text):
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            return position, char
    return None


def check_plain_text(file: TomlFile, value: Any, loc: Loc, problems: Problems) -> None:
    """Every string of a file (keys and values) is plain text: a control character (an
    escape sequence, a bell, a bidirectional override) is refused where it is written, so no
    scenario text can move a terminal's cursor, colour it or open a link when printed."""
    if isinstance(value, dict):
        for key, inner in value.items():
            check_plain_text(file, key, (*loc, key), problems)
            check_plain_text(file, inner, (*loc, key), problems)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            check_plain_text(file, inner, (*loc, i), problems)
    elif isinstance(value, str) and (found := _control_character(value)) is not None:
        position, char = found
        name = unicodedata.name(char, "a control character")
        problems.add(
            file,
            loc,
            f"text may not contain control characters: U+{ord(char):04X} ({name}) at "
            f"character {position + 1}; write plain text",
        )


def validate(file: TomlFile, kind: FileKind, problems: Problems) -> Document:
    """Each entry of a scenario or module file validated, every problem added to ``problems``."""
    document = Document(file, kind)
    data = file.data
    check_plain_text(file, data, (), problems)
    allowed = [s.key for s in sections(kind, single=True)] + [
        s.key for s in sections(kind, single=False)
    ]
    for key in data:
        if key not in allowed:
            message = _misplaced(key, kind, allowed)
            problems.add(file, (key,), f"{message}; a {kind} has: " + ", ".join(allowed))
    for single in sections(kind, single=True):
        key = single.key
        if key not in data:
            if single.required:
                line = 1 if single.heading else None
                problems.add(file, (key,), f"missing [{key}] table ({single.hint})", line=line)
            continue
        if not isinstance(data[key], dict):
            problems.add(file, (key,), f"[{key}] must be a table, got {shown(data[key])}")
            continue
        document.singles[key] = _validate_one(file, single, data[key], (key,), problems)
    for array in sections(kind, single=False):
        key = array.key
        entries = data.get(key, [])
        if not isinstance(entries, list):
            problems.add(
                file,
                (key,),
                f"expected an array of tables ([[{key}]] entries), got {shown(entries)}",
            )
            continue
        items = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                problems.add(
                    file, (key, i), f"each [[{key}]] entry must be a table, got {shown(entry)}"
                )
                continue
            items.append(_validate_one(file, array, entry, (key, i), problems))
        document.arrays[key] = items
        if array.required and not items:
            problems.add(file, (key,), f"a {kind} needs at least one [[{key}]] entry")
    return document


def _misplaced(key: str, kind: FileKind, allowed: list[str]) -> str:
    """Why a top-level key is not a section of this kind of file."""
    try:
        known = section_named(key)
    except KeyError:
        return f"unknown section {key!r}{suggest(key, allowed)}"
    if kind == "module" and known.allowed_in("scenario"):
        return f"a rule module cannot have {key!r}: the including scenario declares it"
    if known.heading:
        return f"a file is a scenario or a rule module, not both: remove [{key}]"
    return f"unknown section {key!r}{suggest(key, allowed)}"


def _validate_one(
    file: TomlFile, section: Section, data: dict[str, Any], loc: Loc, problems: Problems
) -> Item:
    model = section.model
    try:
        value = model.model_validate(data)
    except ValidationError as error:
        for where, message in error_messages(error, model, data):
            problems.add(file, (*loc, *where), message)
        partial = _partial(model, data)
        _set_origins(partial, file, loc)
        return Item(file, section, loc, data, None, partial)
    _set_origins(value, file, loc)
    return Item(file, section, loc, data, value, value)


def _set_origins(value: Any, file: TomlFile, loc: Loc) -> None:
    """Where the entry (and each entry written inside it) is: its file and line."""
    if isinstance(value, Entry):
        value._origin = (file.display, file.line(loc))
        value._path = field_path(loc)
        lines = {name: file.line((*loc, name)) for name in value.model_fields_set}
        value._lines = {name: line for name, line in lines.items() if line is not None}
        for path, inner in value.inner_entries():
            _set_origins(inner, file, (*loc, *path))


def _partial(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """The entry built from those of its fields that are valid on their own (others unset)."""
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name not in model.model_fields:
            continue
        try:
            fields[name] = _field_model(model, name).model_validate({"value": value}).value
        except (ValidationError, ValueError, TypeError):
            continue
    return model.model_construct(**fields)


_ONE_FIELD_CONFIG = ConfigDict(arbitrary_types_allowed=True)


@cache
def _field_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A model with just one field of ``model``, to validate that field on its own."""
    info = model.model_fields[name]
    annotation = info.annotation
    if info.metadata:
        annotation = typing.Annotated[(annotation, *info.metadata)]
    return create_model(
        f"{model.__name__}_{name}", __config__=_ONE_FIELD_CONFIG, value=(annotation, ...)
    )
