"""Dates and web addresses of the disclosures (信息公开) and of the report itself.

- TEXT_DATE_ORDER   a date before what it depends on exists: a 决算 published on or before the end of the evaluation
                    year; the self-evaluation published before the report's own date (填报日期);
- TEXT_DATE_PERIOD  a 公开时间 / 填报日期 outside the evaluation year Y and the year after (budgets and targets are
                    published in Y, 决算 and the self-evaluation in Y+1);
- TEXT_URL_REUSED   one web address given for documents dated in different years (the 2022 绩效目标 and the 2023
                    自评 cannot be one page).

Only labelled dates are judged ("公开时间 2023年4月27日", "填报日期：2023 年 4 月 27 日"); the date of an address is
the last date before it in the same line or table row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from xl_perf.findings import Finding
from xl_perf.validate.report.text import ReportText

_DATE = r"(?P<y>[0-9]{4})\s*(?:年|-|/|\.)\s*(?P<m>[0-9]{1,2})\s*(?:月|-|/|\.)\s*(?:(?P<d>[0-9]{1,2})\s*日?)?"
_LABELLED = re.compile(r"(?P<label>(?:[\u4e00-\u9fff]{0,4})(?:公开时间|填报日期|报送时间))\s*[:\t ]*\s*" + _DATE)
_ANY_DATE = re.compile(_DATE)
_URL = re.compile(r"https?://[^\s，。；）)\"'<>\u4e00-\u9fff]+")


def _date(match: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"] or 1))
    except ValueError:
        return None


def _shown(day: dt.date, with_day: bool = True) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if with_day else f"{day.year}年{day.month}月"


def dates(doc: ReportText, year: int) -> Iterator[Finding]:
    labelled: list[tuple[int, str, str, dt.date]] = []  # (position, label, the line's words before it, date)
    for match in _LABELLED.finditer(doc.folded):
        day = _date(match)
        if day is None:
            continue
        line_start, _ = doc.line_span(match.start())
        context = doc.folded[line_start : match.start("label")] + match["label"]
        labelled.append((match.start("y"), match["label"], context, day))
    report_days = [day for _, label, _, day in labelled if "填报" in label]
    report_day = max(report_days) if report_days else None
    for position, label, context, day in labelled:
        excerpt = doc.excerpt(position, position + 4)
        if day.year not in (year, year + 1):
            message = f"“{excerpt}”：{label}为 {_shown(day)}，不在评价年度 {year} 年及次年之内"
            yield doc.finding("TEXT_DATE_PERIOD", position, message, "核对年份")
        elif "决算" in label and day <= dt.date(year, 12, 31):
            message = f"“{excerpt}”：{year} 年度的决算在 {year} 年末以后才编成，公开时间却是 {_shown(day)}"
            yield doc.finding("TEXT_DATE_ORDER", position, message, "核对决算公开时间")
        elif "自评" in context and "公开" in label and report_day is not None and day < report_day:
            message = f"“{excerpt}”：自评材料的公开时间 {_shown(day)} 早于报告的填报日期 {_shown(report_day)}"
            yield doc.finding("TEXT_DATE_ORDER", position, message, "核对公开时间与填报日期")


def urls(doc: ReportText) -> Iterator[Finding]:
    seen: dict[str, list[tuple[int, dt.date]]] = {}
    for match in _URL.finditer(doc.raw):
        url = match.group(0).rstrip(".,;:")
        line_start, _ = doc.line_span(match.start())
        before = [d for d in (_date(m) for m in _ANY_DATE.finditer(doc.folded, line_start, match.start())) if d]
        if not before:
            continue
        day = before[-1]
        earlier = [(p, d) for p, d in seen.get(url, []) if d.year != day.year]
        if earlier:
            position, other = earlier[0]
            message = (
                f"网址“{url}”在{doc.key(position)}是 {_shown(other)} 公开的材料的网址，"
                f"在此处又是 {_shown(day)} 公开的材料的网址：不同年度的文件不会是同一网页"
            )
            yield doc.finding("TEXT_URL_REUSED", match.start(), message, "逐一打开网址核对，填写各自的公开网址")
        seen.setdefault(url, []).append((match.start(), day))
