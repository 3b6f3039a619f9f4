"""Evaluate a data document against its rule pack: every rate, every score, totals, grade and findings.

Each rule yields an allowed score range. A rule that its inputs fully decide yields a single point; a rule that
needs the unit's judgement (酌情), or whose inputs are blank, yields a range, and the score the unit entered is
accepted when it lies inside. That one mechanism covers checklists, 定性 indicators and missing data alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from xl_perf.engine import scoring, targets
from xl_perf.engine.quantities import QUALITATIVE
from xl_perf.engine.scoring import ZERO, Outcome, RateResult, Scope
from xl_perf.findings import Finding, Ref, Severity
from xl_perf.model import placement, stated
from xl_perf.model.document import Document, IndicatorRow
from xl_perf.numbers import clamp, format_number, format_percent, round_half_up, score2, to_json_number
from xl_perf.rules import model
from xl_perf.rules.expr import Expr
from xl_perf.rules.view import loose_level_name

DENIAL_WORDS = ("没有偏差", "无偏差", "未偏差", "不存在偏差", "未发生偏差")
EMPTY_REASONS = ("", "无", "无。", "/", "-", "—")


@dataclass
class IndicatorResult:
    id: str
    name: str
    path: tuple[str, ...]
    weight: Decimal
    declared_weight: Decimal
    kind: str
    value: Decimal | None
    computed: Decimal | None  # the rule's own score, when the inputs decide it
    low: Decimal
    high: Decimal
    stated_score: Decimal | None
    score: Decimal  # what the total counts
    basis: str  # "rule" | "entered" | "missing" | "na"
    rule: str  # which branch fired, in Chinese
    parent: str | None = None
    row_index: int | None = None
    parts: dict[str, Decimal | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "path": list(self.path),
            "weight": to_json_number(self.weight),
            "value": None if self.value is None else to_json_number(self.value),
            "score": to_json_number(self.score),
            "stated_score": None if self.stated_score is None else to_json_number(self.stated_score),
            "rule": self.rule,
            "kind": self.kind,
            "basis": self.basis,
            "range": [to_json_number(self.low), to_json_number(self.high)],
        }
        if self.declared_weight != self.weight:
            result["declared_weight"] = to_json_number(self.declared_weight)
        if self.parent is not None:
            result["parent"] = self.parent
            result["row"] = self.row_index
        return result


@dataclass
class Evaluation:
    document: Document
    rates: dict[str, RateResult]
    indicators: list[IndicatorResult]
    rows: list[IndicatorResult]
    bonus: Decimal
    total: Decimal
    stated_total: Decimal | None
    grade: str
    stated_grade: str | None
    findings: list[Finding]
    # What the form's 合计 formula shows: every 得分 cell as shown (the unit's score where typed, the form's own
    # computed score where the default formula was kept) plus the 加减分 as shown. Not clamped, not capped.
    form_total: Decimal = ZERO

    def indicator(self, indicator_id: str) -> IndicatorResult:
        for result in (*self.indicators, *self.rows):
            if result.id == indicator_id:
                return result
        raise KeyError(indicator_id)

    def as_dict(self) -> dict[str, object]:
        doc = self.document
        return {
            "framework": doc.pack.id,
            "unit": doc.unit,
            "year": doc.year,
            "level": doc.level,
            "total": to_json_number(self.total),
            "stated_total": None if self.stated_total is None else to_json_number(self.stated_total),
            "grade": self.grade,
            "stated_grade": self.stated_grade,
            "bonus": to_json_number(self.bonus),
            "rates": {
                r.id: {
                    "name": r.name,
                    "value": None if r.value is None else to_json_number(r.value),
                    "status": r.status,
                    "explanation": r.explanation,
                }
                for r in self.rates.values()
            },
            "indicators": [r.as_dict() for r in (*self.indicators, *self.rows)],
            "findings": [f.as_dict() for f in self.findings],
        }


def grade_of(pack: model.RulePack, total: Decimal) -> str:
    for band in pack.grades:
        if total >= band.min:
            return band.name
    return pack.grades[-1].name


def evaluate(doc: Document) -> Evaluation:
    return _Evaluator(doc).run()


class _Evaluator(Scope):
    """Walks a Document: its inputs into the scope, every indicator through the rule kernels, then the totals."""

    def __init__(self, doc: Document) -> None:
        super().__init__(doc.view, doc.param)
        self.doc = doc
        self.findings: list[Finding] = []
        self._part_weights: dict[tuple[str, str], Decimal] = {}
        self._na: set[str] = set()
        self._row_results: dict[str, list[IndicatorResult]] = {}
        self._placement: placement.Placement | None = None
        self._group_of: dict[str, str] = {}  # rows indicator id -> its group under the placement
        self._in_play: list[model.Indicator] = list(self.pack.indicators)

    # --- helpers -------------------------------------------------------------------------------------------------

    def find(self, severity: Severity, code: str, message: str, ref: Ref, fix: str = "") -> None:
        self.findings.append(Finding(severity, code, message, ref, fix))

    # --- inputs and rates ----------------------------------------------------------------------------------------

    def load_values(self) -> None:
        zero_blanks = self.doc.param("blank_inputs") == "zero"
        for field_id, spec in self.fields.items():
            value = self.doc.fields.get(field_id)
            if value is None and zero_blanks and spec.type in model.NUMERIC_TYPES:
                value = ZERO
            if value is not None:
                self.values[field_id] = value
        for cell_id, cell in self.pack.cells.items():
            value = None
            for row in self.doc.tables.get(cell.table, []):
                if row.row_id == cell.row:
                    value = row.values.get(cell.column)
                    break
            if value is None and zero_blanks:
                value = ZERO
            if value is not None:
                self.values[cell_id] = value

    def check_stated_rates(self) -> None:
        for field_id, spec in self.fields.items():
            if spec.stated_of is None:
                continue
            stated = self.doc.fields.get(field_id)
            rate = self.rates[spec.stated_of]
            if not isinstance(stated, Decimal) or rate.value is None:
                continue
            precision = -rate.value.as_tuple().exponent  # type: ignore[operator]
            stated_rounded = round_half_up(stated, precision)
            if stated_rounded == rate.value:
                continue
            message = f"{rate.name}填报为 {format_percent(stated)}，按 {rate.explanation.split(' = ', 1)[1]}"
            fix = f"改为 {format_percent(rate.value)}"
            if rate.value != 0 and round_half_up(1 / rate.value, precision) == stated_rounded:
                message += "；填报值恰为计算值的倒数，疑似分子分母颠倒"
            self.find("error", "RATE_MISMATCH", message, Ref("field", field_id), fix)

    def check_reasons(self) -> None:
        for field_id, spec in self.fields.items():
            if spec.reason_for is None:
                continue
            rate = self.rates[spec.reason_for]
            reason = str(self.doc.fields.get(field_id, "")).strip()
            if rate.value is not None and rate.value < 1 and reason in EMPTY_REASONS:
                self.find(
                    "warning",
                    "REASON_MISSING",
                    f"{rate.name}为 {format_percent(rate.value)}，未达100%，但未填写未完成原因",
                    Ref("field", field_id),
                    "填写未完成目标的原因",
                )

    # --- not applicable and weights ------------------------------------------------------------------------------

    def is_na(self, condition: Expr | None) -> bool:
        if condition is None:
            return False
        value, _, _ = self.eval_value(condition)
        return value is True

    def effective_weights(self) -> tuple[dict[str, Decimal], dict[tuple[str, str], Decimal], set[str]]:
        """Indicator weights, part weights and the ids (indicator or indicator/part) that do not apply."""
        weights = {i.id: self.doc.weights.get(i.id, i.weight) for i in self.pack.indicators}
        parts: dict[tuple[str, str], Decimal] = {}
        na: set[str] = set()
        moved: list[tuple[str, str, Decimal, str]] = []  # (from, to, points, why)
        for indicator in self.pack.indicators:
            if indicator.id in self.doc.not_applicable or self.is_na(indicator.na_when):
                na.add(indicator.id)
                if indicator.na_target and indicator.na_target != "siblings":
                    moved.append(
                        (indicator.id, indicator.na_target, weights[indicator.id], self.doc.text(indicator.name))
                    )
                weights[indicator.id] = ZERO
                continue
            if not isinstance(indicator.rule, model.SumRule):
                continue
            for part in indicator.rule.parts:
                parts[(indicator.id, part.id)] = part.weight
            applicable = [p for p in indicator.rule.parts if not self.is_na(p.na_when)]
            for part in indicator.rule.parts:
                if part in applicable:
                    continue
                na.add(f"{indicator.id}/{part.id}")
                parts[(indicator.id, part.id)] = ZERO
                if part.na_target == "siblings" and applicable:
                    share = part.weight / len(applicable)
                    for other in applicable:
                        parts[(indicator.id, other.id)] += share
                    self.find(
                        "info",
                        "NOT_APPLICABLE",
                        f"{self.doc.text(indicator.name)}的“{part.name}”不适用，{format_number(part.weight)}分平均调整至本指标其他评分要点",
                        Ref("indicator", indicator.id),
                    )
                elif part.na_target:
                    weights[indicator.id] -= part.weight
                    moved.append(
                        (indicator.id, part.na_target, part.weight, f"{self.doc.text(indicator.name)}的“{part.name}”")
                    )
        for source, target, points, why in moved:
            weights[target] += points
            self.find(
                "info",
                "NOT_APPLICABLE",
                f"{why}不适用，{format_number(points)}分调整至{self.doc.text(self.pack.indicator(target).name)}",
                Ref("indicator", source),
            )
        return weights, parts, na

    # --- indicators ------------------------------------------------------------------------------------------------

    def part_weight(self, indicator_id: str, part: model.Part) -> Decimal | None:
        if f"{indicator_id}/{part.id}" in self._na:
            return None
        return self._part_weights[(indicator_id, part.id)]

    def score_indicator(self, indicator: model.Indicator, weight: Decimal) -> Outcome:
        declared = self.doc.weights.get(indicator.id, indicator.weight)
        return scoring.score(indicator.rule, declared, weight, indicator.id, self)

    def settle(
        self,
        outcome: Outcome,
        stated: Decimal | None,
        name: str,
        ref: Ref,
        *,
        manual_is_normal: bool,
        weight: Decimal | None = None,
    ) -> tuple[Decimal, str]:
        """Choose the counted score and report disagreements; returns (score, basis)."""
        point = outcome.point
        for warning in outcome.warnings:
            self.find("warning", "RULE_WARNING", f"{name}：{warning}", ref)
        if point is not None:
            if stated is not None and stated != point:
                self.find(
                    "error",
                    "SCORE_MISMATCH",
                    f"{name}：填报得分 {format_number(stated)}，"
                    f"按规则应为 {format_number(point)}（{outcome.explanation}）",
                    ref,
                    f"改为 {format_number(point)}",
                )
            return point, "rule"
        if outcome.missing and stated is not None:
            labels = "、".join(self.label(m) for m in outcome.missing)
            self.find(
                "warning", "INPUT_MISSING", f"{name}：缺少 {labels}，无法核对，暂采用填报得分", ref, "补填所缺数据"
            )
        # The total counts what the unit entered, capped to the indicator's weight (as the workbook's own total
        # does); a score outside the rule's range is reported as an error rather than silently replaced.
        if stated is None:
            severity: Severity = "warning" if manual_is_normal else "error"
            self.find(severity, "SCORE_MISSING", f"{name}：未填报得分（{outcome.explanation}）", ref, "填写得分")
            return ZERO, "missing"
        if not outcome.low <= stated <= outcome.high:
            counted = clamp(stated, ZERO, outcome.high if weight is None else weight)
            self.find(
                "error",
                "SCORE_OUT_OF_RANGE",
                f"{name}：填报得分 {format_number(stated)} "
                f"超出规则允许的 {format_number(outcome.low)}–{format_number(outcome.high)} 分",
                ref,
                f"改为 {format_number(outcome.low)}–{format_number(outcome.high)} 之间的分数",
            )
            return counted, "entered"
        return stated, "entered"

    def result(
        self,
        indicator: model.Indicator,
        weight: Decimal,
        outcome: Outcome,
        stated: Decimal | None,
        score: Decimal,
        basis: str,
    ) -> IndicatorResult:
        rule = indicator.rule
        value = outcome.value
        if value is None and isinstance(rule, model.TiersRule | model.LinearRule):
            rate = self.rates.get(rule.value.source.strip())
            value = rate.value if rate else None
        name, path = self.printed(indicator)
        return IndicatorResult(
            id=indicator.id,
            name=name,
            path=path,
            weight=weight,
            declared_weight=self.doc.weights.get(indicator.id, indicator.weight),
            kind=rule.kind,
            value=value,
            computed=outcome.point if basis == "rule" else None,
            low=outcome.low,
            high=outcome.high,
            stated_score=stated,
            score=score,
            basis=basis,
            rule=outcome.explanation,
            parts=outcome.parts,
        )

    def printed(self, indicator: model.Indicator) -> tuple[str, tuple[str, ...]]:
        """The indicator's name and path as printed for the document's year and level."""
        return self.view.printed(indicator)

    # --- indicator rows (target vs actual) ---------------------------------------------------------------------

    def row_weights(self, rows: list[IndicatorRow], weight: Decimal, owner: str) -> list[Decimal]:
        if rows and all(r.weight is not None for r in rows):
            given = [r.weight for r in rows if r.weight is not None]
            if sum(given, ZERO) != weight:
                self.find(
                    "error",
                    "WEIGHT_SUM",
                    f"{owner}下各指标分值合计 {format_number(sum(given, ZERO))}，应为 {format_number(weight)}",
                    Ref("row", row=rows[0].index),
                    "调整各行分值使合计等于上级分值",
                )
            return given
        share = score2(weight / len(rows))
        weights = [share] * len(rows)
        weights[-1] = weight - share * (len(rows) - 1)
        return weights

    def place_rows(self) -> None:
        """Under a pack's weight systems: every row placed in a group, the indicators the system scores, and their
        weights (see model/placement.py)."""
        if not self.pack.weight_systems or not self.doc.rows:
            return
        if self.doc.weight_system is None:
            self.findings.extend(placement.unmatched(self.doc.rows, self.pack))
            return
        self._placement = placed = placement.place(
            self.doc.rows, self.pack.weight_systems, self.doc.weight_system, self.pack.total
        )
        self.findings.extend(placed.findings)
        self._in_play, self._group_of = placement.in_play(self.pack, placed)

    def placed_weights(self, weights: dict[str, Decimal]) -> dict[str, Decimal]:
        if self._placement is None:
            return weights
        for indicator in self._in_play:
            group = self._group_of.get(indicator.id)
            if group is not None and indicator.id not in self.doc.weights:
                weights[indicator.id] = self._placement.weights[group]
        return weights

    def score_rows(self, indicator_id: str, rule: model.RowsRule, weight: Decimal) -> Outcome:
        """Score the rows `rule` matches; their results are kept for `run` (in `_row_results`)."""
        indicator = next(i for i in self._in_play if i.id == indicator_id)
        name = self.printed(indicator)[0]
        if self._placement is not None:
            rows = self._placement.rows[self._group_of[indicator_id]]
        else:
            wanted = {loose_level_name(m) for m in rule.match}
            rows = [r for r in self.doc.rows if loose_level_name(r.levels[rule.level - 1]) in wanted]
        self._row_results[indicator_id] = results = []
        if not rows:
            return Outcome(ZERO, weight, "未填写绩效指标行，请酌情评分")
        low = high = ZERO
        missing: list[str] = []
        deviation_ratio = self.doc.options.get("deviation_reason_ratio", self.pack.options.deviation_reason_ratio)
        # Whether any row carries a typed score: asked for every row, looked up once (not once per row).
        rows_have_scores = self.doc.rows_have_scores
        # A form others made is scored as the national module does (反向 by name, 定性 the unit's within 达成); the
        # template's own formulas keep their rules for the template's own workbooks.
        national = self.doc.weight_system is not None
        for row, row_weight in zip(rows, self.row_weights(rows, weight, name), strict=True):
            ref = Ref("row", row=row.index)
            row_name = row.levels[-1] or f"第{row.index + 1}行"
            target, conflict = placement.natured_target(row)
            if conflict is not None:
                self.find("warning", "DIRECTION_CONFLICT", f"{row_name}：{conflict}", ref, "核对指标性质与指标值")
            if target == row.target:
                target = placement.directed_target(row, self.pack.reverse_names if national else ())
            scored = targets.score_row(target, row.actual, row_weight, qualitative_level=row.degree or None)
            if not row.target.strip() or not row.actual.strip():
                scored = replace(scored, score=None, score_range=None)
            elif (
                national
                and self.pack.qualitative_by_unit
                and scored.direction == QUALITATIVE
                and row.stated_score is not None
            ):
                scored = replace(scored, score=None)  # the unit's score, checked against 达成's range
            for problem in scored.problems:
                severity: Severity = "info" if problem.code == "EMPTY" else "warning"
                self.find(severity, problem.code, f"{row_name}：{problem.message}", ref)
            if scored.score is not None:
                outcome = Outcome(scored.score, scored.score, scored.explanation)
            elif scored.score_range is not None:
                outcome = Outcome(scored.score_range[0], scored.score_range[1], scored.explanation)
            else:
                # The parse problems are reported above; the entered score stands if it is in range.
                outcome = Outcome(ZERO, row_weight, scored.explanation or "无法按目标值比较计分，请酌情评分")
            self.check_row_reason(row, row_name, scored, ref, deviation_ratio)
            score, basis = self.settle(
                outcome,
                row.stated_score,
                row_name,
                ref,
                manual_is_normal=row.stated_score is None and not rows_have_scores,
                weight=row_weight,
            )
            low += outcome.low
            high += outcome.high
            results.append(
                IndicatorResult(
                    id=f"{indicator.id}.row{row.index + 1}",
                    name=row_name,
                    path=row.levels,
                    weight=row_weight,
                    declared_weight=row_weight,
                    kind="target",
                    value=None,
                    computed=outcome.point,
                    low=outcome.low,
                    high=outcome.high,
                    stated_score=row.stated_score,
                    score=score,
                    basis=basis,
                    rule=outcome.explanation,
                    parent=indicator.id,
                    row_index=row.index,
                )
            )
        total = sum((r.score for r in results), ZERO)
        all_rule = all(r.basis == "rule" for r in results)
        text = f"按 {len(results)} 个绩效指标的目标值与实际值逐项计分，合计 {format_number(total)} 分"
        if total > weight:
            text += f"，超过该项分值，按 {format_number(weight)} 分计"
        # Rows whose own weights overshoot (a WEIGHT_SUM error) can never lift the indicator above its weight.
        low, high, total = min(low, weight), min(high, weight), min(total, weight)
        return Outcome(total if all_rule else low, total if all_rule else high, text, missing=missing)

    def check_row_reason(
        self, row: IndicatorRow, name: str, scored: targets.RowScore, ref: Ref, deviation_ratio: object
    ) -> None:
        reason = row.reason.strip()
        if scored.deviates and any(word in reason for word in DENIAL_WORDS):
            self.find(
                "error",
                "DEVIATION_DENIED",
                f"{name}：目标值“{row.target}”与实际完成值“{row.actual}”不同，但偏差原因写“{reason}”",
                ref,
                "如实说明偏差原因及改进措施",
            )
        elif scored.met is False and reason in EMPTY_REASONS:
            self.find(
                "warning",
                "REASON_MISSING",
                f"{name}：未达到目标值“{row.target}”（实际“{row.actual}”），未填写偏差原因",
                ref,
                "填写偏差原因分析及改进措施",
            )
        if deviation_ratio is None or reason not in EMPTY_REASONS:
            return
        target = targets.parse_quantity(row.target)
        actual = targets.parse_quantity(row.actual)
        if (
            isinstance(target, targets.Quantity)
            and isinstance(actual, targets.Quantity)
            and target.number
            and actual.number is not None
            and target.unit == actual.unit
        ):
            ratio = Decimal(str(deviation_ratio))
            if actual.number >= target.number * ratio:
                self.find(
                    "warning",
                    "DEVIATION_REASON_REQUIRED",
                    f"{name}：实际完成值超过目标值的 {format_number(ratio * 100)}%，须填写偏差原因",
                    ref,
                    "说明目标值设置偏低或超额完成的原因",
                )

    # --- totals ----------------------------------------------------------------------------------------------------

    def score_all(
        self, weights: dict[str, Decimal], na: set[str]
    ) -> tuple[list[IndicatorResult], list[IndicatorResult], Decimal, dict[str, Decimal]]:
        """Every indicator settled: (indicator results, indicator-row results, the 加减分, and the 得分 the form
        shows for each group of indicator rows that carry their own scores)."""
        doc = self.doc
        results: list[IndicatorResult] = []
        row_results: list[IndicatorResult] = []
        bonus = ZERO
        group_shown: dict[str, Decimal] = {}  # the 得分 the form shows for a group of indicator rows
        for indicator in self._in_play:
            ref = Ref("indicator", indicator.id)
            stated = doc.stated_scores.get(indicator.id)
            name = self.printed(indicator)[0]
            weight = weights[indicator.id]
            if isinstance(indicator.rule, model.BonusPenaltyRule):
                outcome = scoring.bonus_outcome(indicator.rule, self)
                bonus = outcome.low
                score, basis = (
                    self.settle(outcome, stated, name, ref, manual_is_normal=True)
                    if stated is not None
                    else (bonus, "rule")
                )
                results.append(self.result(indicator, weight, outcome, stated, score, basis))
                continue
            if indicator.id in na:
                outcome = Outcome(ZERO, ZERO, "不适用")
                results.append(self.result(indicator, weight, outcome, stated, ZERO, "na"))
                continue
            if isinstance(indicator.rule, model.RowsRule):
                outcome = self.score_indicator(indicator, weight)
                rows = self._row_results[indicator.id]
                row_results.extend(rows)
                if rows and self.pack.rows is not None and self.pack.rows.score:
                    # Rows carry their own 得分: each row was settled on its own; the group counts their sum.
                    # The group's 得分 as the form shows it: each row's typed score, else its default formula's.
                    group_shown[indicator.id] = sum((shown_score(r) for r in rows), ZERO)
                    if stated is None and any(r.stated_score is not None for r in rows):
                        stated = group_shown[indicator.id]
                    counted = min(sum((r.score for r in rows), ZERO), weight)
                    basis = "rule" if all(r.basis == "rule" for r in rows) else "entered"
                    results.append(self.result(indicator, weight, outcome, stated, counted, basis))
                    continue
            else:
                outcome = self.score_indicator(indicator, weight)
            manual = outcome.point is None and not outcome.missing
            score, basis = self.settle(outcome, stated, name, ref, manual_is_normal=manual, weight=weight)
            results.append(self.result(indicator, weight, outcome, stated, score, basis))
        return results, row_results, bonus, group_shown

    def run(self) -> Evaluation:
        doc = self.doc
        self.load_values()
        self.compute_rates()
        self.check_stated_rates()
        stated.check(doc, self.rates, self.find)
        stated.check_uncomputable(doc, self.rates, self.find)
        self.check_reasons()
        self.place_rows()
        weights, self._part_weights, na = self.effective_weights()
        weights = self.placed_weights(weights)
        self._na = na
        results, row_results, bonus, group_shown = self.score_all(weights, na)
        self.check_group_weights()
        scored = [r for r in results if r.kind != "bonus_penalty"]
        total = sum((r.score for r in scored), ZERO) + bonus
        adjustment = next((i for i in self.pack.indicators if isinstance(i.rule, model.BonusPenaltyRule)), None)
        if adjustment is not None:
            assert isinstance(adjustment.rule, model.BonusPenaltyRule)
            total = clamp(total, adjustment.rule.total_min, adjustment.rule.total_max)
        total = self.cap_by_execution(clamp(total, ZERO, self.pack.total))
        stated_total = doc.stated_total
        stated_sum = sum((r.stated_score for r in scored if r.stated_score is not None), ZERO)
        form_total = sum((group_shown.get(r.id, shown_score(r)) for r in scored), ZERO)
        if adjustment is not None:
            assert isinstance(adjustment.rule, model.BonusPenaltyRule)
            stated_sum += doc.stated_scores.get(adjustment.id, ZERO)
            form_total += doc.stated_scores.get(adjustment.id, bonus)
            form_total = clamp(form_total, adjustment.rule.total_min, adjustment.rule.total_max)
        if stated_total is None and (doc.stated_scores or doc.rows_have_scores):
            # No 合计 typed: the unit submits what the form's 合计 shows, its typed scores beside the scores the
            # form computed itself (never the typed scores alone, which would make every kept formula count 0).
            stated_total = form_total
        elif (
            stated_total is not None and all(r.stated_score is not None for r in scored) and stated_sum != stated_total
        ):
            self.find(
                "error",
                "STATED_TOTAL_MISMATCH",
                f"填报合计 {format_number(stated_total)} 分，与各指标填报得分之和 {format_number(stated_sum)} 分不符",
                Ref("document", "stated_total"),
                "核对合计得分",
            )
        grade = grade_of(self.pack, total)
        stated_grade = None if stated_total is None else grade_of(self.pack, stated_total)
        if stated_total is not None and stated_total != total:
            self.find(
                "warning",
                "TOTAL_DIFFERS",
                f"按规则计算的总分为 {format_number(total)} 分（{grade}），"
                f"填报为 {format_number(stated_total)} 分（{stated_grade}）",
                Ref("document", "stated_total"),
                "逐项核对上列得分问题",
            )
        return Evaluation(
            doc,
            self.rates,
            results,
            row_results,
            bonus,
            total,
            stated_total,
            grade,
            stated_grade,
            self.findings,
            form_total,
        )

    def cap_by_execution(self, total: Decimal) -> Decimal:
        caps = self.pack.options.total_caps(self.doc.options)
        rate_id = self.pack.options.execution_rate
        if not caps or rate_id is None:
            return total
        rate = self.rates[rate_id].value
        if rate is None:
            return total
        for interval, cap in caps:
            if interval.contains(rate) and total > cap:
                self.find(
                    "warning",
                    "TOTAL_CAPPED",
                    f"{self.rates[rate_id].name} {format_percent(rate)}，总分按地区规定封顶为 {format_number(cap)} 分",
                    Ref("document", "total"),
                )
                return cap
        return total

    def check_group_weights(self) -> None:
        """Adjustable weights set by the unit must still sum to their fixed parent."""
        if not self.doc.weights:
            return
        for group, children in zip(self.pack.groups, self.view.group_children, strict=True):
            if group.weight is None:
                continue
            if not any(i.adjustable for i in children):
                continue
            total = sum((self.doc.weights.get(i.id, i.weight) for i in children), ZERO)
            if total != group.weight:
                self.find(
                    "error",
                    "WEIGHT_SUM",
                    f"{'/'.join(self.doc.text(p) for p in group.path)}下各指标分值合计 {format_number(total)}，"
                    f"应为 {format_number(group.weight)}",
                    Ref("document", "weights"),
                    "调整分值",
                )


def shown_score(result: IndicatorResult) -> Decimal:
    """The 得分 a form shows for an indicator or row: the typed score, else what its default formula computes (the
    rule's own score; blank, counted 0, when the score needs judgement or an input)."""
    if result.stated_score is not None:
        return result.stated_score
    return result.computed if result.computed is not None else ZERO


def iter_results(evaluation: Evaluation) -> Iterator[IndicatorResult]:
    yield from evaluation.indicators
    yield from evaluation.rows
