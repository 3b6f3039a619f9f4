"""The report as text: its folded form for matching, positions -> where a person finds them, and quoted excerpts.

A plain-text report is located by line (and page, when it has form feeds: a PDF's text); a Word report by paragraph
and table cell. Either way the checks see one string: a Word paragraph or table row is a line of its own, blank lines
between them, the cells of a row joined by tabs, so the checks written for text apply unchanged.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from xl_perf.errors import Location
from xl_perf.findings import Finding, Ref, Severity
from xl_perf.validate.catalogue import spec

DEFAULT_SEVERITY: dict[str, Severity] = {
    "TEXT_OTHER_UNIT": "error",
    "TEXT_LEVEL_WORDS": "error",
    "TEXT_YEAR": "error",
    "TEXT_SHARE": "error",
    "TEXT_SHARE_SUM": "warning",
    "TEXT_RATE": "warning",
}

# Full-width punctuation and digits folded to ASCII for matching; one character for one, so positions are kept.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "（": "(",
        "）": ")",
        "，": ",",
        "：": ":",
        "；": ";",
        "％": "%",
        "．": ".",
        "－": "-",
        "\u3000": " ",
        "\u00a0": " ",
    }
)


def fold(text: str) -> str:
    return text.translate(_FOLD)


def severity(code: str) -> Severity:
    try:
        found = spec(code).severity
    except (KeyError, OSError, ValueError):
        return DEFAULT_SEVERITY.get(code, "warning")
    return found if found in ("error", "warning", "info") else DEFAULT_SEVERITY.get(code, "warning")  # type: ignore[return-value]


@dataclass(frozen=True)
class Block:
    """One paragraph or table row of a Word report: where it starts in the joined text and how people name it."""

    start: int
    table: int | None  # 1-based table number, None for a paragraph
    number: int  # paragraph number, or row number inside the table
    cell_starts: tuple[int, ...] = ()  # offsets of the cells of a row (from `start`)


class ReportText:
    """The text, its folded form for matching, and position -> line (and page, when it has form feeds) or, for a
    Word report, paragraph and table cell."""

    def __init__(self, text: str, source: str, blocks: tuple[Block, ...] = ()) -> None:
        self.raw = text
        self.folded = fold(text)
        self.source = source
        self.blocks = blocks
        self._block_starts = [b.start for b in blocks]
        self.paged = "\f" in text
        self.line_starts: list[int] = [0]  # global lines
        self.page_starts: list[int] = [0]
        self.page_first_line: list[int] = [0]  # index into line_starts of each page's first line
        index, length = 0, len(text)
        while index < length:
            char = text[index]
            if char == "\r" and index + 1 < length and text[index + 1] == "\n":
                index += 1
            if char in "\r\n":
                self.line_starts.append(index + 1)
            elif char == "\f":
                if self.line_starts[-1] != index + 1:
                    self.line_starts.append(index + 1)
                self.page_starts.append(index + 1)
                self.page_first_line.append(len(self.line_starts) - 1)
            index += 1

    def line_index(self, pos: int) -> int:
        return bisect.bisect_right(self.line_starts, pos) - 1

    def line_no(self, pos: int) -> int:
        """1-based global line number."""
        return self.line_index(pos) + 1

    def key(self, pos: int) -> str:
        if self.blocks:
            return self._block_key(pos)
        line = self.line_index(pos)
        if not self.paged:
            return f"第{line + 1}行"
        page = bisect.bisect_right(self.page_starts, pos) - 1
        return f"第{page + 1}页第{line - self.page_first_line[page] + 1}行"

    def _block_key(self, pos: int) -> str:
        block = self.blocks[max(0, bisect.bisect_right(self._block_starts, pos) - 1)]
        if block.table is None:
            return f"第{block.number}段"
        column = max(1, bisect.bisect_right(block.cell_starts, pos - block.start))
        return f"第{block.table}个表格第{block.number}行第{column}列"

    def line_span(self, pos: int) -> tuple[int, int]:
        line = self.line_index(pos)
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.raw)
        return start, end

    def finding(self, code: str, pos: int, message: str, fix: str) -> Finding:
        return Finding(
            severity(code),
            code,
            message,
            Ref("document", "report_text", row=self.line_no(pos)),
            fix,
            Location(file=self.source, key=self.key(pos)),
        )

    def paragraphs(self) -> Iterator[tuple[int, int]]:
        """(start, end) of runs of non-blank lines."""
        start: int | None = None
        for number, line_start in enumerate(self.line_starts):
            line_end = self.line_starts[number + 1] if number + 1 < len(self.line_starts) else len(self.raw)
            blank = not self.raw[line_start:line_end].strip()
            if blank and start is not None:
                yield start, line_start
                start = None
            elif not blank and start is None:
                start = line_start
        if start is not None:
            yield start, len(self.raw)

    def excerpt(self, start: int, end: int) -> str:
        """raw[start:end] widened to the clause around it, with "…" where it was cut."""
        low, high, cut_before, cut_after = widen(self.raw, start, end)
        return quote(self.raw, low, high, cut_before, cut_after)


# Where a quotation may begin or end: Chinese has no spaces between words, so clauses are cut at punctuation.
BOUNDARY = frozenset("，。；、：！？,.;:!?（）()“”\"'‘’《》【】[] \t\r\n\f\u3000")
_WIDEN = 30  # at most this many characters are added on each side to reach a boundary


def is_boundary(char: str) -> bool:
    return char in BOUNDARY


def widen(raw: str, start: int, end: int, limit: int = _WIDEN) -> tuple[int, int, bool, bool]:
    """Extend raw[start:end] to the clause boundaries around it (punctuation, spaces, line ends), by at most `limit`
    characters each way; returns (start, end, cut before, cut after) — cut when no boundary was that near."""
    low = start
    while low > 0 and start - low < limit and not is_boundary(raw[low - 1]):
        low -= 1
    high = end
    while high < len(raw) and high - end < limit and not is_boundary(raw[high]):
        high += 1
    return low, high, low > 0 and not is_boundary(raw[low - 1]), high < len(raw) and not is_boundary(raw[high])


def quote(raw: str, start: int, end: int, cut_before: bool, cut_after: bool) -> str:
    return ("…" if cut_before else "") + raw[start:end] + ("…" if cut_after else "")


def short(text: str, limit: int = 60) -> str:
    """At most `limit` characters, cut after a clause boundary where one is near the end, marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    boundary = max((i + 1 for i in range(limit // 2, cut) if is_boundary(text[i])), default=None)
    return text[: boundary if boundary is not None else cut].rstrip() + "…"
