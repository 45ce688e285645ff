"""The scenario expression language (DESIGN §4.6).

Conditions, rates, drivers, gates and indicators are written in a small Python-syntax language
over named quantities of the alliance (``fear_abandonment.ROK``, ``issue.cost_sharing.outcome``,
``position.USA.cost_sharing``, ``event.stryker_withdrawal``, ``policy.consultation``), numbers,
``+ - * / **``, comparisons, ``and or not``, ``x if c else y`` and a few functions
(``min max clip abs exp log sqrt``).

An expression is parsed once with :mod:`ast` and checked against a whitelist of node types; a
dotted name such as ``trust.ROK.USA`` is read as *one name*, never as attribute access. Nothing
is ever passed to ``eval``/``exec``. The checked tree is then compiled into a tree of closures
over NumPy arrays (one value per ensemble member), so evaluating an expression costs a few
vectorised operations (:mod:`alliancesim.expr_closures`; reading and checking a scenario
needs no NumPy, so ``show`` and ``validate`` answer without it).

Truth values are numbers: a comparison gives 1.0 or 0.0, ``and``/``or``/``not`` treat any
non-zero value as true and give 1.0 or 0.0.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliancesim.expr_closures import CompiledExpression, compile_expression

__all__ = [
    "FUNCTIONS",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "CompiledExpression",
    "ExpressionError",
    "ParsedExpression",
    "compile_expression",
    "parse_expression",
]

MAX_LENGTH = 2000
"""Longest expression accepted, in characters."""
MAX_EXPONENT = 16.0
"""Largest absolute literal exponent accepted in ``a ** k``."""
MAX_DEPTH = 200
"""Deepest nesting accepted."""

FUNCTIONS: dict[str, tuple[int, int]] = {
    # name: (minimum arguments, maximum arguments)
    "min": (2, 16),
    "max": (2, 16),
    "clip": (3, 3),
    "abs": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
}

Value = Any  # a float or a NumPy array of floats, one per member
Resolver = Callable[[Any], Value]


class ExpressionError(ValueError):
    """An expression that is not in the language, with the reason and the offending text."""

    def __init__(self, expression: str, reason: str):
        self.expression = expression
        self.reason = reason
        super().__init__(f"{reason} in expression {expression!r}")


@dataclass(frozen=True)
class ParsedExpression:
    """A checked expression: its text, its syntax tree and the dotted names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]


_COMPARE = {  # the NumPy function each comparison compiles to (expr_closures.py)
    ast.Lt: "less",
    ast.LtE: "less_equal",
    ast.Gt: "greater",
    ast.GtE: "greater_equal",
    ast.Eq: "equal",
    ast.NotEq: "not_equal",
}
_BINARY = {  # the NumPy function each arithmetic operator compiles to
    ast.Add: "add",
    ast.Sub: "subtract",
    ast.Mult: "multiply",
    ast.Div: "divide",
}
_SYMBOLS: dict[type, str] = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_FORBIDDEN: dict[type, str] = {
    ast.Subscript: "subscripts (a[...]) are not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    ast.JoinedStr: "strings (f-strings) are not allowed",
    ast.FormattedValue: "strings (f-strings) are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.List: "lists are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


def _dotted(node: ast.expr) -> str | None:
    """The dotted name an Attribute/Name chain spells (``trust.ROK.USA``), or None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _literal_number(node: ast.expr) -> float | None:
    """The value of a numeric literal, possibly negated, else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * float(node.value)
    return None


def parse_expression(text: str) -> ParsedExpression:
    """Parse and check an expression; raise :class:`ExpressionError` saying what is not allowed."""
    if not isinstance(text, str):
        raise ExpressionError(str(text), "an expression must be a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text[:60] + "…", f"expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExpressionError(text, "empty expression")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(text, f"syntax error ({exc.msg})") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(text, "expression too complex to parse") from None
    names: set[str] = set()
    _check(text, tree, names, 0)
    return ParsedExpression(text, tree, frozenset(names))


def _check(text: str, node: ast.expr, names: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError(text, f"expression nested deeper than {MAX_DEPTH}")
    d = depth + 1
    if isinstance(node, ast.Constant):
        if type(node.value) is bool:
            return
        if isinstance(node.value, str):
            raise ExpressionError(
                text, f"strings are not allowed ({node.value!r}); names are written without quotes"
            )
        if type(node.value) not in (int, float):
            raise ExpressionError(
                text, f"only numbers are allowed as constants, not {node.value!r}"
            )
        try:
            finite = math.isfinite(float(node.value))
        except OverflowError:
            finite = False
        if not finite:
            raise ExpressionError(text, "numbers must be finite and below 1e308")
        return
    if isinstance(node, ast.Name | ast.Attribute):
        name = _dotted(node)
        if name is None:
            raise ExpressionError(
                text, "attribute access is not allowed (names are dotted identifiers only)"
            )
        if any(part.startswith("_") for part in name.split(".")):
            raise ExpressionError(text, f"names may not start with an underscore: {name!r}")
        if name in FUNCTIONS:
            raise ExpressionError(text, f"{name!r} is a function and must be called")
        names.add(name)
        return
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            exponent = _literal_number(node.right)
            if exponent is None:
                raise ExpressionError(text, "the exponent of ** must be a number")
            if abs(exponent) > MAX_EXPONENT:
                raise ExpressionError(
                    text, f"exponent {exponent:g} too large (at most {MAX_EXPONENT:g})"
                )
            _check(text, node.left, names, d)
            return
        if type(node.op) not in _BINARY:
            raise ExpressionError(text, f"operator {_symbol(node.op)} is not allowed")
        _check(text, node.left, names, d)
        _check(text, node.right, names, d)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
            raise ExpressionError(text, f"operator {_symbol(node.op)} is not allowed")
        _check(text, node.operand, names, d)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(text, value, names, d)
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise ExpressionError(
                    text, f"comparison {_symbol(op)!r} is not allowed (use < <= > >= == !=)"
                )
        _check(text, node.left, names, d)
        for comparator in node.comparators:
            _check(text, comparator, names, d)
        return
    if isinstance(node, ast.IfExp):
        _check(text, node.test, names, d)
        _check(text, node.body, names, d)
        _check(text, node.orelse, names, d)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            shown = _dotted(node.func)
            if shown is None:
                _check(text, node.func, set(), d)  # says what is wrong with the callee
                raise ExpressionError(text, "only the functions of the language can be called")
            allowed = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(text, f"call of {shown!r} is not allowed (functions: {allowed})")
        if node.keywords:
            raise ExpressionError(text, f"{node.func.id}() takes no keyword arguments")
        low, high = FUNCTIONS[node.func.id]
        if not low <= len(node.args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise ExpressionError(
                text, f"{node.func.id}() takes {expected} arguments, got {len(node.args)}"
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ExpressionError(text, "starred arguments are not allowed")
            _check(text, arg, names, d)
        return
    reason = _FORBIDDEN.get(type(node), f"{type(node).__name__} is not allowed")
    raise ExpressionError(text, reason)


def _symbol(op: ast.AST) -> str:
    return _SYMBOLS.get(type(op), type(op).__name__)


def __getattr__(name: str) -> Any:
    """``CompiledExpression`` and ``compile_expression`` live with NumPy in expr_closures.py."""
    if name in ("CompiledExpression", "compile_expression"):
        from alliancesim import expr_closures

        return getattr(expr_closures, name)
    raise AttributeError(f"module 'alliancesim.expr' has no attribute {name!r}")
