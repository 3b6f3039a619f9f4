"""Rule packs are data; these tests hold them to the structure of the official tables."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xl_perf.rules import loader, model
from xl_perf.rules.text import context, placeholders, render

PACKS = loader.available()


def test_the_four_frameworks_are_bundled() -> None:
    assert PACKS == ["gd-county-xiangmu", "gd-county-zhengti", "mof-xiangmu", "mof-zhengti"]


def _weights(pack: model.RulePack) -> dict[tuple[str, ...], Decimal]:
    return {i.path: i.weight for i in pack.indicators if i.weight > 0}


@pytest.mark.parametrize("pack_id", PACKS)
def test_indicator_weights_total_100(pack_id: str) -> None:
    pack = loader.load(pack_id)
    assert sum(_weights(pack).values()) == pack.total == 100


@pytest.mark.parametrize("pack_id", PACKS)
def test_children_sum_to_their_parent(pack_id: str) -> None:
    pack = loader.load(pack_id)
    leaves = _weights(pack)
    for group in pack.groups:
        if group.weight is None:
            continue
        children = sum(w for path, w in leaves.items() if path[: len(group.path)] == group.path)
        assert children == group.weight, f"{'/'.join(group.path)}: children {children} != {group.weight}"
        direct = [g for g in pack.groups if len(g.path) == len(group.path) + 1 and g.path[:-1] == group.path]
        if direct and all(g.weight is not None for g in direct):
            assert sum(g.weight for g in direct if g.weight is not None) == group.weight


@pytest.mark.parametrize("pack_id", PACKS)
def test_sum_rule_parts_add_up_to_the_indicator(pack_id: str) -> None:
    for indicator in loader.load(pack_id).indicators:
        if isinstance(indicator.rule, model.SumRule):
            assert sum(p.weight for p in indicator.rule.parts) == indicator.weight, indicator.id
        if isinstance(indicator.rule, model.ChecklistRule):
            assert sum(i.points for i in indicator.rule.items) == indicator.weight, indicator.id


def test_seed_004_first_level_weights() -> None:
    zhengti = {g.path: g.weight for g in loader.load("gd-county-zhengti").groups if len(g.path) == 1}
    assert zhengti == {("预算编制情况",): 20, ("预算执行情况",): 40, ("预算监督情况",): 10, ("预算执行效益",): 30}
    xiangmu = {g.path: g.weight for g in loader.load("gd-county-xiangmu").groups if len(g.path) == 1}
    assert xiangmu == {("决策",): 18, ("过程",): 22, ("产出",): 30, ("效益",): 30}


def test_mof_weights() -> None:
    for pack_id in ("mof-xiangmu", "mof-zhengti"):
        weights = {i.name: i.weight for i in loader.load(pack_id).indicators}
        assert weights == {"预算执行率": 10, "产出指标": 50, "效益指标": 30, "满意度指标": 10}


def _texts(pack: model.RulePack) -> list[str]:
    texts = [pack.title, pack.note, *(s.title for s in pack.sheets), *(s.subtitle for s in pack.sheets)]
    for indicator in pack.indicators:
        texts += [indicator.explain, indicator.criteria, *indicator.path]
    for section in pack.sections:
        texts += [section.label, *(f.label for f in section.fields), *(o for f in section.fields for o in f.options)]
    for table in pack.tables:
        texts += [table.label, *(r.label for r in table.rows), *(p for c in table.columns for p in c.path)]
    return texts


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_text_renders_for_every_level_and_year(pack_id: str) -> None:
    pack = loader.load(pack_id)
    for level in pack.levels:
        for year in (2022, 2023, 2031):
            values = context(year, pack.level_words(level), {"n": "1"})
            for text in _texts(pack):
                rendered = render(text, values)
                assert "{" not in rendered and "}" not in rendered


def test_year_and_level_words_are_templates_not_literals() -> None:
    pack = loader.load("gd-county-zhengti")
    texts = _texts(pack)
    for literal in ("2021年11月", "2022年省、市", "市委市政府", "市直机关"):
        assert not any(literal in t for t in texts), literal
    standardization = pack.indicator("budget_standardization").criteria
    assert "{year_prev}年11月底前" in standardization
    assert {"lvl", "year_prev", "lower"} <= placeholders(standardization)
    words_2022 = context(2022, pack.level_words("县"))
    words_city = context(2022, pack.level_words("市"))
    assert "提前于2021年11月底前" in render(standardization, words_2022)
    assert "2022年省、市财政预决算信息公开检查" in render(pack.indicator("budget_disclosure").criteria, words_2022)
    rationality = pack.indicator("budget_rationality").criteria
    assert "县委县政府" in render(rationality, words_2022)
    assert "市委市政府" in render(rationality, words_city)
    assert pack.level_words("镇") == pack.level_words("县")


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_parameter_is_documented_and_referenced(pack_id: str) -> None:
    pack = loader.load(pack_id)
    source = (loader.resources.files("xl_perf.rules") / "packs" / f"{pack_id}.toml").read_text(encoding="utf-8")
    engine_params = {"rate_precision", "blank_inputs", "row_weight_split", "redistribution"}
    for param in pack.params.values():
        assert len(param.doc) > 10
        assert f"param:{param.id}" in source or param.id in engine_params, f"{param.id} is never used"


@pytest.mark.parametrize("pack_id", PACKS)
def test_indicator_ids_are_stable_ascii(pack_id: str) -> None:
    for indicator in loader.load(pack_id).indicators:
        assert indicator.id.isascii() and indicator.id.replace("_", "").isalnum()


def test_interval_parsing() -> None:
    interval = model.Interval.parse("[0.9, 1)")
    assert interval.contains(Decimal("0.9")) and not interval.contains(Decimal(1))
    assert model.Interval.parse("(-inf, 0.7)").contains(Decimal(-5))
    assert model.Interval.parse("[1, 1]").describe(as_percent=True) == "=100%"


@pytest.mark.parametrize("bad", ["0.9, 1", "[1, 0]", "[a, 1)", "(0.1 0.2]"])
def test_bad_intervals_are_rejected(bad: str) -> None:
    with pytest.raises(loader.RulePackError):
        model.Interval.parse(bad)


def test_unknown_pack_is_a_clear_error() -> None:
    with pytest.raises(loader.RulePackError, match="没有名为"):
        loader.load("gd-city-zhengti")


def test_loader_rejects_malformed_packs() -> None:
    base = {
        "pack": {"id": "x", "title": "t"},
        "grades": {"bands": [{"name": "优", "min": 90}, {"name": "差", "min": 0}]},
        "levels": {"县": {"lvl": "县"}},
        "sheets": [{"id": "s", "title": "t"}],
        "sections": [{"sheet": "s", "label": "a", "fields": [{"id": "f", "label": "F", "type": "amount"}]}],
    }
    cases = [
        ({"rates": {"r": {"name": "R", "formula": "f / g"}}}, "未定义的名称"),
        ({"indicators": [{"id": "i", "path": ["I"], "weight": 1, "rule": {"kind": "magic"}}]}, "不在词表"),
        (
            {
                "indicators": [
                    {
                        "id": "i",
                        "path": ["I"],
                        "weight": 1,
                        "rule": {
                            "kind": "tiers",
                            "value": "f",
                            "tiers": [{"range": "[0, 1]", "score": 1}, {"range": "[1, 2]", "score": 0}],
                        },
                    }
                ]
            },
            "重叠",
        ),
        ({"indicators": [{"id": "i", "path": ["{nonsense}"], "weight": 1, "rule": {"kind": "manual"}}]}, "未知占位符"),
        ({"params": {"p": {"default": 1}}}, "缺少说明"),
        ({"rates": {"r": {"name": "R", "formula": "f / 2"}}}, "rate_precision"),
        ({"projects": {"form": "y", "name": "n"}}, "projects 缺少"),
    ]
    for extra, message in cases:
        with pytest.raises(loader.RulePackError, match=message):
            loader._Builder("x", {**base, **extra}).build()


def test_the_project_links_of_a_whole_form_name_what_its_project_form_has() -> None:
    whole = loader.load("gd-county-zhengti")
    links = whole.projects
    assert links is not None
    project = loader.load(links.form)
    table = project.table(links.table)
    assert links.name in project.fields
    assert {links.total, links.other} <= {r.id for r in table.rows}
    columns = {c.id for c in table.columns}
    assert {links.other_amount, *(a.own for a in links.amounts)} <= columns
    assert [p for p in loader.available() if loader.load(p).projects is not None] == ["gd-county-zhengti"]
