"""Findings: what the engine (and later the validator) has to say about a self-evaluation.

A finding points at a logical place (a field, a table cell, an indicator, an indicator row). Faces translate that
into a file/sheet/cell or a data-document key, so the engine never needs to know how the data was stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from xl_perf.errors import Location

Severity = Literal["error", "warning", "info"]
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Ref:
    """A logical place in a self-evaluation."""

    kind: Literal["document", "field", "cell", "indicator", "row"]
    id: str = ""  # field id, indicator id, table id
    row: int | None = None  # table row index or indicator-row index
    column: str | None = None  # table column id


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    ref: Ref
    fix: str = ""
    location: Location = field(default_factory=Location)

    def locate(self, locator: Callable[[Ref], Location]) -> Finding:
        return Finding(self.severity, self.code, self.message, self.ref, self.fix, locator(self.ref))

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {
            "severity": self.severity,
            "code": self.code,
            "location": self.location.as_dict(),
            "message": self.message,
        }
        if self.fix:
            result["fix"] = self.fix
        return result
