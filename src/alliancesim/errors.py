"""Errors the user can fix: each names the file, the line, the field and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InputError", "NonFinite", "Problem", "SimulationError"]


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

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem]]]:
        """Pickled by its problems (so that an error raised in a worker process arrives whole)."""
        return (type(self), (list(self.problems),))


@dataclass(frozen=True)
class NonFinite:
    """Where a simulation computed a value that is not a finite number: the entry (its file,
    line, field path, section and id) and the field whose value it is, the expression's text,
    the value, the step and its period, the member (counted from the run's first), the policy
    and the structure."""

    file: str
    line: int | None
    field: str  # the field path as the author reads it, e.g. rules[3].driver
    what: str  # e.g. "rule abandonment_from_cut: driver"
    expression: str
    section: str  # e.g. rules, indicators, events, actions, issues, decoupling.signs
    ident: str  # the entry's id ("" for the one condition of the older decoupling form)
    attribute: str  # the field whose value it is: driver, gate, weight (the amount), expr…
    value: float
    step: int
    period: str
    member: int
    policy: str = ""
    structure: str = "seed"


class SimulationError(InputError):
    """A simulation computed NaN or ±∞ (an overflow, ∞ − ∞, 0 · ∞…): an error in the scenario's
    arithmetic, reported like bad input (exit code 2) with the expression, the step and a
    member, never passed on into the results."""

    def __init__(self, detail: NonFinite):
        self.detail = detail
        d = detail
        under = f" under {d.policy}" if d.policy else ""
        if d.structure != "seed":
            under += f" ({d.structure})"
        text = f" {d.expression!r}" if d.expression else ""
        message = (
            f"{d.what}{text} is {d.value!r}, not a finite number, at {d.period} (step {d.step}) "
            f"in member {d.member}{under}; the scenario's arithmetic overflows or is undefined "
            "there (e.g. a division by a tiny number, exp of a large one, inf - inf): bound it "
            "(clip, min, max) or change the numbers"
        )
        super().__init__([Problem(d.file, d.line, d.field, message)])

    def __reduce__(self) -> tuple[type[SimulationError], tuple[NonFinite]]:  # type: ignore[override]
        """Pickled by its detail."""
        return (SimulationError, (self.detail,))

    def located(
        self, *, first_member: int = 0, policy: str | None = None, structure: str | None = None
    ) -> SimulationError:
        """The same error with the member counted from the run's first member (the block's
        ``first_member`` added), and the policy and structure it was simulated under."""
        from dataclasses import replace

        d = self.detail
        return SimulationError(
            replace(
                d,
                member=d.member + first_member,
                policy=d.policy if policy is None else policy,
                structure=d.structure if structure is None else structure,
            )
        )
