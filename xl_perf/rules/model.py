"""The in-memory form of a rule pack. Built only by `loader`; read by the engine and every face."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from xl_perf.errors import RulePackError, quoted
from xl_perf.rules.expr import Expr

if TYPE_CHECKING:
    from xl_perf.rules.view import PackView

FieldType = Literal[
    "text", "longtext", "amount", "count", "number", "rate", "yesno", "havenot", "choice", "date", "score"
]
NUMERIC_TYPES = frozenset({"amount", "count", "number", "rate", "score"})

_INTERVAL = re.compile(r"^\s*([\[(])\s*(-?inf|-?[0-9.]+)\s*,\s*(-?inf|-?[0-9.]+)\s*([\])])\s*$")


@dataclass(frozen=True)
class Interval:
    """A range of values with explicit inclusive/exclusive ends, written "[0.9, 1)" in rule packs."""

    low: Decimal | None
    low_inclusive: bool
    high: Decimal | None
    high_inclusive: bool
    text: str

    @classmethod
    def parse(cls, text: str) -> Interval:
        match = _INTERVAL.match(text)
        if not match:
            raise RulePackError(f'区间写法错误：{quoted(text)}（应如 "[0.9, 1)"、"(-inf, 0.7)"）')
        left, low, high, right = match.groups()
        low_value = None if low.endswith("inf") else Decimal(low)
        high_value = None if high.endswith("inf") else Decimal(high)
        if low_value is not None and high_value is not None and low_value > high_value:
            raise RulePackError(f"区间下限大于上限：{quoted(text)}")
        return cls(low_value, left == "[", high_value, right == "]", text.strip())

    def contains(self, value: Decimal) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_inclusive)

    def describe(self, as_percent: bool) -> str:
        def show(v: Decimal | None, sign: str) -> str:
            if v is None:
                return f"{sign}∞"
            if as_percent:
                return f"{(v * 100).normalize():f}%"
            return f"{v.normalize():f}"

        if self.low is not None and self.low == self.high:
            return f"={show(self.low, '')}"
        return (
            ("[" if self.low_inclusive else "(")
            + show(self.low, "-")
            + ", "
            + show(self.high, "+")
            + ("]" if self.high_inclusive else ")")
        )

    @property
    def width_hint(self) -> float:
        low = -math.inf if self.low is None else float(self.low)
        high = math.inf if self.high is None else float(self.high)
        return high - low


@dataclass(frozen=True)
class Param:
    id: str
    default: object
    doc: str
    choices: tuple[object, ...] = ()


@dataclass(frozen=True)
class FieldSpec:
    id: str
    label: str  # template; rendered per level
    type: FieldType
    section: str
    sheet: str
    unit: str = ""
    options: tuple[str, ...] = ()
    required: bool = False
    stated_of: str | None = None  # a rate id whose value this field states
    reason_for: str | None = None  # a rate id whose shortfall this field explains
    doc: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    # Yearly rollover (`xl-perf new --from`): what the new year's blank set takes from last year's workbook.
    carry: bool = False  # last year's value of this field, unchanged (the unit's fixed information)
    carry_from: str | None = None  # last year's value of another field (年初结转 <- 上年的年末结转)
    carry_if: CarryIf | None = None  # a fixed value when a condition on last year's data holds


@dataclass(frozen=True)
class CarryIf:
    """Set a field to `value` in the new year when `when` holds for last year's data (blanks count as 0 / 否 / "");
    otherwise leave it blank and tell the user `otherwise`."""

    value: str
    when: Expr
    otherwise: str


@dataclass(frozen=True)
class Section:
    label: str
    sheet: str
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Column:
    id: str
    path: tuple[str, ...]
    type: FieldType
    signed: bool = False
    # Yearly rollover: this column takes last year's value of another column of the same row. A repeating row
    # (a project) is carried into the new year only when one of these amounts is above zero.
    carry_from: str | None = None


@dataclass(frozen=True)
class RowSpec:
    id: str
    label: str
    repeat: bool = False
    min: int = 0
    levels: tuple[str, ...] = ()  # empty: every level


@dataclass(frozen=True)
class TableSpec:
    id: str
    sheet: str
    label: str
    row_header: str
    unit: str
    columns: tuple[Column, ...]
    rows: tuple[RowSpec, ...]
    footnotes: tuple[str, ...] = ()

    def column(self, column_id: str) -> Column:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(column_id)


@dataclass(frozen=True)
class CellRef:
    id: str
    table: str
    row: str
    column: str


@dataclass(frozen=True)
class Rate:
    id: str
    name: str
    formula: Expr
    precision: int | None = None  # None: the pack's rate_precision parameter


@dataclass(frozen=True)
class Sheet:
    id: str
    title: str
    subtitle: str = ""
    unit_note: str = ""


# --- scoring rules: the fixed vocabulary -------------------------------------------------------------------------

ScoreRef = Decimal | str  # a number, or "param:NAME"


@dataclass(frozen=True)
class Undefined:
    """What to score when the rule's value cannot be computed (a zero denominator)."""

    when: Expr
    score: ScoreRef
    note: str


@dataclass(frozen=True)
class Tier:
    range: Interval
    score: ScoreRef
    warn: str = ""


@dataclass(frozen=True)
class TiersRule:
    value: Expr
    tiers: tuple[Tier, ...]
    undefined: tuple[Undefined, ...] = ()
    judged: bool = False  # the tier is an upper bound; the unit judges below it ("结合实际情况核定分数")
    kind: str = "tiers"


@dataclass(frozen=True)
class LinearRule:
    """score = weight × value, capped at weight and floored at 0."""

    value: Expr
    zero_when: Expr | None = None
    zero_note: str = ""
    undefined: tuple[Undefined, ...] = ()
    judged: bool = False
    kind: str = "linear"


@dataclass(frozen=True)
class DeductionTier:
    range: Interval
    deduct: ScoreRef


@dataclass(frozen=True)
class DeductionItem:
    """Deduct `per` for each unit (or each started `step`) of `value`, or by `tiers`."""

    value: Expr
    per: Decimal | None = None
    step: Decimal | None = None
    rounding: str = "ceil"  # or "param:NAME"
    tiers: tuple[DeductionTier, ...] = ()


@dataclass(frozen=True)
class DeductionRule:
    items: tuple[DeductionItem, ...]
    judged: bool = False
    kind: str = "deduction"


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    points: Decimal
    input: str | None = None  # a yes/no field that decides the item; None means judged by the unit


@dataclass(frozen=True)
class ChecklistRule:
    items: tuple[ChecklistItem, ...]
    kind: str = "checklist"


@dataclass(frozen=True)
class ChoiceRule:
    input: str
    options: tuple[tuple[str, Decimal], ...]  # option label template -> score
    kind: str = "choice"


@dataclass(frozen=True)
class ManualRule:
    kind: str = "manual"


@dataclass(frozen=True)
class RowsRule:
    """Score from the unit's own indicator rows (target vs actual), matched by their level names."""

    level: int  # 1: match 一级指标, 2: match 二级指标
    match: tuple[str, ...]
    kind: str = "rows"


@dataclass(frozen=True)
class BonusItem:
    input: str
    per: Decimal
    cap: Decimal


@dataclass(frozen=True)
class BonusPenaltyRule:
    items: tuple[BonusItem, ...]
    total_min: Decimal
    total_max: Decimal
    kind: str = "bonus_penalty"


@dataclass(frozen=True)
class Part:
    id: str
    name: str
    weight: Decimal
    rule: Rule
    na_when: Expr | None = None
    na_target: str | None = None  # "siblings" or an indicator id


@dataclass(frozen=True)
class SumRule:
    parts: tuple[Part, ...]
    kind: str = "sum"


Rule = (
    TiersRule
    | LinearRule
    | DeductionRule
    | ChecklistRule
    | ChoiceRule
    | ManualRule
    | RowsRule
    | BonusPenaltyRule
    | SumRule
)


@dataclass(frozen=True)
class Group:
    path: tuple[str, ...]
    weight: Decimal | None  # None: the sum of its children (the unit sets them)


@dataclass(frozen=True)
class WeightGroup:
    """One 一级指标 of a weight system: its printed name, the names filings also use, and its points."""

    name: str
    weight: Decimal
    aliases: tuple[str, ...] = ()
    indicator: str | None = None  # the pack's rows indicator that scores it; None: a group only of the form's rows


@dataclass(frozen=True)
class WeightSystem:
    """How a filing divides its 100 points among 一级指标 (issue 17): the MoF 10/50/30/10, a province's 决策/过程/
    产出/效益, ... A filing whose rows carry their own 分值 totalling the pack's total uses those (from the form)."""

    id: str
    title: str
    execution: Decimal  # points of the execution-rate line beside the rows (0: the rate is one of the rows)
    groups: tuple[WeightGroup, ...]


@dataclass(frozen=True)
class Indicator:
    id: str
    path: tuple[str, ...]
    weight: Decimal
    rule: Rule
    explain: str = ""
    criteria: str = ""
    adjustable: bool = False  # the unit may set its own weight (the parent's weight stays fixed)
    na_when: Expr | None = None
    na_target: str | None = None

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass(frozen=True)
class GradeBand:
    name: str
    min: Decimal


@dataclass(frozen=True)
class ScoreLine:
    """A line under the indicator rows that scores one indicator on its own (the MoF forms' 预算执行率 line), with
    the rate it is scored on shown beside it."""

    indicator: str
    label: str  # e.g. "预算执行率（分值10）"
    rate: str = ""  # the rate shown on the line ("" for none)
    rate_label: str = ""  # e.g. "执行率"


@dataclass(frozen=True)
class RowLayout:
    """How the unit's own indicator rows (MoF style, and the Guangdong project table) are keyed."""

    levels: tuple[str, ...]  # e.g. ("一级指标", "二级指标", "三级指标")
    target: str  # "年度指标值" or "预期目标值"
    actual: str
    weight: str  # "分值"; "" when rows carry no weight
    score: str
    reason: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # 一级 name -> allowed 二级 names
    min_rows: int = 0
    carry: tuple[str, ...] = ()  # level columns whose names the yearly rollover carries (targets never carry)
    # Forms without a scoring table (MoF) score under the rows: `score_lines`, then the total line `total`.
    score_lines: tuple[ScoreLine, ...] = ()
    total: str = ""  # the total line's label, e.g. "总分"; "" when a scoring table holds the total
    # Columns a data document may add per row (MoF forms print them): 指标性质 (正向/反向/等于/定性), which decides
    # the direction over a comparator in the target, and 完成程度 (达成/部分达成/未达成) for 定性 rows.
    nature: str = ""
    degree: str = ""


@dataclass(frozen=True)
class Options:
    """Regional switches; a data document may override them."""

    deviation_reason_ratio: Decimal | None = None
    total_cap_by_execution: tuple[tuple[Interval, Decimal], ...] = ()
    total_cap_enabled: bool = False
    execution_rate: str | None = None  # the rate that caps the total

    def total_caps(self, overrides: Mapping[str, object]) -> tuple[tuple[Interval, Decimal], ...]:
        """The caps on the total by the execution rate, when they apply: switched on by the pack or by a data
        document's options (`overrides`), and a rate to cap by."""
        enabled = overrides.get("total_cap_by_execution", self.total_cap_enabled)
        if not enabled or self.execution_rate is None:
            return ()
        return self.total_cap_by_execution


@dataclass(frozen=True)
class TableTotal:
    """A total the validator checks in a table (not a scoring rule)."""

    table: str
    row: str | None  # check across rows for every numeric column
    column: str | None  # check across columns for every row
    equals: tuple[str, ...]
    complete: bool = False  # checked only when every listed part is given (else blanks count as 0)


@dataclass(frozen=True)
class DateRule:
    field: str
    years: tuple[int, int]
    not_before: str | None = None


@dataclass(frozen=True)
class CoverageSpec:
    """Where a 整体 workbook says how many projects the unit must self-evaluate (自评覆盖面 = evaluated / required):
    a count field, or the project rows of a table (their names are then known too)."""

    field: str | None = None
    table: str = ""
    rows: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummarySpec:
    """What a batch summary shows of a workbook: its money (a cell id) and its execution rate (a rate id)."""

    amount: str | None = None
    execution: str | None = None
    required: CoverageSpec | None = None


@dataclass(frozen=True)
class ProjectAmount:
    listed: str  # a column of the listing table of the 整体 form
    own: str  # the column of the project form's total row that states the same money
    what: str  # what the money is, in the message


@dataclass(frozen=True)
class ProjectLinks:
    """How the project forms submitted with a 整体 form are checked against the projects it lists."""

    form: str  # the pack id of the project forms
    name: str  # the project form's field that names the project
    listing: str  # the 整体 form's table that lists the projects
    groups: tuple[str, ...]  # the listing's rows projects are listed under; the first: the unit's own-level money
    table: str  # the project form's money table
    total: str  # its total row
    other: str  # its row of 其他资金
    other_amount: str  # the column of that row that says money is there
    amounts: tuple[ProjectAmount, ...]
    listed_other: tuple[str, ...]  # the listing's columns of 其他财政资金
    listed_classes: tuple[str, ...]  # the listing's columns that classify the money


@dataclass(frozen=True)
class RulePack:
    id: str
    family: str
    kind: str
    title: str
    source: str
    total: Decimal
    note: str
    grades: tuple[GradeBand, ...]
    levels: dict[str, dict[str, str]]
    params: dict[str, Param]
    sheets: tuple[Sheet, ...]
    sections: tuple[Section, ...]
    tables: tuple[TableSpec, ...]
    cells: dict[str, CellRef]
    rates: dict[str, Rate]
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]
    rows: RowLayout | None
    options: Options
    sums: tuple[TableTotal, ...] = ()
    dates: tuple[DateRule, ...] = ()
    summary: SummarySpec = SummarySpec()
    projects: ProjectLinks | None = None
    weight_systems: tuple[WeightSystem, ...] = ()
    # 定性 rows met as targeted are the unit's to score within 达成's 0.8w–w (MoF), not forced to full marks.
    qualitative_by_unit: bool = False
    reverse_names: tuple[str, ...] = ()  # row names ending so are 反向 when the target states no direction
    execution_indicator: str | None = None  # the indicator scoring the execution rate (dropped when a system has 0)
    # The pack as printed for each (year, level), made on first use (PackView.of). Not part of the pack's value.
    views: dict[tuple[int, str], PackView] = dataclass_field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        """Field id -> spec, in the order of the sections. Read-only."""
        return {f.id: f for s in self.sections for f in s.fields}

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)

    def table(self, table_id: str) -> TableSpec:
        for table in self.tables:
            if table.id == table_id:
                return table
        raise KeyError(table_id)

    def level_words(self, level: str) -> dict[str, str]:
        if level not in self.levels:
            raise KeyError(level)
        return self.levels[level]

    def param(self, name: str) -> object:
        return self.params[name].default

    def rate_precision(self, rate: Rate, param: Callable[[str], object]) -> int:
        """The decimal places `rate` is rounded to: its own, else the rate_precision parameter (`param` gives a
        parameter's value, which a data document may override). The loader makes sure one of them is given."""
        return rate.precision if rate.precision is not None else int(str(param("rate_precision")))
