"""`xl-perf batch`: a folder of workbooks checked in parallel, bad files listed without stopping the run, and a
summary workbook (read back by calamine, rendered by LibreOffice)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests import batch_corpus
from tests.conftest import ROOT, SAMPLES, require_tool
from xl_perf import batch
from xl_perf.io import guard
from xl_perf.io.workbook import FileWorkbook

UNIT = "资源县资源镇人民政府"
# Seed 000: "本部门对 2023 年度项目自评数量为 80 个，其中自评分为一等的 74 个，二等的 6 个".
GRADES = ["优"] * 74 + ["良"] * 6
OUTPUT = ROOT / "tests" / "_output"


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xl_perf", *map(str, args)], capture_output=True, text=True, timeout=600, cwd=ROOT
    )


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 project workbooks of one town with a known grade mix, in two sub-folders, plus three files that cannot
    be read: a truncated workbook, a text file named .xls, and an empty .xlsx."""
    folder = tmp_path_factory.mktemp("county")
    grades = GRADES.copy()
    random.Random(7).shuffle(grades)
    for part in ("一季度", "二季度"):
        (folder / part).mkdir()
    for index, grade in enumerate(grades, 1):
        sub = folder / ("一季度" if index % 2 else "二季度")
        batch_corpus.write(batch_corpus.project_data(UNIT, index, grade), sub)
    whole = next((folder / "一季度").iterdir()).read_bytes()
    (folder / "损坏的工作簿.xlsx").write_bytes(whole[: len(whole) // 2])
    (folder / "旧格式.xls").write_text("项目\t金额\n" * 20, encoding="utf-8")
    (folder / "空文件.xlsx").write_bytes(b"")
    (folder / "~$正在编辑.xlsx").write_bytes(b"lock")  # Excel's lock file: not a workbook of the batch
    return folder


@pytest.fixture(scope="module")
def county_run(county: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("summary") / "资源镇汇总.xlsx"
    return run_cli("batch", county, "-o", out, "--json", "--workers", "2"), out


def test_eighty_projects_full_coverage_and_exact_grades(
    county_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _ = county_run
    assert result.returncode == 2, result.stderr  # unreadable files present
    data = json.loads(result.stdout)
    assert data["files"] == 83
    assert data["read"] == 80
    assert data["coverage"] == {"evaluated": 80, "required": 80, "rate": 1.0}
    assert data["grades"] == {"xiangmu": {"优": 74, "良": 6}}
    assert data["errors"] == 0
    scores = Counter(item["score"] for item in data["items"] if not item["problem"])
    assert scores == {100.0: 74, 87.5: 6}
    assert "自评覆盖面 100.00%" in result.stderr


def test_unreadable_files_are_listed_with_their_reasons(
    county_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _ = county_run
    problems = {item["file"]: item["problem"] for item in json.loads(result.stdout)["items"] if item["problem"]}
    assert set(problems) == {"损坏的工作簿.xlsx", "旧格式.xls", "空文件.xlsx"}
    assert "损坏" in problems["损坏的工作簿.xlsx"] or "截断" in problems["损坏的工作簿.xlsx"]
    assert "文本文件" in problems["旧格式.xls"]
    assert "0 字节" in problems["空文件.xlsx"]
    for name, reason in problems.items():
        assert f"无法读取 {name}：{reason}" in result.stderr
    assert "Traceback" not in result.stderr


def sheet_rows(book: FileWorkbook, sheet: str) -> list[list[object]]:
    return [list(row) for row in book.grid(sheet)]


def test_summary_workbook_contents(county_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, out = county_run
    data = json.loads(result.stdout)
    with FileWorkbook(out) as book:
        assert book.sheet_names() == ["汇总", "单位汇总", "等级分布", "问题清单", "无法读取"]
        rows = sheet_rows(book, "汇总")
        header = rows[3]
        assert header[:6] == ["序号", "文件", "单位", "表别", "项目名称", "金额（万元）"]
        body = rows[4:-1]
        assert len(body) == 83
        by_file = {r[1]: r for r in body}
        for item in data["items"]:
            row = by_file[item["file"]]
            if item["problem"]:
                assert row[12] == "无法读取"
                continue
            assert (row[2], row[3], row[4]) == (UNIT, "项目支出", item["project"])
            assert (row[5], row[6], row[8], row[9]) == (100.0, 1.0, item["score"], item["grade"])
            assert row[12] == "通过"
        units = sheet_rows(book, "单位汇总")
        unit_row = next(r for r in units if r[0] == UNIT)
        assert unit_row[1:4] == [80.0, 80.0, 8000.0]
        assert unit_row[7:10] == [80.0, 80.0, 1.0]
        grades = {r[0]: r[1:] for r in sheet_rows(book, "等级分布")[4:]}
        assert grades["优"] == [74.0, 74.0]
        assert grades["良"] == [6.0, 6.0]
        assert grades["中"] == grades["差"] == [0.0, 0.0]
        assert grades["合计"] == [80.0, 80.0]
        unreadable = sheet_rows(book, "无法读取")[2:]
        assert sorted(r[1] for r in unreadable) == sorted(["损坏的工作簿.xlsx", "旧格式.xls", "空文件.xlsx"])
        assert all(r[2] for r in unreadable)


def test_summary_has_a_native_chart_and_relative_links(
    county_run: tuple[subprocess.CompletedProcess[str], Path], county: Path
) -> None:
    _, out = county_run
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        chart = package.read("xl/charts/chart1.xml").decode()
        rels = package.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        sheets = [package.read(n) for n in names if n.startswith("xl/worksheets/sheet")]
    assert "<c:barChart>" in chart and '<c:barDir val="col"/>' in chart
    assert "<c:f>等级分布!$B$5:$B$8</c:f>" in chart  # 优/良/中/差 counts of 项目支出
    assert not any(b"<f>" in s for s in sheets)  # values only
    targets = re.findall(r'Target="([^"]+)"', rels)
    assert len(targets) == 83
    for target in targets:  # XlsxWriter writes relative external links with Windows separators, as Excel does
        assert (out.parent / unquote(target).replace("\\", "/")).resolve().is_file(), target


def test_summary_renders_in_libreoffice(county_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    require_tool("soffice")
    require_tool("pdftotext")
    from xl_perf.io.libreoffice import converter, to_png

    _, out = county_run
    folder = OUTPUT / "batch"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    [pdf] = converter().convert([out], "pdf", folder)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for phrase in ("绩效自评工作簿汇总", "自评等级分布", "全部校验发现", "无法读取的文件", "自评覆盖面 100.00%"):
        assert phrase in text
    assert to_png(pdf, folder)  # pages for people to look at: tests/_output/batch/


def test_a_file_that_kills_its_worker_is_retried_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader abort in a worker breaks the pool: every file not yet reported is read again, each in a child
    process of its own; the culprit is reported, the others are scored."""
    batch_corpus.write_projects(tmp_path, UNIT, ["优"] * 5)
    culprit = tmp_path / "会崩溃.xlsx"
    shutil.copy(next(tmp_path.iterdir()), culprit)
    from xl_perf.io import workbook

    original = workbook.read_snapshot

    def aborting(path: Path, facts: guard.PackageFacts | None = None) -> workbook.SnapshotWorkbook:
        if Path(path).name == culprit.name:
            os.abort()
        return original(path, facts)

    monkeypatch.setattr(workbook, "read_snapshot", aborting)  # inherited by the forked workers
    if not sys.platform.startswith("linux"):
        pytest.skip("the workers inherit the patch only when forked")
    result = batch.run(tmp_path, workers=2)
    problems = {i.shown: i.problem for i in result.items if i.problem}
    assert problems == {"会崩溃.xlsx": guard.MSG_CHILD_CRASH}
    assert len(result.read) == 5
    assert {i.grade for i in result.read} == {"优"}


def test_coverage_counts_declared_projects_and_unscored_workbooks(tmp_path: Path) -> None:
    batch_corpus.write_projects(tmp_path, UNIT, ["优", "优", "良"])
    batch_corpus.write(batch_corpus.project_data(UNIT, 4, "优", scored=False), tmp_path)  # filed blank
    batch_corpus.write(batch_corpus.overall_data(UNIT, 5), tmp_path)  # 项目支出数量 5
    batch_corpus.write_projects(tmp_path, "另一镇人民政府", ["良"])
    result = batch.run(tmp_path, workers=1)
    by_unit = {u.unit: u for u in result.units}
    assert (by_unit[UNIT].required_or_found, by_unit[UNIT].evaluated) == (5, 3)
    assert by_unit[UNIT].coverage == Decimal("0.6")
    assert (by_unit["另一镇人民政府"].required_or_found, by_unit["另一镇人民政府"].coverage) == (1, Decimal(1))
    assert (result.required, result.evaluated, result.coverage) == (6, 4, Decimal("0.6667"))


def test_findings_between_files_of_one_unit_point_at_cells(tmp_path: Path) -> None:
    for name in ("gangmen-2022-zhengti.xlsx", "gangmen-2022-xiangmu.xlsx"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    result = batch.run(tmp_path, workers=2)
    cross = [f for i in result.items for f in i.findings if f.code.startswith("CROSS")]
    assert cross, "the filed samples classify the bond money differently"
    assert all(f.location.sheet and f.location.cell for f in cross)
    project = next(i for i in result.items if i.kind == "xiangmu")
    assert project.execution == Decimal("1.0000") and project.amount == Decimal("5000")


def test_findings_between_files_name_the_file_when_it_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Places are read again only for files with such findings; a file removed meanwhile is still named."""
    for name in ("gangmen-2022-zhengti.xlsx", "gangmen-2022-xiangmu.xlsx"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    from xl_perf.batch import units

    real_check_units = units.check_units

    def remove_then_check(items: list[batch.Item]) -> None:
        for item in items:
            item.path.unlink()
        real_check_units(items)

    monkeypatch.setattr(units, "check_units", remove_then_check)
    result = batch.run(tmp_path, workers=2)
    cross = [(i, f) for i in result.items for f in i.findings if f.code.startswith("CROSS")]
    assert cross
    assert all(f.location.file == str(i.path) and f.location.sheet is None for i, f in cross)


def test_discover_skips_locks_hidden_files_and_the_summary(tmp_path: Path) -> None:
    for name in ("a.xlsx", "b.xlsm", "c.xls", "~$a.xlsx", ".hidden.xlsx", "notes.txt", "汇总.xlsx"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.xlsx").write_bytes(b"x")
    found = [p.name for p in batch.discover(tmp_path, exclude=[tmp_path / "汇总.xlsx"])]
    assert found == ["a.xlsx", "b.xlsm", "c.xls"]


def test_summary_never_replaces_an_input_workbook(tmp_path: Path) -> None:
    [project] = batch_corpus.write_projects(tmp_path, UNIT, ["优"])
    before = project.read_bytes()
    result = run_cli("batch", tmp_path, "-o", project)
    assert result.returncode == 2
    assert "不是 xl-perf 批量汇总" in result.stderr
    assert "Traceback" not in result.stderr
    assert project.read_bytes() == before
    summary = tmp_path / "汇总.xlsx"
    for _ in range(2):  # an earlier summary is replaced, and is not read as a workbook of the batch
        again = run_cli("batch", tmp_path, "-o", summary, "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["files"] == 1


def test_user_text_stays_text_in_the_summary(tmp_path: Path) -> None:
    data = batch_corpus.project_data('=HYPERLINK("http://x","点我")', 1, "优")
    batch_corpus.write(data, tmp_path)
    out = tmp_path / "out" / "汇总.xlsx"
    out.parent.mkdir()
    result = batch.run(tmp_path, workers=1)
    batch.write_summary(result, out)
    with FileWorkbook(out) as book:
        assert book.value("汇总", 4, 2) == '=HYPERLINK("http://x","点我")'
        assert not book.is_formula("汇总", 4, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["batch", "没有这个文件夹", "-o", "x.xlsx"], "文件夹不存在"),
        (["batch", ".", "-o", "x.csv"], "应以 .xlsx 结尾"),
        (["batch", ".", "-o", "x.xlsx", "--workers", "99"], "--workers"),  # a missing -o folder is made instead
        (["batch", ".", "-o", "x.xlsx", "--workers", "-1"], "--workers"),
    ],
)
def test_bad_arguments_exit_2_in_chinese(args: list[str], message: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xl_perf", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_defect_on_one_file_does_not_end_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch_corpus.write_projects(tmp_path, UNIT, ["优", "良", "优"])
    from xl_perf.model import evaluation as engine

    original = engine.evaluate

    def failing(doc: object) -> object:
        if "项目0002" in str(getattr(doc, "fields", {}).get("project_name")):
            raise RuntimeError("boom")
        return original(doc)  # type: ignore[arg-type]

    monkeypatch.setattr("xl_perf.validate.run.evaluate", failing)
    result = batch.run(tmp_path, workers=1)
    problems = [i.problem for i in result.items if i.problem]
    assert len(problems) == 1 and "xl-perf 内部错误（RuntimeError：boom）" in problems[0]
    assert len(result.read) == 2


def test_an_absurd_number_is_a_finding_at_its_cell(tmp_path: Path) -> None:
    path = batch_corpus.write(batch_corpus.project_data(UNIT, 1, "优"), tmp_path)
    from xl_perf.io.workbook import read_checked

    book = read_checked(path)
    target = book.names()["xp_table_funds"]
    row, col = target.first
    # The same workbook as read, with 1e30 typed into a money cell of the funds table.
    book.sheets[target.sheet][(row, col + 1)] = 1e30
    from xl_perf.template import read

    doc = read.read_document(book, lenient=True)
    [problem] = doc.value_problems
    assert "过大或过小" in problem.message and problem.key.startswith("项目资金")
    assert read.locator(book, doc)(problem.ref).cell is not None


@pytest.mark.parametrize("damage", ["changed cell", "missing row", "extra sheet"])
def test_a_summary_that_reads_back_wrong_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    from xl_perf.errors import BadInputError
    from xl_perf.io import summary_writer

    (tmp_path / "in").mkdir()
    batch_corpus.write(batch_corpus.project_data("测试镇", 1, "优"), tmp_path / "in")
    result = batch.run(tmp_path / "in", workers=1)
    write = summary_writer.write

    def damaged(path: Path, tables: list[summary_writer.Table], charts: list[summary_writer.ColumnChart]) -> None:
        tables = [summary_writer.Table(**vars(t)) for t in tables]
        first = tables[0]
        if damage == "changed cell":
            first.rows = [[*first.rows[0][:2], "别的单位", *first.rows[0][3:]], *first.rows[1:]]
        elif damage == "missing row":
            first.rows = first.rows[:-1]
        else:
            tables.append(summary_writer.Table("多出的表", "多出的表", first.columns, []))
        write(path, tables, charts)

    monkeypatch.setattr(summary_writer, "write", damaged)
    out = tmp_path / "汇总.xlsx"
    with pytest.raises(BadInputError) as caught:
        batch.write_summary(result, out)
    assert "回读" in caught.value.message and caught.value.location.file == str(out)
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "in"]
