"""Build the foreign-layout corpus: self-evaluation forms as units fill them, laid out as published filings are.

Each filing below is a grid of cells (as the published table prints them, found with the project's search tool; the
source of each is named in its expectations) plus the merged ranges, and a hand-written expectation: the data
document a correct import reads, the total a correct score gives and the findings a correct check reports.
Run from the repository root:

    python tests/corpus/build.py

It writes tests/corpus/<stem>.xlsx|.xlsm|.xls and tests/corpus/<stem>.expect.json. The .xls is written as .xlsx
first and converted by LibreOffice (headless); both the workbooks and the expectations are committed, so the tests
never run this script.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

HERE = Path(__file__).resolve().parent
Cell = str | int | float | None
Grid = list[list[Cell]]


@dataclass
class Filing:
    stem: str
    suffix: str  # ".xlsx", ".xlsm" or ".xls"
    sheet: str
    grid: Grid
    merges: list[str]  # "A1:I1" ranges; the value is the grid's top-left cell of each
    expect: dict[str, Any]
    before: list[tuple[str, Grid]] = field(default_factory=list)  # sheets in front of the form (notes, covers)
    widths: dict[int, float] = field(default_factory=dict)


def _cell(ref: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert match, ref
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _range(text: str) -> tuple[int, int, int, int]:
    first, last = text.split(":")
    (r1, c1), (r2, c2) = _cell(first), _cell(last)
    return r1, c1, r2, c2


def _write_sheet(book: Any, name: str, grid: Grid, merges: list[str], widths: dict[int, float]) -> None:
    sheet = book.add_worksheet(name)
    wrap = book.add_format({"text_wrap": True, "valign": "vcenter", "border": 1})
    covered: set[tuple[int, int]] = set()
    for text in merges:
        r1, c1, r2, c2 = _range(text)
        value = grid[r1][c1] if c1 < len(grid[r1]) else None
        sheet.merge_range(r1, c1, r2, c2, "", wrap)
        if isinstance(value, str):
            sheet.write_string(r1, c1, value, wrap)
        elif value is not None:
            sheet.write(r1, c1, value, wrap)
        covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for r, line in enumerate(grid):
        for c, value in enumerate(line):
            if value is None or (r, c) in covered:
                continue
            if isinstance(value, str):  # write() would take "=8个" or "=" for a formula
                sheet.write_string(r, c, value, wrap)
            else:
                sheet.write(r, c, value, wrap)
    for col in range(max((len(line) for line in grid), default=0)):
        sheet.set_column(col, col, widths.get(col, 14))
    for r, line in enumerate(grid):  # room for the wrapped labels, as the published tables have it
        longest = max((len(str(v)) for v in line if v is not None), default=0)
        sheet.set_row(r, 15 * min(4, 1 + longest // 16))
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)


def build(filing: Filing, folder: Path = HERE) -> Path:
    target = folder / f"{filing.stem}{filing.suffix}"
    xlsx_suffix = ".xlsm" if filing.suffix == ".xlsm" else ".xlsx"
    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / f"{filing.stem}{xlsx_suffix}"
        book = xlsxwriter.Workbook(str(first))
        book.set_properties({"created": dt.datetime(2026, 1, 1)})  # the same bytes on every build
        for name, grid in filing.before:
            _write_sheet(book, name, grid, [], {})
        _write_sheet(book, filing.sheet, filing.grid, filing.merges, filing.widths)
        book.close()
        if filing.suffix == ".xls":
            subprocess.run(
                ["soffice", "--headless", "--convert-to", "xls:MS Excel 97", "--outdir", tmp, str(first)],
                check=True,
                capture_output=True,
                timeout=180,
            )
            first = first.with_suffix(".xls")
        shutil.copyfile(first, target)
    expect_path = folder / f"{filing.stem}.expect.json"
    expect_path.write_text(json.dumps(filing.expect, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    from corpus_filings import chongqing, langfang, qingshen  # the filings' grids and expectations (beside this)
    from corpus_filings_more import tangxi_cunji, tangxi_weituo, yinchuan, ziyuan

    filings = [
        langfang(),
        langfang(typo=True),
        qingshen(),
        chongqing(),
        yinchuan(),
        tangxi_weituo(),
        tangxi_cunji(),
        ziyuan(),
    ]

    wanted = set(argv)
    for filing in filings:
        if not wanted or filing.stem in wanted:
            print(build(filing))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main(sys.argv[1:]))
