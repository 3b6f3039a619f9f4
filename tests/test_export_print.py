"""The export as submitted (issue 13): the numbers, the printed weights and a form an accountant can stamp.

For a filled workbook of each of the four frameworks (and a blank one of each, exported with --force):

1. every number of the submission copy, read back with python-calamine, is the engine's: each rate, weight, score and
   the 合计 (which counts the 加减分 and is capped as the rules say), whatever the form's own formulas add up;
2. after a redistribution the weights are printed as applied (资金下达合法性 not applicable: 0 and 不适用, 支出完成率
   4 + 3 = 7 with its score), in the copy and in the PDF;
3. the copy has no fill (no yellow input shading), no data validation or input prompts; the PDF (LibreOffice) has
   "第 N 页 共 M 页" on every page, exactly the pages the copy's page breaks ask for (so nothing spills to the right
   or onto an extra page), every section on one page, A4 upright for the narrow sheets and across for the wider;
   its pages are rendered to tests/_output/png/print/<case>/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests import submission_cases
from tests.conftest import ROOT, require_tool
from tests.submission_cases import PrintCase
from xl_perf import export as exporter
from xl_perf.io.libreoffice import find_soffice, to_png
from xl_perf.io.pages import page_breaks
from xl_perf.io.workbook import FileWorkbook
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.template.generate import build_layout
from xl_perf.template.layout import STATED_TOTAL_NAME, Layout, rate_name, stated_name, weight_name

PNG_DIR = ROOT / "tests" / "_output" / "png" / "print"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
M = f"{{{MAIN}}}"
A4 = (595, 842)
A3 = (842, 1191)
PAPERS = {"9": A4, "8": A3}


@dataclass
class Printed:
    case: PrintCase
    evaluation: Evaluation
    plan: Layout
    book: Path
    pdf: Path | None


def _export(case: PrintCase, folder: Path, pdf: bool) -> Printed:
    source = folder / "source"
    source.mkdir()
    workbook = case.workbook(source)
    result = exporter.export(workbook, folder, pdf=pdf, force=True)
    doc = case.document()
    (book,) = [f for f in result.files if f.suffix == ".xlsx"]
    pdfs = [f for f in result.files if f.suffix == ".pdf"]
    return Printed(case, evaluate(doc), build_layout(doc), book, pdfs[0] if pdfs else None)


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Printed]:
    """Every case exported once without PDF (the values-only copy)."""
    return {c.id: _export(c, tmp_path_factory.mktemp(c.id), pdf=False) for c in submission_cases.ALL}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Printed]:
    """Every case exported once with its PDF, through LibreOffice."""
    for tool in ("pdftotext", "pdfinfo", "pdftoppm"):
        require_tool(tool)
    if find_soffice() is None:
        require_tool("soffice")
    return {c.id: _export(c, tmp_path_factory.mktemp(f"{c.id}-pdf"), pdf=True) for c in submission_cases.ALL}


def _tool(*command: str) -> str:
    return subprocess.run(list(command), capture_output=True, text=True, encoding="utf-8", check=True).stdout


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page, without whitespace (pdftotext breaks wrapped cell text anywhere)."""
    text = _tool("pdftotext", str(pdf), "-")
    return [re.sub(r"\s+", "", page) for page in text.split("\f") if page.strip()]


def page_sizes(pdf: Path) -> list[tuple[int, int]]:
    count = int(re.search(r"Pages:\s+(\d+)", _tool("pdfinfo", str(pdf))).group(1))  # type: ignore[union-attr]
    listing = _tool("pdfinfo", "-f", "1", "-l", str(count), str(pdf))
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", listing)
    return [(round(float(w)), round(float(h))) for w, h in sizes]


def sheet_parts(book: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as archive:
        return {n: archive.read(n) for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)}


def ordered_sheets(book: Path) -> list[ET.Element]:
    parts = sheet_parts(book)
    return [ET.fromstring(parts[f"xl/worksheets/sheet{i}.xml"]) for i in range(1, len(parts) + 1)]


def breaks_of(sheet: ET.Element) -> list[int]:
    return [int(b.get("id", "0")) for b in sheet.iter(f"{M}brk")]


def at(grid: list[list[object]], row: int, col: int) -> object:
    return grid[row][col] if row < len(grid) and col < len(grid[row]) else None


def same_number(written: object, expected: Decimal) -> bool:
    return isinstance(written, int | float) and not isinstance(written, bool) and Decimal(str(written)) == expected


def expected_numbers(printed: Printed) -> dict[tuple[str, int, int], Decimal | str]:
    """What the engine says each named number of the printed form is, from the evaluation alone."""
    evaluation, doc = printed.evaluation, printed.evaluation.document
    by_name: dict[str, Decimal | str] = {}
    for rate in evaluation.rates.values():
        if rate.value is not None:
            by_name[rate_name(rate.id)] = rate.value
    for result in evaluation.indicators:
        if result.kind == "bonus_penalty":
            by_name[stated_name(result.id)] = result.stated_score if result.stated_score is not None else result.score
            continue
        not_applicable = result.basis == "na" or (result.weight == 0 and result.declared_weight > 0)
        by_name[weight_name(result.id)] = result.weight
        shown = result.stated_score if result.stated_score is not None else result.computed
        if not_applicable:
            by_name[stated_name(result.id)] = exporter.NOT_APPLICABLE
        elif shown is not None:
            by_name[stated_name(result.id)] = shown
    by_name[STATED_TOTAL_NAME] = doc.stated_total if doc.stated_total is not None else evaluation.total
    rows = {r.row_index: r for r in evaluation.rows}
    expected: dict[tuple[str, int, int], Decimal | str] = {}
    for sheet in printed.plan.sheets:
        for (row, col), cell in sheet.cells.items():
            if col >= sheet.print_cols:
                continue
            binding = cell.binding
            if cell.name in by_name:
                expected[(sheet.name, row, col)] = by_name[cell.name]
            elif binding is not None and binding.kind == "row" and binding.column == "score":
                result = rows.get(binding.slot)
                if result is not None:
                    value = result.stated_score if result.stated_score is not None else result.computed
                    if value is not None:
                        expected[(sheet.name, row, col)] = value
    return expected


CASE_IDS = [c.id for c in submission_cases.ALL]


# ---------------------------------------------------------------------------------------------------- 1. numbers


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_number_of_the_copy_is_the_engines(copies: dict[str, Printed], case_id: str) -> None:
    copy = copies[case_id]
    expected = expected_numbers(copy)
    assert total_cell(copy)[0] in {s.name for s in copy.plan.sheets}
    wrong = []
    with FileWorkbook(copy.book) as book:
        grids = {s.name: book.grid(s.name) for s in copy.plan.sheets}
    for (sheet, row, col), value in expected.items():
        written = at(grids[sheet], row, col)
        ok = written == value if isinstance(value, str) else same_number(written, value)
        if not ok:
            wrong.append((sheet, row + 1, col + 1, written, value))
    assert not wrong, wrong[:10]
    assert len(expected) >= (1 if copy.case.blank else 5)


def total_cell(printed: Printed) -> tuple[str, int, int]:
    for sheet in printed.plan.sheets:
        for (row, col), cell in sheet.cells.items():
            if cell.name == STATED_TOTAL_NAME:
                return sheet.name, row, col
    raise AssertionError("no 合计 cell")


def test_the_bonus_counts_in_the_printed_total(copies: dict[str, Printed]) -> None:
    copy = copies["gd-county-zhengti-bonus"]
    assert copy.evaluation.bonus == 1 and copy.evaluation.document.stated_total is None
    assert copy.evaluation.total == Decimal("90.09")  # 89.09 of the corrected filing plus one 表彰
    sheet, row, col = total_cell(copy)
    with FileWorkbook(copy.book) as book:
        assert same_number(book.value(sheet, row, col), Decimal("90.09")), book.value(sheet, row, col)


def test_weights_are_printed_as_applied(copies: dict[str, Printed]) -> None:
    copy = copies["gd-county-zhengti-not-applicable"]
    by_name = {r.name: r for r in copy.evaluation.indicators}
    completion, legality = by_name["支出完成率"], by_name["资金下达合法性"]
    assert (completion.declared_weight, completion.weight) == (4, 7)
    assert (legality.declared_weight, legality.weight) == (3, 0)
    sheet = copy.plan.sheet("scores")
    with FileWorkbook(copy.book) as book:
        grid = book.grid(sheet.name)
    rows = {at(grid, r, c): r for (r, c), cell in sheet.cells.items() if cell.style == "ind_name"}
    weight_col = next(c for (r, c), cell in sheet.cells.items() if cell.name == weight_name("spending_completion"))
    score_col = next(c for (r, c), cell in sheet.cells.items() if cell.name == stated_name("spending_completion"))
    completion_row, legality_row = rows["支出完成率"], rows["资金下达合法性"]
    assert same_number(at(grid, completion_row, weight_col), Decimal(7))
    assert same_number(at(grid, completion_row, score_col), Decimal(7))
    assert "调入的3分" in str(at(grid, completion_row, score_col - 1))
    assert same_number(at(grid, legality_row, weight_col), Decimal(0))
    assert at(grid, legality_row, score_col) == "不适用"
    assert at(grid, legality_row, score_col - 1) == "不适用，3分调整至“支出完成率”"


# ---------------------------------------------------------------------------------------------------- 2. no shading


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_the_copy_has_no_fill_validation_or_prompt(copies: dict[str, Printed], case_id: str) -> None:
    with zipfile.ZipFile(copies[case_id].book) as archive:
        styles = ET.fromstring(archive.read("xl/styles.xml"))
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    patterns = [p.get("patternType") for p in styles.iter(f"{M}patternFill")]
    assert patterns == ["none", "gray125"], patterns  # Excel's two built-in fills and nothing else
    assert not list(styles.iter(f"{M}fgColor")) and not list(styles.iter(f"{M}bgColor"))
    for xf in styles.find(f"{M}cellXfs").iter(f"{M}xf"):  # type: ignore[union-attr]
        assert xf.get("fillId", "0") == "0"
    for xml in sheets:
        assert "dataValidation" not in xml and "promptTitle" not in xml


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_the_copy_breaks_pages_between_sections(copies: dict[str, Printed], case_id: str) -> None:
    copy = copies[case_id]
    for sheet, xml in zip(copy.plan.sheets, ordered_sheets(copy.book), strict=True):
        setup = xml.find(f"{M}pageSetup")
        assert setup is not None and setup.get("fitToHeight") == "0"
        assert xml.find(f".//{M}pageSetUpPr").get("fitToPage") == "1"  # type: ignore[union-attr]
        assert xml.findtext(f"{M}headerFooter/{M}oddFooter") == "&C第 &P 页 共 &N 页"
        heights = {int(r.get("r", "0")) - 1: float(r.get("ht", "15")) for r in xml.iter(f"{M}row")}
        breaks = breaks_of(xml)
        assert breaks == sorted(set(breaks)) and all(0 < b < sheet.rows_used for b in breaks)
        # A block is split only when it is taller than a page: than the page at full size (the scale fitting the
        # width can only shrink the rows) less the titles repeated on every page.
        width, height = PAPERS[setup.get("paperSize", "")]
        page = (width if setup.get("orientation") == "landscape" else height) - 2 * 72 * 0.6
        titles = sum(heights.get(r, 15) for r in range(sheet.repeat_rows[1] + 1)) if sheet.repeat_rows else 0
        for a, b in {(a, b) for a, b in sheet.keep_together for brk in breaks if a < brk <= b}:
            assert sum(heights.get(r, 15) for r in range(a, b + 1)) > page * 0.95 - titles, (sheet.name, a + 1, b + 1)


def test_page_breaks_keep_spans_together_that_fit() -> None:
    heights = [10.0] * 12
    assert page_breaks(heights, 35, []) == [3, 6, 9]
    assert page_breaks(heights, 35, [(2, 4)]) == [2, 5, 8, 11]  # rows 2-4 start a page rather than be split
    assert page_breaks(heights, 35, [(0, 11)]) == [3, 6, 9]  # taller than a page: split where it must
    assert page_breaks(heights, 35, [(1, 2), (2, 4)]) == [1, 4, 7, 10]
    assert page_breaks([10, 50, 10], 35, []) == [1, 2]  # a row taller than the page has a page of its own
    assert page_breaks(heights, 35, [], first=2) == [5, 8, 11]  # rows above `first` are the repeated titles
    assert page_breaks([], 35, []) == []
    # merged cells are kept whole when the page stays at least half full, else split
    assert page_breaks(heights, 35, [], 0, [(2, 4)]) == [2, 5, 8, 11]
    assert page_breaks(heights, 35, [], 0, [(1, 3)]) == [3, 6, 9]
    assert page_breaks(heights, 35, [(5, 6)], 0, [(1, 3)]) == [3, 5, 8, 11]


# ---------------------------------------------------------------------------------------------------- 3. the PDF


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_the_pdf_looks_like_a_submission(printed: dict[str, Printed], case_id: str) -> None:
    result = printed[case_id]
    assert result.pdf is not None
    pages = pdf_pages(result.pdf)
    total = len(pages)
    folder = PNG_DIR / case_id
    if folder.is_dir():
        shutil.rmtree(folder)
    images = to_png(result.pdf, folder, dpi=60)  # for a person: look at them
    assert len(images) == total and all(p.stat().st_size > 1000 for p in images)
    # page numbers 第 N 页 共 M 页 in every footer
    for number, page in enumerate(pages, 1):
        assert f"第{number}页共{total}页" in page, (number, page[-40:])
    # exactly the pages the breaks ask for: nothing too wide for the page, no page the estimate did not foresee
    sheets = ordered_sheets(result.book)
    assert total == sum(len(breaks_of(s)) + 1 for s in sheets), [breaks_of(s) for s in sheets]
    # With as many pages as breaks, LibreOffice broke the pages exactly there, and the breaks split no section
    # (test_the_copy_breaks_pages_between_sections). The section of the issue, on the page:
    doc = result.evaluation.document
    if doc.pack.id == "gd-county-zhengti":
        section = ["预决算信息公开", "预算公开时间", "预算公开网址", "决算公开时间", "决算公开网址"]
        assert [i for i, page in enumerate(pages) if all(t in page for t in section)], "预决算信息公开 is split"
    # paper: A4 upright for the narrow sheets, across for the scoring tables, A3 across for the money table
    sizes = set(page_sizes(result.pdf))
    assert sizes <= {A4, A4[::-1], A3[::-1]}, sizes
    if doc.pack.family == "gd":
        assert A4 in sizes and A4[::-1] in sizes
    # the total, as the engine has it, on the page
    total_text = f"{result.evaluation.total:.2f}".rstrip("0").rstrip(".")
    if not result.case.blank:
        assert any(total_text in page for page in pages), total_text


def test_the_pdf_prints_the_bonus_total_and_the_applied_weights(printed: dict[str, Printed]) -> None:
    bonus = pdf_pages(printed["gd-county-zhengti-bonus"].pdf)  # type: ignore[arg-type]
    scores = [p for p in bonus if "整体绩效自评指标评分表" in p]
    assert "90.09" in scores[0] and "89.09" not in "".join(scores)
    moved = "".join(pdf_pages(printed["gd-county-zhengti-not-applicable"].pdf))  # type: ignore[arg-type]
    # the 评分说明 wraps in its cell, and pdftotext interleaves the lines of the cells beside it
    assert in_order("不适用，3分调整至“支出完成率”", moved)
    assert "原分值4分，含“资金下达合法性”不适用调入的3分" in moved
    layout = _tool("pdftotext", "-layout", str(printed["gd-county-zhengti-not-applicable"].pdf), "-")
    assert re.search(r"\s支出完成率\s+7\s", layout), "支出完成率 is printed with its applied weight 7"
    assert not re.search(r"\s支出完成率\s+4\s", layout)


def in_order(needle: str, text: str, window: int = 400) -> bool:
    """`needle`'s characters appear in order in `text`, within `window` characters of its first one."""
    for start in (m.start() for m in re.finditer(re.escape(needle[0]), text)):
        position = start
        for ch in needle[1:]:
            position = text.find(ch, position + 1, start + window)
            if position < 0:
                break
        else:
            return True
    return False


def test_empty_spare_rows_are_kept_but_not_printed(copies: dict[str, Printed]) -> None:
    for case_id in ("gd-county-zhengti-bonus", "gd-county-xiangmu", "mof-zhengti", "mof-xiangmu"):
        copy = copies[case_id]
        with FileWorkbook(copy.book) as book:
            grids = {s.name: book.grid(s.name) for s in copy.plan.sheets}
        hidden_count = 0
        for sheet, xml in zip(copy.plan.sheets, ordered_sheets(copy.book), strict=True):
            hidden = [int(r.get("r", "0")) - 1 for r in xml.iter(f"{M}row") if r.get("hidden") == "1"]
            hidden_count += len(hidden)
            for row in hidden:
                assert all(at(grids[sheet.name], row, c) in (None, "") for c in range(sheet.print_cols)), (case_id, row)
                assert all(
                    sheet.cells[(row, c)].binding is not None
                    for (r, c) in sheet.cells
                    if r == row and c < sheet.print_cols
                )
        assert hidden_count > 0, case_id
    for case in submission_cases.BLANK:  # a list with nothing in it keeps its rows, to be filled in by hand
        copy = copies[case.id]
        for sheet, xml in zip(copy.plan.sheets, ordered_sheets(copy.book), strict=True):
            hidden = {int(r.get("r", "0")) - 1 for r in xml.iter(f"{M}row") if r.get("hidden") == "1"}
            indicator_rows = {r for (r, _), c in sheet.cells.items() if c.binding and c.binding.kind == "row"}
            assert not hidden & indicator_rows, case.id


def test_the_printed_total_is_capped_as_the_rules_say(tmp_path: Path) -> None:
    """加减分 cannot take the total below 0 (nor above 100): one 问责 (-2) on a form scoring 0 prints 0, not -2."""
    data = submission_cases.blank("gd-county-zhengti")
    data["fields"]["加减分"] = {"被问责次数": 1}
    case = PrintCase("gd-county-zhengti-penalty", "gd-county-zhengti", data)
    copy = _export(case, tmp_path, pdf=False)
    assert copy.evaluation.bonus == -2 and copy.evaluation.total == 0
    sheet, row, col = total_cell(copy)
    with FileWorkbook(copy.book) as book:
        assert same_number(book.value(sheet, row, col), Decimal(0)), book.value(sheet, row, col)


def test_a_part_that_does_not_apply_is_noted_where_its_points_went(tmp_path: Path) -> None:
    """Only 转移支付部分 (2 of 资金下达合法性's 3 points) does not apply: the indicator keeps 1 point and its score."""
    data = submission_cases.gangmen_not_applicable()
    data["fields"]["资金下达"]["批复下属单位预算情况"] = "15日内批复"
    data["scores"]["支出完成率"] = 6
    copy = _export(PrintCase("partly-not-applicable", "gd-county-zhengti", data), tmp_path, pdf=False)
    by_name = {r.name: r for r in copy.evaluation.indicators}
    assert (by_name["支出完成率"].weight, by_name["资金下达合法性"].weight) == (6, 1)
    sheet = copy.plan.sheet("scores")
    with FileWorkbook(copy.book) as book:
        grid = book.grid(sheet.name)
    rows = {at(grid, r, c): r for (r, c), cell in sheet.cells.items() if cell.style == "ind_name"}
    weight_col = next(c for (r, c), cell in sheet.cells.items() if cell.name == weight_name("spending_completion"))
    score_col = weight_col + 4  # 指标说明, 评分标准, 评分说明, 得分
    legality = rows["资金下达合法性"]
    assert same_number(at(grid, legality, weight_col), Decimal(1))
    assert same_number(at(grid, legality, score_col), by_name["资金下达合法性"].computed)  # type: ignore[arg-type]
    assert at(grid, legality, score_col - 1) == "部分不适用，2分调整至“支出完成率”"
    assert at(grid, rows["支出完成率"], score_col - 1) == "原分值4分，含“资金下达合法性”不适用调入的2分"
    assert same_number(at(grid, rows["支出完成率"], weight_col), Decimal(6))
