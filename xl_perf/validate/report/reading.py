"""A report file (io.report_files) as the text the checks read: a Word report's paragraphs and table rows as lines."""

from __future__ import annotations

from xl_perf.io.report_files import ReportFile
from xl_perf.validate.report.text import Block, ReportText


def report_text(report: ReportFile, source: str) -> ReportText:
    if report.kind != "docx":
        return ReportText(report.text, source)
    pieces: list[str] = []
    blocks: list[Block] = []
    position = 0
    for part in report.parts:
        starts: list[int] = []
        offset = 0
        for cell in part.cells:
            starts.append(offset)
            offset += len(cell) + 1
        line = "\t".join(part.cells)
        blocks.append(Block(position, part.table, part.number, tuple(starts)))
        pieces.append(line)
        position += len(line) + 2  # a blank line between parts: each is a paragraph of its own
    return ReportText("\n\n".join(pieces), source, tuple(blocks))
