"""The report checks added for Word reports: each fires on a small text and stays quiet on its corrected form.

REPORT_CASES also feeds the catalogue-wide fire/quiet tests (tests/test_checks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from xl_perf.findings import Finding
from xl_perf.rules import loader
from xl_perf.validate.report import check_text
from xl_perf.validate.report.facts import FormFacts
from xl_perf.validate.report.places import full_name, unit_place

GANGMEN = "遂溪县港门镇人民政府"
ZHENGTI = FormFacts(
    "zhengti",
    "整体.xlsx",
    Decimal("89.09"),
    "良",
    Decimal("94"),
    {"固定资产利用率": Decimal("0.99645561"), "重点工作完成率": Decimal("0.01705")},
    ("《关于遂溪县港门镇乡村振兴基础设施综合提升项目可行性研究报告的批复》（遂发改〔2022〕45号）",),
    {"在用固定资产总额（原值）": (Decimal("621.520185"), "万元"), "群众上访、信访数量": (Decimal(2), "人次")},
    {
        "重点工作完成率": ((Decimal("0.09"), Decimal("5")),),
        "支出完成率": ((Decimal("4"), Decimal("4")),),
        "结转结余率": ((Decimal("3"), Decimal("3")),),
        "自评材料": ((Decimal("2"), Decimal("2")),),
    },
)
XIANGMU = FormFacts(
    "xiangmu",
    "项目.xlsx",
    Decimal("100"),
    "优",
    Decimal("100"),
    {"预算执行率": Decimal("1")},
    ("指标8：将原砂土路提升改造为硬底化道路", "遂溪县港门镇乡村振兴基础设施综合提升项目"),
)


def _findings(text: str, facts: tuple[FormFacts, ...] = (ZHENGTI, XIANGMU)) -> list[Finding]:
    pack = loader.load("gd-county-zhengti")
    return check_text(text, source="r.txt", unit=GANGMEN, year=2022, level="镇", pack=pack, facts=facts)


def _codes(text: str) -> set[str]:
    return {f.code for f in _findings(text)}


def _one(text: str, code: str) -> Finding:
    found = [f for f in _findings(text) if f.code == code]
    assert len(found) == 1, found
    return found[0]


# --- TEXT_NUMBER ---------------------------------------------------------------------------------------------------

NUMBER_BAD = "整体绩效自评报告\n\n固定资产利用率 100%，重点工作完成率为1.71%。\n\n自评分数 94，等级优。"
NUMBER_GOOD = "整体绩效自评报告\n\n固定资产利用率 99.65%，重点工作完成率为1.71%。\n\n自评分数 89.09，等级良。"


def test_number_fires_on_rate_and_total() -> None:
    found = [f for f in _findings(NUMBER_BAD) if f.code == "TEXT_NUMBER"]
    assert [f.location.key for f in found] == ["第3行", "第5行"]
    assert "99.65%" in found[0].message and "固定资产利用率 100%" in found[0].message
    assert "89.09" in found[1].message and "（良）" in found[1].message and "填报 94" in found[1].message


def test_number_is_quiet_when_it_matches_and_per_part() -> None:
    assert "TEXT_NUMBER" not in _codes(NUMBER_GOOD)
    # in the 项目 part the project's total counts, not the 整体 one
    assert "TEXT_NUMBER" not in _codes("项目支出绩效自评报告\n\n自评分数 100，等级优。")
    assert "TEXT_NUMBER" in _codes("项目支出绩效自评报告\n\n自评分数 89.09，等级良。")
    assert "TEXT_NUMBER" not in {f.code for f in _findings("固定资产利用率 100%", facts=())}


def test_number_fires_on_amounts_and_counts() -> None:
    found = [
        f
        for f in _findings("在用固定资产总额（原值）\t612.520185万元；群众上访、信访数量 3 人次")
        if f.code == "TEXT_NUMBER"
    ]
    assert len(found) == 2 and "621.520185万元" in found[0].message and "2人次" in found[1].message


def test_number_quiet_on_amounts_in_either_unit() -> None:
    text = "在用固定资产总额（原值）621.52 万元，在用固定资产总额（原值）6215201.85 元；群众上访、信访数量 2 人次"
    assert "TEXT_NUMBER" not in _codes(text)
    assert "TEXT_NUMBER" not in _codes("在用固定资产总额（原值）的 95%")  # no amount after the label


SCORE_BAD = "整体绩效自评报告\n\n重点工作完成率为1.71%，得分5分；支出完成率指标得4.5分。"
SCORE_GOOD = "整体绩效自评报告\n\n重点工作完成率为1.71%，得分0.09分；支出完成率指标得4分，结转结余率（3分）得3分。"


def test_number_fires_on_an_indicator_score() -> None:
    found = [f for f in _findings(SCORE_BAD) if f.code == "TEXT_NUMBER"]
    assert len(found) == 2, found
    assert "“重点工作完成率”得分为 0.09 分" in found[0].message and "文中为 5 分" in found[0].message
    assert "表中填报 5 分" in found[0].message  # the form states 5, the rule gives 0.09
    assert "“支出完成率”得分为 4 分" in found[1].message and "填报" not in found[1].message
    assert found[0].location.key == found[1].location.key == "第3行"


def test_number_is_quiet_on_matching_scores_and_on_scoring_criteria() -> None:
    assert "TEXT_NUMBER" not in _codes(SCORE_GOOD)
    criteria = (
        "1. 结转结余率≤10%的，得3分；2. 10%<结转结余率≤20%的，得2分。支出完成率达到100%以上得1分。"
        "在规定时间内完成自评材料报送工作得1分，否则不得分。支出完成率满分4分，扣0.5分。"
    )
    assert "TEXT_NUMBER" not in _codes(criteria)
    # the total score is the total's business, not an indicator's
    assert "TEXT_NUMBER" not in _codes("整体绩效自评报告\n\n支出完成率为100%，自评得分89.09分，等级良。")


# --- TEXT_DOC_NUMBER, TEXT_DOC_NUMBER_FORMAT -----------------------------------------------------------------------

TITLE = "《关于遂溪县港门镇乡村振兴基础设施综合提升项目可行性研究报告批复的批复》"


def test_doc_number_conflict_with_the_workbook() -> None:
    found = _one(f"取得批复{TITLE}（遂发改农〔2021〕41号）。", "TEXT_DOC_NUMBER")
    assert "遂发改农〔2021〕41号" in found.message and "遂发改〔2022〕45号" in found.message
    assert "整体.xlsx" in found.message and found.severity == "error"


def test_doc_number_conflict_inside_the_report() -> None:
    text = "《关于开展绩效自评工作的通知》（遂财绩〔2023〕2号）\n\n《关于开展绩效自评工作的通知》（遂财绩〔2023〕3号）"
    found = [f for f in _findings(text, facts=()) if f.code == "TEXT_DOC_NUMBER"]
    assert [f.location.key for f in found] == ["第1行", "第3行"]


def test_doc_number_quiet() -> None:
    assert "TEXT_DOC_NUMBER" not in _codes(f"取得批复{TITLE}（遂发改〔2022〕45号）。")
    other = (
        "《关于开展绩效自评工作的通知》（遂财绩〔2023〕2号）\n《关于加强新增债券资金管理的通知》（遂财金〔2021〕15号）"
    )
    assert "TEXT_DOC_NUMBER" not in _codes(other)


@pytest.mark.parametrize(
    ("written", "fixed"),
    [
        ("遂财绩[2023]2号", "遂财绩〔2023〕2号"),
        ("遂财绩（2023）2号", "遂财绩〔2023〕2号"),
        ("遂财绩〔2023〕第2号", "遂财绩〔2023〕2号"),
        ("遂财绩〔2023〕02号", "遂财绩〔2023〕2号"),
        ("遂财绩〔2023〕2", "遂财绩〔2023〕2号"),
        ("遂财绩〔23〕2号", "遂财绩〔2023〕2号"),
    ],
)
def test_doc_number_format_fires(written: str, fixed: str) -> None:
    found = _one(f"根据《通知》（{written}）要求", "TEXT_DOC_NUMBER_FORMAT")
    assert found.fix == f"改为“{fixed}”" and written in found.message


def test_doc_number_format_quiet() -> None:
    text = "根据《通知》（遂财绩〔2023〕2 号）要求，（2022年）项目(2022)、县（市、区）、支出完成率(100%)"
    assert "TEXT_DOC_NUMBER_FORMAT" not in _codes(text)


# --- TEXT_PLACE ----------------------------------------------------------------------------------------------------


def test_place_fires_with_the_division_named() -> None:
    found = _one("相关信息在泸定县政务网公开", "TEXT_PLACE")
    assert "四川省" in found.message and "广东省湛江市遂溪县" in found.message
    assert "TEXT_PLACE" in _codes("参照海南省的做法")


def test_place_quiet_on_own_places_and_short_names() -> None:
    text = "广东省湛江市遂溪县港门镇，按照省委、市委和县委工作要求，加强与海南的对接，北部湾经济圈，镇区、城区"
    assert "TEXT_PLACE" not in _codes(text)


def test_unit_place_from_the_package() -> None:
    assert full_name(unit_place(GANGMEN) or "") == "广东省湛江市遂溪县"
    assert full_name(unit_place("资源县资源镇人民政府") or "") == "广西壮族自治区桂林市资源县"
    assert unit_place("某单位") is None


# --- TEXT_NAME_VARIANT ---------------------------------------------------------------------------------------------


def test_name_variant_fires_against_the_workbook() -> None:
    found = _one("指标 8：将原砂石路提升改造为硬底化道路\t1904 平方米", "TEXT_NAME_VARIANT")
    assert "砂石路" in found.message and "砂土路" in found.message


def test_name_variant_quiet() -> None:
    text = "指标 8：将原砂土路提升改造为硬底化道路\t1904 平方米\n指标 9：新建检查井\t60 个\n指标 7：新建检查井"
    assert "TEXT_NAME_VARIANT" not in _codes(text)


# --- TEXT_DATE_ORDER, TEXT_DATE_PERIOD, TEXT_URL_REUSED ----------------------------------------------------------

DISCLOSURE = (
    "填报日期：2023年4月27日\n"
    "自评信息\t是否公开\t是\t公开时间\t{selfeval}\t公开网址\thttp://x.gov.cn/a.html\n"
    "预决算信息\t是否公开\t是\t预算公开时间\t2022年4月28日\t公开网址\thttp://x.gov.cn/b.html\n"
    "\t\t\t决算公开时间\t{final}\t公开网址\thttp://x.gov.cn/c.html\n"
    "绩效目标\t是否公开\t是\t公开时间\t2022年4月23日\t公开网址\thttp://x.gov.cn/{goals}.html\n"
)


def _disclosure(selfeval: str = "2023年4月27日", final: str = "2023年1月18日", goals: str = "d") -> set[str]:
    return _codes(DISCLOSURE.format(selfeval=selfeval, final=final, goals=goals))


def test_date_order_fires() -> None:
    assert "TEXT_DATE_ORDER" in _disclosure(final="2022年12月20日")  # 决算 before the year ended
    assert "TEXT_DATE_ORDER" in _disclosure(selfeval="2023年4月20日")  # published before the report's date


def test_date_period_fires() -> None:
    assert "TEXT_DATE_PERIOD" in _disclosure(selfeval="2025年4月27日")


def test_url_reused_fires() -> None:
    found = _one(DISCLOSURE.format(selfeval="2023年4月27日", final="2023年1月18日", goals="a"), "TEXT_URL_REUSED")
    assert "2023年4月27日" in found.message and "2022年4月23日" in found.message and found.location.key == "第5行"


def test_dates_and_urls_quiet() -> None:
    assert not {"TEXT_DATE_ORDER", "TEXT_DATE_PERIOD", "TEXT_URL_REUSED"} & _disclosure()
    # the same address for two documents of one year (预算 and 绩效目标 pages) is not flagged
    assert "TEXT_URL_REUSED" not in _disclosure(goals="b")


# --- TEXT_ATTACHMENT -----------------------------------------------------------------------------------------------

LETTER = (
    "此函。\n\n附件：\n\n- 1、项目支出绩效自评报告\n- 2、整体绩效自评报告\n\n遂溪县港门镇人民政府\n\n"
    "附件 {n}\n\n{title}\n"
)


def test_attachment_fires() -> None:
    found = _one(LETTER.format(n=3, title="项目支出绩效自评报告"), "TEXT_ATTACHMENT")
    assert "第 1 项" in found.message and found.fix.startswith("改为“附件 1”")
    assert "TEXT_ATTACHMENT" in _codes(LETTER.format(n=2, title="项目支出绩效自评报告"))
    assert "TEXT_ATTACHMENT" in _codes(LETTER.format(n=5, title="其他材料"))


def test_attachment_quiet() -> None:
    assert "TEXT_ATTACHMENT" not in _codes(LETTER.format(n=1, title="项目支出绩效自评报告"))
    assert "TEXT_ATTACHMENT" not in _codes("附件 3\n\n项目支出绩效自评报告")  # no list: nothing to compare with
    inline = "附件：1. 项目支出绩效自评报告；2. 整体绩效自评报告\n\n附件 2\n\n整体绩效自评报告"
    assert "TEXT_ATTACHMENT" not in _codes(inline)


# --- for the catalogue-wide tests ---------------------------------------------------------------------------------


def _case(fires: str, quiet: str) -> tuple[Callable[[], set[str]], Callable[[], set[str]]]:
    return (lambda: _codes(fires)), (lambda: _codes(quiet))


REPORT_CASES: dict[str, tuple[Callable[[], set[str]], Callable[[], set[str]]]] = {
    "TEXT_NUMBER": _case(NUMBER_BAD, NUMBER_GOOD),
    "TEXT_DOC_NUMBER": _case(f"{TITLE}（遂发改农〔2021〕41号）", f"{TITLE}（遂发改〔2022〕45号）"),
    "TEXT_DOC_NUMBER_FORMAT": _case("《通知》（遂财绩[2023]2号）", "《通知》（遂财绩〔2023〕2号）"),
    "TEXT_PLACE": _case("在泸定县政务网公开", "在遂溪县政务网公开"),
    "TEXT_NAME_VARIANT": _case("指标8：将原砂石路提升改造为硬底化道路", "指标8：将原砂土路提升改造为硬底化道路"),
    "TEXT_DATE_ORDER": (
        lambda: _disclosure(final="2022年12月20日"),
        lambda: _disclosure(),
    ),
    "TEXT_DATE_PERIOD": (lambda: _disclosure(selfeval="2025年4月27日"), lambda: _disclosure()),
    "TEXT_URL_REUSED": (lambda: _disclosure(goals="a"), lambda: _disclosure()),
    "TEXT_ATTACHMENT": _case(
        LETTER.format(n=3, title="项目支出绩效自评报告"), LETTER.format(n=1, title="项目支出绩效自评报告")
    ),
}


@pytest.mark.parametrize("code", sorted(REPORT_CASES))
def test_report_case_fires_and_stays_quiet(code: str) -> None:
    fires, quiet = REPORT_CASES[code]
    assert code in fires() and code not in quiet()
