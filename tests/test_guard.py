"""The input guard: hostile or broken files are refused with a Chinese message naming the file, valid ones pass,
and a reader that crashes, exhausts memory or hangs in the child process never takes the caller down."""

from __future__ import annotations

import os
import pickle
import re
import sys
import time
import types
from pathlib import Path
from unittest import mock

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import children
from tests.hostile.make_corpus import (
    CASES,
    READER,
    base_parts,
    main,
    make_corpus,
    ole_et,
    sheet_xml,
    valid_xlsx,
    with_parts,
    zip_bytes,
)
from xl_perf.errors import BadInputError, Location
from xl_perf.io import guard
from xl_perf.io.guard import Limits, inspect, read_in_child

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX processes and rlimits")
QUICK = Limits(timeout_s=30)
SHEET_CASES = {
    "doctype_in_sheet.xlsx",
    "invalid_utf8_sheet.xlsx",
    "utf16_sheet.xlsx",
    "dimension_whole_sheet.xlsx",
    "far_cell_no_dimension.xlsx",
    "rows_200k_declared.xlsx",
    "rows_implicit_past_limit.xlsx",
    "cols_implicit_1200.xlsx",
    "prefixed_far_cell.xlsx",
    "duplicate_r_attribute.xlsx",
    "char_reference_in_ref.xlsx",
    "tab_before_ref.xlsx",
    "ref_not_first_attribute.xlsx",
}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    outdir = tmp_path_factory.mktemp("hostile")
    return outdir, make_corpus(outdir)


def write_book(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write_number(r, c, value)
    book.close()


# ---------------------------------------------------------------------------------------------------------------
# The hostile corpus
# ---------------------------------------------------------------------------------------------------------------


def test_corpus_has_at_least_30_cases(corpus: tuple[Path, dict[str, str]]) -> None:
    assert len(corpus[1]) >= 30


@pytest.mark.parametrize("name", [name for name, _, _ in CASES])
def test_hostile_file_is_refused_cleanly(corpus: tuple[Path, dict[str, str]], name: str) -> None:
    outdir, expected = corpus
    if name not in expected:
        pytest.skip("this case needs a POSIX system")
    path = outdir / name
    with pytest.raises(BadInputError) as caught:
        read_in_child(path, children.calamine_values, QUICK)
    error = caught.value
    assert expected[name] in error.message, error.message
    assert has_chinese(error.message)
    assert error.location is not None and error.location.file == str(path)
    assert str(path) in str(error)
    if name in SHEET_CASES:
        assert error.location.sheet == "预算表"
    if expected[name] == READER:
        inspect(path)  # structurally sound: refused by the reader in the child, not up front
    else:
        with pytest.raises(BadInputError) as again:
            inspect(path)
        assert again.value.message == error.message


@pytest.mark.parametrize("chunk", [5, 64, 1000])
def test_streaming_scan_finds_tokens_split_across_chunks(
    corpus: tuple[Path, dict[str, str]], chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    outdir, expected = corpus
    monkeypatch.setattr(guard.base, "CHUNK", chunk)
    for name in (
        "doctype_in_sheet.xlsx",
        "billion_laughs_workbook.xlsx",
        "far_cell_no_dimension.xlsx",
        "cols_implicit_1200.xlsx",
        "rows_implicit_past_limit.xlsx",
        "invalid_utf8_sheet.xlsx",
        "lying_size_bomb.xlsx",
        "crc_mismatch.xlsx",
    ):
        with pytest.raises(BadInputError) as caught:
            inspect(outdir / name)
        assert expected[name] in caught.value.message, (name, caught.value.message)
    inspect(outdir / "malformed_sheet_xml.xlsx")


def test_ole_kinds_are_told_apart_without_olefile(
    corpus: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    outdir, expected = corpus
    monkeypatch.setitem(sys.modules, "olefile", None)  # import olefile now raises ImportError
    for name in ("encrypted_ooxml.xlsx", "legacy.xls", "wps.et", "wps_renamed.xlsx", "unknown_ole.xlsx"):
        with pytest.raises(BadInputError) as caught:
            inspect(outdir / name)
        assert expected[name] in caught.value.message


def test_missing_file_and_custom_limits(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as caught:
        inspect(tmp_path / "没有这个文件.xlsx")
    assert "文件不存在" in caught.value.message
    assert caught.value.location == Location(file=str(tmp_path / "没有这个文件.xlsx"))

    path = tmp_path / "small.xlsx"
    path.write_bytes(valid_xlsx())
    inspect(path)
    with pytest.raises(BadInputError) as caught:
        inspect(path, Limits(max_file_bytes=1000))
    assert "文件过大" in caught.value.message
    with pytest.raises(BadInputError) as caught:
        inspect(path, Limits(max_entries=3))
    assert "条目过多" in caught.value.message
    with pytest.raises(BadInputError) as caught:
        inspect(path, Limits(max_uncompressed_bytes=2000))
    assert "解压后过大" in caught.value.message


def test_row_elements_flood_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flood.xlsx"
    path.write_bytes(with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>' * 50)))
    inspect(path)
    with pytest.raises(BadInputError) as caught:
        inspect(path, Limits(max_rows=20))
    assert "行元素多于 20 个" in caught.value.message
    assert caught.value.location is not None and caught.value.location.sheet == "预算表"


@posix_only
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_utf16_parts_are_scanned_as_text(
    tmp_path: Path, codec: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part outside the strict set may be UTF-16 (readers accept it); its entity declarations are still found,
    whether it is scanned whole or streamed in small chunks."""
    monkeypatch.setattr(guard.base, "CHUNK", chunk)
    app = '<?xml version="1.0"?><Properties><Application>预算</Application></Properties>'
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(zip_bytes({**base_parts(), "docProps/app.xml": app.encode(codec)}))
    inspect(plain)
    hostile = tmp_path / "entity.xlsx"
    declared = app.replace("<Properties>", '<!DOCTYPE p [<!ENTITY x "x">]><Properties>')
    hostile.write_bytes(zip_bytes({**base_parts(), "docProps/app.xml": declared.encode(codec)}))
    with pytest.raises(BadInputError, match="实体声明"):
        inspect(hostile)


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "locked.xlsx"
    path.write_bytes(valid_xlsx())
    path.chmod(0)
    with pytest.raises(BadInputError) as caught:
        inspect(path)
    assert "没有访问权限" in caught.value.message


def test_make_corpus_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "out")]) == 0
    assert "files written" in capsys.readouterr().out
    assert (tmp_path / "out" / "zip_bomb.xlsx").stat().st_size < 1024 * 1024
    assert main([]) == 2


# ---------------------------------------------------------------------------------------------------------------
# Valid workbooks pass
# ---------------------------------------------------------------------------------------------------------------


def test_large_valid_workbook_passes_and_reads(tmp_path: Path) -> None:
    header: list[object] = [f"列{c + 1}" for c in range(20)]
    rows: list[list[object]] = [header] + [[float(r * 20 + c) for c in range(20)] for r in range(1, 5000)]
    path = tmp_path / "五千行.xlsx"
    write_book(path, {"数据": rows})
    started = time.perf_counter()
    inspect(path)
    assert time.perf_counter() - started < 5
    values = read_in_child(path, children.calamine_values)
    assert values == {"数据": rows}

    with pytest.raises(BadInputError) as caught:
        inspect(path, Limits(max_rows=4999))
    assert caught.value.location is not None and caught.value.location.sheet == "数据"
    with pytest.raises(BadInputError) as caught:
        inspect(path, Limits(max_cols=19))
    assert "范围过大" in caught.value.message


def test_chinese_sheet_names_pass_and_read(tmp_path: Path) -> None:
    sheets: dict[str, list[list[object]]] = {
        "预算表": [["项目", "金额"], ["办公经费", 100.0]],
        "绩效目标（2023年）": [["指标", "值"], ["满意度", 0.95]],
        "附表 1 & 说明": [["备注"]],
    }
    path = tmp_path / "中文工作表.xlsx"
    write_book(path, sheets)
    inspect(path)
    assert read_in_child(path, children.sheet_names) == list(sheets)
    assert read_in_child(path, children.calamine_values) == sheets
    with pytest.raises(BadInputError) as caught:
        inspect(path, Limits(max_cols=1))
    assert caught.value.location is not None and caught.value.location.sheet == "预算表"


# ---------------------------------------------------------------------------------------------------------------
# The child process
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    path.write_bytes(valid_xlsx())
    return path


@posix_only
@pytest.mark.parametrize("fn", [children.call_abort, children.kill_self, children.exit_without_result])
def test_child_that_dies_becomes_bad_input(book: Path, fn: object) -> None:
    with pytest.raises(BadInputError) as caught:
        read_in_child(book, fn, QUICK)  # type: ignore[arg-type]
    assert caught.value.message == guard.MSG_CHILD_CRASH
    assert caught.value.location == Location(file=str(book))


@posix_only
def test_child_memory_is_capped(book: Path) -> None:
    limits = Limits(memory_bytes=256 * 1024 * 1024, timeout_s=30)
    assert read_in_child(book, children.address_space_limit, limits) == limits.memory_bytes
    with pytest.raises(BadInputError) as caught:
        read_in_child(book, children.allocate_512_mib, limits)
    assert caught.value.message == guard.MSG_CHILD_CRASH


@posix_only
def test_calamine_abort_is_contained(corpus: tuple[Path, dict[str, str]]) -> None:
    """The real threat: calamine aborts the process on a 5 KB file. Bypass inspect to prove the child contains it."""
    path = corpus[0] / "far_cell_no_dimension.xlsx"
    with pytest.raises(BadInputError) as caught:
        guard.run_in_child(path, children.calamine_values, QUICK)
    assert caught.value.message == guard.MSG_CHILD_CRASH


def test_child_timeout(book: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(BadInputError) as caught:
        read_in_child(book, children.sleep_long, Limits(timeout_s=1))
    assert "读取超时" in caught.value.message
    assert time.perf_counter() - started < 15


def test_bad_input_in_child_is_reraised_unchanged(book: Path) -> None:
    with pytest.raises(BadInputError) as caught:
        read_in_child(book, children.raise_bad_input, QUICK)
    assert caught.value.message == "第 3 行的金额不是数字"
    assert caught.value.location == Location(file=str(book), sheet="预算表", cell="B3")


def test_other_exceptions_keep_their_type(book: Path) -> None:
    with pytest.raises(ValueError, match="defect in the reader") as caught:
        read_in_child(book, children.raise_value_error, QUICK)
    assert "raise_value_error" in str(caught.value.__cause__)
    with pytest.raises(RuntimeError, match="无法传回"):
        read_in_child(book, children.return_unpicklable, QUICK)


def test_child_that_cannot_start_is_not_blamed_on_the_file(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    phantom = types.ModuleType("xl_perf_guard_phantom")  # importable here, not in the child
    exec("def read(path):\n    return 1\n", phantom.__dict__)
    monkeypatch.setitem(sys.modules, phantom.__name__, phantom)
    if sys.platform.startswith("linux"):
        # fork: the child is a copy of the caller, so even a function only the caller knows runs there.
        assert read_in_child(book, phantom.read, QUICK) == 1
        assert read_in_child(book, lambda p: 2, QUICK) == 2
        return
    with pytest.raises(RuntimeError, match="未能启动"):
        read_in_child(book, phantom.read, QUICK)
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):
        read_in_child(book, lambda p: 1, QUICK)  # not picklable: fails in the caller, before any child runs


def test_inspect_runs_before_the_child(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00" * 100)
    with pytest.raises(BadInputError) as caught:
        read_in_child(path, children.call_abort, QUICK)
    assert "PDF" in caught.value.message


# ---------------------------------------------------------------------------------------------------------------
# Fuzzing: inspect raises BadInputError or returns None, nothing else
# ---------------------------------------------------------------------------------------------------------------

VALID = valid_xlsx()
VALID_OLE = ole_et()


@st.composite
def mutated(draw: st.DrawFn, base: bytes, tail: int | None = None) -> bytes:
    data = bytearray(base)
    low = 0 if tail is None else max(0, len(data) - tail)
    for _ in range(draw(st.integers(1, 12))):
        data[draw(st.integers(low, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return bytes(data if cut is None else data[:cut])


FUZZ_INPUTS = st.one_of(
    st.binary(max_size=4096),
    st.binary(max_size=2048).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=2048).map(lambda b: guard.sniff.OLE_MAGIC + b),
    mutated(VALID),
    mutated(VALID, tail=400),  # the central directory and end record
    mutated(VALID_OLE),
    mutated(VALID_OLE[:1024]),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=FUZZ_INPUTS)
def test_inspect_never_raises_anything_else(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(data)
    try:
        inspect(path)
    except BadInputError as error:
        assert error.location is not None and error.location.file == str(path)
        assert has_chinese(error.message)


# A reference model of where readers put cells: a row without r follows the previous row, a cell without r follows
# the previous cell of its row. inspect must refuse exactly the sheets whose extent this model puts beyond the limits,
# whatever the attribute layout (the usual one takes a fast path) and wherever the stream is cut into chunks.
SMALL = Limits(max_rows=50, max_cols=10)
# Limits under which references of one letter and one digit are short enough for the one-pass screen of whole sheets.
SCREENED = Limits(max_rows=50, max_cols=30)
CELL_TAGS = {
    "usual": '<c r="{ref}">',
    "r_not_first": '<c s="0" r="{ref}">',
    "single_quotes": "<c r='{ref}' t=\"n\">",
    "tab": '<c\tr="{ref}">',
    "duplicate_r": '<c r="A1" r="{ref}">',
}
ROW_TAGS = {"usual": '<row r="{ref}">', "r_not_first": "<row spans=\"1:2\" r='{ref}'>"}
CELL = st.tuples(
    st.one_of(st.none(), st.tuples(st.integers(1, 40), st.integers(1, 60))),
    st.sampled_from(list(CELL_TAGS)),
    st.booleans(),  # a formula cell
)
ROW = st.tuples(st.one_of(st.none(), st.integers(1, 60)), st.lists(CELL, max_size=12), st.sampled_from(list(ROW_TAGS)))


Rows = list[tuple[int | None, list[tuple[tuple[int, int] | None, str, bool]], str]]


def sheet_body(rows: Rows, limits: Limits) -> tuple[bytes, bool, set[tuple[int, int]]]:
    """The sheetData content for `rows`, whether the reference model puts it beyond `limits`, and its formula cells
    (0-based) as the model places them."""
    parts: list[str] = []
    too_large = False
    formulas: set[tuple[int, int]] = set()
    cur_row = 0
    for row_ref, cells, row_style in rows:
        cur_row = row_ref if row_ref is not None else cur_row + 1
        too_large |= cur_row > limits.max_rows
        cur_col = 0
        parts.append("<row>" if row_ref is None else ROW_TAGS[row_style].format(ref=row_ref))
        for ref, cell_style, formula in cells:
            if ref is None:
                cur_col += 1
                cell_row, tag = max(cur_row, 1), "<c>"
            else:
                cur_col, cell_row = ref
                tag = CELL_TAGS[cell_style].format(ref=f"{guard.extent.col_letters(cur_col)}{cell_row}")
            too_large |= cell_row > limits.max_rows or cur_col > limits.max_cols
            parts.append(tag + ("<f>1</f>" if formula else "") + "<v>1</v></c>")
            if formula:
                formulas.add((cell_row - 1, cur_col - 1))
        parts.append("</row>")
    return "".join(parts).encode(), too_large, formulas


@pytest.mark.parametrize("limits", [SMALL, SCREENED], ids=["small", "screened"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=15), chunk=st.sampled_from([3, 17, 64, 1 << 20]))
def test_sheet_extent_matches_reader_model(tmp_path: Path, limits: Limits, rows: Rows, chunk: int) -> None:
    """Small chunks take the streaming scan; 1 MiB takes the whole-part scan, and under SCREENED its one-pass screen.
    Where the scan vouches for the formula cells it found (all in the usual form), they are the model's."""
    body, too_large, formulas = sheet_body(rows, limits)
    path = tmp_path / "extent.xlsx"
    path.write_bytes(with_parts(sheet=sheet_xml(body)))
    with mock.patch.object(guard.base, "CHUNK", chunk):
        if too_large:
            with pytest.raises(BadInputError, match="范围过大"):
                inspect(path, limits)
            return
        facts = inspect(path, limits)
    usual = all(
        row_ref is not None and row_style == "usual" and all(ref and style == "usual" for ref, style, _ in cells)
        for row_ref, cells, row_style in rows
    )
    if facts.formulas is not None:
        assert usual
        assert facts.formulas["预算表"] == formulas
    elif usual:
        pytest.fail("the scan gave up on a sheet in the usual form")


@pytest.mark.parametrize("between", ["", " ", "\n  "])
def test_formula_cells_are_found_wherever_the_stream_is_cut(tmp_path: Path, between: str) -> None:
    """A cut can fall just after a cell's start tag, leaving only whitespace (or nothing) before its <f>."""
    body = f'<row r="10"><c r="D10">{between}<f>1</f><v>1</v></c><c r="E10"><v>2</v></c></row>'.encode()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(with_parts(sheet=sheet_xml(body)))
    for chunk in range(1, 12):
        with mock.patch.object(guard.base, "CHUNK", chunk):
            facts = inspect(path, SMALL)
        assert facts.formulas is not None and facts.formulas["预算表"] == {(9, 3)}, chunk


# --- the tool's own structure tampered with: every command ends quickly, refusing in Chinese or reading right ------

# Refused by every reading command (check, dump, score, export, batch lists it as unreadable), with this fragment.
TAMPERED_REFUSALS = {
    "year_abc": "年度",
    "year_5000_digits": "过长",
    "params_bad_json": "JSON",
    "params_deeply_nested": "params",
    "params_nested_object": "嵌套过深",
    "params_not_object": "对象",
    "not_applicable_unknown": "no_such_indicator",
    "not_applicable_not_list": "列表",
    "framework_unknown": "规则包",
    "table_name_narrowed": "xp_table_funds",
    "score_sheet_renamed": "xp_stated",
    "unit_nul": "控制字符",
}


@pytest.fixture(scope="module")
def driver():  # type: ignore[no-untyped-def]
    from tests.hostile import fuzz

    if sys.platform == "win32":
        pytest.skip("the driver forks its commands")
    running = fuzz.Driver()
    yield running
    running.close()


@pytest.mark.parametrize("name", sorted(__import__("tests.hostile.tampered", fromlist=["x"]).TAMPERINGS))
def test_tampered_workbook_through_every_command(name: str, driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.hostile import fuzz, tampered

    data = tampered.TAMPERINGS[name](tmp_path / f"{name}.xlsx").read_bytes()
    problems, outcomes = fuzz.run_commands(driver, data, tmp_path / "run")
    assert not problems, problems
    for label, outcome in outcomes.items():
        assert outcome.seconds < 20, (label, outcome.seconds)
    fragment = TAMPERED_REFUSALS.get(name)
    if fragment is None:
        return  # read as a valid workbook (a year written as 2022.0, a bidi mark, far-reaching table names, ...)
    for label in ("check", "dump", "score", "export", "batch"):
        outcome = outcomes[label]
        text = outcome.stdout + outcome.stderr
        assert outcome.code == 2, (label, text[-400:])
        assert fragment in re.sub(r"\s+", "", text), (label, text[-400:])
        assert re.search(r"[\u4e00-\u9fff]", text)


def test_a_table_name_over_100m_rows_reads_within_seconds(tmp_path: Path) -> None:
    from tests.hostile import tampered
    from xl_perf.io.workbook import open_untrusted
    from xl_perf.template import read

    path = tampered.TAMPERINGS["table_name_100m_rows"](tmp_path / "far.xlsx")
    started = time.monotonic()
    book = open_untrusted(path)
    data = read.read_dict(book)
    assert time.monotonic() - started < 10
    original = read.read_dict(open_untrusted(tampered.ZHENGTI))
    # the same projects, plus the notes under the table the wider name now also covers
    assert (
        data["tables"]["财政资金情况"][: len(original["tables"]["财政资金情况"])] == original["tables"]["财政资金情况"]
    )


def test_meta_year_written_as_number_reads_as_that_year(tmp_path: Path) -> None:
    from tests.hostile import tampered
    from xl_perf.io.workbook import open_untrusted
    from xl_perf.template import read

    path = tampered.TAMPERINGS["year_float_text"](tmp_path / "y.xlsx")
    assert read.read_dict(open_untrusted(path))["year"] == 2022


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_a_symlink_loop_as_input_is_refused_by_every_command(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.hostile import fuzz

    inputs, out, cwd, tmp = (tmp_path / d for d in ("in", "out", "cwd", "tmp"))
    for folder in (inputs, out, cwd, tmp):
        folder.mkdir()
    loop = inputs / "loop.xlsx"
    loop.symlink_to("loop.xlsx")
    for label, argv in fuzz.commands(loop, out).items():
        outcome = driver.run(argv, cwd, tmp)
        text = outcome.stdout + outcome.stderr
        assert outcome.code == 2, (label, text)
        assert "循环链接" in text and "Traceback" not in text, (label, text)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_a_symlink_at_the_batch_summary_name_stops_before_the_batch(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.hostile import fuzz

    inputs, cwd, tmp = tmp_path / "in", tmp_path / "cwd", tmp_path / "tmp"
    for folder in (inputs, cwd, tmp):
        folder.mkdir()
    (inputs / "a.xlsx").write_bytes(fuzz.SAMPLES[0].read_bytes())
    victim = tmp_path / "victim.xlsx"
    for target in ("victim.xlsx", "summary.xlsx"):  # a dangling link, then a loop
        link = tmp_path / "summary.xlsx"
        link.unlink(missing_ok=True)
        link.symlink_to(tmp_path / target)
        for extra in ([], ["--overwrite"]):
            outcome = driver.run(["batch", str(inputs), "-o", str(link), *extra], cwd, tmp)
            assert outcome.code == 2 and "符号链接" in outcome.stderr, outcome.stderr
            assert link.is_symlink() and not victim.exists()


def test_a_reader_abort_shows_nothing_raw(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A reader that aborts (as python-calamine does on some inputs) prints its fatal-error dump to the child's
    stderr; none of it reaches the terminal, only the Chinese refusal does."""
    path = tmp_path / "book.xlsx"
    path.write_bytes(valid_xlsx())
    with pytest.raises(BadInputError, match="异常退出"):
        read_in_child(path, children.call_abort)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_90_character_unit_and_a_63_character_project_work_in_new_and_export(driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unit = ("遂溪县港门镇人民政府" * 9)[:90]
    project = ("港门镇乡村振兴基础设施综合提升项目" * 4)[:63]
    cwd, tmp, made, out = (tmp_path / d for d in ("cwd", "tmp", "made", "out"))
    for folder in (cwd, tmp, made, out):
        folder.mkdir()
    for framework, extra in (("gd-county-xiangmu", ["-p", project]), ("gd-county-zhengti", [])):
        created = driver.run(["new", "-f", framework, "-y", "2026", "-u", unit, *extra, "-o", str(made)], cwd, tmp)
        assert created.code == 0, created.stderr
    books = sorted(made.glob("*.xlsx"))
    assert len(books) == 2
    for book in books:
        assert len(book.name.encode()) <= 200 and "2026" in book.name
        exported = driver.run(["export", str(book), "-o", str(out), "--json", "--csv", "--force"], cwd, tmp)
        assert exported.code in (0, 1), exported.stderr
        assert "已导出" in exported.stdout
    names = [p.name for p in out.iterdir()]
    assert len(names) >= 8 and all(len(n.encode()) <= 230 for n in names)
    dumped = driver.run(["dump", str(books[0]), "--json"], cwd, tmp)
    assert dumped.code == 0 and unit in dumped.stdout  # the full unit name is kept inside the workbook


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"schema": 1, "framework": "gd-county-zhengti", "year": "' + "9" * 5000 + '"}', "评价年度"),
        ('{"schema": 1, "year": ' + "9" * 5000 + "}", "位数过多"),
        ("[" * 100_000 + "]" * 100_000, "嵌套"),
    ],
    ids=["year-5000-digit-text", "5000-digit-number", "deeply-nested"],
)
def test_hostile_data_documents_are_refused(text: str, fragment: str, driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "数据.json"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "cwd").mkdir()
    (tmp_path / "tmp").mkdir()
    for command in ("check", "score", "dump"):
        outcome = driver.run([command, str(path)], tmp_path / "cwd", tmp_path / "tmp")
        assert outcome.code == 2 and fragment in outcome.stdout + outcome.stderr, (command, outcome.stderr)
        assert outcome.seconds < 20


# --- one extent algorithm, whichever scan reads the sheet ------------------------------------------------------

# The same sheet written in forms that take each scan: the one-pass screen of a whole part, the bulk scan of the
# usual form (the screen gives up on a reference this long; streamed in small chunks it is never screened), and the
# walk token by token (r not the first attribute, a prefixed tag, a cell without reference following its neighbour).
EXTENT_FORMS = {
    "usual": ('<row r="{row}">', '<c r="{ref}">', "</c>", "</row>"),
    "r_not_first": ('<row spans="1:2" r="{row}">', '<c s="0" r="{ref}">', "</c>", "</row>"),
    "prefixed": ('<x:row r="{row}">', '<x:c r="{ref}">', "</x:c>", "</x:row>"),
}


def extent_sheet(form: str, cells: list[tuple[int, int]], implicit_last: bool = False) -> bytes:
    """A sheet with one row per cell of `cells` (1-based row, column); with `implicit_last`, the last cell is
    written without reference, right after a cell one column to its left."""
    row_tag, cell_tag, cell_end, row_end = EXTENT_FORMS[form]
    parts = []
    for index, (row, col) in enumerate(cells):
        parts.append(row_tag.format(row=row))
        if implicit_last and index == len(cells) - 1:
            left = f"{guard.extent.col_letters(col - 1)}{row}"
            parts.append(cell_tag.format(ref=left) + "<v>1</v>" + cell_end + "<c><v>2</v></c>")
        else:
            parts.append(cell_tag.format(ref=f"{guard.extent.col_letters(col)}{row}") + "<v>1</v>" + cell_end)
        parts.append(row_end)
    head = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="urn:x">'
    return (head + "<sheetData>" + "".join(parts) + "</sheetData></worksheet>").encode()


def refusals_by_scan(tmp_path: Path, cells: list[tuple[int, int]], limits: Limits) -> dict[str, str]:
    """The refusal message of the sheet holding `cells` under `limits`, read by every scan, by scan."""
    messages: dict[str, str] = {}
    for form in EXTENT_FORMS:
        for implicit in (False, True):
            path = tmp_path / f"{form}-{implicit}.xlsx"
            path.write_bytes(with_parts(sheet=extent_sheet(form, cells, implicit)))
            for chunk in (1 << 20, 5):  # whole, streamed
                with mock.patch.object(guard.base, "CHUNK", chunk), pytest.raises(BadInputError) as caught:
                    inspect(path, limits)
                messages[f"{form}, implicit={implicit}, chunk={chunk}"] = caught.value.message
    return messages


@pytest.mark.parametrize(
    ("cells", "limits", "detail"),
    [
        ([(1, 1), (3, 1001)], Limits(), "数据延伸到单元格 ALM3"),  # one column too wide
        ([(1, 2), (100_001, 3)], Limits(), "数据延伸到第 100001 行"),  # one row too far down (its <row> comes first)
        # within the one-pass screen's reach (references of one letter and one digit under these limits)
        ([(1, 1), (5, 26)], Limits(max_rows=50, max_cols=30, max_cells=129), "数据从 A1 延伸到 Z5（约 130 个单元格"),
        ([(1, 2)] * 12, Limits(max_rows=11, max_cols=30), "行元素多于 11 个"),
    ],
    ids=["too_wide", "too_far_down", "area", "row_count"],
)
def test_one_extent_algorithm_refuses_alike_whichever_scan_reads(
    tmp_path: Path, cells: list[tuple[int, int]], limits: Limits, detail: str
) -> None:
    """Every scan reports to the one `SheetExtent`, which alone decides and words the refusal: the same sheet is
    refused with the same message, naming the same cell, whichever scan (and cut of the stream) reads it."""
    messages = refusals_by_scan(tmp_path, cells, limits)
    assert len(messages) == 12
    assert len(set(messages.values())) == 1, messages
    message = next(iter(messages.values()))
    assert detail in message, message
    assert message.startswith("工作表“预算表”的范围过大")


def test_every_scan_reports_to_the_one_extent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `SheetExtent` told to refuse nothing, no scan refuses a far cell on its own."""
    monkeypatch.setattr(guard.extent.SheetExtent, "_reach", lambda self, row, col: None)
    monkeypatch.setattr(guard.extent.SheetExtent, "fits", lambda self, row, col: True)
    monkeypatch.setattr(guard.extent.SheetExtent, "finish", lambda self: None)
    for form in EXTENT_FORMS:
        path = tmp_path / f"{form}.xlsx"
        path.write_bytes(with_parts(sheet=extent_sheet(form, [(1, 1), (3, 1001)], True)))
        for chunk in (1 << 20, 5):
            with mock.patch.object(guard.base, "CHUNK", chunk):
                inspect(path)
