"""CSV for machines and for Excel users: UTF-8 with BOM (Excel reads Chinese correctly), formula injection
neutralised (OWASP / CWE-1236)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def neutralise(value: object) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; plain numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    text = str(value)
    if text.startswith(DANGEROUS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def render(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return "\ufeff" + out.getvalue()
