"""The defined names and formula cells that `guard.inspect` collects on its scan must equal what openpyxl finds,
for our own workbooks, for workbooks re-saved by LibreOffice, and for XML written in less usual forms (where the
scan must give up and leave the answer to openpyxl rather than guess)."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import ROOT, require_tool
from xl_perf.io import guard
from xl_perf.io.workbook import FileWorkbook, NameTarget, parse_reference, read_snapshot

WORKBOOKS = sorted((ROOT / "workbooks").rglob("*.xlsx"))


def openpyxl_facts(path: Path) -> tuple[dict[str, NameTarget], dict[str, set[tuple[int, int]]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        names = {
            name: target
            for name, definition in book.defined_names.items()
            if (target := parse_reference(definition.attr_text or "")) is not None
        }
        formulas = {
            sheet.title: {
                (cell.row - 1, cell.column - 1)
                for row in sheet.iter_rows()
                for cell in row
                if getattr(cell, "data_type", None) == "f"
            }
            for sheet in book.worksheets
        }
    finally:
        book.close()
    return names, formulas


def scanned_facts(path: Path) -> tuple[dict[str, NameTarget], dict[str, set[tuple[int, int]]]] | None:
    facts = guard.inspect(path)
    if facts.formulas is None:
        return None
    names = {name: t for name, text in facts.names.items() if (t := parse_reference(text)) is not None}
    return names, {sheet: set(cells) for sheet, cells in facts.formulas.items()}


def assert_same_as_openpyxl(path: Path) -> None:
    scanned = scanned_facts(path)
    assert scanned is not None, f"{path.name}: the scan gave up on a usual file"
    names, formulas = openpyxl_facts(path)
    assert scanned[0] == names
    assert scanned[1] == formulas
    assert sum(len(cells) for cells in formulas.values()) > 0 or "blank" in path.parts


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_scan_equals_openpyxl_on_generated_workbooks(path: Path) -> None:
    assert_same_as_openpyxl(path)


def test_snapshot_is_the_same_with_and_without_the_scan() -> None:
    for path in WORKBOOKS:
        fast = read_snapshot(path, guard.inspect(path))
        slow = read_snapshot(path)
        assert (fast.sheets, fast.defined, fast.formulas) == (slow.sheets, slow.defined, slow.formulas), path.name


def test_scan_equals_openpyxl_after_libreoffice_resave(tmp_path: Path) -> None:
    require_tool("soffice")
    from xl_perf.io.libreoffice import converter

    sources = tmp_path / "in"
    sources.mkdir()
    for path in WORKBOOKS:
        shutil.copy(path, sources / f"{path.parent.name}-{path.name}")
    resaved = converter().convert(sorted(sources.iterdir()), "xlsx", tmp_path / "out")
    assert len(resaved) == len(WORKBOOKS)
    for path in resaved:
        assert_same_as_openpyxl(path)


def rewrite_sheet(source: Path, target: Path, *changes: tuple[bytes, bytes]) -> None:
    """Copy a workbook, applying regex substitutions to every worksheet part."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                for pattern, replacement in changes:
                    data = re.sub(pattern, replacement, data)
            zout.writestr(info, data)
    target.write_bytes(out.getvalue())


SAMPLE = ROOT / "workbooks" / "samples" / "gangmen-2022-xiangmu.xlsx"


def test_whitespace_between_cell_and_formula_is_followed(tmp_path: Path) -> None:
    target = tmp_path / "spaced.xlsx"
    rewrite_sheet(SAMPLE, target, (rb'(<c r="[A-Z]+\d+"[^>]*>)<f>', rb"\1\n  <f>"))
    assert_same_as_openpyxl(target)


MAIN_NS = rb"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.mark.parametrize(
    ("case", "changes"),
    [
        (
            "prefixed cells",
            [
                (rb"<worksheet ", rb'<worksheet xmlns:x="' + MAIN_NS + rb'" '),
                (rb"<c r=", rb"<x:c r="),
                (rb"</c>", rb"</x:c>"),
            ],
        ),
        ("cells without references", [(rb'<c r="[A-Z]+\d+"', rb"<c")]),
        ("reference not first", [(rb'<c r="([A-Z]+\d+)" s="(\d+)"', rb'<c s="\2" r="\1"')]),
    ],
)
def test_unusual_forms_are_left_to_openpyxl(tmp_path: Path, case: str, changes: list[tuple[bytes, bytes]]) -> None:
    target = tmp_path / "unusual.xlsx"
    rewrite_sheet(SAMPLE, target, *changes)
    assert guard.inspect(target).formulas is None, case
    with FileWorkbook(SAMPLE) as original:
        expected = original.names()
    snapshot = read_snapshot(target, guard.inspect(target))
    assert snapshot.defined == expected
    if case != "cells without references":  # there, the cells themselves moved; openpyxl still answers
        assert snapshot.formulas == read_snapshot(SAMPLE).formulas


def test_formula_cell_with_a_second_reference_is_left_to_a_full_parser(tmp_path: Path) -> None:
    """Readers take the last of two r attributes; the scan's one-pass screen must not take such a cell at its first."""
    target = tmp_path / "second-r.xlsx"
    rewrite_sheet(SAMPLE, target, (rb'<c r="([A-Z]+\d+)"([^>]*)><f>', rb'<c r="A1"\2 r="\1"><f>'))
    assert b'<c r="A1" s=' in zipfile.ZipFile(target).read("xl/worksheets/sheet1.xml")
    assert guard.inspect(target).formulas is None


def test_prefixed_defined_names_are_left_to_openpyxl(tmp_path: Path) -> None:
    target = tmp_path / "names.xlsx"
    out = io.BytesIO()
    with zipfile.ZipFile(SAMPLE) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"<definedName ", b"<x:definedName ", 1)
            zout.writestr(info, data)
    target.write_bytes(out.getvalue())
    assert guard.inspect(target).formulas is None


def test_sheet_scoped_names_are_not_workbook_names(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "表"
    sheet["A1"] = 1
    sheet["B1"] = "=A1*2"
    book.defined_names["global_name"] = openpyxl.workbook.defined_name.DefinedName("global_name", attr_text="'表'!$A$1")
    sheet.defined_names["local_name"] = openpyxl.workbook.defined_name.DefinedName("local_name", attr_text="'表'!$B$1")
    path = tmp_path / "scoped.xlsx"
    book.save(path)
    facts = guard.inspect(path)
    assert facts.names == {"global_name": "'表'!$A$1"}
    assert facts.formulas == {"表": frozenset({(0, 1)})}
    assert_same_as_openpyxl(path)
