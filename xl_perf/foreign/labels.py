"""Labels of self-evaluation forms others made, and a sheet's cells as a form reader sees them.

Forms print the same things under many names ("全年预算数", "调整后预算数", "调整预算数（A）"), with line breaks inside
cells ("年度\\n指标值"), full- or half-width brackets, points after group names ("产出指标(50分)"), MoF unit codes
before unit names ("219001-某某镇人民政府") and the template's placeholders ("指标1", "……"). Labels are compared in
one normal form (`key`); values keep their own characters except for line breaks.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from xl_perf.io.workbook import CellValue, SnapshotWorkbook

_SPACES = re.compile(r"\s+")
_HEADER_NOTE = re.compile(r"[(（][A-Za-z/%分]+[)）]$")  # "指标值(A)", "执行率(B/A)", "指标权重(分)", "得分系数(%)"
_POINTS = re.compile(r"\s*[(（]\s*\d+(?:\.\d+)?\s*分\s*[)）]\s*$")  # "产出指标(50分)"
_CODE = re.compile(r"^\d{3,}\s*[-－—]\s*")  # "219001-池州市…"
_PLACEHOLDER = re.compile(r"^(?:指标\s*\d*\s*[:：]?|[…\.。]+)$")
_PLACEHOLDER_PREFIX = re.compile(r"^指标\s*\d+\s*[:：]?\s*(?=\S)")  # "指标1工程资金金额" -> "工程资金金额"
PROMPT_MARKS = ("字以内", "字左右")  # a form's instruction printed where the value goes ("(100字以内)")


def key(text: str) -> str:
    """The normal form labels are compared in: NFKC (full-width brackets and colons become ASCII), no whitespace,
    no trailing colon, no header note such as "(A)" or "(分)"."""
    folded = _SPACES.sub("", unicodedata.normalize("NFKC", text)).rstrip(":")
    return _HEADER_NOTE.sub("", folded)


def clean(text: str) -> str:
    """A value as printed, without the line breaks a narrow cell forced and without surrounding blanks."""
    return re.sub(r"[\r\n]+\s*", "", text).strip()


def level_name(text: str) -> str:
    """An 一级/二级 name: no blanks inside ("经济效益\\n指标"), no points after it ("产出指标(50分)")."""
    return _POINTS.sub("", _SPACES.sub("", text))


def points_of(text: str) -> Decimal | None:
    """The points a group label prints ("项目产出（30分）" -> 30), None when it prints none."""
    match = re.search(r"[(（]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]\s*$", text)
    return Decimal(match.group(1)) if match else None


def indicator_name(text: str) -> str:
    """A 三级 name without the template's numbering ("指标1工程资金金额" -> "工程资金金额"); "" for a placeholder."""
    name = clean(text)
    if _PLACEHOLDER.match(name):
        return ""
    return _PLACEHOLDER_PREFIX.sub("", name)


def without_code(name: str) -> str:
    """A unit name without the MoF unit code printed before it ("219001-池州市贵池区棠溪镇人民政府")."""
    return _CODE.sub("", name).strip()


def is_prompt(text: str) -> bool:
    return any(mark in text for mark in PROMPT_MARKS)


def number_text(value: CellValue) -> str:
    """A cell as the text of a target or actual: numbers without float noise (37.24, not 37.240000000000002)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            return str(value)
        if number == number.to_integral_value():
            return format(number.to_integral_value(), "f")  # quantize fails beyond 28 digits (1e30)
        return format(number.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    return clean(str(value))


def amount(value: CellValue) -> float | int | None:
    """A money or count cell as a JSON number; None for blank, "/" and other non-numbers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    text = key(str(value)).replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else float(text)


def cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


@dataclass(frozen=True)
class Hit:
    """A label found on a sheet: where, and as what (its normal form)."""

    sheet: str
    row: int
    col: int
    label: str

    @property
    def cell(self) -> str:
        return f"{self.sheet}!{cell_name(self.row, self.col)}"


class Sheet:
    """One sheet's filled cells, with the look-ups a label-finding reader needs."""

    def __init__(self, book: SnapshotWorkbook, name: str) -> None:
        self.name = name
        self.cells = {pos: value for pos, value in book.sheets.get(name, {}).items() if _filled(value)}
        self.height = 1 + max((r for r, _ in self.cells), default=-1)
        self.width = 1 + max((c for _, c in self.cells), default=-1)
        self._keys = {pos: key(str(v)) for pos, v in self.cells.items() if isinstance(v, str)}

    def value(self, row: int, col: int) -> CellValue:
        return self.cells.get((row, col))

    def text(self, row: int, col: int) -> str:
        value = self.cells.get((row, col))
        return "" if value is None else number_text(value)

    def key_at(self, row: int, col: int) -> str:
        return self._keys.get((row, col), "")

    def where(self, row: int, col: int) -> str:
        return f"{self.name}!{cell_name(row, col)}"

    def row_cells(self, row: int) -> list[tuple[int, CellValue]]:
        return sorted((c, v) for (r, c), v in self.cells.items() if r == row)

    def find(self, names: Iterable[str], rows: range | None = None) -> Hit | None:
        """The first cell (top to bottom, left to right) whose label is one of `names` (compared in normal form)."""
        wanted = {key(n) for n in names}
        for (r, c), label in sorted(self._keys.items()):
            if label in wanted and (rows is None or r in rows):
                return Hit(self.name, r, c, label)
        return None

    def find_all(self, names: Iterable[str]) -> list[Hit]:
        wanted = {key(n) for n in names}
        return [Hit(self.name, r, c, label) for (r, c), label in sorted(self._keys.items()) if label in wanted]


def _filled(value: CellValue) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
