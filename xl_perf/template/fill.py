"""Data document -> cell values of a layout, and engine results -> cached values of its computed cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from xl_perf.io.xlsx_writer import CellValue
from xl_perf.model.document import Document, TableRow
from xl_perf.model.evaluation import Evaluation, shown_score
from xl_perf.rules import model
from xl_perf.template.layout import (
    STATED_TOTAL_NAME,
    TOTAL_NAME,
    Layout,
    rate_name,
    score_name,
    stated_name,
    weight_name,
)
from xl_perf.template.native import UNDEFINED


def cell_value(value: object, spec_type: str, options: tuple[str, ...] = ()) -> CellValue:
    if value is None:
        return None
    if isinstance(value, bool):
        yes, no = options if len(options) == 2 else ("是", "否")
        return yes if value else no
    if spec_type == "date" and isinstance(value, str):
        parts = value.split("-")
        if len(parts) == 3:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 2:
            return f"{int(parts[0])}年{int(parts[1])}月"
    if isinstance(value, Decimal):
        return value
    return value if isinstance(value, str) else str(value)


def _slot_rows(layout: Layout, doc: Document, table_id: str) -> dict[int, TableRow]:
    """Place the document's table rows into the layout's slots (repeat rows into their group's slots)."""
    slots = layout.table_slots[table_id]
    placed: dict[int, TableRow] = {}
    cursor: int | None = None
    for row in doc.tables.get(table_id, []):
        if row.row_id in {s.row_id for s in slots if not s.repeat}:
            index = next(i for i, s in enumerate(slots) if s.row_id == row.row_id and not s.repeat)
            placed[index] = row
            cursor = index + 1
            continue
        if cursor is None:  # a repeat row with no fixed row above it in the document: its group's first slot
            cursor = next(i for i, s in enumerate(slots) if s.row_id == row.row_id)
        while cursor < len(slots) and slots[cursor].repeat and cursor in placed:
            cursor += 1
        if cursor >= len(slots) or slots[cursor].row_id != row.row_id:
            raise AssertionError(f"no slot for table row {row.label!r}")
        placed[cursor] = row
        cursor += 1
    return placed


def values_for(layout: Layout, doc: Document) -> dict[tuple[str, int, int], CellValue]:
    pack = doc.pack
    values: dict[tuple[str, int, int], CellValue] = {}
    table_rows = {t.id: _slot_rows(layout, doc, t.id) for t in pack.tables}
    for sheet in layout.sheets:
        for (row, col), cell in sheet.cells.items():
            binding = cell.binding
            if binding is None:
                continue
            value: CellValue = None
            if binding.kind == "field":
                spec = pack.fields[binding.id]
                options = tuple(doc.text(o) for o in spec.options)
                value = cell_value(doc.fields.get(binding.id), spec.type, options)
            elif binding.kind in ("table", "table_label"):
                table_row = table_rows[binding.id].get(binding.slot)
                if table_row is not None:
                    if binding.kind == "table_label":
                        value = table_row.label
                    else:
                        column = pack.table(binding.id).column(binding.column)
                        value = cell_value(table_row.values.get(binding.column), column.type)
            elif binding.kind == "row":
                if binding.slot < len(doc.rows):
                    value = _row_value(doc, binding.slot, binding.column)
            elif binding.kind == "score":
                value = doc.stated_scores.get(binding.id)
            elif binding.kind == "weight":
                value = doc.weights.get(binding.id)
            elif binding.kind == "stated_total":
                value = doc.stated_total
            if value is not None and value != "":
                values[(sheet.key, row, col)] = value
    return values


def _row_value(doc: Document, slot: int, key: str) -> CellValue:
    row = doc.rows[slot]
    if key.startswith("level"):
        return row.levels[int(key.removeprefix("level"))] or None
    return {
        "target": row.target or None,
        "actual": row.actual or None,
        "weight": row.weight,
        "score": row.stated_score,
        "reason": row.reason or None,
    }[key]


def cached_for(evaluation: Evaluation) -> dict[str, CellValue]:
    """The engine's value for every named computed cell, so a reader that does not recalculate still sees them."""
    cached: dict[str, CellValue] = {}
    for rate in evaluation.rates.values():
        cached[rate_name(rate.id)] = (
            rate.value if rate.value is not None else (UNDEFINED if rate.status == "undefined" else "")
        )
    doc = evaluation.document
    for result in evaluation.indicators:
        cached[score_name(result.id)] = result.computed if result.computed is not None else ""
        cached[stated_name(result.id)] = (
            result.stated_score
            if result.stated_score is not None
            else (result.computed if result.computed is not None else "")
        )
        cached[weight_name(result.id)] = result.weight
        for part_id, value in result.parts.items():
            cached[f"xp_part_{result.id}_{part_id}"] = value if value is not None else ""
        indicator = doc.pack.indicator(result.id)
        if isinstance(indicator.rule, model.RowsRule) and doc.pack.rows is not None and doc.pack.rows.score:
            # The group's hidden 得分 cell adds up its rows' 得分 as shown (typed, else the row formula's; blank is 0).
            cached[stated_name(result.id)] = sum(
                (shown_score(r) for r in evaluation.rows if r.parent == result.id), Decimal(0)
            )
        if isinstance(indicator.rule, model.BonusPenaltyRule):
            cached[score_name(result.id)] = evaluation.bonus
    cached[TOTAL_NAME] = evaluation.total
    # The 合计 cell: a typed total is written as the value itself; its default formula shows the form's own sum.
    cached[STATED_TOTAL_NAME] = doc.stated_total if doc.stated_total is not None else evaluation.form_total
    return cached
