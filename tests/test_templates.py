"""Generated templates: structure, round trips through fill/dump, scoring a workbook, and refusing bad templates."""

from __future__ import annotations

import copy
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import SAMPLES, sample_data
from tests.test_cli import run
from xl_perf.io.workbook import FileWorkbook, SnapshotWorkbook
from xl_perf.model import document
from xl_perf.model.evaluation import evaluate
from xl_perf.rules import loader
from xl_perf.template import generate, read, regenerate, sources
from xl_perf.template.layout import field_name

SAMPLE_NAMES = ["gangmen-2022-zhengti", "gangmen-2022-xiangmu", "ziyuan-2023-zhengti"]


def canonical(name: str) -> dict:
    return document.to_dict(document.from_dict(sample_data(f"{name}.json")))


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_dump_of_fill_is_the_data(name: str, tmp_path: Path) -> None:
    doc = document.from_dict(sample_data(f"{name}.json"))
    template_dir = tmp_path / "t"
    template_dir.mkdir()
    result = run(
        "new", "-f", doc.pack.id, "-y", str(doc.year), "-u", doc.unit, "--level", doc.level, "-o", str(template_dir)
    )
    assert result.returncode == 0, result.stderr
    template = next(template_dir.glob("*.xlsx"))
    before = template.read_bytes()
    out = tmp_path / "filled.xlsx"
    result = run("fill", str(template), str(SAMPLES / f"{name}.json"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert template.read_bytes() == before
    dumped = run("dump", str(out), "--json")
    assert dumped.returncode == 0, dumped.stderr
    assert json.loads(dumped.stdout) == canonical(name)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_score_of_workbook_equals_score_of_data(name: str) -> None:
    workbook = SAMPLES / f"{name}.xlsx"
    before = workbook.read_bytes()
    from_workbook = json.loads(run("score", str(workbook), "--json").stdout)
    from_data = json.loads(run("score", str(SAMPLES / f"{name}.json"), "--json").stdout)
    assert workbook.read_bytes() == before
    for result in (from_workbook, from_data):
        for finding in result["findings"]:
            finding.pop("location")
    assert from_workbook == from_data


def test_findings_of_a_workbook_point_at_sheet_and_cell() -> None:
    data = json.loads(run("score", str(SAMPLES / "gangmen-2022-zhengti.xlsx"), "--json").stdout)
    finding = next(f for f in data["findings"] if f["code"] == "RATE_MISMATCH" and "固定资产" in f["message"])
    location = finding["location"]
    assert location["sheet"] == "整体基础数据（基本情况）"
    with FileWorkbook(SAMPLES / "gangmen-2022-zhengti.xlsx") as book:
        target = book.names()[field_name("fixed_assets_rate_stated")]
        assert location["cell"] == f"{chr(65 + target.first[1])}{target.first[0] + 1}"
        assert book.value(target.sheet, *target.first) == 1
    key_work = next(f for f in data["findings"] if f["code"] == "SCORE_MISMATCH")
    assert key_work["location"]["sheet"] == "整体评分表"


def _blank(framework: str) -> Path:
    return regenerate.ROOT / "blank" / f"{framework}-{regenerate.TEMPLATE_YEAR}.xlsx"


@pytest.mark.parametrize("framework", loader.available())
def test_blank_template_structure(framework: str) -> None:
    path = _blank(framework)
    book = openpyxl.load_workbook(path)  # read only in a test; never saved
    pack = loader.load(framework)
    names = set(book.defined_names)
    for field_id in pack.fields:
        assert field_name(field_id) in names, field_id
    assert book["_xlperf"].sheet_state == "veryHidden"
    inputs = 0
    for ws in book.worksheets:
        if ws.title == "_xlperf":
            continue
        assert ws.protection.sheet and not ws.protection.password
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (8, 9)  # A3 for ~30 columns
        # fitToWidth=1 is the OOXML default and is left out of the file; fitToHeight=0 means "as many pages as needed".
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_area
        validated = {str(c) for dv in ws.data_validations.dataValidation for c in dv.sqref.ranges}
        for row in ws.iter_rows():
            for cell in row:
                if cell.fill.fgColor.rgb == "FFFFF2CC":
                    inputs += 1
                    assert not cell.protection.locked, f"{ws.title}!{cell.coordinate} is an input but locked"
                elif cell.data_type == "f":
                    assert cell.protection.locked, f"{ws.title}!{cell.coordinate} is computed but unlocked"
        assert validated, ws.title
    assert inputs >= len(pack.fields)


def _rule_of(ws: object, cell: str) -> object:
    """The one data-validation rule covering `cell` of an openpyxl sheet."""
    rules = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]  # type: ignore[attr-defined]
    assert len(rules) == 1, (cell, rules)
    return rules[0]


def test_validation_prompts_are_chinese() -> None:
    book = openpyxl.load_workbook(_blank("gd-county-zhengti"))
    ws = book["整体基础数据（基本情况）"]
    target = book.defined_names[field_name("fixed_assets_total")].attr_text.split("!")[1].replace("$", "")
    rule = _rule_of(ws, target)
    assert rule.prompt.startswith("请输入金额") and rule.error.startswith("金额须为")
    assert rule.type == "decimal"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(dv.formula1 == '"是,否"' for dv in lists)


def _validation_rules(path: Path) -> int:
    with zipfile.ZipFile(path) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        return sum(package.read(n).count(b"<dataValidation ") for n in sheets)


def test_one_validation_rule_per_range_that_shares_it(tmp_path: Path) -> None:
    """A blank 整体 template holds at most 60 rules (it held 506, one per cell), and ten times the spare rows add
    none: a table column's slots share one rule."""
    assert _validation_rules(_blank("gd-county-zhengti")) <= 60
    from xl_perf.io import xlsx_writer
    from xl_perf.io.cells import address
    from xl_perf.template import builder, native

    doc = document.empty("gd-county-zhengti", 2026, "县", "")
    sizes = []
    for spare in (3, 30):
        plan = builder.build(doc, native.NativeFormulas(doc), spare_rows=spare)
        path = tmp_path / f"spare{spare}.xlsx"
        xlsx_writer.write(plan, path)
        sizes.append(_validation_rules(path))
        # Every input cell of every sheet is validated by exactly one rule.
        book = openpyxl.load_workbook(path)
        for sheet in plan.sheets:
            for (row, col), cell in sheet.cells.items():
                if cell.validation is not None:
                    _rule_of(book[sheet.name], address(row, col))
    assert sizes[0] == sizes[1] <= 60


def test_year_and_level_words_in_the_template(tmp_path: Path) -> None:
    for level, words in (("县", ("县委督查得分", "县委县政府")), ("市", ("市委督查得分", "市委市政府"))):
        out = tmp_path / level
        out.mkdir()
        assert (
            run(
                "new", "-f", "gd-county-zhengti", "-y", "2023", "-u", "某单位", "--level", level, "-o", str(out)
            ).returncode
            == 0
        )
        text = _all_text(next(out.glob("*.xlsx")))
        assert all(w in text for w in words)
        assert "提前于2022年11月底前" in text and "2023年省、市财政预决算信息公开检查" in text
        assert "（2023年）" in text


def _all_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/sharedStrings.xml").decode("utf-8")


def test_projects_go_into_the_funds_table(tmp_path: Path) -> None:
    assert (
        run(
            "new",
            "-f",
            "gd-county-zhengti",
            "-y",
            "2026",
            "-u",
            "某镇人民政府",
            "-p",
            "甲项目",
            "-p",
            "乙项目",
            "-o",
            str(tmp_path),
        ).returncode
        == 0
    )
    data = json.loads(run("dump", str(next(tmp_path.glob("*.xlsx"))), "--json").stdout)
    labels = [r["项目"] for r in data["tables"]["财政资金情况"]]
    assert labels == ["项目1：甲项目", "项目2：乙项目"]
    assert data["fields"]["单位基本情况"]["单位名称"] == "某镇人民政府"


def test_one_workbook_per_project(tmp_path: Path) -> None:
    assert (
        run(
            "new", "-f", "gd-county-xiangmu", "-y", "2026", "-u", "某镇", "-p", "甲", "-p", "乙", "-o", str(tmp_path)
        ).returncode
        == 0
    )
    names = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert names == ["某镇_2026_乙_项目支出绩效自评指标评分表.xlsx", "某镇_2026_甲_项目支出绩效自评指标评分表.xlsx"]


def _snapshot(path: Path) -> SnapshotWorkbook:
    with FileWorkbook(path) as book:
        sheets: dict[str, dict[tuple[int, int], object]] = {}
        formulas: dict[str, set[tuple[int, int]]] = {}
        for sheet in book.sheet_names():
            grid = book.grid(sheet)
            sheets[sheet] = {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row) if v not in ("", None)}
            formulas[sheet] = {(r, c) for r, c in sheets[sheet] if book.is_formula(sheet, r, c)}
        return SnapshotWorkbook(sheets, book.names(), formulas, str(path))  # type: ignore[arg-type]


def test_inserted_project_rows_are_read(tmp_path: Path) -> None:
    """Users add projects by inserting rows inside the table; names grow with the region, as in Excel/LibreOffice."""
    snapshot = _snapshot(SAMPLES / "gangmen-2022-zhengti.xlsx")
    target = snapshot.defined["xp_table_funds"]
    sheet = target.sheet
    insert_at = target.first[0] + 6  # right after 项目1, inside the region
    cells = snapshot.sheets[sheet]
    shifted = {((r + 1, c) if r >= insert_at else (r, c)): v for (r, c), v in cells.items()}
    shifted[(insert_at, 0)] = "项目2：新增项目"
    shifted[(insert_at, 1)] = 12.5
    snapshot.sheets[sheet] = shifted
    for name, t in list(snapshot.defined.items()):
        if t.sheet != sheet:
            continue
        first = (t.first[0] + (t.first[0] >= insert_at), t.first[1])
        last = (t.last[0] + (t.last[0] >= insert_at), t.last[1])
        snapshot.defined[name] = type(t)(t.sheet, first, last)
    snapshot.formulas[sheet] = {((r + 1, c) if r >= insert_at else (r, c)) for r, c in snapshot.formulas[sheet]}
    data = read.read_dict(snapshot)
    rows = data["tables"]["财政资金情况"]  # type: ignore[index]
    assert {"项目": "项目2：新增项目", "财政下达预算情况/小计": 12.5} in rows
    assert data["fields"] == read.read_dict(_snapshot(SAMPLES / "gangmen-2022-zhengti.xlsx"))["fields"]


def test_snapshot_json_round_trip() -> None:
    snapshot = _snapshot(SAMPLES / "ziyuan-2023-zhengti.xlsx")
    again = SnapshotWorkbook.from_json(snapshot.to_json())
    assert read.read_dict(again) == read.read_dict(snapshot)


def test_fill_refuses_to_overwrite_its_inputs(tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    shutil.copy(SAMPLES / "gangmen-2022-zhengti.xlsx", template)
    before = template.read_bytes()
    result = run("fill", str(template), str(SAMPLES / "gangmen-2022-zhengti.json"), "-o", str(template))
    assert result.returncode == 2 and "不能覆盖输入文件" in result.stderr
    assert template.read_bytes() == before


def test_fill_never_replaces_another_workbook(tmp_path: Path) -> None:
    """A workbook already at -o that the tool did not make (another unit's, or one filled by hand) is left as it was,
    unless the user says --overwrite; the tool's own earlier output of that name is replaced (a re-run of fill)."""
    template = SAMPLES / "gangmen-2022-zhengti.xlsx"  # of the data's framework and year
    other = tmp_path / "已填好的.xlsx"
    shutil.copy(SAMPLES / "gangmen-2022-xiangmu.xlsx", other)
    before = other.read_bytes()
    data = SAMPLES / "gangmen-2022-zhengti.json"
    result = run("fill", str(template), str(data), "-o", str(other))
    assert result.returncode == 2 and "已存在" in result.stderr and "--overwrite" in result.stderr
    assert other.read_bytes() == before and result.stdout == ""
    again = run("fill", str(template), str(data), "-o", str(other), "--overwrite")
    assert again.returncode == 0, again.stderr
    assert other.read_bytes() != before
    rerun = run("fill", str(template), str(data), "-o", str(other))  # now the tool's own output
    assert rerun.returncode == 0, rerun.stderr


def test_fill_refuses_a_framework_mismatch(tmp_path: Path) -> None:
    result = run(
        "fill", str(_blank("mof-zhengti")), str(SAMPLES / "gangmen-2022-zhengti.json"), "-o", str(tmp_path / "x.xlsx")
    )
    assert result.returncode == 2 and "框架" in result.stderr and not (tmp_path / "x.xlsx").exists()


def test_a_workbook_that_is_not_ours(tmp_path: Path) -> None:
    import xlsxwriter

    foreign = tmp_path / "foreign.xlsx"
    book = xlsxwriter.Workbook(str(foreign))
    book.add_worksheet("Sheet1").write_string(0, 0, "整体绩效自评基础数据表")
    book.close()
    for command in (["dump", str(foreign)], ["score", str(foreign)]):
        result = run(*command)
        assert result.returncode == 2
        assert "不是绩效自评助手生成的工作簿" in result.stderr and "Traceback" not in result.stderr
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_text("not a workbook", encoding="utf-8")
    result = run("dump", str(garbage))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_formula_defaults_are_not_stated_values(tmp_path: Path) -> None:
    """A blank template keeps rate and score formulas in overridable cells; reading it states nothing."""
    data = json.loads(run("dump", str(_blank("gd-county-zhengti")), "--json").stdout)
    assert "scores" not in data and "stated_total" not in data
    assert data["fields"] == {}


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    raw = copy.deepcopy(sample_data("gangmen-2022-zhengti.json"))
    raw["fields"]["制度措施建立情况"]["制度措施建立情况"] = '=HYPERLINK("http://x","点我")'
    doc = document.from_dict(raw)
    out = tmp_path / "x.xlsx"
    generate.write_workbook(doc, out)
    with FileWorkbook(out) as book:
        target = book.names()[field_name("rules_established")]
        assert not book.is_formula(target.sheet, *target.first)
        assert book.value(target.sheet, *target.first) == raw["fields"]["制度措施建立情况"]["制度措施建立情况"]


def test_written_workbook_scores_like_its_document() -> None:
    doc = document.load_path(SAMPLES / "gangmen-2022-xiangmu.json")
    workbook_doc, _ = sources.load_any(SAMPLES / "gangmen-2022-xiangmu.xlsx")
    assert evaluate(workbook_doc).total == evaluate(doc).total == 100
