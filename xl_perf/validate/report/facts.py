"""What the workbooks of the unit say, for the report checks that compare the prose with the tables.

Built from the engine's evaluations (the same path `score` and `check` use), never from numbers typed into the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from xl_perf.model.document import Document
from xl_perf.model.evaluation import Evaluation

_INDICATOR_PREFIX = ("指标",)
_NUMBERED = re.compile(r"^指标\s*[0-9０-９]+\s*[：:、.]\s*")


@dataclass(frozen=True)
class FormFacts:
    kind: str  # the pack's kind: "zhengti" (部门整体) or "xiangmu" (项目支出)
    source: str  # file name, for messages
    total: Decimal
    grade: str
    stated_total: Decimal | None
    rates: dict[str, Decimal] = field(default_factory=dict)  # rate name -> exact value (a fraction)
    texts: tuple[str, ...] = ()  # the unit's own words in the form: names, titles, document numbers
    amounts: dict[str, tuple[Decimal, str]] = field(default_factory=dict)  # label -> (value, unit: 万元, 个, 人次…)
    # indicator name -> every (score the engine computed, score the form states) under that name
    scores: dict[str, tuple[tuple[Decimal, Decimal | None], ...]] = field(default_factory=dict)


def form_facts(evaluation: Evaluation, source: str) -> FormFacts:
    doc = evaluation.document
    rates = {r.name: r.exact for r in evaluation.rates.values() if r.exact is not None and r.status == "ok"}
    texts: list[str] = [v for v in doc.fields.values() if isinstance(v, str) and v.strip()]
    for rows in doc.tables.values():
        texts += [row.label for row in rows if row.label]
    for row in doc.rows:
        if row.levels:
            texts.append(row.levels[-1])
    return FormFacts(
        doc.pack.kind,
        source,
        evaluation.total,
        evaluation.grade,
        evaluation.stated_total,
        rates,
        tuple(texts),
        _amounts(doc),
        _scores(evaluation),
    )


def _scores(evaluation: Evaluation) -> dict[str, tuple[tuple[Decimal, Decimal | None], ...]]:
    """The engine's score of every indicator and indicator row, under its name and the last level of its path (a
    report says "预算执行率得分5分" or "项目验收结果指标得8分", without the row's "指标1："); names under three
    characters say too little."""
    found: dict[str, list[tuple[Decimal, Decimal | None]]] = {}
    for result in (*evaluation.indicators, *evaluation.rows):
        names = {result.name.strip(), *(p.strip() for p in result.path[-1:])}
        names |= {_NUMBERED.sub("", name) for name in names}  # "指标1：项目验收结果" is "项目验收结果" in prose
        for name in names:
            if len(name) >= 3:
                found.setdefault(name, []).append((result.score, result.stated_score))
    return {name: tuple(items) for name, items in found.items()}


def _amounts(doc: Document) -> dict[str, tuple[Decimal, str]]:
    """Amounts and counts of the form under labels that name one field only ("固定资产总额（原值）", not the two
    "预算安排数" of 三公 and 公用经费), at least four characters long."""
    found: dict[str, list[tuple[Decimal, str]]] = {}
    for section in doc.pack.sections:
        for spec in section.fields:
            label = doc.text(spec.label)
            value = doc.fields.get(spec.id)
            if spec.type in ("amount", "count") and spec.unit and len(label) >= 4:
                entry = (value, spec.unit) if isinstance(value, Decimal) else None
                found.setdefault(label, []).append(entry)  # type: ignore[arg-type]
    return {label: items[0] for label, items in found.items() if len(items) == 1 and items[0] is not None}


def all_texts(facts: Iterable[FormFacts]) -> list[tuple[str, str]]:
    """(text, file) of every form."""
    return [(text, form.source) for form in facts for text in form.texts]
