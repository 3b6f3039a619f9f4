"""Amounts and their shares and rates stated in the prose, checked against each other.

- TEXT_SHARE        a stated share that the stated amounts do not give ("60000 元，占总支出的 0.11%" of 60730945.24 元);
- TEXT_SHARE_SUM    the shares of one breakdown not adding up to 100%;
- TEXT_RATE         "预算执行率 84.78%" where the same sentence states the budget and executed amounts.

- A share is checked against the total announced with "其中" before it in the same paragraph. The shares of a
  breakdown of two or more items must add up to 100% within one unit of their last decimal per item (±0.01% × count
  for shares given to two decimals); a breakdown that lists only some items is reported too (a warning), with the gap
  between the item amounts and the total.
- A rate is checked only when its sentence states one executed amount and budget amounts that can be added (no
  "其中", no adjusted/total budget beside other budget amounts, no amount of unknown kind).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from xl_perf.findings import Finding
from xl_perf.validate.report.text import ReportText, short

# --- TEXT_SHARE, TEXT_SHARE_SUM -----------------------------------------------------------------------------------

NUMBER = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,20}(?:\.[0-9]{1,10})?"
AMOUNT = rf"(?<![0-9.])(?<![0-9],)(?P<amount>{NUMBER})\s*(?P<unit>万元|元)"
_SHARE = re.compile(
    AMOUNT + r"\s*[,、]?\s*占(?P<kind>总收入|总支出|收入总额|支出总额|全部收入|全部支出|总额|比)?"
    r"(?:的)?(?:比例|比重)?(?:为|是)?\s*(?P<pct>[0-9]{1,3}(?:\.[0-9]{1,6})?)\s*%"
)
_TOTAL = re.compile(r"(?P<kind>收入|支出)[^0-9,;。:%]{0,6}?" + AMOUNT + r"\s*[,;。]?\s*其中")
_LABEL_STOP = re.compile(r"[,;:。、]|其中")
_UNITS = {"元": Decimal(1), "万元": Decimal(10000)}


def amount_of(text: str, unit: str) -> Decimal:
    return Decimal(text.replace(",", "")) * _UNITS[unit]


def step_of(text: str, unit: str) -> Decimal:
    """The rounding unit of a stated amount, in 元."""
    return Decimal(1).scaleb(-decimals(text)) * _UNITS[unit]


def decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def round_half_up(value: Decimal, decimals: int) -> Decimal | None:
    try:
        with localcontext() as context:
            context.prec = 60
            return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def show(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class _Share:
    start: int  # of the item's label
    end: int
    amount: Decimal
    step: Decimal
    pct: Decimal
    pct_text: str
    pct_start: int
    quote: str


@dataclass
class _Total:
    start: int
    kind: str
    amount: Decimal
    step: Decimal
    quote: str
    shares: list[_Share]


def _label_start(folded: str, floor: int, amount_start: int) -> int:
    start = floor
    for stop in _LABEL_STOP.finditer(folded, floor, amount_start):
        start = stop.end()
    while start < amount_start and folded[start].isspace():
        start += 1
    return start


def _breakdowns(doc: ReportText) -> Iterator[_Total]:
    for start, end in doc.paragraphs():
        folded = doc.folded
        totals: list[_Total] = []
        for match in _TOTAL.finditer(folded, start, end):
            amount = amount_of(match["amount"], match["unit"])
            quote = doc.raw[_label_start(folded, start, match.start()) : match.end("unit")]
            step = step_of(match["amount"], match["unit"])
            totals.append(_Total(match.start(), match["kind"], amount, step, quote, []))
        if not totals:
            continue
        for match in _SHARE.finditer(folded, start, end):
            kind = match["kind"] or ""
            wanted = "收入" if "收入" in kind else "支出" if "支出" in kind else ""
            candidates = [t for t in totals if t.start < match.start() and (not wanted or t.kind == wanted)]
            if not candidates:
                continue
            label = _label_start(folded, start, match.start())
            candidates[-1].shares.append(
                _Share(
                    label,
                    match.end(),
                    amount_of(match["amount"], match["unit"]),
                    step_of(match["amount"], match["unit"]),
                    Decimal(match["pct"]),
                    match["pct"],
                    match.start("pct"),
                    doc.raw[label : match.end()],
                )
            )
        yield from (t for t in totals if t.shares)


def shares(doc: ReportText) -> Iterator[Finding]:
    for total in _breakdowns(doc):
        if total.amount == 0:
            continue
        for share in total.shares:
            with localcontext() as context:
                context.prec = 60
                exact = share.amount / total.amount * 100
            expected = round_half_up(exact, decimals(share.pct_text))
            if expected is None or expected == share.pct:
                continue
            shown = round_half_up(exact, 4)
            message = (
                f"“{share.quote}”：占比按金额计算为 {show(share.amount)} ÷ {show(total.amount)} = "
                f"{show(shown) if shown is not None else exact}%，四舍五入应为 {expected}%，文中为 {share.pct_text}%"
                f"（总额见“{short(total.quote)}”）"
            )
            yield doc.finding("TEXT_SHARE", share.pct_start, message, f"将 {share.pct_text}% 改为 {expected}%")
        if len(total.shares) < 2:
            continue
        stated = sum((s.pct for s in total.shares), Decimal(0))
        tolerance = sum((Decimal(1).scaleb(-decimals(s.pct_text)) for s in total.shares), Decimal(0))
        if abs(stated - 100) <= tolerance:
            continue
        items = sum((s.amount for s in total.shares), Decimal(0))
        complete = abs(items - total.amount) <= total.step + sum((s.step for s in total.shares), Decimal(0))
        listed = " + ".join(f"{s.pct_text}%" for s in total.shares)
        message = (
            f"“{short(total.quote)}”之下各项占比之和为 {listed} = {show(stated)}%，"
            f"与 100% 相差超过 {show(tolerance)}%（{len(total.shares)} 项的四舍五入误差）"
        )
        if not complete:
            message += f"；分项金额合计 {show(items)} 元，与总额 {show(total.amount)} 元不符，可能漏列了分项"
        yield doc.finding("TEXT_SHARE_SUM", total.start, message, "核对各项金额与占比，补全分项或改正占比")


# --- TEXT_RATE ----------------------------------------------------------------------------------------------------

_RATE = re.compile(r"(?:预算)?执行率(?:为|是|达到|达)?\s*(?P<pct>[0-9]{1,3}(?:\.[0-9]{1,6})?)\s*%")
_CLAUSE_AMOUNT = re.compile(AMOUNT)
_CLAUSE_SPLIT = re.compile(r"(?<![0-9]),|,(?![0-9]{3}(?![0-9]))|[;:]")  # not the comma of "1,234.5"
_EXECUTED = re.compile(r"执行|实际支出|支出数|决算")
_BUDGET = re.compile(r"预算")
_BUDGET_WHOLE = re.compile(r"调整|调剂|追加|全年预算|合计|总计|共计|总额")


def sentences(folded: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    position = start
    for stop in re.finditer(r"[。!?！？]", folded[start:end]):
        yield position, start + stop.end()
        position = start + stop.end()
    if position < end:
        yield position, end


def rates(doc: ReportText) -> Iterator[Finding]:
    for paragraph_start, paragraph_end in doc.paragraphs():
        for start, end in sentences(doc.folded, paragraph_start, paragraph_end):
            scope = start
            for rate in _RATE.finditer(doc.folded, start, end):
                finding = _rate_finding(doc, scope, rate)
                scope = rate.end()
                if finding is not None:
                    yield finding


def _rate_finding(doc: ReportText, scope: int, rate: re.Match[str]) -> Finding | None:
    text = doc.folded[scope : rate.start()]
    if "其中" in text:
        return None
    executed: list[tuple[Decimal, str]] = []
    budgets: list[tuple[Decimal, str, str]] = []
    for clause in _CLAUSE_SPLIT.split(text):
        amounts = list(_CLAUSE_AMOUNT.finditer(clause))
        if not amounts:
            continue
        if len(amounts) > 1:
            return None
        amount = amount_of(amounts[0]["amount"], amounts[0]["unit"])
        shown = amounts[0].group(0)
        if _EXECUTED.search(clause):
            executed.append((amount, shown))
        elif _BUDGET.search(clause):
            budgets.append((amount, shown, clause))
        else:
            return None
    if len(executed) != 1 or not budgets:
        return None
    if len(budgets) > 1 and any(_BUDGET_WHOLE.search(clause) for _, _, clause in budgets):
        return None
    budget = sum((b for b, _, _ in budgets), Decimal(0))
    if budget == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        exact = executed[0][0] / budget * 100
    expected = round_half_up(exact, decimals(rate["pct"]))
    if expected is None or expected == Decimal(rate["pct"]):
        return None
    parts = " + ".join(shown for _, shown, _ in budgets)
    quote = doc.raw[rate.start() : rate.end()]
    rounded = round_half_up(exact, 4)
    message = (
        f"“{quote}”与同句金额不符：{executed[0][1]} ÷ ({parts}) = {show(exact if rounded is None else rounded)}%，"
        f"四舍五入应为 {expected}%"
    )
    return doc.finding("TEXT_RATE", rate.start("pct"), message, f"将 {rate['pct']}% 改为 {expected}%，或核对金额")
