"""Scratch space tied to one rule pack object, for work that depends only on the pack (and year and level).

Rule packs are loaded once and shared by every document of their framework, so what can be derived from a pack alone
(rendered labels, lookup tables, the reading plan of a workbook) is derived once per pack instead of once per
document or per cell. `RulePack` is unhashable (it holds dicts), so entries are keyed by identity; a weak reference
drops an entry when its pack is collected, which also keeps a recycled `id()` from finding a stale entry.
Whatever is stored must be treated as read-only by its users: it is shared between documents.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from xl_perf.rules import model

T = TypeVar("T")

_MEMOS: dict[int, tuple[weakref.ref[Any], dict[Hashable, Any]]] = {}


def pack_memo(pack: object) -> dict[Hashable, Any]:
    """The scratch dictionary of `pack` (created empty on first use)."""
    key = id(pack)
    entry = _MEMOS.get(key)
    if entry is not None and entry[0]() is pack:
        return entry[1]
    memo: dict[Hashable, Any] = {}

    def forget(_: weakref.ref[Any], key: int = key) -> None:
        # Only drop the entry if it is still this pack's (a new pack may already have taken over the id).
        current = _MEMOS.get(key)
        if current is not None and current[0]() is None:
            del _MEMOS[key]

    _MEMOS[key] = (weakref.ref(pack, forget), memo)
    return memo


def memoized(pack: object, key: Hashable, build: Callable[[], T]) -> T:
    """`build()`, computed once per pack and key."""
    memo = pack_memo(pack)
    try:
        return memo[key]  # type: ignore[no-any-return]
    except KeyError:
        value = memo[key] = build()
        return value


def fields_of(pack: model.RulePack) -> dict[str, model.FieldSpec]:
    """`pack.fields` (field id -> spec), which the pack rebuilds on every access, built once. Read-only."""
    return memoized(pack, "fields", lambda: pack.fields)


def memoized_part(pack: object, key: Hashable, part: object, build: Callable[[], T]) -> T:
    """`build()` for one part of `pack` (a table, a rule...), named by `key`: computed once while `part` is the object
    cached under that key. A part of another pack under the same name is computed afresh, not mixed up."""
    memo = pack_memo(pack)
    entry = memo.get(key)
    if entry is not None and entry[0] is part:
        return entry[1]  # type: ignore[no-any-return]
    value = build()
    if entry is None:
        memo[key] = (part, value)
    return value
