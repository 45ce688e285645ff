"""Expressions compiled to closures over NumPy rows (the checked tree of :mod:`alliancesim.expr`).

Each node becomes a function of the engine's context returning one value per member (or a
float for constants), so evaluating an expression costs a few vectorised operations. Kept apart
from the parser so that reading and checking a scenario does not import NumPy.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim.expr import (
    _BINARY,
    _COMPARE,
    ExpressionError,
    ParsedExpression,
    Resolver,
    Value,
    _dotted,
    _literal_number,
    parse_expression,
)

__all__ = ["CompiledExpression", "compile_expression"]


@dataclass(frozen=True)
class CompiledExpression:
    """An expression compiled to a function of the engine's context, giving one value per member."""

    parsed: ParsedExpression
    function: Callable[[Any], Value]

    def __call__(self, context: Any) -> Value:
        """Evaluate over all members at once."""
        return self.function(context)

    @property
    def text(self) -> str:
        """The expression as written."""
        return self.parsed.text


def compile_expression(
    parsed: ParsedExpression | str, resolve: Mapping[str, Resolver] | Callable[[str], Resolver]
) -> CompiledExpression:
    """Compile a checked expression; ``resolve`` maps each dotted name to a reader of the context."""
    if isinstance(parsed, str):
        parsed = parse_expression(parsed)
    lookup = resolve.__getitem__ if isinstance(resolve, Mapping) else resolve
    try:
        function = _compile(parsed.tree, lookup)
    except KeyError as exc:
        raise ExpressionError(parsed.text, f"unknown name {exc.args[0]!r}") from None
    return CompiledExpression(parsed, function)


def _truth(value: Value) -> Value:
    return np.not_equal(value, 0.0)


def _as_float(value: Value) -> Value:
    return np.asarray(value, dtype=np.float64) if isinstance(value, np.ndarray) else float(value)


def _compile(node: ast.expr, lookup: Callable[[str], Resolver]) -> Callable[[Any], Value]:
    if isinstance(node, ast.Constant):
        constant = float(node.value)
        return lambda _ctx: constant
    if isinstance(node, ast.Name | ast.Attribute):
        return lookup(_dotted(node) or "")
    if isinstance(node, ast.BinOp):
        left = _compile(node.left, lookup)
        if isinstance(node.op, ast.Pow):
            exponent = _literal_number(node.right)
            assert exponent is not None
            return _power(left, exponent)
        right = _compile(node.right, lookup)
        op = getattr(np, _BINARY[type(node.op)])
        if op is np.divide:
            return lambda ctx: _safe_divide(left(ctx), right(ctx))
        return lambda ctx: op(left(ctx), right(ctx))
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, lookup)
        if isinstance(node.op, ast.USub):
            return lambda ctx: np.negative(operand(ctx))
        if isinstance(node.op, ast.UAdd):
            return operand
        return lambda ctx: _as_float(np.logical_not(_truth(operand(ctx))))
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, lookup) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def boolean(ctx: Any) -> Value:
            result = _truth(parts[0](ctx))
            for part in parts[1:]:
                result = combine(result, _truth(part(ctx)))
            return _as_float(result)

        return boolean
    if isinstance(node, ast.Compare):
        operands = [_compile(node.left, lookup)] + [_compile(c, lookup) for c in node.comparators]
        ops = [getattr(np, _COMPARE[type(op)]) for op in node.ops]

        def compare(ctx: Any) -> Value:
            values = [f(ctx) for f in operands]
            result = ops[0](values[0], values[1])
            for i in range(1, len(ops)):
                result = np.logical_and(result, ops[i](values[i], values[i + 1]))
            return _as_float(result)

        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = (_compile(n, lookup) for n in (node.test, node.body, node.orelse))

        def choose(ctx: Any) -> Value:
            result = np.where(_truth(test(ctx)), body(ctx), orelse(ctx))
            return result if np.ndim(result) else float(result)

        return choose
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [_compile(a, lookup) for a in node.args]
        name = node.func.id
        if name in ("min", "max"):
            reduce = np.minimum if name == "min" else np.maximum

            def extremum(ctx: Any) -> Value:
                result = args[0](ctx)
                for arg in args[1:]:
                    result = reduce(result, arg(ctx))
                return result

            return extremum
        if name == "clip":
            x, lo, hi = args
            return lambda ctx: np.minimum(np.maximum(x(ctx), lo(ctx)), hi(ctx))
        (arg,) = args
        if name == "abs":
            return lambda ctx: np.abs(arg(ctx))
        if name == "exp":
            return lambda ctx: np.exp(np.minimum(arg(ctx), 700.0))
        if name == "log":
            return lambda ctx: np.log(np.maximum(arg(ctx), 1e-300))
        if name == "sqrt":
            return lambda ctx: np.sqrt(np.maximum(arg(ctx), 0.0))
    raise AssertionError(f"unchecked node {type(node).__name__}")  # parse_expression forbids it


def _power(base: Callable[[Any], Value], exponent: float) -> Callable[[Any], Value]:
    """``base ** exponent``, total like the other operations.

    A fractional exponent reads the base clamped to ≥ 0 (no complex results); a negative
    exponent gives 0 where the base is 0 (as division by zero does).
    """
    if exponent == 1.0:
        return base
    if exponent == 0.0:
        return lambda ctx: _ones_like(base(ctx))
    integral = float(exponent).is_integer()

    def power(ctx: Any) -> Value:
        value = base(ctx)
        if not integral:
            value = np.maximum(value, 0.0)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            result = np.power(np.asarray(value, dtype=np.float64), exponent)
        if exponent < 0:
            result = np.where(np.equal(value, 0.0), 0.0, result)
        return result if np.ndim(result) else float(result)

    return power


def _ones_like(value: Value) -> Value:
    return np.ones(np.shape(value)) if np.ndim(value) else 1.0


def _safe_divide(numerator: Value, denominator: Value) -> Value:
    """Division that gives 0 where the denominator is 0 (a model quantity, never an error)."""
    if np.ndim(denominator) == 0:
        if float(denominator) == 0.0:
            return np.zeros(np.shape(numerator)) if np.ndim(numerator) else 0.0
        result = np.divide(numerator, float(denominator))
        return result if np.ndim(result) else float(result)
    shape = np.broadcast_shapes(np.shape(numerator), np.shape(denominator))
    result = np.zeros(shape)
    np.divide(numerator, denominator, out=result, where=np.not_equal(denominator, 0.0))
    return result
