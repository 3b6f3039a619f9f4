"""Tests for xl_perf.engine.targets: parsing indicator texts and scoring rows by the MoF module's rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_perf.engine.targets import (
    Comparator,
    ParseProblem,
    Quantity,
    RowScore,
    ValueKind,
    direction_of,
    parse_quantity,
    score_row,
)

D = Decimal
GE, GT, LE, LT, EQ = Comparator.GE, Comparator.GT, Comparator.LE, Comparator.LT, Comparator.EQ
NUM, DATE, BOOL, QUAL = ValueKind.NUMBER, ValueKind.DATE, ValueKind.BOOLEAN, ValueKind.QUALITATIVE


def _num(comparator: Comparator | None, number: str, unit: str) -> tuple[object, ...]:
    return (NUM, comparator, D(number), unit, None, None, None)


def _date(comparator: Comparator | None, year: int, month: int, day: int | None = None) -> tuple[object, ...]:
    return (DATE, comparator, None, "", (year, month, day), None, None)


def _bool(flag: bool) -> tuple[object, ...]:
    return (BOOL, None, None, "", None, flag, None)


def _qual(grade: str) -> tuple[object, ...]:
    return (QUAL, None, None, "", None, None, grade)


TOO_LONG = "项目实施后对当地经济社会发展产生了积极而深远的影响并得到群众普遍认可"

# (input, expected): expected is a tuple (kind, comparator, number, unit, date, flag, grade) or a problem code.
PARSE_CASES: list[tuple[object, object]] = [
    # Seed strings.
    ("≥95%", _num(GE, "95", "%")),
    ("≤5000万元", _num(LE, "5000", "万元")),
    ("2022年5月", _date(None, 2022, 5)),
    ("2024 年 5 月", _date(None, 2024, 5)),
    ("是", _bool(True)),
    ("有", _bool(True)),
    ("良好", _qual("良好")),
    ("合格", _qual("合格")),
    ("100%", _num(None, "100", "%")),
    ("28360平方米", _num(None, "28360", "平方米")),
    ("28360 平方米", _num(None, "28360", "平方米")),
    ("4331米", _num(None, "4331", "米")),
    ("60个", _num(None, "60", "个")),
    ("4331m", _num(None, "4331", "米")),
    ("5776 m²", _num(None, "5776", "平方米")),
    ("5000万元", _num(None, "5000", "万元")),
    # Comparator words and symbols.
    ("≧90%", _num(GE, "90", "%")),
    (">=90%", _num(GE, "90", "%")),
    ("＞＝90%", _num(GE, "90", "%")),
    ("大于等于90%", _num(GE, "90", "%")),
    ("不低于90%", _num(GE, "90", "%")),
    ("不少于12次", _num(GE, "12", "次")),
    ("不小于3个", _num(GE, "3", "个")),
    ("95%以上", _num(GE, "95", "%")),
    ("95%及以上", _num(GE, "95", "%")),
    ("＞10户", _num(GT, "10", "户")),
    (">10户", _num(GT, "10", "户")),
    ("大于10户", _num(GT, "10", "户")),
    ("高于80分", _num(GT, "80", "分")),
    ("超过5座", _num(GT, "5", "座")),
    ("≦5%", _num(LE, "5", "%")),
    ("<=5%", _num(LE, "5", "%")),
    ("小于等于5%", _num(LE, "5", "%")),
    ("不高于5%", _num(LE, "5", "%")),
    ("不超过3天", _num(LE, "3", "天")),
    ("不多于2起", _num(LE, "2", "起")),
    ("不大于2件", _num(LE, "2", "件")),
    ("3天以内", _num(LE, "3", "天")),
    ("5%以下", _num(LE, "5", "%")),
    ("3天内", _num(LE, "3", "天")),
    ("5000万元以内", _num(LE, "5000", "万元")),
    ("<1%", _num(LT, "1", "%")),
    ("小于1%", _num(LT, "1", "%")),
    ("低于1%", _num(LT, "1", "%")),
    ("=0起", _num(EQ, "0", "起")),
    ("＝0起", _num(EQ, "0", "起")),
    ("等于100%", _num(EQ, "100", "%")),
    ("≥-15%", _num(GE, "-15", "%")),
    ("合格率≥95%", _num(GE, "95", "%")),
    # Full width, separators, unit synonyms and conversions.
    ("１００％", _num(None, "100", "%")),
    ("≥９５．５％", _num(GE, "95.5", "%")),
    ("1,234,567元", _num(None, "123.4567", "万元")),
    ("50000000元", _num(None, "5000", "万元")),
    ("0.5亿元", _num(None, "5000", "万元")),
    ("3000千元", _num(None, "300", "万元")),
    ("5776㎡", _num(None, "5776", "平方米")),
    ("5776m2", _num(None, "5776", "平方米")),
    ("120平米", _num(None, "120", "平方米")),
    ("2.5km", _num(None, "2.5", "公里")),
    ("2.5千米", _num(None, "2.5", "公里")),
    ("2.5公里", _num(None, "2.5", "公里")),
    ("1.2万平方米", _num(None, "12000", "平方米")),
    ("5万人次", _num(None, "50000", "人次")),
    ("3批次", _num(None, "3", "批次")),
    ("12个月", _num(None, "12", "月")),
    ("15日", _num(None, "15", "天")),
    ("5年", _num(None, "5", "年")),
    ("5年内", _num(LE, "5", "年")),
    ("5000万", _num(None, "5000", "万")),
    ("约5000万元", _num(None, "5000", "万元")),
    ("100", _num(None, "100", "")),
    ("0.95", _num(None, "0.95", "")),
    # Plain numbers from spreadsheet cells.
    (95, _num(None, "95", "")),
    (0.95, _num(None, "0.95", "")),
    (D("4.625"), _num(None, "4.625", "")),
    # Dates.
    ("2022年5月31日", _date(None, 2022, 5, 31)),
    ("2022年5月31号", _date(None, 2022, 5, 31)),
    ("2022年05月", _date(None, 2022, 5)),
    ("2022-05", _date(None, 2022, 5)),
    ("2022-05-31", _date(None, 2022, 5, 31)),
    ("2022.5", _date(None, 2022, 5)),
    ("2022/5/31", _date(None, 2022, 5, 31)),
    ("2022年", _date(None, 2022, 12)),
    ("2022年度", _date(None, 2022, 12)),
    ("2022年底", _date(LE, 2022, 12)),
    ("2022年年底", _date(LE, 2022, 12)),
    ("2022年12月底", _date(LE, 2022, 12)),
    ("2022年12月底前", _date(LE, 2022, 12)),
    ("2022年12月31日前", _date(LE, 2022, 12, 31)),
    ("2022年6月30日以前", _date(LE, 2022, 6, 30)),
    ("2022年6月之前", _date(LE, 2022, 6)),
    ("2022年5月以后", _date(GE, 2022, 5)),
    ("2022年5月之后", _date(GE, 2022, 5)),
    ("≤2022年10月", _date(LE, 2022, 10)),
    ("2022年第三季度", _date(None, 2022, 9)),
    ("2022年上半年", _date(None, 2022, 6)),
    (dt.date(2022, 5, 31), _date(None, 2022, 5, 31)),
    (dt.datetime(2022, 5, 31, 8, 30), _date(None, 2022, 5, 31)),
    # Booleans.
    ("否", _bool(False)),
    ("无", _bool(False)),
    ("已完成", _bool(True)),
    ("未完成", _bool(False)),
    ("完成", _bool(True)),
    ("达到", _bool(True)),
    ("未达到", _bool(False)),
    ("已", _bool(True)),
    ("未", _bool(False)),
    (True, _bool(True)),
    (False, _bool(False)),
    # Qualitative grades.
    ("优秀", _qual("优秀")),
    ("优", _qual("优")),
    ("良", _qual("良")),
    ("达标", _qual("达标")),
    ("满意", _qual("满意")),
    ("基本满意", _qual("基本满意")),
    ("显著", _qual("显著")),
    ("明显提升", _qual("明显提升")),
    ("有效", _qual("有效")),
    ("稳定", _qual("稳定")),
    ("一般", _qual("一般")),
    ("十分满意", _qual("十分满意")),
    ("“良好”", _qual("良好")),
    ("良好。", _qual("良好")),
    # Garbage.
    ("", "EMPTY"),
    ("  ", "EMPTY"),
    ("\u3000", "EMPTY"),
    (None, "EMPTY"),
    ("约五千", "TARGET_UNPARSEABLE"),
    ("五千", "TARGET_UNPARSEABLE"),
    ("五个", "TARGET_UNPARSEABLE"),
    ("若干", "TARGET_UNPARSEABLE"),
    ("若干个", "TARGET_UNPARSEABLE"),
    ("≥", "TARGET_UNPARSEABLE"),
    ("不低于", "TARGET_UNPARSEABLE"),
    ("以上", "TARGET_UNPARSEABLE"),
    ("%", "TARGET_UNPARSEABLE"),
    ("abc", "TARGET_UNPARSEABLE"),
    ("???", "TARGET_UNPARSEABLE"),
    (TOO_LONG, "TARGET_UNPARSEABLE"),
    ("完成了95%的任务", "TARGET_UNPARSEABLE"),
    ("100%完成", "TARGET_UNPARSEABLE"),
    ("95%-100%", "TARGET_UNPARSEABLE"),
    ("1e5", "TARGET_UNPARSEABLE"),
    ("≥95%以下", "TARGET_UNPARSEABLE"),
    ("2022年13月", "TARGET_UNPARSEABLE"),
    ("2022年2月30日", "TARGET_UNPARSEABLE"),
    ("2022年5月以后前", "TARGET_UNPARSEABLE"),
    ("95个单位的人员", "TARGET_UNPARSEABLE"),
    (float("nan"), "TARGET_UNPARSEABLE"),
    (float("inf"), "TARGET_UNPARSEABLE"),
    (D("NaN"), "TARGET_UNPARSEABLE"),
    (D("sNaN"), "TARGET_UNPARSEABLE"),
    ([1, 2], "TARGET_UNPARSEABLE"),
]


def _shape(q: Quantity) -> tuple[object, ...]:
    return (q.kind, q.comparator, q.number, q.unit, q.date, q.flag, q.grade)


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES, ids=[repr(c[0])[:40] for c in PARSE_CASES])
def test_parse_quantity(text: object, expected: object) -> None:
    result = parse_quantity(text)
    if isinstance(expected, str):
        assert isinstance(result, ParseProblem), result
        assert result.code == expected
        assert result.message
        assert result.code.isascii()
    else:
        assert isinstance(result, Quantity), result
        assert _shape(result) == expected
        if result.number is not None:
            assert isinstance(result.number, Decimal)


def test_parse_case_count() -> None:
    assert len(PARSE_CASES) >= 60


def test_normalised_text() -> None:
    q = parse_quantity("2024 年 5 月")
    assert isinstance(q, Quantity) and q.text == "2024年5月"
    q = parse_quantity("１００％")
    assert isinstance(q, Quantity) and q.text == "100%"
    q = parse_quantity("28360 平方米")
    assert isinstance(q, Quantity) and q.text == "28360平方米"


def test_unparseable_message_names_the_text() -> None:
    problem = parse_quantity("约五千")
    assert isinstance(problem, ParseProblem)
    assert problem.code == "TARGET_UNPARSEABLE"
    assert "约五千" in problem.message
    assert "≥95%" in problem.message


def test_long_text_message_is_shortened() -> None:
    problem = parse_quantity("很" * 200)
    assert isinstance(problem, ParseProblem)
    assert "过长" in problem.message
    assert len(problem.message) < 120


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("≥95%", "正向"),
        (">95%", "正向"),
        ("28360平方米", "正向"),
        ("≤5000万元", "反向"),
        ("<1%", "反向"),
        ("不超过3天", "反向"),
        ("=0起", "等于"),
        ("2022年5月", "反向"),
        ("2022年12月底前", "反向"),
        ("2022年5月以后", "正向"),
        ("是", "定性"),
        ("良好", "定性"),
    ],
)
def test_direction_of(text: str, direction: str) -> None:
    q = parse_quantity(text)
    assert isinstance(q, Quantity)
    assert direction_of(q) == direction


# (target, actual, weight, score, direction, deviates, met)
SCORE_CASES: list[tuple[object, object, str, str | None, str, bool | None, bool | None]] = [
    # 正向
    ("≥95%", "90%", "5", "4.74", "正向", True, False),
    ("≥95%", "95%", "5", "5.00", "正向", False, True),
    ("≥95%", "99.5%", "5", "5.00", "正向", True, True),
    ("95%以上", "96%", "5", "5.00", "正向", True, True),
    ("28360平方米", "28360 平方米", "8", "8.00", "正向", False, True),
    ("60个", "45个", "6", "4.50", "正向", True, False),
    ("4331米", "4331m", "3", "3.00", "正向", False, True),
    ("≥40", "37", "5", "4.63", "正向", True, False),  # 37/40 × 5 = 4.625 -> 4.63 (half-up)
    ("≥40", "36.9", "5", "4.61", "正向", True, False),  # 4.6125 -> 4.61
    ("≥120", "37", "3", "0.93", "正向", True, False),  # 37/120 × 3 = 0.925 exactly -> 0.93
    ("≥95%", "0%", "5", "0.00", "正向", True, False),
    ("≥95%", "-5%", "5", "0.00", "正向", True, False),  # negative actual counts as 0
    ("≥0个", "0个", "5", "5.00", "正向", False, True),
    (">10户", "10户", "3", "3.00", "正向", False, False),  # not above, but a/t × w = w
    (">10户", "11户", "3", "3.00", "正向", True, True),
    (">10户", "8户", "3", "2.40", "正向", True, False),
    ("≥95%", "90", "5", "4.74", "正向", True, False),  # actual without unit takes the target's unit
    (100, 90, "5", "4.50", "正向", True, False),
    # 等于
    ("=0起", "0起", "4", "4.00", "等于", False, True),
    ("=0起", "1起", "4", "0.00", "等于", True, False),
    ("=0起", "-1起", "4", "4.00", "等于", True, False),
    ("=10", "10", "3", "3.00", "等于", False, True),
    ("=10", "12", "3", "3.00", "等于", True, False),
    ("=10", "8", "3", "2.40", "等于", True, False),
    # 反向
    ("≤10天", "15天", "4", "2.00", "反向", True, False),
    ("≤10天", "10天", "4", "4.00", "反向", False, True),
    ("≤10天", "8天", "4", "4.00", "反向", True, True),
    ("≤10天", "20天", "4", "0.00", "反向", True, False),
    ("≤10天", "25天", "4", "0.00", "反向", True, False),
    ("≤10天", "19.9天", "4", "0.04", "反向", True, False),
    ("≤40", "43", "5", "4.63", "反向", True, False),  # (1 − 3/40) × 5 = 4.625 -> 4.63
    ("不超过3天", "4天", "6", "4.00", "反向", True, False),
    ("≤5000万元", "5000万元", "3", "3.00", "反向", False, True),
    ("≤5000万元", "50000000元", "3", "3.00", "反向", False, True),
    ("≤5000万元", "0.5亿元", "3", "3.00", "反向", False, True),
    ("≤5000万元", "5500万元", "3", "2.70", "反向", True, False),
    ("<10", "10", "4", "4.00", "反向", False, False),
    ("<10", "9", "4", "4.00", "反向", True, True),
    ("≤0起", "0起", "4", "4.00", "反向", False, True),
    ("≤0起", "2起", "4", "0.00", "反向", True, False),
    # Negative targets: no proportional rule.
    ("≤-15%", "-20%", "3", "3.00", "反向", True, True),
    ("≤-15%", "-10%", "3", "0.00", "反向", True, False),
    ("≥-15%", "-10%", "3", "3.00", "正向", True, True),
    # Dates
    ("2022年5月", "2022年5月", "2", "2.00", "反向", False, True),
    ("2024年5月", "2022年10月", "2", "2.00", "反向", True, True),
    ("2022年5月", "2022年6月", "2", "0.00", "反向", True, False),
    ("2022年5月", "2022年5月20日", "2", "2.00", "反向", False, True),
    ("2022年12月31日前", "2022年12月31日", "2", "2.00", "反向", False, True),
    ("2022年12月31日前", "2023年1月1日", "2", "0.00", "反向", True, False),
    ("2022年底", "2022-11", "2", "2.00", "反向", True, True),
    ("2022年5月以后", "2022年6月", "2", "2.00", "正向", True, True),
    ("2022年5月以后", "2022年4月", "2", "0.00", "正向", True, False),
    # 定性
    ("是", "是", "2", "2.00", "定性", False, True),
    ("有", "有", "2", "2.00", "定性", False, True),
    ("完成", "已完成", "2", "2.00", "定性", False, True),
    ("是", "否", "5", None, "定性", True, False),
    ("良好", "良好", "5", "5.00", "定性", False, True),
    ("合格", "合格", "5", "5.00", "定性", False, True),
    ("良好", "优秀", "5", None, "定性", True, None),
]


@pytest.mark.parametrize(
    ("target", "actual", "weight", "score", "direction", "deviates", "met"),
    SCORE_CASES,
    ids=[f"{c[0]}|{c[1]}|{c[2]}" for c in SCORE_CASES],
)
def test_score_row(
    target: object,
    actual: object,
    weight: str,
    score: str | None,
    direction: str,
    deviates: bool | None,
    met: bool | None,
) -> None:
    result = score_row(target, actual, D(weight))
    assert result.problems == ()
    if score is None:
        assert result.score is None
    else:
        assert result.score is not None
        assert str(result.score) == score
    assert result.direction == direction
    assert result.deviates is deviates
    assert result.met is met
    assert result.explanation


def test_explanation_names_branch_and_numbers() -> None:
    result = score_row("≥95%", "90%", D(5))
    assert result.explanation == "正向：实际 90% < 目标 95%，得分 = 90/95 × 5 = 4.74"
    result = score_row("≤10天", "15天", D(4))
    assert "反向" in result.explanation and "15" in result.explanation and "2.00" in result.explanation
    result = score_row("≤10天", "25天", D(4))
    assert "2 倍" in result.explanation
    result = score_row("≥95%", "-5%", D(5))
    assert "按 0 计" in result.explanation
    result = score_row("≥95%", "90", D(5))
    assert "未写单位" in result.explanation


@pytest.mark.parametrize(
    ("level", "low", "high", "met"),
    [
        ("达成", "4.00", "5.00", True),
        ("部分达成", "3.00", "3.99", False),
        ("未达成", "0.00", "2.99", False),
        (None, "0.00", "5.00", None),
    ],
)
def test_qualitative_ranges(level: str | None, low: str, high: str, met: bool | None) -> None:
    result = score_row("良好", "一般", D(5), qualitative_level=level)
    assert result.score is None
    assert result.deviates is True
    assert result.met is met
    assert result.score_range == (D(low), D(high))
    assert result.direction == "定性"
    assert "人工评分" in result.explanation


def test_boolean_mismatch_defaults_to_unmet_range() -> None:
    result = score_row("是", "否", D(5))
    assert result.score is None
    assert result.score_range == (D("0.00"), D("2.99"))
    result = score_row("是", "否", D(5), qualitative_level="部分达成")
    assert result.score_range == (D("3.00"), D("3.99"))


def test_qualitative_equal_gets_full_weight_and_met_range() -> None:
    result = score_row("良好", "良好", D(5))
    assert result.score == D("5.00")
    assert result.score_range == (D("4.00"), D("5.00"))


def test_qualitative_ranges_with_zero_weight() -> None:
    for level in ("达成", "部分达成", "未达成", None):
        result = score_row("良好", "一般", D(0), qualitative_level=level)
        assert result.score_range is not None
        low, high = result.score_range
        assert D(0) <= low <= high <= D(0)


@pytest.mark.parametrize(
    ("target", "actual", "codes"),
    [
        ("≥95%", "95个", ("UNIT_MISMATCH",)),
        ("≤5000万元", "5000万", ("UNIT_MISMATCH",)),
        ("5000万", "5000万元", ("UNIT_MISMATCH",)),
        ("100", "100%", ("UNIT_MISMATCH",)),
        ("28360平方米", "28360米", ("UNIT_MISMATCH",)),
        ("≥95%", "良好", ("KIND_MISMATCH",)),
        ("是", "良好", ("KIND_MISMATCH",)),
        ("2022年5月", "是", ("KIND_MISMATCH",)),
        ("2022年5月", "100%", ("KIND_MISMATCH",)),
        ("", "90%", ("EMPTY",)),
        ("≥95%", "", ("EMPTY",)),
        ("≥95%", None, ("EMPTY",)),
        ("约五千", "5000", ("TARGET_UNPARSEABLE",)),
        ("≥95%", "约五千", ("ACTUAL_UNPARSEABLE",)),
        ("若干", "若干", ("TARGET_UNPARSEABLE", "ACTUAL_UNPARSEABLE")),
        ("abc", None, ("TARGET_UNPARSEABLE", "EMPTY")),
    ],
)
def test_unusable_rows(target: object, actual: object, codes: tuple[str, ...]) -> None:
    result = score_row(target, actual, D(5))
    assert result.score is None
    assert result.met is None
    assert result.deviates is None
    assert result.score_range is None
    assert tuple(p.code for p in result.problems) == codes
    assert result.explanation.startswith("无法自动评分")


def test_actual_problem_is_relabelled_and_names_the_actual() -> None:
    result = score_row("≥95%", "约五千", D(5))
    (problem,) = result.problems
    assert problem.code == "ACTUAL_UNPARSEABLE"
    assert "实际完成值" in problem.message and "约五千" in problem.message
    assert result.direction == "正向"


def test_unit_mismatch_message() -> None:
    result = score_row("≥95%", "95个", D(5))
    (problem,) = result.problems
    assert "%" in problem.message and "个" in problem.message


@pytest.mark.parametrize("weight", [D(-1), D("NaN"), D("Infinity"), "abc", None, True, D("1e30")])
def test_invalid_weight(weight: object) -> None:
    result = score_row("≥95%", "90%", weight)  # type: ignore[arg-type]
    assert result.score is None
    assert [p.code for p in result.problems] == ["WEIGHT_INVALID"]


def test_weight_accepts_int_and_float() -> None:
    assert score_row("≥95%", "90%", 5).score == D("4.74")  # type: ignore[arg-type]
    assert score_row("≥95%", "90%", 5.0).score == D("4.74")  # type: ignore[arg-type]


def test_invalid_level_is_reported_but_scoring_continues() -> None:
    result = score_row("≥95%", "90%", D(5), qualitative_level="差不多")
    assert result.score == D("4.74")
    assert [p.code for p in result.problems] == ["LEVEL_INVALID"]


def test_scores_are_decimal_with_two_places() -> None:
    result = score_row("≥3", "1", D(10))
    assert result.score == D("3.33")
    assert isinstance(result.score, Decimal)
    assert result.score.as_tuple().exponent == -2


def test_row_score_is_frozen() -> None:
    result = score_row("≥95%", "90%", D(5))
    assert isinstance(result, RowScore)
    with pytest.raises(AttributeError):
        result.score = D(0)  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------------------

_INDICATOR_ALPHABET = st.sampled_from(
    [
        *"0123456789.,%％-年月日底前后以上下内≥≤<>=＞＜万元亿个米平方是否有无良好约五千 ",
        "不超过",
        "不低于",
        "以内",
        "m²",
        "㎡",
    ]
)
_INDICATOR_TEXT = st.lists(_INDICATOR_ALPHABET, max_size=12).map("".join)
_ANY_TEXT = st.one_of(st.text(), _INDICATOR_TEXT)
_WEIGHTS = st.decimals(min_value=0, max_value=100, places=2)
_LEVELS = st.sampled_from([None, "达成", "部分达成", "未达成", "bogus"])


@settings(max_examples=400, deadline=None)
@given(_ANY_TEXT)
def test_parse_never_raises(text: str) -> None:
    result = parse_quantity(text)
    assert isinstance(result, (Quantity, ParseProblem))
    if isinstance(result, Quantity) and result.number is not None:
        assert result.number.is_finite()


@settings(max_examples=400, deadline=None)
@given(_ANY_TEXT, _ANY_TEXT, _WEIGHTS, _LEVELS)
def test_score_row_never_raises_and_stays_in_range(
    target: str, actual: str, weight: Decimal, level: str | None
) -> None:
    result = score_row(target, actual, weight, qualitative_level=level)
    assert isinstance(result, RowScore)
    if result.score is not None:
        assert D(0) <= result.score <= weight
    if result.score_range is not None:
        low, high = result.score_range
        assert D(0) <= low <= high <= weight


_AMOUNTS = st.decimals(min_value=-1000, max_value=100000, places=2)


@settings(max_examples=300, deadline=None)
@given(_AMOUNTS, _AMOUNTS, _WEIGHTS, st.sampled_from(["≥", ">", "≤", "<", "=", ""]))
def test_numeric_scores_in_range(t: Decimal, a: Decimal, weight: Decimal, symbol: str) -> None:
    result = score_row(f"{symbol}{t}个", f"{a}个", weight)
    assert result.problems == ()
    assert result.score is not None
    assert D(0) <= result.score <= weight


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=0, max_value=100000, places=2),
    _AMOUNTS,
    _AMOUNTS,
    _WEIGHTS,
    st.sampled_from(["≥", ">", ""]),
)
def test_positive_score_is_monotone_in_actual(
    t: Decimal, a1: Decimal, a2: Decimal, weight: Decimal, symbol: str
) -> None:
    low, high = sorted((a1, a2))
    s_low = score_row(f"{symbol}{t}%", f"{low}%", weight).score
    s_high = score_row(f"{symbol}{t}%", f"{high}%", weight).score
    assert s_low is not None and s_high is not None
    assert s_low <= s_high


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value="0.01", max_value=100000, places=2), _AMOUNTS, _AMOUNTS, _WEIGHTS)
def test_negative_score_is_antitone_in_actual(t: Decimal, a1: Decimal, a2: Decimal, weight: Decimal) -> None:
    low, high = sorted((a1, a2))
    s_low = score_row(f"≤{t}天", f"{low}天", weight).score
    s_high = score_row(f"≤{t}天", f"{high}天", weight).score
    assert s_low is not None and s_high is not None
    assert s_low >= s_high


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value="0.01", max_value=100000, places=2), _WEIGHTS)
def test_money_units_are_interchangeable(amount_wan: Decimal, weight: Decimal) -> None:
    yuan = amount_wan * 10000
    result = score_row(f"≤{amount_wan}万元", f"{yuan}元", weight)
    assert result.score == weight.quantize(D("0.01"))
    assert result.deviates is False


# --- the parse memo ----------------------------------------------------------------------------------------------

_MEMO_TEXTS = ["100%", "≥95%", " ≥ 95 % ", "是", "有效改善", "2023年12月底前", "约五千", "", "  ", "abc", "≥"]


def _uncached(text: str, role: str) -> Quantity | ParseProblem:
    from xl_perf.engine import quantities

    return quantities._parse_str.__wrapped__(text, role)  # type: ignore[attr-defined]


@given(st.one_of(st.sampled_from(_MEMO_TEXTS), st.text(max_size=12)))
@settings(max_examples=200, deadline=None)
def test_parsed_texts_from_the_memo_equal_a_fresh_parse(text: str) -> None:
    from xl_perf.engine import quantities

    for role in (quantities.ROLE_TARGET, quantities.ROLE_ACTUAL):
        assert quantities.parse_as(text, role) == _uncached(text, role)
        assert quantities.parse_as(text, role) == _uncached(text, role)  # and again, now from the memo


def test_parse_memo_keeps_the_roles_apart() -> None:
    # The same unusable text is reported as a target problem in one cell and an actual-value problem in the other.
    first = score_row("约五千", "约五千", D(10))
    second = score_row("100%", "约五千", D(10))
    assert [p.code for p in first.problems] == ["TARGET_UNPARSEABLE", "ACTUAL_UNPARSEABLE"]
    assert [p.code for p in second.problems] == ["ACTUAL_UNPARSEABLE"]
    assert "实际完成值" in second.problems[0].message


def test_row_memo_tells_equal_weights_apart() -> None:
    assert str(score_row("100%", "100%", D("0")).score) == "0.00"
    assert str(score_row("100%", "100%", D("-0")).score) == "-0.00"
    assert str(score_row("100%", "100%", D("0")).score) == "0.00"
    assert score_row("100%", "100%", D("10")).explanation == score_row("100%", "100%", D("10.0")).explanation
