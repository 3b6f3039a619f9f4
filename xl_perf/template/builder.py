"""Build the layout of a framework's workbooks from its rule pack: sheets, their sections of fields, the money
tables and the computed rates (the scoring parts are `template.scoring`'s).

Positions are 0-based (row, col). Every input cell has a defined name ``xp_<field id>`` and every region that users may
extend (tables, indicator rows) a defined name spanning it, so a workbook stays readable after rows are inserted in
Excel, WPS or LibreOffice (all three move names with the cells).
"""

from __future__ import annotations

import json

from xl_perf.io.pages import text_height
from xl_perf.model.document import Document, level_rows, repeat_after
from xl_perf.rules import model
from xl_perf.template import scoring
from xl_perf.template.layout import (
    LAYOUT_VERSION,
    Binding,
    Cell,
    Context,
    FormulaBuilder,
    Layout,
    Sheet,
    TableSlot,
    field_name,
    input_style,
    rate_name,
    table_name,
    validation_for,
)


def build(doc: Document, builder: FormulaBuilder, spare_rows: int = 3) -> Layout:
    """Lay out `doc`'s framework. `doc` supplies year, level, unit, parameters and how many rows the data needs;
    a blank template is built from an empty document of the same framework."""
    ctx = Context(doc, builder, spare_rows)
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


def _tab_name(ctx: Context, sheet: model.Sheet) -> str:
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


def _table_slots(ctx: Context, table: model.TableSpec) -> list[TableSlot]:
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


def _sheet_blocks(ctx: Context, sheet: model.Sheet) -> list[tuple[str, object]]:
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
    if sheet.id == _score_sheet(ctx.pack) and not scoring.scored_under_rows(ctx.pack):
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
    return pack.sheets[0].id if scoring.scored_under_rows(pack) else "basic"


def _score_sheet(pack: model.RulePack) -> str:
    return pack.sheets[0].id if scoring.scored_under_rows(pack) else "scores"


def _grid(ctx: Context, sheet: model.Sheet) -> int:
    width = 8
    for table in ctx.pack.tables:
        if table.sheet == sheet.id:
            width = max(width, len(table.columns) + 1)
    if sheet.id == _score_sheet(ctx.pack) and not scoring.scored_under_rows(ctx.pack):
        width = max(width, 2 * scoring.indicator_depth(ctx.pack) + 4)
    return width


def _lay_sheet(ctx: Context, layout: Layout, sheet: Sheet, spec: model.Sheet) -> None:
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
            row = scoring.lay_rows(ctx, layout, sheet, block, row, grid)
        elif kind == "rates":
            row = _lay_rates(ctx, sheet, row, grid)
        else:
            row = scoring.lay_scores(ctx, sheet, row, grid)
        if sheet.rows_used > start:
            sheet.keep_together.append((start, sheet.rows_used - 1))
    start = row
    row = _lay_footer(ctx, sheet, spec, row, grid)
    if sheet.rows_used > start:  # the 公章 line is not printed alone on the last page
        sheet.keep_together.append((max(0, start - 3), sheet.rows_used - 1))
    for col in range(grid):
        sheet.widths.setdefault(col, 14)


def _input_cell(ctx: Context, spec: model.FieldSpec, span: tuple[int, int]) -> Cell:
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
        # Untitled: the field's label is beside the cell, and fields of one type share one validation rule.
        validation_for(spec.type, options, "", spec.unit, minimum=spec.minimum, maximum=spec.maximum),
        field_name(spec.id),
        spec.type,
    )


def _lay_section(ctx: Context, sheet: Sheet, section: model.Section, row: int, grid: int) -> int:
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


def _header_rows(ctx: Context, paths: list[tuple[str, ...]], first_col: int, row: int, sheet: Sheet) -> int:
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


def _lay_table(ctx: Context, layout: Layout, sheet: Sheet, table: model.TableSpec, row: int, grid: int) -> int:
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


def _lay_rates(ctx: Context, sheet: Sheet, row: int, grid: int) -> int:
    """Every rate of the pack, computed from the inputs above (named xp_rate_<id>, used by the scoring formulas)."""
    placed = {cell.name for s in [sheet] for cell in s.cells.values() if cell.name}
    rates = [r for r in ctx.pack.rates.values() if rate_name(r.id) not in placed]
    if ctx.pack.rows is not None:
        # A rate with a score line of its own is shown there, under the indicator rows.
        rates = [r for r in rates if r.id not in {line.rate for line in ctx.pack.rows.score_lines}]
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


def _input_label(ctx: Context, name: str) -> str:
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


def _lay_footer(ctx: Context, sheet: Sheet, spec: model.Sheet, row: int, grid: int) -> int:
    words = ctx.doc.words
    if spec.id == "scores":
        return row
    unit_label = words.get("budget_unit", "填报单位")
    sheet.put(row, 0, Cell(f"{unit_label}：{ctx.doc.unit}（公章）", "footer", span=(1, max(1, grid - 3))))
    row += 1
    return row
