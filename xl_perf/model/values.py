"""Values of a data document: one cell value normalised for its field type, and the problems of loading."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal

from xl_perf.errors import BadInputError, Location, quoted
from xl_perf.findings import Ref
from xl_perf.numbers import to_decimal
from xl_perf.rules import model

Value = Decimal | bool | str

YES = {"是", "有", "yes", "true", "y", "1", "√"}
NO = {"否", "无", "no", "false", "n", "0", "×"}


@dataclass(frozen=True)
class ValueProblem:
    """A value that could not be used (text in a number cell, a choice not offered...), kept by lenient loading."""

    key: str
    message: str
    ref: Ref


class Problems:
    """Every problem of loading one data document, collected before failing."""

    def __init__(self, source: str | None, lenient: bool = False) -> None:
        self.source = source
        self.items: list[str] = []
        self.lenient = lenient
        self.values: list[ValueProblem] = []

    def add(self, key: str, message: str, ref: Ref | None = None) -> None:
        """A problem; with a `ref` it concerns one value, which lenient loading drops and reports instead."""
        if self.lenient and ref is not None:
            self.values.append(ValueProblem(key, message, ref))
            return
        self.items.append(f"{key}：{message}")

    def raise_if_any(self) -> None:
        if self.items:
            head = f"数据文档有 {len(self.items)} 处问题" if len(self.items) > 1 else "数据文档有问题"
            raise BadInputError(head + "：\n" + "\n".join(f"  - {p}" for p in self.items), Location(file=self.source))


def suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f"，是否应为“{close[0]}”？" if close else ""


def parse_value(spec_type: str, value: object, options: tuple[str, ...] = ()) -> Value | None:
    """Normalise one cell value for a field type; None for blank. Raises ValueError with a Chinese reason."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if spec_type in model.NUMERIC_TYPES:
        if spec_type == "rate" and isinstance(value, str) and value.endswith(("%", "％")):
            number = to_decimal(value[:-1]) / 100
        else:
            try:
                number = to_decimal(value)
            except ValueError as exc:
                if "过大或过小" in str(exc):
                    raise
                raise ValueError(f"应为数字，实为 {quoted(value)}") from None
        if spec_type == "count" and number != number.to_integral_value():
            raise ValueError(f"应为整数，实为 {quoted(value)}")
        return number
    if spec_type in ("yesno", "havenot"):
        text = str(value).strip().lower()
        if isinstance(value, bool):
            return value
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(f"应填“{options[0]}”或“{options[1]}”，实为 {quoted(value)}")
    if spec_type == "choice":
        if value not in options:
            raise ValueError(f"应为以下之一：{'、'.join(options)}，实为 {quoted(value)}")
        return str(value)
    if spec_type == "date":
        date = _normalise_date(value)
        if date is None:
            raise ValueError(f"应为日期（如 2023年4月27日 或 2023-04-27），实为 {quoted(value)}")
        return date
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise ValueError(f"应为文字，实为 {quoted(value)}")
    return str(value)


_DATE = re.compile(r"^(\d{4})\s*[年\-/.]\s*(\d{1,2})(?:\s*[月\-/.]\s*(\d{1,2})\s*日?)?\s*月?$")


def _normalise_date(value: object) -> str | None:
    """Dates are kept as ISO text: 'YYYY-MM-DD', or 'YYYY-MM' when the form gives only a month."""
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), match.group(3)
    if not 1 <= month <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return None
    return f"{year:04d}-{month:02d}" + ("" if day is None else f"-{int(day):02d}")
