"""What the CLI prints for people names things as people read them: Chinese titles, quotes and counts, no JSON keys
of rows, no finding codes, no Python repr."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from tests.conftest import SAMPLES
from tests.test_cli import run
from xl_perf.errors import quoted

REPR_QUOTE = re.compile(r"'[^'\s]{1,40}'")  # '省', 'abc': how Python's repr quotes a value


def test_quoted_is_chinese_for_text_and_json_for_the_rest() -> None:
    assert quoted("省") == "“省”"
    assert quoted(150) == "150" and quoted(True) == "true" and quoted(None) == "null"
    assert quoted(["a"]) == '["a"]'
    assert quoted("x" * 100) == "“" + "x" * 100 + "”"  # text is never cut: the user must find it
    assert len(quoted(list(range(100)))) <= 60


def test_a_wrong_level_is_quoted_in_chinese() -> None:
    result = run("rules", "gd-county-xiangmu", "--level", "省")
    assert result.returncode == 2
    assert "--level 应为 县、市、镇 之一，实为 “省”" in result.stderr, result.stderr
    assert not REPR_QUOTE.search(result.stderr)


def test_bad_values_in_a_data_document_are_quoted_in_chinese(tmp_path: Path) -> None:
    data = json.loads((SAMPLES / "gangmen-2022-zhengti.json").read_text(encoding="utf-8"))
    data["level"] = "省"
    data["fields"]["资产管理"]["固定资产总额（原值）"] = "六百万"
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 2
    assert "实为 “省”" in result.stderr and "应为数字，实为 “六百万”" in result.stderr, result.stderr
    assert not REPR_QUOTE.search(result.stderr), result.stderr


def test_check_names_each_finding_by_its_chinese_title() -> None:
    result = run("check", str(SAMPLES / "gangmen-2022-zhengti.json"))
    assert result.returncode == 1
    assert "类别" in result.stdout and "填报的比率与数据不符" in result.stdout
    assert not re.search(r"\b[A-Z]+_[A-Z_]+\b", result.stdout), re.findall(r"\b[A-Z]+_[A-Z_]+\b", result.stdout)
    machine = json.loads(run("check", str(SAMPLES / "gangmen-2022-zhengti.json"), "--json").stdout)
    assert "RATE_MISMATCH" in {f["code"] for f in machine["findings"]}


def test_dump_names_the_form_in_chinese() -> None:
    result = run("dump", str(SAMPLES / "gangmen-2022-zhengti.xlsx"))
    assert result.returncode == 0, result.stderr
    assert "2022年度 整体绩效自评指标评分表（gd-county-zhengti）：已填字段" in result.stdout, result.stdout


def test_the_batch_line_counts_every_file_found(tmp_path: Path) -> None:
    folder = tmp_path / "收到"
    folder.mkdir()
    corrected = SAMPLES / "corrected"
    for name, source, mtime in (
        ("整体.xlsx", corrected / "gangmen-2022-zhengti.xlsx", 1_700_000_000),
        ("整体（旧）.xlsx", corrected / "gangmen-2022-zhengti.xlsx", 1_600_000_000),
        ("项目.xlsx", corrected / "gangmen-2022-xiangmu.xlsx", 1_650_000_000),
    ):
        shutil.copy(source, folder / name)
        os.utime(folder / name, (mtime, mtime))
    result = run("batch", str(folder), "-o", str(tmp_path / "汇总.xlsx"))
    assert result.returncode in (0, 1), result.stderr
    assert "共 3 个文件（其中 1 个重复提交未计入）：计入 2 个，无法读取 0 个" in result.stdout, result.stdout
    (folder / "整体（旧）.xlsx").unlink()
    again = run("batch", str(folder), "-o", str(tmp_path / "汇总2.xlsx"))
    assert "共 2 个文件：已读取 2 个，无法读取 0 个" in again.stdout, again.stdout
