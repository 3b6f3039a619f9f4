"""Write a summary workbook (tables of values and a native Excel chart) with XlsxWriter.

The caller describes sheets as titled tables; this module owns the look (one style per column kind) and where
things land, so a reader can check the result against the same description (`expected_cells`). Text from users'
files is always written as a string, never interpreted as a formula or a number.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xl_perf.io.xlsx_writer import FONT

TITLE_ROW = 0
HEADER_ROW_AFTER_NOTES = 1  # the header follows the title and the note lines
KIND_FORMATS: dict[str, dict[str, Any]] = {
    "text": {"align": "left", "text_wrap": True},
    "int": {"num_format": "0", "align": "center"},
    "money": {"num_format": "#,##0.00", "align": "right"},
    "percent": {"num_format": "0.00%", "align": "center"},
    "score": {"num_format": "0.00", "align": "center"},
    "link": {"align": "left", "font_color": "#0563C1", "underline": 1},
}
MAX_LINK_CHARS = 2000  # Excel refuses longer hyperlinks; such files are named as plain text
MARK = "xl-perf-batch-summary"  # a custom document property: this file may be replaced by the next summary


@dataclass(frozen=True)
class Link:
    target: str  # a path relative to the summary workbook, "/"-separated
    text: str


CellData = str | int | Decimal | Link | None


@dataclass
class Column:
    title: str
    kind: str  # a key of KIND_FORMATS
    width: float = 12


@dataclass
class Table:
    sheet: str
    title: str
    columns: list[Column]
    rows: list[list[CellData]]
    notes: list[str] = field(default_factory=list)
    totals: list[CellData] | None = None  # a bold last row
    filter: bool = True


@dataclass
class ColumnChart:
    """A clustered column chart of some columns of a table (categories: its first column), placed beside it."""

    table: str
    title: str
    value_columns: list[int]
    x_title: str = ""
    y_title: str = ""


def is_summary(path: Path) -> bool:
    """Whether an existing file is a summary written by this module (judged by its small custom-properties part)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as package:
            info = package.getinfo("docProps/custom.xml")
            if info.file_size > 64 * 1024:
                return False
            return MARK.encode() in package.read(info)
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return False


def header_row(table: Table) -> int:
    return HEADER_ROW_AFTER_NOTES + len(table.notes)


def expected_cells(table: Table) -> Iterator[tuple[int, int, str | float | None]]:
    """Every cell of the table as a reader should see it: (row, col, value)."""
    yield TITLE_ROW, 0, table.title
    for i, note in enumerate(table.notes):
        yield 1 + i, 0, note
    first = header_row(table)
    for col, column in enumerate(table.columns):
        yield first, col, column.title
    rows = [*table.rows, *([table.totals] if table.totals is not None else [])]
    for r, row in enumerate(rows, start=first + 1):
        for col, value in enumerate(row):
            yield r, col, plain(value)


def plain(value: CellData) -> str | float | None:
    if isinstance(value, Link):
        return value.text
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int):
        return float(value)
    return value if value != "" else None


def _number(value: CellData) -> float:
    return float(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else 0.0


def same(read: object, expected: str | float | None) -> bool:
    """A value read back equals the one written (numbers to 15 significant digits, as Excel keeps them)."""
    if isinstance(expected, float) and isinstance(read, int | float) and not isinstance(read, bool):
        return abs(read - expected) <= 1e-9 * max(1.0, abs(expected))
    return read == expected


def write(path: Path, tables: Sequence[Table], charts: Sequence[ColumnChart] = ()) -> None:
    import xlsxwriter  # type: ignore[import-untyped,unused-ignore]

    # in_memory: the sheets' XML is assembled in memory rather than in temporary files (a summary is small).
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "in_memory": True}
    )
    try:
        workbook.set_custom_property("generator", MARK)
        styles = _Styles(workbook)
        placed = {table.sheet: (_write_table(workbook, table, styles), table) for table in tables}
        for spec in charts:
            sheet, table = placed[spec.table]
            _add_chart(workbook, sheet, table, spec)
    finally:
        workbook.close()


class _Styles:
    """The workbook's formats: one per column kind for rows and for the totals row, and the title, notes, header."""

    def __init__(self, workbook: Any) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "border": 1}
        self.cells = {kind: workbook.add_format({**base, **spec}) for kind, spec in KIND_FORMATS.items()}
        self.totals = {kind: workbook.add_format({**base, **spec, "bold": True}) for kind, spec in KIND_FORMATS.items()}
        self.title = workbook.add_format({"font_name": "黑体", "font_size": 14, "bold": True})
        self.note = workbook.add_format({"font_name": FONT, "font_size": 10})
        self.header = workbook.add_format(
            {**base, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9E1F2"}
        )


def _write_table(workbook: Any, table: Table, styles: _Styles) -> Any:
    """One sheet: title, notes, header, rows and totals, frozen below the header, printed landscape on A4."""
    sheet = workbook.add_worksheet(table.sheet)
    sheet.write_string(TITLE_ROW, 0, table.title, styles.title)
    sheet.set_row(TITLE_ROW, 24)
    for i, line in enumerate(table.notes):
        sheet.write_string(1 + i, 0, line, styles.note)
    first = header_row(table)
    for col, column in enumerate(table.columns):
        sheet.set_column(col, col, column.width)
        sheet.write_string(first, col, column.title, styles.header)
    for r, row in enumerate(table.rows, start=first + 1):
        _write_row(sheet, r, row, table.columns, styles.cells)
    last = first + len(table.rows)
    if table.totals is not None:
        last += 1
        _write_row(sheet, last, table.totals, table.columns, styles.totals)
    sheet.freeze_panes(first + 1, 0)
    if table.filter and table.rows:
        sheet.autofilter(first, 0, first + len(table.rows), len(table.columns) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(first)
    return sheet


def _add_chart(workbook: Any, sheet: Any, table: Table, spec: ColumnChart) -> None:
    """A column chart of some of `table`'s columns, placed right of the table."""
    chart = workbook.add_chart({"type": "column"})
    first = header_row(table)
    rows = (first + 1, first + len(table.rows))
    for col in spec.value_columns:
        chart.add_series(
            {
                "name": [table.sheet, first, col],
                "categories": [table.sheet, rows[0], 0, rows[1], 0],
                "values": [table.sheet, rows[0], col, rows[1], col],
                "data_labels": {"value": True},
            }
        )
    chart.set_title({"name": spec.title, "name_font": {"name": FONT, "size": 12}})
    chart.set_x_axis({"name": spec.x_title, "num_font": {"name": FONT}})
    largest = max((_number(v) for row in table.rows for c, v in enumerate(row) if c in spec.value_columns), default=0)
    step = max(1, -(-int(largest) // 8))  # whole steps: these are counts
    chart.set_y_axis(
        {"name": spec.y_title, "major_gridlines": {"visible": True}, "min": 0, "major_unit": step, "num_format": "0"}
    )
    chart.set_legend({"position": "bottom", "font": {"name": FONT}})
    sheet.insert_chart(first, len(table.columns) + 1, chart, {"x_scale": 1.2, "y_scale": 1.2})


def _write_row(sheet: Any, row: int, values: list[CellData], columns: list[Column], formats: dict[str, Any]) -> None:
    for col, (value, column) in enumerate(zip(values, columns, strict=True)):
        fmt = formats[column.kind]
        if isinstance(value, Link):
            if len(value.target) <= MAX_LINK_CHARS:
                sheet.write_url(row, col, "external:" + value.target, fmt, string=value.text)
            else:
                sheet.write_string(row, col, value.text, fmt)
        elif isinstance(value, str):
            sheet.write_string(row, col, value, fmt)
        elif isinstance(value, bool):
            raise TypeError("booleans are not summary values")
        elif isinstance(value, int | Decimal):
            sheet.write_number(row, col, float(value), fmt)
        else:
            sheet.write_blank(row, col, None, fmt)
