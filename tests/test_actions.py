"""The in-Excel actions (validate, export, validate-and-export) against the snapshot implementation."""

from __future__ import annotations

import copy
from pathlib import Path

from tests.conftest import SAMPLES, sample_data
from tests.test_templates import _snapshot
from xl_perf.excel import actions
from xl_perf.io.workbook import FileWorkbook, SnapshotWorkbook
from xl_perf.model import document
from xl_perf.template import sources


def _book(name: str, folder: Path) -> SnapshotWorkbook:
    book = _snapshot(SAMPLES / f"{name}.xlsx")
    book.location = folder
    return book


def test_validate_writes_the_result_sheet_and_highlights(tmp_path: Path) -> None:
    book = _book("gangmen-2022-zhengti", tmp_path)
    before = copy.deepcopy(book.sheets)
    outcome = actions.validate(book)
    assert outcome.errors >= 4
    result = book.sheets[actions.RESULT_SHEET]
    assert result[(0, 0)] == "校验结果" and "错误" in result[(0, 1)]
    assert [result[(1, c)] for c in range(5)] == actions.HEADER
    rows = {(result[(r, 1)], result.get((r, 2))): r for r in range(2, 2 + len(outcome.findings))}
    row = rows[("RATE_MISMATCH", "整体基础数据（基本情况）!C17")]
    assert result[(row, 0)] == "错误" and "99.65%" in result[(row, 3)] and result[(row, 4)] == "改为 99.65%"
    assert book.links[actions.RESULT_SHEET][(row, 2)] == "'整体基础数据（基本情况）'!C17"
    assert book.fills[("整体基础数据（基本情况）", 16, 2)] == actions.HIGHLIGHT["error"]
    assert [result[(r, 0)] for r in range(2, 2 + len(outcome.findings))] == sorted(
        (result[(r, 0)] for r in range(2, 2 + len(outcome.findings))), key=["错误", "警告", "提示"].index
    )
    # No value the user entered changed: only the tool-owned sheet is new, and the bookkeeping in _xlperf (D..F).
    after = {k: v for k, v in book.sheets.items() if k != actions.RESULT_SHEET}
    after["_xlperf"] = {k: v for k, v in after["_xlperf"].items() if not 3 <= k[1] <= 5}
    assert after == before
    assert book.sheets["_xlperf"][(0, 3)] and not any(
        3 <= c <= 5 for _, c in before["_xlperf"]
    )  # the template's own meta data leaves D..F free


def test_validate_twice_restores_then_reapplies_highlights(tmp_path: Path) -> None:
    book = _book("gangmen-2022-zhengti", tmp_path)
    book.fills[("整体基础数据（基本情况）", 16, 2)] = "#00FF00"
    actions.validate(book)
    first = dict(book.fills)
    actions.validate(book)
    assert book.fills == first
    meta = book.sheets["_xlperf"]  # bookkeeping of the original colour, in the very hidden sheet
    original = next(r for r in range(0, 50) if meta.get((r, 4)) == "C17")
    assert meta[(original, 3)] == "整体基础数据（基本情况）" and meta[(original, 5)] == "#00FF00"


def test_validate_and_export_a_clean_workbook(tmp_path: Path) -> None:
    book = _book("ziyuan-2023-zhengti", tmp_path)
    outcome = actions.validate_and_export(book)
    assert outcome.errors == 0 and outcome.exported is not None
    assert outcome.exported.parent == tmp_path / "报送" and outcome.exported.exists()
    assert outcome.exported.name == "资源县资源镇人民政府_2023_部门整体支出绩效自评表.xlsx"
    import zipfile

    with zipfile.ZipFile(outcome.exported) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any("<f>" in package.read(n).decode("utf-8") for n in sheets)  # values only
        assert "资源县资源镇人民政府" in package.read("xl/sharedStrings.xml").decode("utf-8")
    with FileWorkbook(outcome.exported) as exported:
        assert exported.sheet_names() == ["部门整体支出绩效自评表"]  # no tool-owned sheets
        data = document.to_dict(document.from_dict(sample_data("ziyuan-2023-zhengti.json")))
        values = {v for row in exported.grid("部门整体支出绩效自评表") for v in row}
        assert 92.48 in values and data["unit"] in values  # the total and the unit, as values
    assert book.alerts[-1].startswith("已导出：")
    assert book.sheets[actions.RESULT_SHEET][(0, 1)].startswith("错误 0 条")


def test_export_refuses_when_there_are_errors(tmp_path: Path) -> None:
    book = _book("gangmen-2022-zhengti", tmp_path)
    outcome = actions.export(book)
    assert outcome.exported is None and outcome.errors
    assert "未导出" in book.alerts[-1]
    assert not (tmp_path / "报送").exists()
    assert actions.validate_and_export(book).exported is None


def test_a_workbook_that_is_not_ours(tmp_path: Path) -> None:
    book = SnapshotWorkbook({"Sheet1": {(0, 0): "随便什么"}}, location=tmp_path)
    outcome = actions.validate(book)
    assert outcome.evaluation is None
    assert "不是绩效自评助手生成的工作簿" in book.sheets[actions.RESULT_SHEET][(1, 0)]
    assert "无法校验" in book.alerts[-1]


def test_new_template_for_the_next_year(tmp_path: Path) -> None:
    book = _book("gangmen-2022-zhengti", tmp_path)
    path = actions.new_template(book)
    assert path is not None and path.name == "遂溪县港门镇人民政府_2023_整体绩效自评指标评分表.xlsx"
    data = sources.dump(path)
    assert data["year"] == 2023 and data["level"] == "镇"
