"""Owner and lock files: the marks Excel, WPS and LibreOffice leave beside a workbook they have open."""

from __future__ import annotations

import os
from pathlib import Path


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


def present_lock_file(target: Path) -> Path | None:
    for path in lock_files(target):
        try:
            if os.path.lexists(path):
                return path
        except OSError:  # pragma: no cover - lexists does not raise on common systems
            continue
    return None


def is_open_elsewhere(target: Path) -> bool:
    """True when Excel, WPS or LibreOffice has left an owner/lock file next to the target (it is open there)."""
    return present_lock_file(Path(target)) is not None
