"""TEXT_ATTACHMENT: an attachment's heading ("附件 3" above "项目支出绩效自评报告") that does not match the list of
attachments ("附件：1、项目支出绩效自评报告 …") of the covering letter.

The list is the numbered lines after a line "附件：" (or the items on that line itself); a heading is a line holding
only "附件 N", the title being the next non-blank line. Without a list nothing is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from xl_perf.findings import Finding
from xl_perf.validate.report.text import ReportText

_LIST_START = re.compile(r"^[ \t]*附件[ \t]*:[ \t]*(?P<rest>.*)$", re.M)
_ITEM = re.compile(r"^[\s\-•·]*(?P<n>[0-9]{1,2})\s*[、.．]\s*(?P<title>\S.*?)\s*[;；。]?\s*$")
_INLINE_ITEM = re.compile(r"(?P<n>[0-9]{1,2})\s*[、.]\s*(?P<title>[^;；。0-9]+)")
_HEADING = re.compile(r"^[ \t]*附件[ \t]*(?P<n>[0-9]{1,2})[ \t]*$", re.M)


def _normal(title: str) -> str:
    return re.sub(r"[\s《》.。;；]", "", title)


def _lines_after(doc: ReportText, position: int) -> Iterator[tuple[int, str]]:
    line = doc.line_index(position) + 1
    while line < len(doc.line_starts):
        start = doc.line_starts[line]
        end = doc.line_starts[line + 1] if line + 1 < len(doc.line_starts) else len(doc.folded)
        yield start, doc.folded[start:end].strip()
        line += 1


def _listed(doc: ReportText) -> dict[int, str]:
    match = _LIST_START.search(doc.folded)
    if match is None:
        return {}
    items = {int(m["n"]): _normal(m["title"]) for m in _INLINE_ITEM.finditer(match["rest"])}
    if items:
        return items
    for _, line in _lines_after(doc, match.start()):
        if not line:
            continue
        item = _ITEM.match(line)
        if item is None:
            break
        items[int(item["n"])] = _normal(item["title"])
    return items


def attachments(doc: ReportText) -> Iterator[Finding]:
    listed = _listed(doc)
    if not listed:
        return
    for heading in _HEADING.finditer(doc.folded):
        number = int(heading["n"])
        title = next((line for _, line in _lines_after(doc, heading.start()) if line), "")
        shown = " ".join(doc.raw[heading.start() : heading.end()].split())
        wanted = next((n for n, t in listed.items() if t and t == _normal(title)), None)
        if number in listed and listed[number] == _normal(title):
            continue
        if wanted is not None:
            message = f"“{shown}”下的“{title}”在附件列表中是第 {wanted} 项"
            fix = f"改为“附件 {wanted}”，或调整附件列表"
        elif number not in listed:
            message = f"“{shown}”超出附件列表（共 {len(listed)} 项）"
            fix = "核对附件编号与附件列表"
        else:
            message = f"“{shown}”在附件列表中是“{listed[number]}”，此处的标题却是“{title}”"
            fix = "核对附件编号与附件列表"
        yield doc.finding("TEXT_ATTACHMENT", heading.start(), message, fix)
