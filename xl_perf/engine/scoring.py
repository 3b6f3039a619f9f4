"""Pure evaluation kernels: each rule kind scored on decimal inputs, and the rates computed from them.

A `Scope` holds the decimal inputs of one evaluation (values by field, cell and rate id) and how to word them; it
knows the rule pack but not the Document (the model's evaluator is a Scope that walks a Document). Each rule kind
registers its scorer in `SCORERS`; `score(rule, declared, weight, where, scope)` scores a rule written for its
`declared` weight at the `weight` it carries now.

Each rule yields an allowed score range. A rule that its inputs fully decide yields a single point; a rule that
needs the unit's judgement (酌情), or whose inputs are blank, yields a range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from xl_perf.numbers import clamp, format_number, format_percent, round_half_up, score2
from xl_perf.rules import model
from xl_perf.rules.expr import Expr, MissingInputs, Undefined
from xl_perf.rules.kinds import Registry
from xl_perf.rules.view import PackView

ZERO = Decimal(0)

# (rule, declared weight, weight, the indicator id, scope) -> Outcome; each takes its own rule class.
Scorer = Callable[..., "Outcome"]
SCORERS: Registry[Scorer] = Registry("decimal evaluation")


@dataclass
class Outcome:
    """What a rule says about one score: the allowed range, and why."""

    low: Decimal
    high: Decimal
    explanation: str
    value: Decimal | None = None
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: dict[str, Decimal | None] = field(default_factory=dict)  # sum rules: each part's own score

    @property
    def point(self) -> Decimal | None:
        return self.low if self.low == self.high else None

    def scaled(self, factor: Decimal) -> Outcome:
        if factor == 1:
            return self
        note = f"（分值调整，按比例折算 ×{format_number(round_half_up(factor, 4))}）"
        return Outcome(
            score2(self.low * factor),
            score2(self.high * factor),
            self.explanation + note,
            self.value,
            self.missing,
            self.warnings,
        )


@dataclass
class RateResult:
    id: str
    name: str
    exact: Decimal | None
    value: Decimal | None  # rounded to the displayed precision
    status: str  # "ok" | "missing" | "undefined"
    missing: list[str]
    explanation: str


class Scope:
    """The decimal inputs of one evaluation and how to word them (labels, values as shown)."""

    def __init__(self, view: PackView, param: Callable[[str], object]) -> None:
        self.view = view  # the pack as printed for the year and level
        self.pack = view.pack
        self.fields = view.pack.fields
        self.text = view.text
        self.label = view.label
        self.param = param
        self.values: dict[str, Decimal | bool | str] = {}
        self.rates: dict[str, RateResult] = {}

    def score_rows(self, indicator_id: str, rule: model.RowsRule, weight: Decimal) -> Outcome:
        """The score of the unit's own indicator rows: only a scope over a document has them."""
        raise NotImplementedError

    def part_weight(self, indicator_id: str, part: model.Part) -> Decimal | None:
        """The weight `part` carries now (None: not applicable)."""
        return part.weight

    def score_ref(self, ref: model.ScoreRef) -> Decimal:
        if isinstance(ref, Decimal):
            return ref
        return Decimal(str(self.param(ref.removeprefix("param:"))))

    def show(self, value: Decimal | bool | str, name: str | None = None) -> str:
        if isinstance(value, bool):
            spec = self.fields.get(name or "")
            yes, no = spec.options if spec is not None and spec.type in ("yesno", "havenot") else ("是", "否")
            return yes if value else no
        if isinstance(value, str):
            return value
        if name in self.pack.rates or (name in self.fields and self.fields[name].type == "rate"):
            return format_percent(value)
        return format_number(value)

    def describe(self, expr: Expr) -> str:
        def ref(name: str) -> str:
            value = self.values.get(name)
            return "?" if value is None else self.show(value, name)

        return expr.to_text(ref)

    def expand_missing(self, names: list[str]) -> list[str]:
        result: list[str] = []
        for name in names:
            rate = self.rates.get(name)
            items = rate.missing if rate is not None and rate.status == "missing" else [name]
            result.extend(i for i in items if i not in result)
        return result

    def eval_value(self, expr: Expr) -> tuple[Decimal | bool | str | None, list[str], bool]:
        """(value, missing input ids, undefined?)"""
        undefined = [n for n in expr.names if n in self.rates and self.rates[n].status == "undefined"]
        if undefined:
            return None, [], True
        try:
            return expr.evaluate(self.values), [], False
        except MissingInputs as exc:
            return None, self.expand_missing(exc.names), False
        except Undefined:
            return None, [], True

    # --- rates ----------------------------------------------------------------------------------------------------

    def compute_rates(self) -> None:
        for rate in self.pack.rates.values():
            name = self.text(rate.name)
            precision = self.pack.rate_precision(rate, self.param)
            missing = self.expand_missing([n for n in rate.formula.names if self.values.get(n) is None])
            if missing:
                labels = "、".join(self.label(m) for m in missing)
                self.rates[rate.id] = RateResult(rate.id, name, None, None, "missing", missing, f"缺少：{labels}")
                continue
            try:
                exact = rate.formula.evaluate(self.values)
            except (Undefined, MissingInputs):
                self.rates[rate.id] = RateResult(
                    rate.id,
                    name,
                    None,
                    None,
                    "undefined",
                    [],
                    f"{name} = {self.describe(rate.formula)}，分母为0，无法计算",
                )
                continue
            assert isinstance(exact, Decimal)
            value = round_half_up(exact, precision)
            self.values[rate.id] = value
            self.rates[rate.id] = RateResult(
                rate.id,
                name,
                exact,
                value,
                "ok",
                [],
                f"{name} = {self.describe(rate.formula)} = {format_percent(value)}",
            )

    def missing_outcome(self, weight: Decimal, missing: list[str]) -> Outcome:
        labels = "、".join(self.label(m) for m in missing)
        return Outcome(ZERO, weight, f"缺少 {labels}，无法按规则计分", missing=missing)

    def undefined_outcome(self, cases: tuple[model.Undefined, ...], weight: Decimal, value_expr: Expr) -> Outcome:
        for case in cases:
            matched, missing, _ = self.eval_value(case.when)
            if matched is True:
                score = self.score_ref(case.score)
                return Outcome(score, score, f"{case.note}（比率无法计算）→ {format_number(score)} 分")
            if missing:
                return self.missing_outcome(weight, missing)
        # A rate of its own: say which (its formula with the values), not a "?" for the value it could not have.
        rate = self.rates.get(value_expr.source.strip())
        head = rate.explanation if rate is not None and rate.status == "undefined" else self.describe(value_expr)
        head = head.removesuffix("，分母为0，无法计算")
        return Outcome(ZERO, weight, f"{head}，分母为0，规则未规定此情形，请酌情评分")


def score(rule: model.Rule, declared: Decimal, weight: Decimal, where: str, scope: Scope) -> Outcome:
    """Score `rule`, written for its `declared` weight, at `weight` (scaled when the two differ)."""
    return SCORERS[rule](rule, declared, weight, where, scope)


def _judged(rule: model.Rule, outcome: Outcome) -> Outcome:
    if getattr(rule, "judged", False) and outcome.point is not None:
        return Outcome(
            ZERO,
            outcome.point,
            outcome.explanation + f"；结合实际情况核定，最高 {format_number(outcome.point)} 分",
            outcome.value,
            outcome.missing,
            outcome.warnings,
        )
    return outcome


def _simple(kernel: Callable[..., Outcome]) -> Scorer:
    """A scorer from a kernel that scores a rule at its declared weight (then bounded when judged, then scaled)."""

    def scorer(rule: model.Rule, declared: Decimal, weight: Decimal, where: str, scope: Scope) -> Outcome:
        outcome = _judged(rule, kernel(rule, declared, scope))
        return outcome.scaled(weight / declared) if declared and weight != declared else outcome

    return scorer


@SCORERS.register(model.TiersRule)
@_simple
def _tiers(rule: model.TiersRule, weight: Decimal, scope: Scope) -> Outcome:
    value, missing, undefined = scope.eval_value(rule.value)
    if missing:
        return scope.missing_outcome(weight, missing)
    if undefined or not isinstance(value, Decimal):
        return scope.undefined_outcome(rule.undefined, weight, rule.value)
    as_percent = rule.value.names == [rule.value.source.strip()] and rule.value.source.strip() in scope.pack.rates
    shown = format_percent(value) if as_percent else scope.describe(rule.value) + f" = {format_number(value)}"
    for tier in rule.tiers:
        if tier.range.contains(value):
            score = scope.score_ref(tier.score)
            outcome = Outcome(
                score,
                score,
                f"{shown}，落在 {tier.range.describe(as_percent)} 档 → {format_number(score)} 分",
                value,
            )
            if tier.warn:
                outcome.warnings.append(scope.text(tier.warn))
            return outcome
    return Outcome(ZERO, weight, f"{shown} 不在任何档次内，请酌情评分", value)


@SCORERS.register(model.LinearRule)
@_simple
def _linear(rule: model.LinearRule, weight: Decimal, scope: Scope) -> Outcome:
    value, missing, undefined = scope.eval_value(rule.value)
    if missing:
        return scope.missing_outcome(weight, missing)
    # The zero rule first: "实际采购金额大于采购计划金额则本项不得分" holds even when the plan is 0.
    if rule.zero_when is not None:
        zero, zero_missing, _ = scope.eval_value(rule.zero_when)
        if zero_missing:
            return scope.missing_outcome(weight, zero_missing)
        if zero is True:
            return Outcome(ZERO, ZERO, f"{rule.zero_note} → 0 分", value if isinstance(value, Decimal) else None)
    if undefined or not isinstance(value, Decimal):
        return scope.undefined_outcome(rule.undefined, weight, rule.value)
    score = score2(clamp(value * weight, ZERO, weight))
    shown = (
        format_percent(value)
        if rule.value.source.strip() in scope.pack.rates
        else format_number(round_half_up(value, 4))
    )
    cap = "（封顶）" if value * weight > weight else ""
    return Outcome(score, score, f"{format_number(weight)} × {shown} = {format_number(score)} 分{cap}", value)


@SCORERS.register(model.DeductionRule)
@_simple
def _deduction(rule: model.DeductionRule, weight: Decimal, scope: Scope) -> Outcome:
    total = ZERO
    notes: list[str] = []
    missing: list[str] = []
    for item in rule.items:
        value, item_missing, undefined = scope.eval_value(item.value)
        if item_missing:
            missing.extend(m for m in item_missing if m not in missing)
            continue
        if undefined or not isinstance(value, Decimal):
            return Outcome(ZERO, weight, f"{scope.describe(item.value)} 无法计算，请酌情评分")
        deduct = ZERO
        if item.tiers:
            for tier in item.tiers:
                if tier.range.contains(value):
                    deduct = scope.score_ref(tier.deduct)
                    break
        elif item.step is not None:
            steps = value / item.step
            rounding = item.rounding
            if rounding.startswith("param:"):
                rounding = str(scope.param(rounding.removeprefix("param:")))
            count = math.ceil(steps) if rounding == "ceil" else math.floor(steps)
            deduct = max(0, count) * (item.per or ZERO)
        else:
            deduct = max(ZERO, value) * (item.per or ZERO)
        rates = [n for n in item.value.names if n in scope.pack.rates]
        if item.value.names == [item.value.source.strip()] or len(rates) == 1:
            name = scope.label(rates[0] if rates else item.value.source.strip())
        else:
            name = scope.describe(item.value)
        shown = format_percent(value) if rates else format_number(value)
        notes.append(f"{name} {shown} 扣 {format_number(deduct)} 分")
        total += deduct
    if missing:
        return scope.missing_outcome(weight, missing)
    score = score2(max(ZERO, weight - total))
    return Outcome(
        score, score, f"{format_number(weight)} 分起扣：" + "；".join(notes) + f" → {format_number(score)} 分"
    )


@SCORERS.register(model.ChecklistRule)
@_simple
def _checklist(rule: model.ChecklistRule, weight: Decimal, scope: Scope) -> Outcome:
    declared = sum((i.points for i in rule.items), ZERO)
    factor = weight / declared if declared else Decimal(1)
    low = high = ZERO
    notes: list[str] = []
    missing: list[str] = []
    for item in rule.items:
        points = item.points * factor
        if item.input is None:
            high += points
            continue
        answer = scope.values.get(item.input)
        if answer is None:
            missing.append(item.input)
            high += points
        elif answer is True:
            low += points
            high += points
            notes.append(f"{scope.text(item.text)}：是 +{format_number(score2(points))}")
        else:
            notes.append(f"{scope.text(item.text)}：否 +0")
    low, high = score2(low), score2(high)
    if low == high:
        return Outcome(low, high, "；".join(notes) + f" → {format_number(low)} 分")
    judged = "、".join(scope.text(i.text) for i in rule.items if i.input is None or i.input in missing)
    prefix = ("；".join(notes) + "；") if notes else ""
    return Outcome(
        low,
        high,
        f"{prefix}需酌情评分的要点：{judged}；得分应在 {format_number(low)}–{format_number(high)} 分之间",
        missing=missing,
    )


@SCORERS.register(model.ChoiceRule)
@_simple
def _choice(rule: model.ChoiceRule, weight: Decimal, scope: Scope) -> Outcome:
    answer = scope.values.get(rule.input)
    if answer is None:
        return scope.missing_outcome(weight, [rule.input])
    answer_text = scope.show(answer, rule.input)
    for option, score in rule.options:
        if scope.text(option) == answer_text:
            return Outcome(score, score, f"{scope.label(rule.input)}：{answer_text} → {format_number(score)} 分")
    return Outcome(ZERO, weight, f"{scope.label(rule.input)}：{answer_text} 不对应计分档次，请酌情评分")


@SCORERS.register(model.ManualRule)
@_simple
def _manual(rule: model.ManualRule, weight: Decimal, scope: Scope) -> Outcome:
    return Outcome(ZERO, weight, f"酌情评分，得分应在 0–{format_number(weight)} 分之间")


@SCORERS.register(model.SumRule)
def _sum(rule: model.SumRule, declared: Decimal, weight: Decimal, where: str, scope: Scope) -> Outcome:
    outcomes: list[tuple[model.Part, Outcome]] = []
    own = ZERO
    for part in rule.parts:
        part_weight = scope.part_weight(where, part)
        if part_weight is None:  # not applicable
            continue
        own += part_weight
        outcomes.append((part, score(part.rule, part.weight, part_weight, where, scope)))
    low = sum((o.low for _, o in outcomes), ZERO)
    high = sum((o.high for _, o in outcomes), ZERO)
    text = "；".join(f"{p.name}：{o.explanation}" for p, o in outcomes)
    result = Outcome(
        low,
        high,
        text,
        missing=[m for _, o in outcomes for m in o.missing],
        warnings=[w for _, o in outcomes for w in o.warnings],
        parts={p.id: o.point for p, o in outcomes},
    )
    return result.scaled(weight / own) if own and own != weight else result


@SCORERS.register(model.RowsRule)
def _rows(rule: model.RowsRule, declared: Decimal, weight: Decimal, where: str, scope: Scope) -> Outcome:
    return scope.score_rows(where, rule, weight)


@SCORERS.register(model.BonusPenaltyRule)
def _bonus(rule: model.BonusPenaltyRule, declared: Decimal, weight: Decimal, where: str, scope: Scope) -> Outcome:
    return bonus_outcome(rule, scope)


def bonus_outcome(rule: model.BonusPenaltyRule, scope: Scope) -> Outcome:
    """The 加减分: its point is the bonus (negative for a penalty)."""
    total = ZERO
    notes = []
    for item in rule.items:
        count = scope.values.get(item.input)
        count = count if isinstance(count, Decimal) else ZERO
        amount = count * item.per
        amount = min(amount, item.cap) if item.per > 0 else max(amount, -item.cap)
        notes.append(
            f"{scope.label(item.input)} {format_number(count)} 次 → "
            f"{'+' if amount > 0 else ''}{format_number(amount + 0)} 分"
        )
        total += amount
    text = (
        "；".join(notes)
        + f"；加减分合计 {format_number(total)} 分"
        + f"（总分限 {format_number(rule.total_min)}–{format_number(rule.total_max)} 分）"
    )
    return Outcome(total, total, text)
