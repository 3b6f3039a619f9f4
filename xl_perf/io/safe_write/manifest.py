"""Ownership: every file this tool writes is recorded, with its SHA-256, in a small manifest in its folder
(`.xl-perf-owned.json`). An existing file counts as the tool's own only if the manifest lists it with the same
content: a file someone else made, or one of ours the user has since edited, is theirs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from pathlib import Path

from xl_perf.io.safe_write import temps

MANIFEST_NAME = ".xl-perf-owned.json"
_MANIFEST_MAX_BYTES = 4 * 1024 * 1024
_HASH_MAX_BYTES = 512 * 1024 * 1024

# The manifest's own rename: bound once, so tests that fail the targets' renames do not fail the record too.
_replace_record = os.replace


def _manifest_path(folder: Path) -> Path:
    return folder / MANIFEST_NAME


def read_manifest(folder: Path) -> dict[str, str]:
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


def write_manifest(folder: Path, files: dict[str, str]) -> None:
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
        temp = temps.create_temp(folder, ".json")
        temp.write_text(text + "\n", encoding="utf-8")
        _replace_record(temp, path)
        temp = None
        _hide(path)
    except OSError:
        pass
    finally:
        if temp is not None:
            temps.remove_quietly(temp)


def _hide(path: Path) -> None:
    """Windows shows dot files: mark the record hidden there (best effort)."""
    if os.name != "nt":
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.windll.kernel32.SetFileAttributesW(str(path), 0x2)  # type: ignore[attr-defined]


def file_digest(path: Path) -> str | None:
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
    listed = read_manifest(target.parent).get(target.name)
    return listed is not None and file_digest(target) == listed


def claim(*targets: Path) -> None:
    """Record existing files as the tool's own (after writing them outside `atomic_output`, e.g. in tests)."""
    by_folder: dict[Path, list[Path]] = {}
    for target in targets:
        by_folder.setdefault(Path(target).parent, []).append(Path(target))
    for folder, paths in by_folder.items():
        files = read_manifest(folder)
        for path in paths:
            digest = file_digest(path)
            if digest is not None:
                files[path.name] = digest
        write_manifest(folder, files)


def record(written: list[tuple[Path, str]]) -> None:
    """Record files just written (target, SHA-256) in their folders' manifests; an empty digest is left out."""
    by_folder: dict[Path, list[tuple[Path, str]]] = {}
    for target, digest in written:
        by_folder.setdefault(target.parent, []).append((target, digest))
    for folder, entries in by_folder.items():
        files = read_manifest(folder)
        for target, digest in entries:
            if digest:
                files[target.name] = digest
        write_manifest(folder, files)
