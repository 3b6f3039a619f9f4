"""Temp files and scratch folders beside the target (named after the process that made them, so a killed run's
are recognised by the next), flushing to disk, and the rename that moves a file into place."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
import time
from pathlib import Path

TEMP_PREFIX = ".xl-perf-tmp-"
STALE_AFTER_S = 24 * 3600  # a temp file of a live process (or where liveness cannot be asked) older than this

# On Windows a freshly written file is often held for a moment by antivirus or indexing services, which makes
# os.replace fail with a sharing violation; a few short retries ride that out. Elsewhere one attempt is enough.
REPLACE_ATTEMPTS = 5 if sys.platform == "win32" else 1
REPLACE_DELAY = 0.2


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


def owner_tag(pid: int | None = None) -> str:
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


def is_stale(path: Path, name: str) -> bool:
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
    return age > STALE_AFTER_S


def scratch_folder(folder: Path) -> Path:
    """A new private folder inside `folder` for intermediate files (they hold the workbook's data, so they must not
    go to the system's temp folder); named like a temp file, so a killed run's is removed by the next `sweep`."""
    for _ in range(100):
        path = folder / f"{TEMP_PREFIX}{owner_tag()}-{secrets.token_hex(8)}.d"
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
        return path
    raise FileExistsError(f"no free scratch name in {folder}")  # pragma: no cover


def create_temp(folder: Path, suffix: str) -> Path:
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
        path = folder / f"{TEMP_PREFIX}{owner_tag()}-{secrets.token_hex(8)}{suffix}"
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
        os.close(fd)  # writers open the path themselves; an open handle would block them on Windows
        return path
    raise FileExistsError(f"no free temp name in {folder}")  # pragma: no cover


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
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


def replace_retrying(src: Path, dst: Path) -> None:
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if attempt + 1 >= REPLACE_ATTEMPTS:
                raise
            time.sleep(REPLACE_DELAY)


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
