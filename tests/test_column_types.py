"""Every column of every table of the four rule packs: its input cell has the number format of its type, and a value
of that type goes through `fill`, a read-back and the submission copy of `export` unchanged.

(Issue 13: a date in 财政资金情况 was written into a General cell, so it read back as a serial number: `fill` and
`export` failed their own read-back.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xl_perf import export
from xl_perf.io import xlsx_writer
from xl_perf.model import document
from xl_perf.model.evaluation import evaluate
from xl_perf.rules import loader
from xl_perf.template import generate, sources
from xl_perf.template.generate import build_layout

FRAMEWORKS = ("gd-county-zhengti", "gd-county-xiangmu", "mof-zhengti", "mof-xiangmu")
FORMATS = {"amount": "0.00####", "date": "yyyy年m月d日", "text": "@"}
# Two values of each column type: what a unit writes in a data document.
VALUES: dict[str, tuple[object, ...]] = {
    "amount": ("1234.567891", "0.000001"),
    "date": ("2026-04-27", "2026-10"),
    "text": ("粤财农〔2026〕12号", "07591234567"),
}


def _column_types() -> set[str]:
    return {c.type for f in FRAMEWORKS for t in loader.load(f).tables for c in t.columns}


def test_every_column_type_is_covered() -> None:
    assert _column_types() <= set(FORMATS), _column_types() - set(FORMATS)


def _document(framework: str, turn: int) -> dict[str, Any]:
    blank = document.empty(framework, 2026, "县", "某县某单位")
    tables: dict[str, list[dict[str, object]]] = {}
    for table in blank.pack.tables:
        rows = []
        for index, row in enumerate(table.rows):
            label = f"项目{index}：测试项目" if row.repeat else blank.text(row.label)
            values = {
                "/".join(blank.text(p) for p in column.path): VALUES[column.type][(turn + index) % 2]
                for column in table.columns
                if column.type in VALUES
            }
            rows.append({table.row_header: label, **values})
        tables[blank.text(table.label)] = rows
    return {"schema": document.SCHEMA, "framework": framework, "unit": "某县某单位", "year": 2026, "tables": tables}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_table_input_cells_are_formatted_by_column_type(framework: str) -> None:
    doc = document.empty(framework, 2026, "县", "")
    layout = build_layout(doc)
    seen = set()
    for sheet in layout.sheets:
        for cell in sheet.cells.values():
            if cell.binding is not None and cell.binding.kind == "table":
                column = doc.pack.table(cell.binding.id).column(cell.binding.column)
                assert xlsx_writer.STYLES[cell.style].get("num_format") == FORMATS[column.type], (column.id, cell.style)
                seen.add(column.type)
    assert seen == {c.type for t in doc.pack.tables for c in t.columns}


@pytest.mark.parametrize("turn", (0, 1))
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_table_column_survives_fill_read_and_export(framework: str, turn: int, tmp_path: Path) -> None:
    data = _document(framework, turn)
    doc = document.from_dict(data)
    filled = generate.write_workbook(doc, tmp_path / "filled.xlsx")
    read_back = document.to_dict(sources.load_any(filled)[0])
    assert read_back["tables"] == document.to_dict(doc)["tables"]
    copy = export.write_submission(doc, evaluate(doc), tmp_path / "submission.xlsx")  # verifies every cell it wrote
    assert copy.exists()
