"""Build the layout of a framework's workbooks from its rule pack.

Positions are 0-based (row, col). Every input cell has a defined name ``xp_<field id>`` and every region that users may
extend (tables, indicator rows) a defined name spanning it, so a workbook stays readable after rows are inserted in
Excel, WPS or LibreOffice (all three move names with the cells).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

from xl_perf.model.document import Document
from xl_perf.rules import model

BindingKind = Literal["field", "table", "table_label", "row", "score", "weight", "stated_total"]
META_SHEET = "_xlperf"
LAYOUT_VERSION = "1"


@dataclass(frozen=True)
class Binding:
    """What a cell holds in data-document terms."""

    kind: BindingKind
    id: str = ""  # field, table or indicator id
    slot: int = -1  # table row slot or indicator-row slot
    column: str = ""  # table column id, or indicator-row key: "level0".."level3", target, actual, weight, score, reason


@dataclass(frozen=True)
class Validation:
    """Data validation in XlsxWriter's vocabulary, with Chinese prompt and error texts."""

    options: dict[str, object]


@dataclass
class Cell:
    text: str | float | None = None
    style: str = "label"
    binding: Binding | None = None
    formula: str | None = None  # computed cell, or the default of an overridable input
    span: tuple[int, int] = (1, 1)
    validation: Validation | None = None
    name: str | None = None
    value_type: str = ""  # field type of a bound cell: amount, rate, date, yesno, text, ...

    @property
    def is_input(self) -> bool:
        return self.binding is not None


@dataclass
class Sheet:
    key: str
    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    ranges: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # name -> (r1, c1, r2, c2)
    freeze: tuple[int, int] = (0, 0)
    repeat_rows: tuple[int, int] | None = None
    print_cols: int = 1
    rows_used: int = 0
    helper_cols: tuple[int, int] | None = None  # tool-owned helper columns outside the print area
    # Rows (first, last) printed on one page when they fit on one: each section and table, and the sign-off line
    # with the rows just above it; merged cells are kept whole as well (see page_breaks).
    keep_together: list[tuple[int, int]] = field(default_factory=list)

    def put(self, row: int, col: int, cell: Cell) -> Cell:
        self.cells[(row, col)] = cell
        self.rows_used = max(self.rows_used, row + cell.span[0])
        return cell

    def names(self) -> Iterator[tuple[str, int, int]]:
        for (row, col), cell in self.cells.items():
            if cell.name:
                yield cell.name, row, col


@dataclass(frozen=True)
class TableSlot:
    """One layout row of a table: a fixed row, or one of the slots of a repeating row group."""

    row_id: str
    label: str  # the fixed label, or "" for repeat slots (the label is an input)
    repeat: bool
    group: str  # the repeating spec id this slot belongs to ("" for fixed rows)


@dataclass
class Layout:
    pack: model.RulePack
    year: int
    level: str
    unit: str
    sheets: list[Sheet]
    table_slots: dict[str, list[TableSlot]]
    row_slots: int
    meta: dict[str, str]

    def sheet(self, key: str) -> Sheet:
        return next(s for s in self.sheets if s.key == key)

    # What the writer (`io.xlsx_writer.WorkbookSpec`) asks of a workbook beyond its sheets.
    @property
    def title(self) -> str:
        return self.pack.title

    @property
    def meta_sheet(self) -> str:
        return META_SHEET


class FormulaBuilder(Protocol):
    """Formula text for computed cells. Names passed in are defined names of the workbook."""

    def rate(self, rate: model.Rate) -> str: ...
    def score(self, indicator: model.Indicator) -> str | None: ...
    def part(self, indicator: model.Indicator, part: model.Part) -> str | None: ...
    def row_score(self, slot: int, layout_refs: RowRefs) -> str: ...
    def row_weight(self, slot: int, layout_refs: RowRefs) -> str | None: ...
    def counted(self, computed: str, stated: str, weight: str) -> str: ...
    def rows_counted(self, indicator: model.Indicator) -> str: ...
    def total(self, counted_cells: list[str], bonus: str | None) -> str: ...
    def check(self, stated: str, computed: str) -> str: ...


@dataclass(frozen=True)
class RowRefs:
    """Cell addresses (same sheet, relative to one indicator row) the row formulas use."""

    levels: tuple[str, ...]
    target: str
    actual: str
    weight: str  # the weight cell used for scoring (input for MoF, computed for Guangdong)
    first_row: int  # 1-based sheet rows of the whole rows region, for group-wide formulas
    last_row: int
    level_columns: tuple[str, ...]  # column letters of the level cells
    weight_column: str
    row: int  # 1-based


# --- names -------------------------------------------------------------------------------------------------------


def field_name(field_id: str) -> str:
    return f"xp_{field_id}"


def rate_name(rate_id: str) -> str:
    return f"xp_rate_{rate_id}"


def score_name(indicator_id: str) -> str:
    return f"xp_score_{indicator_id}"


def stated_name(indicator_id: str) -> str:
    return f"xp_stated_{indicator_id}"


def weight_name(indicator_id: str) -> str:
    return f"xp_weight_{indicator_id}"


def table_name(table_id: str) -> str:
    return f"xp_table_{table_id}"


ROWS_NAME = "xp_rows"
TOTAL_NAME = "xp_total"
STATED_TOTAL_NAME = "xp_stated_total"


# --- validation ------------------------------------------------------------------------------------------------


def validation_for(
    spec_type: str,
    options: tuple[str, ...],
    label: str,
    unit: str,
    signed: bool = False,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
) -> Validation | None:
    """The data validation of an input of `spec_type`, titled `label` (none for "": a field's label stands beside
    its cell, and an untitled rule is shared by every field of its type, one rule for all of them)."""
    rule = _rule(spec_type, options, unit, signed, minimum, maximum)
    if rule is None:
        return None
    return Validation({**rule, "input_title": label[:32]} if label else rule)


def _rule(
    spec_type: str,
    options: tuple[str, ...],
    unit: str,
    signed: bool,
    minimum: Decimal | None,
    maximum: Decimal | None,
) -> dict[str, object] | None:
    if spec_type == "amount":
        if signed:
            return _between(
                -1e12, 1e12, "decimal", f"请输入金额（{unit or '万元'}），可为负数", "金额有误", "请输入数字金额"
            )
        money = unit or "万元"
        return _at_least(
            "decimal", f"请输入金额（单位：{money}），不能为负数", "金额有误", f"金额须为不小于0的数字（单位：{money}）"
        )
    if spec_type == "count":
        return _at_least("integer", f"请输入个数（{unit or '个'}），整数", "个数有误", "个数须为不小于0的整数")
    if spec_type in ("number", "score"):
        low = float(minimum) if minimum is not None else 0
        high = float(maximum) if maximum is not None else 1e9
        span = f"{low:g} 至 {high:g} 之间的数字"
        return _between(low, high, "decimal", f"请输入 {span}", "数值有误", f"须为 {span}")
    if spec_type == "rate":
        message = "请输入百分比，如 99.65%"
        return _between(0, 100, "decimal", message + "（可保留公式自动计算）", "比率有误", message)
    if spec_type in ("yesno", "havenot", "choice"):
        listed = "、".join(options)[:200]
        return _messages(
            {"validate": "list", "source": list(options)},
            "请从下拉列表选择：" + listed,
            "选项有误",
            "请从下拉列表中选择：" + listed,
        )
    if spec_type == "date":
        # A full date is a real date; a month alone ("2022年10月") is accepted as text, as the forms write it.
        message = "请输入日期，如 2023-04-27，或“2022年10月”"
        formula = '=OR(ISNUMBER({cell}),ISNUMBER(SEARCH("年",{cell})))'
        return _messages({"validate": "custom", "value": formula}, message, "日期有误", message)
    if spec_type in ("text", "longtext"):
        length = {"validate": "length", "criteria": "<=", "value": 2000}
        return _messages(length, "请输入文字", "文字过长", "不超过2000字")
    return None


def _messages(rule: Mapping[str, object], prompt: str, error_title: str, error: str) -> dict[str, object]:
    return {**rule, "input_message": prompt, "error_title": error_title, "error_message": error}


def _between(low: float, high: float, kind: str, prompt: str, error_title: str, error: str) -> dict[str, object]:
    rule: dict[str, object] = {"validate": kind, "criteria": "between", "minimum": low, "maximum": high}
    return _messages(rule, prompt, error_title, error)


def _at_least(kind: str, prompt: str, error_title: str, error: str) -> dict[str, object]:
    return _messages({"validate": kind, "criteria": ">=", "value": 0}, prompt, error_title, error)


# --- input cells -------------------------------------------------------------------------------------------


# The writer's style of an input cell of each type: the number format makes what a unit types read back as that type
# (a date typed into a General cell is saved as a bare serial number; a text of digits, such as a 文号 or a phone
# number with a leading 0, stays text only in a text-formatted cell).
INPUT_STYLES = {
    "longtext": "input_long",
    "text": "input_text",
    "rate": "input_rate",
    "amount": "input_amount",
    "date": "input_date",
}


def input_style(spec_type: str) -> str:
    return INPUT_STYLES.get(spec_type, "input")


@dataclass
class Context:
    """What laying out a workbook works from: the document, the formula builder and the spare rows wanted."""

    doc: Document
    builder: FormulaBuilder
    spare_rows: int

    @property
    def pack(self) -> model.RulePack:
        return self.doc.pack

    def text(self, template: str) -> str:
        return self.doc.text(template)
