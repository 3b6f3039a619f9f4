"""Validation of the hidden _xlperf sheet, field by field, before anything is derived from it.

The sheet is written by the tool, but it travels inside the user's file: a workbook edited by hand, by a script or
by a hostile sender can carry anything there. Every field is checked for type, size and form, and a bad one is
refused with a Chinese message naming the sheet and the cell, never passed on to int() or json.loads unchecked.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from xl_perf.errors import BadInputError, Location
from xl_perf.template.layout import META_SHEET

MAX_META_ROWS = 1_000
MAX_TEXT_CHARS = 500  # framework, level, unit and the like
MAX_JSON_CHARS = 64 * 1024
MAX_JSON_DEPTH = 8
_YEAR = re.compile(r"^\s*(\d{4})(?:\.0+)?\s*$")  # "2022", or "2022.0" as a program that made the cell numeric shows it
_JSON_KEYS = {"params": dict, "options": dict, "not_applicable": list}


def _bad(source: str, row: int, message: str) -> BadInputError:
    return BadInputError(
        f"隐藏的 {META_SHEET} 表（本工具的格式信息）{message}；"
        "工作簿可能被改动过，请用 xl-perf new 重新生成模板后把数据填回",
        Location(file=source, sheet=META_SHEET, cell=f"B{row + 1}" if row >= 0 else None),
    )


def _shown(text: str) -> str:
    short = text[:30] + ("…" if len(text) > 30 else "")
    return repr(short)


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping once past `limit`."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\r\n" for ch in text)


def check_meta(meta: dict[str, str], rows: dict[str, int], source: str) -> dict[str, str]:
    """`meta` (key -> text, as read from the sheet; `rows`: the 0-based row of each key) with every field checked;
    the year in its canonical form. Raises BadInputError for the first unusable field."""
    checked = dict(meta)
    for key, value in meta.items():
        row = rows.get(key, 0)
        limit = MAX_JSON_CHARS if key in _JSON_KEYS else MAX_TEXT_CHARS
        if len(value) > limit:
            raise _bad(source, row, f"中的“{key}”过长（{len(value)} 个字符）")
        if _has_control(value):
            raise _bad(source, row, f"中的“{key}”含有不可见的控制字符（如 NUL）")
    year = meta.get("year")
    if year is not None:
        match = _YEAR.match(year)
        if match is None or not 2000 <= int(match.group(1)) <= 2100:
            raise _bad(source, rows.get("year", 0), f"中的年度 {_shown(year)} 不是 2000–2100 之间的年份")
        checked["year"] = match.group(1)
    for key, kind in _JSON_KEYS.items():
        text = meta.get(key)
        if not text:
            continue
        row = rows.get(key, 0)
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            raise _bad(source, row, f"中的“{key}”不是有效的 JSON") from None
        if not isinstance(parsed, kind):
            raise _bad(source, row, f"中的“{key}”应为 JSON {'对象' if kind is dict else '列表'}")
        if _depth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise _bad(source, row, f"中的“{key}”嵌套过深")
        if key == "not_applicable" and not all(isinstance(v, str) for v in parsed):
            raise _bad(source, row, "中的“not_applicable”应为指标编号的列表")
    return checked


def unknown_not_applicable(entries: list[str], known: dict[str, str], source: str, row: int) -> BadInputError | None:
    """The refusal for not_applicable entries that name no indicator of the framework, or None."""
    unknown = [e for e in entries if e not in known]
    if not unknown:
        return None
    return _bad(source, row, f"中的“not_applicable”列出了规则包中没有的指标 {_shown(unknown[0])}")


def check_region_width(name: str, first_col: int, last_col: int, needed: int, source: str, sheet: str) -> None:
    """Refuse a defined name narrower than the columns the template gave it (someone redefined it)."""
    if last_col - first_col + 1 < needed:
        raise BadInputError(
            f"定义名称 {name} 只覆盖 {last_col - first_col + 1} 列，模板中应为 {needed} 列：名称可能被改动过；"
            "请用 xl-perf new 重新生成模板后把数据填回",
            Location(file=source, sheet=sheet),
        )
