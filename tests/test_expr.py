from decimal import Decimal

import pytest

from xl_perf.errors import RulePackError
from xl_perf.rules.expr import MissingInputs, Undefined, parse


def test_evaluates_with_decimal() -> None:
    assert parse("a / b").evaluate({"a": Decimal("621.520185"), "b": Decimal("623.731085")}) == Decimal(
        "621.520185"
    ) / Decimal("623.731085")
    assert parse("abs(a - b) / b").evaluate({"a": Decimal(3), "b": Decimal(4)}) == Decimal("0.25")
    assert parse("min(r / 0.9, 1)").evaluate({"r": Decimal("0.99")}) == 1


def test_reports_every_missing_input() -> None:
    with pytest.raises(MissingInputs) as info:
        parse("(a + b) / c").evaluate({"b": Decimal(1)})
    assert info.value.names == ["a", "c"]


def test_division_by_zero_is_undefined() -> None:
    with pytest.raises(Undefined):
        parse("a / b - 1").evaluate({"a": Decimal(0), "b": Decimal(0)})


def test_conditional_needs_only_the_branch_taken() -> None:
    expr = parse("0 if ratio == 0 or policy else ratio")
    assert expr.evaluate({"ratio": Decimal(0)}) == 0
    assert expr.evaluate({"ratio": Decimal("0.2"), "policy": True}) == 0
    assert expr.evaluate({"ratio": Decimal("0.2"), "policy": False}) == Decimal("0.2")
    with pytest.raises(MissingInputs):
        expr.evaluate({"ratio": Decimal("0.2")})


def test_text_comparison() -> None:
    expr = parse("choice == '无需批复'")
    assert expr.evaluate({"choice": "无需批复"}) is True
    assert expr.evaluate({"choice": "未批复"}) is False


@pytest.mark.parametrize(
    ("source", "excel"),
    [
        ("(a / 100 + b / 100) / 2", "(A/100+B/100)/2"),
        ("a - (b - c)", "A-(B-C)"),
        ("a / (b * c)", "A/(B*C)"),
        ("abs(x - y) / y", "ABS(X-Y)/Y"),
        ("s / p - 1", "S/P-1"),
        ("-(a + b) * c", "-(A+B)*C"),
        ("x <= y", "X<=Y"),
        ("a > 0 and b == 0", "AND(A>0,B=0)"),
        ("not flag", "NOT(FLAG)"),
        ("0 if f else r", "IF(F,0,R)"),
        ("k == 'x\"y'", 'K="x""y"'),
    ],
)
def test_excel_rendering(source: str, excel: str) -> None:
    assert parse(source).to_excel(str.upper) == excel


@pytest.mark.parametrize(
    "source",
    ["__import__('os')", "a.b", "a[0]", "lambda: 1", "f(1)", "a ** 2", "a % 2", "True", "[1]", "a = 1", "x if"],
)
def test_rejects_anything_outside_the_language(source: str) -> None:
    with pytest.raises(RulePackError):
        parse(source)
