"""Which raw inputs each rate and each indicator's rule reads, in a fixed order.

The UDFs take exactly these inputs as arguments and the .xlsm template passes them in this order, so the order is
defined once, here, from the rule pack.
"""

from __future__ import annotations

from xl_perf.rules import model


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


def _rule_names(rule: model.Rule) -> list[str]:
    names: list[str] = []
    if isinstance(rule, model.TiersRule | model.LinearRule):
        names += rule.value.names
        for case in rule.undefined:
            names += case.when.names
        if isinstance(rule, model.LinearRule) and rule.zero_when is not None:
            names += rule.zero_when.names
    elif isinstance(rule, model.DeductionRule):
        for item in rule.items:
            names += item.value.names
    elif isinstance(rule, model.ChecklistRule):
        names += [i.input for i in rule.items if i.input]
    elif isinstance(rule, model.ChoiceRule):
        names.append(rule.input)
    elif isinstance(rule, model.BonusPenaltyRule):
        names += [i.input for i in rule.items]
    elif isinstance(rule, model.SumRule):
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
