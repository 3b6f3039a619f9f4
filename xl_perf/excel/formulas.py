"""UDF formulas for the .xlsm variant: the same template description, computed cells calling the Python UDFs.

Helper cells (score parts, weights, totals, checks) keep their native formulas; rates, indicator scores and row
scores call XP_RATE / XP_SCORE / XP_ROWSCORE with the inputs in the order `engine.inputs` defines.
"""

from __future__ import annotations

from xl_perf.engine.inputs import indicator_inputs, rate_inputs
from xl_perf.model.document import Document
from xl_perf.rules import model
from xl_perf.template.layout import RowRefs, field_name
from xl_perf.template.native import NativeFormulas


class UdfFormulas(NativeFormulas):
    def __init__(self, doc: Document) -> None:
        super().__init__(doc)
        # UDFs evaluate with the pack's default parameters; a document that overrides them keeps native formulas.
        self.use_udfs = not doc.params

    def _args(self, names: list[str]) -> str:
        return "".join("," + field_name(n) for n in names)

    def rate(self, rate: model.Rate) -> str:
        if not self.use_udfs:
            return super().rate(rate)
        return f'=XP_RATE("{self.pack.id}","{rate.id}"{self._args(rate_inputs(self.pack, rate.id))})'

    def score(self, indicator: model.Indicator) -> str | None:
        native = super().score(indicator)
        if native is None or not self.use_udfs or isinstance(indicator.rule, model.RowsRule):
            return native
        return f'=XP_SCORE("{self.pack.id}","{indicator.id}"{self._args(indicator_inputs(self.pack, indicator.id))})'

    def row_score(self, slot: int, refs: RowRefs) -> str:
        if not self.use_udfs:
            return super().row_score(slot, refs)
        blank = f'OR({refs.target}="",{refs.actual}="",{refs.weight}="")'
        return f'=IF({blank},"",XP_ROWSCORE({refs.target},{refs.actual},{refs.weight}))'
