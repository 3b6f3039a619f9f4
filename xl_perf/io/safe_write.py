"""The one place that writes files. Never lose the user's data.

Every output goes to a new temp file in the target's folder (same file system, so the final rename is atomic),
is flushed to disk, verified, and only then moved onto the target with os.replace. Any failure before that point
(the writer raising, verification rejecting, Ctrl+C, a failed rename) removes the temp file and leaves an existing
target byte-identical. Writers such as openpyxl and XlsxWriter truncate their target first, so they must only ever
be pointed at the temp path this module yields.

Before anything is written the module refuses (WriteRefused, Chinese message) when the target is open in
Excel/WPS/LibreOffice (their owner/lock files sit next to the workbook), when it is an input file of the current
command (`protect`), when it exists and overwriting was not allowed, when it is a folder or other non-regular
file, or when its folder does not exist.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from xl_perf.errors import Location, XlPerfError, describe_os_error

__all__ = [
    "TEMP_PREFIX",
    "WriteRefused",
    "atomic_output",
    "is_open_elsewhere",
    "lock_files",
    "owner_file",
    "write_bytes",
    "write_text",
]

TEMP_PREFIX = ".xl-perf-tmp-"

# On Windows a freshly written file is often held for a moment by antivirus or indexing services, which makes
# os.replace fail with a sharing violation; a few short retries ride that out. Elsewhere one attempt is enough.
_REPLACE_ATTEMPTS = 5 if sys.platform == "win32" else 1
_REPLACE_DELAY = 0.2


class WriteRefused(XlPerfError):
    """A file was not written, and nothing was changed. The message names the file, in Chinese."""

    exit_code = 2

    def __init__(self, message: str, target: Path | str | None = None) -> None:
        super().__init__(message, Location(file=str(target)) if target is not None else None)

    def __str__(self) -> str:
        # The message already names the file; do not repeat the location in front of it.
        return self.message


# --- owner / lock files ------------------------------------------------------------------------------------------


def owner_file(target: Path) -> Path:
    """The owner file Excel and WPS create next to an open workbook: "~$" + name (e.g. "~$book.xlsx")."""
    target = Path(target)
    return target.with_name("~$" + target.name)


def lock_files(target: Path) -> list[Path]:
    """Every lock file that, when present, means the target is open in a spreadsheet program.

    Excel/WPS: "~$" + name, and for longer names "~$" + name without its first two characters (the owner file keeps
    the name's length). LibreOffice: ".~lock." + name + "#".
    """
    target = Path(target)
    name = target.name
    candidates = [owner_file(target)]
    if len(name) > 2:
        candidates.append(target.with_name("~$" + name[2:]))
    candidates.append(target.with_name(".~lock." + name + "#"))
    unique: list[Path] = []
    for path in candidates:
        if path not in unique:
            unique.append(path)
    return unique


def _present_lock_file(target: Path) -> Path | None:
    for path in lock_files(target):
        try:
            if os.path.lexists(path):
                return path
        except OSError:  # pragma: no cover - lexists does not raise on common systems
            continue
    return None


def is_open_elsewhere(target: Path) -> bool:
    """True when Excel, WPS or LibreOffice has left an owner/lock file next to the target (it is open there)."""
    return _present_lock_file(Path(target)) is not None


# --- checks ------------------------------------------------------------------------------------------------------


def _is_protected(target: Path, protect: Iterable[Path]) -> bool:
    """Whether writing `target` would replace one of `protect`: the same file when both exist (hard and symbolic
    links included), else the same resolved path. The target is looked up once, however many files are protected
    (a batch protects every input)."""
    try:
        target_stat = os.stat(target)
        target_id: tuple[int, int] | None = (target_stat.st_dev, target_stat.st_ino)
    except OSError:
        target_id = None
    resolved: str | None = None
    for protected in protect:
        if target_id is not None:
            try:
                other = os.stat(protected)
            except OSError:
                pass
            else:
                if (other.st_dev, other.st_ino) == target_id:
                    return True
                continue
        if resolved is None:
            resolved = os.path.normcase(os.path.realpath(target))
        if os.path.normcase(os.path.realpath(protected)) == resolved:
            return True
    return False


def _check_open(target: Path, shown: str) -> None:
    lock = _present_lock_file(target)
    if lock is not None:
        raise WriteRefused(
            f"目标文件 {shown} 正在被 Excel、WPS 或 LibreOffice 打开（发现 {lock.name}），请关闭后重试；"
            f"如果确认已关闭，可删除 {lock.name} 后重试",
            shown,
        )


def _final_path(target: Path, shown: str, protect: Iterable[Path], overwrite: bool) -> Path:
    """Run every check that can be made before writing; return the path the data will finally land on."""
    if _is_protected(target, protect):
        raise WriteRefused(f"不能覆盖输入文件 {shown}，请用 -o 指定另一个输出文件", shown)

    # Write through a symlink to the file it points to, so the link itself stays in place.
    final = Path(os.path.realpath(target)) if target.is_symlink() else target

    folder = final.parent
    if not folder.is_dir():
        raise WriteRefused(f"无法保存 {shown}：文件夹 {folder} 不存在", shown)
    if final.is_dir():
        raise WriteRefused(f"无法保存 {shown}：这是一个文件夹，不是文件", shown)
    if os.path.lexists(final):
        if not final.is_file():
            raise WriteRefused(f"无法保存 {shown}：它不是普通文件", shown)
        if not overwrite:
            raise WriteRefused(f"目标文件 {shown} 已存在，未覆盖；请换一个文件名或允许覆盖", shown)
    _check_open(final, shown)
    if final != target:
        _check_open(target, shown)
    return final


def _os_refusal(exc: OSError, shown: str, action: str) -> WriteRefused:
    if isinstance(exc, PermissionError):
        reason = "没有写入权限，或文件正被其他程序（如 Excel、WPS）占用"
    else:
        reason = describe_os_error(exc)
    return WriteRefused(f"无法保存 {shown}：{action}失败（{reason}），原文件未改动", shown)


# --- temp files and syncing --------------------------------------------------------------------------------------


def _create_temp(folder: Path, suffix: str) -> Path:
    """Create an empty, new temp file in `folder`. Mode 0o666 minus the umask, like any newly created file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0)
    for _ in range(100):
        path = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{suffix}"
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
        os.close(fd)  # writers open the path themselves; an open handle would block them on Windows
        return path
    raise FileExistsError(f"no free temp name in {folder}")  # pragma: no cover


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable. Best effort: Windows cannot open folders, some file systems refuse the call."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(src: Path, dst: Path) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if attempt + 1 >= _REPLACE_ATTEMPTS:
                raise
            time.sleep(_REPLACE_DELAY)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# --- public API --------------------------------------------------------------------------------------------------


@contextmanager
def atomic_output(
    target: Path,
    *,
    verify: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    protect: Iterable[Path] = (),
    allow_empty: bool = False,
) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `target` atomically, on any failure nothing changes.

    The temp file is created empty in the target's folder, named ".xl-perf-tmp-<random><suffix>" (writers pick
    their format from the suffix). After the with-block ends normally the temp file is flushed to disk, `verify(temp)`
    runs (it rejects by raising; returning False also rejects), an empty result is rejected unless `allow_empty`,
    and then the temp file replaces the target. On any exception, including KeyboardInterrupt, the temp file is
    removed and the exception propagates; the target is left as it was.

    Raises WriteRefused before anything is written when the target is open in Excel/WPS/LibreOffice, is one of the
    `protect` paths (input files), exists while `overwrite` is False, is a folder or not a regular file, or lies in a
    folder that does not exist. File-system errors of this module's own steps (creating the temp file, syncing,
    renaming) also become WriteRefused; errors raised by the caller or by `verify` propagate unchanged.
    """
    target = Path(target)
    shown = str(target)
    protect = list(protect)
    final = _final_path(target, shown, protect, overwrite)

    try:
        temp = _create_temp(final.parent, final.suffix)
    except OSError as exc:
        raise _os_refusal(exc, shown, f"在文件夹 {final.parent} 中创建临时文件") from exc

    try:
        yield temp
        _finish(temp, final, shown, verify=verify, overwrite=overwrite, allow_empty=allow_empty)
    except BaseException:
        _remove_quietly(temp)
        raise


def _finish(
    temp: Path,
    final: Path,
    shown: str,
    *,
    verify: Callable[[Path], object] | None,
    overwrite: bool,
    allow_empty: bool,
) -> None:
    try:
        _fsync_file(temp)
        size = os.path.getsize(temp)
    except OSError as exc:
        raise _os_refusal(exc, shown, "写入磁盘") from exc
    if size == 0 and not allow_empty:
        raise WriteRefused(f"无法保存 {shown}：生成的文件是空的，已放弃保存，原文件未改动", shown)

    if verify is not None and verify(temp) is False:
        raise WriteRefused(f"无法保存 {shown}：生成的文件未通过校验，原文件未改动", shown)

    # Excel may have opened the target while we were writing.
    _check_open(final, shown)

    if overwrite:
        try:
            final_mode = stat.S_IMODE(os.stat(final).st_mode)
        except OSError:
            final_mode = None
        if final_mode is not None:
            with contextlib.suppress(OSError):
                os.chmod(temp, final_mode)  # keep the permissions of the file being replaced
        try:
            _replace(temp, final)
        except OSError as exc:
            raise _os_refusal(exc, shown, "替换目标文件") from exc
    else:
        _link_no_clobber(temp, final, shown)
    _fsync_dir(final.parent)


def _link_no_clobber(temp: Path, final: Path, shown: str) -> None:
    """Move temp onto final only if final still does not exist (a hard link fails atomically if it does)."""
    try:
        os.link(temp, final)
    except FileExistsError as exc:
        raise WriteRefused(f"目标文件 {shown} 已存在，未覆盖；请换一个文件名或允许覆盖", shown) from exc
    except OSError:
        # Hard links are not supported here (FAT, some network shares): check, then rename.
        if os.path.lexists(final):
            raise WriteRefused(f"目标文件 {shown} 已存在，未覆盖；请换一个文件名或允许覆盖", shown) from None
        try:
            os.replace(temp, final)
        except OSError as exc:
            raise _os_refusal(exc, shown, "保存目标文件") from exc
        return
    _remove_quietly(temp)


def write_bytes(
    target: Path,
    data: bytes,
    *,
    verify: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    protect: Iterable[Path] = (),
) -> Path:
    """Write `data` to `target` atomically (see atomic_output). Returns the target path."""
    target = Path(target)
    # The file is closed before atomic_output finishes (Windows cannot rename an open file).
    with (
        atomic_output(target, verify=verify, overwrite=overwrite, protect=protect, allow_empty=True) as temp,
        open(temp, "wb") as fh,
    ):
        fh.write(data)
    return target


def write_text(
    target: Path,
    text: str,
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
    verify: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    protect: Iterable[Path] = (),
) -> Path:
    """Write `text` to `target` atomically (see atomic_output). `newline` works as in open(). Returns the target."""
    if newline is None:
        text = text.replace("\n", os.linesep)
    elif newline:
        text = text.replace("\n", newline)
    return write_bytes(target, text.encode(encoding), verify=verify, overwrite=overwrite, protect=protect)
