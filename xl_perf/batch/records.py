"""The records of a batch: one file (`Item`), one unit (`UnitSummary`) and the whole run (`BatchResult`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from xl_perf.findings import Finding
from xl_perf.model import document

KIND_NAMES = {"xiangmu": "项目支出", "zhengti": "部门整体"}


@dataclass
class Item:
    """One file of the batch: what the summary shows about it."""

    path: Path
    shown: str  # path relative to the batch folder, with "/"
    problem: str = ""  # why the file could not be read; empty when it was
    framework: str = ""
    kind: str = ""
    unit: str = ""
    year: int | None = None
    project: str = ""
    amount: Decimal | None = None
    execution: Decimal | None = None
    score: Decimal | None = None
    stated: Decimal | None = None
    grade: str = ""
    self_evaluated: bool = False
    findings: list[Finding] = field(default_factory=list)
    doc: document.Document | None = None
    kept: str = ""  # for a resubmitted older copy: the newer file of the same unit, year and form that counts

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def _ratio(part: int, whole: int) -> Decimal | None:
    """A share as shown in percent with two decimals (half-up), None when there is nothing to divide by."""
    from xl_perf.numbers import round_half_up

    return None if not whole else round_half_up(Decimal(part) / Decimal(whole), 4)


@dataclass
class UnitSummary:
    unit: str
    items: list[Item]
    required: int | None  # projects that must be self-evaluated, when a 整体 workbook declares them
    evaluated: int  # project workbooks with a self-evaluation in them
    missing: list[str]  # projects listed in the 整体 workbook without a project workbook

    @property
    def coverage(self) -> Decimal | None:
        return _ratio(self.evaluated, self.required_or_found)

    @property
    def required_or_found(self) -> int:
        """Required projects: as declared, but never fewer than the project workbooks actually found."""
        found = sum(1 for i in self.items if i.kind == "xiangmu")
        return max(self.required or 0, found)


@dataclass
class BatchResult:
    root: Path
    items: list[Item]  # every file counted (a resubmitted workbook once, its newest copy)
    units: list[UnitSummary]
    duplicates: list[Item] = field(default_factory=list)  # older copies of resubmitted workbooks (重复提交)

    @property
    def read(self) -> list[Item]:
        return [i for i in self.items if not i.problem]

    @property
    def bad(self) -> list[Item]:
        return [i for i in self.items if i.problem]

    @property
    def errors(self) -> int:
        return sum(i.errors for i in self.items)

    @property
    def warnings(self) -> int:
        return sum(i.warnings for i in self.items)

    @property
    def required(self) -> int:
        return sum(u.required_or_found for u in self.units)

    @property
    def evaluated(self) -> int:
        return sum(u.evaluated for u in self.units)

    @property
    def coverage(self) -> Decimal | None:
        return _ratio(self.evaluated, self.required)

    def grades(self) -> dict[str, Counter[str]]:
        """Kind -> grade -> count, over the workbooks that were read."""
        result: dict[str, Counter[str]] = defaultdict(Counter)
        for item in self.read:
            if item.grade:
                result[item.kind][item.grade] += 1
        return dict(result)
