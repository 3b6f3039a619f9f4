"""The report checks together: one call for a report's text (from .txt, .docx or PDF) and the unit's workbooks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from xl_perf.findings import Finding
from xl_perf.rules.model import RulePack
from xl_perf.validate.report import amounts, attachments, dates, doc_numbers, figures, names, places, wording
from xl_perf.validate.report.facts import FormFacts
from xl_perf.validate.report.templates import family
from xl_perf.validate.report.text import ReportText


def check_text(
    text: str,
    *,
    source: str,
    unit: str,
    year: int,
    level: str,
    pack: RulePack,
    facts: Sequence[FormFacts] = (),
) -> list[Finding]:
    """Findings on the text of a self-evaluation report, located by line (and page, when the text has form feeds)."""
    return check_report(ReportText(text, source), unit=unit, year=year, level=level, pack=pack, facts=facts)


def check_report(
    doc: ReportText, *, unit: str, year: int, level: str, pack: RulePack, facts: Sequence[FormFacts] = ()
) -> list[Finding]:
    """Findings on a report, in reading order.

    `unit`, `year` and `level` are those of the filing (e.g. "遂溪县港门镇人民政府", 2022, "镇"); `pack` is the rule
    pack it is scored under. Level words and year contexts come from `pack` and the other packs of its family; `facts`
    are the unit's evaluated workbooks (figures, names and 文号 are compared with them).
    """
    packs = family(pack)
    findings: list[tuple[int, Finding]] = []

    def add(found: Iterable[Finding]) -> None:
        findings.extend((f.ref.row or 0, f) for f in found)

    add(wording.other_units(doc, unit))
    if level in pack.levels:
        add(wording.level_words(doc, level, year, packs))
    add(wording.years(doc, level, year, packs))
    add(amounts.shares(doc))
    add(amounts.rates(doc))
    add(figures.figures(doc, facts))
    add(figures.amounts(doc, facts))
    add(doc_numbers.conflicts(doc, facts))
    add(doc_numbers.formats(doc))
    add(places.places(doc, unit))
    add(names.variants(doc, facts, unit))
    add(dates.dates(doc, year))
    add(dates.urls(doc))
    add(attachments.attachments(doc))
    findings.sort(key=lambda item: item[0])
    return [f for _, f in findings]
