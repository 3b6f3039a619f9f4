"""The official texts of a rule pack family, rendered for one level and year: what the wording checks compare with."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from xl_perf.errors import XlPerfError
from xl_perf.rules import loader
from xl_perf.rules.model import RulePack
from xl_perf.validate.report.text import fold

YEAR_OFFSETS = {"year": 0, "year_prev": -1, "year_next": 1}
_FORMATTER = string.Formatter()
BARRIER = "\x00"  # stands for an unknown placeholder ("项目{n}") in a rendered template; context never crosses it


def family(pack: RulePack) -> list[RulePack]:
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


def templates(pack: RulePack, level: str | None = None) -> list[str]:
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


def split_template(template: str) -> list[tuple[str, str | None]]:
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
class Rendered:
    text: str  # folded
    spans: tuple[tuple[int, int, str], ...]  # (start, end, level-word key) of each level placeholder


def render(template: str, words: Mapping[str, str], year: int) -> Rendered:
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    length = 0
    for literal, name in split_template(template):
        if name is None:
            value = fold(literal)
        elif name in words:
            value = fold(words[name])
            spans.append((length, length + len(value), name))
        elif name in YEAR_OFFSETS:
            value = str(year + YEAR_OFFSETS[name])
        else:
            value = BARRIER
        parts.append(value)
        length += len(value)
    return Rendered("".join(parts), tuple(spans))


_CUT = re.compile(r"[\s\x00]")


def text_before(text: str, end: int, size: int) -> str:
    return _CUT.split(text[max(0, end - size) : end])[-1]


def text_after(text: str, start: int, size: int) -> str:
    return _CUT.split(text[start : start + size])[0]
