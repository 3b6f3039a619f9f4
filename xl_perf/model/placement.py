"""Which 一级指标 each indicator row belongs to, and what each group weighs (issue 17).

A pack declares weight systems as data ([[weight_systems]]). The rows' 一级指标 choose one; a row whose 一级指标
fits no group of it is never dropped: it goes to the group its name most resembles (a typo such as 效益指表), or,
with nothing close, to a group of its own ("未归类") that still counts; either way a ROW_UNPLACED finding names it.
When every row carries its own 分值 and they total the pack's total with the execution line, the form's 分值 are
the group weights.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from xl_perf.engine.quantities import Comparator, Quantity, ValueKind, parse_quantity
from xl_perf.findings import Finding, Ref
from xl_perf.model.document import IndicatorRow
from xl_perf.numbers import format_number
from xl_perf.rules import model
from xl_perf.rules.view import loose_level_name

UNPLACED = "未归类指标"
_POINTS = re.compile(r"[（(]\s*\d+(\.\d+)?\s*分\s*[）)]$")


def group_key(name: str) -> str:
    """A 一级指标 as compared: no spaces, no printed "（10分）", no "指标" suffix."""
    return loose_level_name(_POINTS.sub("", "".join(name.split())))


@dataclass
class Placement:
    system: model.WeightSystem
    weights: dict[str, Decimal]  # group name -> its weight for this filing
    rows: dict[str, list[IndicatorRow]]  # group name -> its rows, in form order
    from_form: bool
    findings: list[Finding] = field(default_factory=list)


def _keys(group: model.WeightGroup) -> set[str]:
    return {group_key(group.name), *(group_key(a) for a in group.aliases)}


def _choose(systems: tuple[model.WeightSystem, ...], names: set[str]) -> model.WeightSystem:
    """The system whose groups cover most of the rows' 一级指标 (the first, the pack's default, on a tie)."""

    def covered(system: model.WeightSystem) -> int:
        keys = set().union(*(_keys(g) for g in system.groups))
        return len(names & keys)

    return max(systems, key=lambda s: (covered(s), -systems.index(s)))


def place(
    rows: list[IndicatorRow], systems: tuple[model.WeightSystem, ...], declared: str | None, total: Decimal
) -> Placement:
    by_id = {s.id: s for s in systems}
    names = {group_key(r.levels[0]) for r in rows if r.levels and r.levels[0].strip()}
    system = by_id[declared] if declared is not None and declared in by_id else _choose(systems, names)
    lookup = {key: g.name for g in system.groups for key in _keys(g)}
    spellings = {spelling: g.name for g in system.groups for spelling in (g.name, *g.aliases)}
    placed: dict[str, list[IndicatorRow]] = {g.name: [] for g in system.groups}
    findings: list[Finding] = []
    for row in rows:
        level1 = row.levels[0].strip() if row.levels else ""
        group = lookup.get(group_key(level1)) if level1 else None
        if group is None:
            group = _unplaced(row, level1, spellings, system, findings)
        placed.setdefault(group, []).append(row)
    weights = {g.name: g.weight for g in system.groups}
    from_form = bool(rows) and all(r.weight is not None for r in rows)
    if from_form:
        form = {
            name: sum((r.weight or Decimal(0) for r in group_rows), Decimal(0)) for name, group_rows in placed.items()
        }
        from_form = system.execution + sum(form.values(), Decimal(0)) == total
        if from_form:
            weights = form
    if UNPLACED in placed and not from_form:
        weights[UNPLACED] = sum((r.weight or Decimal(0) for r in placed[UNPLACED]), Decimal(0))
    return Placement(system, weights, placed, from_form, findings)


def _unplaced(
    row: IndicatorRow,
    level1: str,
    spellings: dict[str, str],
    system: model.WeightSystem,
    findings: list[Finding],
) -> str:
    name = row.levels[-1] or f"第{row.index + 1}行"
    known = "、".join(g.name for g in system.groups)
    close = difflib.get_close_matches("".join(level1.split()), list(spellings), n=1, cutoff=0.6) if level1 else []
    weight = "" if row.weight is None else f"（{format_number(row.weight)}分）"
    if close:
        group = spellings[close[0]]
        message = f"{name}{weight}：一级指标“{level1}”不是本表的一级指标（{known}），疑为“{group}”，已按“{group}”计分"
        findings.append(Finding("error", "ROW_UNPLACED", message, Ref("row", row=row.index), f"改为“{group}”"))
        return group
    said = f"一级指标“{level1}”不是本表的一级指标" if level1 else "未填写一级指标"
    # Without a 分值 of its own the row brings no points to the 未归类 group: say so rather than "计入总分".
    counted = f"单列为“{UNPLACED}”计入总分" if row.weight else "该行没有分值，未计入总分"
    message = f"{name}{weight}：{said}（{known}），无法归入任何一级指标，{counted}"
    findings.append(
        Finding("error", "ROW_UNPLACED", message, Ref("row", row=row.index), f"填写一级指标（{known}之一）")
    )
    return UNPLACED


def in_play(pack: model.RulePack, placed: Placement) -> tuple[list[model.Indicator], dict[str, str]]:
    """The indicators scored under `placed`: the pack's, less the rows indicators its system does not use (and the
    execution line when the rate is one of the rows), plus one for each group only of the form's rows; and the
    group of each rows indicator."""
    system = placed.system
    by_indicator = {g.indicator: g.name for g in system.groups if g.indicator is not None}
    extra = [name for name in placed.rows if name not in by_indicator.values()]
    indicators: list[model.Indicator] = []
    group_of: dict[str, str] = {}
    for indicator in pack.indicators:
        if isinstance(indicator.rule, model.RowsRule):
            for name in extra:  # the system's own groups (决策, 过程) and 未归类, before the pack's rows indicators
                rule = model.RowsRule(1, (name,))
                indicators.append(model.Indicator(f"rows:{name}", (name,), placed.weights[name], rule))
                group_of[f"rows:{name}"] = name
            extra = []
            if indicator.id not in by_indicator:
                continue
            group_of[indicator.id] = by_indicator[indicator.id]
        elif indicator.id == pack.execution_indicator and system.execution == 0:
            continue
        indicators.append(indicator)
    return indicators, group_of


_SIGNS = {"正向": "≥", "反向": "≤", "等于": "="}
_DIRECTION_OF = {
    Comparator.GE: "正向",
    Comparator.GT: "正向",
    Comparator.LE: "反向",
    Comparator.LT: "反向",
    Comparator.EQ: "等于",
}
_LEADING_SIGN = re.compile(r"^\s*(≥|≤|>=|<=|=>|=<|＞＝|＜＝|>|<|＞|＜|=|＝|≧|≦|⩾|⩽)\s*")


def natured_target(row: IndicatorRow) -> tuple[str, str | None]:
    """The row's target with the comparator its 指标性质 gives (which wins over one typed into the target), and the
    conflict to report when the two disagree."""
    target = row.target
    sign = _SIGNS.get(row.nature)
    parsed = parse_quantity(target) if sign and target.strip() else None
    if sign is None or not isinstance(parsed, Quantity) or parsed.kind not in (ValueKind.NUMBER, ValueKind.DATE):
        return target, None
    typed = _DIRECTION_OF.get(parsed.comparator) if parsed.comparator is not None else None
    if typed == row.nature:
        return target, None
    bare = _LEADING_SIGN.sub("", target)
    if typed is None:
        return f"{sign}{bare}", None
    return f"{sign}{bare}", f"指标性质为“{row.nature}”，而指标值“{target}”写的是{typed}，已按{row.nature}计分"


def directed_target(row: IndicatorRow, reverse_names: tuple[str, ...]) -> str:
    """The row's target with the direction its name implies when the target states none: a 控制率 or 结余率 typed
    as printed ("2%") is 反向 (at most), as the pack declares."""
    target = row.target
    if row.nature:
        return target
    name = "".join((row.levels[-1] if row.levels else "").split())
    if not reverse_names or not name.endswith(reverse_names):
        return target
    parsed = parse_quantity(target)
    if isinstance(parsed, Quantity) and parsed.kind == ValueKind.NUMBER and parsed.comparator is None:
        return f"≤{target.strip()}"
    return target


def unmatched(rows: list[IndicatorRow], pack: model.RulePack) -> list[Finding]:
    """Under the pack's fixed weights (no weight system chosen): the rows no rows indicator takes, each reported at
    its row. They count nowhere, as in the template's own formulas; the finding keeps them from vanishing."""
    names = [
        m for i in pack.indicators if isinstance(i.rule, model.RowsRule) and i.rule.level == 1 for m in i.rule.match
    ]
    if not names:
        return []
    wanted = {loose_level_name(n) for n in names}
    findings = []
    for row in rows:
        level1 = row.levels[0].strip() if row.levels else ""
        if level1 and loose_level_name(level1) in wanted:
            continue
        name = row.levels[-1] or f"第{row.index + 1}行"
        weight = "" if row.weight is None else f"{format_number(row.weight)}分"
        said = f"一级指标“{level1}”不是本表的一级指标" if level1 else "未填写一级指标"
        close = difflib.get_close_matches("".join(level1.split()), names, n=1, cutoff=0.6) if level1 else []
        hint = f"，疑为“{close[0]}”" if close else ""
        message = f"{name}：{said}（{'、'.join(names)}）{hint}，该行{weight}未计入总分"
        fix = f"改为“{close[0]}”" if close else f"填写一级指标（{'、'.join(names)}之一）"
        findings.append(Finding("error", "ROW_UNPLACED", message, Ref("row", row=row.index), fix))
    return findings
