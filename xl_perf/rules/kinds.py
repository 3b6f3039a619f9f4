"""The rule kinds and one registry type for their backends.

Each backend (the decimal evaluation in engine, the Excel formula in template/native, the UDF inputs, the Chinese
description of the CLI) keeps one `Registry` and registers one implementation per rule kind with
`@registry.register(model.TiersRule)`. A rule is dispatched by its exact class, so a new rule kind without an
implementation fails loudly (and tests/test_rule_kinds.py lists every registry that lacks one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from xl_perf.rules import model

RULE_KINDS: tuple[type, ...] = (
    model.TiersRule,
    model.LinearRule,
    model.DeductionRule,
    model.ChecklistRule,
    model.ChoiceRule,
    model.ManualRule,
    model.RowsRule,
    model.BonusPenaltyRule,
    model.SumRule,
)

F = TypeVar("F", bound=Callable[..., object])

REGISTRIES: list[Registry[Callable[..., object]]] = []


class Registry(Generic[F]):
    """One backend's implementation per rule kind."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._impls: dict[type, F] = {}
        REGISTRIES.append(self)  # type: ignore[arg-type]

    def register(self, *kinds: type) -> Callable[[F], F]:
        def add(impl: F) -> F:
            for kind in kinds:
                if kind in self._impls:
                    raise AssertionError(f"{self.backend}: {kind.__name__} registered twice")
                self._impls[kind] = impl
            return impl

        return add

    def __getitem__(self, rule: object) -> F:
        try:
            return self._impls[type(rule)]
        except KeyError:
            raise AssertionError(f"{self.backend}: no implementation for {type(rule).__name__}") from None

    def missing(self) -> list[str]:
        """The rule kinds this backend has no implementation for."""
        return [kind.__name__ for kind in RULE_KINDS if kind not in self._impls]
