"""Indicator target / actual texts parsed into structured values.

A target text such as "≥95%", "≤5000万元", "2022年5月", "是" or "良好" becomes a `Quantity`; an unusable text becomes a
`ParseProblem` (a finding, never an exception). `engine.targets` scores a row from two of them.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from xl_perf.numbers import format_number, to_decimal


class Comparator(str, Enum):
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "="


class ValueKind(str, Enum):
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    QUALITATIVE = "qualitative"


@dataclass(frozen=True)
class Quantity:
    """A parsed target or actual value."""

    kind: ValueKind
    comparator: Comparator | None
    number: Decimal | None
    unit: str
    date: tuple[int, int, int | None] | None
    text: str
    flag: bool | None
    grade: str | None


@dataclass(frozen=True)
class ParseProblem:
    """Why a text (or a pair of texts) cannot be used. `code` is stable ASCII, `message` is Chinese for the user."""

    code: str
    message: str


@dataclass(frozen=True)
class RowScore:
    score: Decimal | None
    direction: str
    deviates: bool | None
    met: bool | None
    explanation: str
    score_range: tuple[Decimal, Decimal] | None
    problems: tuple[ParseProblem, ...]


# Problem codes.
TARGET_UNPARSEABLE = "TARGET_UNPARSEABLE"
ACTUAL_UNPARSEABLE = "ACTUAL_UNPARSEABLE"
UNIT_MISMATCH = "UNIT_MISMATCH"
KIND_MISMATCH = "KIND_MISMATCH"
EMPTY = "EMPTY"
WEIGHT_INVALID = "WEIGHT_INVALID"
LEVEL_INVALID = "LEVEL_INVALID"

# Directions (user-facing words, also used as values).
POSITIVE = "正向"
NEGATIVE = "反向"
EQUAL = "等于"
QUALITATIVE = "定性"
UNKNOWN = "未知"

# Qualitative completion levels.
LEVEL_MET = "达成"
LEVEL_PARTIAL = "部分达成"
LEVEL_UNMET = "未达成"

ROLE_TARGET = "指标值"
ROLE_ACTUAL = "实际完成值"
_HINTS = {
    ROLE_TARGET: "请填写如“≥95%”“≤5000万元”“2022年5月”“是”的形式",
    ROLE_ACTUAL: "请填写如“96%”“4800万元”“2022年5月”“是”的形式",
}
_UNPARSEABLE_CODES = {ROLE_TARGET: TARGET_UNPARSEABLE, ROLE_ACTUAL: ACTUAL_UNPARSEABLE}

_MAX_QUALITATIVE_LENGTH = 20
_MAX_MAGNITUDE = 40  # |exponent| of any parsed number; indicator values are nowhere near 10^40
_INTEGRAL_DIGITS = 20  # below the default 28-digit context precision, so quantize(1) cannot fail

# ---------------------------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------------------------

_GE_WORDS = ("≥", "≧", "⩾", ">=", "=>", "大于等于", "大于或等于", "高于等于", "高于或等于",
             "不低于", "不少于", "不小于", "至少", "最少", "达到")  # fmt: skip
_GT_WORDS = (">", "大于", "高于", "超过", "多于")
_LE_WORDS = ("≤", "≦", "⩽", "<=", "=<", "小于等于", "小于或等于", "低于等于", "低于或等于",
             "不高于", "不超过", "不多于", "不大于", "至多", "最多", "控制在")  # fmt: skip
_LT_WORDS = ("<", "小于", "低于", "少于")
_EQ_WORDS = ("==", "=", "等于")

# Comparator words in front of a value, longest first so that "不超过" wins over "超过" and ">=" over ">".
_PREFIX_COMPARATORS: tuple[tuple[str, Comparator], ...] = tuple(
    sorted(
        [
            *((word, Comparator.GE) for word in _GE_WORDS),
            *((word, Comparator.GT) for word in _GT_WORDS),
            *((word, Comparator.LE) for word in _LE_WORDS),
            *((word, Comparator.LT) for word in _LT_WORDS),
            *((word, Comparator.EQ) for word in _EQ_WORDS),
        ],
        key=lambda item: -len(item[0]),
    )
)

# Suffixes after a number ("95%以上", "3天内"), longest first.
_NUMBER_SUFFIXES: tuple[tuple[str, Comparator], ...] = (
    ("及以上", Comparator.GE),
    ("及以下", Comparator.LE),
    ("以上", Comparator.GE),
    ("以下", Comparator.LE),
    ("以内", Comparator.LE),
    ("之内", Comparator.LE),
    ("内", Comparator.LE),
)

# Suffixes after a date ("2022年12月31日前", "2022年5月以后"), longest first.
_DATE_SUFFIXES: tuple[tuple[str, Comparator], ...] = (
    ("以前", Comparator.LE),
    ("之前", Comparator.LE),
    ("为止", Comparator.LE),
    ("以内", Comparator.LE),
    ("之内", Comparator.LE),
    ("以后", Comparator.GE),
    ("之后", Comparator.GE),
    ("前", Comparator.LE),
    ("内", Comparator.LE),
    ("后", Comparator.GE),
)

_BARE_SUFFIXES = frozenset(word for word, _ in (*_NUMBER_SUFFIXES, *_DATE_SUFFIXES)) | {"左右"}

_TRUE_WORDS = ("是", "有", "已", "完成", "已完成", "全部完成", "按时完成", "按期完成", "达到", "已达到", "达成",
               "已达成", "实现", "已实现", "通过", "已通过", "具备", "符合", "能", "√", "✓", "✔")  # fmt: skip
_FALSE_WORDS = ("否", "无", "未", "没有", "不是", "未完成", "未达到", "未达成", "未实现", "未通过", "不具备",
                "不符合", "不能", "×", "✗", "✘")  # fmt: skip
_BOOLEANS: dict[str, bool] = {**dict.fromkeys(_TRUE_WORDS, True), **dict.fromkeys(_FALSE_WORDS, False)}

# Money: every amount becomes 万元 (value × 10^exponent).
_MONEY_UNITS: dict[str, int] = {"元": -4, "千元": -1, "万元": 0, "百万元": 2, "亿元": 4}
_MONEY_CANONICAL = "万元"

# Unit synonyms (keys of latin units in lower case).
_UNIT_SYNONYMS: dict[str, str] = {
    "m2": "平方米",
    "平米": "平方米",
    "平方": "平方米",
    "平方米": "平方米",
    "m": "米",
    "米": "米",
    "km": "公里",
    "千米": "公里",
    "公里": "公里",
    "km2": "平方公里",
    "平方千米": "平方公里",
    "平方公里": "平方公里",
    "m3": "立方米",
    "立方米": "立方米",
    "方": "立方米",
    "cm": "厘米",
    "厘米": "厘米",
    "h": "小时",
    "小时": "小时",
    "个小时": "小时",
    "日": "天",
    "天": "天",
    "个月": "月",
    "月": "月",
}

_COUNT_UNITS = frozenset((
    "个", "人", "人次", "次", "户", "座", "家", "项", "件", "所", "条", "份", "场", "期", "篇", "套", "台", "辆",
    "处", "宗", "批", "栋", "间", "张", "名", "本", "册", "天", "日", "月", "年", "小时", "亩", "公顷", "吨", "株",
    "棵", "只", "头", "公里", "米", "平方米", "立方米", "万元", "元",
))  # fmt: skip

# 万 / 亿 in front of a known non-money unit is a magnitude: "1.2万平方米" is 12000 平方米.
_MAGNITUDES: dict[str, int] = {"万": 4, "亿": 8}

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_CJK = re.compile(f"[{_CJK}]")
_VERBATIM_UNIT = re.compile(f"[A-Za-z°{_CJK}]{{1,4}}(?:/[A-Za-z°{_CJK}]{{1,4}})?")
_LABEL = re.compile(f"[A-Za-z{_CJK}]+")
_NUMBER = re.compile(r"(?P<approx>大约|约为|约|近)?(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<tail>.*)")
_CN_DATE = re.compile(r"(?P<y>[0-9]{4})年(?P<rest>.*)")
_NUM_DATE = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-./])(?P<m>[0-9]{1,2})(?:(?P=sep)(?P<d>[0-9]{1,2}))?")
_CN_MONTH = re.compile(r"(?P<m>[0-9]{1,2})月份?(?:(?P<d>[0-9]{1,2})[日号]|(?P<end>底|末)|(?P<dekad>上旬|中旬|下旬))?")
_CN_QUARTER = re.compile(r"第?(?P<q>[1-4一二三四])季度(?P<end>底|末)?")
_QUARTERS = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_VAGUE_WORDS = re.compile(r"若干|一些|少量|些许|数个|多个|几[个十百千万]|[十百千万]几")
_CN_NUMERAL_QUANTITY = re.compile(
    r"(?P<approx>大约|约|近|逾)?(?P<num>[零〇一二三四五六七八九十百千万亿两]+)(?P<more>余|多)?(?P<unit>.{0,4}?)(?P<about>左右)?"
)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_WHITESPACE = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_EDGE_QUOTES = "\"'“”‘’「」『』"
_TRAILING_PUNCT = "。；;，,、"


# ---------------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------------


def parse_quantity(text: object) -> Quantity | ParseProblem:
    """Parse a target text (str, int, float, Decimal; also date/datetime cells). Never raises."""
    return parse_as(text, ROLE_TARGET)


def parse_as(value: object, role: str) -> Quantity | ParseProblem:
    if type(value) is str:
        return _parse_str(value, role)
    if value is None:
        return _empty(role)
    if isinstance(value, bool):
        word = "是" if value else "否"
        return Quantity(ValueKind.BOOLEAN, None, None, "", None, word, value, None)
    if isinstance(value, (int, float, Decimal)):
        return _parse_plain_number(value, role)
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return Quantity(
            ValueKind.DATE, None, None, "", (value.year, value.month, value.day), value.isoformat(), None, None
        )
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception:  # an arbitrary object's __str__ may fail; the contract is: never raise
            return _unparseable(role, "（无法显示的值）")
    text = _normalise(value)
    if not text:
        return _empty(role)
    return _parse_text(text, role)


# The same texts ("100%", "≥95%", "是", "2023年12月") fill the target and actual cells of thousands of rows. Parsing
# a text depends on nothing else, and its result is immutable (frozen, with Decimal and tuple parts): parsed once.
@functools.lru_cache(maxsize=8192)
def _parse_str(value: str, role: str) -> Quantity | ParseProblem:
    text = _normalise(value)
    if not text:
        return _empty(role)
    return _parse_text(text, role)


def _parse_plain_number(value: float | Decimal, role: str) -> Quantity | ParseProblem:
    try:
        number = to_decimal(value)
    except ValueError:
        return _unparseable(role, str(value))
    sane = _sane(number)
    if sane is None:
        return _unparseable(role, str(value))
    return Quantity(ValueKind.NUMBER, None, sane, "", None, format_number(sane), None, None)


def _sane(number: Decimal) -> Decimal | None:
    """The number if it is finite and of a plausible magnitude (so that no later arithmetic can overflow)."""
    if not number.is_finite():
        return None
    if number.is_zero():
        return Decimal(0)
    if abs(number.adjusted()) > _MAX_MAGNITUDE:
        return None
    return number


def _normalise(text: str) -> str:
    """Full width to half width, no whitespace, no thousands separators, no decorative quotes or end punctuation."""
    result = unicodedata.normalize("NFKC", text)
    result = result.replace("−", "-").replace("﹪", "%")
    result = _ZERO_WIDTH.sub("", result)
    result = _WHITESPACE.sub("", result)
    result = _THOUSANDS.sub("", result)
    result = result.strip(_EDGE_QUOTES).rstrip(_TRAILING_PUNCT)
    return result


def _parse_text(text: str, role: str) -> Quantity | ParseProblem:
    flag = _BOOLEANS.get(text)
    if flag is not None:
        return Quantity(ValueKind.BOOLEAN, None, None, "", None, text, flag, None)

    comparator, rest = _split_prefix(text)
    if _HAS_DIGIT.search(text):
        result = _parse_measure(text, comparator, rest, role)
        if result is not None:
            return result
        # "合格率≥95%": a short label in front of a comparator.
        for cut in range(1, min(len(text), 16)):
            if not _LABEL.fullmatch(text[:cut]):
                break
            label_comparator, label_rest = _split_prefix(text[cut:])
            if label_comparator is None:
                continue
            result = _parse_measure(text, label_comparator, label_rest, role)
            if result is not None:
                return result
        return _unparseable(role, text)

    # No digits: a boolean word (handled above), a qualitative grade, or garbage.
    if (comparator is not None and not rest) or text in _BARE_SUFFIXES:
        return _unparseable(role, text)
    if len(text) > _MAX_QUALITATIVE_LENGTH:
        return ParseProblem(
            _UNPARSEABLE_CODES[role],
            f"{role}“{shorten(text)}”过长（超过{_MAX_QUALITATIVE_LENGTH}个字）且不含数字，无法识别：{_HINTS[role]}",
        )
    if _is_vague_quantity(rest) or not _HAS_CJK.search(text):
        return _unparseable(role, text)
    return Quantity(ValueKind.QUALITATIVE, None, None, "", None, text, None, text)


def _split_prefix(text: str) -> tuple[Comparator | None, str]:
    match = _PREFIX.match(text)
    if match is None:
        return None, text
    word = match.group()
    return _PREFIX_WORDS[word], text[len(word) :]


# One pass instead of a startswith per word: an alternation tries its branches in order, so the first word of
# _PREFIX_COMPARATORS that starts the text wins, as in a loop over them.
_PREFIX = re.compile("|".join(re.escape(word) for word, _ in _PREFIX_COMPARATORS))
_PREFIX_WORDS: dict[str, Comparator] = dict(reversed(_PREFIX_COMPARATORS))  # reversed: a repeated word keeps its first


def _is_vague_quantity(text: str) -> bool:
    """'约五千', '若干', '五个', '两': a quantity written in Chinese numerals or vague words, which cannot be scored."""
    if _VAGUE_WORDS.search(text):
        return True
    match = _CN_NUMERAL_QUANTITY.fullmatch(text)
    if match is None:
        return False
    unit = match["unit"]
    return bool(
        match["approx"]
        or match["more"]
        or match["about"]
        or len(match["num"]) >= 2
        or not unit
        or unit in _COUNT_UNITS
        or unit in _UNIT_SYNONYMS
        or unit in _MONEY_UNITS
    )


def _merge(first: Comparator | None, second: Comparator | None) -> tuple[bool, Comparator | None]:
    """(consistent, comparator): a prefix and a suffix comparator must agree when both are present."""
    if first is not None and second is not None and first != second:
        return False, None
    return True, first if first is not None else second


def _parse_measure(text: str, prefix: Comparator | None, rest: str, role: str) -> Quantity | ParseProblem | None:
    """A date or a number with optional unit; None when `rest` has neither form."""
    date = _parse_date(rest)
    if isinstance(date, str):
        return ParseProblem(_UNPARSEABLE_CODES[role], f"{role}“{shorten(text)}”不是有效日期（{date}）：{_HINTS[role]}")
    if date is not None:
        year, month, day, strong, weak = date
        consistent, comparator = _merge(prefix, strong)
        if not consistent:
            return _conflict(role, text)
        if comparator is None:
            comparator = weak
        return Quantity(ValueKind.DATE, comparator, None, "", (year, month, day), text, None, None)

    match = _NUMBER.fullmatch(rest)
    if match is None:
        return None
    number = Decimal(match["num"])
    unit_text, suffix = _split_number_tail(match["tail"])
    converted = _canonical_unit(unit_text, number)
    if converted is None:
        return None
    number, unit = converted
    sane = _sane(number)
    if sane is None:
        return None
    consistent, comparator = _merge(prefix, suffix)
    if not consistent:
        return _conflict(role, text)
    return Quantity(ValueKind.NUMBER, comparator, sane, unit, None, text, None, None)


def _split_number_tail(tail: str) -> tuple[str, Comparator | None]:
    """'万元以内' -> ('万元', LE); '%及以上' -> ('%', GE); '个左右' -> ('个', None)."""
    rest = tail.replace("(含)", "")
    rest = rest.removesuffix("左右")
    comparator: Comparator | None = None
    for word, candidate in _NUMBER_SUFFIXES:
        if rest.endswith(word):
            rest = rest[: -len(word)]
            comparator = candidate
            break
    rest = rest.removesuffix("左右")
    return rest, comparator


def _simple_unit(unit: str) -> str | None:
    key = unit.lower() if unit.isascii() else unit
    if key in _UNIT_SYNONYMS:
        return _UNIT_SYNONYMS[key]
    if unit in _COUNT_UNITS:
        return unit
    return None


def _scaled(number: Decimal, exponent: int) -> Decimal:
    """number × 10^exponent, exactly, without trailing zeros or exponent notation: 50000000 元 -> 5000 (万元)."""
    result = number.scaleb(exponent).normalize()
    if result == result.to_integral_value() and result.adjusted() < _INTEGRAL_DIGITS:
        result = result.quantize(Decimal(1))
    return result


def _canonical_unit(unit: str, number: Decimal) -> tuple[Decimal, str] | None:
    """Canonical (number, unit), or None when `unit` is not a unit."""
    if unit == "":
        return number, ""
    if unit in ("%", "‰"):
        return number, unit
    if unit in _MONEY_UNITS:
        return _scaled(number, _MONEY_UNITS[unit]), _MONEY_CANONICAL
    simple = _simple_unit(unit)
    if simple is not None:
        return number, simple
    if len(unit) > 1 and unit[0] in _MAGNITUDES:
        inner = _simple_unit(unit[1:])
        if inner is not None and inner not in (_MONEY_CANONICAL, "元"):
            return _scaled(number, _MAGNITUDES[unit[0]]), inner
    if _VERBATIM_UNIT.fullmatch(unit):
        return number, unit
    return None


_DATE_VERBS = ("完成", "完工", "办结", "结束")

_DateParts = tuple[int, int, int | None, Comparator | None, Comparator | None]


def _parse_date(text: str) -> _DateParts | str | None:
    """(year, month, day, comparator from 前/后, comparator implied by 底/末); a reason string when the date is
    invalid; None when `text` is not a date at all."""
    body = text
    # "2021年12月完成", "2022年6月底前完工": the verb says what a date target already means (done by then).
    for verb in _DATE_VERBS:
        if body.endswith(verb) and len(body) > len(verb):
            body = body[: -len(verb)]
            break
    strong: Comparator | None = None
    for word, comparator in _DATE_SUFFIXES:
        if body.endswith(word) and len(body) > len(word):
            body = body[: -len(word)]
            strong = comparator
            break

    month: int
    day: int | None = None
    weak: Comparator | None = None
    match = _CN_DATE.fullmatch(body)
    if match is not None:
        year = int(match["y"])
        if not 1990 <= year <= 2100:
            return None
        parts = _parse_cn_date_rest(match["rest"])
        if parts is None:
            return None
        month, day, weak = parts
    else:
        match = _NUM_DATE.fullmatch(body)
        if match is None:
            return None
        year = int(match["y"])
        if not 1990 <= year <= 2100:
            return None
        month = int(match["m"])
        day = int(match["d"]) if match["d"] else None

    if not 1 <= month <= 12:
        return f"月份 {month} 不存在"
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{year}年{month}月没有{day}日"
    return year, month, day, strong, weak


def _parse_cn_date_rest(rest: str) -> tuple[int, int | None, Comparator | None] | None:
    """What follows 'YYYY年': month, day and the comparator implied by 底/末."""
    if rest in ("", "度"):
        return 12, None, None
    if rest in ("底", "末", "年底", "年末", "度末"):
        return 12, None, Comparator.LE
    if rest in ("上半年", "年中"):
        return 6, None, None
    if rest == "下半年":
        return 12, None, None
    quarter = _CN_QUARTER.fullmatch(rest)
    if quarter is not None:
        return _QUARTERS[quarter["q"]] * 3, None, Comparator.LE if quarter["end"] else None
    month = _CN_MONTH.fullmatch(rest)
    if month is None:
        return None
    day: int | None = int(month["d"]) if month["d"] else None
    if month["dekad"] == "上旬":
        day = 10
    elif month["dekad"] == "中旬":
        day = 20
    return int(month["m"]), day, Comparator.LE if month["end"] else None


def shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _empty(role: str) -> ParseProblem:
    return ParseProblem(EMPTY, f"{role}为空：{_HINTS[role]}")


def _unparseable(role: str, text: str) -> ParseProblem:
    return ParseProblem(_UNPARSEABLE_CODES[role], f"无法识别{role}“{shorten(text)}”：{_HINTS[role]}")


def _conflict(role: str, text: str) -> ParseProblem:
    return ParseProblem(
        _UNPARSEABLE_CODES[role],
        f"{role}“{shorten(text)}”中的比较方向相互矛盾（如“≥…以下”），无法识别：{_HINTS[role]}",
    )
