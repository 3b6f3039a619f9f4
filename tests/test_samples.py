"""The acceptance facts of the core issue, on the samples transcribed from the seed filings."""

from __future__ import annotations

import copy
from decimal import Decimal

from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate


def _evaluate(data: dict) -> Evaluation:
    return evaluate(document.from_dict(data))


def _codes(evaluation: Evaluation, code: str) -> list[str]:
    return [f.message for f in evaluation.findings if f.code == code]


def test_ziyuan_budget_execution_and_total(ziyuan_zhengti: dict) -> None:
    evaluation = _evaluate(ziyuan_zhengti)
    execution = evaluation.indicator("budget_execution")
    assert evaluation.rates["budget_execution"].value == Decimal("0.8478")
    assert execution.score == Decimal("8.48") and execution.basis == "rule"
    assert evaluation.total == Decimal("92.48") == evaluation.stated_total
    assert evaluation.grade == "优"
    assert not [f for f in evaluation.findings if f.severity == "error"]


def test_gangmen_zhengti_facts(gangmen_zhengti: dict) -> None:
    evaluation = _evaluate(gangmen_zhengti)
    assert evaluation.stated_total == 94
    fixed = evaluation.indicator("fixed_assets")
    assert fixed.value == Decimal("0.9965") and fixed.score == 3
    assert any("固定资产利用率填报为 100.00%" in m and "99.65%" in m for m in _codes(evaluation, "RATE_MISMATCH"))
    spending = evaluation.indicator("spending_completion")
    assert spending.value == 1 and spending.score == 4 and spending.basis == "rule"
    key_work = evaluation.indicator("key_work")
    assert key_work.stated_score == 5 and key_work.score == Decimal("0.09")
    assert any(
        m.startswith("重点工作完成率：填报得分 5，按规则应为 0.09") for m in _codes(evaluation, "SCORE_MISMATCH")
    )
    # 13.26% is the inverse of actual ÷ budget (240.492276 ÷ 31.88 = 754.37%).
    assert any("倒数" in m for m in _codes(evaluation, "RATE_MISMATCH") if m.startswith("公用经费控制率"))
    assert evaluation.indicator("public_expense").score == 2
    assert evaluation.total == Decimal("89.09") and evaluation.grade == "良" and evaluation.stated_grade == "优"


def test_gangmen_xiangmu_facts(gangmen_xiangmu: dict) -> None:
    evaluation = _evaluate(gangmen_xiangmu)
    assert evaluation.total == 100 == evaluation.stated_total
    assert evaluation.indicator("funds_arrival").score == 3
    assert evaluation.indicator("budget_execution").score == 5
    denied = _codes(evaluation, "DEVIATION_DENIED")
    assert len(denied) == 1 and "项目竣工时间" in denied[0] and "2024年5月" in denied[0]


def test_worked_example_of_the_key_work_rule(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["fields"]["重点工作"].update({"县委督查得分": 95, "政府督查得分": 90, "完成率": 0.925})
    data["scores"]["重点工作完成率"] = 4.63
    evaluation = _evaluate(data)
    key_work = evaluation.indicator("key_work")
    assert key_work.score == Decimal("4.63") and key_work.basis == "rule"
    assert not [f for f in evaluation.findings if f.ref.id in ("key_work", "key_work_rate_stated")]


def test_explanations_name_the_branch(gangmen_zhengti: dict) -> None:
    evaluation = _evaluate(gangmen_zhengti)
    assert evaluation.indicator("spending_completion").rule == "100.00%，落在 =100% 档 → 4 分"
    assert "[95%, +∞)" in evaluation.indicator("fixed_assets").rule
    assert (
        evaluation.rates["fixed_asset_utilization"].explanation == "固定资产利用率 = 621.520185 ÷ 623.731085 = 99.65%"
    )


def test_not_applicable_points_move_to_spending_completion(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["fields"]["资金下达"] = {"是否有主管的转移支付资金": "否", "批复下属单位预算情况": "无需批复"}
    data["scores"]["资金下达合法性"] = 0
    data["scores"]["支出完成率"] = 7
    evaluation = _evaluate(data)
    spending = evaluation.indicator("spending_completion")
    assert spending.weight == 7 and spending.score == 7
    assert evaluation.indicator("fund_allocation_legality").weight == 0
    assert len(_codes(evaluation, "NOT_APPLICABLE")) == 2


def test_bonus_and_penalty_are_capped(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["fields"]["加减分"] = {"受表彰次数": 5, "被问责次数": 0}
    evaluation = _evaluate(data)
    assert evaluation.bonus == 3
    data["fields"]["加减分"] = {"受表彰次数": 1, "被问责次数": 4}
    assert _evaluate(data).bonus == -5


def test_stated_total_must_match_stated_scores(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["stated_total"] = 95
    assert _codes(_evaluate(data), "STATED_TOTAL_MISMATCH")


def test_score_outside_the_manual_range(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["scores"]["项目监管"] = 6
    evaluation = _evaluate(data)
    assert evaluation.indicator("project_supervision").score == 5
    assert any("项目监管" in m for m in _codes(evaluation, "SCORE_OUT_OF_RANGE"))


def test_rows_weights_must_sum(ziyuan_zhengti: dict) -> None:
    data = copy.deepcopy(ziyuan_zhengti)
    data["indicator_rows"][0]["分值"] = 20
    assert any("产出指标下各指标分值合计 52，应为 50" in m for m in _codes(_evaluate(data), "WEIGHT_SUM"))


def test_guangxi_deviation_switch(ziyuan_zhengti: dict) -> None:
    data = copy.deepcopy(ziyuan_zhengti)
    data["indicator_rows"][0].update({"年度指标值": "≥100个", "实际完成值": "140个"})
    assert _codes(_evaluate(data), "DEVIATION_REASON_REQUIRED")
    data["options"] = {}
    assert not _codes(_evaluate(data), "DEVIATION_REASON_REQUIRED")


def test_total_cap_by_execution_switch(ziyuan_zhengti: dict) -> None:
    data = copy.deepcopy(ziyuan_zhengti)
    data["tables"]["部门资金"][0]["全年执行数"] = 4400  # 74.32%
    data["scores"]["预算执行率"] = 7.43
    data["stated_total"] = 91.43
    assert _evaluate(data).total == Decimal("91.43")
    data["options"] = {"total_cap_by_execution": True}
    capped = _evaluate(data)
    assert capped.total == 89 and _codes(capped, "TOTAL_CAPPED")
