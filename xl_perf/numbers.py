"""Exact arithmetic for money, rates and scores.

Every value that reaches a score goes through Decimal. Floats from spreadsheet readers are converted through their
shortest 15-significant-digit form, which is what Excel and LibreOffice display and round, so that a cell holding
163185.46499999997 rounds like the spreadsheet does (to .47) rather than like binary floating point.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, getcontext, localcontext

from xl_perf.errors import quoted

TWO_PLACES = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Convert int, float, Decimal or a plain numeric string to Decimal; raise ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"布尔值不是数字：{quoted(value)}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"不是有限数字：{quoted(value)}")
        return _in_range(Decimal(f"{value:.15g}"), value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"不是数字：{quoted(value)}") from None
        if not result.is_finite():
            raise ValueError(f"不是有限数字：{quoted(value)}")
        return _in_range(result, value)
    raise ValueError(f"不是数字：{quoted(value)}")


def _in_range(number: Decimal, raw: object) -> Decimal:
    """Amounts, rates and scores live between 1e-20 and 1e20; anything else is a typing accident, not data."""
    if number and not -20 <= number.adjusted() <= 20:
        raise ValueError(f"数字过大或过小：{quoted(raw)}")
    return number


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(9)}  # 1, 0.1, ... 1E-8


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """四舍五入 to `places` decimals (the official rule), unlike Python's banker's rounding."""
    quantum = _QUANTA.get(places)
    if quantum is None:
        quantum = Decimal(1).scaleb(-places)
    # The result has adjusted() + places + 1 digits at most. The current context holds that many (the usual case: it
    # is the context the wider one below would copy, unchanged); a ratio of extreme inputs (1e20 / 1e-6) needs a wider
    # one, so that it rounds instead of overflowing the default 28 digits.
    if value.adjusted() + places + 2 <= getcontext().prec:
        return value.quantize(quantum, rounding=ROUND_HALF_UP)
    with localcontext() as context:
        context.prec = value.adjusted() + places + 2
        return value.quantize(quantum, rounding=ROUND_HALF_UP)


def score2(value: Decimal) -> Decimal:
    """A score as the official tables state it: half-up to two places."""
    return round_half_up(value, 2)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def format_percent(rate: Decimal, places: int = 2) -> str:
    """0.99645 -> '99.65%' (half-up on the percentage, as displayed in the forms)."""
    return f"{round_half_up(rate * 100, places)}%"


def format_number(value: Decimal) -> str:
    """Plain text without exponent or trailing zeros: Decimal('4.00') -> '4', Decimal('4.630') -> '4.63'."""
    normalized = value.normalize()
    text = format(normalized, "f")
    return text


def to_json_number(value: Decimal) -> int | float:
    """JSON output: integers stay integers, everything else becomes the nearest float of the decimal text."""
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return int(normalized)
    return float(normalized)
