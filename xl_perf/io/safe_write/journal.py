"""Recovery from a killed run: the journal of a set's moves (written before the first move, so a run killed
during them is completed by the next), and the sweep that finishes journals and removes stale temp files."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
from pathlib import Path

from xl_perf.io.safe_write import manifest, temps
from xl_perf.io.safe_write.temps import TEMP_PREFIX

_JOURNAL_SUFFIX = "-commit.json"


def sweep(folder: Path) -> None:
    """Finish or remove what a killed run left in `folder`: a commit journal is completed (its staged files moved
    into place), other temp files and scratch folders are removed. Only entries named like this package's temp files
    and belonging to a process that no longer exists (or very old ones) are touched. Never raises."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(TEMP_PREFIX)]
    except OSError:
        return
    journals = [n for n in names if n.endswith(_JOURNAL_SUFFIX)]
    for name in journals:
        path = folder / name
        if temps.is_stale(path, name):
            _roll_forward(folder, path)
    for name in names:
        path = folder / name
        if name in journals or not os.path.lexists(path) or not temps.is_stale(path, name):
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
    files = manifest.read_manifest(folder)
    for move in moves if isinstance(moves, list) else []:
        if not (isinstance(move, list) and len(move) == 3 and all(isinstance(m, str) for m in move)):
            continue
        temp, final, digest = folder / Path(move[0]).name, folder / Path(move[1]).name, move[2]
        if temp.name.startswith(TEMP_PREFIX) and os.path.lexists(temp):
            try:
                os.replace(temp, final)  # replaces a link at `final` itself, never what it points to
            except OSError:
                temps.remove_quietly(temp)
        if digest and manifest.file_digest(final) == digest:
            files[final.name] = digest
    manifest.write_manifest(folder, files)
    temps.remove_quietly(journal)


def write_journal(moves: list[tuple[Path, Path, str]]) -> Path | None:
    """Record the moves (temp file, target, SHA-256) a set is about to make, durably; None when they cannot be
    journalled (a set spanning folders, or the journal cannot be written): the moves are then made unrecorded."""
    folders = {target.parent for _, target, _ in moves}
    if len(folders) != 1:
        return None  # the moves of a set spanning folders are not journalled (no command writes such a set)
    folder = folders.pop()
    journal = folder / f"{TEMP_PREFIX}{temps.owner_tag()}-{secrets.token_hex(4)}{_JOURNAL_SUFFIX}"
    text = json.dumps(
        {"moves": [[temp.name, target.name, digest] for temp, target, digest in moves]}, ensure_ascii=False
    )
    try:
        fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        return None
    temps.fsync_dir(folder)
    return journal
