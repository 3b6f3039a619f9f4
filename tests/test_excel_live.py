"""The in-Excel actions against the stand-in for Excel's object model (tests/excel_standin.py), through the exact
RunPython strings the generated VBA carries."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from oletools.mraptor import MacroRaptor
from openpyxl.workbook.protection import WorkbookProtection

from tests import excel_standin as xs
from tests.conftest import SAMPLES
from xl_perf.excel import actions, addin
from xl_perf.excel.project import macro_variant
from xl_perf.io.formatting import read_formatting
from xl_perf.io.workbook import FileWorkbook
from xl_perf.model import document
from xl_perf.template import generate, sources

BASIC = "整体基础数据（基本情况）"
CALL_BUDGET = 100  # object-model calls (COM round trips) one 校验 may make on a filled template


def _open(path: Path, tmp: Path) -> tuple[xs.App, xs.Book]:
    copy = tmp / path.name
    shutil.copyfile(path, copy)
    app = xs.App()
    return app, app.books.open(copy)


def _user_cells(book: xs.Book) -> dict[tuple[str, int, int], object]:
    """Every cell but the tool's own: 校验结果 and the highlight bookkeeping (columns D..F of _xlperf)."""
    return {
        (ws.title, cell.row, cell.column): book.value_of(ws.title, cell.row, cell.column)
        for ws in book.wb.worksheets
        if ws.title != actions.RESULT_SHEET
        for line in ws.iter_rows()
        for cell in line
        if not (ws.title == "_xlperf" and 4 <= cell.column <= 6)
        and book.value_of(ws.title, cell.row, cell.column) is not None
    }


def _protection(book: xs.Book) -> dict[str, dict[str, object]]:
    return {ws.title: xs.protection_state(ws) for ws in book.wb.worksheets if ws.title != actions.RESULT_SHEET}


def _bookkeeping(book: xs.Book) -> dict[tuple[str, str], object]:
    """What the last 校验 recorded in the very hidden _xlperf sheet: (sheet, cell) -> the fill it had before."""
    ws = book.wb["_xlperf"]
    found = {}
    for row in range(1, ws.max_row + 1):
        sheet, cell = ws.cell(row, 4).value, ws.cell(row, 5).value
        if sheet is None:
            break
        found[(sheet, cell)] = ws.cell(row, 6).value
    return found


def _fill(book: xs.Book, sheet: str, cell: str) -> str | None:
    fill = book.wb[sheet][cell].fill
    return "#" + fill.fgColor.rgb[2:] if fill.patternType == "solid" else None


@pytest.fixture(scope="module")
def addin_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return addin.write_addin(tmp_path_factory.mktemp("addin") / addin.FILE_NAME)


def _runpython(path: Path, procedure: str) -> str:
    """The Python string the procedure of the file's VBA project hands to RunPython (read back with oletools)."""
    for source in xs.vba_modules(path).values():
        match = re.search(rf"Sub {procedure}\(.*?\)(.*?)End Sub", source, re.DOTALL)
        if match:
            python = re.search(r'RunPython "((?:[^"]|"")*)"', match.group(1))
            assert python is not None
            return python.group(1).replace('""', '"')
    raise AssertionError(f"{procedure} not in {path}")


def _click(app: xs.App, python: str) -> int:
    """Run a RunPython string as xlwings would, against the stand-in; the object-model calls it made."""
    before = app.calls
    with xs.acting_as_excel(caller=xs.AddIn(app)):  # the ribbon's RunPython: ThisWorkbook is the add-in
        exec(python, {})
    return app.calls - before


def test_validate_on_the_protected_sample_through_the_ribbon_string(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    assert all(ws.protection.sheet for ws in book.wb.worksheets if ws.sheet_state == "visible")
    values, protection = _user_cells(book), _protection(book)
    original = _fill(book, BASIC, "C17")
    calls = _click(app, _runpython(addin_file, "XlPerfRibbonValidate"))
    assert app.alerts == []  # no error box, no traceback
    assert calls <= CALL_BUDGET, app.log
    assert book.value_of(actions.RESULT_SHEET, 1, 1) == "校验结果"
    assert book.value_of(actions.RESULT_SHEET, 1, 2).startswith("错误 4 条")
    rows = {book.value_of(actions.RESULT_SHEET, r, 3): r for r in range(3, 40)}
    row = rows[f"{BASIC}!C17"]  # the HYPERLINK formula's cached value, as Excel shows it
    assert book.wb[actions.RESULT_SHEET].cell(row, 3).value == f'=HYPERLINK("#\'{BASIC}\'!C17","{BASIC}!C17")'
    assert _bookkeeping(book)[(BASIC, "C17")] == original
    assert _fill(book, BASIC, "C17") == actions.HIGHLIGHT["error"]
    assert _user_cells(book) == values
    assert _protection(book) == protection
    # The private copy is gone (closed first: Windows would refuse to delete an open file).
    assert book.saved_copies and not any(p.parent.exists() for p in book.saved_copies)


def test_a_second_validate_restores_the_colours_of_fixed_cells(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    original = _fill(book, BASIC, "C17")
    python = _runpython(addin_file, "XlPerfRibbonValidate")
    _click(app, python)
    highlighted = set(_bookkeeping(book))
    assert (BASIC, "C17") in highlighted
    app.books.active.sheets[BASIC].range("C17").value = 0.9965  # the user corrects the rate (an unlocked cell)
    values, protection = _user_cells(book), _protection(book)
    calls = _click(app, python)
    assert calls <= CALL_BUDGET, app.log
    assert _fill(book, BASIC, "C17") == original  # restored: no longer a finding
    assert book.value_of(actions.RESULT_SHEET, 1, 2).startswith("错误 3 条")
    still = [cell for sheet, cell in highlighted if sheet == BASIC and cell != "C17"]
    assert still and all(_fill(book, BASIC, cell) in actions.HIGHLIGHT.values() for cell in still)
    assert _user_cells(book) == values and _protection(book) == protection
    assert app.alerts == []


def test_export_of_the_corrected_sample_writes_the_submission_copy(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx", tmp_path)
    values, protection = _user_cells(book), _protection(book)
    calls = _click(app, _runpython(addin_file, "XlPerfRibbonExport"))
    assert app.alerts and app.alerts[-1].startswith("已导出："), app.alerts
    exported = Path(app.alerts[-1].removeprefix("已导出："))
    assert exported.parent == tmp_path / "报送" and exported.is_file()
    with FileWorkbook(exported) as copy:
        assert BASIC in copy.sheet_names() and actions.RESULT_SHEET not in copy.sheet_names()
    assert calls <= 10, app.log  # one SaveCopyAs, the alert
    assert _user_cells(book) == values and _protection(book) == protection
    assert not any(p.parent.exists() for p in book.saved_copies)


def test_a_sheet_protected_with_a_password_is_left_alone(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    sheet = book.sheets[BASIC]
    sheet.api.Unprotect()
    sheet.api.Protect(Password="秘密", AllowFormattingRows=True)
    values, protection = _user_cells(book), _protection(book)
    original = _fill(book, BASIC, "C17")
    _click(app, _runpython(addin_file, "XlPerfRibbonValidate"))
    assert app.alerts == []
    assert f"设有保护密码，未能标色：{BASIC}" in book.value_of(actions.RESULT_SHEET, 1, 4)
    assert _fill(book, BASIC, "C17") == original
    assert _fill(book, "整体评分表", next(iter(_highlighted(book, "整体评分表")))) in actions.HIGHLIGHT.values()
    assert _user_cells(book) == values and _protection(book) == protection


def _highlighted(book: xs.Book, sheet: str) -> list[str]:
    return [cell for where, cell in _bookkeeping(book) if where == sheet]


def test_a_locked_workbook_structure_gets_a_message_and_no_change(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    book.wb.security = WorkbookProtection(lockStructure=True)
    values, protection = _user_cells(book), _protection(book)
    fills = {
        (ws.title, c.coordinate): _fill(book, ws.title, c.coordinate)
        for ws in book.wb.worksheets
        for line in ws.iter_rows()
        for c in line
    }
    _click(app, _runpython(addin_file, "XlPerfRibbonValidate"))
    assert len(app.alerts) == 1 and "Excel 拒绝了这次操作：Add method of Sheets class failed" in app.alerts[0]
    assert actions.RESULT_SHEET not in book.wb.sheetnames
    assert {
        (ws.title, c.coordinate): _fill(book, ws.title, c.coordinate)
        for ws in book.wb.worksheets
        for line in ws.iter_rows()
        for c in line
    } == fills
    assert _user_cells(book) == values and _protection(book) == protection


# --- the stand-in refuses what Excel refuses ----------------------------------------------------------------------


def test_the_standin_refuses_formatting_a_protected_sheet_as_excel_does(tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    sheet = book.sheets[BASIC]
    cell = sheet.range("C17")  # an unlocked input cell: Excel refuses the colour all the same
    with pytest.raises(xs.com_error) as raised:
        cell.color = "#FFC7CE"
    hresult, text, info, _ = raised.value.args
    assert hresult == -2147352567 and text == "Exception occurred."
    assert info[1] == "Microsoft Excel" and info[2] == "Unable to set the Color property of the Interior class"
    assert info[5] == -2146827284
    with pytest.raises(xs.com_error, match="Clear method of Range class failed"):
        sheet.clear()
    with pytest.raises(xs.com_error, match="Add method of Hyperlinks class failed"):
        sheet.range("A1").add_hyperlink("#A2")
    with pytest.raises(xs.com_error, match="protected sheet"):
        sheet.range("A1").value = "x"  # a locked label
    book.wb.security = WorkbookProtection(lockStructure=True)
    with pytest.raises(xs.com_error, match="Add method of Sheets class failed"):
        book.sheets.add("新表")
    sheet.api.Unprotect()
    cell.color = "#FFC7CE"
    assert cell.color == (0xFF, 0xC7, 0xCE)
    sheet.api.Protect(Password="p")
    with pytest.raises(xs.com_error, match="password you supplied is not correct"):
        sheet.api.Unprotect()
    assert app.calls > 0


def test_the_standins_copy_carries_the_cached_values(tmp_path: Path) -> None:
    _, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    target = tmp_path / "copy.xlsx"
    book.api.SaveCopyAs(str(target))
    with FileWorkbook(target) as copy, FileWorkbook(SAMPLES / "gangmen-2022-zhengti.xlsx") as source:
        for name in source.sheet_names():
            assert copy.grid(name) == source.grid(name), name
        assert copy.names() == source.names()


# --- generated .xlsm templates -------------------------------------------------------------------------------------


def _macro_workbook(name: str, folder: Path) -> Path:
    doc = document.from_dict(json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8")))
    return generate.write_workbook(doc, folder / sources.file_name(doc, ".xlsm"), macro=macro_variant())


def test_the_template_buttons_run_through_application_run(tmp_path: Path) -> None:
    path = _macro_workbook("gangmen-2022-zhengti", tmp_path)
    app = xs.App()
    book = app.books.open(path)
    values, protection = _user_cells(book), _protection(book)
    before = app.calls
    app.api.Run("XlPerfValidate")
    assert app.calls - before <= CALL_BUDGET + 2, app.log[before:]
    assert app.alerts == []
    assert book.value_of(actions.RESULT_SHEET, 1, 2).startswith("错误 4 条")
    assert _user_cells(book) == values and _protection(book) == protection
    # Function descriptions are registered by the button (no macro runs when the workbook opens).
    assert app.registered.get("XP_RATE")
    app.api.Run("XlPerfExport")
    assert "未导出" in app.alerts[-1]


def test_validate_and_export_button_on_a_clean_template(tmp_path: Path) -> None:
    path = _macro_workbook("ziyuan-2023-zhengti", tmp_path)
    app = xs.App()
    app.books.open(path)
    app.api.Run(f"'{path.name}'!XlPerfValidateAndExport")
    assert app.alerts[-1].startswith("已导出："), app.alerts
    assert Path(app.alerts[-1].removeprefix("已导出：")).is_file()


def test_the_xlsm_opens_showing_the_engines_values(tmp_path: Path) -> None:
    path = _macro_workbook("gangmen-2022-zhengti", tmp_path)
    with zipfile.ZipFile(path) as package:
        workbook_xml = package.read("xl/workbook.xml").decode("utf-8")
    assert "fullCalcOnLoad" not in workbook_xml and 'calcId="191029"' in workbook_xml
    app = xs.App()
    book = app.books.open(path)
    udf_cells = {
        (ws.title, c.row, c.column): book.value_of(ws.title, c.row, c.column)
        for ws in book.wb.worksheets
        for line in ws.iter_rows()
        for c in line
        if isinstance(c.value, str) and c.value.startswith("=XP_")
    }
    assert len(udf_cells) > 20
    assert sum(isinstance(v, float) for v in udf_cells.values()) >= 20  # numbers, not #NAME?
    assert not any(isinstance(v, str) and v.startswith("#") for v in udf_cells.values())
    app.calculate()  # what the Python UDFs compute once macros run
    recomputed = {key: book.value_of(*key) for key in udf_cells}
    assert {k: v if v != "" else None for k, v in recomputed.items()} == {
        k: v if v != "" else None for k, v in udf_cells.items()
    }


def test_mraptor_finds_no_auto_exec_in_any_generated_template(tmp_path: Path, addin_file: Path) -> None:
    files = [_macro_workbook(name, tmp_path) for name in ("gangmen-2022-zhengti", "gangmen-2022-xiangmu")]
    for framework in ("gd-county-zhengti", "gd-county-xiangmu", "mof-zhengti", "mof-xiangmu"):
        (doc,) = generate.new_documents(framework, 2026, "", "县", [])
        files.append(generate.write_workbook(doc, tmp_path / f"{framework}.xlsm", macro=macro_variant()))
    files.append(addin_file)
    for path in files:
        modules = xs.vba_modules(path)
        assert "XlPerfButtons" in modules or "XlPerfRibbon" in modules
        raptor = MacroRaptor("\n".join(modules.values()))
        raptor.scan()
        assert not raptor.autoexec and not raptor.suspicious, (path, raptor.autoexec_match)


# --- xl-perf excel selftest ----------------------------------------------------------------------------------------


def test_selftest_passes_through_the_standin(tmp_path: Path) -> None:
    from xl_perf.excel import selftest

    steps, versions = selftest.run(tmp_path, app_factory=xs.App)
    assert [s.ok for s in steps] == [True] * 7, selftest.table(steps, versions)
    assert set(versions) == {"Excel", "Windows", "Python", "xlwings", "代码页"}
    text = selftest.table(steps, versions)
    assert "| 校验按钮（Application.Run） | 通过 | 校验结果：错误 0 条" in text
    assert (tmp_path / "报送").is_dir()


def test_selftest_reports_an_excel_that_does_not_recalculate(tmp_path: Path) -> None:
    from xl_perf.excel import selftest

    class NoPython(xs.App):  # as when xlwings cannot reach Python: UDF cells keep their old values
        def calculate(self) -> None:
            self.tick("App.calculate")

    steps, versions = selftest.run(tmp_path, app_factory=NoPython)
    by_name = {s.name: s for s in steps}
    assert by_name["通过 COM 输入并重算 UDF"].ok is False and "XP_RATE" in by_name["通过 COM 输入并重算 UDF"].detail
    assert by_name["校验按钮（Application.Run）"].ok is None
    assert "| 导出按钮（Application.Run） | 未运行 |" in selftest.table(steps, versions)


def test_selftest_cli(tmp_path: Path) -> None:
    from tests.test_cli import run

    assert "Application.Run" in (help_text := run("excel", "selftest", "--help").stdout) and "自测" in help_text
    result = run("excel", "selftest", "--dir", str(tmp_path))  # no Excel here: the table says so, no traceback
    assert result.returncode == 1 and "| 启动 Excel | 失败 | 需要装有 Excel 的 Windows 电脑" in result.stdout, (
        result.stdout + result.stderr
    )
    assert "| 代码页 |" in result.stdout and "Traceback" not in result.stderr


def test_new_template_button_writes_next_years_workbook(tmp_path: Path) -> None:
    path = _macro_workbook("gangmen-2022-zhengti", tmp_path)
    app = xs.App()
    app.books.open(path)
    app.api.Run("XlPerfNewTemplate")
    assert app.alerts[-1].startswith("已生成："), app.alerts
    created = Path(app.alerts[-1].removeprefix("已生成："))
    assert created.name == "遂溪县港门镇人民政府_2023_整体绩效自评指标评分表.xlsx"
    assert sources.dump(created)["year"] == 2023


def test_a_result_sheet_the_user_protected_is_rewritten_and_protected_again(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    python = _runpython(addin_file, "XlPerfRibbonValidate")
    _click(app, python)
    book.sheets[actions.RESULT_SHEET].api.Protect(AllowFormattingColumns=True, AllowFormattingRows=True)
    protected = xs.protection_state(book.wb[actions.RESULT_SHEET])
    app.books.active.sheets[BASIC].range("C17").value = 0.9965
    _click(app, python)
    assert app.alerts == []
    assert book.value_of(actions.RESULT_SHEET, 1, 2).startswith("错误 3 条")
    assert xs.protection_state(book.wb[actions.RESULT_SHEET]) == protected


def test_a_password_kept_as_excel_2013_keeps_it_is_seen(tmp_path: Path) -> None:
    """Excel 2013 and later write a sheet password as algorithmName/hashValue/saltValue/spinCount, without the
    legacy password attribute: the copy's reader must still see that the sheet has a password (Unprotect without it
    would prompt or fail, and protecting again without it would drop the user's password)."""
    _, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    sheet = book.sheets[BASIC]
    sheet.api.Unprotect()
    sheet.api.Protect(Password="秘密")
    guard = book.wb[BASIC].protection
    assert guard.algorithmName == "SHA-512" and guard.hashValue and not guard.password
    with pytest.raises(xs.com_error, match="password you supplied is not correct"):
        sheet.api.Unprotect()
    assert book.app.prompts == [f"Unprotect Sheet: {BASIC}"]  # Excel asks the user first (a modal dialog)
    with pytest.raises(xs.com_error, match="password you supplied is not correct"):
        sheet.api.Unprotect(Password="错误")
    copy = tmp_path / "copy.xlsx"
    book.api.SaveCopyAs(str(copy))
    protection = read_formatting(copy)[BASIC].protection
    assert protection is not None and protection.has_password
    sheet.api.Unprotect(Password="秘密")
    assert not book.wb[BASIC].protection.sheet and not book.wb[BASIC].protection.hashValue


def test_the_new_template_button_never_replaces_next_years_workbook(tmp_path: Path) -> None:
    path = _macro_workbook("gangmen-2022-zhengti", tmp_path)
    app = xs.App()
    app.books.open(path)
    app.api.Run("XlPerfNewTemplate")
    created = Path(app.alerts[-1].removeprefix("已生成："))
    created.write_bytes(b"filled in since")  # the user has filled next year's workbook
    app.api.Run("XlPerfNewTemplate")
    assert "已存在，未覆盖" in app.alerts[-1] and created.read_bytes() == b"filled in since"


def test_many_highlights_go_in_addresses_excel_accepts(tmp_path: Path) -> None:
    """Excel's Range() refuses an address longer than 255 characters: a colour for many cells is set in chunks."""
    _, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    with pytest.raises(xs.com_error, match="Method 'Range'"):
        book.sheets[BASIC].range(",".join(f"C{row}" for row in range(1, 80)))
    cells = {(BASIC, row, col): "#FFC7CE" for row in range(10, 60) for col in range(2, 6)}
    with actions.XlwingsWorkbook(book) as live:
        live.set_fills(cells)
    assert all(_fill(book, BASIC, actions.address(row, col)) == "#FFC7CE" for _, row, col in cells)  # 0-based


def test_a_missing_sheet_fails_as_com_does_and_reads_as_a_message(tmp_path: Path) -> None:
    _, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    with pytest.raises(xs.com_error) as raised:
        book.sheets["没有这张表"]
    assert raised.value.args == (xs.DISP_E_BADINDEX, "Invalid index.", None, None)
    assert actions.com_message(raised.value) == "Invalid index."
    with pytest.raises(xs.com_error) as raised:
        book.sheets[BASIC].range("C17").color = "#FFC7CE"
    assert actions.com_message(raised.value) == "Unable to set the Color property of the Interior class"


# --- fills that are not plain RGB, bookkeeping, errors, protection (the review of issue 14's work) -----------------


def _fill_state(book: xs.Book, sheet: str, cell: str) -> tuple[object, ...]:
    """Everything Excel shows of a cell's fill: the pattern and both colours, whatever their kind."""
    fill = book.wb[sheet][cell].fill

    def colour(c: object) -> tuple[object, ...]:
        return (c.type, c.value, round(float(c.tint or 0), 4))  # type: ignore[attr-defined]

    if not fill.patternType:
        return (None,)
    if fill.patternType == "solid":
        return ("solid", colour(fill.fgColor))
    return (fill.patternType, colour(fill.fgColor), colour(fill.bgColor))


def test_theme_indexed_and_pattern_fills_are_restored_as_they_were(tmp_path: Path) -> None:
    from openpyxl.styles import PatternFill
    from openpyxl.styles.colors import Color

    _, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    ws = book.wb[BASIC]
    kinds = {
        "C17": PatternFill("solid", fgColor=Color(theme=4, tint=0.3999755851924192)),  # 蓝色，个性色 1，淡色 40%
        "D17": PatternFill("solid", fgColor=Color(indexed=13)),  # yellow from the legacy palette
        "E17": PatternFill("darkGrid", fgColor=Color(theme=1, tint=-0.25), bgColor=Color(rgb="FFDDEBF7")),
        "F17": PatternFill("gray125", fgColor=Color(indexed=10), bgColor=Color(theme=0)),
        "G17": PatternFill("solid", fgColor=Color(rgb="FF00B050")),
    }
    for cell, fill in kinds.items():
        ws[cell].fill = fill
    before = {cell: _fill_state(book, BASIC, cell) for cell in kinds}
    copy = tmp_path / "copy.xlsx"
    book.api.SaveCopyAs(str(copy))
    cells = [(BASIC, int(c[1:]) - 1, ord(c[0]) - 65) for c in kinds]
    recorded = actions.read_formatting(copy, {BASIC: [(r, c) for _, r, c in cells]})[BASIC].fills
    assert recorded[(16, 2)] == "fill:solid;fg=theme:4:0.399976" and recorded[(16, 6)] == "#00B050"
    with actions.XlwingsWorkbook(book) as live:
        live.set_fills({key: "#FFC7CE" for key in cells})
        assert all(_fill_state(book, BASIC, c) == ("solid", ("rgb", "FFFFC7CE", 0.0)) for c in kinds)
        live.set_fills({key: recorded[key[1:]] for key in cells})
    # Each restored as Excel's Interior puts it back (indexed 13 is ColorIndex 6: the same palette entry).
    assert {cell: _fill_state(book, BASIC, cell) for cell in kinds} == before


def test_a_themed_cell_gets_its_shading_back_after_the_fix(addin_file: Path, tmp_path: Path) -> None:
    from openpyxl.styles import PatternFill
    from openpyxl.styles.colors import Color

    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    book.wb[BASIC]["C17"].fill = PatternFill("solid", fgColor=Color(theme=7, tint=0.5999938962981048))
    original = _fill_state(book, BASIC, "C17")
    python = _runpython(addin_file, "XlPerfRibbonValidate")
    calls = _click(app, python)
    assert _fill(book, BASIC, "C17") == actions.HIGHLIGHT["error"] and calls <= CALL_BUDGET, app.log
    assert _bookkeeping(book)[(BASIC, "C17")] == "fill:solid;fg=theme:7:0.599994"
    app.books.active.sheets[BASIC].range("C17").value = 0.9965
    calls = _click(app, python)
    assert _fill_state(book, BASIC, "C17") == original and calls <= CALL_BUDGET, app.log
    assert app.alerts == []


def test_a_gradient_cell_is_listed_but_not_painted_over(addin_file: Path, tmp_path: Path) -> None:
    from openpyxl.styles import GradientFill

    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    book.wb[BASIC]["C17"].fill = GradientFill(degree=90, stop=("FFFFFF", "4472C4"))
    _click(app, _runpython(addin_file, "XlPerfRibbonValidate"))
    assert book.wb[BASIC]["C17"].fill.tagname == "gradientFill"  # Interior could not put it back: left as it is
    assert (BASIC, "C17") not in _bookkeeping(book)
    rows = {book.value_of(actions.RESULT_SHEET, r, 3) for r in range(3, 40)}
    assert f"{BASIC}!C17" in rows  # still reported


def test_deleting_the_result_sheet_keeps_the_original_colours(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    original = _fill(book, BASIC, "C17")
    python = _runpython(addin_file, "XlPerfRibbonValidate")
    _click(app, python)
    del book.wb[actions.RESULT_SHEET]  # the user deletes 校验结果
    _click(app, python)  # C17 is still wrong: highlighted again, its original still known
    assert _bookkeeping(book)[(BASIC, "C17")] == original
    app.books.active.sheets[BASIC].range("C17").value = 0.9965
    _click(app, python)
    assert _fill(book, BASIC, "C17") == original
    assert app.alerts == []


def test_an_old_highlight_without_bookkeeping_is_recognised(addin_file: Path, tmp_path: Path) -> None:
    """A workbook whose bookkeeping is gone (checked by an earlier version, then 校验结果 deleted): the cell's colour
    is the tool's own highlight, so the cell had no fill of its own."""
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    python = _runpython(addin_file, "XlPerfRibbonValidate")
    _click(app, python)
    del book.wb[actions.RESULT_SHEET]
    meta = book.wb["_xlperf"]
    for row in range(1, meta.max_row + 1):
        for col in (4, 5, 6):
            meta.cell(row, col).value = None
    assert _fill(book, BASIC, "C17") == actions.HIGHLIGHT["error"]
    _click(app, python)
    assert _bookkeeping(book)[(BASIC, "C17")] is None  # not the highlight colour
    app.books.active.sheets[BASIC].range("C17").value = 0.9965
    _click(app, python)
    assert _fill(book, BASIC, "C17") is None


def test_bookkeeping_of_an_earlier_version_in_the_result_sheet_is_still_read(tmp_path: Path) -> None:
    _, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    with actions.XlwingsWorkbook(book) as live:
        actions.validate(live)
    # As the earlier version left it: the bookkeeping in the hidden columns I..K of 校验结果 only.
    meta, result = book.wb["_xlperf"], book.wb[actions.RESULT_SHEET]
    entries = [(meta.cell(r, 4).value, meta.cell(r, 5).value, meta.cell(r, 6).value) for r in range(1, 30)]
    entries = [e for e in entries if e[0]]
    for row, (sheet, cell, original) in enumerate(entries, start=3):
        result.cell(row, 9).value, result.cell(row, 10).value, result.cell(row, 11).value = sheet, cell, original
    for row in range(1, meta.max_row + 1):
        for col in (4, 5, 6):
            meta.cell(row, col).value = None
    original = dict(((s, c), o) for s, c, o in entries)[(BASIC, "C17")]
    book.sheets[BASIC].range("C17").value = 0.9965
    with actions.XlwingsWorkbook(book) as live:
        actions.validate(live)
    assert _fill(book, BASIC, "C17") == (original or None)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PermissionError(13, "Permission denied"), "无法完成操作：没有访问权限"),
        (RuntimeError("boom"), "绩效自评助手遇到意外错误（RuntimeError）"),
        (KeyError("x"), "绩效自评助手遇到意外错误（KeyError）"),
    ],
)
def test_every_error_becomes_a_chinese_message_box(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, expected: str
) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    monkeypatch.delenv("XL_PERF_DEBUG", raising=False)

    def failing(_: actions.XlwingsWorkbook) -> None:
        raise error

    with xs.acting_as_excel(caller=book):
        actions._run(failing)  # no exception reaches xlwings (which would show its English traceback popup)
    assert len(app.alerts) == 1 and app.alerts[0].startswith(expected), app.alerts
    assert "Traceback" not in app.alerts[0]
    if not isinstance(error, OSError):
        assert "XL_PERF_DEBUG" in app.alerts[0]  # how to get the details to report it
        monkeypatch.setenv("XL_PERF_DEBUG", "1")
        with xs.acting_as_excel(caller=book):
            actions._run(failing)
        assert "Traceback" in app.alerts[-1]


def test_the_temp_folder_failing_is_a_chinese_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)

    def no_temp(*_: object, **__: object) -> str:
        raise PermissionError(13, "Permission denied", "C:\\Users\\张三\\AppData\\Local\\Temp")

    monkeypatch.setattr(actions.tempfile, "mkdtemp", no_temp)
    with xs.acting_as_excel(caller=book):
        actions.validate_active()
    assert app.alerts and app.alerts[0].startswith("无法完成操作：没有访问权限")


def test_the_copy_is_read_through_the_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The private copy is read by the guarded path: guard.inspect, then a bounded XML scan for fills and
    protection under a deadline; openpyxl never loads it in Excel's Python process."""
    import openpyxl

    from xl_perf.io import guard

    _, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    inspected: list[Path] = []
    real_inspect = guard.inspect
    monkeypatch.setattr(guard, "inspect", lambda path, *a: inspected.append(Path(path)) or real_inspect(path, *a))

    def no_openpyxl(*_: object, **__: object) -> None:
        raise AssertionError("openpyxl loaded the copy")

    monkeypatch.setattr(openpyxl, "load_workbook", no_openpyxl)
    with actions.XlwingsWorkbook(book) as live:
        outcome = actions.validate(live)
    assert outcome.errors >= 4 and inspected and all(p.name == "copy.xlsx" for p in inspected)


def test_the_fill_scan_stops_at_its_deadline_and_refuses_entities(tmp_path: Path) -> None:
    from xl_perf.errors import BadInputError
    from xl_perf.io import guard

    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(SAMPLES / "gangmen-2022-zhengti.xlsx", copy)
    with pytest.raises(BadInputError, match="读取超时"):
        actions.read_formatting(copy, {BASIC: [(16, 2)]}, guard.Limits(timeout_s=0.0))
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(copy) as src, zipfile.ZipFile(hostile, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/styles.xml":
                data = data.replace(b"<styleSheet", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><styleSheet', 1)
            dst.writestr(item, data)
    with pytest.raises(BadInputError, match="实体"):
        actions.read_formatting(hostile)


def test_protect_on_a_protected_sheet_behaves_as_excel(tmp_path: Path) -> None:
    """Microsoft: Protect may be used on a protected worksheet if the password is supplied (it applies the new
    options); Unprotect without the password of a sheet that has one prompts for it."""
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    sheet = book.sheets[BASIC]
    assert book.wb[BASIC].protection.sheet and book.wb[BASIC].protection.formatCells  # formatting refused
    sheet.api.Protect(AllowFormattingCells=True)  # no password: the new options apply at once
    assert not book.wb[BASIC].protection.formatCells
    sheet.range("C17").color = "#FFC7CE"  # now allowed
    sheet.api.Unprotect()
    sheet.api.Protect(Password="秘密")
    with pytest.raises(xs.com_error, match="password you supplied is not correct"):
        sheet.api.Protect(AllowFormattingCells=True)  # the password is not given: refused, options unchanged
    assert book.wb[BASIC].protection.formatCells
    sheet.api.Protect(Password="秘密", AllowFormattingCells=True)
    assert not book.wb[BASIC].protection.formatCells and book.wb[BASIC].protection.hashValue
    assert app.prompts == []
    with pytest.raises(xs.com_error):
        sheet.api.Unprotect()
    assert app.prompts == [f"Unprotect Sheet: {BASIC}"]
    sheet.api.Unprotect(Password="秘密")
    sheet.api.Unprotect()  # no effect on an unprotected sheet
    assert not book.wb[BASIC].protection.sheet


def test_validate_never_makes_excel_prompt_for_a_password(addin_file: Path, tmp_path: Path) -> None:
    app, book = _open(SAMPLES / "gangmen-2022-zhengti.xlsx", tmp_path)
    sheet = book.sheets[BASIC]
    sheet.api.Unprotect()
    sheet.api.Protect(Password="秘密")
    _click(app, _runpython(addin_file, "XlPerfRibbonValidate"))
    assert app.prompts == [] and app.alerts == []


def test_the_selftest_sample_ships_with_the_package() -> None:
    from xl_perf.excel import selftest

    assert selftest.SAMPLE.is_file() and selftest.SAMPLE.is_relative_to(Path(selftest.__file__).parent)
    # The packaged copy is the corrected sample of the repository, unchanged.
    assert json.loads(selftest.SAMPLE.read_text("utf-8")) == json.loads(
        (SAMPLES.parent / "samples" / "corrected" / "gangmen-2022-zhengti.json").read_text("utf-8")
    )


def test_the_selftest_runs_from_an_installed_copy(tmp_path: Path) -> None:
    """What pip installs (setuptools' build_py: the packages setup.py finds and the package data pyproject.toml lists),
    outside any source checkout: the selftest finds its sample and passes through the stand-in."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    source = tmp_path / "source"
    shutil.copytree(root, source, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__", ".*"))
    installed = tmp_path / "installed"
    build = subprocess.run(
        [
            sys.executable,
            "setup.py",
            "-q",
            "build_py",
            "--build-lib",
            str(installed),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    assert (installed / "xl_perf" / "excel" / "data" / "selftest-sample.json").is_file()
    # Every module of the checkout is installed: a new sub-package cannot be left out.
    modules = {p.relative_to(source).as_posix() for p in (source / "xl_perf").rglob("*.py")}
    assert {p.relative_to(installed).as_posix() for p in (installed / "xl_perf").rglob("*.py")} == modules
    assert (installed / "xl_perf" / "vba_shim" / "XlPerfButtons.bas").is_file()
    assert not (installed / "workbooks").exists()
    work = tmp_path / "work"
    work.mkdir()
    script = (
        "import sys; from pathlib import Path\n"
        f"sys.path.insert(0, {str(installed)!r}); sys.path.append({str(root)!r})\n"
        "import xl_perf; from xl_perf.excel import selftest; from tests import excel_standin as xs\n"
        f"assert xl_perf.__file__.startswith({str(installed)!r}), xl_perf.__file__\n"
        "steps, versions = selftest.run(Path('.'), app_factory=xs.App)\n"
        "print(selftest.table(steps, versions)); sys.exit(0 if all(s.ok for s in steps) else 1)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=work, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
