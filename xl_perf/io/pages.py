"""How a sheet prints, estimated without a spreadsheet program: the height of a row of wrapped text, and where
pages break. Used by the template layout (row heights) and by the writer (page breaks of a submission copy)."""

from __future__ import annotations

from collections.abc import Sequence


def text_height(text: str, width: float, line: float = 13.5) -> float:
    """Row height (points) that shows `text` wrapped in a column `width` characters wide (CJK counts double)."""
    capacity = max(1.0, width * 0.9)  # conservative: renderers wrap earlier than the nominal column width
    lines = 0
    for paragraph in text.splitlines() or [""]:
        units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in paragraph)
        lines += max(1, -(-units // int(capacity)))
    return min(409.0, lines * line + 8)


def page_breaks(
    heights: Sequence[float],
    page: float,
    keep_together: Sequence[tuple[int, int]],
    first: int = 0,
    loosely: Sequence[tuple[int, int]] | None = None,
) -> list[int]:
    """Rows before which a new page starts, for rows `first`.. of `heights` (points, as printed) on pages `page`
    points tall. A page ends before the first row that does not fit, or earlier, before a span of `keep_together`
    that would otherwise be split and fits on a page of its own; spans taller than a page are split where they must.
    Spans kept `loosely` (merged cells) are kept whole too, unless that would leave the page less than half full.
    """

    def fitting(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(a, b) for a, b in spans if a < b and sum(heights[a : b + 1]) <= page]

    strict, loose = fitting(keep_together), fitting(loosely or [])
    breaks: list[int] = []
    start, used, row = first, 0.0, first
    while row < len(heights):
        if used + heights[row] <= page or row == start:
            used += heights[row]
            row += 1
            continue
        candidates = range(start + 1, row + 1)
        keeps = [c for c in candidates if not any(a < c <= b for a, b in strict)]
        whole = [c for c in keeps if not any(a < c <= b for a, b in loose)]
        if whole and (whole[-1] == keeps[-1] or sum(heights[start : whole[-1]]) >= page / 2):
            start = whole[-1]
        else:
            start = keeps[-1] if keeps else row
        breaks.append(start)
        used = sum(heights[start:row])  # and `row` is tried again on the new page
    return breaks
