"""文号 (document numbers): one document cited with different numbers, and numbers not written as GB/T 9704 says.

- TEXT_DOC_NUMBER         the same document (《title》, titles equal up to a few characters) cited with different
                          文号 in the report, or in the report and the workbooks;
- TEXT_DOC_NUMBER_FORMAT  a 文号 whose year is not in 六角括号 〔〕, whose year is not four digits, whose serial number
                          has "第" or leading zeros, or that lacks "号" (GB/T 9704-2012 7.2.4 发文字号).

A token counts as a 文号 only with 〔〕 around a four-digit year, or with brackets around a year and "号" after the
number: "（2022年）" and "项目(2022)" are not 文号. Spaces inside ("〔2023〕2 号", from PDF text) are tolerated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from xl_perf.findings import Finding
from xl_perf.validate.report.facts import FormFacts, all_texts
from xl_perf.validate.report.text import ReportText

_HAN = "\u4e00-\u9fff"
_NUMBER = (
    rf"(?P<org>[{_HAN}]{{1,12}})\s*(?P<open>[〔\[【(［﹝{{]|\(\s*)\s*(?P<year>[0-9]{{2,4}})\s*"
    r"(?P<close>[〕\]】)］﹞}])\s*(?P<di>第)?\s*(?P<seq>[0-9]{1,5})\s*(?P<hao>号)?"
)
_TOKEN = re.compile(_NUMBER)
_CITED = re.compile(r"《(?P<title>[^《》\n]{4,80})》\s*[(]?\s*" + _NUMBER)
_SIMILAR = 0.9


def _is_doc_number(match: re.Match[str]) -> bool:
    six = match["open"] == "〔" and match["close"] == "〕" and len(match["year"]) == 4
    return six or (match["hao"] is not None and len(match["year"]) == 4)


def normal_number(match: re.Match[str]) -> str:
    return f"{match['org']}〔{match['year']}〕{int(match['seq'])}号"


def _shown(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class _Citation:
    title: str
    number: str  # normalised
    shown: str
    where: str  # a key in the report or a workbook's file name
    pos: int | None  # in the report; None for a workbook


def _citations(text: str, where: str, pos_base: int | None) -> Iterator[_Citation]:
    for match in _CITED.finditer(text):
        if not _is_doc_number(match):
            continue
        number_text = text[match.start("org") : match.end()]
        pos = None if pos_base is None else pos_base + match.start("org")
        yield _Citation(_shown(match["title"]), normal_number(match), _shown(number_text), where, pos)


def _same(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 8 and SequenceMatcher(None, a, b).ratio() >= _SIMILAR)


def conflicts(doc: ReportText, facts: Sequence[FormFacts]) -> Iterator[Finding]:
    cited = [
        _Citation(c.title, c.number, c.shown, doc.key(c.pos), c.pos)
        for c in _citations(doc.folded, "", 0)
        if c.pos is not None
    ]
    for text, source in all_texts(facts):
        cited += list(_citations(text.translate(str.maketrans("（）", "()")), f"工作簿 {source}", None))
    for citation in cited:
        if citation.pos is None:
            continue
        others = [c for c in cited if c.number != citation.number and _same(c.title, citation.title)]
        if not others:
            continue
        listed = "；".join(f"{c.where}写作“{c.shown}”" for c in _unique(others))
        excerpt = doc.raw[citation.pos : citation.pos + len(citation.shown) + 2].strip()
        message = f"《{citation.title}》在此处的文号为“{citation.shown}”，但{listed}"
        fix = "核对原文件，统一为正确的文号"
        if excerpt:
            yield doc.finding("TEXT_DOC_NUMBER", citation.pos, message, fix)


def _unique(citations: list[_Citation]) -> list[_Citation]:
    seen: set[tuple[str, str]] = set()
    result = []
    for c in citations:
        if (c.shown, c.where) not in seen:
            seen.add((c.shown, c.where))
            result.append(c)
    return result


def formats(doc: ReportText) -> Iterator[Finding]:
    for match in _TOKEN.finditer(doc.folded):
        six = match["open"] == "〔" and match["close"] == "〕"
        if not (six or match["hao"]):
            continue
        problems = []
        if not six:
            problems.append(f"年份应使用六角括号“〔〕”，文中为“{match['open'].strip()}{match['close']}”")
        if len(match["year"]) != 4:
            problems.append(f"年份应写全四位，文中为“{match['year']}”")
        if match["di"]:
            problems.append("序号前不加“第”字")
        if len(match["seq"]) > 1 and match["seq"].startswith("0"):
            problems.append(f"序号不编虚位（{match['seq']} 应为 {int(match['seq'])}）")
        if not match["hao"]:
            problems.append("序号后缺“号”字")
        if not problems:
            continue
        shown = _shown(doc.raw[match.start("org") : match.end()])
        year = match["year"] if len(match["year"]) == 4 else f"20{match['year'][-2:]}"
        fixed = f"{match['org']}〔{year}〕{int(match['seq'])}号"
        message = f"文号“{shown}”格式不规范：" + "；".join(problems)
        yield doc.finding("TEXT_DOC_NUMBER_FORMAT", match.start("org"), message, f"改为“{fixed}”")
