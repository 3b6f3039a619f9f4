"""A hand-written oracle for every tiered or stepped scoring rule, driven end-to-end through data documents.

The expected scores below are read off the official criteria texts (quoted above each table), NOT off the rule
packs: if a pack's tier data drifts from the official wording, these tables catch it. Each table gives the score on
both sides of every boundary. Rates are rounded half-up to 4 decimal places before they are tiered (parameter
``rate_precision``), so a probe just past a boundary differs from it by 0.0001.

`test_every_tier_edge_has_an_oracle_entry` walks every tier of every bundled pack and fails when a boundary has no
entry here, so a new tier cannot be added without writing down what the official text says it should score.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal

import pytest

from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, IndicatorResult, evaluate
from xl_perf.rules import loader, model

D = Decimal
ZHENGTI = "gd-county-zhengti"
XIANGMU = "gd-county-xiangmu"
MOF_PACKS = ("mof-xiangmu", "mof-zhengti")


# --- helpers ---------------------------------------------------------------------------------------------------------


def run(
    framework: str,
    *,
    fields: dict | None = None,
    tables: dict | None = None,
    params: dict | None = None,
    options: dict | None = None,
    scores: dict | None = None,
    rows: list | None = None,
) -> Evaluation:
    data: dict[str, object] = {
        "schema": "xl-perf/1",
        "framework": framework,
        "unit": "测试单位",
        "year": 2022,
        "level": "县",
        "fields": fields or {},
        "tables": tables or {},
        "params": params or {},
        "options": options or {},
        "scores": scores or {},
        "indicator_rows": rows or [],
    }
    return evaluate(document.from_dict(data))


def times(base: str, rate: str) -> str:
    """An amount `base × rate`, exact (Decimal), as the text a unit would type."""
    return str(D(base) * D(rate))


def assert_point(result: IndicatorResult, expected: str) -> None:
    """The inputs fully decide the indicator: a single point, counted as the rule's score."""
    assert (result.low, result.high) == (D(expected), D(expected)), result.rule
    assert result.score == D(expected), result.rule
    assert result.basis == "rule", result.rule


def pct(value: str) -> str:
    """Readable test id for a rate: '0.8999' -> '89.99%'."""
    return f"{(D(value) * 100).normalize():f}%"


def cases(table: Iterable[tuple[str, str]], *, label=pct) -> list:
    return [pytest.param(probe, expected, id=f"{label(probe)}->{expected}") for probe, expected in table]


# --- the oracle ------------------------------------------------------------------------------------------------------
# Each table: (probe in the rule's own value space, expected score). Probes are exact decimal texts.

# gd-county-zhengti 支出完成率 (4分):
# “结果=100%，得4分；100%>结果≥90%，得3分；90%>结果≥80%，得2分；80%>结果≥70%得1分，结果<70%，得0分。”
# Above 100% the text is silent; the pack's documented default (spending_above_full_score) treats it as 100%.
SPENDING_COMPLETION = [
    ("0", "0"),
    ("0.5", "0"),
    ("0.6999", "0"),
    ("0.7", "1"),
    ("0.7999", "1"),
    ("0.8", "2"),
    ("0.8999", "2"),
    ("0.9", "3"),
    ("0.9999", "3"),
    ("1", "4"),
    ("1.0001", "4"),
    ("1.5", "4"),
]

# 结转结余率 (3分): “1. 结余结转率≤10%的，得3分；2. 10%<结余结转率≤20%的，得2分；3. 20%<结余结转率≤30%的，得1分。”
# Above 30% the text lists no tier: no points (pack parameter carryover_above_30_score, default 0).
CARRYOVER = [
    ("0", "3"),
    ("0.0999", "3"),
    ("0.1", "3"),
    ("0.1001", "2"),
    ("0.2", "2"),
    ("0.2001", "1"),
    ("0.3", "1"),
    ("0.3001", "0"),
    ("1", "0"),
]

# 国库集中支付结转结余存量资金效率性 (3分), 变动率 = 当年年末 ÷ 上年年末 - 1:
# “1. 变动率≤-15%的，得3分；2. 变动率≤-10%但是大于-15%的，得2分；3. 变动率≤0但是大于-10%的，得1分；
#   4. 变动率>0的，不得分；5. 存量资金上年度为0的，本年度继续为0的，得3分。”
TREASURY_STOCK = [
    ("-1", "3"),
    ("-0.1501", "3"),
    ("-0.15", "3"),
    ("-0.1499", "2"),
    ("-0.1", "2"),
    ("-0.0999", "1"),
    ("-0.0001", "1"),
    ("0", "1"),
    ("0.0001", "0"),
    ("0.5", "0"),
]

# 固定资产利用率 (3分): “使用率高于95%（含）的得3分，90%（含）—95%的得1分，低于90%的得0分。”
FIXED_ASSETS = [
    ("0", "0"),
    ("0.8999", "0"),
    ("0.9", "1"),
    ("0.9499", "1"),
    ("0.95", "3"),
    ("1", "3"),
]

# 公用经费控制率 (4分), each part probed by 实际支出数 - 预算安排数:
# “1. “三公”经费实际支出数≤三公经费预算数，得2分，否则不得分；
#   2. 日常公用经费决算数≤日常公用经费调整预算数，得2分，否则不得分。”
EXPENSE_CONTROL_PART = [
    ("-10", "2"),
    ("-0.000001", "2"),
    ("0", "2"),
    ("0.000001", "0"),
    ("10", "0"),
]

# 预算编制准确性 part 1 (3分), by 财政拨款收入预决算差异率:
# “差异率=0，本项指标得满分3分；每增加5%（含）扣减0.5分，直至扣完为止。”
# Default reading (deduction_step_rounding = ceil): every started 5% costs 0.5.
INCOME_DEVIATION_CEIL = [
    ("0", "3"),
    ("0.0001", "2.5"),
    ("0.05", "2.5"),
    ("0.0501", "2"),
    ("0.1", "2"),
    ("0.1001", "1.5"),
    ("0.15", "1.5"),
    ("0.1501", "1"),
    ("0.2", "1"),
    ("0.2001", "0.5"),
    ("0.25", "0.5"),
    ("0.2501", "0"),
    ("0.3", "0"),
    ("0.3001", "0"),
    ("0.5", "0"),
    ("2", "0"),
]
# The other reading (deduction_step_rounding = floor): deductions start when a full 5% is reached.
INCOME_DEVIATION_FLOOR = [
    ("0", "3"),
    ("0.0001", "3"),
    ("0.0499", "3"),
    ("0.05", "2.5"),
    ("0.0999", "2.5"),
    ("0.1", "2"),
    ("0.2999", "0.5"),
    ("0.3", "0"),
    ("1", "0"),
]

# 预算编制准确性 part 2 (2分), by the number of non-policy adjustment events (other counts 0):
# “非统一政策原因发生的预算调整或调剂事项3项（含）至5项扣0.5分，5项及以上扣1分”
# 5 is in both ranges; the pack resolves it with adjust_count_five_deduction (default 1: “及以上” is more specific).
ADJUSTMENT_EVENTS = [
    ("0", "2"),
    ("2", "2"),
    ("3", "1.5"),
    ("4", "1.5"),
    ("5", "1"),
    ("6", "1"),
    ("20", "1"),
]

# gd-county-xiangmu 预算编制科学性, the adjustment part (3分), by 非统一政策原因预算调整或调剂比例:
# “大于0小于10%的扣0.5分，10%（含）—20%的扣1分，20%（含）—50%扣2分，50%及以上的扣3分”
# The indicator is “根据以上评价要点结合实际情况核定分数”: the engine gives [0, bound]; these are the bounds.
BUDGET_ADJUSTMENT = [
    ("0", "3"),
    ("0.0001", "2.5"),
    ("0.05", "2.5"),
    ("0.0999", "2.5"),
    ("0.1", "2"),
    ("0.15", "2"),
    ("0.1999", "2"),
    ("0.2", "1"),
    ("0.3", "1"),
    ("0.4999", "1"),
    ("0.5", "0"),
    ("1", "0"),
]

# gd-county-xiangmu 预算控制 (5分), by 实际支出 - 全年预算数:
# “实际支出未超过预算计划的，得满分；实际支出超过预算的……酌情扣分。” Judged: the upper bound is full marks only when
# spending does not exceed the budget; above it some deduction is required.
BUDGET_CONTROL_FULL = ["-10", "-0.000001", "0"]
BUDGET_CONTROL_DEDUCT = ["0.000001", "10"]

# 财政部式 预算执行率 (10分): “得分 = 预算执行率 × 10分，四舍五入保留两位小数，最高10分。”
MOF_EXECUTION = [
    ("0", "0"),
    ("0.0005", "0.01"),
    ("0.5", "5"),
    ("0.95", "9.5"),
    ("0.9999", "10"),
    ("1", "10"),
    ("1.2", "10"),
]

# 财政部式 total cap by execution (opt-in regional option):
# “70%–80% 不高于89分，60%–70% 不高于79分，50%–60% 不高于69分，低于50% 不高于59分”. Total before the cap here is
# 预算执行率 × 10 + 90 (the three indicator-row groups are entered at full marks).
MOF_TOTAL_CAP = [
    ("1", "100"),
    ("0.8", "98"),
    ("0.7999", "89"),
    ("0.7", "89"),
    ("0.6999", "79"),
    ("0.6", "79"),
    ("0.5999", "69"),
    ("0.5", "69"),
    ("0.4999", "59"),
    ("0", "59"),
]


# --- gd-county-zhengti ---------------------------------------------------------------------------------------------


def funds_total(issued: str, spent: str) -> dict:
    return {"财政资金情况": [{"项目": "总计", "财政下达预算情况/小计": issued, "预算支出情况/小计": spent}]}


@pytest.mark.parametrize(("rate", "expected"), cases(SPENDING_COMPLETION))
def test_spending_completion(rate: str, expected: str) -> None:
    evaluation = run(ZHENGTI, tables=funds_total("100", times("100", rate)))
    assert evaluation.rates["spending_completion"].value == D(rate)
    assert_point(evaluation.indicator("spending_completion"), expected)


def test_spending_above_full_warns() -> None:
    evaluation = run(ZHENGTI, tables=funds_total("100", "100.01"))
    assert any(f.code == "RULE_WARNING" and "支出完成率" in f.message for f in evaluation.findings)


@pytest.mark.parametrize(
    ("indicator", "exact", "rounded", "expected"),
    [
        # The pack's own example: 6073.095 / 6073.094524 = 100.000008% is shown and scored as 100.00%.
        pytest.param(
            "spending_completion", ("6073.094524", "6073.095"), "1.0000", "4", id="spending-100.000008%->100%->4"
        ),
        pytest.param("spending_completion", ("100", "89.995"), "0.9000", "3", id="spending-89.995%->90.00%->3"),
        pytest.param("spending_completion", ("100", "89.994999"), "0.8999", "2", id="spending-89.994999%->89.99%->2"),
        pytest.param("spending_completion", ("100", "69.995"), "0.7000", "1", id="spending-69.995%->70.00%->1"),
        pytest.param("fixed_assets", ("100", "94.995"), "0.9500", "3", id="fixed_assets-94.995%->95.00%->3"),
        pytest.param("carryover", ("100", "10.004999"), "0.1000", "3", id="carryover-10.004999%->10.00%->3"),
        pytest.param("carryover", ("100", "10.005"), "0.1001", "2", id="carryover-10.005%->10.01%->2"),
    ],
)
def test_rates_round_half_up_to_four_places_before_tiering(
    indicator: str, exact: tuple[str, str], rounded: str, expected: str
) -> None:
    denominator, numerator = exact
    if indicator == "spending_completion":
        evaluation = run(ZHENGTI, tables=funds_total(denominator, numerator))
        rate_id = "spending_completion"
    elif indicator == "fixed_assets":
        evaluation = run(ZHENGTI, fields=assets(denominator, numerator))
        rate_id = "fixed_asset_utilization"
    else:
        evaluation = run(
            ZHENGTI,
            fields={
                "决算数据（财决01-1表）": {
                    "年初财政拨款结转和结余": "0",
                    "一般公共预算财政拨款收入决算数": denominator,
                    "政府性基金预算财政拨款收入决算数": "0",
                    "年末财政拨款结转和结余": numerator,
                }
            },
        )
        rate_id = "carryover_rate"
    assert evaluation.rates[rate_id].value == D(rounded)
    assert_point(evaluation.indicator(indicator), expected)
    if indicator == "spending_completion" and rounded == "1.0000":
        assert not any(f.code == "RULE_WARNING" for f in evaluation.findings)


@pytest.mark.parametrize(("rate", "expected"), cases(CARRYOVER))
def test_carryover(rate: str, expected: str) -> None:
    # The denominator is spread over all three of its terms (20 + 50 + 30 = 100).
    evaluation = run(
        ZHENGTI,
        fields={
            "决算数据（财决01-1表）": {
                "年初财政拨款结转和结余": "20",
                "一般公共预算财政拨款收入决算数": "50",
                "政府性基金预算财政拨款收入决算数": "30",
                "年末财政拨款结转和结余": times("100", rate),
            }
        },
    )
    assert evaluation.rates["carryover_rate"].value == D(rate)
    assert_point(evaluation.indicator("carryover"), expected)


def assets(total: str, in_use: str) -> dict:
    return {"资产管理": {"固定资产总额（原值）": total, "在用固定资产总额（原值）": in_use}}


def stock(prior: str, current: str) -> dict:
    return {
        "存量资金与政府采购": {
            "上年年末国库集中支付结转结余存量资金": prior,
            "当年年末国库集中支付结转结余存量资金": current,
        }
    }


@pytest.mark.parametrize(("change", "expected"), cases(TREASURY_STOCK))
def test_treasury_stock_change(change: str, expected: str) -> None:
    evaluation = run(ZHENGTI, fields=stock("200", times("200", str(1 + D(change)))))
    assert evaluation.rates["treasury_stock_change"].value == D(change)
    assert_point(evaluation.indicator("treasury_stock"), expected)


@pytest.mark.parametrize(
    ("prior", "current", "expected"),
    [
        pytest.param("0", "0", "3", id="prior0-current0->3"),  # “存量资金上年度为0的，本年度继续为0的，得3分”
        pytest.param("0", "5", "0", id="prior0-current5->0"),  # growth from nothing is an increase (变动率>0，不得分)
        pytest.param("5", "0", "3", id="prior5-current0(-100%)->3"),
    ],
)
def test_treasury_stock_zero_cases(prior: str, current: str, expected: str) -> None:
    assert_point(run(ZHENGTI, fields=stock(prior, current)).indicator("treasury_stock"), expected)


@pytest.mark.parametrize(("rate", "expected"), cases(FIXED_ASSETS))
def test_fixed_asset_utilization(rate: str, expected: str) -> None:
    evaluation = run(ZHENGTI, fields=assets("100", times("100", rate)))
    assert_point(evaluation.indicator("fixed_assets"), expected)


def test_fixed_asset_utilization_sample_values() -> None:
    # 港门镇 2022: 621.520185 / 623.731085 = 99.65% -> 3
    evaluation = run(ZHENGTI, fields=assets("623.731085", "621.520185"))
    assert evaluation.rates["fixed_asset_utilization"].value == D("0.9965")
    assert_point(evaluation.indicator("fixed_assets"), "3")


def expense_control(sangong_over: str, public_over: str, budget: str = "10") -> dict:
    return {
        "三公经费控制率": {"预算安排数": budget, "实际支出数": str(D(budget) + D(sangong_over))},
        "公用经费控制率": {"预算安排数": budget, "实际支出数": str(D(budget) + D(public_over))},
    }


@pytest.mark.parametrize("part", ["sangong", "public"])
@pytest.mark.parametrize(("over", "expected"), cases(EXPENSE_CONTROL_PART, label=lambda v: f"actual-budget={v}"))
def test_expense_control_parts(part: str, over: str, expected: str) -> None:
    # The other part is held at actual == budget (2 points), so the indicator is 2 + this part.
    fields = expense_control(over, "0") if part == "sangong" else expense_control("0", over)
    assert_point(run(ZHENGTI, fields=fields).indicator("public_expense"), str(2 + D(expected)))


@pytest.mark.parametrize(
    ("sangong_over", "public_over", "expected"),
    [
        pytest.param("0", "0", "4", id="both-within->4"),
        pytest.param("0.000001", "0.000001", "0", id="both-over-by-0.000001->0"),
        pytest.param("-10", "5", "2", id="sangong-under-public-over->2"),
    ],
)
def test_expense_control_both_parts(sangong_over: str, public_over: str, expected: str) -> None:
    assert_point(run(ZHENGTI, fields=expense_control(sangong_over, public_over)).indicator("public_expense"), expected)


def accuracy_fields(
    deviation: str = "0", events: int = 0, adjusted_20: int = 0, deviation_50: int = 0, below: bool = False
) -> dict:
    final = D(100) * (1 - D(deviation)) if below else D(100) * (1 + D(deviation))
    return {
        "决算数据（财决01-1表）": {"计分用财政拨款收入预算数": "100", "财政拨款收入决算数": str(final)},
        "预算编制": {
            "非统一政策原因预算调整或调剂事项数": events,
            "预算调整或调剂比例20%（含）以上项目数": adjusted_20,
            "预决算差异率50%（含）以上项目数": deviation_50,
        },
    }


@pytest.mark.parametrize(("deviation", "expected"), cases(INCOME_DEVIATION_CEIL))
def test_income_deviation_every_started_step(deviation: str, expected: str) -> None:
    evaluation = run(ZHENGTI, fields=accuracy_fields(deviation))
    assert evaluation.rates["income_budget_deviation"].value == D(deviation)
    # The count part is complete with no events (2 points), so the indicator is a single point.
    assert_point(evaluation.indicator("budget_accuracy"), str(D(expected) + 2))


@pytest.mark.parametrize(("deviation", "expected"), cases(INCOME_DEVIATION_FLOOR))
def test_income_deviation_floor_rounding(deviation: str, expected: str) -> None:
    evaluation = run(ZHENGTI, fields=accuracy_fields(deviation), params={"deduction_step_rounding": "floor"})
    assert_point(evaluation.indicator("budget_accuracy"), str(D(expected) + 2))


@pytest.mark.parametrize(("deviation", "expected"), [("0.05", "2.5"), ("0.0501", "2"), ("1", "0")])
def test_income_deviation_is_absolute(deviation: str, expected: str) -> None:
    # 差异率 = （收入决算数-收入预算数）/收入预算数（取绝对值）: a shortfall counts like an excess.
    evaluation = run(ZHENGTI, fields=accuracy_fields(deviation, below=True))
    assert_point(evaluation.indicator("budget_accuracy"), str(D(expected) + 2))


@pytest.mark.parametrize(("events", "expected"), cases(ADJUSTMENT_EVENTS, label=lambda v: f"{v}-events"))
def test_adjustment_event_count(events: str, expected: str) -> None:
    evaluation = run(ZHENGTI, fields=accuracy_fields(events=int(events)))
    assert_point(evaluation.indicator("budget_accuracy"), str(3 + D(expected)))


def test_adjustment_event_count_five_is_a_parameter() -> None:
    evaluation = run(ZHENGTI, fields=accuracy_fields(events=5), params={"adjust_count_five_deduction": 0.5})
    assert_point(evaluation.indicator("budget_accuracy"), "4.5")


@pytest.mark.parametrize(
    ("events", "adjusted_20", "deviation_50", "expected"),
    [
        # “出现预算调整或调剂比例20%（含）以上项目1项扣0.5分，直至扣完；
        #   出现预决算差异率（取调整后预算）50%（含）以上项目1项扣0.5分，直至扣完。”
        pytest.param(0, 1, 0, "1.5", id="adjusted20:1->1.5"),
        pytest.param(0, 3, 0, "0.5", id="adjusted20:3->0.5"),
        pytest.param(0, 4, 0, "0", id="adjusted20:4->0"),
        pytest.param(0, 9, 0, "0", id="adjusted20:9->0(floor)"),
        pytest.param(0, 0, 2, "1", id="deviation50:2->1"),
        pytest.param(3, 1, 1, "0.5", id="events3+1+1->0.5"),
        pytest.param(6, 2, 2, "0", id="events6+2+2->0"),
    ],
)
def test_adjusted_project_counts(events: int, adjusted_20: int, deviation_50: int, expected: str) -> None:
    evaluation = run(ZHENGTI, fields=accuracy_fields(events=events, adjusted_20=adjusted_20, deviation_50=deviation_50))
    assert_point(evaluation.indicator("budget_accuracy"), str(3 + D(expected)))


def test_budget_accuracy_is_a_range_while_a_part_is_blank() -> None:
    fields = accuracy_fields("0.05")
    del fields["预算编制"]
    result = run(ZHENGTI, fields=fields).indicator("budget_accuracy")
    assert (result.low, result.high) == (D("2.5"), D("4.5"))
    assert result.basis == "missing"


# 政府采购执行率 (2分): “本指标得分=本指标满分分值×政府采购执行率……如实际采购金额大于采购计划金额则本项不得分。”
@pytest.mark.parametrize(
    ("plan", "actual", "expected"),
    [
        pytest.param("100", "100", "2", id="100%->2"),
        pytest.param("100", "50", "1", id="50%->1"),
        pytest.param("100", "0", "0", id="0%->0"),
        pytest.param("100", "99.99", "2", id="99.99%->1.9998->2"),
        pytest.param("100", "1.25", "0.03", id="1.25%->0.025->0.03(half-up)"),
        pytest.param("100", "100.000001", "0", id="actual>plan->0"),
        pytest.param("0", "0", "2", id="no-plan->2"),
        pytest.param("0", "5", "0", id="plan0-actual5(actual>plan)->0"),
    ],
)
def test_procurement(plan: str, actual: str, expected: str) -> None:
    evaluation = run(
        ZHENGTI,
        fields={
            "存量资金与政府采购": {
                "政府采购计划金额合计": plan,
                "实际政府采购金额合计": actual,
            }
        },
    )
    assert_point(evaluation.indicator("procurement"), expected)


# 重点工作完成率 (5分): “如按100分折算县委督查得分95分、政府督查得分90分，
#   则本项指标得分=（0.95+0.9）/2*5分=4.625得分4.63分。”
@pytest.mark.parametrize(
    ("party", "gov", "expected"),
    [
        pytest.param("95", "90", "4.63", id="official-example-95+90->4.625->4.63"),
        pytest.param("95.8", "90", "4.65", id="95.8+90->4.645->4.65(half-up)"),
        pytest.param("100", "100", "5", id="100+100->5"),
        pytest.param("90", "90", "4.5", id="90+90->4.5"),
        pytest.param("60", "75", "3.38", id="60+75->3.375->3.38"),
        pytest.param("0", "0", "0", id="0+0->0"),
    ],
)
def test_key_work(party: str, gov: str, expected: str) -> None:
    evaluation = run(ZHENGTI, fields={"重点工作": {"县委督查得分": party, "政府督查得分": gov}})
    assert_point(evaluation.indicator("key_work"), expected)


def test_key_work_official_example_rate() -> None:
    evaluation = run(ZHENGTI, fields={"重点工作": {"县委督查得分": 95, "政府督查得分": 90}})
    assert evaluation.rates["key_work_completion"].value == D("0.925")


# 绩效目标完成率 (4分): “分部门整体绩效目标和项目绩效目标两部分，分值各占2分……本指标得分=绩效目标完成率×分值。”
@pytest.mark.parametrize(
    ("overall", "project", "expected"),
    [
        pytest.param((6, 6), (1, 1), "4", id="6/6+1/1->4"),
        pytest.param((6, 5), (1, 1), "3.67", id="5/6+1/1->1.67+2"),
        pytest.param((4, 3), (4, 3), "3", id="3/4+3/4->1.5+1.5"),
        pytest.param((3, 0), (4, 2), "1", id="0/3+2/4->0+1"),
        # 计划数为0: the text gives no rate; the pack's documented default (no_plan_goal_score) is the full part.
        pytest.param((0, 0), (2, 1), "3", id="planned0+1/2->2+1"),
    ],
)
def test_goal_completion(overall: tuple[int, int], project: tuple[int, int], expected: str) -> None:
    evaluation = run(
        ZHENGTI,
        fields={
            "整体绩效目标": {"计划数": overall[0], "实际实现数": overall[1]},
            "重要项目绩效目标": {"计划数": project[0], "实际实现数": project[1]},
        },
    )
    assert_point(evaluation.indicator("goal_completion"), expected)


# 项目完成及时性 (2分): “所有部门预算安排的项目均按计划时间完成的，得2分；
#   部分项目未按计划时间完成的，本指标得分=已完成项目数/预算安排项目数×2。”
@pytest.mark.parametrize(
    ("projects", "on_time", "expected"),
    [
        pytest.param(1, 1, "2", id="1/1->2"),
        pytest.param(3, 3, "2", id="3/3->2"),
        pytest.param(4, 3, "1.5", id="3/4->1.5"),
        pytest.param(3, 2, "1.33", id="2/3->1.33"),
        pytest.param(5, 0, "0", id="0/5->0"),
    ],
)
def test_project_timeliness(projects: int, on_time: int, expected: str) -> None:
    evaluation = run(ZHENGTI, fields={"项目完成及时性": {"部门预算项目数": projects, "按期完成": on_time}})
    assert_point(evaluation.indicator("project_timeliness"), expected)


def test_project_timeliness_without_projects_is_judged() -> None:
    evaluation = run(ZHENGTI, fields={"项目完成及时性": {"部门预算项目数": 0, "按期完成": 0}})
    result = evaluation.indicator("project_timeliness")
    assert (result.low, result.high) == (D(0), D(2))


# 群众信访办理情况 (2分): “1. 设置了便利的群众意见反映渠道和群众意见办理回复机制的，得1分；
# 2. 当年度所有群众信访意见均在规定的时限内有回复，得1分，否则按比例扣分。” No petitions: nothing was answered late.
@pytest.mark.parametrize(
    ("channel", "petitions", "on_time", "expected"),
    [
        pytest.param("有", 2, 2, "2", id="channel-2/2->2"),
        pytest.param("无", 2, 2, "1", id="no-channel-2/2->1"),
        pytest.param("有", 2, 1, "1.5", id="channel-1/2->1.5"),
        pytest.param("有", 3, 1, "1.33", id="channel-1/3->1.33"),
        pytest.param("无", 4, 0, "0", id="no-channel-0/4->0"),
        pytest.param("有", 0, 0, "2", id="channel-no-petitions->2"),
        pytest.param("无", 0, 0, "1", id="no-channel-no-petitions->1"),
    ],
)
def test_petitions(channel: str, petitions: int, on_time: int, expected: str) -> None:
    evaluation = run(
        ZHENGTI,
        fields={
            "公平性": {
                "是否有群众意见反映渠道和群众意见办理回复机制": channel,
                "群众上访、信访数量": petitions,
                "答复数量": on_time,
                "其中按规定期限答复": on_time,
            }
        },
    )
    assert_point(evaluation.indicator("petitions"), expected)


# 预算编制规范性 part 3: “一般性专项转移支付提前下达比例达到90%的，得1分，专项转移支付提前下达比例达到70%的，得1分，
# 未达到提前下达比例的，按比例扣分。（注：无转移支付需提前下达的部门……分值平均增加至“预算编制规范性”其他评分要点。）”
# The other two points are judged, so the indicator is [these two parts, these two parts + 2].
@pytest.mark.parametrize(
    ("general", "special", "expected"),
    [
        pytest.param("0.9", "0.7", "2", id="90%+70%->1+1"),
        pytest.param("100%", "100%", "2", id="100%+100%->1+1"),
        pytest.param("0.45", "0.35", "1", id="45%+35%->0.5+0.5"),
        pytest.param("0.6", "0.35", "1.17", id="60%+35%->0.67+0.5"),
        pytest.param("0", "0.7", "1", id="0%+70%->0+1"),
    ],
)
def test_transfer_advance_ratios(general: str, special: str, expected: str) -> None:
    evaluation = run(
        ZHENGTI,
        fields={
            "预算编制": {
                "是否有需提前下达的转移支付": "是",
                "一般性转移支付提前下达比例": general,
                "专项转移支付提前下达比例": special,
            }
        },
    )
    result = evaluation.indicator("budget_standardization")
    assert (result.low, result.high) == (D(expected), D(expected) + 2)


def test_no_advance_transfers_moves_points_to_the_judged_parts() -> None:
    result = run(ZHENGTI, fields={"预算编制": {"是否有需提前下达的转移支付": "否"}}).indicator("budget_standardization")
    assert (result.low, result.high) == (D(0), D(4))


# --- gd-county-xiangmu ---------------------------------------------------------------------------------------------


def project_funds(**columns: str) -> dict:
    return {"资金情况": [{"资金来源": "年度资金总额", **columns}]}


# 资金到位率 (3分): “主要依据“资金到位率*指标分值（3分）”计算得分。”
@pytest.mark.parametrize(
    ("rate", "expected"),
    cases([("0", "0"), ("0.015", "0.05"), ("0.3333", "1"), ("0.5", "1.5"), ("0.9", "2.7"), ("1", "3"), ("1.2", "3")]),
)
def test_funds_arrival(rate: str, expected: str) -> None:
    evaluation = run(XIANGMU, tables=project_funds(全年预算数="100", 实际到位资金=times("100", rate)))
    assert_point(evaluation.indicator("funds_arrival"), expected)


# 预算执行率 (5分): “依据评价资金截止12月31日的预算执行率*指标分值计算得分。” 预算执行率=实际支出资金/实际到位资金.
@pytest.mark.parametrize(
    ("rate", "expected"),
    cases([("0", "0"), ("0.001", "0.01"), ("0.8567", "4.28"), ("0.9", "4.5"), ("1", "5"), ("1.1", "5")]),
)
def test_project_budget_execution(rate: str, expected: str) -> None:
    evaluation = run(XIANGMU, tables=project_funds(实际到位资金="100", 实际支出资金=times("100", rate)))
    assert_point(evaluation.indicator("budget_execution"), expected)


@pytest.mark.parametrize("direction", ["increase", "decrease"])
@pytest.mark.parametrize(("ratio", "bound"), cases(BUDGET_ADJUSTMENT))
def test_budget_adjustment_ratio(ratio: str, bound: str, direction: str) -> None:
    annual = D(100) * (1 + D(ratio)) if direction == "increase" else D(100) * (1 - D(ratio))
    evaluation = run(
        XIANGMU,
        fields={"资金情况说明": {"预算调整或调剂是否属统一政策原因": "否"}},
        tables=project_funds(年初预算数="100", 全年预算数=str(annual)),
    )
    assert evaluation.rates["budget_adjustment"].value == D(ratio)
    result = evaluation.indicator("budgeting")
    # 预算编制科学性 = adjustment part (judged: [0, bound]) + 做实做细项目库 (manual: [0, 1]).
    assert result.low == 0
    assert result.high - 1 == D(bound)


def test_budget_adjustment_for_unified_policy_is_not_deducted() -> None:
    evaluation = run(
        XIANGMU,
        fields={"资金情况说明": {"预算调整或调剂是否属统一政策原因": "是"}},
        tables=project_funds(年初预算数="100", 全年预算数="130"),
    )
    assert evaluation.indicator("budgeting").high == 4


@pytest.mark.parametrize("over", BUDGET_CONTROL_FULL + BUDGET_CONTROL_DEDUCT)
def test_budget_control(over: str) -> None:
    evaluation = run(XIANGMU, tables=project_funds(全年预算数="100", 实际支出资金=str(100 + D(over))))
    result = evaluation.indicator("budget_control")
    assert result.low == 0
    if over in BUDGET_CONTROL_FULL:
        assert result.high == 5
    else:
        assert 0 < result.high < 5


# --- 财政部式 -------------------------------------------------------------------------------------------------------


def mof_funds(pack_id: str, budget: str, spent: str) -> dict:
    table = "项目资金" if pack_id == "mof-xiangmu" else "部门资金"
    return {table: [{"资金来源": "年度资金总额", "全年预算数": budget, "全年执行数": spent}]}


@pytest.mark.parametrize("pack_id", MOF_PACKS)
@pytest.mark.parametrize(("rate", "expected"), cases(MOF_EXECUTION))
def test_mof_budget_execution(pack_id: str, rate: str, expected: str) -> None:
    evaluation = run(pack_id, tables=mof_funds(pack_id, "100", times("100", rate)))
    assert_point(evaluation.indicator("budget_execution"), expected)


@pytest.mark.parametrize("pack_id", MOF_PACKS)
def test_mof_execution_rate_is_rounded_before_scoring(pack_id: str) -> None:
    # 12.345% is shown as 12.35% (rate_precision), and 12.35% × 10 = 1.235 -> 1.24.
    evaluation = run(pack_id, tables=mof_funds(pack_id, "100", "12.345"))
    assert_point(evaluation.indicator("budget_execution"), "1.24")


# Full marks on every row group, entered on the rows themselves (MoF rows carry their own 得分).
MOF_FULL_ROWS = [
    {"一级指标": first, "二级指标": second, "三级指标": "指标1", "分值": weight, "得分": weight}
    for first, second, weight in (
        ("产出指标", "数量指标", 50),
        ("效益指标", "社会效益指标", 30),
        ("满意度指标", "服务对象满意度指标", 10),
    )
]


@pytest.mark.parametrize("pack_id", MOF_PACKS)
@pytest.mark.parametrize(("rate", "expected"), cases(MOF_TOTAL_CAP))
def test_mof_total_cap_by_execution(pack_id: str, rate: str, expected: str) -> None:
    evaluation = run(
        pack_id,
        tables=mof_funds(pack_id, "100", times("100", rate)),
        rows=MOF_FULL_ROWS,
        options={"total_cap_by_execution": True},
    )
    assert evaluation.total == D(expected)


@pytest.mark.parametrize("pack_id", MOF_PACKS)
def test_mof_total_cap_is_off_by_default(pack_id: str) -> None:
    evaluation = run(pack_id, tables=mof_funds(pack_id, "100", "50"), rows=MOF_FULL_ROWS)
    assert evaluation.total == 95


# --- the meta-test: every tier edge of every pack has an oracle entry -----------------------------------------------

OracleKey = tuple[str, str, str | None]  # (pack, indicator id or "total_cap", part id)


def _probes(table: Iterable[tuple[str, str]] | Iterable[str]) -> set[Decimal]:
    return {D(row if isinstance(row, str) else row[0]) for row in table}


ORACLE: dict[OracleKey, set[Decimal]] = {
    (ZHENGTI, "spending_completion", None): _probes(SPENDING_COMPLETION),
    (ZHENGTI, "carryover", None): _probes(CARRYOVER),
    (ZHENGTI, "treasury_stock", None): _probes(TREASURY_STOCK),
    (ZHENGTI, "fixed_assets", None): _probes(FIXED_ASSETS),
    (ZHENGTI, "public_expense", "sangong"): _probes(EXPENSE_CONTROL_PART),
    (ZHENGTI, "public_expense", "public"): _probes(EXPENSE_CONTROL_PART),
    (ZHENGTI, "budget_accuracy", "income_deviation"): _probes(INCOME_DEVIATION_CEIL),
    (ZHENGTI, "budget_accuracy", "adjustments"): _probes(ADJUSTMENT_EVENTS),
    (XIANGMU, "budgeting", "adjustment"): _probes(BUDGET_ADJUSTMENT),
    (XIANGMU, "budget_control", None): _probes(BUDGET_CONTROL_FULL + BUDGET_CONTROL_DEDUCT),
    **{(pack_id, "total_cap", None): _probes(MOF_TOTAL_CAP) for pack_id in MOF_PACKS},
}
# Values that are counts: the neighbour of an edge is one unit away, not 0.0001.
INTEGER_VALUED: set[OracleKey] = {(ZHENGTI, "budget_accuracy", "adjustments")}
RATE_STEP = D("0.0001")


def _rules(indicator: model.Indicator) -> Iterable[tuple[str | None, model.Rule, Decimal]]:
    if isinstance(indicator.rule, model.SumRule):
        for part in indicator.rule.parts:
            yield part.id, part.rule, part.weight
    else:
        yield None, indicator.rule, indicator.weight


def _edges(interval: model.Interval) -> Iterable[tuple[Decimal, int]]:
    """Each finite edge, with the side (-1 below, +1 above) on which the next tier begins."""
    if interval.low is not None:
        yield interval.low, (-1 if interval.low_inclusive else 1)
    if interval.high is not None:
        yield interval.high, (1 if interval.high_inclusive else -1)


def _tiered_edges() -> Iterable[tuple[OracleKey, Decimal, int]]:
    for pack_id in loader.available():
        pack = loader.load(pack_id)
        for interval, _ in pack.options.total_cap_by_execution:
            for edge, side in _edges(interval):
                yield (pack_id, "total_cap", None), edge, side
        for indicator in pack.indicators:
            for part_id, rule, weight in _rules(indicator):
                key = (pack_id, indicator.id, part_id)
                if isinstance(rule, model.TiersRule):
                    for tier in rule.tiers:
                        for edge, side in _edges(tier.range):
                            yield key, edge, side
                elif isinstance(rule, model.DeductionRule):
                    for item in rule.items:
                        for deduction in item.tiers:
                            for edge, side in _edges(deduction.range):
                                yield key, edge, side
                        if item.step is not None and item.per:
                            # Every step until the weight is used up is a boundary; the default (ceil) starts the
                            # next deduction just above it.
                            steps = int((weight / item.per).to_integral_value(rounding=ROUND_CEILING))
                            for k in range(1, steps + 1):
                                yield key, item.step * k, 1


def test_every_tier_edge_has_an_oracle_entry() -> None:
    problems: list[str] = []
    seen: set[OracleKey] = set()
    for key, edge, side in _tiered_edges():
        seen.add(key)
        probes = ORACLE.get(key)
        if probes is None:
            problems.append(f"{key}: no oracle table")
            continue
        if edge not in probes:
            problems.append(f"{key}: boundary {edge} is not probed")
        tolerance = D(1) if key in INTEGER_VALUED else RATE_STEP
        neighbours = [p for p in probes if 0 < (p - edge) * side <= tolerance]
        if not neighbours:
            where = "above" if side > 0 else "below"
            problems.append(f"{key}: no probe within {tolerance} {where} {edge}, where the next tier begins")
    assert not problems, "\n".join(problems)
    assert seen == set(ORACLE), f"oracle tables for rules that have no tiers: {sorted(set(ORACLE) - seen, key=str)}"
