"""Wording copied from the rules: another unit's name, another level's words, stale years inside rule text.

- TEXT_OTHER_UNIT   another unit of the same county and type named where this unit belongs ("遂溪县港口镇人民政府" in a
                    filing of "遂溪县港门镇人民政府");
- TEXT_LEVEL_WORDS  rule or form wording of another level ("市委市政府", "市级部门预算单位" in a county/town filing);
- TEXT_YEAR         years inside rule text that do not follow the evaluation year ("提前于2021年11月底前" for 2023).

Level words and year contexts are derived from the rule pack and the other packs of its family (a report carries the
整体 and the 项目 forms together), never listed here. The choices made to avoid false alarms:

- A word of another level is searched on its own only when it is at least 4 characters long, is not an enumeration
  (no "、", "和", brackets: "中央、省", "县（市、区）" are lists of levels) and appears nowhere in this level's own
  rendered texts ("市委市政府" is part of the county's "中央、省委省政府、市委市政府和县委县政府"). Every other word is
  searched only inside short phrases cut from the rendered templates ("符合市委市政府的方针", "市人大批复的",
  "下达县（市、区）"), and a phrase that also occurs in this level's own texts is dropped. A bare "市委" in "按照省委、
  市委、县委工作要求" is therefore never flagged.
- A year is checked only in a context of at least three characters other than 年月日 taken from its template
  ("按要求提前于____年", "____年省、市财政", "截至____年12月底仍"); "（2022年）", "截至2021年" and
  "2022年11月底前" alone are too common in prose to check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from xl_perf.findings import Finding
from xl_perf.rules.model import RulePack
from xl_perf.validate.report.templates import YEAR_OFFSETS, render, split_template, templates, text_after, text_before
from xl_perf.validate.report.text import ReportText, fold, quote, widen

# --- TEXT_LEVEL_WORDS ---------------------------------------------------------------------------------------------

_ENUMERATION = set("、和及与,()/")  # a value holding one of these lists levels; search it only inside phrases
_BARE_MIN = 4  # a word searched on its own has at least this many characters
_PHRASE_MIN = 5  # a phrase cut from a template has at least this many characters...
_PHRASE_CONTEXT = 6  # ...with the word padded by context up to this length (at least 3 characters of context)


@dataclass(frozen=True)
class _Term:
    pattern: str  # folded
    level: str  # the level whose wording this is
    word_at: int  # offset of the level word inside the pattern
    word: str  # the level word, folded
    replacement: str | None  # this document's word for it


@dataclass
class _Hit:
    start: int
    end: int
    levels: set[str]
    replacements: list[tuple[int, int, str | None]]


def _level_terms(packs: list[RulePack], level: str, year: int) -> list[_Term]:
    terms: dict[tuple[str, int], _Term] = {}
    for pack in packs:
        if level not in pack.levels:
            continue
        own = pack.levels[level]
        own_corpus = "\n".join(
            [render(t, own, year).text for p in packs if level in p.levels for t in templates(p)]
            + [fold(v) for v in own.values()]
        )
        pack_texts = templates(pack)
        for other, words in pack.levels.items():
            if words == own:
                continue
            for key, value in words.items():
                folded = fold(value)
                if (
                    value != own.get(key)
                    and len(folded) >= _BARE_MIN
                    and not _ENUMERATION & set(folded)
                    and folded not in own_corpus
                ):
                    terms.setdefault((folded, 0), _Term(folded, other, 0, folded, own.get(key)))
            for template in pack_texts:
                rendered = render(template, words, year)
                for start, end, key in rendered.spans:
                    word = rendered.text[start:end]
                    if not word or words[key] == own.get(key):
                        continue
                    size = max(3, _PHRASE_CONTEXT - len(word))
                    left = text_before(rendered.text, start, size)
                    right = text_after(rendered.text, end, size)
                    for pattern, at in ((left + word, len(left)), (word + right, 0)):
                        if len(pattern) - len(word) < 2 or len(pattern) < _PHRASE_MIN or pattern in own_corpus:
                            continue
                        terms.setdefault((pattern, at), _Term(pattern, other, at, word, own.get(key)))
    return list(terms.values())


def _find_all(haystack: str, needle: str) -> Iterator[int]:
    start = haystack.find(needle)
    while start >= 0:
        yield start
        start = haystack.find(needle, start + 1)


def level_words(doc: ReportText, level: str, year: int, packs: list[RulePack]) -> Iterator[Finding]:
    hits: list[_Hit] = []
    for term in _level_terms(packs, level, year):
        for start in _find_all(doc.folded, term.pattern):
            word_start = start + term.word_at
            replacement = (word_start, word_start + len(term.word), term.replacement)
            hits.append(_Hit(start, start + len(term.pattern), {term.level}, [replacement]))
    hits.sort(key=lambda h: (h.start, -h.end))
    merged: list[_Hit] = []
    for hit in hits:
        if merged and hit.start < merged[-1].end and doc.line_index(hit.start) == doc.line_index(merged[-1].start):
            last = merged[-1]
            last.end = max(last.end, hit.end)
            last.levels |= hit.levels
            last.replacements += hit.replacements
        else:
            merged.append(hit)
    for hit in merged:
        _trim(doc.raw, hit)
        hit.start, hit.end, cut_before, cut_after = widen(doc.raw, hit.start, hit.end)
        snippet = quote(doc.raw, hit.start, hit.end, cut_before, cut_after)
        fixed, pairs = _apply(doc.raw, hit)
        fixed = ("…" if cut_before else "") + fixed + ("…" if cut_after else "")
        levels = "、".join(f"{name}级" for name in sorted(hit.levels))
        words = "、".join(f"“{old}”" for old, _ in pairs)
        own = "、".join(f"“{new}”" for _, new in pairs if new is not None)
        message = f"“{snippet}”中的{words}是{levels}规则的用语"
        message += f"，本单位适用的规则写作{own}" if own else "，本单位适用的规则没有这一用语"
        fix = f"改为“{fixed}”" if all(new is not None for _, new in pairs) else "改为本级规则的用语"
        yield doc.finding("TEXT_LEVEL_WORDS", hit.start, message, fix)


def _is_word_char(char: str) -> bool:
    return char.isalnum()


def _trim(raw: str, hit: _Hit) -> None:
    """Drop punctuation at the ends of a hit's context (never a level word itself)."""
    first = min(start for start, _, _ in hit.replacements)
    last = max(end for _, end, _ in hit.replacements)
    while hit.start < first and not _is_word_char(raw[hit.start]):
        hit.start += 1
    while hit.end > last and not _is_word_char(raw[hit.end - 1]):
        hit.end -= 1


def _apply(raw: str, hit: _Hit) -> tuple[str, list[tuple[str, str | None]]]:
    """The snippet of `hit` with this level's words, and the (found, own) word pairs replaced."""
    chosen: list[tuple[int, int, str | None]] = []
    for start, end, new in sorted(hit.replacements, key=lambda r: (-(r[1] - r[0]), r[0])):
        if any(start < e and s < end for s, e, _ in chosen):
            continue
        chosen.append((start, end, new))
    chosen.sort()
    parts: list[str] = []
    pairs: list[tuple[str, str | None]] = []
    position = hit.start
    for start, end, new in chosen:
        parts.append(raw[position:start])
        parts.append(raw[start:end] if new is None else new)
        if (raw[start:end], new) not in pairs:
            pairs.append((raw[start:end], new))
        position = end
    parts.append(raw[position : hit.end])
    return "".join(parts), pairs


# --- TEXT_OTHER_UNIT ----------------------------------------------------------------------------------------------

# Unit types, longest first. A government of a town, township or sub-district is flagged wherever another one of the
# same county is named; other units (局, 委员会...) only where a unit's own name belongs ("单位：", "（公章）"),
# because reports name their county's organs ("遂溪县财政局", "遂溪县发展和改革局") all the time.
_GOVERNMENT_SUFFIXES = ("镇人民政府", "乡人民政府", "街道办事处", "镇政府", "乡政府")
_OTHER_SUFFIXES = (
    "人民政府",
    "委员会",
    "办公室",
    "管理局",
    "服务中心",
    "中心",
    "局",
    "院",
    "所",
    "站",
    "馆",
    "队",
    "会",
)
_NAME_CHAR = r"[\u4e00-\u9fff]"
_UNIT_LABEL_BEFORE = re.compile(r"(单位|公章|名称)\s*[)]?\s*[:]\s*$")
_UNIT_LABEL_AFTER = re.compile(r"^\s*[(]\s*公章")


def _split_unit(unit: str) -> tuple[str, str, str] | None:
    """(county part, own middle part, type suffix) of a unit name, or None when it has no county part or type."""
    unit = unit.strip()
    match = re.search(r"[县市区]", unit)
    if not match:
        return None
    county = unit[: match.end()]
    for suffix in (*_GOVERNMENT_SUFFIXES, *_OTHER_SUFFIXES):
        if unit.endswith(suffix) and len(unit) > len(county) + len(suffix):
            return county, unit[len(county) : -len(suffix)], suffix
    return None


def other_units(doc: ReportText, unit: str) -> Iterator[Finding]:
    parts = _split_unit(unit)
    if parts is None:
        return
    county, middle, suffix = parts
    excluded = "县市区镇乡的" + suffix[0]
    name = f"[^\\s{re.escape(excluded)}\\W\\d_a-zA-Z]"
    if not re.fullmatch(f"{name}+", middle):
        name = _NAME_CHAR
    pattern = re.compile(f"{re.escape(county)}({name}{{1,{max(len(middle) + 3, 6)}}}?){re.escape(suffix)}")
    everywhere = suffix in _GOVERNMENT_SUFFIXES
    own = unit.strip()
    for match in pattern.finditer(doc.raw):
        found = match.group(0)
        if found == own or match.group(1) == middle:
            continue
        if not everywhere:
            line_start, line_end = doc.line_span(match.start())
            before = doc.folded[line_start : match.start()]
            after = doc.folded[match.end() : line_end]
            if not (_UNIT_LABEL_BEFORE.search(before) or _UNIT_LABEL_AFTER.match(after)):
                continue
        message = f"出现其他单位的名称“{found}”，本报告的单位是“{own}”"
        yield doc.finding("TEXT_OTHER_UNIT", match.start(), message, f"将“{found}”改为“{own}”")


# --- TEXT_YEAR ----------------------------------------------------------------------------------------------------

_YEAR_CONTEXT = 6
_YEAR_DISTINCTIVE = 3  # a year is checked only with this many characters of its template around it, other than 年月日
_PLAIN = set("年月日")


def _distinctive(context: str) -> int:
    return sum(1 for c in context if "\u4e00" <= c <= "\u9fff" and c not in _PLAIN)


def _year_patterns(packs: list[RulePack], level: str, year: int) -> dict[str, tuple[set[int], str]]:
    """Regex -> (accepted year offsets, the template's wording around the year) from every year placeholder."""
    patterns: dict[str, tuple[set[int], str]] = {}
    for pack in packs:
        words = pack.levels.get(level, {})
        for template in templates(pack):
            pieces = split_template(template)
            for index, (_, name) in enumerate(pieces):
                if name not in YEAR_OFFSETS:
                    continue
                left = right = ""
                if index > 0 and pieces[index - 1][1] is None:
                    left = text_before(fold(pieces[index - 1][0]), len(pieces[index - 1][0]), _YEAR_CONTEXT)
                if index + 1 < len(pieces) and pieces[index + 1][1] is None:
                    right = text_after(fold(pieces[index + 1][0]), 0, _YEAR_CONTEXT)
                variants: list[tuple[str, str]] = []
                if _distinctive(left + right) >= _YEAR_DISTINCTIVE:
                    variants.append((left, right))
                if _distinctive(right) >= _YEAR_DISTINCTIVE:
                    variants.append(("", right))
                if _distinctive(left) >= _YEAR_DISTINCTIVE and right:
                    variants.append((left, right[:1]))
                shown = render(template, words, year).text if words else template
                for before, after in variants:
                    regex = f"{re.escape(before)}[ \\t]*(?<![0-9])([0-9]{{4}})(?![0-9])[ \\t]*{re.escape(after)}"
                    offsets, wording = patterns.setdefault(regex, (set(), ""))
                    offsets.add(YEAR_OFFSETS[name])
                    if not wording:
                        patterns[regex] = (offsets, _excerpt(shown, before, after, str(year + YEAR_OFFSETS[name])))
    return patterns


def _excerpt(rendered: str, before: str, after: str, value: str) -> str:
    probe = before + value + after
    at = rendered.find(probe)
    return probe if at < 0 else rendered[at : at + len(probe)]


def years(doc: ReportText, level: str, year: int, packs: list[RulePack]) -> Iterator[Finding]:
    found: dict[int, tuple[int, int, set[int], str]] = {}  # year position -> (match start, end, offsets, wording)
    for regex, (offsets, wording) in _year_patterns(packs, level, year).items():
        for match in re.finditer(regex, doc.folded):
            start, end, known, shown = found.get(match.start(1), (match.start(), match.end(), set(), wording))
            found[match.start(1)] = (min(start, match.start()), max(end, match.end()), known | offsets, shown)
    for position, (start, end, offsets, wording) in sorted(found.items()):
        stated = int(doc.folded[position : position + 4])
        expected = sorted(year + offset for offset in offsets)
        if stated in expected:
            continue
        while start < position and doc.raw[start].isspace():
            start += 1
        while end > position + 4 and doc.raw[end - 1].isspace():
            end -= 1
        start, end, cut_before, cut_after = widen(doc.raw, start, end)
        snippet = quote(doc.raw, start, end, cut_before, cut_after)
        wanted = "或".join(str(y) for y in expected)
        message = f"“{snippet}”中的年份{stated}与评价年度{year}年不符，规则原文应为“{wording}”"
        fixed = doc.raw[start:position] + str(expected[0]) + doc.raw[position + 4 : end]
        fixed = ("…" if cut_before else "") + fixed + ("…" if cut_after else "")
        fix = f"改为“{fixed}”" if len(expected) == 1 else f"年份改为{wanted}"
        yield doc.finding("TEXT_YEAR", position, message, fix)
