"""Weight systems, row placement, direction by name, 定性 ranges and stated rates in the MoF packs (issue 17 item 1).

The documents are the corpus filings' (tests/corpus/*.expect.json), changed one thing at a time.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xl_perf.errors import BadInputError
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.model.placement import group_key
from xl_perf.rules import loader

CORPUS = Path(__file__).resolve().parent / "corpus"


def filing(stem: str) -> dict[str, Any]:
    data = json.loads((CORPUS / f"{stem}.expect.json").read_text(encoding="utf-8"))["document"]
    return copy.deepcopy(data)


def scored(data: dict[str, Any]) -> Evaluation:
    return evaluate(document.from_dict(data, lenient=True))


def codes(evaluation: Evaluation, code: str) -> list[str]:
    return [f.message for f in evaluation.findings if f.code == code]


def test_the_packs_declare_the_mof_and_ningxia_systems() -> None:
    for pack_id in ("mof-xiangmu", "mof-zhengti"):
        pack = loader.load(pack_id)
        systems = {s.id: s for s in pack.weight_systems}
        assert set(systems) == {"mof", "ningxia"}
        assert systems["mof"].execution + sum(g.weight for g in systems["mof"].groups) == pack.total
        assert systems["ningxia"].execution + sum(g.weight for g in systems["ningxia"].groups) == pack.total
        assert [g.weight for g in systems["ningxia"].groups] == [10, 25, 30, 35]
        assert "项目管理" in systems["ningxia"].groups[1].aliases
    assert not loader.load("gd-county-xiangmu").weight_systems


def test_group_names_are_compared_loosely() -> None:
    assert group_key("项目决策（10分）") == group_key("项目决策 (10分)") == "项目决策"
    assert group_key(" 产出 指标 ") == "产出"


def test_the_forms_own_weights_total_100_without_weight_errors() -> None:
    result = scored(filing("qingshen-2023-xiangmu"))
    assert result.total == 100 and not codes(result, "WEIGHT_SUM")
    assert {r.id: r.weight for r in result.indicators}["output"] == 60
    fixed = filing("qingshen-2023-xiangmu")
    del fixed["weight_system"]  # the pack's fixed 50 / 30 / 10, as the template's own formulas
    result = scored(fixed)
    assert result.total == 90 and codes(result, "WEIGHT_SUM")


def test_form_weights_not_totalling_100_keep_the_fixed_weights() -> None:
    data = filing("qingshen-2023-xiangmu")
    data["indicator_rows"][0]["分值"] = 55  # 10 + 55 + 30 = 95
    result = scored(data)
    assert {r.id: r.weight for r in result.indicators}["output"] == 50
    assert any("分值合计 55，应为 50" in m for m in codes(result, "WEIGHT_SUM"))


def test_the_ningxia_table_keeps_every_row() -> None:
    data = filing("yinchuan-2021-xiangmu")
    result = scored(data)
    assert len(result.rows) == len(data["indicator_rows"])
    weights = {r.name: r.weight for r in result.indicators}
    assert weights == {"决策指标": 10, "过程指标": 25, "产出指标": 30, "效益指标": 35}  # no separate 执行率 line
    assert result.total == 85
    data["weight_system"] = "mof"  # named explicitly: 决策 / 过程 rows fit nowhere in 10/50/30/10
    result = scored(data)
    assert len(codes(result, "ROW_UNPLACED")) == 8


def test_a_mistyped_group_is_a_finding_at_its_row_and_still_counts() -> None:
    data = filing("langfang-2019-typo")
    result = scored(data)
    unplaced = [f for f in result.findings if f.code == "ROW_UNPLACED"]
    assert [f.ref.row for f in unplaced] == [5, 6]
    assert "疑为“效益指标”" in unplaced[0].message and unplaced[0].severity == "error"
    assert result.total == scored(filing("langfang-2019-xiangmu")).total == Decimal("97.24")
    del data["weight_system"]  # under fixed weights: reported, and (as in the template's formulas) not counted
    result = scored(data)
    assert "未计入总分" in codes(result, "ROW_UNPLACED")[0]
    assert result.total == Decimal("77.24")


def test_rows_without_a_group_are_reported_and_counted_apart() -> None:
    result = scored(filing("chongqing-2021-zhengti"))
    messages = codes(result, "ROW_UNPLACED")
    assert len(messages) == 19 and "未填写一级指标" in messages[0] and "未归类指标" in messages[0]
    assert {r.name: r.weight for r in result.indicators}["未归类指标"] == 70
    assert result.total == Decimal("77.05")


def test_rates_of_control_and_carry_over_are_reverse_by_name() -> None:
    result = scored(filing("chongqing-2021-zhengti"))
    rows = {r.name: r for r in result.rows}
    assert rows["结转结余率"].score == 2 and "反向" in rows["结转结余率"].rule
    assert rows["预算调整率"].score == 2
    assert rows["政府采购执行率"].computed == Decimal("1.45")


@pytest.mark.parametrize(("stated", "in_range"), [(13, True), (12, True), (11, False)])
def test_qualitative_rows_met_are_scored_by_the_unit_within_80_to_100_percent(stated: int, in_range: bool) -> None:
    data = filing("yinchuan-2021-xiangmu")
    row = next(r for r in data["indicator_rows"] if r["三级指标"] == "效果显著")
    row["得分"] = stated
    result = scored(data)
    out_of_range = [m for m in codes(result, "SCORE_OUT_OF_RANGE") if "效果显著" in m]
    assert bool(out_of_range) != in_range
    if out_of_range:
        assert "12–15" in out_of_range[0]


def test_dates_with_a_verb_parse() -> None:
    result = scored(filing("yinchuan-2021-xiangmu"))
    row = next(r for r in result.rows if r.name == "公用经费完成时间")
    assert row.computed == 5 and "按时完成" in row.rule
    assert any("公用经费完成时间" in m for m in codes(result, "SCORE_MISMATCH"))


def test_stated_rates_are_checked_at_their_printed_precision() -> None:
    data = filing("langfang-2019-xiangmu")
    assert codes(scored(data), "STATED_RATE_MISMATCH")  # 86% where 86.20%
    data["stated_rates"] = {"预算执行率": "86.20%"}
    result = scored(data)
    assert not codes(result, "STATED_RATE_MISMATCH") and not codes(result, "RATE_MISMATCH")
    data["stated_rates"] = {"预算执行率": "87%"}
    assert codes(scored(data), "RATE_MISMATCH")
    data["stated_rates"] = {"预算执行率": ""}
    assert codes(scored(data), "STATED_RATE_BLANK")


def test_a_stated_rate_read_from_a_formula_cell_is_compared_at_the_rules_precision() -> None:
    """A rate cell holding =执行数/预算数 reads as a float's full repr (0.9670066042599105): not a RATE_MISMATCH when it
    shows what the rules compute."""
    data = filing("langfang-2019-xiangmu")
    for row in data["tables"]["项目资金"]:  # amounts whose quotient's float repr differs from Decimal in the last digit
        row.update({"年初预算数": 27953.17, "全年预算数": 27953.17, "全年执行数": 27030.9})
    data["stated_rates"] = {"预算执行率": repr(27030.9 / 27953.17)}  # what the spreadsheet's division gives
    result = scored(data)
    assert not codes(result, "RATE_MISMATCH") and not codes(result, "STATED_RATE_MISMATCH")


def test_the_uncomputable_rate_names_the_denominator_that_is_zero() -> None:
    """abs(全年 - 年初) / 年初 with 年初预算数 0 (a project added mid-year): the finding names 年初, not 全年."""
    sample = Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "gangmen-2022-xiangmu.json"
    data = json.loads(sample.read_text("utf-8"))
    data["tables"]["资金情况"][0]["年初预算数"] = 0
    found = [f.message for f in scored(data).findings if f.code == "RATE_UNCOMPUTABLE"]
    assert found and all("年初预算数为 0" in m and "全年预算数为 0" not in m for m in found), found


def test_a_zero_denominator_is_a_finding_at_its_cell() -> None:
    result = scored(filing("tangxi-2022-weituo"))
    found = [f for f in result.findings if f.code == "RATE_UNCOMPUTABLE"]
    assert len(found) == 1 and found[0].ref.kind == "cell" and found[0].ref.row == 0
    assert "年度资金总额的全年预算数为 0" in found[0].message
    explanation = result.indicator("budget_execution").rule
    assert explanation.startswith("预算执行率 = 0 ÷ 0，分母为0") and "?" not in explanation


@pytest.mark.parametrize(
    ("key", "value"),
    [("weight_system", "guangxi"), ("stated_rates", {"执行比率": "86%"}), ("stated_rates", {"预算执行率": "八成"})],
)
def test_bad_weight_systems_and_rates_are_refused_by_key(key: str, value: object) -> None:
    data = filing("langfang-2019-xiangmu")
    data[key] = value
    with pytest.raises(BadInputError) as caught:
        document.from_dict(data)
    assert key in str(caught.value)


def _row(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in data["indicator_rows"] if r["三级指标"] == name)


def test_the_stated_nature_decides_the_direction() -> None:
    data = filing("chongqing-2021-zhengti")
    _row(data, "政府采购执行率")["指标性质"] = "反向"  # 72.74% against at most 100%: full marks
    _row(data, "结转结余率").update({"年度指标值": "≥2%", "指标性质": "反向"})  # typed ≥, stated 反向: 反向 wins
    result = scored(data)
    rows = {r.name: r for r in result.rows}
    assert rows["政府采购执行率"].computed == 2
    assert rows["结转结余率"].computed == 2 and "反向" in rows["结转结余率"].rule
    conflicts = codes(result, "DIRECTION_CONFLICT")
    assert len(conflicts) == 1 and "结转结余率" in conflicts[0]
    _row(data, "预算调整率")["指标性质"] = "正向"  # the stated nature also wins over the 反向 default by name
    assert {r.name: r for r in scored(data).rows}["预算调整率"].computed == 0


@pytest.mark.parametrize(("degree", "low", "high"), [("部分达成", "6", "7.99"), ("未达成", "0", "5.99")])
def test_the_degree_of_a_qualitative_row_gives_its_range(degree: str, low: str, high: str) -> None:
    data = filing("yinchuan-2021-xiangmu")
    row = _row(data, "使学生和老师有个更好的学习和工作环境")
    row.update({"实际完成值": "部分认可", "完成程度": degree, "得分": 8})
    result = {r.name: r for r in scored(data).rows}["使学生和老师有个更好的学习和工作环境"]
    assert (result.low, result.high) == (Decimal(low), Decimal(high))


def test_unknown_nature_or_degree_is_refused_at_its_cell() -> None:
    for column, value in (("指标性质", "向上"), ("完成程度", "基本达成")):
        data = filing("yinchuan-2021-xiangmu")
        _row(data, "效果显著")[column] = value
        with pytest.raises(BadInputError) as caught:
            document.from_dict(data)
        assert column in str(caught.value) and value in str(caught.value)
