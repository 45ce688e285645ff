"""The expression language: values of each operation, truth semantics, and the security corpus."""

from __future__ import annotations

import builtins
import math
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from alliancesim.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    compile_expression,
    parse_expression,
)

X = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
Y = np.array([1.0, 0.0, 2.0, -4.0, 3.0])
Z = np.array([0.0, 1.0, 0.0, 0.25, 0.0])
VALUES = {"fear_abandonment.ROK": X, "trust.ROK.USA": Y, "event.cut": Z}


def reader(value: object):
    """A reader of the engine's context that always gives ``value``."""
    return lambda _ctx: value


def evaluate(text: str, values: dict[str, object] = VALUES) -> np.ndarray:
    """Compile ``text`` and evaluate it on ``values`` (name -> array)."""
    compiled = compile_expression(text, {name: reader(v) for name, v in values.items()})
    return np.asarray(compiled(None), dtype=float)


F, T, E = "fear_abandonment.ROK", "trust.ROK.USA", "event.cut"


# --------------------------------------------------------------------------------------------
# parsing


def test_dotted_names_are_single_names_not_attribute_access():
    parsed = parse_expression("trust.ROK.USA * (1 - consulted.stryker_withdrawal) + step")
    assert parsed.names == {"trust.ROK.USA", "consulted.stryker_withdrawal", "step"}
    assert parsed.text == "trust.ROK.USA * (1 - consulted.stryker_withdrawal) + step"


def test_function_names_are_not_names():
    assert parse_expression("max(a.B, 0) + clip(x, 0, 1)").names == {"a.B", "x"}


def test_surrounding_whitespace_is_ignored_and_text_kept():
    parsed = parse_expression("  1 + x  ")
    assert parsed.names == {"x"}
    assert parsed.text == "  1 + x  "


# --------------------------------------------------------------------------------------------
# each operation against hand computation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{F} + {T}", [-1.0, -0.5, 2.0, -3.5, 6.0]),
        (f"{F} - {T}", [-3.0, -0.5, -2.0, 4.5, 0.0]),
        (f"{F} * {T}", [-2.0, -0.0, 0.0, -2.0, 9.0]),
        (f"{F} / {T}", [-2.0, 0.0, 0.0, -0.125, 1.0]),  # x / 0 is 0
        (f"{F} ** 2", [4.0, 0.25, 0.0, 0.25, 9.0]),
        (f"{F} ** 3", [-8.0, -0.125, 0.0, 0.125, 27.0]),
        (f"{F} ** 0", [1.0, 1.0, 1.0, 1.0, 1.0]),
        (f"{F} ** 1", [-2.0, -0.5, 0.0, 0.5, 3.0]),
        (f"{F} ** 0.5", [0.0, 0.0, 0.0, math.sqrt(0.5), math.sqrt(3.0)]),  # base clamped at 0
        (f"{F} ** -1", [-0.5, -2.0, 0.0, 2.0, 1 / 3]),  # 0 ** -1 is 0, like x / 0
        (f"{F} ** -2", [0.25, 4.0, 0.0, 4.0, 1 / 9]),
        (f"-{F}", [2.0, 0.5, -0.0, -0.5, -3.0]),
        (f"+{F}", [-2.0, -0.5, 0.0, 0.5, 3.0]),
        (f"{F} < {T}", [1, 1, 1, 0, 0]),
        (f"{F} <= {T}", [1, 1, 1, 0, 1]),
        (f"{F} > {T}", [0, 0, 0, 1, 0]),
        (f"{F} >= {T}", [0, 0, 0, 1, 1]),
        (f"{F} == {T}", [0, 0, 0, 0, 1]),
        (f"{F} != {T}", [1, 1, 1, 1, 0]),
        (f"-1 < {F} < {T}", [0, 1, 1, 0, 0]),  # chained: both must hold
        (f"min({F}, {T})", [-2.0, -0.5, 0.0, -4.0, 3.0]),
        (f"max({F}, {T})", [1.0, 0.0, 2.0, 0.5, 3.0]),
        (f"min({F}, {T}, {E})", [-2.0, -0.5, 0.0, -4.0, 0.0]),
        (f"max({F}, {T}, {E}, 2.5)", [2.5, 2.5, 2.5, 2.5, 3.0]),
        (f"clip({F}, 0, 1)", [0.0, 0.0, 0.0, 0.5, 1.0]),
        (f"clip({T}, {F}, 2)", [1.0, 0.0, 2.0, 0.5, 2.0]),  # hi wins when lo > hi (min of max)
        (f"abs({F})", [2.0, 0.5, 0.0, 0.5, 3.0]),
        (f"sqrt({F})", [0.0, 0.0, 0.0, math.sqrt(0.5), math.sqrt(3.0)]),  # clamped at 0
        (f"exp({F})", [math.exp(v) for v in X]),
        (f"log({T})", [0.0, math.log(1e-300), math.log(2.0), math.log(1e-300), math.log(3.0)]),
        (f"{T} if {F} > 0 else -{T}", [-1.0, -0.0, -2.0, -4.0, 3.0]),
        ("1.5 + 2 * 3 - 4 / 8", [7.0] * 5),
        (f"(1 - {E}) * {T}", [1.0, 0.0, 2.0, -3.0, 3.0]),
    ],
)
def test_operation_values(text, expected):
    np.testing.assert_allclose(evaluate(text), np.array(expected, dtype=float), rtol=1e-12)


def test_exp_is_clamped_at_700():
    assert evaluate("exp(1000)") == pytest.approx(math.exp(700.0))
    assert np.isfinite(evaluate("exp(1e300)"))


def test_scalar_inputs_give_plain_floats():
    compiled = compile_expression(
        "x / y + (1 if x > 0 else 2) + y ** -1 + x ** 0",
        {
            "x": lambda _c: 2.0,
            "y": lambda _c: 0.0,
        },
    )
    value = compiled(None)
    assert isinstance(value, float)
    assert value == 2.0  # 2/0 -> 0, 1, 0 ** -1 -> 0, x ** 0 -> 1


def test_no_warnings_for_division_by_zero_or_negative_powers(recwarn):
    evaluate(f"{F} / {E} + {E} ** -1 + {F} ** 0.5")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# --------------------------------------------------------------------------------------------
# truth: comparisons give 1/0; and/or/not treat non-zero as true


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{F} and {T}", [1, 0, 0, 1, 1]),
        (f"{F} or {E}", [1, 1, 0, 1, 1]),
        (f"not {F}", [0, 0, 1, 0, 0]),
        (f"not not {T}", [1, 0, 1, 1, 1]),
        (f"{F} > 0 or {T} < 0", [0, 0, 0, 1, 1]),
        (f"{F} > 0 and {T} > 0", [0, 0, 0, 0, 1]),
        ("0.5 and -3", [1] * 5),
        ("0 or 0.0", [0] * 5),
        ("True", [1] * 5),
        ("False or 2", [1] * 5),
        (f"({F} > 0) + ({T} > 0)", [1, 0, 1, 1, 2]),  # truth values are numbers
    ],
)
def test_truth_semantics(text, expected):
    np.testing.assert_array_equal(evaluate(text), np.array(expected, dtype=float))


def test_boolean_results_are_exactly_zero_or_one():
    for text in (f"{F} and {T}", f"{F} or 2", f"not {T}", f"{F} < {T} <= 3"):
        assert set(np.unique(evaluate(text))) <= {0.0, 1.0}


# --------------------------------------------------------------------------------------------
# compilation


def test_unknown_name_at_compile_time_is_an_expression_error():
    with pytest.raises(ExpressionError, match=r"unknown name 'nobody\.ROK'"):
        compile_expression("nobody.ROK + 1", {})


def test_resolver_may_be_a_function():
    seen = []

    def resolve(name):
        seen.append(name)
        return lambda _ctx: 4.0

    assert compile_expression("sqrt(a.B) + a.B", resolve)(None) == 6.0
    assert seen == ["a.B", "a.B"]


def test_context_is_passed_to_readers():
    compiled = compile_expression("a.B * 2", {"a.B": lambda ctx: ctx["a"]})
    np.testing.assert_array_equal(compiled({"a": np.array([1.0, 2.0])}), [2.0, 4.0])
    assert compiled.text == "a.B * 2"


# --------------------------------------------------------------------------------------------
# the security corpus: rejected with a message, never executed

SENTINEL = "alliancesim_expr_sentinel"

FORBIDDEN = [
    ("__import__('os')", "call of '__import__' is not allowed"),
    (f"__import__('os').system('touch {SENTINEL}')", "is not allowed"),
    ("().__class__", "attribute access is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()", "not allowed"),
    ("open('x')", "call of 'open' is not allowed"),
    (f"open('{SENTINEL}', 'w')", "call of 'open' is not allowed"),
    ("x.__class__", "names may not start with an underscore: 'x.__class__'"),
    ("__builtins__", "names may not start with an underscore"),
    ("_private.ROK", "names may not start with an underscore"),
    ("[x for x in y]", "comprehensions are not allowed"),
    ("{x: 1 for x in y}", "comprehensions are not allowed"),
    ("sum(x for x in y)", "call of 'sum' is not allowed"),
    ("max(x for x in y)", "max() takes 2 to 16 arguments"),
    ("max(0, *(x for x in y))", "starred arguments are not allowed"),
    ("lambda: 1", "lambdas are not allowed"),
    ("(lambda: 1)()", "lambdas are not allowed"),
    ("a[0]", "subscripts (a[...]) are not allowed"),
    ("a[1:2]", "subscripts (a[...]) are not allowed"),
    ("2 ** 1000", "exponent 1000 too large (at most 16)"),
    ("x ** 17", "exponent 17 too large"),
    ("x ** -17", "exponent -17 too large"),
    ("9**9**9", "the exponent of ** must be a number"),
    ("x ** y", "the exponent of ** must be a number"),
    ("f'{x}'", "strings (f-strings) are not allowed"),
    ("(y := 1)", "assignments (:=) are not allowed"),
    ("1e999", "numbers must be finite"),
    ("1" + "0" * 400, "numbers must be finite"),
    ("'a'", "strings are not allowed"),
    ("None", "only numbers are allowed as constants"),
    ("1j", "only numbers are allowed as constants"),
    ("...", "only numbers are allowed as constants"),
    ("(1, 2)", "tuples are not allowed"),
    ("[1]", "lists are not allowed"),
    ("{}", "dicts are not allowed"),
    ("{1}", "sets are not allowed"),
    ("x @ y", "operator @ is not allowed"),
    ("x % 2", "operator % is not allowed"),
    ("x // 2", "operator // is not allowed"),
    ("x << 2", "operator << is not allowed"),
    ("x & y", "operator & is not allowed"),
    ("~x", "operator ~ is not allowed"),
    ("x in y", "comparison 'in' is not allowed"),
    ("x is y", "comparison 'is' is not allowed"),
    ("eval('1')", "call of 'eval' is not allowed"),
    ("exec('x = 1')", "call of 'exec' is not allowed"),
    ("getattr(x, 'y')", "call of 'getattr' is not allowed"),
    ("globals()", "call of 'globals' is not allowed"),
    ("ｅval('1')", "call of 'eval' is not allowed"),  # NFKC-normalised fullwidth letters
    ("x.y()", "call of 'x.y' is not allowed"),
    ("(1).real", "attribute access is not allowed"),
    ("await x", "await is not allowed"),
    ("(yield)", "yield is not allowed"),
    ("min", "'min' is a function and must be called"),
    ("min(1)", "min() takes 2 to 16 arguments, got 1"),
    ("clip(1, 2)", "clip() takes 3 arguments, got 2"),
    ("abs(x=1)", "abs() takes no keyword arguments"),
    ("sin(1)", "call of 'sin' is not allowed (functions: abs, clip, exp, log, max, min, sqrt)"),
    ("1 +", "syntax error"),
    ("x = 1", "syntax error"),
    ("import os", "syntax error"),
    ("x\x00", "syntax error"),
    ("", "empty expression"),
    ("   ", "empty expression"),
    ("(" * 300 + "1" + ")" * 300, "syntax error (too many nested parentheses)"),
    ("-" * 1500 + "1", f"nested deeper than {MAX_DEPTH}"),
    ("not " * 300 + "x", f"nested deeper than {MAX_DEPTH}"),
    ("1" + " + 1" * 1000, f"longer than {MAX_LENGTH} characters"),
    ("abs(" * 250 + "x" + ")" * 250, "too many nested parentheses"),
    ("x" + " + x" * 400, f"nested deeper than {MAX_DEPTH}"),
]


@pytest.mark.parametrize(("text", "message"), FORBIDDEN, ids=[t[:40] for t, _ in FORBIDDEN])
def test_forbidden_constructs_are_rejected_with_a_message(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert message in str(caught.value)
    assert caught.value.reason  # says why
    assert "in expression" in str(caught.value)  # and quotes the expression


@pytest.mark.parametrize(
    ("text", "message"), FORBIDDEN[:20], ids=[t[:40] for t, _ in FORBIDDEN[:20]]
)
def test_forbidden_constructs_are_never_executed(text, message, tmp_path, monkeypatch):
    """Nothing is evaluated while checking or compiling: no import, no file, no lookup."""
    monkeypatch.chdir(tmp_path)
    lookups = []
    with (
        mock.patch.object(builtins, "open", side_effect=AssertionError("open called")),
        mock.patch.object(builtins, "eval", side_effect=AssertionError("eval called")),
        mock.patch.object(builtins, "exec", side_effect=AssertionError("exec called")),
        pytest.raises(ExpressionError),
    ):
        compile_expression(text, lambda name: lookups.append(name) or (lambda _c: 1.0))
    assert lookups == []
    assert not Path(SENTINEL).exists()


def test_non_string_is_rejected():
    with pytest.raises(ExpressionError, match="must be a string"):
        parse_expression(42)  # type: ignore[arg-type]


def test_long_but_allowed_expression_parses():
    text = " + ".join(f"a{i}.B" for i in range(150))
    assert len(text) < MAX_LENGTH
    assert len(parse_expression(text).names) == 150


def test_nesting_just_within_the_limit_parses():
    depth = MAX_DEPTH - 2
    text = "abs(" * depth + "x" + ")" * depth
    assert evaluate(text, {"x": np.array([-1.0])}) == 1.0
