"""Forms others made (issue 17): the corpus under tests/corpus, imported and scored against its expectations.

Each corpus workbook comes with `<stem>.expect.json`, written by hand from the published filing (see
tests/corpus/corpus_filings.py): the data document a correct import reads, where some values are, what a correct
score totals and what a correct check reports (per-filing weights, regional weight systems, rows that fit nowhere
and the stated 执行率 included: issue 17 item 1).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xl_perf.errors import BadInputError
from xl_perf.foreign import importer
from xl_perf.io import guard, legacy_xls

CORPUS = Path(__file__).resolve().parent / "corpus"
WORKBOOKS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".xlsx", ".xlsm", ".xls"))


def expectations(path: Path) -> dict[str, Any]:
    return json.loads((CORPUS / f"{path.stem}.expect.json").read_text(encoding="utf-8"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("xl-perf")
    command = [exe] if exe else [sys.executable, "-m", "xl_perf"]
    return subprocess.run([*command, *args], capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.fixture(scope="module")
def imported() -> dict[str, importer.Imported]:
    return {path.name: importer.import_file(path)[0] for path in WORKBOOKS}


def test_the_corpus_has_eight_foreign_layouts_with_an_xls() -> None:
    assert len(WORKBOOKS) >= 8
    assert {p.suffix for p in WORKBOOKS} == {".xlsx", ".xlsm", ".xls"}
    for path in WORKBOOKS:
        expect = expectations(path)
        assert expect["source"]["url"] and expect["source"]["title"] and expect["published"]
        assert legacy_xls.is_ole(path) == (path.suffix == ".xls")  # the .xls really is BIFF, not a renamed .xlsx


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_import_reads_what_the_filing_prints(path: Path, imported: dict[str, importer.Imported]) -> None:
    expect = expectations(path)
    reading = imported[path.name].reading
    assert reading.data == expect["document"]
    found = {item.what: item.where for item in reading.found}
    for what, where in expect["found"].items():
        assert found.get(what) == where, what
    assert set(expect["missing"]) <= set(reading.missing)
    assert set(expect["not_carried"]) <= {item.what for item in reading.not_carried}
    assert not imported[path.name].doc.value_problems


def _checked(item: importer.Imported) -> Any:
    from xl_perf.validate.run import check_loaded

    return check_loaded(item.path, item.doc, item.locate)


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_score_gives_the_expected_total(path: Path, imported: dict[str, importer.Imported]) -> None:
    from xl_perf.model.evaluation import evaluate

    assert evaluate(imported[path.name].doc).total == Decimal(str(expectations(path)["total"]))


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_check_reports_what_a_correct_check_reports(path: Path, imported: dict[str, importer.Imported]) -> None:
    expect = expectations(path)
    findings = _checked(imported[path.name]).findings
    for wanted in expect["findings"]:
        hits = [f for f in findings if f.code == wanted["code"] and wanted["about"] in f.message]
        assert hits, (wanted, [(f.code, f.message) for f in findings])
        assert all(f.location.sheet == imported[path.name].reading.sheet for f in hits)
    codes = {f.code for f in findings}
    assert not codes & set(expect["no_findings"]), [(f.code, f.message) for f in findings]


def test_findings_point_at_the_cells_they_were_read_from(imported: dict[str, importer.Imported]) -> None:
    item = imported["langfang-2019-xiangmu.xlsx"]
    located = {(f.code, f.location.cell) for f in _checked(item).findings}
    assert ("SCORE_MISMATCH", "H7") in located  # the 得分 of 年度资金总额
    assert ("SCORE_MISMATCH", "D14") in located  # the row of 工程资金金额


# --- the command -------------------------------------------------------------------------------------------------


def test_import_command_writes_each_document_and_says_where_values_were(tmp_path: Path) -> None:
    result = run("import", *map(str, WORKBOOKS), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    for path in WORKBOOKS:
        written = json.loads((tmp_path / "out" / f"{path.stem}.json").read_text(encoding="utf-8"))
        assert written == expectations(path)["document"]
    assert "已读取：实施单位（附件1!F5） = 廊坊市食品工程学校" in result.stdout
    assert "未找到：总分" in result.stdout
    assert "已读取：执行率（填报）（附件1!G7） = 86%" in result.stdout
    assert "已生成：" in result.stdout


def test_import_beside_the_input_and_never_over_a_foreign_file(tmp_path: Path) -> None:
    source = tmp_path / "廊坊.xlsx"
    shutil.copyfile(CORPUS / "langfang-2019-xiangmu.xlsx", source)
    assert run("import", str(source)).returncode == 0
    assert (tmp_path / "廊坊.json").exists()
    assert run("import", str(source)).returncode == 0  # its own earlier output is replaced
    (tmp_path / "廊坊.json").write_text("{}", encoding="utf-8")  # now edited by someone else
    result = run("import", str(source))
    assert result.returncode == 2 and "廊坊.json" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "廊坊.json").read_text(encoding="utf-8") == "{}"


def test_score_and_check_accept_a_foreign_workbook_directly() -> None:
    result = run("score", str(CORPUS / "ziyuan-2023-zhengti.xls"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 92.48
    result = run("check", str(CORPUS / "langfang-2019-xiangmu.xlsx"), "--json")
    assert result.returncode == 1  # the stated 9 points where the rules give 8.62
    cells = {(f["code"], f["location"].get("cell")) for f in json.loads(result.stdout)["findings"]}
    assert ("SCORE_MISMATCH", "H7") in cells


def test_bad_files_are_refused_in_chinese_with_exit_2(tmp_path: Path) -> None:
    text = tmp_path / "旧表.xls"
    text.write_text("项目\t金额\n" * 20, encoding="utf-8")
    empty = tmp_path / "空白.xlsx"
    import xlsxwriter

    book = xlsxwriter.Workbook(str(empty))
    book.add_worksheet("说明").write_string(0, 0, "这里没有自评表")
    book.close()
    for path, fragment in ((text, "文本文件"), (empty, "没有找到可导入的")):
        for command in ("import", "score", "check"):
            result = run(command, str(path))
            assert result.returncode == 2, (command, result.stdout, result.stderr)
            assert fragment in result.stdout + result.stderr and str(path.name) in result.stdout + result.stderr
            assert "Traceback" not in result.stderr


def test_damaged_or_disguised_xls_is_refused_cleanly(tmp_path: Path) -> None:
    from tests.hostile.make_corpus import ole_et, ole_xls

    good = (CORPUS / "ziyuan-2023-zhengti.xls").read_bytes()
    damaged = good[:2048] + b"\xff" * 4096 + good[6144:]
    for name, data in (("坏的.xls", damaged), ("假的.xls", ole_xls()), ("金山.xls", ole_et())):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(BadInputError) as caught:
            importer.import_file(path)
        assert caught.value.location is not None and caught.value.location.file == str(path), name
        result = run("import", str(path))
        assert result.returncode == 2 and name in result.stderr and "Traceback" not in result.stderr, name
    assert "WPS" in run("import", str(tmp_path / "金山.xls")).stderr


def test_xls_limits(tmp_path: Path) -> None:
    path = CORPUS / "ziyuan-2023-zhengti.xls"
    with pytest.raises(BadInputError) as caught:
        legacy_xls.inspect_xls(path, guard.Limits(max_file_bytes=1000))
    assert "文件过大" in caught.value.message
    with pytest.raises(BadInputError) as caught:
        legacy_xls.read_xls(path, guard.Limits(max_rows=5))
    assert "行数过多" in caught.value.message and caught.value.location.sheet == "自评表"  # type: ignore[union-attr]
    with pytest.raises(BadInputError) as caught:
        legacy_xls.inspect_xls(CORPUS / "langfang-2019-xiangmu.xlsx")
    assert "不是旧版 .xls" in caught.value.message


def test_year_from_the_command_when_the_form_prints_none(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "无年度.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("表")
    for col, label in enumerate(("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分")):
        sheet.write_string(0, col, label)
    for col, value in enumerate(("产出指标", "数量指标", "培训人数", "≥100人", "120人")):
        sheet.write_string(1, col, value)
    sheet.write_number(1, 5, 50)
    sheet.write_number(1, 6, 50)
    book.close()
    result = run("import", str(path), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "--year" in result.stderr
    result = run("import", str(path), "-o", str(tmp_path / "out"), "--year", "2024")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "out" / "无年度.json").read_text(encoding="utf-8"))
    assert data["year"] == 2024 and data["indicator_rows"][0]["实际完成值"] == "120人"


def test_two_inputs_of_one_name_do_not_overwrite_each_other(tmp_path: Path) -> None:
    shutil.copyfile(CORPUS / "ziyuan-2023-zhengti.xls", tmp_path / "表.xls")
    shutil.copyfile(CORPUS / "langfang-2019-xiangmu.xlsx", tmp_path / "表.xlsx")
    result = run("import", str(tmp_path / "表.xls"), str(tmp_path / "表.xlsx"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "已由本次导入的另一个文件写出" in result.stderr
    assert json.loads((tmp_path / "out" / "表.json").read_text(encoding="utf-8"))["framework"] == "mof-zhengti"


def test_huge_numbers_in_a_foreign_form_read_as_text_not_a_crash() -> None:
    """Decimal.quantize fails beyond 28 digits: a cell of 1e30 (or a long digit string typed as a number)."""
    from xl_perf.foreign.labels import number_text

    assert number_text(1e30) == "1" + "0" * 30
    assert number_text(37.24) == "37.24" and number_text(5.0) == "5"
