"""Every rule kind has every backend: the decimal evaluation, the Excel formula, the UDF inputs and the Chinese
description each register one implementation per rule class (xl_perf/rules/kinds.py)."""

from __future__ import annotations

import typing

import pytest

from xl_perf.cli import rule_words
from xl_perf.engine import inputs, scoring
from xl_perf.rules import kinds, model
from xl_perf.template import native

BACKENDS = [scoring.SCORERS, native.FORMULAS, inputs.INPUTS, rule_words.DESCRIPTIONS]


def test_the_kinds_are_the_rule_classes_of_the_model() -> None:
    assert set(kinds.RULE_KINDS) == set(typing.get_args(model.Rule))
    assert len(kinds.RULE_KINDS) == len(set(kinds.RULE_KINDS))


@pytest.mark.parametrize("registry", BACKENDS, ids=lambda r: r.backend)
def test_every_rule_kind_has_this_backend(registry: kinds.Registry[typing.Any]) -> None:
    assert registry.missing() == []


def test_every_registry_is_checked_here() -> None:
    # A new backend registry (created anywhere in xl_perf that these modules import) joins the list above.
    assert {r.backend for r in kinds.REGISTRIES} == {r.backend for r in BACKENDS}


def test_an_unregistered_kind_fails_loudly_and_twice_is_refused() -> None:
    registry: kinds.Registry[typing.Any] = kinds.Registry("probe")
    try:
        registry.register(model.ManualRule)(lambda rule: "manual")
        assert registry[model.ManualRule()](None) == "manual"
        assert "TiersRule" in registry.missing()
        with pytest.raises(AssertionError, match="no implementation for SumRule"):
            registry[model.SumRule(())]
        with pytest.raises(AssertionError, match="registered twice"):
            registry.register(model.ManualRule)(lambda rule: "again")
    finally:
        kinds.REGISTRIES.remove(registry)
