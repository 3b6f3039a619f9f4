"""A workbook resubmitted into the batch folder counts once: the newest copy; the older ones are listed as 重复提交."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.conftest import SAMPLES
from tests.test_cli import run
from xl_perf.io.workbook import FileWorkbook

ZHENGTI = SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx"
XIANGMU = SAMPLES / "corrected" / "gangmen-2022-xiangmu.xlsx"


def _copy(source: Path, target: Path, mtime: float) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    os.utime(target, (mtime, mtime))
    return target


def test_the_newest_copy_counts_and_the_older_is_listed(tmp_path: Path) -> None:
    folder = tmp_path / "收到"
    _copy(ZHENGTI, folder / "港门镇整体自评（修改后）.xlsx", 1_700_000_000)  # newer, though its name sorts first
    _copy(ZHENGTI, folder / "旧" / "港门镇整体自评.xlsx", 1_600_000_000)
    _copy(XIANGMU, folder / "港门镇项目自评.xlsx", 1_650_000_000)
    summary = tmp_path / "汇总.xlsx"
    result = run("batch", str(folder), "-o", str(summary), "--json")
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert data["files"] == 2 and [i["file"] for i in data["items"]] == [
        "港门镇整体自评（修改后）.xlsx",
        "港门镇项目自评.xlsx",
    ]
    assert data["duplicates"] == [
        {
            "file": "旧/港门镇整体自评.xlsx",
            "kept": "港门镇整体自评（修改后）.xlsx",
            "unit": "遂溪县港门镇人民政府",
            "year": 2022,
            "framework": "gd-county-zhengti",
            "project": None,
            "score": data["items"][0]["score"],
        }
    ]
    assert sum(data["grades"]["zhengti"].values()) == 1  # the unit's 整体 grade counted once
    assert data["units"][0]["workbooks"] == 2
    assert (
        "共 3 个文件（其中 1 个重复提交未计入）" in result.stderr
        and "重复提交 1 个" in result.stderr
        and "旧/港门镇整体自评.xlsx（以 港门镇整体自评（修改后）.xlsx 为准）" in result.stderr
    )

    with FileWorkbook(summary) as book:
        assert book.sheet_names()[-1] == "重复提交"
        rows = [list(r) for r in book.grid("重复提交")]
        header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
        line = rows[header + 1]
        assert line[1] == "旧/港门镇整体自评.xlsx" and line[2] == "遂溪县港门镇人民政府" and line[3] == 2022
        assert line[7] == "港门镇整体自评（修改后）.xlsx"
        overview = " ".join(str(c) for r in book.grid("汇总")[:4] for c in r if c)
        assert "共 3 个文件（其中 1 个重复提交未计入）：计入 2 个" in overview and "见“重复提交”表" in overview
        listed = [str(r[1]) for r in book.grid("汇总")]
        assert "旧/港门镇整体自评.xlsx" not in listed


def test_equal_times_keep_the_later_name_and_different_units_are_not_duplicates(tmp_path: Path) -> None:
    folder = tmp_path / "收到"
    _copy(ZHENGTI, folder / "a.xlsx", 1_600_000_000)
    _copy(ZHENGTI, folder / "b.xlsx", 1_600_000_000)
    _copy(XIANGMU, folder / "c.xlsx", 1_600_000_000)  # the same unit's project form: another submission
    result = run("batch", str(folder), "-o", str(tmp_path / "汇总.xlsx"), "--json")
    data = json.loads(result.stdout)
    assert [i["file"] for i in data["items"]] == ["b.xlsx", "c.xlsx"]
    assert [(d["file"], d["kept"]) for d in data["duplicates"]] == [("a.xlsx", "b.xlsx")]


def test_no_duplicates_no_extra_sheet(tmp_path: Path) -> None:
    folder = tmp_path / "收到"
    _copy(ZHENGTI, folder / "a.xlsx", 1_600_000_000)
    summary = tmp_path / "汇总.xlsx"
    result = run("batch", str(folder), "-o", str(summary), "--json")
    assert json.loads(result.stdout)["duplicates"] == []
    with FileWorkbook(summary) as book:
        assert "重复提交" not in book.sheet_names()


def test_project_forms_without_a_project_name_are_all_counted(tmp_path: Path) -> None:
    from xl_perf.batch import Item, split_resubmitted

    def project_form(name: str, project: str) -> Item:
        path = tmp_path / name
        path.write_bytes(b"")
        return Item(path, name, framework="gd-county-xiangmu", kind="xiangmu", unit="某局", year=2024, project=project)

    unnamed = [project_form("项目一.xlsx", ""), project_form("项目二.xlsx", "  ")]
    named = [project_form("道路.xlsx", "道路维修"), project_form("道路（修改）.xlsx", "道路维修")]
    counted, duplicates = split_resubmitted([*unnamed, *named])
    assert [i.shown for i in counted] == ["项目一.xlsx", "项目二.xlsx", "道路（修改）.xlsx"]
    assert [(i.shown, i.kept) for i in duplicates] == [("道路.xlsx", "道路（修改）.xlsx")]
