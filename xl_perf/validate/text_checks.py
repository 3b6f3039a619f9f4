"""Checks of a self-evaluation REPORT's text (自评报告, the text extracted from its Word or PDF file).

The report copies the official rule and form texts and states figures in prose. `check_text` looks for:

- TEXT_OTHER_UNIT   another unit of the same county and type named where this unit belongs ("遂溪县港口镇人民政府" in a
                    filing of "遂溪县港门镇人民政府");
- TEXT_LEVEL_WORDS  rule or form wording of another level ("市委市政府", "市级部门预算单位" in a county/town filing);
- TEXT_YEAR         years inside rule text that do not follow the evaluation year ("提前于2021年11月底前" for 2023);
- TEXT_SHARE        a stated share that the stated amounts do not give ("60000 元，占总支出的 0.11%" of 60730945.24 元);
- TEXT_SHARE_SUM    the shares of one breakdown not adding up to 100%;
- TEXT_RATE         "预算执行率 84.78%" where the same sentence states the budget and executed amounts.

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
- A share is checked against the total announced with "其中" before it in the same paragraph. The shares of a
  breakdown of two or more items must add up to 100% within one unit of their last decimal per item (±0.01% × count
  for shares given to two decimals); a breakdown that lists only some items is reported too (a warning), with the gap
  between the item amounts and the total.
- A rate is checked only when its sentence states one executed amount and budget amounts that can be added (no
  "其中", no adjusted/total budget beside other budget amounts, no amount of unknown kind).
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from xl_perf.errors import Location, XlPerfError
from xl_perf.findings import Finding, Ref, Severity
from xl_perf.rules import loader
from xl_perf.rules.model import RulePack
from xl_perf.validate.catalogue import spec

__all__ = ["check_text"]

_DEFAULT_SEVERITY: dict[str, Severity] = {
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

YEAR_OFFSETS = {"year": 0, "year_prev": -1, "year_next": 1}
_FORMATTER = string.Formatter()
_BARRIER = "\x00"  # stands for an unknown placeholder ("项目{n}") in a rendered template; context never crosses it


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _severity(code: str) -> Severity:
    try:
        severity = spec(code).severity
    except (KeyError, OSError, ValueError):
        return _DEFAULT_SEVERITY[code]
    return severity if severity in ("error", "warning", "info") else _DEFAULT_SEVERITY[code]  # type: ignore[return-value]


# --- positions ---------------------------------------------------------------------------------------------------


class _Text:
    """The text, its folded form for matching, and position -> line (and page, when it has form feeds)."""

    def __init__(self, text: str, source: str) -> None:
        self.raw = text
        self.folded = _fold(text)
        self.source = source
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
        line = self.line_index(pos)
        if not self.paged:
            return f"第{line + 1}行"
        page = bisect.bisect_right(self.page_starts, pos) - 1
        return f"第{page + 1}页第{line - self.page_first_line[page] + 1}行"

    def line_span(self, pos: int) -> tuple[int, int]:
        line = self.line_index(pos)
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.raw)
        return start, end

    def finding(self, code: str, pos: int, message: str, fix: str) -> Finding:
        return Finding(
            _severity(code),
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


# Where a quotation may begin or end: Chinese has no spaces between words, so clauses are cut at punctuation.
_BOUNDARY = frozenset("，。；、：！？,.;:!?（）()“”\"'‘’《》【】[] \t\r\n\f\u3000")
_WIDEN = 30  # at most this many characters are added on each side to reach a boundary


def _is_boundary(char: str) -> bool:
    return char in _BOUNDARY


def _widen(raw: str, start: int, end: int, limit: int = _WIDEN) -> tuple[int, int, bool, bool]:
    """Extend raw[start:end] to the clause boundaries around it (punctuation, spaces, line ends), by at most `limit`
    characters each way; returns (start, end, cut before, cut after) — cut when no boundary was that near."""
    low = start
    while low > 0 and start - low < limit and not _is_boundary(raw[low - 1]):
        low -= 1
    high = end
    while high < len(raw) and high - end < limit and not _is_boundary(raw[high]):
        high += 1
    return low, high, low > 0 and not _is_boundary(raw[low - 1]), high < len(raw) and not _is_boundary(raw[high])


def _quote(raw: str, start: int, end: int, cut_before: bool, cut_after: bool) -> str:
    return ("…" if cut_before else "") + raw[start:end] + ("…" if cut_after else "")


def _short(text: str, limit: int = 60) -> str:
    """At most `limit` characters, cut after a clause boundary where one is near the end, marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    boundary = max((i + 1 for i in range(limit // 2, cut) if _is_boundary(text[i])), default=None)
    return text[: boundary if boundary is not None else cut].rstrip() + "…"


# --- templates of the rule packs ----------------------------------------------------------------------------------


def _family(pack: RulePack) -> list[RulePack]:
    packs = [pack]
    try:
        names = loader.available()
    except (OSError, XlPerfError):
        return packs
    for name in names:
        if name == pack.id:
            continue
        try:
            other = loader.load(name)
        except (OSError, XlPerfError):
            continue
        if other.family == pack.family:
            packs.append(other)
    return packs


def _rule_texts(rule: object) -> Iterator[str]:
    """Official wording inside a scoring rule: checklist items, choice labels, part names (not xl-perf's own notes)."""
    kind = getattr(rule, "kind", "")
    if kind == "checklist":
        for item in getattr(rule, "items", ()):
            yield item.text
    elif kind == "choice":
        for label, _ in getattr(rule, "options", ()):
            yield label
    elif kind == "sum":
        for part in getattr(rule, "parts", ()):
            yield part.name
            yield from _rule_texts(part.rule)


def _templates(pack: RulePack, level: str | None = None) -> list[str]:
    """The official texts of a pack (titles, labels, options, footnotes, indicator texts), as templates.

    With `level`, table rows meant for other levels only are left out.
    """
    texts: list[str] = [pack.title, pack.note]
    for sheet in pack.sheets:
        texts += [sheet.title, sheet.subtitle, sheet.unit_note]
    for section in pack.sections:
        texts.append(section.label)
        for field_spec in section.fields:
            texts.append(field_spec.label)
            texts += list(field_spec.options)
    for table in pack.tables:
        texts += [table.label, table.row_header, table.unit, *table.footnotes]
        for column in table.columns:
            texts += list(column.path)
        for row in table.rows:
            if level is None or not row.levels or level in row.levels:
                texts.append(row.label)
    for rate in pack.rates.values():
        texts.append(rate.name)
    for group in pack.groups:
        texts += list(group.path)
    for indicator in pack.indicators:
        texts += [*indicator.path, indicator.explain, indicator.criteria]
        texts += list(_rule_texts(indicator.rule))
    return [t for t in texts if isinstance(t, str) and t]


def _pieces(template: str) -> list[tuple[str, str | None]]:
    """(literal, None) and ("", placeholder name) pieces of a template, in order."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        return [(template, None)]
    pieces: list[tuple[str, str | None]] = []
    for literal, name, _, _ in parsed:
        if literal:
            pieces.append((literal, None))
        if name is not None:
            pieces.append(("", name))
    return pieces


@dataclass(frozen=True)
class _Rendered:
    text: str  # folded
    spans: tuple[tuple[int, int, str], ...]  # (start, end, level-word key) of each level placeholder


def _render(template: str, words: Mapping[str, str], year: int) -> _Rendered:
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    length = 0
    for literal, name in _pieces(template):
        if name is None:
            value = _fold(literal)
        elif name in words:
            value = _fold(words[name])
            spans.append((length, length + len(value), name))
        elif name in YEAR_OFFSETS:
            value = str(year + YEAR_OFFSETS[name])
        else:
            value = _BARRIER
        parts.append(value)
        length += len(value)
    return _Rendered("".join(parts), tuple(spans))


_CUT = re.compile(r"[\s\x00]")


def _left(text: str, end: int, size: int) -> str:
    return _CUT.split(text[max(0, end - size) : end])[-1]


def _right(text: str, start: int, size: int) -> str:
    return _CUT.split(text[start : start + size])[0]


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
            [_render(t, own, year).text for p in packs if level in p.levels for t in _templates(p)]
            + [_fold(v) for v in own.values()]
        )
        templates = _templates(pack)
        for other, words in pack.levels.items():
            if words == own:
                continue
            for key, value in words.items():
                folded = _fold(value)
                if (
                    value != own.get(key)
                    and len(folded) >= _BARE_MIN
                    and not _ENUMERATION & set(folded)
                    and folded not in own_corpus
                ):
                    terms.setdefault((folded, 0), _Term(folded, other, 0, folded, own.get(key)))
            for template in templates:
                rendered = _render(template, words, year)
                for start, end, key in rendered.spans:
                    word = rendered.text[start:end]
                    if not word or words[key] == own.get(key):
                        continue
                    size = max(3, _PHRASE_CONTEXT - len(word))
                    left = _left(rendered.text, start, size)
                    right = _right(rendered.text, end, size)
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


def level_words(doc: _Text, level: str, year: int, packs: list[RulePack]) -> Iterator[Finding]:
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
        hit.start, hit.end, cut_before, cut_after = _widen(doc.raw, hit.start, hit.end)
        snippet = _quote(doc.raw, hit.start, hit.end, cut_before, cut_after)
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


def other_units(doc: _Text, unit: str) -> Iterator[Finding]:
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
        for template in _templates(pack):
            pieces = _pieces(template)
            for index, (_, name) in enumerate(pieces):
                if name not in YEAR_OFFSETS:
                    continue
                left = right = ""
                if index > 0 and pieces[index - 1][1] is None:
                    left = _left(_fold(pieces[index - 1][0]), len(pieces[index - 1][0]), _YEAR_CONTEXT)
                if index + 1 < len(pieces) and pieces[index + 1][1] is None:
                    right = _right(_fold(pieces[index + 1][0]), 0, _YEAR_CONTEXT)
                variants: list[tuple[str, str]] = []
                if _distinctive(left + right) >= _YEAR_DISTINCTIVE:
                    variants.append((left, right))
                if _distinctive(right) >= _YEAR_DISTINCTIVE:
                    variants.append(("", right))
                if _distinctive(left) >= _YEAR_DISTINCTIVE and right:
                    variants.append((left, right[:1]))
                shown = _render(template, words, year).text if words else template
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


def years(doc: _Text, level: str, year: int, packs: list[RulePack]) -> Iterator[Finding]:
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
        start, end, cut_before, cut_after = _widen(doc.raw, start, end)
        snippet = _quote(doc.raw, start, end, cut_before, cut_after)
        wanted = "或".join(str(y) for y in expected)
        message = f"“{snippet}”中的年份{stated}与评价年度{year}年不符，规则原文应为“{wording}”"
        fixed = doc.raw[start:position] + str(expected[0]) + doc.raw[position + 4 : end]
        fixed = ("…" if cut_before else "") + fixed + ("…" if cut_after else "")
        fix = f"改为“{fixed}”" if len(expected) == 1 else f"年份改为{wanted}"
        yield doc.finding("TEXT_YEAR", position, message, fix)


# --- TEXT_SHARE, TEXT_SHARE_SUM -----------------------------------------------------------------------------------

_NUMBER = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,20}(?:\.[0-9]{1,10})?"
_AMOUNT = rf"(?<![0-9.])(?<![0-9],)(?P<amount>{_NUMBER})\s*(?P<unit>万元|元)"
_SHARE = re.compile(
    _AMOUNT + r"\s*[,、]?\s*占(?P<kind>总收入|总支出|收入总额|支出总额|全部收入|全部支出|总额|比)?"
    r"(?:的)?(?:比例|比重)?(?:为|是)?\s*(?P<pct>[0-9]{1,3}(?:\.[0-9]{1,6})?)\s*%"
)
_TOTAL = re.compile(r"(?P<kind>收入|支出)[^0-9,;。:%]{0,6}?" + _AMOUNT + r"\s*[,;。]?\s*其中")
_LABEL_STOP = re.compile(r"[,;:。、]|其中")
_UNITS = {"元": Decimal(1), "万元": Decimal(10000)}


def _amount(text: str, unit: str) -> Decimal:
    return Decimal(text.replace(",", "")) * _UNITS[unit]


def _step(text: str, unit: str) -> Decimal:
    """The rounding unit of a stated amount, in 元."""
    return Decimal(1).scaleb(-_decimals(text)) * _UNITS[unit]


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _round(value: Decimal, decimals: int) -> Decimal | None:
    try:
        with localcontext() as context:
            context.prec = 60
            return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _show(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class _Share:
    start: int  # of the item's label
    end: int
    amount: Decimal
    step: Decimal
    pct: Decimal
    pct_text: str
    pct_start: int
    quote: str


@dataclass
class _Total:
    start: int
    kind: str
    amount: Decimal
    step: Decimal
    quote: str
    shares: list[_Share]


def _label_start(folded: str, floor: int, amount_start: int) -> int:
    start = floor
    for stop in _LABEL_STOP.finditer(folded, floor, amount_start):
        start = stop.end()
    while start < amount_start and folded[start].isspace():
        start += 1
    return start


def _breakdowns(doc: _Text) -> Iterator[_Total]:
    for start, end in doc.paragraphs():
        folded = doc.folded
        totals: list[_Total] = []
        for match in _TOTAL.finditer(folded, start, end):
            amount = _amount(match["amount"], match["unit"])
            quote = doc.raw[_label_start(folded, start, match.start()) : match.end("unit")]
            step = _step(match["amount"], match["unit"])
            totals.append(_Total(match.start(), match["kind"], amount, step, quote, []))
        if not totals:
            continue
        for match in _SHARE.finditer(folded, start, end):
            kind = match["kind"] or ""
            wanted = "收入" if "收入" in kind else "支出" if "支出" in kind else ""
            candidates = [t for t in totals if t.start < match.start() and (not wanted or t.kind == wanted)]
            if not candidates:
                continue
            label = _label_start(folded, start, match.start())
            candidates[-1].shares.append(
                _Share(
                    label,
                    match.end(),
                    _amount(match["amount"], match["unit"]),
                    _step(match["amount"], match["unit"]),
                    Decimal(match["pct"]),
                    match["pct"],
                    match.start("pct"),
                    doc.raw[label : match.end()],
                )
            )
        yield from (t for t in totals if t.shares)


def shares(doc: _Text) -> Iterator[Finding]:
    for total in _breakdowns(doc):
        if total.amount == 0:
            continue
        for share in total.shares:
            with localcontext() as context:
                context.prec = 60
                exact = share.amount / total.amount * 100
            expected = _round(exact, _decimals(share.pct_text))
            if expected is None or expected == share.pct:
                continue
            shown = _round(exact, 4)
            message = (
                f"“{share.quote}”：占比按金额计算为 {_show(share.amount)} ÷ {_show(total.amount)} = "
                f"{_show(shown) if shown is not None else exact}%，四舍五入应为 {expected}%，文中为 {share.pct_text}%"
                f"（总额见“{_short(total.quote)}”）"
            )
            yield doc.finding("TEXT_SHARE", share.pct_start, message, f"将 {share.pct_text}% 改为 {expected}%")
        if len(total.shares) < 2:
            continue
        stated = sum((s.pct for s in total.shares), Decimal(0))
        tolerance = sum((Decimal(1).scaleb(-_decimals(s.pct_text)) for s in total.shares), Decimal(0))
        if abs(stated - 100) <= tolerance:
            continue
        items = sum((s.amount for s in total.shares), Decimal(0))
        complete = abs(items - total.amount) <= total.step + sum((s.step for s in total.shares), Decimal(0))
        listed = " + ".join(f"{s.pct_text}%" for s in total.shares)
        message = (
            f"“{_short(total.quote)}”之下各项占比之和为 {listed} = {_show(stated)}%，"
            f"与 100% 相差超过 {_show(tolerance)}%（{len(total.shares)} 项的四舍五入误差）"
        )
        if not complete:
            message += f"；分项金额合计 {_show(items)} 元，与总额 {_show(total.amount)} 元不符，可能漏列了分项"
        yield doc.finding("TEXT_SHARE_SUM", total.start, message, "核对各项金额与占比，补全分项或改正占比")


# --- TEXT_RATE ----------------------------------------------------------------------------------------------------

_RATE = re.compile(r"(?:预算)?执行率(?:为|是|达到|达)?\s*(?P<pct>[0-9]{1,3}(?:\.[0-9]{1,6})?)\s*%")
_CLAUSE_AMOUNT = re.compile(_AMOUNT)
_CLAUSE_SPLIT = re.compile(r"(?<![0-9]),|,(?![0-9]{3}(?![0-9]))|[;:]")  # not the comma of "1,234.5"
_EXECUTED = re.compile(r"执行|实际支出|支出数|决算")
_BUDGET = re.compile(r"预算")
_BUDGET_WHOLE = re.compile(r"调整|调剂|追加|全年预算|合计|总计|共计|总额")


def _sentences(folded: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    position = start
    for stop in re.finditer(r"[。!?！？]", folded[start:end]):
        yield position, start + stop.end()
        position = start + stop.end()
    if position < end:
        yield position, end


def rates(doc: _Text) -> Iterator[Finding]:
    for paragraph_start, paragraph_end in doc.paragraphs():
        for start, end in _sentences(doc.folded, paragraph_start, paragraph_end):
            scope = start
            for rate in _RATE.finditer(doc.folded, start, end):
                finding = _rate_finding(doc, scope, rate)
                scope = rate.end()
                if finding is not None:
                    yield finding


def _rate_finding(doc: _Text, scope: int, rate: re.Match[str]) -> Finding | None:
    text = doc.folded[scope : rate.start()]
    if "其中" in text:
        return None
    executed: list[tuple[Decimal, str]] = []
    budgets: list[tuple[Decimal, str, str]] = []
    for clause in _CLAUSE_SPLIT.split(text):
        amounts = list(_CLAUSE_AMOUNT.finditer(clause))
        if not amounts:
            continue
        if len(amounts) > 1:
            return None
        amount = _amount(amounts[0]["amount"], amounts[0]["unit"])
        shown = amounts[0].group(0)
        if _EXECUTED.search(clause):
            executed.append((amount, shown))
        elif _BUDGET.search(clause):
            budgets.append((amount, shown, clause))
        else:
            return None
    if len(executed) != 1 or not budgets:
        return None
    if len(budgets) > 1 and any(_BUDGET_WHOLE.search(clause) for _, _, clause in budgets):
        return None
    budget = sum((b for b, _, _ in budgets), Decimal(0))
    if budget == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        exact = executed[0][0] / budget * 100
    expected = _round(exact, _decimals(rate["pct"]))
    if expected is None or expected == Decimal(rate["pct"]):
        return None
    parts = " + ".join(shown for _, shown, _ in budgets)
    quote = doc.raw[rate.start() : rate.end()]
    shown = _round(exact, 4)
    message = (
        f"“{quote}”与同句金额不符：{executed[0][1]} ÷ ({parts}) = {_show(exact if shown is None else shown)}%，"
        f"四舍五入应为 {expected}%"
    )
    return doc.finding("TEXT_RATE", rate.start("pct"), message, f"将 {rate['pct']}% 改为 {expected}%，或核对金额")


# --- entry point --------------------------------------------------------------------------------------------------


def check_text(text: str, *, source: str, unit: str, year: int, level: str, pack: RulePack) -> list[Finding]:
    """Findings on the text of a self-evaluation report, located by line (and page, when the text has form feeds).

    `unit`, `year` and `level` are those of the filing (e.g. "遂溪县港门镇人民政府", 2022, "镇"); `pack` is the rule
    pack it is scored under. Level words and year contexts come from `pack` and the other packs of its family.
    """
    doc = _Text(text, source)
    packs = _family(pack)
    findings: list[tuple[int, Finding]] = []

    def add(found: Iterable[Finding]) -> None:
        findings.extend((_order(f), f) for f in found)

    add(other_units(doc, unit))
    if level in pack.levels:
        add(level_words(doc, level, year, packs))
    add(years(doc, level, year, packs))
    add(shares(doc))
    add(rates(doc))
    findings.sort(key=lambda item: item[0])
    return [f for _, f in findings]


def _order(found: Finding) -> int:
    return found.ref.row or 0
