"""Render a workbook description with XlsxWriter: the only place that writes .xlsx files (through `safe_write`).

The description is neutral (`WorkbookSpec`, `SheetSpec`, `CellSpec` below): sheets of styled cells, formulas, names
and data validation. The template's `Layout` is one; io knows nothing of templates or rule packs.

Free text is always written with write_string (never through a writer's type guessing), so text that starts with
"=" stays text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from xl_perf.io import safe_write
from xl_perf.io.cells import address, quote_sheet, range_address
from xl_perf.io.pages import page_breaks, text_height

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
    "input_text": {**_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "@"},
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


class ValidationSpec(Protocol):
    """Data validation in XlsxWriter's vocabulary; "{cell}" in a custom formula stands for the cell validated."""

    @property
    def options(self) -> Mapping[str, object]: ...


class CellSpec(Protocol):
    """One cell (the top-left of a merged range `span` rows by columns): static text, an input, or a formula."""

    @property
    def text(self) -> str | float | None: ...
    @property
    def style(self) -> str: ...  # a key of STYLES
    @property
    def is_input(self) -> bool: ...  # takes its value from `values`
    @property
    def formula(self) -> str | None: ...
    @property
    def span(self) -> tuple[int, int]: ...
    @property
    def validation(self) -> ValidationSpec | None: ...
    @property
    def name(self) -> str | None: ...  # its defined name


class SheetSpec(Protocol):
    """One visible sheet: cells by (row, col), column widths and row heights, named ranges, print setup."""

    @property
    def key(self) -> str: ...  # the key of `values` and `Submission` positions
    @property
    def name(self) -> str: ...
    @property
    def cells(self) -> Mapping[tuple[int, int], CellSpec]: ...
    @property
    def widths(self) -> Mapping[int, float]: ...
    @property
    def heights(self) -> Mapping[int, float]: ...
    @property
    def ranges(self) -> Mapping[str, tuple[int, int, int, int]]: ...  # name -> (r1, c1, r2, c2)
    @property
    def freeze(self) -> tuple[int, int]: ...
    @property
    def repeat_rows(self) -> tuple[int, int] | None: ...
    @property
    def print_cols(self) -> int: ...
    @property
    def rows_used(self) -> int: ...
    @property
    def helper_cols(self) -> tuple[int, int] | None: ...  # tool-owned columns right of the print area
    @property
    def keep_together(self) -> Sequence[tuple[int, int]]: ...  # row spans printed on one page when they fit

    def names(self) -> Iterator[tuple[str, int, int]]: ...


class WorkbookSpec(Protocol):
    """A whole workbook: its visible sheets, document properties and the key-value rows of a very hidden sheet."""

    @property
    def title(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def sheets(self) -> Sequence[SheetSpec]: ...
    @property
    def meta_sheet(self) -> str: ...
    @property
    def meta(self) -> Mapping[str, str]: ...


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
    # Cells printed as the engine applied them, whatever the form holds there: weights after a redistribution,
    # 不适用 for an indicator that does not apply, the total.
    printed: Mapping[tuple[str, int, int], CellValue] = field(default_factory=dict)
    # Rows kept in the copy but not printed, by sheet key: the spare slots of a table or indicator list left empty.
    hidden_rows: Mapping[str, frozenset[int]] = field(default_factory=dict)


def write(
    layout: WorkbookSpec,
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
    import xlsxwriter  # only for writing: commands that only read do not load it

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
                "title": layout.title,
                "subject": layout.unit,
                "author": "xl-perf 绩效自评助手",
                "created": dt.datetime(layout.year, 1, 1),
            }
        )
        formats = {name: workbook.add_format({**_BASE, **_style(spec, submission)}) for name, spec in STYLES.items()}
        code_names = iter(f"Sheet{i}" for i in range(1, len(layout.sheets) + 3))
        for sheet in layout.sheets:
            ws = _write_sheet(workbook, sheet, formats, values, cached, submission)
            if macro is not None:
                ws.set_vba_name(next(code_names))
                _buttons(ws, sheet, macro)
        if submission is not None:
            return
        for sheet in layout.sheets:
            quoted = quote_sheet(sheet.name)
            for name, row, col in sheet.names():
                workbook.define_name(name, f"={quoted}!{address(row, col, True)}")
            for name, (r1, c1, r2, c2) in sheet.ranges.items():
                workbook.define_name(name, f"={quoted}!{address(r1, c1, True)}:{address(r2, c2, True)}")
        meta = workbook.add_worksheet(layout.meta_sheet)
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
            workbook.add_vba_project(io.BytesIO(macro.vba_project), is_stream=True)
        if macro is not None:
            # An .xlsm opens showing the cached values written above, not #NAME? in every UDF cell before macros are
            # enabled: no full recalculation on load, and the calculation engine id of Excel 2019/365 (191029), so
            # Excel does not recalculate on open a file it takes for one saved by an older version.
            workbook.set_calc_mode("auto", calc_id=191029)
            workbook.calc_on_load = False
        else:
            workbook.set_calc_mode("auto")
    finally:
        try:
            workbook.close()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _style(spec: dict[str, Any], submission: Submission | None) -> dict[str, Any]:
    """A submission is printed and stamped: no input shading or other fill, only borders and type; a number too
    long for its column (money to the yuan in 万元: 6073.094524) is shrunk to fit rather than printed as ###."""
    if submission is None:
        return spec
    plain = {k: v for k, v in spec.items() if k != "bg_color"}
    if "num_format" in spec and spec.get("align") != "left":
        plain.update({"shrink": True, "text_wrap": False})
    return plain


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


def _buttons(ws: Any, sheet: SheetSpec, macro: MacroParts) -> None:
    """Form buttons to the right of the printed area (never printed), one per macro."""
    col = (sheet.helper_cols[1] + 2) if sheet.helper_cols else sheet.print_cols + 1
    for index, (name, caption) in enumerate(macro.buttons):
        ws.insert_button(1 + 3 * index, col, {"macro": name, "caption": caption, "width": 120, "height": 36})


def _write_sheet(
    workbook: Any,
    sheet: SheetSpec,
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
        value = values.get((sheet.key, row, col)) if cell.is_input else None
        if submission is not None:
            # Printed on paper, where a label squeezed into one line (名称 / 权重(%)) overprints the row above.
            label = cell.text if cell.style in ("header", "row_label", "field_label", "footnote") else value
            value = submission.printed.get((sheet.key, row, col), label)
        if isinstance(value, str) and cell.span[0] == 1:
            width = sum(sheet.widths.get(c, 14) for c in range(col, col + cell.span[1]))
            heights[row] = max(heights.get(row, 15), text_height(value, width))
    hidden = submission.hidden_rows.get(sheet.key, frozenset()) if submission is not None else frozenset()
    for row in sorted(set(heights) | hidden):
        ws.set_row(row, heights.get(row, DEFAULT_ROW_HEIGHT), None, {"hidden": True} if row in hidden else None)
    validated: list[tuple[Mapping[str, object], tuple[int, int, int, int]]] = []
    for (row, col), cell in sorted(sheet.cells.items()):
        if submission is not None and col >= sheet.print_cols:
            continue  # the tool's helper columns are not part of the form
        fmt = formats[cell.style]
        rows, cols = cell.span
        if rows > 1 or cols > 1:
            ws.merge_range(row, col, row + rows - 1, col + cols - 1, None, fmt)
        value = values.get((sheet.key, row, col)) if cell.is_input else None
        if submission is not None and (sheet.key, row, col) in submission.printed:
            _write_value(ws, row, col, submission.printed[(sheet.key, row, col)], fmt)
        elif value is not None and value != "":
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
            validated.append((cell.validation.options, (row, col, row + rows - 1, col + cols - 1)))
    _write_validations(ws, validated)
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
    if submission is None:
        ws.set_landscape()
        # A4, except the very wide money table (财政资金情况, ~30 columns), which is unreadable on A4 and printed on A3.
        ws.set_paper(8 if sheet.print_cols > 20 else 9)
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C第 &P 页，共 &N 页")
    else:
        setup = submission_page_setup(sheet, {**heights, **dict.fromkeys(hidden, 0.0)})
        ws.set_paper(setup.paper)
        if setup.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        # Fitted to the page width by the program that prints it (column widths depend on its fonts); the breaks
        # assume the largest scale it can choose, so a page never holds more than estimated.
        ws.fit_to_pages(1, 0)
        ws.set_h_pagebreaks(setup.breaks)
        ws.set_footer(SUBMISSION_FOOTER)
    ws.set_margins(left=MARGINS[0], right=MARGINS[0], top=MARGINS[1], bottom=MARGINS[1])
    ws.center_horizontally()
    if sheet.repeat_rows is not None:
        ws.repeat_rows(*sheet.repeat_rows)
    ws.print_area(0, 0, max(0, sheet.rows_used - 1), sheet.print_cols - 1)
    if submission is not None and submission.banner:
        ws.set_header('&C&"宋体,Bold"&14&KC00000' + submission.banner)
    if sheet.helper_cols is not None and submission is None:
        first, last = sheet.helper_cols
        ws.set_column(first, last, None, None, {"level": 1})
        ws.write_string(0, first, "以下为工具计算列（不打印）", formats["helper_header"])
    return ws


def _write_validations(ws: Any, validated: list[tuple[Mapping[str, object], tuple[int, int, int, int]]]) -> None:
    """One data-validation rule per set of options, over every range of cells that shares it (a blank template has
    a few dozen rules, not one per cell: a sheet of a thousand rows stays small and quick to read).

    A custom formula names its cell as "{cell}", a relative reference: Excel and LibreOffice take it relative to the
    top-left cell of the rule's range, so such a rule covers one rectangular range, not several."""
    groups: dict[str, tuple[Mapping[str, object], list[tuple[int, int, int, int]]]] = {}
    for options, area in validated:
        key = json.dumps(options, sort_keys=True, ensure_ascii=False, default=str)
        groups.setdefault(key, (options, []))[1].append(area)
    for options, areas in groups.values():
        ranges = merged_ranges(areas)
        if "{cell}" in str(options.get("value", "")):
            for first_row, first_col, last_row, last_col in ranges:
                value = str(options["value"]).replace("{cell}", address(first_row, first_col))
                ws.data_validation(first_row, first_col, last_row, last_col, {**options, "value": value})
            continue
        rule = dict(options)
        if len(ranges) > 1:
            rule["multi_range"] = " ".join(range_address(*r) for r in ranges)
        ws.data_validation(*ranges[0], rule)


def merged_ranges(cells: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The ranges (r1, c1, r2, c2) of `cells` joined where they touch: runs down a column first (a table column's
    slots), then runs across of ranges spanning the same rows. Ordered by position."""
    ranges: list[tuple[int, int, int, int]] = []
    for r1, c1, r2, c2 in sorted(set(cells), key=lambda r: (r[1], r[3], r[0])):
        if ranges and ranges[-1][1] == c1 and ranges[-1][3] == c2 and ranges[-1][2] + 1 == r1:
            ranges[-1] = (ranges[-1][0], c1, r2, c2)
        else:
            ranges.append((r1, c1, r2, c2))
    across: list[tuple[int, int, int, int]] = []
    for r1, c1, r2, c2 in sorted(ranges, key=lambda r: (r[0], r[2], r[1])):
        if across and across[-1][0] == r1 and across[-1][2] == r2 and across[-1][3] + 1 == c1:
            across[-1] = (r1, across[-1][1], r2, c2)
        else:
            across.append((r1, c1, r2, c2))
    return sorted(across)


SUBMISSION_FOOTER = "&C第 &P 页 共 &N 页"
MARGINS = (0.4, 0.6)  # inches: left and right, top and bottom
PAPERS = {9: (595.28, 841.89), 8: (841.89, 1190.55)}  # A4, A3 portrait: width, height in points
DEFAULT_ROW_HEIGHT = 15.0
HEIGHT_SLACK = 0.95  # room for where the program puts header and footer


@dataclass(frozen=True)
class PageSetup:
    paper: int  # Excel's paper code: 9 = A4, 8 = A3
    landscape: bool
    scale: float  # the estimated fit-to-width scale (at most 1)
    breaks: list[int]  # rows that start a new page


def column_points(width: float) -> float:
    """Printed width of a column `width` characters wide in the default font, Calibri 11 (7-pixel digits), as Excel
    prints it. LibreOffice, with the font replacement of io.libreoffice, prints it about 5% wider: at a smaller
    scale, so a page it prints holds at least the rows estimated here."""
    pixels = int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5
    return pixels * 0.75


def submission_page_setup(sheet: SheetSpec, heights: Mapping[int, float]) -> PageSetup:
    """Paper, orientation and scale that fit the printed columns to the page width as large as they can be read
    (A4 upright for narrow forms, A4 across for the scoring tables, A3 across for the money table), and page breaks
    between sections rather than through them."""
    content = sum(column_points(sheet.widths.get(c, 8.43)) for c in range(sheet.print_cols))
    options = [(9, False), (9, True), (8, True)]

    def scale_of(paper: int, landscape: bool) -> float:
        width = PAPERS[paper][1 if landscape else 0] - 2 * 72 * MARGINS[0]
        return min(1.0, width / content)

    paper, landscape = next(
        (o for o, least in zip(options, (0.8, 0.6, 0.0), strict=True) if scale_of(*o) >= least), options[-1]
    )
    scale = scale_of(paper, landscape)
    rows = [heights.get(r, DEFAULT_ROW_HEIGHT) for r in range(sheet.rows_used)]
    titles = 0
    if sheet.repeat_rows is not None:
        titles = sheet.repeat_rows[1] + 1
    page_height = PAPERS[paper][0 if landscape else 1] - 2 * 72 * MARGINS[1]
    body = page_height * HEIGHT_SLACK / scale - sum(rows[:titles])
    merged = [(r, r + c.span[0] - 1) for (r, _), c in sheet.cells.items() if c.span[0] > 1]
    return PageSetup(paper, landscape, scale, page_breaks(rows, body, sheet.keep_together, titles, merged))


def _cached(value: CellValue) -> str | float:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal | int | float):
        return float(value)
    return "" if value is None else str(value)
