"""Properties of the expression language over expressions built at random from its grammar.

- every expression of the grammar parses, and its names are the names it uses;
- compiled (vectorised) evaluation equals a plain-Python walk of the same tree on scalars;
- comparisons and boolean operations give exactly 0 or 1;
- without ``exp`` and ``**``, on moderate inputs and literals (0, or at least 1e-3 in size),
  every value is finite (no inf, no nan).
"""

from __future__ import annotations

import ast

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.expr import compile_expression, parse_expression

NAMES = ("fear_abandonment.ROK", "trust.ROK.USA", "event.cut", "step")
MEMBERS = 7

# --------------------------------------------------------------------------------------------
# expressions of the grammar, as text


def _leaf(*, moderate: bool = False) -> st.SearchStrategy[str]:
    """A name or a number literal. Any float in [0, 100] may appear (subnormals included), or,
    ``moderate``, only 0 and floats of at least 1e-3, like the moderate inputs: a literal such
    as 5e-324 makes ``1 / 5e-324`` infinite, which is the arithmetic's answer, not a bug."""
    floats = (
        st.floats(min_value=1e-3, max_value=100, allow_subnormal=False)
        if moderate
        else st.floats(min_value=0, max_value=100, allow_nan=False)
    )
    numbers = st.one_of(
        st.sampled_from(["0", "1", "2", "0.5", "3.25", "10", "True", "False"]),
        floats.map(repr),
    )
    return st.one_of(st.sampled_from(NAMES), numbers)


def _grow(children: st.SearchStrategy[str], *, wild: bool) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    compare = st.tuples(
        children, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children
    ).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    chained = st.tuples(children, children, children).map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})")
    boolean = st.tuples(children, st.sampled_from(["and", "or"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    unary = st.tuples(st.sampled_from(["-", "+", "not "]), children).map(
        lambda t: f"({t[0]}{t[1]})"
    )
    choose = st.tuples(children, children, children).map(
        lambda t: f"({t[0]} if {t[1]} else {t[2]})"
    )
    extremum = st.tuples(
        st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=4)
    ).map(lambda t: f"{t[0]}({', '.join(t[1])})")
    clip = st.tuples(children, children, children).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})")
    functions = ["abs", "log", "sqrt"] + (["exp"] if wild else [])
    call = st.tuples(st.sampled_from(functions), children).map(lambda t: f"{t[0]}({t[1]})")
    options = [binary, compare, chained, boolean, unary, choose, extremum, clip, call]
    if wild:
        power = st.tuples(
            children, st.sampled_from(["0", "1", "2", "3", "0.5", "-1", "-2", "1.5"])
        ).map(lambda t: f"({t[0]} ** {t[1]})")
        options.append(power)
    return st.one_of(*options)


EXPRESSIONS = st.recursive(_leaf(), lambda c: _grow(c, wild=True), max_leaves=16)
TAME = st.recursive(_leaf(moderate=True), lambda c: _grow(c, wild=False), max_leaves=10)

# inputs: exact zeros (division by zero, log/sqrt of 0), small and moderate values of both signs
VALUE = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-3, max_value=10.0),
    st.floats(min_value=-10.0, max_value=-1e-3),
    st.sampled_from([1.0, -1.0, 0.5, 2.0]),
)
INPUTS = st.fixed_dictionaries(
    {name: st.lists(VALUE, min_size=MEMBERS, max_size=MEMBERS) for name in NAMES}
)


# --------------------------------------------------------------------------------------------
# a plain-Python reference: walks the tree on one member's scalars, following docs/semantics.md


def _truth(value: float) -> bool:
    return value != 0.0


def reference(node: ast.expr, env: dict[str, float]) -> float:
    """The value of the expression for one member, by a direct reading of the semantics."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name | ast.Attribute):
        return env[ast.unparse(node)]
    if isinstance(node, ast.UnaryOp):
        value = reference(node.operand, env)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        return 0.0 if _truth(value) else 1.0
    if isinstance(node, ast.BinOp):
        left = np.float64(reference(node.left, env))
        if isinstance(node.op, ast.Pow):
            exponent = float(ast.literal_eval(node.right))
            if exponent == 0:
                return 1.0
            if not exponent.is_integer():
                left = max(left, np.float64(0.0))
            if exponent < 0 and left == 0:
                return 0.0
            with np.errstate(all="ignore"):
                return float(np.power(left, exponent))
        right = np.float64(reference(node.right, env))
        with np.errstate(all="ignore"):
            if isinstance(node.op, ast.Add):
                return float(left + right)
            if isinstance(node.op, ast.Sub):
                return float(left - right)
            if isinstance(node.op, ast.Mult):
                return float(left * right)
            return 0.0 if right == 0 else float(left / right)
    if isinstance(node, ast.Compare):
        values = [reference(node.left, env)] + [reference(c, env) for c in node.comparators]
        checks = {
            ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b,
            ast.Eq: lambda a, b: a == b,
            ast.NotEq: lambda a, b: a != b,
        }
        holds = all(
            checks[type(op)](a, b) for op, a, b in zip(node.ops, values, values[1:], strict=False)
        )
        return 1.0 if holds else 0.0
    if isinstance(node, ast.BoolOp):
        truths = [_truth(reference(v, env)) for v in node.values]
        return 1.0 if (all(truths) if isinstance(node.op, ast.And) else any(truths)) else 0.0
    if isinstance(node, ast.IfExp):
        branch = node.body if _truth(reference(node.test, env)) else node.orelse
        return reference(branch, env)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [np.float64(reference(a, env)) for a in node.args]
        name = node.func.id
        with np.errstate(all="ignore"):
            if name == "min":
                out = args[0]
                for a in args[1:]:
                    out = np.minimum(out, a)
                return float(out)
            if name == "max":
                out = args[0]
                for a in args[1:]:
                    out = np.maximum(out, a)
                return float(out)
            if name == "clip":
                return float(np.minimum(np.maximum(args[0], args[1]), args[2]))
            if name == "abs":
                return float(abs(args[0]))
            if name == "exp":
                return float(np.exp(min(args[0], np.float64(700.0))))
            if name == "log":
                return float(np.log(max(args[0], np.float64(1e-300))))
            if name == "sqrt":
                return float(np.sqrt(max(args[0], np.float64(0.0))))
    raise AssertionError(f"not in the grammar: {ast.dump(node)}")


def _reader(array: np.ndarray):
    return lambda _ctx: array


def _compiled(text: str, inputs: dict[str, list[float]]) -> np.ndarray:
    arrays = {name: np.array(values) for name, values in inputs.items()}
    compiled = compile_expression(text, {n: _reader(a) for n, a in arrays.items()})
    with np.errstate(all="ignore"):
        result = compiled(None)
    return np.broadcast_to(np.asarray(result, dtype=float), (MEMBERS,))


def _names_in(text: str) -> set[str]:
    return {name for name in NAMES if name in text}


@settings(max_examples=80, deadline=None)
@given(EXPRESSIONS)
def test_every_expression_of_the_grammar_parses(text):
    parsed = parse_expression(text)
    assert parsed.names == _names_in(text)


@settings(max_examples=80, deadline=None)
@given(EXPRESSIONS, INPUTS)
def test_compiled_equals_plain_python_on_scalars(text, inputs):
    parsed = parse_expression(text)
    got = _compiled(text, inputs)
    expected = np.array(
        [reference(parsed.tree, {n: v[m] for n, v in inputs.items()}) for m in range(MEMBERS)]
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(TAME, st.sampled_from(["<", "<=", ">", ">=", "==", "!=", "and", "or"]), TAME),
    INPUTS,
)
def test_comparisons_and_boolean_operations_give_zero_or_one(parts, inputs):
    left, op, right = parts
    for text in (f"({left}) {op} ({right})", f"not ({left})"):
        assert set(np.unique(_compiled(text, inputs))) <= {0.0, 1.0}


@settings(max_examples=80, deadline=None)
@given(TAME, INPUTS)
def test_values_are_finite_without_exp_and_powers(text, inputs):
    """With at most 10 leaves, each at most 100 and, unless 0, at least 1e-3 in size: a
    quotient is 0 where its divisor is 0, ``log`` is at least log(1e-300) ≈ −691, and a
    non-zero difference costs two leaves and is at least about 1e-19, so the smallest non-zero
    divisor ten leaves can build is far above 1e-300 and no value comes near the 1.8e308
    where a float overflows (checked on 6,000 examples besides these 80)."""
    assert np.all(np.isfinite(_compiled(text, inputs)))


def test_a_subnormal_literal_can_overflow_a_quotient():
    """Why the tame expressions keep literals moderate: 1 / 5e-324 is infinite."""
    value = _compiled("(1 / 5e-324)", {name: [1.0] * MEMBERS for name in NAMES})
    assert np.all(np.isinf(value))
