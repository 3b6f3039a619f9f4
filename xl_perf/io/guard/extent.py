"""The one extent algorithm: where a sheet's rows and cells lie, and whether that is within the limits.

Every way of scanning a sheet (the one-pass screen of a whole part, the bulk scan of blocks in the usual form, the
walk token by token of anything else) reports what it finds to one `SheetExtent`, and only `SheetExtent` decides
and words a refusal. A scan that meets a reference that may pass a limit hands the block to the walk, so the
refusal always names the first offending row or cell, whichever scan met it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from xl_perf.errors import BadInputError
from xl_perf.io.cells import col_index, col_letter
from xl_perf.io.guard.base import Limits

HUGE_ROW = 10**13  # what a row number of absurdly many digits counts as


def number(digits: str | bytes) -> int:
    """A row number from its digits; absurdly long ones (beyond int parsing limits) count as huge."""
    return int(digits) if len(digits) <= 12 else HUGE_ROW


@functools.lru_cache(maxsize=4096)
def col_number(letters: str | bytes) -> int:
    """1-based column number of column letters (A = 1); huge for nonsense, which the limit check then refuses."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii", "replace")
    if len(letters) > 7:
        return 10**9
    return col_index(letters) + 1


def col_letters(number: int) -> str:
    """Column letters of a 1-based column number (1 = A; "" for 0)."""
    return col_letter(number - 1) if number > 0 else ""


def far_row(digit_groups: Iterable[bytes]) -> int:
    """The largest row number among reference digits (0 if none); distinct texts are converted once."""
    return max(map(number, set(digit_groups)), default=0)


def far_col(letter_groups: Iterable[bytes]) -> int:
    """The largest column number among reference letters (0 if none)."""
    return max(map(col_number, set(letter_groups)), default=0)


class SheetExtent:
    """The extent of one sheet as readers place its cells: a row without a reference follows the row before it,
    a cell without one follows the cell before it in its row. Refuses (through `refuse`, given the detail) a row
    or cell beyond `max_rows` x `max_cols`, more row elements than `max_rows`, a declared dimension beyond the
    limits, and an area from A1 to the farthest cell of more than `max_cells`."""

    def __init__(self, limits: Limits, refuse: Callable[[str], BadInputError]) -> None:
        self.limits = limits
        self.refuse = refuse
        self.rows_seen = 0
        self.cur_row = 0  # 1-based number of the current row
        self.cur_col = 0  # 1-based column of the last cell in the current row
        self.max_row = 0  # farthest row and column of any row or cell (1-based), for the area limit
        self.max_col = 0

    # -- one token at a time (the reference algorithm)

    def row(self, ref: int | None) -> None:
        """A <row>, with its number or None when it has no usable reference."""
        self.rows_seen += 1
        self.cur_row = ref if ref is not None else self.cur_row + 1
        self.cur_col = 0
        self._reach(self.cur_row, 0)
        self._count_rows()

    def cell(self, ref: tuple[int, int] | None) -> None:
        """A <c>, with its (row, column) or None when it has no usable reference."""
        if ref is None:
            self.cur_col += 1
            self._reach(max(self.cur_row, 1), self.cur_col)
        else:
            self.cur_col = ref[1]
            self._reach(ref[0], ref[1])

    def declared(self, ref: str, last: tuple[int, int] | None) -> None:
        """A <dimension ref="...">, with the (row, column) of its last cell if it names one."""
        if last is not None and (last[0] > self.limits.max_rows or last[1] > self.limits.max_cols):
            raise self.refuse(f"声明的数据范围 {ref[:40]}")

    # -- many tokens at once

    def fits(self, row: int, col: int) -> bool:
        """Whether a row and column are within the limits. A scan that reports a block in bulk asks this of the
        farthest reference it found first; if not, it walks the block token by token instead."""
        return row <= self.limits.max_rows and col <= self.limits.max_cols

    def bulk(self, rows: int, row: int, col: int, last_row: int | None, last_col: int | None) -> None:
        """A block in which every row and cell carries a reference, all of which `fits`: `rows` row elements, the
        farthest row and column referred to, and where the block leaves off (the last row's number, if it has one;
        the column of the last cell after it, if any)."""
        self.rows_seen += rows
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        if last_row is not None:
            self.cur_row, self.cur_col = last_row, 0
        if last_col is not None:
            self.cur_col = last_col
        self._count_rows()

    # -- the end of the sheet

    def finish(self) -> None:
        """Refuse a sheet whose rectangle from A1 to its farthest cell passes `Limits.max_cells` (a sheet of more
        row elements than its last row number reaches at least as far as its row count)."""
        rows = max(self.max_row, self.rows_seen)
        cells = rows * max(self.max_col, 1)
        if cells <= self.limits.max_cells:
            return
        far = f"{col_letters(self.max_col)}{rows}"
        raise self.refuse(
            f"数据从 A1 延伸到 {far}（约 {cells:,} 个单元格，读取时须全部放入内存，上限 {self.limits.max_cells:,} 个）"
        )

    def _count_rows(self) -> None:
        if self.rows_seen > self.limits.max_rows:
            raise self.refuse(f"行元素多于 {self.limits.max_rows} 个")

    def _reach(self, row: int, col: int) -> None:
        """Refuse if row (1-based, 0 = unknown) or column (1-based, 0 = unknown) is beyond the limits."""
        if row > self.max_row:
            self.max_row = row
        if col > self.max_col:
            self.max_col = col
        if row > self.limits.max_rows or col > self.limits.max_cols:
            letters = col_letters(min(col, 10**6))
            if col == 0:
                where = f"第 {row} 行"
            elif row == 0:
                where = f"第 {letters} 列"
            else:
                where = f"单元格 {letters}{row}"
            raise self.refuse(f"数据延伸到{where}")
