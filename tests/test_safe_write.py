"""The safe-write module: atomic replacement, refusals before writing, and cleanup on every failure."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_perf.errors import XlPerfError
from xl_perf.io import safe_write
from xl_perf.io.safe_write import (
    TEMP_PREFIX,
    WriteRefused,
    atomic_output,
    is_open_elsewhere,
    lock_files,
    owner_file,
    write_bytes,
    write_text,
)
from xl_perf.io.safe_write import temps as temps_of_writer

OLD = b"PK\x03\x04 old workbook content " * 64
NEW = b"PK\x03\x04 new workbook content " * 80

CJK = re.compile(r"[\u4e00-\u9fff]")


def temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(TEMP_PREFIX + "*"))


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """An earlier output of the tool (recorded as its own), which later writes may replace."""
    path = tmp_path / "book.xlsx"
    path.write_bytes(OLD)
    safe_write.claim(path)
    return path


def assert_untouched(path: Path) -> None:
    assert path.read_bytes() == OLD
    assert temps(path.parent) == []


# --- successful writes -------------------------------------------------------------------------------------------


def test_write_bytes_creates_new_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    assert write_bytes(target, NEW) == target
    assert target.read_bytes() == NEW
    assert temps(tmp_path) == []


def test_write_bytes_replaces_existing_file(book: Path) -> None:
    write_bytes(book, NEW)
    assert book.read_bytes() == NEW
    assert temps(book.parent) == []


def test_write_bytes_accepts_str_path(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    write_bytes(str(target), NEW)  # type: ignore[arg-type]
    assert target.read_bytes() == NEW


def test_bare_relative_name_writes_in_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_bytes(Path("out.xlsx"), NEW)
    assert (tmp_path / "out.xlsx").read_bytes() == NEW
    assert temps(tmp_path) == []


def test_write_text_encodings_and_newlines(tmp_path: Path) -> None:
    target = tmp_path / "报告.csv"
    write_text(target, "单位,得分\n港门镇,94\n", encoding="utf-8-sig", newline="")
    assert target.read_bytes() == "\ufeff单位,得分\n港门镇,94\n".encode()
    write_text(target, "一行\r\n", newline="")
    assert target.read_bytes() == "一行\r\n".encode()
    assert temps(tmp_path) == []


def test_write_text_encoding_error_leaves_target(book: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        write_text(book, "emoji 😀", encoding="gbk")
    assert_untouched(book)


def test_temp_path_is_in_target_folder_and_keeps_suffix(book: Path) -> None:
    with atomic_output(book) as temp:
        assert temp.parent == book.parent
        assert temp.name.startswith(TEMP_PREFIX)
        assert temp.suffix == ".xlsx"
        assert temp.exists() and temp.stat().st_size == 0
        assert book.read_bytes() == OLD  # the target is not touched while the caller writes
        temp.write_bytes(NEW)
    assert book.read_bytes() == NEW
    assert not temp.exists()
    assert temps(book.parent) == []


def test_suffix_is_last_suffix_only(tmp_path: Path) -> None:
    target = tmp_path / "2022年 v1.2 自评.xlsx"
    with atomic_output(target) as temp:
        assert temp.suffix == ".xlsx"
        assert " " not in temp.name
        temp.write_bytes(NEW)
    assert target.read_bytes() == NEW


def test_writer_that_opens_path_itself(tmp_path: Path) -> None:
    """Writers like XlsxWriter/openpyxl open the path themselves and truncate it: that must work."""
    target = tmp_path / "out.xlsx"
    with atomic_output(target) as temp, open(temp, "w+b") as fh:
        fh.write(NEW)
    assert target.read_bytes() == NEW


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_overwrite_keeps_permissions(book: Path) -> None:
    os.chmod(book, 0o640)
    write_bytes(book, NEW)
    assert book.stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_new_file_gets_umask_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "new.xlsx"
    write_bytes(target, NEW)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_symlink_target_is_refused_and_left_alone(tmp_path: Path) -> None:
    real = tmp_path / "real.xlsx"
    real.write_bytes(OLD)
    safe_write.claim(real)  # even a file of the tool's own is not written through a link
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    with pytest.raises(WriteRefused, match="符号链接") as info:
        write_bytes(link, NEW, foreign=True)
    assert str(link) in info.value.message
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == OLD
    assert temps(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_dangling_symlink_target_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "new.xlsx"
    elsewhere.parent.mkdir()
    link = tmp_path / "link.xlsx"
    link.symlink_to(elsewhere)
    with pytest.raises(WriteRefused, match="符号链接"):
        write_bytes(link, NEW)
    assert not elsewhere.exists()
    assert link.is_symlink()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_symlink_appearing_before_the_move_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.xlsx"
    real.write_bytes(OLD)
    target = tmp_path / "out.xlsx"
    with pytest.raises(WriteRefused, match="符号链接"), atomic_output(target) as temp:
        temp.write_bytes(NEW)
        target.symlink_to(real)  # planted while the tool was writing
    assert real.read_bytes() == OLD and target.is_symlink()
    assert temps(tmp_path) == []


def test_foreign_file_is_refused_unless_allowed(tmp_path: Path) -> None:
    theirs = tmp_path / "out.xlsx"
    theirs.write_bytes(OLD)
    with pytest.raises(WriteRefused, match="不是本工具生成") as info:
        write_bytes(theirs, NEW)
    assert "--overwrite" in info.value.message and str(theirs) in info.value.message
    assert theirs.read_bytes() == OLD
    write_bytes(theirs, NEW, foreign=True)  # the user said --overwrite
    assert theirs.read_bytes() == NEW
    assert safe_write.is_own(theirs)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_read_only_foreign_file_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "out.json"
    theirs.write_bytes(OLD)
    os.chmod(theirs, 0o444)
    with pytest.raises(WriteRefused, match="不是本工具生成"):
        write_bytes(theirs, NEW)
    assert theirs.read_bytes() == OLD


def test_own_output_edited_by_the_user_becomes_theirs(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_bytes(target, NEW)
    assert safe_write.is_own(target)
    write_bytes(target, OLD)  # still ours: replaced freely
    target.write_bytes(OLD + b"edited")
    assert not safe_write.is_own(target)
    with pytest.raises(WriteRefused, match="不是本工具生成"):
        write_bytes(target, NEW)


def test_damaged_or_linked_manifest_counts_nothing_as_own(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_bytes(target, NEW)
    manifest = tmp_path / safe_write.MANIFEST_NAME
    manifest.write_text("{not json", encoding="utf-8")
    assert not safe_write.is_own(target)
    if hasattr(os, "symlink"):
        manifest.unlink()
        real = tmp_path / "elsewhere.json"
        real.write_text("{}", encoding="utf-8")
        manifest.symlink_to(real)
        write_bytes(tmp_path / "other.csv", NEW)  # the manifest link is not written through
        assert real.read_text(encoding="utf-8") == "{}"


def test_stale_temp_files_of_dead_process_are_removed(tmp_path: Path) -> None:
    import subprocess

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f"{TEMP_PREFIX}{temps_of_writer.owner_tag(pid)}-0123456789abcdef.xlsx"
    stale.write_bytes(b"workbook data of a killed run")
    scratch = tmp_path / f"{TEMP_PREFIX}{temps_of_writer.owner_tag(pid)}-0123456789abcdef.d"
    scratch.mkdir()
    (scratch / "copy.xlsx").write_bytes(b"data")
    mine = tmp_path / f"{TEMP_PREFIX}{temps_of_writer.owner_tag()}-0123456789abcdef.xlsx"  # a live process's: kept
    mine.write_bytes(b"in use")
    other_machine = tmp_path / f"{TEMP_PREFIX}{pid}-ffffff-0123456789abcdef.xlsx"  # its pid means nothing here
    other_machine.write_bytes(b"being written on another computer")
    old = tmp_path / f"{TEMP_PREFIX}{pid}-ffffff-fedcba9876543210.xlsx"
    old.write_bytes(b"left a long time ago")
    os.utime(old, (time.time() - 3 * 24 * 3600,) * 2)
    write_bytes(tmp_path / "out.xlsx", NEW)
    assert not stale.exists() and not scratch.exists() and not old.exists()
    assert mine.exists() and other_machine.exists()


def test_safe_stem_caps_bytes_and_removes_dangerous_characters() -> None:
    long_unit = "港门镇" * 30  # 90 Chinese characters, 270 bytes
    stem = safe_write.safe_stem(long_unit)
    assert len(stem.encode()) <= 150
    assert stem.startswith("港门镇")
    assert safe_write.safe_stem(long_unit + "甲") != safe_write.safe_stem(long_unit + "乙")
    assert safe_write.safe_stem("a\x00b\u202ec\u200bd/e\\f:g\x1fh") == "abcdefgh"
    assert safe_write.safe_stem("~$book") == "book"
    assert safe_write.safe_stem("..hidden") == "hidden"
    assert safe_write.safe_stem("CON") == "_CON"
    assert safe_write.safe_stem("\x00\u202e") == "未命名"


# --- failures while writing leave the old file byte-identical ----------------------------------------------------


def test_writer_raising_midway_keeps_old_file(book: Path) -> None:
    with pytest.raises(RuntimeError, match="writer crashed"), atomic_output(book) as temp:
        with open(temp, "wb") as fh:
            fh.write(NEW[: len(NEW) // 2])
        raise RuntimeError("writer crashed")
    assert_untouched(book)


def test_keyboard_interrupt_midway_keeps_old_file(book: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_output(book) as temp:
        temp.write_bytes(NEW[:10])
        raise KeyboardInterrupt
    assert_untouched(book)


def test_writer_raising_on_new_target_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"
    with pytest.raises(ValueError), atomic_output(target) as temp:
        temp.write_bytes(NEW[:5])
        raise ValueError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_writer_deleting_its_temp_is_refused(book: Path) -> None:
    with pytest.raises(WriteRefused), atomic_output(book) as temp:
        temp.unlink()
    assert_untouched(book)


def test_empty_output_is_refused(book: Path) -> None:
    with pytest.raises(WriteRefused, match="空") as info, atomic_output(book):
        pass  # the writer forgot to write
    assert CJK.search(info.value.message)
    assert_untouched(book)


def test_empty_bytes_are_allowed_explicitly(book: Path) -> None:
    write_bytes(book, b"")
    assert book.read_bytes() == b""
    with atomic_output(book, allow_empty=True):
        pass
    assert book.read_bytes() == b""


# --- verification ------------------------------------------------------------------------------------------------


class Rejected(Exception):
    pass


def test_verify_sees_complete_temp_file_then_replace(book: Path) -> None:
    seen: list[tuple[Path, bytes]] = []

    def verify(path: Path) -> None:
        seen.append((path, path.read_bytes()))
        assert book.read_bytes() == OLD  # still the old file while verifying

    write_bytes(book, NEW, verify=verify)
    assert len(seen) == 1
    path, content = seen[0]
    assert path.parent == book.parent and path.name.startswith(TEMP_PREFIX)
    assert content == NEW
    assert book.read_bytes() == NEW


def test_verify_rejecting_keeps_target_and_propagates(book: Path) -> None:
    def verify(path: Path) -> None:
        raise Rejected(f"bad output {path.name}")

    with pytest.raises(Rejected, match="bad output"):
        write_bytes(book, NEW, verify=verify)
    assert_untouched(book)

    with pytest.raises(Rejected), atomic_output(book, verify=verify) as temp:
        temp.write_bytes(NEW)
    assert_untouched(book)


def test_verify_returning_false_rejects(book: Path) -> None:
    with pytest.raises(WriteRefused, match="校验"):
        write_bytes(book, NEW, verify=lambda path: False)
    assert_untouched(book)


def test_verify_rejecting_new_target_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"

    def verify(path: Path) -> None:
        raise Rejected

    with pytest.raises(Rejected):
        write_bytes(target, NEW, verify=verify)
    assert list(tmp_path.iterdir()) == []


# --- owner / lock files ------------------------------------------------------------------------------------------


def test_owner_file_names(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    assert owner_file(target) == tmp_path / "~$book.xlsx"
    names = [p.name for p in lock_files(target)]
    assert names == ["~$book.xlsx", "~$ok.xlsx", ".~lock.book.xlsx#"]
    assert all(p.parent == tmp_path for p in lock_files(target))


@pytest.mark.parametrize(
    "lock_name",
    ["~$book.xlsx", "~$ok.xlsx", ".~lock.book.xlsx#"],
    ids=["excel-wps", "excel-long-name", "libreoffice"],
)
def test_is_open_elsewhere(book: Path, lock_name: str) -> None:
    assert not is_open_elsewhere(book)
    (book.parent / lock_name).write_bytes(b"owner")
    assert is_open_elsewhere(book)


def test_long_name_owner_file(tmp_path: Path) -> None:
    target = tmp_path / "港门镇2022年整体支出绩效自评.xlsx"
    (tmp_path / ("~$" + target.name[2:])).write_bytes(b"owner")
    assert is_open_elsewhere(target)


@pytest.mark.parametrize("lock_name", ["~$book.xlsx", "~$ok.xlsx", ".~lock.book.xlsx#"])
def test_open_workbook_is_refused_before_writing(book: Path, lock_name: str) -> None:
    (book.parent / lock_name).write_bytes(b"owner")
    ran = False
    with pytest.raises(WriteRefused) as info, atomic_output(book) as temp:
        ran = True
        temp.write_bytes(NEW)
    assert not ran
    message = info.value.message
    assert "book.xlsx" in message and lock_name in message and "关闭" in message
    assert_untouched(book)

    with pytest.raises(WriteRefused):
        write_bytes(book, NEW)
    assert_untouched(book)


def test_workbook_opened_while_writing_is_refused(book: Path) -> None:
    with pytest.raises(WriteRefused, match="正在被"), atomic_output(book) as temp:
        temp.write_bytes(NEW)
        owner_file(book).write_bytes(b"owner")  # the user opened it in Excel meanwhile
    assert_untouched(book)


# --- refusals ----------------------------------------------------------------------------------------------------


def test_write_refused_is_a_chinese_xl_perf_error(book: Path) -> None:
    with pytest.raises(WriteRefused) as info:
        write_bytes(book, NEW, overwrite=False)
    exc = info.value
    assert isinstance(exc, XlPerfError)
    assert exc.exit_code == 2
    assert CJK.search(exc.message)
    assert str(book) in exc.message
    assert str(exc) == exc.message  # the file is named once, not prefixed again
    assert exc.location is not None and exc.location.file == str(book)


def test_overwrite_false_with_existing_target_is_refused(book: Path) -> None:
    ran = False
    with pytest.raises(WriteRefused, match="已存在"), atomic_output(book, overwrite=False):
        ran = True
    assert not ran
    assert_untouched(book)


def test_overwrite_false_with_new_target_writes(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"
    write_bytes(target, NEW, overwrite=False)
    assert target.read_bytes() == NEW
    assert temps(tmp_path) == []


def test_overwrite_false_target_created_while_writing(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"
    with pytest.raises(WriteRefused, match="已存在"), atomic_output(target, overwrite=False) as temp:
        temp.write_bytes(NEW)
        target.write_bytes(OLD)  # someone else created the file meanwhile
    assert_untouched(target)


def test_overwrite_false_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(src: object, dst: object) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(os, "link", no_link)
    target = tmp_path / "new.xlsx"
    write_bytes(target, NEW, overwrite=False)
    assert target.read_bytes() == NEW
    with pytest.raises(WriteRefused), atomic_output(target, overwrite=False):
        pass
    assert temps(tmp_path) == []


def test_protect_same_path_is_refused(book: Path) -> None:
    with pytest.raises(WriteRefused, match="不能覆盖输入文件"):
        write_bytes(book, NEW, protect=[book])
    assert_untouched(book)


def test_protect_different_relative_path_is_refused(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = book.parent / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    with pytest.raises(WriteRefused, match="不能覆盖输入文件"):
        write_bytes(Path("../book.xlsx"), NEW, protect=[book])
    with pytest.raises(WriteRefused, match="不能覆盖输入文件"):
        write_bytes(Path("../sub/../book.xlsx"), NEW, protect=[Path("..") / "." / "book.xlsx"])
    assert_untouched(book)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_protect_via_symlink_is_refused(book: Path) -> None:
    link = book.parent / "link.xlsx"
    link.symlink_to(book)
    with pytest.raises(WriteRefused, match="不能覆盖输入文件"):
        write_bytes(link, NEW, protect=[book])
    with pytest.raises(WriteRefused, match="不能覆盖输入文件"):
        write_bytes(book, NEW, protect=[link])
    assert_untouched(book)
    assert link.is_symlink()


@pytest.mark.skipif(not hasattr(os, "link"), reason="hard links")
def test_protect_via_hard_link_is_refused(book: Path) -> None:
    other = book.parent / "other.xlsx"
    os.link(book, other)
    with pytest.raises(WriteRefused, match="不能覆盖输入文件"):
        write_bytes(other, NEW, protect=[book])
    assert_untouched(book)


def test_protect_other_files_allows_write(book: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{}", encoding="utf-8")
    target = tmp_path / "out.xlsx"
    write_bytes(target, NEW, protect=[book, data])
    assert target.read_bytes() == NEW
    assert_untouched(book)


def test_protect_accepts_generator(book: Path) -> None:
    with pytest.raises(WriteRefused):
        write_bytes(book, NEW, protect=(p for p in [book]))
    assert_untouched(book)


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "没有这个文件夹" / "out.xlsx"
    with pytest.raises(WriteRefused) as info:
        write_bytes(target, NEW)
    assert "不存在" in info.value.message
    assert CJK.search(info.value.message)
    assert not target.parent.exists()


def test_folder_is_a_file_is_refused(book: Path) -> None:
    with pytest.raises(WriteRefused):
        write_bytes(book / "out.xlsx", NEW)
    assert_untouched(book)


def test_directory_target_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(WriteRefused, match="文件夹"):
        write_bytes(folder, NEW)
    assert folder.is_dir()
    assert (folder / "keep.txt").read_text(encoding="utf-8") == "keep"
    assert temps(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_non_regular_target_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(WriteRefused, match="普通文件"):
        write_bytes(fifo, NEW)
    assert temps(tmp_path) == []


# --- fault injection ---------------------------------------------------------------------------------------------


def test_replace_failure_keeps_old_file(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WriteRefused) as info:
        write_bytes(book, NEW)
    assert isinstance(info.value.__cause__, OSError)
    assert "原文件未改动" in info.value.message
    assert_untouched(book)


def test_replace_permission_error_is_chinese_refusal(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", denied)
    monkeypatch.setattr(temps_of_writer, "REPLACE_DELAY", 0)
    with pytest.raises(WriteRefused, match="权限") as info:
        write_bytes(book, NEW)
    assert str(book) in info.value.message
    assert_untouched(book)


def test_replace_retries_transient_sharing_violation(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace
    calls: list[int] = []

    def flaky(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise PermissionError(13, "The process cannot access the file")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    monkeypatch.setattr(temps_of_writer, "REPLACE_ATTEMPTS", 3)
    monkeypatch.setattr(temps_of_writer, "REPLACE_DELAY", 0)
    write_bytes(book, NEW)
    assert len(calls) == 3
    assert book.read_bytes() == NEW
    assert temps(book.parent) == []


def test_temp_creation_permission_error_is_refusal(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(folder: Path, suffix: str) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(temps_of_writer, "create_temp", denied)
    with pytest.raises(WriteRefused, match="权限") as info:
        write_bytes(book, NEW)
    assert CJK.search(info.value.message)
    assert_untouched(book)


def test_fsync_failure_keeps_old_file(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(WriteRefused):
        write_bytes(book, NEW)
    assert_untouched(book)


def test_interrupt_during_replace_leaves_no_temp(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_bytes(book, NEW)
    assert_untouched(book)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX directory fsync")
def test_directory_is_fsynced_after_replace(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src: str, dst: str) -> None:
        events.append("replace")
        real_replace(src, dst)

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    write_bytes(book, NEW)
    assert events == ["fsync", "replace", "fsync"]  # temp file, rename, folder


# --- property ----------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=4096), second=st.binary(max_size=512))
def test_write_then_read_back(data: bytes, second: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.bin"
        write_bytes(target, data)
        assert target.read_bytes() == data
        write_bytes(target, second)
        assert target.read_bytes() == second
        assert temps(Path(folder)) == []


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
def test_write_text_then_read_back(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.txt"
        write_text(target, text, newline="")
        assert target.read_bytes() == text.encode("utf-8")


# --- exports as a set: symlinks, foreign files, kills ------------------------------------------------------------

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "workbooks" / "samples"
WITH_ERRORS = SAMPLE_DIR / "gangmen-2022-zhengti.xlsx"  # exported with --force: banner, findings
CORRECTED = SAMPLE_DIR / "corrected" / "gangmen-2022-zhengti.xlsx"
STEM = "遂溪县港门镇人民政府_2022_整体绩效自评指标评分表"

KILL_AT = """
import os, signal, sys
from pathlib import Path
from xl_perf import export
from xl_perf.io.safe_write import outputs

point, count = sys.argv[3], int(sys.argv[4])
seen = []

def hook(where):
    if where == point:
        seen.append(where)
        if len(seen) == count:
            os.kill(os.getpid(), signal.SIGKILL)

outputs.fault_hook = hook
export.export(Path(sys.argv[1]), Path(sys.argv[2]), as_json=True, as_csv=True)
"""


def _export_set(source: Path, folder: Path) -> dict[str, bytes]:
    from xl_perf import export

    folder.mkdir(exist_ok=True)
    result = export.export(source, folder, as_json=True, as_csv=True, force=True)
    assert len(result.files) >= 4
    return {p.name: p.read_bytes() for p in result.files}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """An export of the sample with errors (the earlier set) and of the corrected one (the new set): same names."""
    base = tmp_path_factory.mktemp("sets")
    old, new = _export_set(WITH_ERRORS, base / "old"), _export_set(CORRECTED, base / "new")
    assert old.keys() == new.keys() and all(old[k] != new[k] for k in old if k.endswith((".xlsx", ".json")))
    assert _export_set(CORRECTED, base / "again") == new  # exports are reproducible byte for byte
    return old, new


def _killed_export(folder: Path, point: str, count: int) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", KILL_AT, str(CORRECTED), str(folder), point, str(count)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -9, result.stderr  # SIGKILL: no cleanup code of ours ran


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
@pytest.mark.parametrize(("point", "count"), [("staged", 1), ("staged", 3)])
def test_export_killed_before_the_moves_leaves_the_previous_set_whole(
    point: str, count: int, two_sets: tuple[dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    old, new = two_sets
    assert _export_set(WITH_ERRORS, tmp_path) == old
    _killed_export(tmp_path, point, count)
    assert _files(tmp_path) == old  # not one file of the new set
    assert temps(tmp_path)  # what the killed run left...
    safe_write.sweep(tmp_path)  # ...is removed by the next run in this folder (a dead process's files)
    assert temps(tmp_path) == []
    assert _files(tmp_path) == old
    assert _export_set(CORRECTED, tmp_path) == new and _files(tmp_path) == new and temps(tmp_path) == []


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
@pytest.mark.parametrize(("point", "count"), [("journal", 1), ("moved", 1), ("moved", 3)])
def test_export_killed_between_the_moves_is_completed_by_the_next_run(
    point: str, count: int, two_sets: tuple[dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    old, new = two_sets
    _export_set(WITH_ERRORS, tmp_path)
    _killed_export(tmp_path, point, count)
    mixed = _files(tmp_path)
    assert mixed == old if point == "journal" else mixed not in (old, new)  # the journal knows the rest
    safe_write.sweep(tmp_path)
    assert _files(tmp_path) == new
    assert temps(tmp_path) == []
    assert all(safe_write.is_own(tmp_path / name) for name in new)  # and they are recorded as the tool's


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
@pytest.mark.parametrize("suffix", [".xlsx", ".json", "_得分.csv"])
def test_symlink_at_any_export_name_is_left_untouched(suffix: str, tmp_path: Path) -> None:
    from xl_perf import export

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "passwd"
    victim.write_bytes(OLD)
    out = tmp_path / "out"
    out.mkdir()
    link = out / f"{STEM}{suffix}"
    link.symlink_to(victim)
    dangling = out / f"{STEM}.pdf"
    dangling.symlink_to(elsewhere / "new-file")
    with pytest.raises(WriteRefused, match="符号链接") as info:
        export.export(CORRECTED, out, as_json=True, as_csv=True)
    assert str(link) in info.value.message
    assert link.is_symlink() and victim.read_bytes() == OLD
    assert sorted(p.name for p in out.iterdir()) == sorted([link.name, dangling.name])  # none of the set written
    assert not (elsewhere / "new-file").exists()


def test_foreign_file_at_an_export_name_needs_overwrite(tmp_path: Path) -> None:
    import subprocess

    theirs = tmp_path / f"{STEM}.json"
    theirs.write_bytes(OLD)
    main = "from xl_perf.cli.app import main; main()"
    cli = [sys.executable, "-c", main, "export", str(CORRECTED), "-o", str(tmp_path), "--json"]
    refused = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert "不是本工具生成" in refused.stderr and "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    assert theirs.read_bytes() == OLD and not (tmp_path / f"{STEM}.xlsx").exists()
    allowed = subprocess.run([*cli, "--overwrite"], capture_output=True, text=True, timeout=120)
    assert allowed.returncode == 0, allowed.stderr
    assert theirs.read_bytes() != OLD and (tmp_path / f"{STEM}.xlsx").exists()
    again = subprocess.run(cli, capture_output=True, text=True, timeout=120)  # now the tool's own: replaced freely
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(28, "No space left on device"), "磁盘空间不足"),
        (OSError(122, "Disk quota exceeded"), "磁盘配额"),
        (OSError(30, "Read-only file system"), "只读"),
        (PermissionError(13, "Permission denied"), "权限"),
    ],
)
def test_file_system_errors_of_the_writer_are_chinese_refusals(error: OSError, reason: str, book: Path) -> None:
    with pytest.raises(WriteRefused) as info, atomic_output(book) as temp:
        temp.write_bytes(NEW[:10])
        raise error
    assert reason in info.value.message and str(book) in info.value.message
    assert "原文件未改动" in info.value.message
    assert_untouched(book)


def test_a_writer_error_wrapping_an_os_error_is_a_refusal(book: Path) -> None:
    class FileCreateError(Exception):  # as XlsxWriter wraps the failure to create its file
        pass

    with pytest.raises(WriteRefused, match="磁盘空间不足"), atomic_output(book):
        try:
            raise OSError(28, "No space left on device")
        except OSError as exc:
            raise FileCreateError(exc) from exc
    assert_untouched(book)
