"""Top-level data-document keys of a filing others made (issue 17): `weight_system` and `stated_rates`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xl_perf.errors import quoted
from xl_perf.model.values import Problems, suggest
from xl_perf.numbers import to_decimal
from xl_perf.rules import model


def weight_system(pack: model.RulePack, data: dict[str, Any], problems: Problems) -> str | None:
    """A pack weight system's id, or "auto" (the rows decide); None when the document names none."""
    system = data.get("weight_system")
    if system is None:
        return None
    known = ["auto", *(w.id for w in pack.weight_systems)] if pack.weight_systems else []
    if system in known:
        return str(system)
    allowed = "、".join(known) if known else "（本框架无权重体系，不可填写）"
    problems.add("weight_system", f"应为 {allowed} 之一，实为 {quoted(system)}")
    return None


def stated_rates(
    pack: model.RulePack, data: dict[str, Any], problems: Problems
) -> dict[str, tuple[str, Decimal | None]]:
    """Rate id -> (the text as printed, its value; None when blank)."""
    rates = data.get("stated_rates", {})
    if not isinstance(rates, dict):
        problems.add("stated_rates", "应为对象：比率名 → 填报值（如 “86%”）")
        return {}
    by_name = {r.name: r.id for r in pack.rates.values()} | {r.id: r.id for r in pack.rates.values()}
    out: dict[str, tuple[str, Decimal | None]] = {}
    for name, value in rates.items():
        rate_id = by_name.get(name)
        if rate_id is None:
            problems.add(f"stated_rates.{name}", "不是本框架的比率" + suggest(name, list(by_name)))
            continue
        text = "" if value is None else str(value).strip()
        if not text:
            out[rate_id] = ("", None)
            continue
        try:
            number = to_decimal(text[:-1]) / 100 if text.endswith("%") else to_decimal(text)
        except ValueError:
            problems.add(f"stated_rates.{name}", f"应为百分数（如 86% 或 0.86），实为 {quoted(value)}")
            continue
        out[rate_id] = (text, number)
    return out
