"""The rates a form prints beside the data they come from (issue 17): 执行率 stated, blank, rounded, or uncomputable.

A stated rate is compared at its own printed precision ("86%" agrees with 86.20% to whole percent) and must also be
printed as precisely as the rules compute it (two decimals of a percent); a rate whose denominator is zero cannot
be computed at all, which is reported at the cell of the denominator (an unsummed 年度资金总额 row, typically).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from xl_perf.engine.scoring import RateResult
from xl_perf.findings import Ref, Severity
from xl_perf.model.document import Document
from xl_perf.numbers import format_percent, round_half_up
from xl_perf.rules import model

Find = Callable[[Severity, str, str, Ref, str], None]


def printed_places(text: str) -> int:
    """Decimal places of the fraction a printed rate shows: "86%" -> 2, "86.2%" -> 3, "0.862" -> 3."""
    body = text.strip().removesuffix("%")
    places = len(body.split(".", 1)[1]) if "." in body else 0
    return places + 2 if text.strip().endswith("%") else places


def check(doc: Document, rates: dict[str, RateResult], find: Find) -> None:
    for rate_id, (text, stated) in doc.stated_rates.items():
        rate = rates.get(rate_id)
        if rate is None:
            continue
        ref = Ref("document", f"stated_rates.{rate_id}")
        if stated is None:
            shown = f"，按数据应为 {format_percent(rate.value)}" if rate.value is not None else ""
            find("warning", "STATED_RATE_BLANK", f"{rate.name}未填写{shown}", ref, "填写执行率（保留两位小数）")
            continue
        if rate.value is None or rate.exact is None:
            continue
        # A rate cell holding a formula reads as a float's full repr: compare at no more places than the rule keeps.
        places = min(printed_places(text), max(-rate.value.as_tuple().exponent, 0))  # type: ignore[operator]
        if round_half_up(rate.exact, places) != round_half_up(stated, places):
            message = f"{rate.name}填报为 {text}，按 {rate.explanation.split(' = ', 1)[-1]}"
            find("error", "RATE_MISMATCH", message, ref, f"改为 {format_percent(rate.value)}")
        elif stated != rate.value and places < -rate.value.as_tuple().exponent:  # type: ignore[operator]
            shown = format_percent(rate.value)
            message = f"{rate.name}填报为 {text}，计算值为 {shown}：应保留两位小数，得分按 {shown} 计算"
            find("warning", "STATED_RATE_MISMATCH", message, ref, f"改为 {format_percent(rate.value)}")


def check_uncomputable(doc: Document, rates: dict[str, RateResult], find: Find) -> None:
    """A rate whose denominator is zero: a finding at the denominator's cell, not a silent 0."""
    pack = doc.pack
    for rate in pack.rates.values():
        result = rates.get(rate.id)
        if result is None or result.status != "undefined":
            continue
        cells = [pack.cells[n] for n in _denominators(rate.formula.tree) if n in pack.cells]
        ref = Ref("document", "tables")
        label = ""
        if cells:
            # The denominator that is zero or blank (a project added mid-year has 年初预算数 0, 全年预算数 not).
            cell = next((c for c in cells if not _cell_value(doc, c)), cells[0])
            rows = doc.tables.get(cell.table, [])
            index = next((i for i, row in enumerate(rows) if row.row_id == cell.row), None)
            table = pack.table(cell.table)
            row_label = next((r.label for r in table.rows if r.id == cell.row), cell.row)
            column = "/".join(table.column(cell.column).path)
            label = f"（{doc.text(row_label)}的{doc.text(column)}为 0）"
            if index is not None:
                ref = Ref("cell", cell.table, index, cell.column)
        find(
            "error",
            "RATE_UNCOMPUTABLE",
            f"{result.name}无法计算：分母为 0{label}，该项得分无法核对",
            ref,
            "填写分母数据（如年度资金总额应为各资金来源之和）",
        )


def _denominators(tree: ast.expr) -> list[str]:
    """Input ids under the right-hand side of a division, outermost first."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for name in ast.walk(node.right):
                if isinstance(name, ast.Name) and name.id not in names:
                    names.append(name.id)
    return names


def _cell_value(doc: Document, cell: model.CellRef) -> object:
    """The value of a pack cell in `doc` (None when its row or column is absent)."""
    row = next((r for r in doc.tables.get(cell.table, []) if r.row_id == cell.row), None)
    return None if row is None else row.values.get(cell.column)
