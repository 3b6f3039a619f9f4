"""`xl-perf rules` describes every rule kind of every pack in words derived from the pack, without internal ids."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import get_args

import pytest

from tests.conftest import ROOT, SAMPLES
from tests.test_cli import run
from xl_perf.cli.rule_words import RuleWords, pack_source, param_text
from xl_perf.model import document
from xl_perf.rules import loader, model
from xl_perf.rules.text import context

PACKS = ["gd-county-zhengti", "gd-county-xiangmu", "mof-xiangmu", "mof-zhengti"]


def internal_names(pack: model.RulePack) -> set[str]:
    """Every id a pack uses inside: indicators, parts, rates, fields, cells, parameters, tables."""
    names = {i.id for i in pack.indicators} | set(pack.rates) | set(pack.fields) | set(pack.cells)
    names |= set(pack.params) | {t.id for t in pack.tables}
    for indicator in pack.indicators:
        if isinstance(indicator.rule, model.SumRule):
            names |= {p.id for p in indicator.rule.parts}
    return {n for n in names if re.search(r"[a-z]", n)}


def notation(text: str, pack: model.RulePack) -> list[str]:
    """What an accountant should not have to read: ids, param: references, Python words and infinities."""
    found = [n for n in internal_names(pack) if re.search(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_])", text)]
    found += re.findall(r"param:|[a-z]+_[a-z_]+|\binf\b|∞|\bmin\(|\bmax\(|\bNone\b|\bTrue\b|\bFalse\b|\?|种子", text)
    return found


def rules_of(rule: model.Rule) -> list[model.Rule]:
    return [rule, *(r for p in rule.parts for r in rules_of(p.rule))] if isinstance(rule, model.SumRule) else [rule]


def test_every_rule_kind_of_every_pack_is_described_without_internal_notation() -> None:
    seen: set[str] = set()
    for pack_id in PACKS:
        pack = loader.load(pack_id)
        level = next(iter(pack.levels))
        describer = RuleWords(pack, context(2025, pack.level_words(level)))
        for indicator in pack.indicators:
            for rule in rules_of(indicator.rule):
                seen.add(rule.kind)
                text = describer.describe(rule, indicator.weight)
                assert text and not notation(text, pack), (pack_id, indicator.id, text, notation(text, pack))
            na = describer.not_applicable(indicator.na_when, indicator.na_target)
            assert not notation(na, pack), (pack_id, indicator.id, na)
        for param in pack.params.values():
            shown = describer.param_value(param) + param_text(param)
            assert not notation(shown, pack) and not re.search(r"(?<![A-Za-z])(zero|floor|ceil)(?![A-Za-z])", shown)
        assert "种子" not in pack_source(pack.source)
    assert seen == {cls.__dataclass_fields__["kind"].default for cls in get_args(model.Rule)}


def test_tiers_read_like_the_form() -> None:
    result = run("rules", "gd-county-zhengti", "--year", "2025")
    assert result.returncode == 0, result.stderr
    # The tree wraps long lines: read it as one text, without the tree's lines and spaces.
    out = re.sub(r"[\s│├└─]+", "", result.stdout)
    assert "按支出完成率分档：" in out and "=100%得4分，90%（含）–100%得3分，80%（含）–90%得2分" in out
    assert "低于70%得0分" in out and "高于100%得4分（可调参数）" in out
    assert "按结转结余率分档：10%及以下得3分，10%–20%（含）得2分" in out
    assert "-15%（含）至-10%" not in out and "-15%及以下得3分，-15%至-10%（含）得2分" in out
    assert "得分=2分×政府采购执行率，最高2分" in out
    assert "每增加5%（不足5%按5%计）扣0.5分" in out
    assert "3项（含）–5项扣0.5分，5项及以上扣1分（可调参数）" in out
    assert "受表彰次数每次加1分，最多加3分；被问责次数每次减2分，最多减6分" in out
    assert "按“批复下属单位预算情况”：15日内批复得1分，已批复但超时得0.5分，未批复得0分" in out


@pytest.mark.parametrize("pack_id", PACKS)
def test_rules_command_shows_no_internal_notation(pack_id: str) -> None:
    result = run("rules", pack_id, "--year", "2025")
    assert result.returncode == 0, result.stderr
    pack = loader.load(pack_id)
    rules, params = result.stdout.split("可调参数", 1)
    assert not notation(rules, pack), notation(rules, pack)
    # A parameter's key and values appear only as the data document writes them ("blank_inputs": "missing").
    for param in pack.params.values():
        params = params.replace(f'"{param.id}": ', "")
        for value in (param.default, *param.choices):
            params = params.replace(json.dumps(value, ensure_ascii=False), "")
    assert not notation(params, pack), notation(params, pack)
    listing = run("rules")
    assert "种子" not in listing.stdout and "param:" not in listing.stdout


def test_a_deduction_step_in_percent_and_a_linear_weight() -> None:
    pack = loader.load("gd-county-zhengti")
    words = RuleWords(pack, context(2025, pack.level_words(next(iter(pack.levels)))))
    interval = model.Interval.parse("[0.9, 1)")
    assert words.interval(interval, percent=True) == "90%（含）–100%"
    assert words.interval(model.Interval.parse("(-inf, 0.7)"), percent=True) == "低于70%"
    assert words.interval(model.Interval.parse("[1, 1]"), percent=True) == "=100%"
    assert words.interval(model.Interval.parse("[3, 5)"), percent=False, unit="项") == "3项（含）–5项"
    assert words.score(Decimal("0.5")) == "0.5分"


def test_the_parameter_table_says_what_to_write_under_params() -> None:
    """workbooks/README.md sends the user to this table for `params`: what it shows is what a data document takes."""
    result = run("rules", "gd-county-zhengti", "--year", "2022")
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("可调参数", 1)[1]
    assert "数据文档中的写法" in table and "数据文档中的写法" in (ROOT / "workbooks" / "README.md").read_text("utf-8")
    assert '"deduction_step_rounding": "ceil"' in table
    assert '"ceil"（每开始一档即扣）、"floor"（满一档才扣）' in table
    assert '"blank_inputs": "missing"' in table and '"zero"（按0计）' in table
    assert '"rate_precision": 4' in table
    # Every default and every choice, written as the table shows it, is a valid data document.
    pack = loader.load("gd-county-zhengti")
    data = json.loads((SAMPLES / "gangmen-2022-zhengti.json").read_text(encoding="utf-8"))
    for param in pack.params.values():
        for value in param.choices or (param.default,):
            written = json.loads("{" + f'"{param.id}": {json.dumps(value, ensure_ascii=False)}' + "}")
            doc = document.from_dict({**data, "params": written})
            assert doc.param(param.id) == value
    floor = json.loads('{"deduction_step_rounding": "floor"}')
    assert document.from_dict({**data, "params": floor}).param("deduction_step_rounding") == "floor"


def test_a_bonus_indicator_shows_as_bonus_not_as_a_zero_weight() -> None:
    result = run("rules", "gd-county-zhengti", "--year", "2025")
    assert "工作表现加减分指标（加减分）" in result.stdout
    assert "（0）" not in result.stdout


def test_fields_of_the_same_name_are_told_apart_without_a_dot() -> None:
    result = run("rules", "gd-county-zhengti", "--year", "2025")
    out = re.sub(r"[\s│├└─]+", "", result.stdout)
    assert "三公经费控制率的实际支出数" in out
    assert "·" not in result.stdout
