"""Rows are named as an accountant counts them: by their label and 1-based position, never as [11]."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLES
from tests.test_cli import run
from xl_perf.document import row_name


def test_row_name() -> None:
    assert (
        row_name("财政资金情况", 11, "项目2：遂溪县港门镇乡村振兴基础设施综合提升项目")
        == "财政资金情况“项目2”（第12行）"
    )
    assert row_name("财政资金情况", 0, "总计") == "财政资金情况“总计”（第1行）"
    assert row_name("indicator_rows", 3) == "indicator_rows（第4行）"
    assert row_name("t", 0, "一二三四五六七八九十一二三四") == "t“一二三四五六七八九十一二…”（第1行）"


def test_bad_value_in_a_project_row_is_named_by_label_and_line(tmp_path: Path) -> None:
    data = json.loads((SAMPLES / "gangmen-2022-zhengti.json").read_text(encoding="utf-8"))
    rows = data["tables"]["财政资金情况"]
    assert rows[5]["项目"].startswith("项目1：")
    rows[5]["财政下达预算情况/小计"] = "很多"
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 2
    assert "tables.财政资金情况“项目1”（第6行）.财政下达预算情况/小计：应为数字" in result.stderr, result.stderr
    assert "[5]" not in result.stderr


def test_findings_name_rows_by_label_and_line() -> None:
    result = run(
        "check", str(SAMPLES / "gangmen-2022-zhengti.json"), str(SAMPLES / "gangmen-2022-xiangmu.json"), "--json"
    )
    keys = [f["location"].get("key", "") for f in json.loads(result.stdout)["findings"]]
    assert "tables.财政资金情况“总计”（第1行）.预算支出情况/小计" in keys
    assert "indicator_rows“指标2：项目竣工时间”（第11行）" in keys
    assert not any("[" in key for key in keys)
