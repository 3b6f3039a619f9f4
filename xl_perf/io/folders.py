"""Output folders the user named with -o that do not exist yet: made before writing, removed again if left empty.

The files themselves are written by safe_write (temp file beside the target, verified, moved into place); this module
only makes the folders they go into. Each missing folder is made with one os.mkdir, which never follows a link: a
dangling link where a folder should be is refused, not written through.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from xl_perf.errors import Location, XlPerfError, describe_os_error


class FolderRefused(XlPerfError):
    """An output folder could not be made; nothing was written."""

    exit_code = 2

    def __str__(self) -> str:
        return self.message


def _missing(folder: Path) -> list[Path]:
    """The folders from the first missing one down to `folder` (outermost first); refuses what is in the way."""
    missing: list[Path] = []
    path = folder
    while not path.is_dir():
        if os.path.islink(path):
            raise FolderRefused(f"无法创建输出文件夹 {folder}：{path} 是一个失效的链接", Location(file=str(folder)))
        if os.path.lexists(path):
            raise FolderRefused(
                f"无法创建输出文件夹 {folder}：{path} 是一个文件，不是文件夹", Location(file=str(folder))
            )
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    return list(reversed(missing))


@contextmanager
def output_folder(folder: Path) -> Iterator[Path]:
    """Make `folder` (and its missing parents) for the with-block; the ones made here and still empty afterwards
    (the command failed or wrote nothing) are removed again, so a refused command leaves no trace."""
    folder = Path(folder)
    made: list[Path] = []
    try:
        for path in _missing(folder):
            try:
                os.mkdir(path)
            except OSError as exc:
                raise FolderRefused(
                    f"无法创建输出文件夹 {path}（{describe_os_error(exc)}）", Location(file=str(folder))
                ) from exc
            made.append(path)
        yield folder
    finally:
        for path in reversed(made):
            with contextlib.suppress(OSError):  # not empty (files were written) or gone: leave it
                os.rmdir(path)
