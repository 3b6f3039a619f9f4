"""Rows are named as an accountant counts them: by their label and 1-based position, never as [11]."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLES
from tests.test_cli import run
from xl_perf.model.document import row_name


def test_row_name() -> None:
    assert (
        row_name("财政资金情况", 11, "项目2：遂溪县港门镇乡村振兴基础设施综合提升项目")
        == "财政资金情况“项目2”（第12行）"
    )
    assert row_name("财政资金情况", 0, "总计") == "财政资金情况“总计”（第1行）"
    assert row_name("绩效指标行", 3) == "绩效指标行（第4行）"
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
    expected = "财政资金情况“项目1”（第6行）的“财政下达预算情况/小计”：应为数字，实为 “很多”"
    assert expected in result.stderr, result.stderr
    assert "[5]" not in result.stderr and "tables." not in result.stderr and "'" not in result.stderr


def test_findings_name_rows_by_label_and_line() -> None:
    result = run(
        "check", str(SAMPLES / "gangmen-2022-zhengti.json"), str(SAMPLES / "gangmen-2022-xiangmu.json"), "--json"
    )
    keys = [f["location"].get("key", "") for f in json.loads(result.stdout)["findings"]]
    assert "财政资金情况“总计”（第1行）的“预算支出情况/小计”" in keys
    assert "绩效指标行“指标2：项目竣工时间”（第11行）" in keys
    assert not any("[" in key or "indicator_rows" in key or key.startswith("tables.") for key in keys)


def test_a_bad_indicator_row_value_is_named_as_the_form_names_it(tmp_path: Path) -> None:
    data = json.loads((SAMPLES / "ziyuan-2023-zhengti.json").read_text(encoding="utf-8"))
    row = data["indicator_rows"][0]
    level = "三级指标"
    row["得分"] = "满分"
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 2
    name = row_name("绩效指标行", 0, str(row[level]))
    assert f"{name}的“得分”：" in result.stderr and "“满分”" in result.stderr, result.stderr
    assert "indicator_rows" not in result.stderr and "'" not in result.stderr
