"""Indicator target / actual texts: parsing into structured values, and row scoring by the MoF module's rules.

A target text such as "≥95%", "≤5000万元", "2022年5月", "是" or "良好" becomes a `Quantity`; an unusable text becomes a
`ParseProblem` (a finding, never an exception). `score_row` compares a target with an actual value the way the public
MoF 预算管理一体化 performance module does (see shared/notes/domain-rules.md):

| type | score |
|---|---|
| 正向 (≥, >, or a bare number) | a ≥ t → w; else round(a / t × w, 2); t = 0 → w |
| 等于 (=) | t = 0: a ≤ 0 → w else 0; otherwise as 正向 |
| 反向 (≤, <) | a ≤ t → w; t < a < 2t → round((1 − (a − t) / t) × w, 2); a ≥ 2t → 0; t = 0: a ≤ 0 → w else 0 |
| 日期 | by default "done by then" (反向): on time → w, late → 0; "以后/之后" turns it into 正向 |
| 定性 | equal text → w; otherwise entered by the user within the range of 达成 / 部分达成 / 未达成 |

A negative actual counts as 0. All arithmetic is Decimal; the proportional formulas are evaluated as a × w / t and
(2t − a) × w / t (mathematically identical to the table, but with a single rounding step, so that exact .xx5 results
round half-up as they should).
"""

from __future__ import annotations

from decimal import Decimal

from xl_perf.engine.quantities import (
    EQUAL,
    KIND_MISMATCH,
    LEVEL_INVALID,
    LEVEL_MET,
    LEVEL_PARTIAL,
    LEVEL_UNMET,
    NEGATIVE,
    POSITIVE,
    QUALITATIVE,
    ROLE_ACTUAL,
    ROLE_TARGET,
    UNIT_MISMATCH,
    UNKNOWN,
    WEIGHT_INVALID,
    Comparator,
    ParseProblem,
    Quantity,
    RowScore,
    ValueKind,
    parse_as,
    parse_quantity,
    shorten,
)
from xl_perf.numbers import format_number, score2, to_decimal

__all__ = [
    "Comparator",
    "ParseProblem",
    "Quantity",
    "RowScore",
    "ValueKind",
    "direction_of",
    "parse_quantity",
    "score_row",
]

_LEVELS = (LEVEL_MET, LEVEL_PARTIAL, LEVEL_UNMET)
_MAX_WEIGHT = Decimal(10) ** 9
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


def direction_of(target: Quantity) -> str:
    """正向 / 反向 / 等于 / 定性, the scoring rule a target selects."""
    comparator = target.comparator
    if target.kind in (ValueKind.BOOLEAN, ValueKind.QUALITATIVE):
        return QUALITATIVE
    if comparator == Comparator.EQ:
        return EQUAL
    if target.kind == ValueKind.DATE:
        return POSITIVE if comparator in (Comparator.GE, Comparator.GT) else NEGATIVE
    if comparator in (Comparator.LE, Comparator.LT):
        return NEGATIVE
    return POSITIVE


def score_row(
    target_text: object, actual_text: object, weight: Decimal, *, qualitative_level: str | None = None
) -> RowScore:
    """Score one indicator row. Never raises: unusable inputs give score None and `problems`."""
    return _score_row(target_text, actual_text, weight, qualitative_level)


def _score_row(target_text: object, actual_text: object, weight: Decimal, qualitative_level: str | None) -> RowScore:
    problems: list[ParseProblem] = []
    w = _valid_weight(weight)
    if w is None:
        shown = shorten(_safe_str(weight))
        problems.append(ParseProblem(WEIGHT_INVALID, f"分值“{shown}”无效：分值应为不小于 0 的数字"))
    level: str | None = None
    if qualitative_level is not None:
        if isinstance(qualitative_level, str) and qualitative_level in _LEVELS:
            level = qualitative_level
        else:
            problems.append(
                ParseProblem(
                    LEVEL_INVALID,
                    f"完成程度“{shorten(_safe_str(qualitative_level))}”无效：应为“达成”“部分达成”“未达成”之一，已按未选择处理",
                )
            )

    target = parse_as(target_text, ROLE_TARGET)
    same_text = type(target_text) is str and type(actual_text) is str and actual_text == target_text
    if same_text and isinstance(target, Quantity):
        # A target met exactly is usually written the same twice; a parsed quantity does not depend on the role
        # (only problem messages do), so the same text need not be parsed again.
        actual: Quantity | ParseProblem = target
    else:
        actual = parse_as(actual_text, ROLE_ACTUAL)
    if isinstance(target, ParseProblem):
        problems.append(target)
    if isinstance(actual, ParseProblem):
        problems.append(actual)
    direction = direction_of(target) if isinstance(target, Quantity) else UNKNOWN
    if not isinstance(target, Quantity) or not isinstance(actual, Quantity) or w is None:
        return _unscored(direction, problems)

    if target.kind != actual.kind:
        problems.append(
            ParseProblem(
                KIND_MISMATCH,
                f"类型不一致：指标值“{shorten(target.text)}”是{_KIND_NAMES[target.kind]}，"
                f"实际完成值“{shorten(actual.text)}”是{_KIND_NAMES[actual.kind]}，无法自动评分",
            )
        )
        return _unscored(direction, problems)

    if target.kind == ValueKind.NUMBER:
        return _score_number(target, actual, w, problems)
    if target.kind == ValueKind.DATE:
        return _score_date(target, actual, w, problems)
    return _score_qualitative(target, actual, w, level, problems)


_KIND_NAMES = {
    ValueKind.NUMBER: "数值",
    ValueKind.DATE: "日期",
    ValueKind.BOOLEAN: "是否判断",
    ValueKind.QUALITATIVE: "定性描述",
}


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:  # an arbitrary object's __str__ may fail; the contract is: never raise
        return "（无法显示的值）"


def _valid_weight(weight: object) -> Decimal | None:
    try:
        w = to_decimal(weight)
    except ValueError:
        return None
    if not w.is_finite() or w < 0 or w > _MAX_WEIGHT:
        return None
    return w


def _unscored(direction: str, problems: list[ParseProblem]) -> RowScore:
    reasons = "；".join(p.message for p in problems)
    return RowScore(None, direction, None, None, f"无法自动评分：{reasons}", None, tuple(problems))


def _n(value: Decimal) -> str:
    return format_number(value)


def _score_number(target: Quantity, actual: Quantity, w: Decimal, problems: list[ParseProblem]) -> RowScore:
    assert target.number is not None and actual.number is not None
    t = target.number
    a = actual.number
    unit = target.unit
    notes = ""
    if actual.unit != unit:
        if actual.unit != "":
            problems.append(
                ParseProblem(
                    UNIT_MISMATCH,
                    f"单位不一致：指标值“{shorten(target.text)}”的单位为“{unit or '无'}”，"
                    f"实际完成值“{shorten(actual.text)}”的单位为“{actual.unit}”，无法比较",
                )
            )
            return _unscored(direction_of(target), problems)
        notes += f"实际完成值未写单位，按“{unit}”计；"

    direction = direction_of(target)
    comparator = target.comparator
    deviates = a != t
    met = _satisfies(a, t, comparator)
    shown_t = f"{_n(t)}{unit}"
    shown_a = f"{_n(a)}{unit}"
    sw = _n(w)

    if t < 0:
        # A negative target (e.g. 变动率 ≤ -15%) has no proportional rule: meet it for full marks or get 0.
        full = _satisfies(a, t, comparator if direction != EQUAL else Comparator.GE)
        score = score2(w) if full else _ZERO
        outcome = f"满足目标，得满分 {sw}" if full else "未满足目标，得 0 分"
        explanation = f"{direction}：目标值 {shown_t} 为负数，不按比例计分；实际 {shown_a} {outcome}"
        return RowScore(score, direction, deviates, met, notes + explanation, None, tuple(problems))

    if a < 0:
        notes += f"实际值 {shown_a} 为负数，按 0 计；"
        a = Decimal(0)
        shown_a = f"0{unit}"

    if direction == NEGATIVE:
        score, explanation = _negative_rule(a, t, w, comparator, shown_a, shown_t)
    elif direction == EQUAL and t == 0:
        if a <= 0:
            score, explanation = score2(w), f"等于：目标值为 0，实际 {shown_a} 不大于 0，得满分 {sw}"
        else:
            score, explanation = _ZERO, f"等于：目标值为 0，实际 {shown_a} 大于 0，得 0 分"
    else:
        score, explanation = _positive_rule(a, t, w, comparator, shown_a, shown_t, direction)
    return RowScore(score, direction, deviates, met, notes + explanation, None, tuple(problems))


def _satisfies(a: Decimal, t: Decimal, comparator: Comparator | None) -> bool:
    if comparator == Comparator.GT:
        return a > t
    if comparator == Comparator.LE:
        return a <= t
    if comparator == Comparator.LT:
        return a < t
    if comparator == Comparator.EQ:
        return a == t
    return a >= t


def _positive_rule(
    a: Decimal, t: Decimal, w: Decimal, comparator: Comparator | None, shown_a: str, shown_t: str, direction: str
) -> tuple[Decimal, str]:
    """正向 (also 等于 with a non-zero target): a ≥ t → w; else a / t × w; t = 0 → w."""
    sw = _n(w)
    if t == 0:
        return score2(w), f"{direction}：目标值为 0，得满分 {sw}"
    if direction == EQUAL:
        if a == t:
            return score2(w), f"等于：实际 {shown_a} = 目标 {shown_t}，得满分 {sw}"
        if a > t:
            return score2(w), f"等于：实际 {shown_a} > 目标 {shown_t}（超出目标值，按正向规则），得满分 {sw}"
    elif a > t or (a == t and comparator != Comparator.GT):
        symbol = ">" if comparator == Comparator.GT else "≥"
        return score2(w), f"正向：实际 {shown_a} {symbol} 目标 {shown_t}，得满分 {sw}"
    score = score2(a * w / t)
    relation = "=" if a == t else "<"
    suffix = "（要求大于目标）" if a == t else ""
    return score, (
        f"{direction}：实际 {shown_a} {relation} 目标 {shown_t}{suffix}，得分 = {_n(a)}/{_n(t)} × {sw} = {score}"
    )


def _negative_rule(
    a: Decimal, t: Decimal, w: Decimal, comparator: Comparator | None, shown_a: str, shown_t: str
) -> tuple[Decimal, str]:
    """反向: a ≤ t → w; t < a < 2t → (1 − (a − t)/t) × w; a ≥ 2t → 0; t = 0: a ≤ 0 → w else 0."""
    sw = _n(w)
    if t == 0:
        if a <= 0:
            return score2(w), f"反向：目标值为 0，实际 {shown_a} 不大于 0，得满分 {sw}"
        return _ZERO, f"反向：目标值为 0，实际 {shown_a} 大于 0，得 0 分"
    strict = comparator == Comparator.LT
    if a < t or (a == t and not strict):
        symbol = "<" if strict else "≤"
        return score2(w), f"反向：实际 {shown_a} {symbol} 目标 {shown_t}，得满分 {sw}"
    if a == t:
        # Only "<" gets here: equal to the target is not below it, but the formula still gives w.
        score = score2((2 * t - a) * w / t)
        return score, (
            f"反向：实际 {shown_a} = 目标 {shown_t}（要求小于目标），"
            f"得分 = (1 − ({_n(a)} − {_n(t)})/{_n(t)}) × {sw} = {score}"
        )
    if a < 2 * t:
        score = score2((2 * t - a) * w / t)
        return score, (
            f"反向：实际 {shown_a} 超过目标 {shown_t}、未达其 2 倍，"
            f"得分 = (1 − ({_n(a)} − {_n(t)})/{_n(t)}) × {sw} = {score}"
        )
    return _ZERO, f"反向：实际 {shown_a} 达到或超过目标 {shown_t} 的 2 倍，得 0 分"


def _date_order(a: tuple[int, int, int | None], t: tuple[int, int, int | None]) -> int:
    """-1 / 0 / 1 comparing two dates at the precision both state (month, or day when both give a day)."""
    if a[2] is None or t[2] is None:
        left: tuple[int, ...] = (a[0], a[1])
        right: tuple[int, ...] = (t[0], t[1])
    else:
        left = (a[0], a[1], a[2])
        right = (t[0], t[1], t[2])
    return (left > right) - (left < right)


def _score_date(target: Quantity, actual: Quantity, w: Decimal, problems: list[ParseProblem]) -> RowScore:
    assert target.date is not None and actual.date is not None
    order = _date_order(actual.date, target.date)
    comparator = target.comparator or Comparator.LE
    met = {
        Comparator.LE: order <= 0,
        Comparator.LT: order < 0,
        Comparator.GE: order >= 0,
        Comparator.GT: order > 0,
        Comparator.EQ: order == 0,
    }[comparator]
    direction = direction_of(target)
    relation = {-1: "早于", 0: "等于", 1: "晚于"}[order]
    requirement = {
        Comparator.LE: "不晚于",
        Comparator.LT: "早于",
        Comparator.GE: "不早于",
        Comparator.GT: "晚于",
        Comparator.EQ: "等于",
    }[comparator]
    head = f"{direction}（时间）：实际 {actual.text} {relation} 目标 {target.text}（要求{requirement}目标）"
    if met:
        score, tail = score2(w), f"按时完成，得满分 {_n(w)}"
    else:
        score, tail = _ZERO, "未按要求时间完成，得 0 分"
    return RowScore(score, direction, order != 0, met, f"{head}，{tail}", None, tuple(problems))


def _level_range(level: str | None, w: Decimal) -> tuple[Decimal, Decimal]:
    full = score2(w)
    high = score2(w * Decimal("0.8"))
    low = score2(w * Decimal("0.6"))
    if level == LEVEL_MET:
        return high, full
    if level == LEVEL_PARTIAL:
        return low, max(low, high - _CENT)
    if level == LEVEL_UNMET:
        return _ZERO, max(_ZERO, low - _CENT)
    return _ZERO, full


def _score_qualitative(
    target: Quantity, actual: Quantity, w: Decimal, level: str | None, problems: list[ParseProblem]
) -> RowScore:
    is_boolean = target.kind == ValueKind.BOOLEAN
    same = target.flag == actual.flag if is_boolean else target.grade == actual.grade
    if same:
        note = ""
        if level is not None and level != LEVEL_MET:
            note = f"（实际与目标一致即为达成，未采用所选完成程度“{level}”）"
        low, high = _level_range(LEVEL_MET, w)
        explanation = f"定性：实际“{actual.text}”与目标“{target.text}”一致，达成，得满分 {_n(w)}{note}"
        return RowScore(score2(w), QUALITATIVE, False, True, explanation, (low, high), tuple(problems))

    effective = level if level is not None else (LEVEL_UNMET if is_boolean else None)
    low, high = _level_range(effective, w)
    if level is not None:
        met: bool | None = level == LEVEL_MET
        basis = f"完成程度“{level}”"
    elif is_boolean:
        met = False
        basis = "是否判断与目标相反，按“未达成”"
    else:
        met = None
        basis = "未选择完成程度"
    explanation = f"定性：实际“{actual.text}”与目标“{target.text}”不一致，需人工评分；{basis}，得分范围 {low}–{high}"
    return RowScore(None, QUALITATIVE, True, met, explanation, (low, high), tuple(problems))
