"""Year- and level-dependent wording of rule texts.

Rule packs write "提前于{year_prev}年11月底前" and "{gov}" instead of "2021" and "市委市政府"; this module fills them
in for an evaluation year and level, and refuses placeholders it does not know.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from xl_perf.errors import RulePackError, quoted

YEAR_KEYS = ("year", "year_prev", "year_next")
_FORMATTER = string.Formatter()


def placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in _FORMATTER.parse(template) if name is not None}
    except ValueError as exc:
        raise RulePackError(f"文字模板格式错误：{quoted(template)}（{exc}）") from None


def context(year: int, level_words: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    values = {"year": str(year), "year_prev": str(year - 1), "year_next": str(year + 1), **level_words}
    if extra:
        values.update(extra)
    return values


def render(template: str, values: Mapping[str, str]) -> str:
    unknown = placeholders(template) - set(values)
    if unknown:
        raise RulePackError(f"文字模板含未知占位符 {'、'.join(sorted(unknown))}：{quoted(template)}")
    return template.format_map(values)
