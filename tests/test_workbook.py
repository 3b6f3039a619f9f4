"""The workbook layer's shortcuts must give what the plain reading gives: the cache of parsed references, the direct
cell lookups of `iter_region` on a snapshot, and the cells `read_snapshot` keeps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from xl_perf.io import guard
from xl_perf.io.workbook import (
    CellValue,
    NameTarget,
    SnapshotWorkbook,
    _parse_reference,
    iter_region,
    parse_reference,
    read_snapshot,
)

REFERENCES = [
    "'项目支出绩效自评表'!$C$6",
    "='Sheet 1'!$B$2:$D$9",
    "Sheet1!A1",
    "'it''s'!$A$1:$A$3",
    "  =Sheet1!$AB$10 ",
    "Sheet1!A1:",
    "#REF!",
    "",
]


def test_parsed_references_are_the_same_from_the_cache() -> None:
    _parse_reference.cache_clear()
    fresh = [parse_reference(text) for text in REFERENCES]
    again = [parse_reference(text) for text in REFERENCES]
    assert again == fresh
    assert fresh[0] == NameTarget("项目支出绩效自评表", (5, 2), (5, 2))
    assert fresh[1] == NameTarget("Sheet 1", (1, 1), (8, 3))
    assert fresh[3] == NameTarget("it's", (0, 0), (2, 0))
    assert fresh[4] == NameTarget("Sheet1", (9, 27), (9, 27))
    assert fresh[5:] == [None, None, None]
    assert _parse_reference.cache_info().hits >= len(REFERENCES)


class _Plain:
    """A workbook seen only through `value()`, as any other engine is."""

    def __init__(self, book: SnapshotWorkbook) -> None:
        self.book = book
        self.source = book.source

    def value(self, sheet: str, row: int, col: int) -> CellValue:
        return self.book.value(sheet, row, col)


def test_region_of_a_snapshot_is_read_as_through_value() -> None:
    book = SnapshotWorkbook({"S": {(0, 0): "a", (1, 2): 3.5, (2, 1): False, (4, 4): 0}})
    for target in [
        NameTarget("S", (0, 0), (4, 4)),
        NameTarget("S", (1, 1), (2, 2)),
        NameTarget("S", (3, 0), (3, 0)),
        NameTarget("missing sheet", (0, 0), (1, 1)),
    ]:
        direct = list(iter_region(book, target))
        plain = list(iter_region(_Plain(book), target))  # type: ignore[arg-type]
        assert direct == plain
        assert len(direct) == target.last[0] - target.first[0] + 1


def test_snapshot_keeps_every_value_but_blanks(tmp_path: Path) -> None:
    path = tmp_path / "values.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("S")
    values: list[object] = [0, 0.0, False, True, " ", "文字", -1.5, dt.datetime(2023, 4, 27)]
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, value in enumerate(values):
        if isinstance(value, dt.datetime):
            sheet.write_datetime(0, col, value, date_format)
        else:
            sheet.write(0, col, value)
    sheet.write_string(1, 0, "")  # an empty string is a blank
    sheet.write_formula(2, 1, "=1+1", None, 2)
    book.close()
    snapshot = read_snapshot(path, guard.inspect(path))
    cells = snapshot.sheets["S"]
    assert set(cells) == {(0, col) for col in range(len(values))} | {(2, 1)}
    assert [cells[(0, col)] for col in range(len(values) - 1)] == values[:-1]
    assert cells[(2, 1)] == 2
    assert snapshot.formulas["S"] == {(2, 1)}
    assert read_snapshot(path).to_json() == snapshot.to_json()
