"""Functions the guard tests run in child processes (module level, so a spawned or forkserver child imports them)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from xl_perf.errors import BadInputError, Location

CellGrid = list[list[object]]


def calamine_values(path: Path) -> dict[str, CellGrid]:
    """Every sheet's values as python-calamine reads them; any reader failure becomes a BadInputError."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        try:
            return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
        finally:
            book.close()
    except Exception as exc:
        raise BadInputError(f"无法读取工作簿：{type(exc).__name__}: {exc}", Location(file=str(path))) from None


def sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def call_abort(path: Path) -> None:
    os.abort()


def kill_self(path: Path) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def exit_without_result(path: Path) -> None:
    os._exit(3)


def allocate_512_mib(path: Path) -> int:
    """Succeeds without an address-space cap below 512 MiB; with one, raises MemoryError in the child."""
    block = bytearray(512 * 1024 * 1024)
    return len(block)


def sleep_long(path: Path) -> None:
    time.sleep(600)


def raise_bad_input(path: Path) -> None:
    raise BadInputError("第 3 行的金额不是数字", Location(file=str(path), sheet="预算表", cell="B3"))


def raise_value_error(path: Path) -> None:
    raise ValueError("defect in the reader")


def return_unpicklable(path: Path) -> object:
    return lambda: None


def address_space_limit(path: Path) -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]
