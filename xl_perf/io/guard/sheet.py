"""The scanner of worksheet parts (and macro, dialog and chart sheets): entity declarations, the extent of the
sheet (through the one `SheetExtent`), the cells holding formulas, and the shared strings cells refer to.

Three scans find the rows and cells, from fastest to most general; all report to `SheetExtent`:
- `_screened_whole`: one regex pass over a whole part whose every <c>, <row> and <dimension> is in the strict
  usual form with references too short to pass the limits (nearly every real sheet);
- `_bulk`: a block in which every <row> and <c> is unprefixed with r="..." first (as Excel, WPS, XlsxWriter and
  openpyxl write them): counted and measured in bulk;
- `_walk`: every <row> and <c> in order, token by token, for everything else, and for any block in which the
  others meet a reference that may pass a limit (so the refusal names the first offending row or cell).
"""

from __future__ import annotations

import functools
import re

from xl_perf.errors import BadInputError
from xl_perf.io.guard.base import Limits
from xl_perf.io.guard.extent import SheetExtent, col_letters, col_number, far_col, far_row, number
from xl_perf.io.guard.parts import ENTITY, P, PackageState, PartScanner, attrs

_TOKEN_RE = re.compile(P + rb"(row|c)(?=[\s/>])([^>]*)>")
# A <c> or <row> start tag that is not in the usual form (unprefixed, r="..." as the first attribute).
_UNUSUAL_CELL_OR_ROW_RE = re.compile(rb'<(?:c|row)(?:[\t\n\r/>]| (?!r="))')
_PREFIXED_CELL_OR_ROW_RE = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]")
# A reference with a character reference in it, or a second r attribute (readers take the last one).
_TRICKY_REF_RE = re.compile(rb'<(?:c|row) r="[^"&]*(?:&|"[^>]*\sr\s*=)')
# References in the strict usual form; a block of the usual form with any other reference is walked.
_CELL_REF_RE = re.compile(rb'<c r="([A-Za-z]{1,3})(\d{1,7})"')
_ROW_REF_RE = re.compile(rb'<row r="(\d{1,7})"')
_DIM_RE = re.compile(P + rb"dimension\s([^>]*)>")
_CELL_NAME_RE = re.compile(r"^\$?([A-Za-z]+)\$?(\d+)$")
# Formula cells in the usual form: <f> is the first child of <c> (the schema's order), maybe after whitespace.
_FORMULA_CELL_RE = re.compile(rb'<c r="([A-Za-z]{1,3})(\d{1,7})"[^>]*(?<!/)>\s*<f[\s/>]')
_OPEN_CELL_AT_END_RE = re.compile(rb'<c r="([A-Za-z]{1,3})(\d{1,7})"[^>]*(?<!/)>\s*\Z')
_FORMULA_START_RE = re.compile(rb"\s*<f[\s/>]")
_STRING_INDEX_RE = re.compile(rb't="s"[^>]*>\s*<v>\s*(\d+)\s*</v>')


@functools.lru_cache(maxsize=8)  # built once per limits, not for every file
def _sheet_screen(limits: Limits) -> re.Pattern[bytes] | None:
    """The one-pass screen of `SheetScanner._screened_whole`. Its first three alternatives are the strict usual
    forms, each leaving a group non-empty: a cell <c r="..."> (columns, row, and whether <f> is its first child),
    a row, a dimension, with references too short to pass the limits and attributes single-spaced, double-quoted
    and none named r again. The others catch what is left: an entity declaration, and any other <c>, <row> or
    <dimension> start tag (prefixed, unusual spacing or quoting, a long reference, ...), leaving every group empty.
    A match cannot hide another: all alternatives start at "<", and the only "<" one consumes after its own start
    is that of <f, which none of them matches."""
    digits, letters = len(str(limits.max_rows)) - 1, len(col_letters(limits.max_cols)) - 1
    if digits < 1 or letters < 1:  # limits so small that every reference is long: nothing to screen
        return None
    ref = rb"[A-Za-z]{1,%d}\d{1,%d}" % (letters, digits)
    attributes = rb'(?: (?!r=)[A-Za-z_][\w:.-]*="[^"]*")*'
    return re.compile(
        b"|".join(
            (
                rb'<c r="([A-Za-z]{1,%d})(\d{1,%d})"' % (letters, digits) + attributes + rb"(?:/>|>(\s*<f[\s/>])?)",
                rb'<row r="(\d{1,%d})"' % digits + attributes + rb"/?>",
                rb'<(dimension) ref="' + ref + rb"(?::" + ref + rb')?"/>',
                ENTITY,
                P + rb"(?:c|row|dimension)[\s/>]",
            )
        )
    )


class SheetScanner(PartScanner):
    """One sheet part; `sheet` is its name in the workbook (None for a part no relationship names)."""

    def __init__(self, state: PackageState, part: str, strict: bool, sheet: str | None = None) -> None:
        super().__init__(state, part, strict, sheet)
        self.extent = SheetExtent(state.limits, self._too_large)
        self.open_cell: tuple[int, int] | None = None  # a <c> start tag ending the previous block (0-based)

    def process(self, block: bytes) -> None:
        state = self.state
        if b't="s"' in block:
            indexes = _STRING_INDEX_RE.findall(block)
            if indexes:
                state.max_string_index = max(state.max_string_index, max(map(number, indexes)))
        if self.is_whole and self._screened_whole(block):
            return
        self.check_entities(block)
        self._declared(block)
        if (
            _UNUSUAL_CELL_OR_ROW_RE.search(block)
            or _PREFIXED_CELL_OR_ROW_RE.search(block)
            or _TRICKY_REF_RE.search(block)
            or not self._bulk(block)
        ):
            state.formulas_exact = False
            self._walk(block)
        elif state.formulas_exact:
            self._formula_cells(block)

    def done(self) -> None:
        self.extent.finish()

    def _too_large(self, detail: str) -> BadInputError:
        limits = self.state.limits
        label = self.sheet or self.part
        return self.state.bad(
            f"工作表“{label}”的范围过大：{detail}，超过上限（{limits.max_rows} 行 × {limits.max_cols} 列）；"
            "请删除多余的行列或远处的单元格后另存再试",
            self.sheet,
        )

    # -- the three scans

    def _screened_whole(self, block: bytes) -> bool:
        """One pass over a whole sheet for the common case (see `_sheet_screen`): if every <c>, <row> and
        <dimension> is in the strict usual form, with references too short to pass the limits, and there is no
        entity declaration, report the rows and cells to the extent, note the formula cells and return True;
        otherwise note nothing and return False, and the part gets the full checks."""
        screen = _sheet_screen(self.state.limits)
        if screen is None:
            return False
        formulas: list[tuple[int, int]] = []
        row_refs: list[bytes] = []
        columns: set[bytes] = set()
        cell_rows: set[bytes] = set()
        for letters, digits, formula, row, dimension in screen.findall(block):
            if letters:
                columns.add(letters)
                cell_rows.add(digits)
                if formula:
                    formulas.append((int(digits) - 1, col_number(letters) - 1))
            elif row:
                row_refs.append(row)
            elif not dimension:
                return False
        far = (max(far_row(row_refs), far_row(cell_rows)), far_col(columns))
        if not self.extent.fits(*far):  # cannot happen (the screen takes only short references): walk it then
            return False
        self.extent.bulk(len(row_refs), *far, None, None)
        state = self.state
        if self.sheet is None:
            state.formulas_exact = False
        elif state.formulas_exact:
            state.formulas.setdefault(self.sheet, set()).update(formulas)
        return True

    def _bulk(self, block: bytes) -> bool:
        """Report a block of the usual form in bulk; False (nothing reported) if some reference is not in the
        strict form or may pass a limit: then the block must be walked."""
        cells = _CELL_REF_RE.findall(block)
        rows = _ROW_REF_RE.findall(block)
        if len(cells) != block.count(b'<c r="') or len(rows) != block.count(b'<row r="'):
            return False
        far = (max(far_row(rows), far_row(d for _, d in cells)), far_col(c for c, _ in cells))
        if not self.extent.fits(*far):
            return False
        # Where the block leaves off, for a following block whose rows or cells carry no reference.
        last_row = int(rows[-1]) if rows else None
        last_col = col_number(cells[-1][0]) if cells and block.rfind(b'<c r="') > block.rfind(b'<row r="') else None
        self.extent.bulk(len(rows), *far, last_row, last_col)
        return True

    def _walk(self, block: bytes) -> None:
        """Every <row> and <c> in order; a row or cell without a usable reference follows the one before it."""
        extent = self.extent
        for m in _TOKEN_RE.finditer(block):
            ref = attrs(m.group(2)).get("r")
            if m.group(1) == b"row":
                extent.row(number(ref) if ref and ref.isascii() and ref.isdigit() else None)
                continue
            cell = _CELL_NAME_RE.match(ref) if ref else None
            extent.cell((number(cell.group(2)), col_number(cell.group(1))) if cell else None)

    def _declared(self, block: bytes) -> None:
        """Each <dimension ref="...">: found by its word, then the tag around it (far cheaper than running
        _DIM_RE over the whole block)."""
        at = block.find(b"dimension")
        while at >= 0:
            start = block.rfind(b"<", 0, at)
            m = _DIM_RE.match(block, start) if start >= 0 else None
            if m:
                ref = attrs(m.group(1)).get("ref", "")
                cell = _CELL_NAME_RE.match(ref.split(":")[-1].strip())
                self.extent.declared(ref, (number(cell.group(2)), col_number(cell.group(1))) if cell else None)
            at = block.find(b"dimension", at + 9)

    def _formula_cells(self, block: bytes) -> None:
        """Note the cells whose first child is <f>; only called for blocks in the usual form (see `_bulk`)."""
        state = self.state
        if self.sheet is None:
            state.formulas_exact = False
            return
        if not block or block.isspace():  # between a cell's start tag and its first child: still open
            return
        cells = state.formulas.setdefault(self.sheet, set())
        if self.open_cell is not None and _FORMULA_START_RE.match(block):
            cells.add(self.open_cell)
        self.open_cell = None
        if b"<f" in block:
            for letters, digits in _FORMULA_CELL_RE.findall(block):
                cells.add((number(digits) - 1, col_number(letters) - 1))
        last = block.rfind(b'<c r="')
        if last >= 0:
            m = _OPEN_CELL_AT_END_RE.match(block, last)
            if m:
                self.open_cell = (number(m.group(2)) - 1, col_number(m.group(1)) - 1)
