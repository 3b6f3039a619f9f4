"""TEXT_NUMBER: rates, total scores, grades and each indicator's score stated in the prose against what the engine
computes from the tables.

A report carries the 整体 and the 项目 reports one after the other; a figure is compared with the forms of the part
it stands in (the last "整体…自评报告" / "项目支出…自评报告" title before it), and with all forms when no title came
before. A figure that any such form gives (rounded half-up to the decimals the report shows) is quiet, except "100%"
for a rate below 100%: rounding does not make a task complete.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from xl_perf.findings import Finding
from xl_perf.validate.report.amounts import round_half_up, show
from xl_perf.validate.report.facts import FormFacts
from xl_perf.validate.report.text import ReportText, fold

_TITLE = re.compile(
    r"^[^\n,;:。]{0,40}?(?:(?P<xiangmu>项目支出)|(?P<zhengti>(?:部门)?整体(?:支出)?))绩效自评报告\s*$", re.M
)
_TOTAL = re.compile(
    r"(?:自评(?:总)?(?:分数|得分)|自评总分)(?:为|是|:)?\s*(?P<n>[0-9]{1,3}(?:\.[0-9]{1,2})?)(?![0-9.%])\s*分?"
    r"(?:\s*[,，]\s*(?:等级|评价等级)(?:为|是|:)?\s*(?P<g>优秀|优|良好|良|中|差))?"
)
_GRADES = {"优秀": "优", "良好": "良"}


def _parts(doc: ReportText) -> list[tuple[int, str]]:
    return [(m.start(), "xiangmu" if m["xiangmu"] else "zhengti") for m in _TITLE.finditer(doc.folded)]


def _forms_at(pos: int, parts: list[tuple[int, str]], facts: Sequence[FormFacts]) -> list[FormFacts]:
    kind = next((k for start, k in reversed(parts) if start < pos), None)
    chosen = [f for f in facts if kind is None or f.kind == kind]
    return chosen or list(facts)


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def figures(doc: ReportText, facts: Sequence[FormFacts]) -> Iterator[Finding]:
    if not facts:
        return
    parts = _parts(doc)
    yield from _totals(doc, parts, facts)
    yield from _indicator_scores(doc, parts, facts)
    names = sorted({name for form in facts for name in form.rates}, key=len, reverse=True)
    if not names:
        return
    pattern = re.compile(
        "(?P<name>" + "|".join(map(re.escape, names)) + r")(?:比率)?(?:为|是|达到|达|:)?\s*"
        r"(?P<pct>[0-9]{1,3}(?:\.[0-9]{1,4})?)\s*%"
    )
    for match in pattern.finditer(doc.folded):
        forms = [f for f in _forms_at(match.start(), parts, facts) if match["name"] in f.rates]
        if not forms:
            continue
        stated = Decimal(match["pct"])
        places = _decimals(match["pct"])
        exact_values = [f.rates[match["name"]] for f in forms]
        computed = [round_half_up(v * 100, places) for v in exact_values]
        # "100%" claims completeness: 99.65% rounded to whole percents is not 100% done
        if any(c == stated and not (stated == 100 and v < 1) for c, v in zip(computed, exact_values, strict=True)):
            continue
        exact = "、".join(f"{show(round_half_up(f.rates[match['name']] * 100, 2) or Decimal(0))}%" for f in forms)
        sources = "、".join(f.source for f in forms)
        excerpt = doc.excerpt(match.start(), match.end())
        message = f"“{excerpt}”与工作簿不符：按{sources}的数据计算，{match['name']}为 {exact}，文中为 {match['pct']}%"
        fix = f"改为 {exact}，或先改正工作簿中的数据"
        yield doc.finding("TEXT_NUMBER", match.start("pct"), message, fix)


def amounts(doc: ReportText, facts: Sequence[FormFacts]) -> Iterator[Finding]:
    """Amounts (万元 or 元) and counts written after a label of the forms ("在用固定资产总额（原值）621.520185万元")."""
    parts = _parts(doc)
    labels = sorted({fold(label) for form in facts for label in form.amounts}, key=len, reverse=True)
    if not labels:
        return
    pattern = re.compile(
        "(?P<label>" + "|".join(map(re.escape, labels)) + r")(?:为|是|:|共|合计|达)?\s*"
        r"(?P<n>[0-9]{1,12}(?:\.[0-9]{1,8})?)\s*(?P<unit>万元|元|人次|个|人|次|项)"
    )
    for match in pattern.finditer(doc.folded):
        forms = _forms_at(match.start(), parts, facts)
        known = [f.amounts[k] for f in forms for k in f.amounts if fold(k) == match["label"]]
        stated, unit = Decimal(match["n"]), match["unit"]
        comparable = []
        for value, field_unit in known:
            if field_unit == "万元" and unit in ("万元", "元"):
                comparable.append(value * 10000 if unit == "元" else value)
            elif field_unit == unit or (field_unit in ("个", "项") and unit in ("个", "项")):
                comparable.append(value)
        if not comparable or any(round_half_up(v, _decimals(match["n"])) == stated for v in comparable):
            continue
        shown = "、".join(f"{show(v)}{unit}" for v in comparable)
        excerpt = doc.excerpt(match.start(), match.end())
        message = f"“{excerpt}”与工作簿不符：工作簿中“{match['label']}”为 {shown}"
        yield doc.finding("TEXT_NUMBER", match.start("n"), message, f"核对后统一为 {shown}")


def _totals(doc: ReportText, parts: list[tuple[int, str]], facts: Sequence[FormFacts]) -> Iterator[Finding]:
    for match in _TOTAL.finditer(doc.folded):
        forms = _forms_at(match.start(), parts, facts)
        stated = Decimal(match["n"])
        places = _decimals(match["n"])
        grade = _GRADES.get(match["g"] or "", match["g"] or "")
        if any(round_half_up(f.total, places) == stated and (not grade or grade == f.grade) for f in forms):
            continue
        shown = "；".join(
            f"{f.source} 按规则计算的总分为 {show(f.total)} 分（{f.grade}）"
            + (f"，表中填报 {show(f.stated_total)} 分" if f.stated_total is not None else "")
            for f in forms
        )
        excerpt = doc.excerpt(match.start(), match.end())
        message = f"“{excerpt}”与工作簿不符：{shown}"
        fix = "先改正工作簿中的得分问题，再按计算的总分和等级改正报告"
        yield doc.finding("TEXT_NUMBER", match.start("n"), message, fix)


# "得分5分", "得4.5分", "得分为 4.93 分"; not "扣0.5分", "满分5分" nor "不得分"
_SCORE = re.compile(r"(?<![不获])得(?:分)?(?:为|是|:)?\s*(?P<n>[0-9]{1,3}(?:\.[0-9]{1,2})?)\s*分")
# Between an indicator's name and its score only the words that join them ("指标", "（5分）", "为98.5%，"), so that
# neither a scoring criterion ("≤10%的，得3分") nor a longer phrase holding the name ("完成自评材料报送工作得1分") is
# taken for a statement of the score.
_GAP = re.compile(
    r"\s*(?:指标)?\s*(?:[(（][^()（）]{0,12}[)）])?\s*(?:(?:为|是|达到|达|:)?\s*[0-9]{1,3}(?:\.[0-9]{1,4})?\s*%?)?"
    r"\s*[,，]?\s*(?:指标)?(?:自评)?"
)


def _indicator_scores(doc: ReportText, parts: list[tuple[int, str]], facts: Sequence[FormFacts]) -> Iterator[Finding]:
    """An indicator's score in the prose ("预算执行率得分5分") against the engine's score of that indicator."""
    names = sorted({name for form in facts for name in form.scores}, key=len, reverse=True)
    if not names:
        return
    name_pattern = re.compile("|".join(map(re.escape, names)))
    totals = [m.span() for m in _TOTAL.finditer(doc.folded)]
    for match in _SCORE.finditer(doc.folded):
        if any(start <= match.start() < end for start, end in totals):
            continue  # the total score: `_totals` compares it
        named = _name_before(doc.folded, match.start(), name_pattern)
        if named is None:
            continue
        name, name_start = named
        forms = [f for f in _forms_at(name_start, parts, facts) if name in f.scores]
        stated = Decimal(match["n"])
        pairs = [pair for f in forms for pair in f.scores[name]]
        # scores are kept to two places: "5分" for 4.93 is a wrong statement, not a rounding
        if not pairs or any(round_half_up(computed, 2) == stated for computed, _ in pairs):
            continue
        shown = "、".join(dict.fromkeys(f"{show(c)} 分" for c, _ in pairs))
        typed = [t for c, t in pairs if t is not None and t != c]
        sources = "、".join(f.source for f in forms)
        excerpt = doc.excerpt(name_start, match.end())
        message = (
            f"“{excerpt}”与工作簿不符：按{sources}的数据和评分规则，“{name}”得分为 {shown}，文中为 {match['n']} 分"
        )
        if typed:
            message += f"（表中填报 {'、'.join(show(t) for t in typed)} 分）"
        fix = f"改为 {shown}，或先改正工作簿中的数据和得分"
        yield doc.finding("TEXT_NUMBER", match.start("n"), message, fix)


def _name_before(text: str, score_at: int, names: re.Pattern[str]) -> tuple[str, int] | None:
    """The indicator name nearest before a score, if only a short stretch of the same clause lies between."""
    window_start = max(0, score_at - 80)
    best: tuple[str, int] | None = None
    for m in names.finditer(text, window_start, score_at):
        if _GAP.fullmatch(text, m.end(), score_at):
            best = (m.group(), m.start())
    return best
