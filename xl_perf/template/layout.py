"""Build the layout of a framework's workbooks from its rule pack.

Positions are 0-based (row, col). Every input cell has a defined name ``xp_<field id>`` and every region that users may
extend (tables, indicator rows) a defined name spanning it, so a workbook stays readable after rows are inserted in
Excel, WPS or LibreOffice (all three move names with the cells).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

from xl_perf.model.document import Document, level_rows, repeat_after
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


def col_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def address(row: int, col: int) -> str:
    return f"{col_letter(col)}{row + 1}"


def text_height(text: str, width: float, line: float = 13.5) -> float:
    """Row height (points) that shows `text` wrapped in a column `width` characters wide (CJK counts double)."""
    capacity = max(1.0, width * 0.9)  # conservative: renderers wrap earlier than the nominal column width
    lines = 0
    for paragraph in text.splitlines() or [""]:
        units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in paragraph)
        lines += max(1, -(-units // int(capacity)))
    return min(409.0, lines * line + 8)


def page_breaks(
    heights: list[float],
    page: float,
    keep_together: list[tuple[int, int]],
    first: int = 0,
    loosely: list[tuple[int, int]] | None = None,
) -> list[int]:
    """Rows before which a new page starts, for rows `first`.. of `heights` (points, as printed) on pages `page`
    points tall. A page ends before the first row that does not fit, or earlier, before a span of `keep_together`
    that would otherwise be split and fits on a page of its own; spans taller than a page are split where they must.
    Spans kept `loosely` (merged cells) are kept whole too, unless that would leave the page less than half full.
    """

    def fitting(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(a, b) for a, b in spans if a < b and sum(heights[a : b + 1]) <= page]

    strict, loose = fitting(keep_together), fitting(loosely or [])
    breaks: list[int] = []
    start, used, row = first, 0.0, first
    while row < len(heights):
        if used + heights[row] <= page or row == start:
            used += heights[row]
            row += 1
            continue
        candidates = range(start + 1, row + 1)
        keeps = [c for c in candidates if not any(a < c <= b for a, b in strict)]
        whole = [c for c in keeps if not any(a < c <= b for a, b in loose)]
        if whole and (whole[-1] == keeps[-1] or sum(heights[start : whole[-1]]) >= page / 2):
            start = whole[-1]
        else:
            start = keeps[-1] if keeps else row
        breaks.append(start)
        used = sum(heights[start:row])  # and `row` is tried again on the new page
    return breaks


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
    title = label[:32]
    if spec_type == "amount":
        if signed:
            return Validation(
                {
                    "validate": "decimal",
                    "criteria": "between",
                    "minimum": -1e12,
                    "maximum": 1e12,
                    "input_title": title,
                    "input_message": f"请输入金额（{unit or '万元'}），可为负数",
                    "error_title": "金额有误",
                    "error_message": "请输入数字金额",
                }
            )
        return Validation(
            {
                "validate": "decimal",
                "criteria": ">=",
                "value": 0,
                "input_title": title,
                "input_message": f"请输入金额（单位：{unit or '万元'}），不能为负数",
                "error_title": "金额有误",
                "error_message": f"金额须为不小于0的数字（单位：{unit or '万元'}）",
            }
        )
    if spec_type == "count":
        return Validation(
            {
                "validate": "integer",
                "criteria": ">=",
                "value": 0,
                "input_title": title,
                "input_message": f"请输入个数（{unit or '个'}），整数",
                "error_title": "个数有误",
                "error_message": "个数须为不小于0的整数",
            }
        )
    if spec_type in ("number", "score"):
        low = float(minimum) if minimum is not None else 0
        high = float(maximum) if maximum is not None else 1e9
        return Validation(
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": low,
                "maximum": high,
                "input_title": title,
                "input_message": f"请输入 {low:g} 至 {high:g} 之间的数字",
                "error_title": "数值有误",
                "error_message": f"须为 {low:g} 至 {high:g} 之间的数字",
            }
        )
    if spec_type == "rate":
        return Validation(
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": 100,
                "input_title": title,
                "input_message": "请输入百分比，如 99.65%（可保留公式自动计算）",
                "error_title": "比率有误",
                "error_message": "请输入百分比，如 99.65%",
            }
        )
    if spec_type in ("yesno", "havenot", "choice"):
        return Validation(
            {
                "validate": "list",
                "source": list(options),
                "input_title": title,
                "input_message": "请从下拉列表选择：" + "、".join(options)[:200],
                "error_title": "选项有误",
                "error_message": "请从下拉列表中选择：" + "、".join(options)[:200],
            }
        )
    if spec_type == "date":
        # A full date is a real date; a month alone ("2022年10月") is accepted as text, as the forms write it.
        return Validation(
            {
                "validate": "custom",
                "value": '=OR(ISNUMBER({cell}),ISNUMBER(SEARCH("年",{cell})))',
                "input_title": title,
                "input_message": "请输入日期，如 2023-04-27，或“2022年10月”",
                "error_title": "日期有误",
                "error_message": "请输入日期，如 2023-04-27，或“2022年10月”",
            }
        )
    if spec_type in ("text", "longtext"):
        return Validation(
            {
                "validate": "length",
                "criteria": "<=",
                "value": 2000,
                "input_title": title,
                "input_message": "请输入文字",
                "error_title": "文字过长",
                "error_message": "不超过2000字",
            }
        )
    return None


# --- the builder -----------------------------------------------------------------------------------------------


@dataclass
class _Context:
    doc: Document
    builder: FormulaBuilder
    spare_rows: int

    @property
    def pack(self) -> model.RulePack:
        return self.doc.pack

    def text(self, template: str) -> str:
        return self.doc.text(template)


def build(doc: Document, builder: FormulaBuilder, spare_rows: int = 3) -> Layout:
    """Lay out `doc`'s framework. `doc` supplies year, level, unit, parameters and how many rows the data needs;
    a blank template is built from an empty document of the same framework."""
    ctx = _Context(doc, builder, spare_rows)
    slots = {t.id: _table_slots(ctx, t) for t in ctx.pack.tables}
    row_slots = max(ctx.pack.rows.min_rows if ctx.pack.rows else 0, len(doc.rows) + spare_rows) if ctx.pack.rows else 0
    layout = Layout(ctx.pack, doc.year, doc.level, doc.unit, [], slots, row_slots, {})
    for sheet_spec in ctx.pack.sheets:
        sheet = Sheet(sheet_spec.id, _tab_name(ctx, sheet_spec))
        _lay_sheet(ctx, layout, sheet, sheet_spec)
        layout.sheets.append(sheet)
    layout.meta = {
        "layout": LAYOUT_VERSION,
        "framework": ctx.pack.id,
        "year": str(doc.year),
        "level": doc.level,
        "unit": doc.unit,
        "row_slots": str(row_slots),
        **{f"slots.{t}": str(len(s)) for t, s in slots.items()},
        "params": json.dumps(doc.params, ensure_ascii=False, sort_keys=True),
        "options": json.dumps(doc.options, ensure_ascii=False, sort_keys=True),
        "not_applicable": json.dumps(list(doc.not_applicable)),
    }
    return layout


def _tab_name(ctx: _Context, sheet: model.Sheet) -> str:
    title = ctx.text(sheet.title)
    for old, new in (
        ("整体绩效自评基础数据表", "整体基础数据"),
        ("项目支出绩效自评基础数据表", "项目基础数据"),
        ("整体绩效自评指标评分表", "整体评分表"),
        ("项目支出绩效自评指标评分表", "项目评分表"),
    ):
        title = title.replace(old, new)
    for ch in "[]:*?/\\":
        title = title.replace(ch, "")
    return title[:31]


def _table_slots(ctx: _Context, table: model.TableSpec) -> list[TableSlot]:
    rows = level_rows(ctx.doc, table)
    filled = ctx.doc.tables.get(table.id, [])
    slots: list[TableSlot] = []
    for spec in rows:
        if spec.repeat:
            continue
        slots.append(TableSlot(spec.id, ctx.text(spec.label), False, ""))
        repeat = repeat_after(rows, spec)
        if repeat is None:
            continue
        used = _rows_in_group(filled, spec.id, repeat.id)
        for _ in range(max(repeat.min, used + ctx.spare_rows)):
            slots.append(TableSlot(repeat.id, "", True, repeat.id))
    return slots


def _rows_in_group(filled: list, fixed_id: str, repeat_id: str) -> int:
    count = 0
    inside = False
    for row in filled:
        if row.row_id == fixed_id:
            inside = True
        elif row.row_id == repeat_id and inside:
            count += 1
        elif row.row_id != repeat_id:
            inside = False
    return count


def _sheet_blocks(ctx: _Context, sheet: model.Sheet) -> list[tuple[str, object]]:
    blocks: list[tuple[str, object]] = []
    sections = [s for s in ctx.pack.sections if s.sheet == sheet.id and s.label != "落款"]
    tables = [t for t in ctx.pack.tables if t.sheet == sheet.id]
    # As on the forms: the identifying section first, then the money table, then the rest.
    if sections and tables:
        blocks.append(("section", sections.pop(0)))
    blocks += [("table", t) for t in tables]
    blocks += [("section", s) for s in sections]
    if ctx.pack.rows is not None and sheet.id == _rows_sheet(ctx.pack):
        blocks.append(("rows", ctx.pack.rows))
    if sheet.id == _score_sheet(ctx.pack) and ctx.pack.family != "mof":
        blocks.append(("scores", None))
    if sheet.id == _rates_sheet(ctx.pack):
        blocks.append(("rates", None))
    for section in ctx.pack.sections:
        if section.sheet == sheet.id and section.label == "落款":
            blocks.append(("section", section))
    return blocks


def _rates_sheet(pack: model.RulePack) -> str:
    """Where the computed rates are listed: after the data they come from, before the scoring table."""
    data_sheets = [s.id for s in pack.sheets if s.id != "scores"]
    return data_sheets[-1]


def _rows_sheet(pack: model.RulePack) -> str:
    return pack.sheets[0].id if pack.family == "mof" else "basic"


def _score_sheet(pack: model.RulePack) -> str:
    return pack.sheets[0].id if pack.family == "mof" else "scores"


def _grid(ctx: _Context, sheet: model.Sheet) -> int:
    width = 8
    for table in ctx.pack.tables:
        if table.sheet == sheet.id:
            width = max(width, len(table.columns) + 1)
    if sheet.id == _score_sheet(ctx.pack) and ctx.pack.family != "mof":
        width = max(width, 2 * _depth(ctx.pack) + 4)
    return width


def _depth(pack: model.RulePack) -> int:
    return max(len(i.path) for i in pack.indicators)


def _lay_sheet(ctx: _Context, layout: Layout, sheet: Sheet, spec: model.Sheet) -> None:
    grid = _grid(ctx, spec)
    sheet.print_cols = grid
    row = 0
    sheet.put(row, 0, Cell(ctx.text(spec.title), "title", span=(1, grid)))
    sheet.heights[row] = 30
    row += 1
    if spec.subtitle:
        sheet.put(row, 0, Cell(ctx.text(spec.subtitle), "subtitle", span=(1, grid)))
        row += 1
    unit_line = "单位：" + ctx.doc.unit if spec.id == "scores" else ""
    if spec.unit_note or unit_line:
        if unit_line:
            label = "项目单位：" if ctx.pack.kind == "xiangmu" else "单位："
            sheet.put(row, 0, Cell(label + ctx.doc.unit, "note", span=(1, max(1, grid - 2))))
        if spec.unit_note:
            sheet.put(row, grid - 2, Cell(ctx.text(spec.unit_note), "note_right", span=(1, 2)))
        row += 1
    if spec.id == "scores" and ctx.pack.kind == "xiangmu":
        project = ctx.doc.fields.get("project_name", "")
        sheet.put(row, 0, Cell(f"项目名称：{project}", "note", span=(1, grid)))
        row += 1
    sheet.repeat_rows = (0, row - 1)
    for kind, block in _sheet_blocks(ctx, spec):
        start = row
        if kind == "section":
            assert isinstance(block, model.Section)
            row = _lay_section(ctx, sheet, block, row, grid)
        elif kind == "table":
            assert isinstance(block, model.TableSpec)
            row = _lay_table(ctx, layout, sheet, block, row, grid)
        elif kind == "rows":
            assert isinstance(block, model.RowLayout)
            row = _lay_rows(ctx, layout, sheet, block, row, grid)
        elif kind == "rates":
            row = _lay_rates(ctx, sheet, row, grid)
        else:
            row = _lay_scores(ctx, sheet, row, grid)
        if sheet.rows_used > start:
            sheet.keep_together.append((start, sheet.rows_used - 1))
    start = row
    row = _lay_footer(ctx, sheet, spec, row, grid)
    if sheet.rows_used > start:  # the 公章 line is not printed alone on the last page
        sheet.keep_together.append((max(0, start - 3), sheet.rows_used - 1))
    for col in range(grid):
        sheet.widths.setdefault(col, 14)


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


def _input_cell(ctx: _Context, spec: model.FieldSpec, span: tuple[int, int]) -> Cell:
    label = ctx.text(spec.label)
    options = tuple(ctx.text(o) for o in spec.options)
    formula = None
    if spec.stated_of is not None:
        formula = ctx.builder.rate(ctx.pack.rates[spec.stated_of])
    style = input_style(spec.type)
    return Cell(
        None,
        style,
        Binding("field", spec.id),
        formula,
        span,
        validation_for(spec.type, options, label, spec.unit, minimum=spec.minimum, maximum=spec.maximum),
        field_name(spec.id),
        spec.type,
    )


def _lay_section(ctx: _Context, sheet: Sheet, section: model.Section, row: int, grid: int) -> int:
    start = row
    pairs = max(1, (grid - 1) // 2)
    label_text = ctx.text(section.label)
    fields = list(section.fields)
    if len(fields) == 1 and ctx.text(fields[0].label) == label_text:
        spec = fields[0]
        sheet.put(row, 0, Cell(label_text, "section"))
        sheet.put(row, 1, _input_cell(ctx, spec, (1, grid - 1)))
        sheet.heights[row] = 48 if spec.type == "longtext" else 20
        return row + 1
    index = 0
    while index < len(fields):
        spec = fields[index]
        if spec.type == "longtext":
            sheet.put(row, 1, Cell(ctx.text(spec.label), "field_label"))
            sheet.heights[row] = max(60.0, text_height(ctx.text(spec.label), sheet.widths.get(1, 14)))
            sheet.put(row, 2, _input_cell(ctx, spec, (1, grid - 2)))
            row += 1
            index += 1
            continue
        col = 1
        for _ in range(pairs):
            if index >= len(fields) or fields[index].type == "longtext":
                break
            spec = fields[index]
            last = col + 2 >= grid - 1 or index + 1 >= len(fields) or fields[index + 1].type == "longtext"
            width = grid - col - 1 if last else 1
            sheet.put(row, col, Cell(ctx.text(spec.label), "field_label"))
            sheet.put(row, col + 1, _input_cell(ctx, spec, (1, width)))
            label_height = text_height(ctx.text(spec.label), sheet.widths.get(col, 14))
            sheet.heights[row] = max(sheet.heights.get(row, 22), label_height)
            col += 2
            index += 1
            if last:
                break
        row += 1
    sheet.put(start, 0, Cell(label_text, "section", span=(row - start, 1)))
    return row


def _header_rows(ctx: _Context, paths: list[tuple[str, ...]], first_col: int, row: int, sheet: Sheet) -> int:
    """Multi-level merged column headers: equal prefixes merge across, short paths merge down."""
    depth = max(len(p) for p in paths)
    for level in range(depth):
        col = 0
        while col < len(paths):
            path = paths[col]
            if level >= len(path):
                col += 1
                continue
            end = col
            while (
                end + 1 < len(paths)
                and len(paths[end + 1]) > level
                and paths[end + 1][: level + 1] == path[: level + 1]
            ):
                end += 1
            down = depth - level if level == len(path) - 1 else 1
            sheet.put(row + level, first_col + col, Cell(path[level], "header", span=(down, end - col + 1)))
            col = end + 1
    for level in range(depth):
        sheet.heights[row + level] = 36 if level == depth - 1 else 22
    return depth


def _lay_table(ctx: _Context, layout: Layout, sheet: Sheet, table: model.TableSpec, row: int, grid: int) -> int:
    paths = [tuple(ctx.text(p) for p in c.path) for c in table.columns]
    depth = max(len(p) for p in paths)
    sheet.put(row, 0, Cell(table.row_header, "header", span=(depth, 1)))
    _header_rows(ctx, paths, 1, row, sheet)
    if sheet.key == table.sheet and len(table.columns) + 1 >= grid:
        sheet.freeze = (row + depth, 1)
        sheet.repeat_rows = (0, row + depth - 1)
    row += depth
    first = row
    for slot_index, slot in enumerate(layout.table_slots[table.id]):
        if slot.repeat:
            label_cell = Cell(
                None,
                "input_label",
                Binding("table_label", table.id, slot_index),
                span=(1, 1),
                validation=validation_for("text", (), table.row_header, ""),
                value_type="text",
            )
        else:
            label_cell = Cell(slot.label, "row_label")
        sheet.put(row, 0, label_cell)
        for col_index, column in enumerate(table.columns):
            style = input_style(column.type)
            sheet.put(
                row,
                1 + col_index,
                Cell(
                    None,
                    style,
                    Binding("table", table.id, slot_index, column.id),
                    None,
                    (1, 1),
                    validation_for(column.type, (), "/".join(paths[col_index]), table.unit, signed=column.signed),
                    None,
                    column.type,
                ),
            )
        row += 1
    sheet.ranges[table_name(table.id)] = (first, 0, row - 1, len(table.columns))
    for cell_id, ref in ctx.pack.cells.items():
        if ref.table != table.id:
            continue
        slot_index = next(i for i, s in enumerate(layout.table_slots[table.id]) if s.row_id == ref.row and not s.repeat)
        col = 1 + [c.id for c in table.columns].index(ref.column)
        sheet.cells[(first + slot_index, col)].name = field_name(cell_id)
    wide = len(table.columns) > 8
    sheet.widths[0] = 24 if wide else 20
    for slot_row in range(first, row):
        label = sheet.cells[(slot_row, 0)].text
        if isinstance(label, str):
            sheet.heights[slot_row] = max(sheet.heights.get(slot_row, 15), text_height(label, sheet.widths[0]))
    for col_index, column in enumerate(table.columns):
        sheet.widths.setdefault(1 + col_index, (8.5 if wide else 11) if column.type == "amount" else 10)
    for note in table.footnotes:
        sheet.put(row, 0, Cell(ctx.text(note), "footnote", span=(1, grid)))
        row += 1
    return row + 1


ROW_KEYS = ("target", "actual", "weight", "score", "reason")


def _lay_rows(ctx: _Context, layout: Layout, sheet: Sheet, rows: model.RowLayout, row: int, grid: int) -> int:
    headers = [*rows.levels, rows.target, rows.actual]
    keys = [f"level{i}" for i in range(len(rows.levels))] + ["target", "actual"]
    if rows.weight:
        headers.append(rows.weight)
        keys.append("weight")
    if rows.score:
        headers.append(rows.score)
        keys.append("score")
    headers.append(rows.reason)
    keys.append("reason")
    sheet.put(row, 0, Cell("绩效指标", "header", span=(1, grid)))
    row += 1
    for col, header in enumerate(headers):
        span = (1, grid - col) if col == len(headers) - 1 else (1, 1)
        sheet.put(row, col, Cell(header, "header", span=span))
    helper = grid
    helper_titles = ["计算分值", "计算得分"] + (["计入得分"] if "score" in keys else [])
    for offset, title in enumerate(helper_titles):
        sheet.put(row, helper + offset, Cell(title, "helper_header"))
        sheet.widths[helper + offset] = 10
    sheet.helper_cols = (helper, helper + len(helper_titles) - 1)
    sheet.heights[row] = 30
    row += 1
    first = row
    last = row + layout.row_slots - 1
    level_cols = tuple(col_letter(i) for i in range(len(rows.levels)))
    weight_col = col_letter(keys.index("weight")) if "weight" in keys else col_letter(helper)
    place = getattr(ctx.builder, "place_rows", None)
    if place is not None:
        letters: dict[str, object] = {"levels": level_cols, "score": col_letter(helper + 1)}
        if "score" in keys:
            letters["stated"] = col_letter(keys.index("score"))
            letters["counted"] = col_letter(helper + 2)
        place(letters, first + 1, last + 1, sheet.name)
    for slot in range(layout.row_slots):
        for col, key in enumerate(keys):
            span = (1, grid - col) if key == "reason" else (1, 1)
            value_type = "score" if key in ("weight", "score") else "text"
            # Names, targets and actuals are text ("≥95%", "100%"): a General cell would turn a typed "100%" into 1.
            style = "input_score" if value_type == "score" else ("input_long" if key == "reason" else "input_text")
            cell = Cell(
                None,
                style,
                Binding("row", "", slot, key),
                None,
                span,
                validation_for(value_type, (), headers[col], ""),
                None,
                value_type,
            )
            sheet.put(row, col, cell)
        refs = RowRefs(
            levels=tuple(f"{c}{row + 1}" for c in level_cols),
            target=address(row, keys.index("target")),
            actual=address(row, keys.index("actual")),
            weight=f"{weight_col}{row + 1}",
            first_row=first + 1,
            last_row=last + 1,
            level_columns=level_cols,
            weight_column=weight_col,
            row=row + 1,
        )
        computed_weight = ctx.builder.row_weight(slot, refs)
        sheet.put(row, helper, Cell(None, "helper", formula=computed_weight))
        score = ctx.builder.row_score(slot, refs)
        sheet.put(row, helper + 1, Cell(None, "helper", formula=score))
        if "score" in keys:
            score_col = keys.index("score")
            sheet.cells[(row, score_col)].formula = f"={col_letter(helper + 1)}{row + 1}"
            counted = ctx.builder.counted(f"{col_letter(helper + 1)}{row + 1}", address(row, score_col), refs.weight)
            sheet.put(row, helper + 2, Cell(None, "helper", formula="=" + counted))
        sheet.heights[row] = 30
        row += 1
    sheet.ranges[ROWS_NAME] = (first, 0, last, helper + len(helper_titles) - 1)
    widths = {"target": 14, "actual": 14, "weight": 7, "score": 7, "reason": 26}
    for col, key in enumerate(keys):
        sheet.widths[col] = widths.get(key, 12 if key != "level2" else 26)
    if ctx.pack.family == "mof":
        row = _lay_mof_totals(ctx, sheet, row, grid, keys)
    return row + 1


def _lay_mof_totals(ctx: _Context, sheet: Sheet, row: int, grid: int, keys: list[str]) -> int:
    """预算执行率 line and 总分 line of the MoF table."""
    execution = ctx.pack.indicator("budget_execution")
    rate = ctx.pack.rates["budget_execution"]
    sheet.put(row, 0, Cell("预算执行率（分值10）", "field_label", span=(1, 2)))
    sheet.put(row, 2, Cell("执行率", "field_label"))
    sheet.put(row, 3, Cell(None, "computed_rate", formula=ctx.builder.rate(rate), name=rate_name(rate.id)))
    sheet.put(row, 4, Cell("得分", "field_label"))
    _score_cells(ctx, sheet, row, 5, execution, grid)
    row += 1
    counted = []
    for indicator in ctx.pack.indicators:
        if isinstance(indicator.rule, model.RowsRule):
            counted.append(ctx.builder.rows_counted(indicator))
        else:
            counted.append(
                ctx.builder.counted(score_name(indicator.id), stated_name(indicator.id), weight_name(indicator.id))
            )
    sheet.put(row, 0, Cell("总分", "field_label", span=(1, 2)))
    stated_sum = _stated_sum(ctx.pack)
    sheet.put(
        row,
        2,
        Cell(None, "input_score", Binding("stated_total"), stated_sum, name=STATED_TOTAL_NAME, value_type="score"),
    )
    sheet.put(row, 3, Cell("计算总分", "field_label"))
    sheet.put(row, 4, Cell(None, "computed", formula=ctx.builder.total(counted, None), name=TOTAL_NAME))
    # Hidden weight and score cells for the row groups, so totals and checks use the same names everywhere.
    helper = grid + 2
    for offset, indicator in enumerate(i for i in ctx.pack.indicators if isinstance(i.rule, model.RowsRule)):
        r = row + 1 + offset
        sheet.put(r, helper, Cell(ctx.text(indicator.name), "helper_header"))
        sheet.put(r, helper + 1, Cell(float(indicator.weight), "helper", name=weight_name(indicator.id)))
        sheet.put(
            r, helper + 2, Cell(None, "helper", formula=ctx.builder.score(indicator), name=score_name(indicator.id))
        )
        sheet.put(
            r, helper + 3, Cell(None, "helper", formula=_row_stated_sum(ctx, indicator), name=stated_name(indicator.id))
        )
    return row + 1


def _stated_sum(pack: model.RulePack) -> str:
    """The form's 合计: the scores it shows, within the bounds the 加减分 rule sets (as `Evaluation.form_total`)."""
    shown = "+".join(f"N({stated_name(i.id)})" for i in pack.indicators)
    adjustment = next((i.rule for i in pack.indicators if isinstance(i.rule, model.BonusPenaltyRule)), None)
    if adjustment is None:
        return "=" + shown
    return f"=MIN(MAX({shown},{adjustment.total_min}),{adjustment.total_max})"


def _row_stated_sum(ctx: _Context, indicator: model.Indicator) -> str | None:
    builder = ctx.builder
    group = getattr(builder, "row_group_stated", None)
    return group(indicator) if group else None


def _score_cells(ctx: _Context, sheet: Sheet, row: int, col: int, indicator: model.Indicator, grid: int) -> None:
    """得分 (input, defaulting to the computed score) plus the tool-owned 计算得分 and 核对 cells beyond the grid."""
    computed = ctx.builder.score(indicator)
    stated_formula = f'=IF({score_name(indicator.id)}="","",{score_name(indicator.id)})' if computed else None
    sheet.put(
        row,
        col,
        Cell(
            None,
            "input_score",
            Binding("score", indicator.id),
            stated_formula,
            validation=validation_for("score", (), "得分", "", minimum=Decimal(-100), maximum=Decimal(100)),
            name=stated_name(indicator.id),
            value_type="score",
        ),
    )
    sheet.put(row, grid, Cell(None, "helper", formula=computed, name=score_name(indicator.id)))
    sheet.put(
        row,
        grid + 1,
        Cell(None, "helper_check", formula=ctx.builder.check(stated_name(indicator.id), score_name(indicator.id))),
    )
    if ctx.pack.family == "mof":
        sheet.put(row, grid + 2, Cell(float(indicator.weight), "helper", name=weight_name(indicator.id)))


def _lay_scores(ctx: _Context, sheet: Sheet, row: int, grid: int) -> int:
    """The Guangdong indicator scoring table: levels of (名称, 分值), 指标说明, 评分标准, 评分说明, 得分."""
    pack = ctx.pack
    depth = _depth(pack)
    names = ["一级指标", "二级指标", "三级指标", "四级指标"][:depth]
    weight_title = "权重(%)" if pack.kind == "zhengti" else "分值"
    sheet.put(row, 0, Cell("评价指标", "header", span=(1, 2 * depth)))
    for i, title in enumerate(("指标说明", "评分标准", "评分说明", "得分")):
        sheet.put(row, 2 * depth + i, Cell(title, "header", span=(3, 1)))
    for level, title in enumerate(names):
        sheet.put(row + 1, 2 * level, Cell(title, "header", span=(1, 2)))
        sheet.put(row + 2, 2 * level, Cell("名称", "header"))
        sheet.put(row + 2, 2 * level + 1, Cell(weight_title, "header"))
    helper_titles = ["计算得分", "核对", "分项1", "分项2", "分项3", "分项4"]
    for offset, title in enumerate(helper_titles):
        sheet.put(row + 2, grid + offset, Cell(title, "helper_header"))
        sheet.widths[grid + offset] = 9
    sheet.helper_cols = (grid, grid + len(helper_titles) - 1)
    sheet.freeze = (row + 3, 0)
    sheet.repeat_rows = (0, row + 2)
    row += 3
    total_row = row
    sheet.put(row, 0, Cell("合计", "row_label"))
    for level in range(depth):
        sheet.put(row, 2 * level + 1, Cell(float(pack.total), "number"))
    row += 1
    groups = {g.path: g for g in pack.groups}
    counted: list[str] = []
    bonus: str | None = None
    starts: dict[tuple[str, ...], int] = {}
    ends: dict[tuple[str, ...], int] = {}
    for indicator in pack.indicators:
        for level in range(1, len(indicator.path)):
            prefix = indicator.path[:level]
            starts.setdefault(prefix, row)
            ends[prefix] = row
        leaf_level = len(indicator.path) - 1
        sheet.put(row, 2 * leaf_level, Cell(ctx.text(indicator.name), "ind_name"))
        if isinstance(indicator.rule, model.BonusPenaltyRule):
            sheet.put(row, 2 * leaf_level + 1, Cell(None, "number"))
        elif indicator.adjustable:
            default = f"={indicator.weight}"
            sheet.put(
                row,
                2 * leaf_level + 1,
                Cell(
                    None,
                    "input_score",
                    Binding("weight", indicator.id),
                    default,
                    name=weight_name(indicator.id),
                    value_type="score",
                ),
            )
        else:
            sheet.put(row, 2 * leaf_level + 1, Cell(float(indicator.weight), "number", name=weight_name(indicator.id)))
        sheet.put(row, 2 * depth, Cell(ctx.text(indicator.explain), "long"))
        sheet.put(row, 2 * depth + 1, Cell(ctx.text(indicator.criteria), "long"))
        sheet.put(row, 2 * depth + 2, Cell(None, "input_long"))
        _score_cells(ctx, sheet, row, 2 * depth + 3, indicator, grid)
        parts = indicator.rule.parts if isinstance(indicator.rule, model.SumRule) else ()
        for offset, part in enumerate(parts[:4]):
            part_formula = ctx.builder.part(indicator, part)
            sheet.put(
                row,
                grid + 2 + offset,
                Cell(None, "helper", formula=part_formula, name=f"xp_part_{indicator.id}_{part.id}"),
            )
        sheet.heights[row] = max(
            30.0, text_height(ctx.text(indicator.explain), 30, 12), text_height(ctx.text(indicator.criteria), 48, 12)
        )
        if isinstance(indicator.rule, model.BonusPenaltyRule):
            bonus = score_name(indicator.id)
        else:
            counted.append(
                ctx.builder.counted(score_name(indicator.id), stated_name(indicator.id), weight_name(indicator.id))
            )
        row += 1
    for prefix, start in starts.items():
        level = len(prefix) - 1
        span = (ends[prefix] - start + 1, 1)
        sheet.put(start, 2 * level, Cell(ctx.text(prefix[-1]), "group_name", span=span))
        group = groups.get(prefix)
        weight: float | str | None = float(group.weight) if group and group.weight is not None else None
        formula = None
        if group is not None and group.weight is None:
            children = [i for i in pack.indicators if i.path[: len(prefix)] == prefix]
            formula = "=" + "+".join(weight_name(c.id) for c in children)
            # Stored as the formula's cached value, for readers that do not recalculate.
            weight = float(sum((ctx.doc.weights.get(c.id, c.weight) for c in children), Decimal(0)))
        sheet.put(start, 2 * level + 1, Cell(weight, "number", formula=formula, span=span))
    stated_sum = _stated_sum(pack)
    sheet.put(
        total_row,
        2 * depth + 3,
        Cell(None, "input_score", Binding("stated_total"), stated_sum, name=STATED_TOTAL_NAME, value_type="score"),
    )
    sheet.put(total_row, grid, Cell(None, "helper", formula=ctx.builder.total(counted, bonus), name=TOTAL_NAME))
    sheet.put(total_row, grid + 1, Cell(None, "helper_check", formula=ctx.builder.check(STATED_TOTAL_NAME, TOTAL_NAME)))
    depth_widths = [9, 5] * depth
    for col, width in enumerate(depth_widths):
        sheet.widths[col] = width
    sheet.widths[2 * depth] = 30
    sheet.widths[2 * depth + 1] = 48
    sheet.widths[2 * depth + 2] = 12
    sheet.widths[2 * depth + 3] = 7
    if pack.note:
        sheet.put(row, 0, Cell(ctx.text(pack.note), "footnote", span=(1, grid)))
        row += 1
    return row


def _lay_rates(ctx: _Context, sheet: Sheet, row: int, grid: int) -> int:
    """Every rate of the pack, computed from the inputs above (named xp_rate_<id>, used by the scoring formulas)."""
    placed = {cell.name for s in [sheet] for cell in s.cells.values() if cell.name}
    rates = [r for r in ctx.pack.rates.values() if rate_name(r.id) not in placed]
    if ctx.pack.family == "mof":
        # The MoF table shows the execution rate on its own line, laid out after the indicator rows.
        rates = [r for r in rates if r.id != ctx.pack.options.execution_rate]
    if not rates:
        return row
    sheet.put(row, 0, Cell("自动计算的比率（由上方数据计算，不需填写）", "header", span=(1, grid)))
    row += 1
    for rate in rates:
        sheet.put(row, 0, Cell(ctx.text(rate.name), "field_label", span=(1, 2)))
        sheet.put(row, 2, Cell(None, "computed_rate", formula=ctx.builder.rate(rate), name=rate_name(rate.id)))
        formula_text = rate.formula.to_text(lambda n: _input_label(ctx, n))
        sheet.put(row, 3, Cell(formula_text, "long", span=(1, grid - 3)))
        sheet.heights[row] = 30
        row += 1
    return row + 1


def _input_label(ctx: _Context, name: str) -> str:
    if name in ctx.pack.rates:
        return ctx.text(ctx.pack.rates[name].name)
    if name in ctx.pack.fields:
        spec = ctx.pack.fields[name]
        label = ctx.text(spec.label)
        same = [f for f in ctx.pack.fields.values() if ctx.text(f.label) == label]
        return label if len(same) == 1 else f"{ctx.text(spec.section)}·{label}"
    cell = ctx.pack.cells[name]
    table = ctx.pack.table(cell.table)
    row = next(r for r in table.rows if r.id == cell.row)
    column = table.column(cell.column)
    return f"{ctx.text(row.label)}{ctx.text(column.path[-1])}"


def _lay_footer(ctx: _Context, sheet: Sheet, spec: model.Sheet, row: int, grid: int) -> int:
    words = ctx.doc.words
    if spec.id == "scores":
        return row
    unit_label = words.get("budget_unit", "填报单位")
    sheet.put(row, 0, Cell(f"{unit_label}：{ctx.doc.unit}（公章）", "footer", span=(1, max(1, grid - 3))))
    row += 1
    return row
