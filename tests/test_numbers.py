from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_perf.numbers import format_number, format_percent, round_half_up, score2, to_decimal, to_json_number


def test_half_up_differs_from_python_round() -> None:
    assert round(4.625, 2) == 4.62  # binary float: the reason Decimal is used everywhere
    assert score2(Decimal("4.625")) == Decimal("4.63")
    assert score2(Decimal("-4.625")) == Decimal("-4.63")


def test_float_inputs_round_like_the_spreadsheet() -> None:
    # LibreOffice and Excel show 163185.465 for this float and ROUND it to .47.
    assert round_half_up(to_decimal(163185.46499999997), 2) == Decimal("163185.47")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, Decimal(1)), ("1,234.5", Decimal("1234.5")), (" 623.731085 ", Decimal("623.731085")), (0.1, Decimal("0.1"))],
)
def test_to_decimal(raw: object, expected: Decimal) -> None:
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "", True, None, float("nan"), float("inf"), "NaN", [1]])
def test_to_decimal_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(raw)


def test_formatting() -> None:
    assert format_percent(Decimal("0.996455")) == "99.65%"
    assert format_number(Decimal("4.00")) == "4"
    assert format_number(Decimal("100")) == "100"
    assert to_json_number(Decimal("4.00")) == 4
    assert to_json_number(Decimal("0.9965")) == 0.9965


@pytest.mark.parametrize("raw", ["1e99999", "-1e21", 4e-215, "1e-21"])
def test_absurd_magnitudes_are_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="数字过大或过小"):
        to_decimal(raw)


def test_the_magnitude_limits_admit_real_figures() -> None:
    assert to_decimal("6073.094524") and to_decimal(1e20) and to_decimal("0.000001") and to_decimal(0.0) == 0


def _round_in_a_wide_context(value: Decimal, places: int) -> Decimal:
    """`round_half_up` as it was: always in a copy of the context, widened where needed."""
    from decimal import ROUND_HALF_UP, localcontext

    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + places + 2)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e30"), max_value=Decimal("1e30"))
    | st.sampled_from([Decimal("4.625"), Decimal("-0.005"), Decimal("1e20") / Decimal("3e-6"), Decimal("-0")]),
    st.integers(min_value=-3, max_value=12),
)
@settings(max_examples=400, deadline=None)
def test_rounding_in_the_current_context_equals_a_wide_one(value: Decimal, places: int) -> None:
    expected = _round_in_a_wide_context(value, places)
    got = round_half_up(value, places)
    assert got == expected and str(got) == str(expected)
