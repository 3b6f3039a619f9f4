"""The installed `xl-perf` command, run as a user would run it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("xl-perf")
    command = [exe] if exe else [sys.executable, "-m", "xl_perf"]
    return subprocess.run([*command, *args], capture_output=True, text=True, encoding="utf-8", timeout=60)


def test_score_json_contract() -> None:
    result = run("score", str(SAMPLES / "ziyuan-2023-zhengti.json"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"framework", "unit", "year", "total", "stated_total", "grade", "indicators", "findings"} <= set(data)
    execution = next(i for i in data["indicators"] if i["id"] == "budget_execution")
    assert execution["value"] == 0.8478 and execution["score"] == 8.48
    assert data["total"] == 92.48 and data["grade"] == "优"
    for indicator in data["indicators"]:
        assert {"id", "name", "path", "weight", "value", "score", "stated_score", "rule"} <= set(indicator)
    for finding in data["findings"]:
        assert finding["severity"] in ("error", "warning", "info")
        assert {"code", "location", "message"} <= set(finding)


def test_score_exits_1_on_errors_and_locates_them() -> None:
    result = run("score", str(SAMPLES / "gangmen-2022-zhengti.json"), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["stated_total"] == 94
    fixed = next(i for i in data["indicators"] if i["id"] == "fixed_assets")
    assert fixed["value"] == 0.9965
    finding = next(f for f in data["findings"] if f["code"] == "RATE_MISMATCH" and "固定资产" in f["message"])
    assert finding["location"]["key"] == "fields.资产管理.固定资产利用率"
    assert finding["location"]["file"].endswith("gangmen-2022-zhengti.json")


def test_score_table_for_people() -> None:
    result = run("score", str(SAMPLES / "gangmen-2022-zhengti.json"))
    assert result.returncode == 1
    assert "计算总分 89.09" in result.stdout and "填报总分 94（优）" in result.stdout
    # The kind of each finding is named by the catalogue's Chinese title; the code is for --json only.
    assert "填报的比率与数据不符" in result.stdout
    assert "RATE_MISMATCH" not in result.stdout and "代码" not in result.stdout
    machine = json.loads(run("score", str(SAMPLES / "gangmen-2022-zhengti.json"), "--json").stdout)
    assert "RATE_MISMATCH" in {f["code"] for f in machine["findings"]}


def test_bad_input_exits_2_in_chinese_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"framework": "gd-county-zhengti", "unit": "x", "year": 2022, "fields": {"资产管理": '
        '{"固定资产总额（原值）": "很多"}}}',
        encoding="utf-8",
    )
    result = run("score", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "fields.资产管理.固定资产总额（原值）：应为数字" in result.stderr
    missing = run("score", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "无法读取文件" in missing.stderr


@pytest.mark.parametrize("pack", ["gd-county-zhengti", "gd-county-xiangmu", "mof-xiangmu", "mof-zhengti"])
def test_rules_prints_the_tree(pack: str) -> None:
    result = run("rules", pack, "--year", "2023", "--level", "县")
    assert result.returncode == 0, result.stderr
    assert "可调参数" in result.stdout


def test_rules_renders_year_and_level() -> None:
    result = run("rules", "gd-county-zhengti", "--year", "2023", "--level", "县")
    assert "提前于2022年11月底前" in result.stdout and "县委县政府" in result.stdout
    assert "支出完成率（4）" in result.stdout
    listing = run("rules")
    assert listing.returncode == 0 and "mof-zhengti" in listing.stdout
    unknown = run("rules", "nope")
    assert unknown.returncode == 2 and "没有名为" in unknown.stderr


def test_help_is_chinese() -> None:
    result = run("--help")
    assert result.returncode == 0 and "绩效自评助手" in result.stdout


def test_export_never_replaces_the_workbook_it_reads(tmp_path: Path) -> None:
    import shutil

    # A workbook named exactly as `xl-perf new` and `export` name their files, exported into its own folder.
    source = tmp_path / "遂溪县港门镇人民政府_2022_整体绩效自评指标评分表.xlsx"
    shutil.copy(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx", source)
    before = source.read_bytes()
    result = run("export", str(source), "-o", str(tmp_path))
    assert result.returncode == 2 and "不能覆盖输入文件" in result.stderr
    assert source.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "-f", "gd-county-zhengti", "-y", "1800", "-o", "."], "--year 应为 2000–2100"),
        (["new", "-f", "gd-county-zhengti", "-y", "2026", "--level", "省", "-o", "."], "--level 应为"),
        (["rules", "gd-county-zhengti", "--year", "1800"], "--year 应为"),
        (["fill", "a.xlsx", "b.json", "-o", "c.txt"], "应以 .xlsx 结尾"),
    ],
)
def test_bad_options_are_refused_in_chinese(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"options": {"deviation_reason_ratio": "abc"}}, "options.deviation_reason_ratio：应为大于 1 的倍数"),
        ({"options": {"total_cap_by_execution": "false"}}, "options.total_cap_by_execution：应为 true 或 false"),
        ({"params": [1, 2]}, "params：应为对象"),
        ({"stated_total": "1e99999"}, "stated_total：数字过大或过小"),
    ],
)
def test_bad_document_settings(tmp_path: Path, change: dict, message: str) -> None:
    data = json.loads((SAMPLES / "ziyuan-2023-zhengti.json").read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for command in ("score", "check"):
        result = run(command, str(path))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert message in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_the_same_file_twice_is_checked_once() -> None:
    once = json.loads(run("check", str(SAMPLES / "gangmen-2022-zhengti.json"), "--json").stdout)
    twice = json.loads(
        run(
            "check",
            str(SAMPLES / "gangmen-2022-zhengti.json"),
            str(SAMPLES / ".." / "samples" / "gangmen-2022-zhengti.json"),
            "--json",
        ).stdout
    )
    assert len(twice["findings"]) == len(once["findings"])
