"""Checks of the report text (xl_perf.validate.report) on the 港门镇 filing and on small synthetic texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_perf.findings import Finding
from xl_perf.rules import loader
from xl_perf.rules.model import RulePack
from xl_perf.rules.text import context, render
from xl_perf.validate.report import check_text
from xl_perf.validate.report import templates as text_templates
from xl_perf.validate.report.facts import FormFacts, form_facts

SAMPLES = Path(__file__).resolve().parent.parent / "workbooks" / "samples"
SEED = SAMPLES / "gangmen-2022-filing.txt"
CORRECTED = SAMPLES / "gangmen-2022-filing-corrected.txt"
GANGMEN = "遂溪县港门镇人民政府"


@pytest.fixture(scope="module")
def county() -> RulePack:
    return loader.load("gd-county-zhengti")


def _check(text: str, pack: RulePack, *, unit: str = GANGMEN, year: int = 2022, level: str = "镇") -> list[Finding]:
    return check_text(text, source="报告.txt", unit=unit, year=year, level=level, pack=pack)


def _codes(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


# --- the 港门镇 filing -------------------------------------------------------------------------------------------


def _facts(folder: Path) -> list[FormFacts]:
    """The engine's view of the sample workbooks, as `check` builds it."""
    from xl_perf.model.evaluation import evaluate
    from xl_perf.template.sources import load_any

    facts = []
    for name in ("gangmen-2022-zhengti.xlsx", "gangmen-2022-xiangmu.xlsx"):
        doc, _ = load_any(folder / name, lenient=True)
        facts.append(form_facts(evaluate(doc), name))
    return facts


@pytest.fixture(scope="module")
def seed_facts() -> list[FormFacts]:
    return _facts(SAMPLES)


@pytest.fixture(scope="module")
def seed_findings(county: RulePack, seed_facts: list[FormFacts]) -> list[Finding]:
    return check_text(
        SEED.read_text(encoding="utf-8"),
        source="报告.txt",
        unit=GANGMEN,
        year=2022,
        level="镇",
        pack=county,
        facts=seed_facts,
    )


def test_seed_other_unit_with_its_line(seed_findings: list[Finding]) -> None:
    found = _codes(seed_findings, "TEXT_OTHER_UNIT")
    assert len(found) == 1
    assert found[0].severity == "error"
    assert found[0].location.key == "第755行" and found[0].location.file == "报告.txt"
    assert "遂溪县港口镇人民政府" in found[0].message
    assert GANGMEN in found[0].fix


def test_seed_level_words(seed_findings: list[Finding]) -> None:
    found = _codes(seed_findings, "TEXT_LEVEL_WORDS")
    assert all(f.severity == "error" for f in found)
    rule = [f for f in found if f.location.key == "第734行"]  # 预算编制合理性: explain and criteria
    assert len(rule) == 2 and all("市委市政府" in f.message and "县委县政府" in f.fix for f in rule)
    footer = [f for f in found if f.location.key == "第716行"]
    assert len(footer) == 1 and "市级部门预算单位" in footer[0].message and "县级部门预算单位" in footer[0].fix
    flagged = "".join(f.message for f in found)
    for words in ("市人大", "市直机关", "市级其他专项", "及时储备市级部门项目", "县（市、区）", "市委督查"):
        assert words in flagged
    assert "第19行" not in {f.location.key for f in found}  # "按照省委、市委、县委工作要求" is an enumeration


def test_seed_share(seed_findings: list[Finding]) -> None:
    found = _codes(seed_findings, "TEXT_SHARE")
    assert [f.location.key for f in found] == ["第65行", "第509行"]
    for finding in found:
        assert "卫生健康支出" in finding.message and "0.11%" in finding.message and "0.10%" in finding.message
        assert finding.fix == "将 0.11% 改为 0.10%"


def test_seed_has_no_other_codes(seed_findings: list[Finding]) -> None:
    codes = {f.code for f in seed_findings}
    assert codes == {
        "TEXT_OTHER_UNIT",
        "TEXT_LEVEL_WORDS",
        "TEXT_SHARE",
        "TEXT_NUMBER",
        "TEXT_PLACE",
        "TEXT_DOC_NUMBER",
        "TEXT_NAME_VARIANT",
        "TEXT_URL_REUSED",
        "TEXT_ATTACHMENT",
    }


def test_corrected_filing_is_clean(county: RulePack) -> None:
    assert _check(CORRECTED.read_text(encoding="utf-8"), county) == []
    facts = _facts(SAMPLES / "corrected")
    text = CORRECTED.read_text(encoding="utf-8")
    assert check_text(text, source="c.txt", unit=GANGMEN, year=2022, level="镇", pack=county, facts=facts) == []


def test_corrected_filing_differs_only_on_flagged_lines(seed_findings: list[Finding]) -> None:
    seed = SEED.read_text(encoding="utf-8").split("\n")
    corrected = CORRECTED.read_text(encoding="utf-8").split("\n")
    assert len(seed) == len(corrected)
    changed = {f"第{n}行" for n, (a, b) in enumerate(zip(seed, corrected, strict=True), start=1) if a != b}
    flagged = {f.location.key for f in seed_findings}
    assert changed <= flagged
    # of two differing 文号 one is right: the corrected text keeps the table's (第677行) and changes the prose's
    assert {f.code for f in seed_findings if f.location.key in flagged - changed} == {"TEXT_DOC_NUMBER"}


def test_seed_year_checked_against_another_year(county: RulePack) -> None:
    found = _codes(_check(SEED.read_text(encoding="utf-8"), county, year=2023), "TEXT_YEAR")
    keys = [f.location.key for f in found]
    assert "第735行" in keys and "第775行" in keys and "第373行" in keys  # 373: the project form (same family)
    assert all(f.severity == "error" for f in found)


# --- TEXT_OTHER_UNIT ----------------------------------------------------------------------------------------------


def test_other_unit_fires(county: RulePack) -> None:
    found = _codes(_check("单位：遂溪县港口镇人民政府\n与遂溪县城月镇人民政府协作", county), "TEXT_OTHER_UNIT")
    assert [f.location.key for f in found] == ["第1行", "第2行"]


def test_other_unit_does_not_fire(county: RulePack) -> None:
    text = (
        "单位：遂溪县港门镇人民政府\n遂溪县财政局：\n取得遂溪县发展和改革局、遂溪县自然资源局的批复\n"
        "廉江市城月镇人民政府\n港口镇人民政府\n遂溪县港门镇人民政府本级"
    )
    assert _codes(_check(text, county), "TEXT_OTHER_UNIT") == []


def test_other_organ_only_where_the_unit_name_belongs(county: RulePack) -> None:
    unit = "遂溪县自然资源局"
    assert _codes(_check("遂溪县财政局：\n遂溪县财政局《通知》", county, unit=unit), "TEXT_OTHER_UNIT") == []
    found = _codes(_check("单位：遂溪县财政局\n遂溪县林业局（公章）", county, unit=unit), "TEXT_OTHER_UNIT")
    assert [f.location.key for f in found] == ["第1行", "第2行"]


# --- TEXT_LEVEL_WORDS ---------------------------------------------------------------------------------------------


def test_level_words_fire(county: RulePack) -> None:
    text = "是否符合市委市政府的方针政策\n市级部门预算单位：某单位\n经市人大批复的转移支付资金"
    found = _codes(_check(text, county), "TEXT_LEVEL_WORDS")
    assert [f.location.key for f in found] == ["第1行", "第2行", "第3行"]


def test_level_words_do_not_fire(county: RulePack) -> None:
    text = (
        "按照省委、市委、县委工作要求\n是否符合县委县政府的方针政策\n县级部门预算单位：某单位\n"
        "工作获得中央、省委省政府、市委市政府和县委县政府表彰的\n（二）中央、省、市财政安排\n湛江市委市政府"
    )
    assert _check(text, county) == []


def test_level_words_of_a_city_filing(county: RulePack) -> None:
    assert _check("是否符合市委市政府的方针政策", county, level="市") == []
    found = _codes(_check("县级部门预算单位：某局", county, unit="湛江市财政局", level="市"), "TEXT_LEVEL_WORDS")
    assert len(found) == 1 and "市级部门预算单位" in found[0].fix


def test_own_rendered_rule_texts_are_clean_and_other_levels_are_not(county: RulePack) -> None:
    packs = text_templates.family(county)
    assert {p.id for p in packs} >= {"gd-county-zhengti", "gd-county-xiangmu"}

    def rendered(level: str) -> str:
        return "\n".join(
            render(t, context(2022, p.levels[level], {"n": "1"})) for p in packs for t in text_templates.templates(p)
        )

    assert _check(rendered("镇"), county) == []
    assert _check(rendered("市"), county, level="市") == []
    assert _codes(_check(rendered("市"), county), "TEXT_LEVEL_WORDS")


# --- TEXT_YEAR ----------------------------------------------------------------------------------------------------


def test_year_fires(county: RulePack) -> None:
    found = _check("3. 按要求提前于2021年11月底前将主管的县级一般性转移支付下达", county, year=2023)
    assert [f.code for f in found] == ["TEXT_YEAR"]
    assert "2021" in found[0].message and "提前于2022年11月底前" in found[0].fix


def test_year_does_not_fire(county: RulePack) -> None:
    text = (
        "3. 按要求提前于2022年11月底前将主管的县级一般性转移支付下达\n截至2021年12月31日，结转资金为0。\n（2021年）\n"
        "2021年11月底前完成招标"
    )
    assert _check(text, county, year=2023) == []


def test_year_of_the_disclosure_check(county: RulePack) -> None:
    text = "在2021年省、市财政预决算信息公开检查中未发现存在问题"
    assert [f.code for f in _check(text, county, year=2022)] == ["TEXT_YEAR"]
    assert _check(text, county, year=2021) == []


# --- TEXT_SHARE, TEXT_SHARE_SUM -----------------------------------------------------------------------------------


def test_share_fires_in_yuan_and_wan(county: RulePack) -> None:
    text = "2022年收入 200 万元，其中：财政拨款收入 1500000 元，占总收入的 70.00%；其他收入 50 万元，占总收入 25%。"
    found = _check(text, county)
    assert [f.code for f in found] == ["TEXT_SHARE", "TEXT_SHARE_SUM"]
    assert "75.00%" in found[0].message


def test_share_does_not_fire(county: RulePack) -> None:
    text = (
        "2022年，支出预算12520271.94元，其中：一般公共服务支出11750258.94元，占总支出的93.85%；"
        "社会保障和就业支出690013.00元，占总支出的5.51%；灾害防治及应急管理支出80000元，占总支出的0.64%。\n"
        "2022 年度单位财政资金收入 200 万元，其中：财政拨款收入 1500000 元，占总收入的 75.00%；"
        "其他收入 50 万元，占总收入 25%。"
    )
    assert _check(text, county) == []


def test_share_rounds_half_up(county: RulePack) -> None:
    ok = "支出 8 元，其中：甲支出 1 元，占总支出的 12.5%；乙支出 7 元，占总支出的 87.5%"
    assert _check(ok, county) == []
    assert [f.code for f in _check(ok.replace("12.5%", "12.4%"), county)] == ["TEXT_SHARE"]


def test_share_total_in_an_earlier_line_of_the_paragraph(county: RulePack) -> None:
    text = "支出 100 元，其中：\n甲支出 30 元，占总支出的 31.00%"
    found = _check(text, county)
    assert [(f.code, f.location.key) for f in found] == [("TEXT_SHARE", "第2行")]
    assert _check(text.replace("\n", "\n\n"), county) == []  # another paragraph: no total known


def test_share_sum_fires(county: RulePack) -> None:
    text = (
        "支出 100 元，其中：甲支出 60 元，占总支出的 60.00%；乙支出 40 元，占总支出的 40.00%；"
        "丙支出 0 元，占总支出的 1.00%"
    )
    found = _check(text, county)
    assert [f.code for f in found] == ["TEXT_SHARE", "TEXT_SHARE_SUM"]
    assert found[1].severity == "warning" and "101%" in found[1].message and "0.03%" in found[1].message
    loose = "支出 100 元，其中：甲支出 60 元，占总支出的 60%；乙支出 40 元，占总支出的 41%"
    assert [f.code for f in _check(loose, county)] == ["TEXT_SHARE"]  # 101% is within ±1% × 2 of whole percents


def test_share_sum_of_a_partial_breakdown(county: RulePack) -> None:
    partial = "支出 100 万元，其中：甲支出 30 万元，占总支出的 30.00%；乙支出 20 万元，占总支出的 20.00%"
    found = _check(partial, county)
    assert [f.code for f in found] == ["TEXT_SHARE_SUM"]
    assert "50%" in found[0].message and "漏列" in found[0].message


def test_share_sum_does_not_fire(county: RulePack) -> None:
    rounding = (
        "支出 3 元，其中：甲支出 1 元，占总支出的 33.33%；乙支出 1 元，占总支出的 33.33%；"
        "丙支出 1 元，占总支出的 33.33%"
    )
    assert _check(rounding, county) == []  # 99.99% is within the rounding of three items
    single = "支出 100 万元，其中：人员经费支出 30 万元，占总支出的 30.00%"
    assert _check(single, county) == []  # one item named after "其中" is no breakdown


# --- TEXT_RATE ----------------------------------------------------------------------------------------------------

ZIYUAN = (
    "2023 年度预算安排一般公共预算-本级 2605.28 万元，2023 年度预算安排一般公共预算-上级 3296.74 万元，"
    "2023 年度预算安排政府性基金 18.27 万元，全年总体执行数 5019.1 万元，预算执行率 84.78%。"
    "项目支出预算安排 3275.47 万元，全年执行数 2337.27 万元，预算执行率 71.36%。"
)


def test_rate_does_not_fire() -> None:
    pack = loader.load("mof-zhengti")
    assert check_text(ZIYUAN, source="s", unit="资源县资源镇人民政府", year=2023, level="镇", pack=pack) == []
    ambiguous = "年初预算 100 万元，调整预算 120 万元，执行数 60 万元，预算执行率 30%。"
    assert check_text(ambiguous, source="s", unit="", year=2023, level="镇", pack=pack) == []


def test_rate_fires() -> None:
    pack = loader.load("mof-zhengti")
    text = ZIYUAN.replace("84.78%", "84.87%")
    found = check_text(text, source="s", unit="资源县资源镇人民政府", year=2023, level="镇", pack=pack)
    assert [f.code for f in found] == ["TEXT_RATE"]
    assert found[0].severity == "warning" and "84.78%" in found[0].fix


# --- locations and robustness -------------------------------------------------------------------------------------


def test_page_and_line_with_form_feeds(county: RulePack) -> None:
    text = "第一页\n\f单位：遂溪县港口镇人民政府\n\n\f标题\n市级部门预算单位：某单位"
    keys = [f.location.key for f in _check(text, county)]
    assert keys == ["第2页第1行", "第3页第2行"]


def test_unknown_level_and_unit_are_tolerated(county: RulePack) -> None:
    text = SEED.read_text(encoding="utf-8")
    found = check_text(text, source="s", unit="某单位", year=2022, level="省", pack=county)
    # what needs the unit's name, level or place stays quiet; what the text says of itself is still checked
    unit_free = {"TEXT_SHARE", "TEXT_DOC_NUMBER", "TEXT_NAME_VARIANT", "TEXT_URL_REUSED", "TEXT_ATTACHMENT"}
    assert "TEXT_SHARE" in {f.code for f in found} and {f.code for f in found} <= unit_free


_ALPHABET = st.sampled_from(
    [
        *"0123456789.,，。；：%％元万其中占总收入支出的率执行预算县市镇区委人大直机关遂溪港门口乡政府局年月底前",
        *" \n\f\r\t（）",
        *("提前于", "年11月底前", "遂溪县", "镇人民政府", "市委市政府", "占总支出的", "预算执行率"),
        *("截至", "年12月底仍有", "收入 100 元，其中：", "60000 元，占总支出的 0.11%"),
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(_ALPHABET, max_size=80).map("".join)))
def test_never_raises(text: str) -> None:
    pack = loader.load("gd-county-zhengti")
    for level, unit in (("镇", GANGMEN), ("市", "湛江市财政局"), ("县", "")):
        for finding in check_text(text, source="x.txt", unit=unit, year=2022, level=level, pack=pack):
            assert finding.location.file == "x.txt" and finding.location.key
            assert finding.code.startswith("TEXT_") and finding.message and finding.fix
