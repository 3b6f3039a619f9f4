"""Old .xls workbooks (BIFF in an OLE container, as WPS and older Excel save them), read under the same guard.

Forms that finance bureaus hand out are often .xls. `guard.inspect` refuses them (its scan follows OOXML only), so
this module applies the limits that make sense for the binary format before python-calamine parses the file, and
parses it in the same memory-capped, time-limited child process:

- a regular file (no FIFO, device or folder), not empty, within `Limits.max_file_bytes`;
- an OLE container holding a workbook stream: an encrypted package, a WPS .et or another OLE document is refused
  with the guard's own messages;
- every sheet within `Limits.max_rows`, `max_cols` and `max_cells` before its cells are materialised.

`open_workbook(path)` is the entry point for readers of forms others made: an .xls goes this way, anything else
through `workbook.open_untrusted` (the full OOXML inspection).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
from pathlib import Path

from xl_perf.errors import BadInputError, Location, describe_os_error
from xl_perf.io import guard
from xl_perf.io.guard import base, sniff
from xl_perf.io.workbook import CellValue, SnapshotWorkbook, open_untrusted

_LIMITS = guard.Limits()


def is_ole(path: Path) -> bool:
    """Whether the file starts as an OLE compound file (an old .xls, .et, .doc or an encrypted package)."""
    with sniff.RegularFile(path) as f:
        return f.read(len(sniff.OLE_MAGIC)) == sniff.OLE_MAGIC


def inspect_xls(path: Path, limits: guard.Limits = _LIMITS) -> None:
    """Refuse `path` unless it is a plain, unencrypted .xls workbook of an acceptable size."""
    with sniff.RegularFile(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise BadInputError(base.MSG_EMPTY, Location(file=str(path)))
        if size > limits.max_file_bytes:
            raise BadInputError(
                f"文件过大（{base.size_text(size)}，上限 {base.size_text(limits.max_file_bytes)}），已拒绝读取",
                Location(file=str(path)),
            )
        head = f.read(len(sniff.OLE_MAGIC))
        if head != sniff.OLE_MAGIC:
            raise BadInputError("不是旧版 .xls 工作簿", Location(file=str(path)))
        kind = sniff.classify_ole(f, size)
    if kind != base.MSG_XLS:  # encrypted, WPS .et, or an OLE document that is not a workbook
        raise BadInputError(kind, Location(file=str(path)))


def read_xls(path: Path, limits: guard.Limits = _LIMITS) -> SnapshotWorkbook:
    """The values of every sheet of an .xls file (python-calamine). No defined names, no formula marks: the BIFF
    reader exposes neither, and readers of foreign forms need only the values as saved."""
    from python_calamine import CalamineWorkbook

    source = str(path)
    try:
        # From the bytes, not the path: calamine would pick its reader by the extension, and an .xls saved as
        # "表.xlsx" is common.
        book = CalamineWorkbook.from_filelike(io.BytesIO(Path(path).read_bytes()))
    except OSError as exc:
        raise BadInputError(f"无法读取文件：{describe_os_error(exc)}", Location(file=source)) from None
    except Exception as exc:  # calamine raises its own error types for damaged or protected files
        raise BadInputError(f"无法作为旧版 .xls 工作簿读取：{exc}", Location(file=source)) from None
    sheets: dict[str, dict[tuple[int, int], CellValue]] = {}
    try:
        for name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(name)
            except Exception as exc:
                raise BadInputError(f"无法读取工作表：{exc}", Location(file=source, sheet=name)) from None
            _check_extent(sheet.total_height, sheet.total_width, limits, source, name)
            cells: dict[tuple[int, int], CellValue] = {}
            for r, line in enumerate(sheet.to_python(skip_empty_area=False)):
                for c, value in enumerate(line):
                    if value == "" or value is None:
                        continue
                    # A time of day or a duration has no CellValue form: kept as its text.
                    cells[(r, c)] = value if isinstance(value, str | int | float | dt.date) else str(value)
            sheets[name] = cells
    finally:
        book.close()
    return SnapshotWorkbook(sheets, {}, {}, source)


def _check_extent(rows: int, cols: int, limits: guard.Limits, source: str, sheet: str) -> None:
    where = Location(file=source, sheet=sheet)
    if rows > limits.max_rows:
        raise BadInputError(f"工作表行数过多（{rows} 行，上限 {limits.max_rows} 行），已拒绝读取", where)
    if cols > limits.max_cols:
        raise BadInputError(f"工作表列数过多（{cols} 列，上限 {limits.max_cols} 列），已拒绝读取", where)
    if rows * cols > limits.max_cells:
        raise BadInputError(
            f"工作表区域过大（{rows} 行 × {cols} 列，上限 {limits.max_cells} 个单元格），已拒绝读取", where
        )


def open_untrusted_xls(path: Path, limits: guard.Limits = _LIMITS) -> SnapshotWorkbook:
    """`inspect_xls`, then `read_xls` in the guard's memory-capped child process."""
    path = Path(path)
    inspect_xls(path, limits)
    return guard.run_in_child(path, functools.partial(read_xls, limits=limits), limits)


def open_workbook(path: Path) -> SnapshotWorkbook:
    """A user's workbook of any supported kind (.xlsx, .xlsm, old .xls), inspected and parsed in a child process."""
    path = Path(path)
    if is_ole(path):
        with sniff.RegularFile(path) as f:
            size = os.fstat(f.fileno()).st_size
            kind = sniff.classify_ole(f, size)
        if kind == base.MSG_XLS:
            return open_untrusted_xls(path)
    return open_untrusted(path)
