"""Reading reports: .docx (paragraphs and tables in order), PDF text, and the refusal of .doc/.wps."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import docx
import pytest

from tests.conftest import SAMPLES, require_tool
from tests.report_docs import docx_from_text
from tests.test_cli import run
from xl_perf.errors import BadInputError
from xl_perf.io.report_files import read_report
from xl_perf.validate.report.reading import report_text

SEED = SAMPLES / "gangmen-2022-filing.txt"
WORKBOOKS = [str(SAMPLES / "gangmen-2022-zhengti.xlsx"), str(SAMPLES / "gangmen-2022-xiangmu.xlsx")]
_WHERE = re.compile(r"第\d+(?:个表格第\d+行第\d+列|页第\d+行|行|段)")


def _check(report: Path) -> list[dict]:
    import json

    result = run("check", *WORKBOOKS, str(report), "--json")
    assert result.returncode == 1, result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["location"].get("file") == str(report)]


def _same(findings: list[dict]) -> Counter[tuple[str, str]]:
    return Counter((f["code"], _WHERE.sub("#", f["message"])) for f in findings)


@pytest.fixture(scope="module")
def seed_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return docx_from_text(SEED.read_text(encoding="utf-8"), tmp_path_factory.mktemp("docx") / "自评报告.docx")


def test_docx_gives_the_findings_of_the_text(seed_docx: Path) -> None:
    from_text = _check(SEED)
    from_docx = _check(seed_docx)
    assert _same(from_docx) == _same(from_text)
    assert len(from_docx) >= 20


def test_docx_findings_point_to_paragraph_and_cell(seed_docx: Path) -> None:
    findings = _check(seed_docx)
    place = [f for f in findings if f["code"] == "TEXT_PLACE"]
    assert len(place) == 1 and "泸定县政务网" in place[0]["message"]
    assert re.fullmatch(r"第\d+段", place[0]["location"]["key"])
    numbers = [f for f in findings if f["code"] == "TEXT_DOC_NUMBER"]
    keys = {f["location"]["key"] for f in numbers}
    assert len(numbers) == 2 and any(re.fullmatch(r"第\d+段", k) for k in keys)
    assert any(re.fullmatch(r"第\d+个表格第\d+行第\d+列", k) for k in keys), keys
    text = {f["message"] for f in numbers}
    assert any("遂发改农〔2021〕41号" in m and "遂发改〔2022〕45号" in m for m in text)
    # the paragraph a key names holds the quoted excerpt
    document = docx.Document(str(seed_docx))
    paragraphs = [p.text for p in document.paragraphs if p.text.strip()]
    number = int(re.search(r"\d+", place[0]["location"]["key"]).group())
    assert "泸定县政务网" in paragraphs[number - 1]
    cell_key = next(k for k in keys if "表格" in k)
    table, row, column = map(int, re.findall(r"\d+", cell_key))
    assert "遂发改〔2022〕45号" in document.tables[table - 1].rows[row - 1].cells[column - 1].text


def test_merged_cells_are_read_once(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "单位名称"
    table.cell(0, 2).text = "遂溪县港门镇人民政府"
    table.cell(1, 0).merge(table.cell(1, 1))
    table.cell(1, 0).text = "上"
    a = table.cell(0, 2)
    a.merge(table.cell(1, 2))
    path = tmp_path / "m.docx"
    document.save(str(path))
    parts = read_report(path).parts
    assert [p.cells for p in parts] == [("单位名称", "遂溪县港门镇人民政府"), ("上", "")]
    doc = report_text(read_report(path), "m.docx")
    assert doc.key(doc.raw.index("遂溪县")) == "第1个表格第1行第2列"


@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_old_word_and_wps_files_are_refused_in_chinese(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"报告{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(BadInputError, match="另存为"):
        read_report(path)
    result = run("check", *WORKBOOKS, str(path))
    assert (
        result.returncode == 2
        and "另存为" in result.stderr + result.stdout
        and ".docx" in result.stderr + result.stdout
    )
    assert "Traceback" not in result.stderr


def test_a_doc_renamed_docx_and_a_broken_docx(tmp_path: Path) -> None:
    renamed = tmp_path / "a.docx"
    renamed.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(BadInputError, match="另存为"):
        read_report(renamed)
    broken = tmp_path / "b.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BadInputError, match="docx"):
        read_report(broken)


def test_pdf_text_of_the_report(seed_docx: Path, tmp_path: Path) -> None:
    soffice = require_tool("soffice")
    shutil.copy(seed_docx, tmp_path / "r.docx")
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "r.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    report = read_report(tmp_path / "r.pdf")
    assert report.kind == "pdf" and "\f" in report.text
    findings = _check(tmp_path / "r.pdf")
    codes = {f["code"] for f in findings}
    assert {"TEXT_PLACE", "TEXT_OTHER_UNIT", "TEXT_NUMBER"} <= codes, codes
    assert all(re.fullmatch(r"第\d+页第\d+行", f["location"]["key"]) for f in findings)


def test_a_pdf_without_text_is_said(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(BadInputError, match="扫描件"):
        read_report(path)


def test_a_missing_report_is_said_before_its_format(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="文件不存在"):
        read_report(tmp_path / "没有.doc")


def test_indicator_scores_in_a_word_report_against_the_engine(tmp_path: Path) -> None:
    """The engine on the gangmen workbooks gives 重点工作完成率 0.09 of 5 (the form states 5) and 支出完成率 4."""
    text = (
        "遂溪县港门镇人民政府2022年度整体绩效自评报告\n"
        "重点工作完成率为1.71%，得分5分。\n"
        "支出完成率指标得4分，固定资产利用率为99.65%，得3分。\n"
    )
    report = docx_from_text(text, tmp_path / "得分.docx")
    findings = [f for f in _check(report) if f["code"] == "TEXT_NUMBER"]
    assert len(findings) == 1, findings
    assert "“重点工作完成率”得分为 0.09 分" in findings[0]["message"]
    assert findings[0]["location"]["key"] == "第2段"


def test_indicator_row_scores_are_known_without_their_numbering(tmp_path: Path) -> None:
    """The project's rows are named "指标1：项目验收结果" in the form (8 of 8 points), without the number in prose."""
    text = "遂溪县港门镇乡村振兴基础设施综合提升项目支出绩效自评报告\n项目验收结果指标得6分。\n"
    findings = [f for f in _check(docx_from_text(text, tmp_path / "行.docx")) if f["code"] == "TEXT_NUMBER"]
    assert len(findings) == 1 and "“项目验收结果”得分为 8 分" in findings[0]["message"], findings
    text = text.replace("得6分", "得8分")
    assert not [f for f in _check(docx_from_text(text, tmp_path / "对.docx")) if f["code"] == "TEXT_NUMBER"]
