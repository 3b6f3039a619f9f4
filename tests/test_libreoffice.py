"""LibreOffice as independent engine and PDF renderer (xl_perf.io.libreoffice), against a real headless soffice."""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import xl_perf.io.libreoffice as lo
from tests.conftest import require_tool, started_processes
from xl_perf.errors import XlPerfError
from xl_perf.io.libreoffice import LibreOfficeError, converter, to_png

ORG = "遂溪县港门镇人民政府"
TEMPLATE_FONTS = ("宋体", "SimSun", "仿宋", "黑体", "微软雅黑", "楷体")


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def conv(tmp_path_factory: pytest.TempPathFactory) -> lo.Converter:
    """One warm profile for the module, as the project uses it (cache_dir keeps it between runs)."""
    require_tool("soffice")
    return converter(tmp_path_factory.mktemp("lo-cache"))


def write_calc_workbook(path: Path) -> Path:
    """Formulas whose cached values are deliberately wrong: only a real recalculation gives the right numbers."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("计算")
    ws.write_number("A1", 21)
    ws.write_formula("B1", "=A1*2", None, 999)
    ws.write_number("A2", 163185.46499999997)
    ws.write_formula("B2", "=ROUND(A2,2)", None, 0)
    ws.write_formula("B3", "=ROUND(4.625,2)", None, 0)
    wb.close()
    return path


def write_stale_ods(path: Path) -> Path:
    """A minimal ODF spreadsheet: A1 = 21, B1 = A1*2 with the stale cached value 999 (no generator metadata)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1"><table:table-row>'
        '<table:table-cell office:value-type="float" office:value="21"><text:p>21</text:p></table:table-cell>'
        '<table:table-cell table:formula="of:=[.A1]*2" office:value-type="float" office:value="999">'
        "<text:p>999</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def write_text_workbook(path: Path, rows: list[tuple[str, str]]) -> Path:
    """One sheet; row i holds text rows[i][0] in font rows[i][1], large enough to compare renderings."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("封面")
    ws.set_column(0, 0, 60)
    for i, (text, font) in enumerate(rows):
        ws.set_row(i, 40)
        ws.write_string(i, 0, text, wb.add_format({"font_name": font, "font_size": 24}))
    wb.close()
    return path


def cells(path: Path) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def pdf_fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(name, embedded) for every font pdffonts lists."""
    require_tool("pdffonts")
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = []
    for line in out.splitlines()[2:]:
        tokens = line.split()
        if tokens:
            fonts.append((tokens[0], tokens[-5] == "yes"))
    return fonts


def pdf_text(pdf: Path) -> str:
    require_tool("pdftotext")
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def page_pixels(pdf: Path) -> bytes:
    """First page as raw 8-bit grey pixels (PGM body), for exact comparisons between renderings."""
    require_tool("pdftoppm")
    pgm = subprocess.run(
        ["pdftoppm", "-gray", "-r", "72", "-f", "1", "-l", "1", "-singlefile", str(pdf)],
        capture_output=True,
        check=True,
    ).stdout
    assert pgm.startswith(b"P5")
    header_end = 0
    for _ in range(3):  # "P5", "<w> <h>", "255"
        header_end = pgm.index(b"\n", header_end) + 1
    return pgm[header_end:]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def soffice_processes_using(profile: Path) -> list[int]:
    """Live processes whose command line names this profile (only processes this test started can match)."""
    pids = []
    marker = str(profile)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if marker in cmdline:
            pids.append(int(entry.name))
    return pids


# ---------------------------------------------------------------- profile (no LibreOffice needed)


def test_profile_holds_the_registry_settings(tmp_path: Path) -> None:
    conv = converter(tmp_path / "cache")
    assert conv.profile_dir == (tmp_path / "cache" / "libreoffice-profile").absolute()
    xcu = (conv.profile_dir / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    for fragment in (
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        "<value>0</value>",
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">'
        "<value>0</value>",
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution"><prop oor:name="Replacement" oor:op="fuse">'
        "<value>true</value>",
        '<prop oor:name="ReplaceFont" oor:op="fuse"><value>宋体</value></prop>'
        '<prop oor:name="SubstituteFont" oor:op="fuse"><value>Noto Serif CJK SC</value>',
        '<prop oor:name="ReplaceFont" oor:op="fuse"><value>黑体</value></prop>'
        '<prop oor:name="SubstituteFont" oor:op="fuse"><value>Noto Sans CJK SC</value>',
    ):
        assert fragment in xcu
    for font in TEMPLATE_FONTS:
        assert font in lo.FONT_REPLACEMENTS
        assert lo.FONT_REPLACEMENTS[font].endswith("CJK SC")
    # reusing the cache keeps the profile; a damaged settings file is rewritten
    (conv.profile_dir / "user" / "registrymodifications.xcu").write_text("<oor:items/>", encoding="utf-8")
    again = converter(tmp_path / "cache")
    assert again.profile_dir == conv.profile_dir
    assert "OOXMLRecalcMode" in (again.profile_dir / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")


def test_default_profile_is_temporary_and_removed(tmp_path: Path) -> None:
    conv = converter()
    profile = conv.profile_dir
    assert profile.is_dir()
    assert (profile / "user" / "registrymodifications.xcu").is_file()
    del conv
    gc.collect()
    assert not profile.exists()


def test_missing_soffice_gives_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lo, "find_soffice", lambda: None)
    book = write_calc_workbook(tmp_path / "模板.xlsx")
    with pytest.raises(LibreOfficeError) as caught:
        converter(tmp_path / "cache").convert([book], "xlsx", tmp_path / "out")
    err = caught.value
    assert isinstance(err, XlPerfError)
    assert err.exit_code == 2
    assert "未找到 LibreOffice" in err.message
    assert "apt-get install libreoffice-calc-nogui" in err.message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(LibreOfficeError, match="不存在") as caught:
        converter(tmp_path / "cache").convert([tmp_path / "没有这个.xlsx"], "xlsx", tmp_path / "out")
    assert "没有这个.xlsx" in str(caught.value)


def test_empty_batch_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lo, "find_soffice", lambda: None)
    assert converter(tmp_path / "cache").convert([], "pdf", tmp_path / "out") == []


def test_output_may_not_replace_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lo, "find_soffice", lambda: "/bin/false")
    book = write_calc_workbook(tmp_path / "a.xlsx")
    before = digest(book)
    with pytest.raises(LibreOfficeError, match="覆盖输入"):
        converter(tmp_path / "cache").convert([book], "xlsx", tmp_path)
    assert digest(book) == before


# ---------------------------------------------------------------- with LibreOffice


def test_recalculation_is_forced(conv: lo.Converter, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    book = write_calc_workbook(src / "计算.xlsx")
    ods = write_stale_ods(src / "stale.ods")
    assert cells(book)[0][1] == 999  # the cached value really is wrong before the round trip
    before = {p.name: digest(p) for p in src.iterdir()}

    out_xlsx, out_ods = conv.convert([book, ods], "xlsx", tmp_path / "out")

    assert (out_xlsx, out_ods) == (tmp_path / "out" / "计算.xlsx", tmp_path / "out" / "stale.xlsx")
    rows = cells(out_xlsx)
    assert rows[0][1] == 42
    assert rows[1][1] == 163185.47
    assert rows[2][1] == 4.63
    assert cells(out_ods)[0][1] == 42  # ODFRecalcMode
    # inputs untouched, nothing written next to them (no .~lock files, no outputs)
    assert {p.name: digest(p) for p in src.iterdir()} == before


def test_many_files_one_process(conv: lo.Converter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    books = []
    for i in range(4):
        books.append(tmp_path / "a" / f"单位{i}.xlsx")
    books.append(tmp_path / "b" / "单位1.xlsx")  # same name as books[1], another folder
    for i, path in enumerate(books):
        path.parent.mkdir(exist_ok=True)
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet()
        ws.write_number("A1", i + 1)
        ws.write_formula("B1", "=A1*10", None, -1)
        wb.close()

    started = started_processes(monkeypatch)
    t0 = time.perf_counter()
    outputs = conv.convert(books, "xlsx", tmp_path / "out")
    elapsed = time.perf_counter() - t0
    monkeypatch.undo()

    assert len(started) == 1, "one soffice process for the whole batch"
    assert not any(str(b) in started[0] for b in books)  # LibreOffice opens staged copies, never the inputs
    assert [p.name for p in outputs] == ["单位0.xlsx", "单位1.xlsx", "单位2.xlsx", "单位3.xlsx", "单位1-2.xlsx"]
    assert [cells(p)[0][1] for p in outputs] == [10, 20, 30, 40, 50]  # in input order, recalculated
    print(f"5 files, one LibreOffice session: {elapsed:.2f} s")


def test_pdf_with_chinese_fonts(conv: lo.Converter, tmp_path: Path) -> None:
    require_tool("pdftoppm")
    report = write_text_workbook(tmp_path / "报告.xlsx", [(f"{ORG}（{font}）", font) for font in TEMPLATE_FONTS])
    simsun = write_text_workbook(tmp_path / "simsun.xlsx", [(ORG, "宋体")])
    reference = write_text_workbook(tmp_path / "reference.xlsx", [(ORG, "Noto Serif CJK SC")])

    pdf, simsun_pdf, reference_pdf = conv.convert([report, simsun, reference], "pdf", tmp_path / "pdf")

    fonts = pdf_fonts(pdf)
    assert fonts and all(embedded for _name, embedded in fonts)
    # only Noto CJK faces (LibreOffice names the subset after the shared CFF of the collection, "...CJKjp-..."),
    # serif for 宋体/仿宋/楷体 and sans for 黑体/微软雅黑: the replacement table is in effect
    assert all("CJK" in name for name, _embedded in fonts), fonts
    assert any("NotoSerifCJK" in name for name, _embedded in fonts), fonts
    assert any("NotoSansCJK" in name for name, _embedded in fonts), fonts
    assert ORG in pdf_text(pdf)
    # 宋体 is drawn exactly like Noto Serif CJK SC
    assert page_pixels(simsun_pdf) == page_pixels(reference_pdf)
    assert sum(1 for b in page_pixels(simsun_pdf) if b < 128) > 200  # and it is not an empty page

    pngs = to_png(pdf, tmp_path / "png")
    assert pngs == [tmp_path / "png" / "报告-1.png"]
    data = pngs[0].read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 3000
    if os.environ.get("XL_PERF_KEEP_PNG"):  # for looking at it: XL_PERF_KEEP_PNG=/some/dir
        shutil.copy(pngs[0], os.environ["XL_PERF_KEEP_PNG"])


def test_settings_are_what_makes_the_difference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control run with a profile WITHOUT our settings: XlsxWriter's cached values survive and 宋体 falls back to a
    sans face. (An .ods with stale values is recalculated by LibreOffice 7.4 even without ODFRecalcMode, so the ODF
    setting cannot be told apart this way; test_recalculation_is_forced checks the outcome.)"""
    require_tool("soffice")
    calc = write_calc_workbook(tmp_path / "calc.xlsx")
    simsun = write_text_workbook(tmp_path / "simsun.xlsx", [(ORG, "宋体")])
    monkeypatch.setattr(lo, "_SETTINGS", ())
    monkeypatch.setattr(lo, "FONT_REPLACEMENTS", {})
    bare = converter(tmp_path / "bare")

    calc_pdf, simsun_pdf = bare.convert([calc, simsun], "pdf", tmp_path / "pdf")

    text = pdf_text(calc_pdf).split()
    assert "999" in text and "42" not in text
    names = [name for name, _embedded in pdf_fonts(simsun_pdf)]
    assert names and not any("Serif" in name for name in names), names


def test_not_a_workbook(conv: lo.Converter, tmp_path: Path) -> None:
    bad = tmp_path / "坏文件.xlsx"
    bad.write_text("这不是工作簿，只是一段文字。\n", encoding="utf-8")
    good = write_calc_workbook(tmp_path / "good.xlsx")
    with pytest.raises(LibreOfficeError) as caught:
        conv.convert([good, bad], "xlsx", tmp_path / "out")
    err = caught.value
    assert "坏文件.xlsx" in err.message
    assert "good.xlsx" not in err.message
    assert err.failed == [bad]
    assert (tmp_path / "out" / "good.xlsx").is_file()  # the rest of the batch is still converted
    assert not (tmp_path / "out" / "坏文件.xlsx").exists()


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    require_tool("soffice")
    conv = converter(tmp_path / "cache")
    book = write_calc_workbook(tmp_path / "a.xlsx")
    with pytest.raises(LibreOfficeError, match="超时"):
        conv.convert([book], "pdf", tmp_path / "out", timeout=0.3)
    deadline = time.monotonic() + 5
    while soffice_processes_using(conv.profile_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert soffice_processes_using(conv.profile_dir) == []
    # the profile is still usable afterwards
    assert conv.convert([book], "xlsx", tmp_path / "out")[0].is_file()


def test_to_png_errors_are_chinese(tmp_path: Path) -> None:
    with pytest.raises(LibreOfficeError, match="不存在"):
        to_png(tmp_path / "没有.pdf", tmp_path)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    if shutil.which("pdftoppm"):
        with pytest.raises(LibreOfficeError, match="pdftoppm"):
            to_png(broken, tmp_path / "png")


# ---------------------------------------------------------------- outputs go through safe_write


def test_convert_refuses_a_link_and_a_foreign_file(conv: lo.Converter, tmp_path: Path) -> None:
    book = write_calc_workbook(tmp_path / "a.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.pdf"
    elsewhere.write_bytes(b"someone else's")
    (out / "a.pdf").symlink_to(elsewhere)
    with pytest.raises(XlPerfError, match="链接"):
        conv.convert([book], "pdf", out)
    assert elsewhere.read_bytes() == b"someone else's"  # never written through the link
    (out / "a.pdf").unlink()
    (out / "a.pdf").write_bytes(b"the user's own file")
    with pytest.raises(XlPerfError, match=r"--overwrite|不是本工具"):
        conv.convert([book], "pdf", out)
    assert (out / "a.pdf").read_bytes() == b"the user's own file"
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["a.pdf"]  # no scratch left behind
    (pdf,) = conv.convert([book], "pdf", out, overwrite=True)  # the user allowed it
    assert pdf.read_bytes().startswith(b"%PDF-")
    (again,) = conv.convert([book], "pdf", out)  # now the tool's own: replaced without --overwrite
    assert again == pdf and again.read_bytes().startswith(b"%PDF-")


def test_convert_to_many_folders_in_one_session(
    conv: lo.Converter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_calc_workbook(tmp_path / "一.xlsx")
    second = write_calc_workbook(tmp_path / "二.xlsx")
    started = started_processes(monkeypatch)
    targets = [tmp_path / "x" / "表.pdf", tmp_path / "y" / "表.pdf"]  # same name, two folders
    outputs = conv.convert_to(list(zip([first, second], targets, strict=True)), "pdf")
    monkeypatch.undo()
    assert len(started) == 1
    assert outputs == targets
    assert all(p.read_bytes().startswith(b"%PDF-") for p in outputs)


def test_convert_to_wrong_suffix_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lo, "find_soffice", lambda: "/bin/false")
    book = write_calc_workbook(tmp_path / "a.xlsx")
    with pytest.raises(LibreOfficeError, match=r"\.pdf"):
        converter(tmp_path / "cache").convert_to([(book, tmp_path / "a.xlsx.out")], "pdf")


def test_to_png_refuses_a_foreign_file(conv: lo.Converter, tmp_path: Path) -> None:
    require_tool("pdftoppm")
    (pdf,) = conv.convert([write_text_workbook(tmp_path / "页.xlsx", [(ORG, "宋体")])], "pdf", tmp_path / "pdf")
    png_dir = tmp_path / "png"
    png_dir.mkdir()
    (png_dir / "页-1.png").write_bytes(b"a picture of the user's")
    with pytest.raises(XlPerfError):
        to_png(pdf, png_dir)
    assert (png_dir / "页-1.png").read_bytes() == b"a picture of the user's"
    (page,) = to_png(pdf, png_dir, overwrite=True)
    assert page.read_bytes().startswith(b"\x89PNG")
