"""Render a template `Layout` with XlsxWriter: the only place that writes .xlsx files (through `safe_write`).

Free text is always written with write_string (never through a writer's type guessing), so text that starts with
"=" stays text.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from xl_perf.io import safe_write
from xl_perf.template.layout import META_SHEET, Layout, Sheet, text_height

FONT = "宋体"
INPUT_FILL = "#FFF2CC"
COMPUTED_FILL = "#E2EFDA"
HELPER_FILL = "#EDEDED"

_BASE: dict[str, Any] = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "text_wrap": True}
_BORDER: dict[str, Any] = {"border": 1}
STYLES: dict[str, dict[str, Any]] = {
    "title": {"font_name": "黑体", "font_size": 16, "bold": True, "align": "center"},
    "subtitle": {"font_size": 12, "align": "center"},
    "note": {"align": "left"},
    "note_right": {"align": "right"},
    "footnote": {"font_size": 9, "align": "left"},
    "footer": {"align": "left", "font_size": 11},
    "header": {**_BORDER, "bold": True, "align": "center", "bg_color": "#D9E1F2"},
    "helper_header": {**_BORDER, "bold": True, "align": "center", "bg_color": HELPER_FILL, "font_color": "#595959"},
    "section": {**_BORDER, "bold": True, "align": "center"},
    "field_label": {**_BORDER, "align": "center"},
    "row_label": {**_BORDER, "align": "left"},
    "group_name": {**_BORDER, "align": "center"},
    "ind_name": {**_BORDER, "align": "center"},
    "number": {**_BORDER, "align": "center", "num_format": "0.##"},
    "long": {**_BORDER, "align": "left", "valign": "top", "font_size": 9},
    "label": {**_BORDER},
    "input": {**_BORDER, "bg_color": INPUT_FILL, "locked": False},
    "input_label": {**_BORDER, "bg_color": INPUT_FILL, "locked": False, "align": "left"},
    "input_long": {**_BORDER, "bg_color": INPUT_FILL, "locked": False, "align": "left", "valign": "top"},
    "input_amount": {**_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "0.00####"},
    "input_rate": {**_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "0.00%"},
    "input_date": {**_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "yyyy年m月d日"},
    "input_score": {**_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "General", "align": "center"},
    "computed": {**_BORDER, "bg_color": COMPUTED_FILL, "num_format": "General", "align": "center"},
    "computed_rate": {**_BORDER, "bg_color": COMPUTED_FILL, "num_format": "0.00%", "align": "center"},
    "helper": {**_BORDER, "bg_color": HELPER_FILL, "num_format": "0.00##", "align": "center", "font_color": "#595959"},
    "helper_check": {**_BORDER, "bg_color": HELPER_FILL, "align": "center", "font_color": "#C00000"},
}

CellValue = str | float | int | bool | dt.date | Decimal | None


@dataclass(frozen=True)
class MacroParts:
    """What turns a workbook into an .xlsm/.xlam: its VBA project, the form buttons and xlwings' configuration."""

    vba_project: bytes
    buttons: tuple[tuple[str, str], ...]  # (macro, caption), placed on every visible sheet
    config: tuple[tuple[str, str], ...]  # rows of the hidden xlwings.conf sheet


CONFIG_SHEET = "xlwings.conf"


@dataclass(frozen=True)
class Submission:
    """How a submission copy differs from a template: values by position for computed cells, and a page banner."""

    computed: Mapping[tuple[str, int, int], CellValue]
    banner: str = ""  # e.g. "未通过校验", printed in every page header


def write(
    layout: Layout,
    path: Path,
    values: Mapping[tuple[str, int, int], CellValue] | None = None,
    cached: Mapping[str, CellValue] | None = None,
    *,
    macro: MacroParts | None = None,
    submission: Submission | None = None,
) -> None:
    """Write `layout` to `path` (a temp path owned by safe_write). `values` fills input cells (sheet key, row, col);
    `cached` gives the engine's result for computed cells by defined name, stored as the formulas' cached values.

    With `submission`, the result is the copy a unit submits: every computed cell holds its value instead of a
    formula, and the tool's own parts (helper columns, defined names, the hidden _xlperf sheet) are left out."""
    values = values or {}
    cached = cached or {}
    # XlsxWriter assembles each sheet's XML (the workbook's data) in temp files: in a scratch folder beside the
    # output, never in the system's temp folder; a killed run's is removed by the next (safe_write.sweep).
    scratch = safe_write.scratch_folder(Path(path).parent)
    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False, "tmpdir": str(scratch)},
    )
    try:
        # A fixed creation stamp keeps output byte-reproducible, so committed templates can be checked for staleness.
        workbook.set_properties(
            {
                "title": layout.pack.title,
                "subject": layout.unit,
                "author": "xl-perf 绩效自评助手",
                "created": dt.datetime(layout.year, 1, 1),
            }
        )
        formats = {name: workbook.add_format({**_BASE, **spec}) for name, spec in STYLES.items()}
        code_names = iter(f"Sheet{i}" for i in range(1, len(layout.sheets) + 3))
        for sheet in layout.sheets:
            ws = _write_sheet(workbook, sheet, formats, values, cached, submission)
            if macro is not None:
                ws.set_vba_name(next(code_names))
                _buttons(ws, sheet, macro)
        if submission is not None:
            return
        for sheet in layout.sheets:
            quoted = sheet.name.replace("'", "''")
            for name, row, col in sheet.names():
                workbook.define_name(name, f"='{quoted}'!{xl_rowcol_to_cell(row, col, True, True)}")
            for name, (r1, c1, r2, c2) in sheet.ranges.items():
                first = xl_rowcol_to_cell(r1, c1, True, True)
                last = xl_rowcol_to_cell(r2, c2, True, True)
                workbook.define_name(name, f"='{quoted}'!{first}:{last}")
        meta = workbook.add_worksheet(META_SHEET)
        for index, (key, value) in enumerate(layout.meta.items()):
            meta.write_string(index, 0, key)
            meta.write_string(index, 1, value)
        meta.very_hidden()
        if macro is not None:
            meta.set_vba_name(next(code_names))
            config = workbook.add_worksheet(CONFIG_SHEET)
            for index, (key, value) in enumerate(macro.config):
                config.write_string(index, 0, key)
                config.write_string(index, 1, value)
            config.hide()
            config.set_vba_name(next(code_names))
            workbook.set_vba_name("ThisWorkbook")
            workbook.add_vba_project(io.BytesIO(macro.vba_project), is_stream=True)  # type: ignore[arg-type]
        workbook.set_calc_mode("auto")
    finally:
        try:
            workbook.close()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _write_value(ws: Any, row: int, col: int, value: CellValue, fmt: Any) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, Decimal | int | float):
        ws.write_number(row, col, float(value), fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _buttons(ws: Any, sheet: Sheet, macro: MacroParts) -> None:
    """Form buttons to the right of the printed area (never printed), one per macro."""
    col = (sheet.helper_cols[1] + 2) if sheet.helper_cols else sheet.print_cols + 1
    for index, (name, caption) in enumerate(macro.buttons):
        ws.insert_button(1 + 3 * index, col, {"macro": name, "caption": caption, "width": 120, "height": 36})


def _write_sheet(
    workbook: Any,
    sheet: Sheet,
    formats: dict[str, Any],
    values: Mapping[tuple[str, int, int], CellValue],
    cached: Mapping[str, CellValue],
    submission: Submission | None = None,
) -> Any:
    ws = workbook.add_worksheet(sheet.name)
    ws.hide_gridlines(2)
    for col, width in sheet.widths.items():
        ws.set_column(col, col, width)
    heights = dict(sheet.heights)
    for (row, col), cell in sheet.cells.items():
        value = values.get((sheet.key, row, col)) if cell.binding is not None else None
        if isinstance(value, str) and cell.span[0] == 1:
            width = sum(sheet.widths.get(c, 14) for c in range(col, col + cell.span[1]))
            heights[row] = max(heights.get(row, 15), text_height(value, width))
    for row, height in heights.items():
        ws.set_row(row, height)
    for (row, col), cell in sorted(sheet.cells.items()):
        if submission is not None and col >= sheet.print_cols:
            continue  # the tool's helper columns are not part of the form
        fmt = formats[cell.style]
        rows, cols = cell.span
        if rows > 1 or cols > 1:
            ws.merge_range(row, col, row + rows - 1, col + cols - 1, None, fmt)
        value = values.get((sheet.key, row, col)) if cell.binding is not None else None
        if value is not None and value != "":
            _write_value(ws, row, col, value, fmt)
        elif cell.formula and submission is not None:
            _write_value(ws, row, col, submission.computed.get((sheet.key, row, col)), fmt)
        elif cell.formula:
            # Named computed cells take the engine's value; an unnamed one may carry its value as its text.
            result = cached.get(cell.name, None) if cell.name else cell.text
            ws.write_formula(row, col, cell.formula, fmt, "" if result is None else _cached(result))
        elif cell.text is not None:
            if isinstance(cell.text, str):
                ws.write_string(row, col, cell.text, fmt)
            else:
                ws.write_number(row, col, cell.text, fmt)
        else:
            ws.write_blank(row, col, None, fmt)
        if cell.validation is not None and submission is None:
            options = dict(cell.validation.options)
            if options.get("validate") == "custom":
                options["value"] = str(options["value"]).replace("{cell}", xl_rowcol_to_cell(row, col))
            ws.data_validation(row, col, row + rows - 1, col + cols - 1, options)
    ws.protect(
        "",
        {
            "insert_rows": True,
            "delete_rows": True,
            "format_rows": True,
            "format_columns": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )
    if sheet.freeze != (0, 0):
        ws.freeze_panes(*sheet.freeze)
    ws.set_landscape()
    # A4, except the very wide money table (财政资金情况, ~30 columns), which is unreadable on A4 and printed on A3.
    ws.set_paper(8 if sheet.print_cols > 20 else 9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    if sheet.repeat_rows is not None:
        ws.repeat_rows(*sheet.repeat_rows)
    ws.print_area(0, 0, max(0, sheet.rows_used - 1), sheet.print_cols - 1)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if submission is not None and submission.banner:
        ws.set_header('&C&"宋体,Bold"&14&KC00000' + submission.banner)
    if sheet.helper_cols is not None and submission is None:
        first, last = sheet.helper_cols
        ws.set_column(first, last, None, None, {"level": 1})
        ws.write_string(0, first, "以下为工具计算列（不打印）", formats["helper_header"])
    return ws


def _cached(value: CellValue) -> str | float:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal | int | float):
        return float(value)
    return "" if value is None else str(value)
