"""TEXT_NAME_VARIANT: the same project, works or document written differently in the report and the tables.

The names compared are the unit's own: project and indicator names and document titles from the workbooks, indicator
names ("指标8：…") and 《titles》 from the report. Every stretch of the report that begins or ends like such a name
with the same two characters and differs from it inside by one or two characters (not digits, not punctuation) is
a variant: "将原砂石路提升改造为硬底化
道路" beside "将原砂土路提升改造为硬底化道路". The form written more often (the workbooks' form on a tie) is taken as
meant, and each occurrence of the other is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from xl_perf.findings import Finding
from xl_perf.validate.report.facts import FormFacts, all_texts
from xl_perf.validate.report.text import ReportText, fold

_MIN, _MAX = 8, 40
_ANCHOR = 3
_INDICATOR = re.compile(r"指标\s*[0-9]+\s*[:：]\s*([^\t\n]+)")
_TITLE = re.compile(r"《([^《》\n]+)》")
_PREFIX = re.compile(r"^(?:项目|指标)\s*[0-9]+\s*[:：]\s*")
_IGNORED = re.compile(r"[0-9\s,.;:()、，。；：（）“”《》\-]")


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 once it is certainly above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _names(doc: ReportText, facts: Sequence[FormFacts]) -> dict[str, bool]:
    """name -> whether a workbook has it."""
    names: dict[str, bool] = {}
    for text, _ in all_texts(facts):
        text = fold(_PREFIX.sub("", text.strip()))
        for title in _TITLE.findall(text):
            names[title] = True
        if _MIN <= len(text) <= _MAX and "\n" not in text:
            names[text] = True
    for match in _INDICATOR.finditer(doc.folded):
        names.setdefault(match.group(1).strip(), False)
    for match in _TITLE.finditer(doc.folded):
        names.setdefault(match.group(1), False)
    return {n: w for n, w in names.items() if _MIN <= len(n) <= _MAX}


def _real_difference(a: str, b: str) -> bool:
    return _IGNORED.sub("", a) != _IGNORED.sub("", b)


def _variants(text: str, name: str) -> Iterator[tuple[int, str]]:
    limit = 2
    for anchor_at_start in (True, False):
        anchor = name[:_ANCHOR] if anchor_at_start else name[-_ANCHOR:]
        start = text.find(anchor)
        while start >= 0:
            for length in range(len(name) - limit, len(name) + limit + 1):
                begin = start if anchor_at_start else start + _ANCHOR - length
                if begin < 0 or begin + length > len(text):
                    continue
                piece = text[begin : begin + length]
                if piece[:2] != name[:2] or piece[-2:] != name[-2:] or "\n" in piece or "\t" in piece:
                    continue
                if piece != name and _real_difference(piece, name) and _distance(piece, name, limit) <= limit:
                    yield begin, piece
            start = text.find(anchor, start + 1)


def variants(doc: ReportText, facts: Sequence[FormFacts], unit: str = "") -> Iterator[Finding]:
    """The unit's own name is left to TEXT_OTHER_UNIT; a variant is reported once however many names it resembles."""
    names = {n: w for n, w in _names(doc, facts).items() if n != fold(unit)}
    text = doc.folded
    workbook_texts = [fold(t) for t, _ in all_texts(facts)]
    reported: list[tuple[int, int]] = []
    for name, in_workbook in names.items():
        for begin, piece in _variants(text, name):
            if any(begin < end and start < begin + len(piece) for start, end in reported):
                continue
            ours = text.count(name) + sum(t.count(name) for t in workbook_texts)
            theirs = text.count(piece) + sum(t.count(piece) for t in workbook_texts)
            if theirs > ours or (theirs == ours and not in_workbook):
                continue
            reported.append((begin, begin + len(piece)))
            where = "工作簿和报告其他处" if in_workbook else "报告其他处"
            message = f"“{doc.raw[begin : begin + len(piece)]}”与{where}的“{name}”写法不同"
            yield doc.finding("TEXT_NAME_VARIANT", begin, message, f"核对后统一为“{name}”或另一种写法")
