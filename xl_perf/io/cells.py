"""Pure cell-address helpers, the one implementation of column letters in xl-perf (modelled on XlsxWriter's
`utility`): column letters <-> index, "A1" <-> (row, col), range and sheet-qualified reference text.

Positions are 0-based (row, col), as everywhere in xl-perf; the text is Excel's A1 notation.
"""

from __future__ import annotations

import functools
import re

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def col_letter(col: int) -> str:
    """Column letters of the 0-based column `col` (0 -> "A", 26 -> "AA")."""
    if col < 0:
        raise ValueError(f"column {col} < 0")
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.lru_cache(maxsize=4096)
def col_index(letters: str) -> int:
    """The 0-based column of column `letters` ("A" -> 0, case-insensitive; no check of Excel's 16,384 columns)."""
    value = 0
    for ch in letters.upper():
        value = value * 26 + ord(ch) - 64
    return value - 1


def address(row: int, col: int, absolute: bool = False) -> str:
    """ "A1" text of (row, col), or "$A$1" with `absolute`."""
    if absolute:
        return f"${col_letter(col)}${row + 1}"
    return f"{col_letter(col)}{row + 1}"


def parse_address(text: str) -> tuple[int, int]:
    """(row, col) of an "A1" or "$A$1" text; ValueError for anything else."""
    match = _CELL.match(text.strip())
    if not match or int(match.group(2)) < 1:
        raise ValueError(f"not a cell address: {text!r}")
    return int(match.group(2)) - 1, col_index(match.group(1))


def range_address(first_row: int, first_col: int, last_row: int, last_col: int, absolute: bool = False) -> str:
    """ "A1:B2" text of a range; a one-cell range is its cell's address alone."""
    first = address(first_row, first_col, absolute)
    last = address(last_row, last_col, absolute)
    return first if first == last else f"{first}:{last}"


def quote_sheet(name: str) -> str:
    """A sheet name as a reference writes it: always quoted, inner quotes doubled (quoting is always allowed)."""
    return "'" + name.replace("'", "''") + "'"


def sheet_reference(sheet: str, first: tuple[int, int], last: tuple[int, int] | None = None) -> str:
    """ "'Sheet'!$A$1" or "'Sheet'!$A$1:$B$2": the absolute reference a defined name points at."""
    last = first if last is None else last
    return f"{quote_sheet(sheet)}!{range_address(*first, *last, absolute=True)}"
