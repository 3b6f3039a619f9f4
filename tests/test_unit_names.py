"""Unit names (issue 17 item 2): the filing unit is compared with 实施单位, never with 主管部门; MoF codes before a
name and "本级" after it are not differences, and a real difference is shown."""

from __future__ import annotations

from typing import Any

from tests.conftest import sample_data
from xl_perf.model import document
from xl_perf.validate.checks import check_document, check_together, name_difference, unit_key


def _xiangmu(department: str, implementer: str, unit: str = "青神县发展和改革局") -> document.Document:
    data: dict[str, Any] = {
        "framework": "mof-xiangmu",
        "unit": unit,
        "year": 2023,
        "fields": {"项目基本情况": {"项目名称": "工资性支出", "主管部门": department, "实施单位": implementer}},
    }
    return document.from_dict(data)


def _mismatches(doc: document.Document) -> list[str]:
    return [f.message for f in check_document(doc) if f.code == "UNIT_NAME_MISMATCH"]


def test_the_supervising_department_is_another_body() -> None:
    assert _mismatches(_xiangmu("廊坊市发改委", "青神县发展和改革局")) == []


def test_codes_and_benji_are_not_differences() -> None:
    assert _mismatches(_xiangmu("219-青神县发展和改革局本级", "219001-青神县发展和改革局")) == []
    assert unit_key("219001 - 池州市贵池区棠溪镇人民政府") == "池州市贵池区棠溪镇人民政府"
    assert unit_key("青神县发展和改革局本级") == "青神县发展和改革局"
    assert unit_key("本级") == "本级"


def test_a_different_implementer_is_reported_with_what_differs() -> None:
    messages = _mismatches(_xiangmu("青神县财政局", "青神县发展改革局"))
    assert len(messages) == 1
    assert "实施单位" in messages[0] and "（少了“和”）" in messages[0]
    assert name_difference("遂溪县港口镇人民政府", "遂溪县港门镇人民政府") == "“口”应为“门”"
    assert name_difference("青神县发展和改革局分局", "青神县发展和改革局") == "多了“分局”"


def test_a_department_form_compares_its_own_name() -> None:
    data = sample_data("ziyuan-2023-zhengti.json")
    data["fields"]["部门基本情况"]["部门（单位）名称"] = "123-资源县资源镇人民政府本级"
    assert _mismatches(document.from_dict(data)) == []
    data["fields"]["部门基本情况"]["部门（单位）名称"] = "资源县中峰镇人民政府"
    assert _mismatches(document.from_dict(data)) == [
        "“部门（单位）名称”填为“资源县中峰镇人民政府”，与单位“资源县资源镇人民政府”不一致（“中峰”应为“资源”）"
    ]


def test_files_of_one_unit_tolerate_codes_between_them() -> None:
    first = _xiangmu("x", "219001-青神县发展和改革局", unit="219001-青神县发展和改革局")
    second = _xiangmu("x", "青神县发展和改革局")
    assert [f.code for _, f in check_together([first, second]) if f.code == "UNIT_NAME_MISMATCH"] == []
