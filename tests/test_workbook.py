"""The shortcuts of reading a workbook must give what the plain reading gives: the cache of parsed references, the
direct cell lookups of `region` on each engine, the cells `read_snapshot` keeps, whole numbers read without
Decimal, the reading plan reused without a blank document, the usual empty metadata read without a parser."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import xlsxwriter

from tests.conftest import SAMPLES
from xl_perf.errors import BadInputError
from xl_perf.io import guard
from xl_perf.io.workbook import (
    CellValue,
    FileWorkbook,
    NameTarget,
    SnapshotWorkbook,
    _parse_reference,
    parse_reference,
    read_snapshot,
    region_by_value,
)
from xl_perf.model import document
from xl_perf.numbers import to_decimal
from xl_perf.rules import model
from xl_perf.template.layout import META_SHEET
from xl_perf.template.read import _json_cell, _json_meta, read_document

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
        direct = list(book.region(target))
        plain = list(region_by_value(_Plain(book), target))  # type: ignore[arg-type]
        # A snapshot knows where its sheet ends: rows after its last filled row are blank and not yielded.
        assert direct == plain[: len(direct)]
        assert all(v is None for _, cells in plain[len(direct) :] for v in cells)
        assert len(plain) == target.last[0] - target.first[0] + 1


def test_a_region_is_clipped_to_the_sheet() -> None:
    book = SnapshotWorkbook({"S": {(6, 0): "项目", (7, 30): 1.5}})
    rows = list(book.region(NameTarget("S", (6, 0), (99_999_998, 30))))  # a name claiming 100 M rows
    assert [r for r, _ in rows] == [6, 7]
    assert rows[1][1][30] == 1.5
    narrowed = list(book.region(NameTarget("S", (6, 0), (99_999_998, 30)), 2))
    assert narrowed == [(6, ["项目", None]), (7, [None, None])]
    with pytest.raises(BadInputError, match="过宽"):
        list(book.region(NameTarget("S", (0, 0), (1_048_575, 16_383))))


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


# --- reading a workbook back (template/read.py) --------------------------------------------------------------------


def _decimal_route(value: float | int, spec_type: str) -> object:
    """What `_json_cell` made of a number before its shortcut for whole numbers: always through Decimal."""
    try:
        number = to_decimal(value).normalize()
    except ValueError:
        return value
    if spec_type in model.NUMERIC_TYPES or spec_type == "":
        return int(number) if number == number.to_integral_value() else float(number)
    return format(number, "f") if number != number.to_integral_value() else str(int(number))


def test_whole_numbers_of_cells_read_as_through_decimal() -> None:
    numbers: list[float | int] = [0, 0.0, -0.0, 1.0, -1.0, 100.0, 2.5, 1e14, 999999999999999.0, 1e15, -1e15, 1e16]
    numbers += [2.0**53, 123456789012345.0, 1234567890123456.0, 1e20, 1e21, 10**15 - 1, 10**15, -(10**15) + 1]
    numbers += [10**21, 7, -42, 1e-5, 0.1 + 0.2, 163185.46499999997]
    numbers += [float(n) for n in range(-3000, 3000, 7)] + [n * 1000.0 + 0.5 for n in range(-50, 50)]
    for number in numbers:
        for spec_type in ("amount", "count", "score", "rate", "", "text", "date", "choice"):
            expected = _decimal_route(number, spec_type)
            got = _json_cell(number, spec_type)
            assert got == expected and type(got) is type(expected), (number, spec_type, got, expected)


def _sample_book(**meta: str) -> SnapshotWorkbook:
    book = read_snapshot(SAMPLES / "gangmen-2022-xiangmu.xlsx")
    cells = book.sheets[META_SHEET]
    for row in range(len(cells) // 2):
        if cells.get((row, 0)) in meta:
            cells[(row, 1)] = meta[str(cells[(row, 0)])]
    return book


def test_year_and_level_are_checked_after_the_plan_is_known() -> None:
    first = read_document(_sample_book(), lenient=True)
    again = read_document(_sample_book(), lenient=True)
    assert document.to_dict(again) == document.to_dict(first)
    other_year = read_document(_sample_book(year="2023"), lenient=True)
    assert other_year.year == 2023
    for meta in ({"year": "1999"}, {"level": "省"}, {"year": "2023", "level": "州"}):
        with pytest.raises(BadInputError):
            read_document(_sample_book(**meta), lenient=True)
    assert document.to_dict(read_document(_sample_book(), lenient=True)) == document.to_dict(first)


def test_metadata_json_read_as_by_the_parser() -> None:
    for text in ("{}", "[]", ' {"a": 1} ', "[1, 2]", "{ }", "[ ]"):
        assert _json_meta(text) == json.loads(text)
    first, second = _json_meta("{}"), _json_meta("{}")
    first["x"] = 1
    assert second == {}


def test_indicator_rows_with_only_falsy_values_are_read() -> None:
    from xl_perf.template.layout import ROWS_NAME
    from xl_perf.template.read import read_dict

    book = _sample_book()
    region = book.names()[ROWS_NAME]
    cells = book.sheets[region.sheet]
    before = read_dict(book)["indicator_rows"]
    assert isinstance(before, list)
    blank = [row for row in range(region.first[0], region.last[0] + 1) if (row, 0) not in cells]
    assert len(blank) >= 3
    cells[(blank[0], 2)] = 0
    cells[(blank[1], 5)] = False
    cells[(blank[2], 9)] = "beyond the read columns"
    rows = read_dict(book)["indicator_rows"]
    assert rows == [*before, {"三级指标名称": "0"}, {"目标偏差原因分析及改进措施": False}]


# --- the snapshot read_snapshot returns (its cells still in python-calamine's grids) ---------------------------------


def _grid_and_plain(tmp_path: Path) -> tuple[SnapshotWorkbook, SnapshotWorkbook]:
    path = tmp_path / "grid.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("S")
    for row, values in enumerate([["a", 0, None, " "], [None, False, 2.5], [], ["", "x", None, None, 7]]):
        for col, value in enumerate(values):
            if value is not None:
                sheet.write(row, col, value)
    sheet.write_formula(1, 3, "=B2+1", None, 1)
    book.add_worksheet("空表")
    book.close()
    grid = read_snapshot(path, guard.inspect(path))
    plain = read_snapshot(path)
    assert type(grid) is not SnapshotWorkbook and type(plain) is SnapshotWorkbook
    return grid, plain


def test_grid_snapshot_reads_as_the_plain_one(tmp_path: Path) -> None:
    grid, plain = _grid_and_plain(tmp_path)
    assert grid.sheet_names() == plain.sheet_names() == ["S", "空表"]
    assert grid.names() == plain.names() and grid.formulas == plain.formulas == {"S": {(1, 3)}, "空表": set()}
    for sheet in ["S", "空表", "missing"]:
        for row in range(-2, 7):
            for col in range(-2, 8):
                assert grid.value(sheet, row, col) == plain.value(sheet, row, col)
                assert type(grid.value(sheet, row, col)) is type(plain.value(sheet, row, col))
                assert grid.is_formula(sheet, row, col) == plain.is_formula(sheet, row, col)
        for first, last in [((0, 0), (3, 4)), ((1, 1), (2, 2)), ((-1, -1), (5, 9)), ((2, 3), (1, 1)), ((3, 4), (3, 4))]:
            target = NameTarget(sheet, first, last)
            assert list(grid.region(target)) == list(plain.region(target)), (sheet, first, last)
            with FileWorkbook(tmp_path / "grid.xlsx") as file:
                assert list(file.region(target)) == list(plain.region(target)), (sheet, first, last)
    assert grid.unbuilt  # type: ignore[attr-defined]
    assert grid.sheets == plain.sheets and grid == plain and plain == grid
    assert not grid.unbuilt  # type: ignore[attr-defined]


def test_every_engine_closes_as_a_context_manager(tmp_path: Path) -> None:
    grid, plain = _grid_and_plain(tmp_path)
    for book in (grid, plain):
        with book as same:
            assert same is book
        assert book.value("S", 0, 0) == "a"  # a snapshot holds nothing to release: still readable
    with FileWorkbook(tmp_path / "grid.xlsx") as file:
        assert file.value("S", 0, 0) == "a"
    file.close()  # closing twice is harmless


def test_grid_snapshot_once_built_is_a_plain_snapshot(tmp_path: Path) -> None:
    grid, plain = _grid_and_plain(tmp_path)
    for book in (grid, plain):
        book.sheets["S"][(0, 0)] = "changed"
        book.sheets["S"][(9, 9)] = 1
        book.replace_sheet("新表", [["a", None, 3]], {})
    assert grid == plain
    for book in (grid, plain):
        assert book.value("S", 0, 0) == "changed" and book.value("S", 9, 9) == 1
        assert book.sheet_names() == ["S", "空表", "新表"]
        assert list(book.region(NameTarget("S", (0, 0), (0, 1)))) == [(0, ["changed", 0])]
        assert list(book.region(NameTarget("新表", (0, 0), (0, 2)))) == [(0, ["a", None, 3])]


def test_grid_snapshot_travels_as_a_plain_snapshot(tmp_path: Path) -> None:
    import copy
    import pickle

    grid, plain = _grid_and_plain(tmp_path)
    assert repr(grid) == repr(plain)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(grid, protocol))
        assert type(again) is SnapshotWorkbook and again == plain and vars(again) == vars(plain)
    for copied in (copy.copy(grid), copy.deepcopy(grid)):
        assert type(copied) is SnapshotWorkbook and copied == plain
    assert SnapshotWorkbook.from_json(grid.to_json()) == SnapshotWorkbook.from_json(plain.to_json())


def test_every_engine_has_the_whole_interface() -> None:
    """The readers call these on any engine, never asking which one it is: each engine defines every one."""
    from xl_perf.excel.actions import XlwingsWorkbook
    from xl_perf.io.workbook import _GridWorkbook

    members = ("sheet_names", "value", "names", "is_formula", "region", "close", "__enter__", "__exit__")
    for engine in (FileWorkbook, SnapshotWorkbook, _GridWorkbook, XlwingsWorkbook):
        missing = [m for m in members if not callable(getattr(engine, m, None))]
        assert not missing, (engine.__name__, missing)
