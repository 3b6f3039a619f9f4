"""The one place that writes files. Never lose the user's data, never write where the user did not mean.

Every output goes to a new temp file in the target's folder (same file system, so the final rename is atomic),
is flushed to disk, verified, and only then moved onto the target with os.replace. Any failure before that point
(the writer raising, verification rejecting, Ctrl+C, a failed rename) removes the temp file and leaves an existing
target byte-identical. Writers such as openpyxl and XlsxWriter truncate their target first, so they must only ever
be pointed at the temp path this module yields.

Before anything is written the module refuses (WriteRefused, Chinese message) when the target is open in
Excel/WPS/LibreOffice (their owner/lock files sit next to the workbook), when it is an input file of the current
command (`protect`), when it is a symbolic link (dangling or not: a link is never followed), when it exists and was
not made by xl-perf (unless `foreign=True`, the user's `--overwrite`), when it exists and overwriting was not
allowed, when it is a folder or other non-regular file, or when its folder does not exist.

Ownership: every file this module writes is recorded, with its SHA-256, in a small manifest in its folder
(`.xl-perf-owned.json`). An existing file counts as the tool's own only if the manifest lists it with the same
content: a file someone else made, or one of ours the user has since edited, is theirs.

Sets: `OutputSet` stages several files (all written and verified first) and then moves them into place together,
recording the moves in a journal first; a run killed during the moves is completed by the next run in that folder,
one killed before them leaves the previous set whole. Temp files carry the writing process's id, so the next run
removes those of a process that no longer exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from xl_perf.errors import Location, XlPerfError, describe_os_error

__all__ = [
    "MANIFEST_NAME",
    "TEMP_PREFIX",
    "OutputSet",
    "WriteRefused",
    "atomic_output",
    "claim",
    "is_open_elsewhere",
    "is_own",
    "lock_files",
    "owner_file",
    "safe_stem",
    "scratch_folder",
    "sweep",
    "write_bytes",
    "write_text",
]

TEMP_PREFIX = ".xl-perf-tmp-"
MANIFEST_NAME = ".xl-perf-owned.json"
_JOURNAL_SUFFIX = "-commit.json"
_MANIFEST_MAX_BYTES = 4 * 1024 * 1024
_STALE_AFTER_S = 24 * 3600  # a temp file of a live process (or where liveness cannot be asked) older than this
_HASH_MAX_BYTES = 512 * 1024 * 1024

# On Windows a freshly written file is often held for a moment by antivirus or indexing services, which makes
# os.replace fail with a sharing violation; a few short retries ride that out. Elsewhere one attempt is enough.
_REPLACE_ATTEMPTS = 5 if sys.platform == "win32" else 1
_REPLACE_DELAY = 0.2

# The manifest's own rename: bound once, so tests that fail the targets' renames do not fail the record too.
_replace_record = os.replace

# Test hook: called with a stage name ("staged", "journal", "moved") at the points a kill is most harmful.
fault_hook: Callable[[str], None] | None = None


def _fault(point: str) -> None:
    if fault_hook is not None:
        fault_hook(point)


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


# --- file names --------------------------------------------------------------------------------------------------

_FORBIDDEN_CHARS = set('\\/:*?"<>|')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_stem(text: str, max_bytes: int = 150) -> str:
    """`text` made safe as (the start of) a file name on every system: no path separators or characters Windows
    forbids, no control, format (bidi, zero-width) or unpaired surrogate characters, no white space, no leading dots
    or "~$" (hidden files, Office owner files), no trailing dots, not a reserved device name, and at most `max_bytes`
    bytes in UTF-8 (file systems allow 255): a longer one keeps its start and gets a short hash of the whole, so
    two long names stay different."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _FORBIDDEN_CHARS or category[0] in "CZ" or ch.isspace():
            continue
        kept.append(ch)
    stem = "".join(kept)
    while stem.startswith((".", "~$", "~")):
        stem = stem[2:] if stem.startswith("~$") else stem[1:]
    stem = stem.rstrip(".")
    if not stem:
        stem = "未命名"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    encoded = stem.encode("utf-8")
    if len(encoded) <= max_bytes:
        return stem
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    room = max(1, max_bytes - len(digest) - 1)
    cut = encoded[:room].decode("utf-8", "ignore").rstrip(".")
    return f"{cut}~{digest}"


# --- ownership manifest ------------------------------------------------------------------------------------------


def _manifest_path(folder: Path) -> Path:
    return folder / MANIFEST_NAME


def _read_manifest(folder: Path) -> dict[str, str]:
    """name -> sha256 of the files this tool wrote in `folder`; empty when there is no usable manifest (a link, a
    huge or damaged file: then nothing counts as ours, which only ever refuses more)."""
    path = _manifest_path(folder)
    try:
        info = os.lstat(path)
    except OSError:
        return {}
    if not stat.S_ISREG(info.st_mode) or info.st_size > _MANIFEST_MAX_BYTES:
        return {}
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _write_manifest(folder: Path, files: dict[str, str]) -> None:
    """Best effort: a manifest that cannot be written means later runs refuse to replace these files, not that this
    write failed."""
    path = _manifest_path(folder)
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return  # never through a link or onto something else
    except FileNotFoundError:
        pass
    except OSError:
        return
    text = json.dumps({"generator": "xl-perf", "files": dict(sorted(files.items()))}, ensure_ascii=False, indent=1)
    temp: Path | None = None
    try:
        temp = _create_temp(folder, ".json")
        temp.write_text(text + "\n", encoding="utf-8")
        _replace_record(temp, path)
        temp = None
        _hide(path)
    except OSError:
        pass
    finally:
        if temp is not None:
            _remove_quietly(temp)


def _hide(path: Path) -> None:
    """Windows shows dot files: mark the record hidden there (best effort)."""
    if os.name != "nt":
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.windll.kernel32.SetFileAttributesW(str(path), 0x2)  # type: ignore[attr-defined]


def _digest(path: Path) -> str | None:
    """SHA-256 of a regular file (not followed through a link), None if it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _HASH_MAX_BYTES:
            return None
        sha = hashlib.sha256()
        while chunk := os.read(fd, 1024 * 1024):
            sha.update(chunk)
        return sha.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def is_own(target: Path) -> bool:
    """Whether `target` is a file this tool wrote and nobody changed since (listed in its folder's manifest)."""
    target = Path(target)
    listed = _read_manifest(target.parent).get(target.name)
    return listed is not None and _digest(target) == listed


def claim(*targets: Path) -> None:
    """Record existing files as the tool's own (after writing them outside `atomic_output`, e.g. in tests)."""
    by_folder: dict[Path, list[Path]] = {}
    for target in targets:
        by_folder.setdefault(Path(target).parent, []).append(Path(target))
    for folder, paths in by_folder.items():
        files = _read_manifest(folder)
        for path in paths:
            digest = _digest(path)
            if digest is not None:
                files[path.name] = digest
        _write_manifest(folder, files)


# --- stale temp files --------------------------------------------------------------------------------------------


def _host_tag() -> str:
    """A short tag of this machine: a folder on a network share may hold the temp files of another machine's
    run, whose process ids mean nothing here."""
    import socket

    try:
        name = socket.gethostname()
    except OSError:
        name = ""
    return hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:6]


_HOST = _host_tag()


def _owner_tag(pid: int | None = None) -> str:
    """The part of a temp name that says who made it: "<pid>-<host tag>"."""
    return f"{os.getpid() if pid is None else pid}-{_HOST}"


def _temp_pid(name: str) -> int | None:
    """The id of the process (of this machine) that made a temp file, None if another machine or unknown."""
    parts = name[len(TEMP_PREFIX) :].split("-")
    if len(parts) < 3 or parts[1] != _HOST or not parts[0].isdigit() or len(parts[0]) >= 10:
        return None
    return int(parts[0])


def _process_alive(pid: int) -> bool | None:
    """Whether a process with this id exists; None where that cannot be asked safely (Windows: os.kill with
    signal 0 would terminate it)."""
    if os.name == "nt":
        return None
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return True


def _is_stale(path: Path, name: str) -> bool:
    pid = _temp_pid(name)
    alive = _process_alive(pid) if pid is not None else None
    if alive is False:
        return True
    if alive is True and pid == os.getpid():
        return False
    try:
        age = time.time() - os.lstat(path).st_mtime
    except OSError:
        return False
    return age > _STALE_AFTER_S


def sweep(folder: Path) -> None:
    """Finish or remove what a killed run left in `folder`: a commit journal is completed (its staged files moved
    into place), other temp files and scratch folders are removed. Only entries named like this module's temp files
    and belonging to a process that no longer exists (or very old ones) are touched. Never raises."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(TEMP_PREFIX)]
    except OSError:
        return
    journals = [n for n in names if n.endswith(_JOURNAL_SUFFIX)]
    for name in journals:
        path = folder / name
        if _is_stale(path, name):
            _roll_forward(folder, path)
    for name in names:
        path = folder / name
        if name in journals or not os.path.lexists(path) or not _is_stale(path, name):
            continue
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


def _roll_forward(folder: Path, journal: Path) -> None:
    """Complete the moves of a commit journal: each staged file still there is moved onto its target. Every target
    that now holds the staged content (moved by the killed run or here) is recorded as the tool's own."""
    try:
        moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        moves = []
    files = _read_manifest(folder)
    for move in moves if isinstance(moves, list) else []:
        if not (isinstance(move, list) and len(move) == 3 and all(isinstance(m, str) for m in move)):
            continue
        temp, final, digest = folder / Path(move[0]).name, folder / Path(move[1]).name, move[2]
        if temp.name.startswith(TEMP_PREFIX) and os.path.lexists(temp):
            try:
                os.replace(temp, final)  # replaces a link at `final` itself, never what it points to
            except OSError:
                _remove_quietly(temp)
        if digest and _digest(final) == digest:
            files[final.name] = digest
    _write_manifest(folder, files)
    _remove_quietly(journal)


def scratch_folder(folder: Path) -> Path:
    """A new private folder inside `folder` for intermediate files (they hold the workbook's data, so they must not
    go to the system's temp folder); named like a temp file, so a killed run's is removed by the next `sweep`."""
    for _ in range(100):
        path = folder / f"{TEMP_PREFIX}{_owner_tag()}-{secrets.token_hex(8)}.d"
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
        return path
    raise FileExistsError(f"no free scratch name in {folder}")  # pragma: no cover


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
            try:
                resolved = os.path.normcase(os.path.realpath(target))
            except (OSError, RuntimeError):  # a symlink loop: not any input
                return False
        try:
            if os.path.normcase(os.path.realpath(protected)) == resolved:
                return True
        except (OSError, RuntimeError):
            continue
    return False


def _check_open(target: Path, shown: str) -> None:
    lock = _present_lock_file(target)
    if lock is not None:
        raise WriteRefused(
            f"目标文件 {shown} 正在被 Excel、WPS 或 LibreOffice 打开（发现 {lock.name}），请关闭后重试；"
            f"如果确认已关闭，可删除 {lock.name} 后重试",
            shown,
        )


def _link_refusal(shown: str) -> WriteRefused:
    return WriteRefused(
        f"无法保存 {shown}：该位置是一个符号链接（快捷方式），为免写到别处，不会通过它写入；"
        "请删除该链接或换一个输出位置",
        shown,
    )


def _foreign_refusal(shown: str) -> WriteRefused:
    return WriteRefused(
        f"目标文件 {shown} 已存在，且不是本工具生成的（或生成后被修改过），为免覆盖他人数据未写入；"
        "请换一个输出位置，或确认可以覆盖后加 --overwrite 重试",
        shown,
    )


def _check_target(
    target: Path,
    shown: str,
    protect: Iterable[Path],
    overwrite: bool,
    foreign: bool,
    owned: Callable[[Path], bool] | None,
) -> None:
    """Run every check that can be made before writing."""
    if _is_protected(target, protect):
        raise WriteRefused(f"不能覆盖输入文件 {shown}，请用 -o 指定另一个输出文件", shown)
    folder = target.parent
    try:
        folder_ok = folder.is_dir()
    except OSError:
        folder_ok = False
    if not folder_ok:
        raise WriteRefused(f"无法保存 {shown}：文件夹 {folder} 不存在", shown)
    try:
        info: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _os_refusal(exc, shown, "检查目标文件") from exc
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise _link_refusal(shown)
        if stat.S_ISDIR(info.st_mode):
            raise WriteRefused(f"无法保存 {shown}：这是一个文件夹，不是文件", shown)
        if not stat.S_ISREG(info.st_mode):
            raise WriteRefused(f"无法保存 {shown}：它不是普通文件", shown)
        _check_open(target, shown)  # first: "close it in Excel" is the more useful message
        if not overwrite:
            raise WriteRefused(f"目标文件 {shown} 已存在，未覆盖；请换一个文件名或允许覆盖", shown)
        if not foreign and not is_own(target) and not (owned is not None and owned(target)):
            raise _foreign_refusal(shown)
    _check_open(target, shown)


def _os_refusal(exc: OSError, shown: str, action: str) -> WriteRefused:
    if isinstance(exc, PermissionError):
        reason = "没有写入权限，或文件正被其他程序（如 Excel、WPS）占用"
    else:
        reason = describe_os_error(exc)
    return WriteRefused(f"无法保存 {shown}：{action}失败（{reason}），原文件未改动", shown)


def _writer_os_error(exc: BaseException) -> OSError | None:
    """The file-system error behind a writer's failure (XlsxWriter wraps some in its own exception types)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if isinstance(current, OSError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


# --- temp files and syncing --------------------------------------------------------------------------------------


def _create_temp(folder: Path, suffix: str) -> Path:
    """Create an empty, new temp file in `folder`, named with this process's id (see `sweep`). Mode 0o666 minus
    the umask, like any newly created file."""
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_NOINHERIT", 0)
        | getattr(os, "O_NOFOLLOW", 0)
    )
    if not suffix.isascii() or len(suffix) > 16:
        suffix = ""
    for _ in range(100):
        path = folder / f"{TEMP_PREFIX}{_owner_tag()}-{secrets.token_hex(8)}{suffix}"
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


# --- output sets -------------------------------------------------------------------------------------------------


@dataclass
class _Staged:
    target: Path
    shown: str
    temp: Path
    overwrite: bool
    foreign: bool
    owned: Callable[[Path], bool] | None
    digest: str = ""


@dataclass
class OutputSet:
    """Files written together: each is staged (written to a temp file beside its target and verified) with `add`,
    and when the with-block of `output_set` ends normally all of them are moved into place; if anything fails
    before, none is. See the module docstring for what a kill at any point leaves."""

    protect: list[Path] = field(default_factory=list)
    foreign: bool = False
    staged: list[_Staged] = field(default_factory=list)

    @contextmanager
    def add(
        self,
        target: Path,
        *,
        verify: Callable[[Path], object] | None = None,
        overwrite: bool = True,
        allow_empty: bool = False,
        owned: Callable[[Path], bool] | None = None,
    ) -> Iterator[Path]:
        """Yield a temp path for `target`; once the block ends the temp file is flushed and verified (see
        `atomic_output`) and waits for the set's commit."""
        target = Path(target)
        shown = str(target)
        if any(s.target == target for s in self.staged):
            raise WriteRefused(f"无法保存 {shown}：同一次输出中有两个文件同名", shown)
        _check_target(target, shown, self.protect, overwrite, self.foreign, owned)
        sweep(target.parent)
        try:
            temp = _create_temp(target.parent, target.suffix)
        except OSError as exc:
            raise _os_refusal(exc, shown, f"在文件夹 {target.parent} 中创建临时文件") from exc
        entry = _Staged(target, shown, temp, overwrite, self.foreign, owned)
        self.staged.append(entry)
        try:
            yield temp
        except BaseException as exc:
            os_error = _writer_os_error(exc) if isinstance(exc, Exception) else None
            if os_error is not None and not isinstance(exc, XlPerfError):
                raise _os_refusal(os_error, shown, "写入") from exc
            raise
        _settle(entry, verify, allow_empty)
        _fault("staged")

    def write_bytes(self, target: Path, data: bytes, *, verify: Callable[[Path], object] | None = None) -> Path:
        with self.add(target, verify=verify, allow_empty=True) as temp, open(temp, "wb") as fh:
            fh.write(data)
        return Path(target)

    def write_text(
        self,
        target: Path,
        text: str,
        *,
        encoding: str = "utf-8",
        newline: str | None = None,
        verify: Callable[[Path], object] | None = None,
    ) -> Path:
        return self.write_bytes(target, _encode(text, encoding, newline), verify=verify)

    def discard(self) -> None:
        for entry in self.staged:
            _remove_quietly(entry.temp)
        self.staged = []

    def commit(self) -> list[Path]:
        """Move every staged file into place: first re-check every target (nothing opened in Excel, turned into a
        link or replaced by someone else's file meanwhile), then journal the moves, then make them."""
        entries, self.staged = self.staged, []
        try:
            for entry in entries:
                _recheck(entry)
                if entry.overwrite:
                    with contextlib.suppress(OSError):
                        os.chmod(entry.temp, stat.S_IMODE(os.stat(entry.target).st_mode))  # keep its permissions
        except BaseException:
            for entry in entries:
                _remove_quietly(entry.temp)
            raise
        journal = _write_journal(entries) if len(entries) > 1 else None
        _fault("journal")
        done: list[_Staged] = []
        try:
            for entry in entries:
                if entry.overwrite:
                    try:
                        _replace(entry.temp, entry.target)
                    except OSError as exc:
                        raise _os_refusal(exc, entry.shown, "替换目标文件") from exc
                else:
                    _link_no_clobber(entry.temp, entry.target, entry.shown)
                done.append(entry)
                _fault("moved")
        except BaseException:
            for entry in entries:
                if entry not in done:
                    _remove_quietly(entry.temp)
            raise
        finally:
            if journal is not None:
                _remove_quietly(journal)
            _record(done)
        for folder in {e.target.parent for e in done}:
            _fsync_dir(folder)
        return [e.target for e in done]


def _encode(text: str, encoding: str, newline: str | None) -> bytes:
    if newline is None:
        text = text.replace("\n", os.linesep)
    elif newline:
        text = text.replace("\n", newline)
    return text.encode(encoding)


def _settle(entry: _Staged, verify: Callable[[Path], object] | None, allow_empty: bool) -> None:
    shown = entry.shown
    try:
        _fsync_file(entry.temp)
        size = os.path.getsize(entry.temp)
    except OSError as exc:
        raise _os_refusal(exc, shown, "写入磁盘") from exc
    if size == 0 and not allow_empty:
        raise WriteRefused(f"无法保存 {shown}：生成的文件是空的，已放弃保存，原文件未改动", shown)
    if verify is not None and verify(entry.temp) is False:
        raise WriteRefused(f"无法保存 {shown}：生成的文件未通过校验，原文件未改动", shown)
    entry.digest = _digest(entry.temp) or ""


def _recheck(entry: _Staged) -> None:
    """The checks of `_check_target` again, just before the move (the user may have acted meanwhile)."""
    target, shown = entry.target, entry.shown
    _check_open(target, shown)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _os_refusal(exc, shown, "检查目标文件") from exc
    if stat.S_ISLNK(info.st_mode):
        raise _link_refusal(shown)
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused(f"无法保存 {shown}：它不是普通文件", shown)
    if not entry.overwrite:
        raise WriteRefused(f"目标文件 {shown} 已存在，未覆盖；请换一个文件名或允许覆盖", shown)
    if not entry.foreign and not is_own(target) and not (entry.owned is not None and entry.owned(target)):
        raise _foreign_refusal(shown)


def _write_journal(entries: list[_Staged]) -> Path | None:
    folders = {e.target.parent for e in entries}
    if len(folders) != 1:
        return None  # the moves of a set spanning folders are not journalled (no command writes such a set)
    folder = folders.pop()
    journal = folder / f"{TEMP_PREFIX}{_owner_tag()}-{secrets.token_hex(4)}{_JOURNAL_SUFFIX}"
    text = json.dumps({"moves": [[e.temp.name, e.target.name, e.digest] for e in entries]}, ensure_ascii=False)
    try:
        fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        return None
    _fsync_dir(folder)
    return journal


def _record(done: list[_Staged]) -> None:
    by_folder: dict[Path, list[_Staged]] = {}
    for entry in done:
        by_folder.setdefault(entry.target.parent, []).append(entry)
    for folder, entries in by_folder.items():
        files = _read_manifest(folder)
        for entry in entries:
            if entry.digest:
                files[entry.target.name] = entry.digest
        _write_manifest(folder, files)


@contextmanager
def output_set(*, protect: Iterable[Path] = (), foreign: bool = False) -> Iterator[OutputSet]:
    """Stage files with `OutputSet.add` inside the block; on normal exit all are moved into place together, on any
    exception none is and every temp file is removed."""
    outputs = OutputSet(list(protect), foreign)
    try:
        yield outputs
    except BaseException:
        outputs.discard()
        raise
    outputs.commit()


# --- public API --------------------------------------------------------------------------------------------------


@contextmanager
def atomic_output(
    target: Path,
    *,
    verify: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    protect: Iterable[Path] = (),
    allow_empty: bool = False,
    foreign: bool = False,
    owned: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `target` atomically, on any failure nothing changes.

    The temp file is created empty in the target's folder, named ".xl-perf-tmp-<pid>-<random><suffix>" (writers
    pick their format from the suffix). After the with-block ends normally the temp file is flushed to disk,
    `verify(temp)` runs (it rejects by raising; returning False also rejects), an empty result is rejected unless
    `allow_empty`, and then the temp file replaces the target. On any exception, including KeyboardInterrupt, the
    temp file is removed and the exception propagates; the target is left as it was.

    Raises WriteRefused before anything is written when the target is open in Excel/WPS/LibreOffice, is one of the
    `protect` paths (input files), is a symbolic link, exists while `overwrite` is False, exists and is not the
    tool's own (see `is_own`; `owned` may recognise more, `foreign=True` allows any), is a folder or not a regular
    file, or lies in a folder that does not exist. File-system errors of this module's own steps and of the writer
    (disk full, no permission) also become WriteRefused; other errors of the caller or of `verify` propagate.
    """
    with (
        output_set(protect=protect, foreign=foreign) as outputs,
        outputs.add(target, verify=verify, overwrite=overwrite, allow_empty=allow_empty, owned=owned) as temp,
    ):
        yield temp


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
    foreign: bool = False,
) -> Path:
    """Write `data` to `target` atomically (see atomic_output). Returns the target path."""
    target = Path(target)
    # The file is closed before atomic_output finishes (Windows cannot rename an open file).
    with (
        atomic_output(
            target, verify=verify, overwrite=overwrite, protect=protect, allow_empty=True, foreign=foreign
        ) as temp,
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
    foreign: bool = False,
) -> Path:
    """Write `text` to `target` atomically (see atomic_output). `newline` works as in open(). Returns the target."""
    return write_bytes(
        target,
        _encode(text, encoding, newline),
        verify=verify,
        overwrite=overwrite,
        protect=protect,
        foreign=foreign,
    )
