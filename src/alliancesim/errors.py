"""Errors the user can fix: each names the file, the line, the field and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input: where it is (file, line, field path) and what was expected."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class InputError(Exception):
    """Bad input (a scenario, a CSV, an option): all problems found, reported at once.

    The CLI prints every problem and exits with code 2; nothing is written.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(
            set(problems), key=lambda p: (p.file, p.line or 0, p.field, p.message)
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls, file: str, message: str, *, line: int | None = None, field: str = ""
    ) -> InputError:
        """An input error with one problem."""
        return cls([Problem(file, line, field, message)])
