"""Finding the files of a batch under its folder."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Spreadsheet files that are found and listed as unreadable (with the guard's explanation), not silently skipped.
OTHER_SPREADSHEETS = (".xls", ".et", ".ett", ".xlsb", ".ods", ".xltx", ".xltm", ".csv")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: it is only itself
        return path.absolute()


def discover(root: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Workbooks (and other spreadsheet files, to be listed as unreadable) under `root`, in a stable order.
    Skips Office lock files (~$...), hidden files and folders, xl-perf temp files and the `exclude` paths."""
    exclude = list(exclude)
    excluded = {_resolved(p) for p in exclude}
    excluded_names = {p.name for p in [*exclude, *excluded]}  # resolve() only the files that might be one of them
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(("~$", ".")):
                continue
            path = Path(folder) / name
            if path.suffix.lower() not in WORKBOOK_SUFFIXES + OTHER_SPREADSHEETS:
                continue
            if name not in excluded_names or _resolved(path) not in excluded:
                found.append(path)
    return found
