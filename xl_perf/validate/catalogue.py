"""The finding-code catalogue (xl_perf/rules/checks.toml): default severity, title and fix of every code."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class CheckSpec:
    code: str
    severity: str
    title: str
    fix: str


@cache
def catalogue() -> dict[str, CheckSpec]:
    data = tomllib.loads((resources.files("xl_perf.rules") / "checks.toml").read_text(encoding="utf-8"))
    return {code: CheckSpec(code, spec["severity"], spec["title"], spec.get("fix", "")) for code, spec in data.items()}


def spec(code: str) -> CheckSpec:
    return catalogue()[code]


def title_of(code: str) -> str:
    """A finding's kind as people read it: the catalogue's Chinese title (the code itself is for JSON only)."""
    found = catalogue().get(code)
    return found.title if found is not None else code
