"""`xl-perf report`: the draft .docx read back with python-docx, its numbers against the engine's, its typography,
LibreOffice opening it, a second run on changed data, and the draft passing its own report check."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Cm

from tests.conftest import SAMPLES, require_tool, sample_data
from tests.test_cli import run
from xl_perf.model.evaluation import evaluate
from xl_perf.report.draft import draft, file_name
from xl_perf.report.outline import REASON_PLACEHOLDER, score
from xl_perf.template.sources import load_any

WORKBOOKS = [SAMPLES / "gangmen-2022-zhengti.xlsx", SAMPLES / "gangmen-2022-xiangmu.xlsx"]
UNIT = "遂溪县港门镇人民政府"


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("draft")
    result = run("report", *map(str, WORKBOOKS), "-o", str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "初稿核对：错误 0 个" in result.stdout
    (target,) = folder.glob("*.docx")
    return target


def _all_text(document: docx.document.Document) -> str:
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_draft_carries_the_engine_numbers(drafted: Path) -> None:
    document = docx.Document(str(drafted))
    text = _all_text(document)
    assert UNIT in text and "2022年度整体绩效自评报告" in text and "项目支出绩效自评报告" in text
    assert "固定资产利用率为 99.65%" in text
    overall = evaluate(load_any(WORKBOOKS[0], lenient=True)[0])
    assert str(overall.total) == "89.09" and f"自评得分 {score(overall.total)} 分，等级为良" in text
    # the 评分表: every indicator's score as the engine gives it, and the total
    scoring = next(t for t in document.tables if t.rows[0].cells[0].text == "指标")
    rows = {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for r in scoring.rows[1:]}
    for indicator in overall.indicators:
        path = " / ".join(indicator.path)
        if path in rows:
            assert rows[path][1] == score(indicator.score), path
    assert rows["合计"] == ("100", "89.09")
    scored = [i for i in overall.indicators if i.weight or i.score]
    assert len(scored) == 29 and all(" / ".join(i.path) in rows for i in scored)
    project = evaluate(load_any(WORKBOOKS[1], lenient=True)[0])
    assert f"本项目自评得分 {score(project.total)} 分，等级为{project.grade}" in text
    goals = next(t for t in document.tables if t.rows[0].cells[0].text == "绩效指标")
    assert len(goals.rows) - 1 == len(project.rows)
    assert any("2024年5月" in r.cells[1].text and "2022年10月" in r.cells[2].text for r in goals.rows)


def test_draft_says_where_the_stated_total_differs(drafted: Path) -> None:
    text = _all_text(docx.Document(str(drafted)))
    assert "工作簿中填报的合计为 94 分" in text and "89.09 分不同" in text


def test_typography_of_official_documents(drafted: Path) -> None:
    document = docx.Document(str(drafted))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.cm, 2) for m in margins] == [3.7, 3.5, 2.8, 2.6]
    assert all(abs(m - Cm(v)) < Cm(0.01) for m, v in zip(margins, (3.7, 3.5, 2.8, 2.6), strict=True))

    def east_asian(run: docx.text.run.Run) -> str:
        return run._element.rPr.rFonts.get(qn("w:eastAsia"))

    paragraphs = document.paragraphs
    title = next(p for p in paragraphs if p.text == "2022年度整体绩效自评报告")
    assert east_asian(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    heading = next(p for p in paragraphs if p.text == "一、单位基本情况")
    assert east_asian(heading.runs[0]) == "黑体" and heading.runs[0].font.size.pt == 16
    sub = next(p for p in paragraphs if p.text == "（一）单位概况")
    assert east_asian(sub.runs[0]) == "楷体"
    body = next(p for p in paragraphs if p.text.startswith("固定资产利用率为"))
    assert east_asian(body.runs[0]) == "仿宋" and body.runs[0].font.size.pt == 16
    assert body.paragraph_format.first_line_indent.pt == 32 and body.paragraph_format.line_spacing.pt == 28


def test_placeholders_are_marked(drafted: Path) -> None:
    document = docx.Document(str(drafted))
    marked = [r for p in document.paragraphs for r in p.runs if r.text.startswith("【")]
    assert len(marked) >= 8
    assert all(r.text.endswith("】") and r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in marked)
    plain = [r for p in document.paragraphs for r in p.runs if "【" not in r.text and r.text.strip()]
    assert plain and all(r.font.highlight_color is None for r in plain)
    texts = [r.text for r in marked]
    assert any("机构设置" in t for t in texts) and any("改进措施" in t for t in texts)


def test_the_draft_passes_the_report_check(drafted: Path) -> None:
    result = run("check", *map(str, WORKBOOKS), str(drafted), "--json")
    findings = [f for f in json.loads(result.stdout)["findings"] if f["location"].get("file") == str(drafted)]
    assert not [f for f in findings if f["severity"] == "error"], findings


def test_an_edited_number_in_the_draft_is_found(drafted: Path, tmp_path: Path) -> None:
    document = docx.Document(str(drafted))
    for paragraph in document.paragraphs:
        for run_ in paragraph.runs:
            run_.text = run_.text.replace("固定资产利用率为 99.65%", "固定资产利用率为 100.00%")
    edited = tmp_path / "改过.docx"
    document.save(str(edited))
    result = run("check", *map(str, WORKBOOKS), str(edited), "--json")
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "TEXT_NUMBER"]
    assert len(found) == 1 and "99.65%" in found[0]["message"] and "段" in found[0]["location"]["key"]


def test_libreoffice_opens_the_draft(drafted: Path, tmp_path: Path) -> None:
    soffice = require_tool("soffice")
    require_tool("pdftotext")
    copy = tmp_path / "draft.docx"
    shutil.copy(drafted, copy)
    profile = f"-env:UserInstallation=file://{tmp_path}/lo"
    subprocess.run(
        [soffice, "--headless", profile, "--convert-to", "pdf", "--outdir", str(tmp_path), str(copy)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "draft.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert UNIT in text and "99.65%" in text and "89.09" in text


def test_a_second_run_on_changed_data_regenerates(tmp_path: Path) -> None:
    data = sample_data("gangmen-2022-zhengti.json")
    source = tmp_path / "zhengti.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    first = draft([source], out)
    assert "固定资产利用率为 99.65%" in _all_text(docx.Document(str(first.target)))
    data["fields"]["资产管理"]["在用固定资产总额（原值）"] = 600
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    second = draft([source], out)  # the tool's own file: replaced without --overwrite
    assert second.target == first.target
    text = _all_text(docx.Document(str(second.target)))
    assert "固定资产利用率为 96.20%" in text and "99.65%" not in text
    assert second.errors == 0


def test_the_indicator_table_has_the_reasons_of_the_workbook_or_a_placeholder(tmp_path: Path) -> None:
    data = sample_data("gangmen-2022-xiangmu.json")
    column = "目标偏差原因分析及改进措施"
    data["indicator_rows"][9][column] = "受征地影响，开工时间推迟；已建立进度台账按月督办"
    data["indicator_rows"][10][column] = ""
    source = tmp_path / "xiangmu.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    made = draft([source], out)
    document = docx.Document(str(made.target))
    goals = next(t for t in document.tables if t.rows[0].cells[0].text == "绩效指标")
    header = [c.text for c in goals.rows[0].cells]
    assert header == ["绩效指标", "目标值", "实际完成值", "分值", "得分", column]
    by_name = {r.cells[0].text.split(" / ")[-1]: r for r in goals.rows[1:]}
    assert len(by_name) == len(data["indicator_rows"]) == 18
    assert by_name["指标1：项目开工时间"].cells[5].text == "受征地影响，开工时间推迟；已建立进度台账按月督办"
    placeholder = by_name["指标2：项目竣工时间"].cells[5]
    assert placeholder.text == REASON_PLACEHOLDER and REASON_PLACEHOLDER.startswith("【")
    assert by_name["指标1：铺设人行道大理石路面砖面层"].cells[5].text == "目标没有偏差"
    # the placeholder in a table cell is marked like the others, and the draft still passes its own check
    marked = [r for r in placeholder.paragraphs[0].runs if r.text.startswith("【")]
    assert marked and marked[0].font.highlight_color == WD_COLOR_INDEX.YELLOW
    assert made.errors == 0


def test_a_file_the_tool_did_not_make_is_not_replaced(tmp_path: Path) -> None:
    doc, _ = load_any(WORKBOOKS[0], lenient=True)
    target = tmp_path / file_name(doc)
    target.write_bytes(b"the clerk's own report")
    result = run("report", str(WORKBOOKS[0]), "-o", str(tmp_path))
    assert result.returncode == 2 and "--overwrite" in result.stderr + result.stdout
    assert target.read_bytes() == b"the clerk's own report"
    assert run("report", str(WORKBOOKS[0]), "-o", str(tmp_path), "--overwrite").returncode == 0
    assert target.read_bytes().startswith(b"PK")


def test_two_units_are_refused(tmp_path: Path) -> None:
    result = run("report", str(WORKBOOKS[0]), str(SAMPLES / "ziyuan-2023-zhengti.json"), "-o", str(tmp_path))
    assert result.returncode == 2 and "一个单位" in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.docx"))
