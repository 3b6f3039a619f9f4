from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from xl_perf.errors import BadInputError
from xl_perf.model import document


def test_samples_load(gangmen_zhengti: dict, gangmen_xiangmu: dict, ziyuan_zhengti: dict) -> None:
    doc = document.from_dict(gangmen_zhengti)
    assert doc.unit == "遂溪县港门镇人民政府" and doc.year == 2022 and doc.level == "镇"
    assert doc.fields["fixed_assets_total"] == Decimal("623.731085")
    assert doc.fields["asset_rules"] is True
    assert doc.fields["petition_channel"] is True
    assert doc.fields["selfeval_published_date"] == "2023-04-27"
    assert doc.stated_scores["spending_completion"] == 4
    assert doc.stated_total == 94
    funds = doc.tables["funds"]
    assert [r.row_id for r in funds][-1] == "own_project"
    assert funds[0].values["issued_adjustment"] == Decimal("-178.93267")
    xiangmu = document.from_dict(gangmen_xiangmu)
    assert len(xiangmu.rows) == 18 and xiangmu.rows[10].target == "2024年5月"
    assert xiangmu.weights == {"output_quantity": 8, "output_timeliness": 6, "output_quality": 8}
    assert document.from_dict(ziyuan_zhengti).rows[4].stated_score == 24


def test_labels_follow_the_level(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["level"] = "市"
    with pytest.raises(BadInputError) as info:
        document.from_dict(data)
    # A 市 document calls it 市委督查得分 and 市级年度预算安排; the 县 labels are reported with their keys.
    assert "fields.重点工作.县委督查得分" in info.value.message
    assert "市委督查得分" in info.value.message


def test_all_problems_are_collected_with_their_keys(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["year"] = "二〇二二"
    data["fields"]["资产管理"]["固定资产总额（原值）"] = "六百万"
    data["fields"]["资产管理"]["资产账与财务账一致"] = "对"
    data["fields"]["资产管理x"] = {}
    data["fields"]["三公经费控制率"]["预算安排数"] = -1
    data["fields"]["整体绩效目标"]["计划数"] = 6.5
    data["fields"]["落款"]["填报日期"] = "2023年13月1日"
    data["scores"]["支出完成律"] = 4
    data["tables"]["财政资金情况"][0]["项目"] = "合计"
    data["extra"] = 1
    with pytest.raises(BadInputError) as info:
        document.from_dict(data, source="x.json")
    message = info.value.message
    expected = [
        "year：评价年度应为",
        "fields.资产管理.固定资产总额（原值）：应为数字",
        "fields.资产管理.资产账与财务账一致：应填“是”或“否”",
        "fields.资产管理x：不是本框架的分区，是否应为“资产管理”",
        "fields.三公经费控制率.预算安排数：金额不能为负数",
        "fields.整体绩效目标.计划数：应为整数",
        "fields.落款.填报日期：应为日期",
        "scores.支出完成律：不是本框架的指标，是否应为“支出完成率”",
        "财政资金情况“合计”（第1行）的“项目”：不认识的行名“合计”",
        "extra：不认识的键",
    ]
    for text in expected:
        assert text in message, text
    assert message.startswith(f"数据文档有 {len(expected)} 处问题")
    assert info.value.location is not None and info.value.location.file == "x.json"


def test_unknown_framework() -> None:
    with pytest.raises(BadInputError, match="framework：应为以下之一"):
        document.from_dict({"framework": "nope", "unit": "x", "year": 2022})


def test_not_an_object() -> None:
    with pytest.raises(BadInputError, match="应为 JSON 对象"):
        document.from_dict([1, 2])


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="无法读取文件"):
        document.load_path(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"framework": ', encoding="utf-8")
    with pytest.raises(BadInputError, match="JSON 格式错误（第 1 行"):
        document.load_path(broken)
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes(json.dumps({"unit": "港门镇"}, ensure_ascii=False).encode("gbk"))
    with pytest.raises(BadInputError, match="UTF-8"):
        document.load_path(gbk)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("rate", "99.65%", Decimal("0.9965")),
        ("rate", 0.1326, Decimal("0.1326")),
        ("amount", "1,073.094524", Decimal("1073.094524")),
        ("yesno", "是", True),
        ("havenot", "无", False),
        ("date", "2023年4月27日", "2023-04-27"),
        ("date", "2022年10月", "2022-10"),
        ("date", "2022-5-3", "2022-05-03"),
        ("text", "  ", None),
        ("count", None, None),
    ],
)
def test_parse_value(kind: str, raw: object, expected: object) -> None:
    assert document.parse_value(kind, raw, ("是", "否") if kind == "yesno" else ("有", "无")) == expected


def test_scores_accept_id_name_or_path(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["scores"] = {"fixed_assets": 3, "预算执行情况/支出管理/支出完成率": 4, "结转结余率": 3}
    doc = document.from_dict(data)
    assert doc.stated_scores == {"fixed_assets": 3, "spending_completion": 4, "carryover": 3}


def test_not_applicable_only_where_the_rules_allow(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["not_applicable"] = ["支出完成率"]
    with pytest.raises(BadInputError, match="规则未规定该指标可以不适用"):
        document.from_dict(data)


def test_params_are_checked(gangmen_zhengti: dict) -> None:
    data = copy.deepcopy(gangmen_zhengti)
    data["params"] = {"deduction_step_rounding": "round", "nonsense": 1}
    with pytest.raises(BadInputError) as info:
        document.from_dict(data)
    assert "params.deduction_step_rounding：应为以下之一" in info.value.message
    assert "params.nonsense：不是本规则包的参数" in info.value.message


# --- pickling (documents travel from a batch's workers) -----------------------------------------------------------


class _Odd(Decimal):
    """A Decimal subclass: pickled as it is, not through its text."""


def _shape(value: object) -> object:
    """A value with every Decimal shown as its exact text and type, so that 1.50 and 1.5, -0 and 0, NaN all differ."""
    if isinstance(value, Decimal):
        return (type(value).__name__, str(value))
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]  # in order
    if isinstance(value, list | tuple):
        return [_shape(v) for v in value]
    if isinstance(value, document.TableRow | document.IndicatorRow | document.Document):
        return (type(value).__name__, [(k, _shape(v)) for k, v in vars(value).items() if k != "pack"])
    return (type(value).__name__, value)


def test_pickled_documents_come_back_exactly(gangmen_zhengti: dict, gangmen_xiangmu: dict) -> None:
    import pickle

    docs = [document.from_dict(gangmen_zhengti), document.from_dict(gangmen_xiangmu)]
    odd = docs[1]
    odd.tables["funds"][0].values.update(
        {"a": Decimal("-0"), "b": Decimal("1.50"), "c": Decimal("NaN"), "d": True, "e": "文字", "f": _Odd("2.0")}
    )
    odd.tables["funds"].append(document.TableRow("x", "空行", {}, 9))
    odd.rows.append(document.IndicatorRow(("一", "二", "三"), "≥1", "1", Decimal("1E+1"), None, "", 18))
    odd.rows.append(document.IndicatorRow(("一", "二", "三"), "≥1", "1", None, _Odd("-0.00"), "", 19))
    odd.rows.append(document.IndicatorRow(("一", "二", "三"), "≥1", "1", "text", 3, "", 20))  # type: ignore[arg-type]
    for doc in docs:
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            again = pickle.loads(pickle.dumps(doc, protocol))
            assert _shape(again) == _shape(doc)
            assert again.pack.id == doc.pack.id
        assert _shape(copy.deepcopy(doc)) == _shape(doc)


def test_copy_of_a_document_shares_its_parts(gangmen_zhengti: dict) -> None:
    doc = document.from_dict(gangmen_zhengti)
    copied = copy.copy(doc)
    assert copied is not doc and type(copied) is document.Document
    assert all(getattr(copied, name) is value for name, value in vars(doc).items())
    copied.pack = None  # type: ignore[assignment]
    assert doc.pack is not None
