"""Which raw inputs each rate and each indicator's rule reads, in a fixed order.

The UDFs take exactly these inputs as arguments and the .xlsm template passes them in this order, so the order is
defined once, here, from the rule pack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xl_perf.rules import model
from xl_perf.rules.kinds import Registry


def _expand(pack: model.RulePack, names: list[str], out: list[str]) -> None:
    for name in names:
        if name in pack.rates:
            _expand(pack, pack.rates[name].formula.names, out)
        elif name not in out:
            out.append(name)


def rate_inputs(pack: model.RulePack, rate_id: str) -> list[str]:
    out: list[str] = []
    _expand(pack, pack.rates[rate_id].formula.names, out)
    return out


# The raw inputs each rule kind reads, in order (rates not yet expanded).
INPUTS: Registry[Callable[[Any], list[str]]] = Registry("UDF inputs")


def _rule_names(rule: model.Rule) -> list[str]:
    return INPUTS[rule](rule)


def _undefined_names(cases: tuple[model.Undefined, ...]) -> list[str]:
    return [name for case in cases for name in case.when.names]


@INPUTS.register(model.TiersRule)
def _tiers(rule: model.TiersRule) -> list[str]:
    return [*rule.value.names, *_undefined_names(rule.undefined)]


@INPUTS.register(model.LinearRule)
def _linear(rule: model.LinearRule) -> list[str]:
    zero = rule.zero_when.names if rule.zero_when is not None else []
    return [*rule.value.names, *_undefined_names(rule.undefined), *zero]


@INPUTS.register(model.DeductionRule)
def _deduction(rule: model.DeductionRule) -> list[str]:
    return [name for item in rule.items for name in item.value.names]


@INPUTS.register(model.ChecklistRule)
def _checklist(rule: model.ChecklistRule) -> list[str]:
    return [i.input for i in rule.items if i.input]


@INPUTS.register(model.ChoiceRule)
def _choice(rule: model.ChoiceRule) -> list[str]:
    return [rule.input]


@INPUTS.register(model.BonusPenaltyRule)
def _bonus(rule: model.BonusPenaltyRule) -> list[str]:
    return [i.input for i in rule.items]


@INPUTS.register(model.ManualRule, model.RowsRule)
def _no_inputs(rule: model.ManualRule | model.RowsRule) -> list[str]:
    # A judged score reads no input; the indicator rows are passed to XP_ROWSCORE row by row, not to XP_SCORE.
    return []


@INPUTS.register(model.SumRule)
def _sum(rule: model.SumRule) -> list[str]:
    names: list[str] = []
    for part in rule.parts:
        names += _rule_names(part.rule)
        if part.na_when is not None:
            names += part.na_when.names
    return names


def indicator_inputs(pack: model.RulePack, indicator_id: str) -> list[str]:
    """Raw inputs of an indicator's score, including conditions of other indicators' parts that move points to it."""
    indicator = pack.indicator(indicator_id)
    names = _rule_names(indicator.rule)
    if indicator.na_when is not None:
        names += indicator.na_when.names
    for other in pack.indicators:
        if isinstance(other.rule, model.SumRule):
            for part in other.rule.parts:
                if part.na_target == indicator_id and part.na_when is not None:
                    names += part.na_when.names
    out: list[str] = []
    _expand(pack, names, out)
    return out
