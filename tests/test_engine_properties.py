"""Property tests of the engine over every bundled rule pack.

Random but well-formed data documents (random amounts including 0 and values on .xx5 boundaries, random counts,
yes/no and choice answers from each field's options, random stated scores in [-5, weight + 5] or none, random
indicator rows) must always evaluate, and every result must respect its weight. The tiered rates must be monotone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.rules import loader, model
from xl_perf.rules.text import context, render

D = Decimal
PACK_IDS = loader.available()
CJK = re.compile(r"[\u4e00-\u9fff]")
FAST = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
MONOTONE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- value strategies ------------------------------------------------------------------------------------------------


def _half_cent(n: int) -> str:
    """Amounts on a rounding boundary: 12.345, 0.005, ..."""
    return f"{n // 100}.{n % 100:02d}5"


AMOUNTS = st.one_of(
    st.just("0"),
    st.just(0),
    st.integers(min_value=0, max_value=100_000),
    st.decimals(min_value=0, max_value=1_000_000, places=6, allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=0, max_value=10_000_000).map(_half_cent),
    st.just(0.0),
    st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
    # Tiny but valid amounts: their quotients are huge rates (xl-perf refuses numbers beyond 1e±20 as input).
    st.floats(min_value=1e-19, max_value=1e-15, allow_nan=False, allow_infinity=False),
)
SIGNED_AMOUNTS = st.one_of(AMOUNTS, AMOUNTS.map(lambda v: f"-{v}" if str(v) not in ("0", "0.0") else v))
COUNTS = st.integers(min_value=0, max_value=30)
NUMBERS = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False).map(str)
RATES = st.one_of(
    st.decimals(min_value=0, max_value=D("1.5"), places=4, allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=0, max_value=150).map(lambda n: f"{n}%"),
)
DATES = st.sampled_from(["2023-04-27", "2022年10月", "2023年4月27日", "2022-05"])
TEXTS = st.sampled_from(["无", "按要求完成", "详见附件", "无。"])
ROW_VALUES = st.sampled_from(
    [
        "≥95%",
        "100%",
        "95%",
        "80%",
        "10个",
        "8个",
        "12个",
        "≤5000万元",
        "5200万元",
        "5000万元",
        "是",
        "否",
        "合格",
        "良好",
        "好",
        "2022年5月",
        "2022年10月",
        "≤2022年12月",
        "",
        "≥90",
        "90",
        "按期完成",
        "有",
        "无",
    ]
)
REASONS = st.sampled_from(["", "无", "目标没有偏差", "因天气原因工期延误，下一步加强调度"])


def field_value(spec: model.FieldSpec, options: tuple[str, ...]) -> st.SearchStrategy[object]:
    if spec.type == "amount":
        return AMOUNTS
    if spec.type == "count":
        return COUNTS
    if spec.type in ("number", "score"):
        return NUMBERS
    if spec.type == "rate":
        return RATES
    if spec.type in ("yesno", "havenot", "choice"):
        return st.sampled_from(options)
    if spec.type == "date":
        return DATES
    return TEXTS


def column_value(column: model.Column) -> st.SearchStrategy[object]:
    if column.type == "amount":
        return SIGNED_AMOUNTS if column.signed else AMOUNTS
    if column.type == "date":
        return DATES
    return TEXTS


def partition(draw: st.DrawFn, total: Decimal, parts: int) -> list[Decimal]:
    """Split an integral `total` into `parts` non-negative integers that add up to it."""
    cuts = sorted(
        draw(st.lists(st.integers(min_value=0, max_value=int(total)), min_size=parts - 1, max_size=parts - 1))
    )
    bounds = [0, *cuts, int(total)]
    return [D(b - a) for a, b in itertools.pairwise(bounds)]


def stated_score(weight: Decimal) -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.decimals(min_value=-5, max_value=weight + 5, places=2, allow_nan=False, allow_infinity=False).map(str),
    )


def _level_name(name: str) -> str:
    return "".join(name.split()).removesuffix("指标")


@st.composite
def documents(draw: st.DrawFn, pack_id: str) -> dict:
    """A well-formed data document for `pack_id` with random content."""
    pack = loader.load(pack_id)
    level = draw(st.sampled_from(sorted(pack.levels)))
    year = draw(st.integers(min_value=2019, max_value=2025))
    words = context(year, pack.level_words(level))

    def text(template: str, **extra: str) -> str:
        return render(template, {**words, **extra})

    fields: dict[str, dict[str, object]] = {}
    for section in pack.sections:
        values: dict[str, object] = {}
        for spec in section.fields:
            if draw(st.integers(min_value=0, max_value=3)):  # three in four fields are filled in
                values[text(spec.label)] = draw(field_value(spec, tuple(text(o) for o in spec.options)))
        if values:
            fields[text(section.label)] = values

    tables: dict[str, list[dict[str, object]]] = {}
    for table in pack.tables:
        if not draw(st.integers(min_value=0, max_value=4)):
            continue
        rows: list[dict[str, object]] = []
        specs = [r for r in table.rows if not r.levels or level in r.levels]
        last_fixed: model.RowSpec | None = None
        for position, row in enumerate(specs):
            if row.repeat:
                # Repeating rows ("项目1", ...) belong to the fixed row right above them, so they follow it.
                follows = position > 0 and last_fixed is specs[position - 1]
                count = draw(st.integers(min_value=0, max_value=2)) if follows else 0
                labels = [text(row.label, n=str(n + 1)) for n in range(count)]
            elif draw(st.integers(min_value=0, max_value=3)):
                labels = [text(row.label)]
                last_fixed = row
            else:
                labels = []
            for label in labels:
                cells: dict[str, object] = {table.row_header: label}
                for column in table.columns:
                    if draw(st.integers(min_value=0, max_value=3)):
                        cells["/".join(text(p) for p in column.path)] = draw(column_value(column))
                rows.append(cells)
        tables[text(table.label)] = rows

    row_indicators = [i for i in pack.indicators if isinstance(i.rule, model.RowsRule)]
    indicator_rows: list[dict[str, object]] = []
    layout = pack.rows
    if layout is not None:
        for index in range(draw(st.integers(min_value=0, max_value=8))):
            group, children = draw(st.sampled_from(layout.groups))
            row: dict[str, object] = {
                layout.levels[0]: group,
                layout.levels[1]: draw(st.sampled_from(children)),
                layout.levels[2]: f"指标{index + 1}",
                layout.target: draw(ROW_VALUES),
                layout.actual: draw(ROW_VALUES),
            }
            reason = draw(REASONS)
            if reason:
                row[layout.reason] = reason
            indicator_rows.append(row)
        if layout.weight and indicator_rows and draw(st.booleans()):
            # The unit's own row weights, consistent with the indicator they belong to.
            for indicator in row_indicators:
                assert isinstance(indicator.rule, model.RowsRule)
                wanted = {_level_name(m) for m in indicator.rule.match}
                mine = [
                    r for r in indicator_rows if _level_name(str(r[layout.levels[indicator.rule.level - 1]])) in wanted
                ]
                if mine:
                    for r, w in zip(mine, partition(draw, indicator.weight, len(mine)), strict=True):
                        r[layout.weight] = str(w)
        if layout.score:
            for r in indicator_rows:
                score = draw(stated_score(D(str(r.get(layout.weight, 10)))))
                if score is not None:
                    r[layout.score] = score

    weights: dict[str, str] = {}
    adjustable = [i for i in pack.indicators if i.adjustable]
    if adjustable and draw(st.booleans()):
        # Adjustable weights that still add up to their fixed parent (the unit's duty; checked elsewhere).
        by_group: dict[tuple[str, ...], list[model.Indicator]] = {}
        for indicator in adjustable:
            group = max(
                (g for g in pack.groups if g.weight is not None and indicator.path[: len(g.path)] == g.path),
                key=lambda g: len(g.path),
            )
            by_group.setdefault(group.path, []).append(indicator)
        for path, members in by_group.items():
            group_weight = next(g.weight for g in pack.groups if g.path == path)
            assert group_weight is not None
            fixed = sum((i.weight for i in pack.indicators if i.path[: len(path)] == path and not i.adjustable), D(0))
            for indicator, w in zip(members, partition(draw, group_weight - fixed, len(members)), strict=True):
                weights[indicator.id] = str(w)

    scores: dict[str, object] = {}
    for indicator in pack.indicators:
        if isinstance(indicator.rule, model.RowsRule) and pack.rows is not None and pack.rows.score:
            continue  # scored on the indicator rows themselves (their 得分 column), not at the group
        weight = D(weights.get(indicator.id, indicator.weight))
        score = draw(stated_score(weight))
        if score is not None:
            scores[indicator.id] = score

    params: dict[str, object] = {}
    for name, param in pack.params.items():
        if param.choices and draw(st.booleans()):
            params[name] = draw(st.sampled_from(param.choices))
    if "adjust_count_five_deduction" in pack.params and draw(st.booleans()):
        params["adjust_count_five_deduction"] = draw(st.sampled_from([0.5, 1]))

    options: dict[str, object] = {}
    if pack.options.total_cap_by_execution and draw(st.booleans()):
        options["total_cap_by_execution"] = True
    if draw(st.booleans()):
        options["deviation_reason_ratio"] = 1.3

    data: dict[str, object] = {
        "schema": "xl-perf/1",
        "framework": pack_id,
        "unit": "测试单位",
        "year": year,
        "level": level,
        "fields": fields,
        "tables": tables,
        "indicator_rows": indicator_rows,
        "scores": scores,
        "weights": weights,
        "params": params,
        "options": options,
        "not_applicable": draw(st.lists(st.sampled_from([i.id for i in pack.indicators if i.na_target]), unique=True))
        if any(i.na_target for i in pack.indicators)
        else [],
    }
    if draw(st.booleans()):
        data["stated_total"] = draw(st.integers(min_value=0, max_value=110))
    return data


# --- invariants over random documents ----------------------------------------------------------------------------


def check_invariants(evaluation: Evaluation) -> None:
    for result in (*evaluation.indicators, *evaluation.rows):
        if result.kind == "bonus_penalty":
            continue  # an adjustment to the total, not a scored indicator (weight 0, score may be negative)
        where = f"{result.id}: weight {result.weight}, range [{result.low}, {result.high}], score {result.score}"
        assert 0 <= result.low <= result.high <= result.weight, where
        assert 0 <= result.score <= result.weight, where
    assert 0 <= evaluation.total <= 100, evaluation.total
    for finding in evaluation.findings:
        assert finding.severity in ("error", "warning", "info"), finding
        assert finding.message.strip(), finding
        assert CJK.search(finding.message), finding


@pytest.mark.parametrize("pack_id", PACK_IDS)
@FAST
@given(data=st.data())
def test_random_documents_respect_every_weight(pack_id: str, data: st.DataObject) -> None:
    # Parameters with choices are drawn too, so blank inputs are read as missing or as 0 (blank_inputs).
    raw = data.draw(documents(pack_id))
    evaluation = evaluate(document.from_dict(raw))
    check_invariants(evaluation)
    bonus = [r for r in evaluation.indicators if r.kind == "bonus_penalty"]
    for result in bonus:
        rule = loader.load(pack_id).indicator(result.id).rule
        assert isinstance(rule, model.BonusPenaltyRule)
        caps = sum((i.cap for i in rule.items if i.per > 0), D(0))
        penalties = sum((i.cap for i in rule.items if i.per < 0), D(0))
        assert -penalties <= evaluation.bonus <= caps


# --- monotonicity of the tiered and linear rates --------------------------------------------------------------------

POSITIVE = st.decimals(min_value=D("0.01"), max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False)
FRACTIONS = st.lists(
    st.decimals(min_value=0, max_value=1, places=6, allow_nan=False, allow_infinity=False), min_size=2, max_size=4
)


def _run(framework: str, fields: dict | None = None, tables: dict | None = None) -> Evaluation:
    return evaluate(
        document.from_dict(
            {
                "framework": framework,
                "unit": "测试单位",
                "year": 2022,
                "level": "县",
                "fields": fields or {},
                "tables": tables or {},
            }
        )
    )


def _spending(base: Decimal, x: Decimal) -> Evaluation:
    return _run(
        "gd-county-zhengti",
        tables={
            "财政资金情况": [{"项目": "总计", "财政下达预算情况/小计": str(base), "预算支出情况/小计": str(base * x)}]
        },
    )


def _fixed_assets(base: Decimal, x: Decimal) -> Evaluation:
    return _run(
        "gd-county-zhengti",
        fields={"资产管理": {"固定资产总额（原值）": str(base), "在用固定资产总额（原值）": str(base * x)}},
    )


def _carryover(base: Decimal, x: Decimal) -> Evaluation:
    # 结转结余率 over [0, 60%]: the closing balance grows with x.
    return _run(
        "gd-county-zhengti",
        fields={
            "决算数据（财决01-1表）": {
                "年初财政拨款结转和结余": "0",
                "一般公共预算财政拨款收入决算数": str(base),
                "政府性基金预算财政拨款收入决算数": "0",
                "年末财政拨款结转和结余": str(base * x * D("0.6")),
            }
        },
    )


def _stock(base: Decimal, x: Decimal) -> Evaluation:
    # 存量资金变动率 over [-100%, +100%].
    return _run(
        "gd-county-zhengti",
        fields={
            "存量资金与政府采购": {
                "上年年末国库集中支付结转结余存量资金": str(base),
                "当年年末国库集中支付结转结余存量资金": str(base * x * 2),
            }
        },
    )


def _income_deviation(base: Decimal, x: Decimal) -> Evaluation:
    return _run(
        "gd-county-zhengti",
        fields={
            "决算数据（财决01-1表）": {
                "计分用财政拨款收入预算数": str(base),
                "财政拨款收入决算数": str(base * (1 + x / 2)),
            },
            "预算编制": {
                "非统一政策原因预算调整或调剂事项数": 0,
                "预算调整或调剂比例20%（含）以上项目数": 0,
                "预决算差异率50%（含）以上项目数": 0,
            },
        },
    )


def _arrival(base: Decimal, x: Decimal) -> Evaluation:
    return _run(
        "gd-county-xiangmu",
        tables={
            "资金情况": [
                {"资金来源": "年度资金总额", "全年预算数": str(base), "实际到位资金": str(base * x * D("1.2"))}
            ]
        },
    )


def _execution(base: Decimal, x: Decimal) -> Evaluation:
    return _run(
        "gd-county-xiangmu",
        tables={
            "资金情况": [
                {"资金来源": "年度资金总额", "实际到位资金": str(base), "实际支出资金": str(base * x * D("1.2"))}
            ]
        },
    )


def _mof_execution(base: Decimal, x: Decimal) -> Evaluation:
    return _run(
        "mof-xiangmu",
        tables={
            "项目资金": [{"资金来源": "年度资金总额", "全年预算数": str(base), "全年执行数": str(base * x * D("1.2"))}]
        },
    )


MONOTONE_CASES: list[tuple[str, Callable[[Decimal, Decimal], Evaluation], str, int]] = [
    # (test id, document builder for base and x in [0, 1], indicator, +1 non-decreasing / -1 non-increasing)
    ("spending_completion", _spending, "spending_completion", 1),
    ("fixed_asset_utilization", _fixed_assets, "fixed_assets", 1),
    ("carryover_rate", _carryover, "carryover", -1),
    ("treasury_stock_change", _stock, "treasury_stock", -1),
    ("income_budget_deviation", _income_deviation, "budget_accuracy", -1),
    ("funds_arrival", _arrival, "funds_arrival", 1),
    ("gd-budget_execution", _execution, "budget_execution", 1),
    ("mof-budget_execution", _mof_execution, "budget_execution", 1),
]


@pytest.mark.parametrize(("build", "indicator", "direction"), [pytest.param(*c[1:], id=c[0]) for c in MONOTONE_CASES])
@MONOTONE
@given(base=POSITIVE, xs=FRACTIONS)
def test_scores_are_monotone_in_their_rate(
    build: Callable[[Decimal, Decimal], Evaluation], indicator: str, direction: int, base: Decimal, xs: list[Decimal]
) -> None:
    scores = []
    for x in sorted(xs):
        result = build(base, x).indicator(indicator)
        assert result.basis == "rule", result.rule
        scores.append(result.score)
    expected = sorted(scores) if direction > 0 else sorted(scores, reverse=True)
    assert scores == expected, list(zip(sorted(xs), scores, strict=True))


# --- former violations, fixed in the engine (kept as regression tests) ------------------------------------------------


def test_row_weights_above_the_indicator_weight_do_not_break_the_total() -> None:
    rows = [
        {
            "一级指标": "产出指标",
            "二级指标": "数量指标",
            "三级指标": f"指标{n}",
            "年度指标值": "10个",
            "实际完成值": "10个",
            "分值": 40,
            "得分": 40,
        }
        for n in (1, 2)
    ]
    evaluation = evaluate(
        document.from_dict(
            {
                "framework": "mof-xiangmu",
                "unit": "测试单位",
                "year": 2022,
                "indicator_rows": rows,
                "tables": {"项目资金": [{"资金来源": "年度资金总额", "全年预算数": 100, "全年执行数": 100}]},
            }
        )
    )
    assert any(f.code == "WEIGHT_SUM" for f in evaluation.findings)
    check_invariants(evaluation)


def test_adjusted_weights_above_the_group_weight_do_not_break_the_total() -> None:
    pack = loader.load("gd-county-xiangmu")
    weights = {i.id: 20 for i in pack.indicators if i.adjustable}
    scores = {i.id: int(weights.get(i.id, i.weight)) for i in pack.indicators}
    evaluation = evaluate(
        document.from_dict(
            {
                "framework": "gd-county-xiangmu",
                "unit": "测试单位",
                "year": 2022,
                "weights": weights,
                "scores": scores,
            }
        )
    )
    assert any(f.code == "WEIGHT_SUM" for f in evaluation.findings)
    check_invariants(evaluation)


def test_huge_rates_do_not_crash_the_engine() -> None:
    evaluation = evaluate(
        document.from_dict(
            {
                "framework": "gd-county-zhengti",
                "unit": "测试单位",
                "year": 2022,
                "fields": {"公用经费控制率": {"预算安排数": "0.000001", "实际支出数": "1e20"}},
            }
        )
    )
    check_invariants(evaluation)
