"""Refuse hostile or unusable workbook files before any spreadsheet library sees them.

Two layers:

- `inspect(path)` looks at the file without trusting it: real type by magic bytes (never the extension), OLE
  containers (encrypted OOXML, legacy .xls, WPS .et), zip structure, declared and actual uncompressed sizes, XML
  entity declarations, and the extent of every sheet. Each part is read as a stream, never the whole file at once.
- `read_in_child(path, fn)` runs `inspect` and then `fn(path)` in a separate process with an address-space cap and
  a timeout, so a reader that aborts (python-calamine does on some inputs) cannot take the caller down.

Every refusal is a `BadInputError` with a Chinese message and the file (and sheet, where relevant) as location.

Modules: `base` (limits, messages), `sniff` (what a file really is), `zipdir` (the zip directory, budgets and
inflating), `parts` (the scanners of XML parts over one base) and `sheet` (the sheet scanner), `extent` (the one
extent algorithm), `package` (`inspect`), `child` (the sandboxed child), `document` (the same checks for reports:
`inspect_docx`, `inspect_pdf`).
"""

from __future__ import annotations

from xl_perf.io.guard.base import (
    MIB,
    MSG_CHILD_CRASH,
    MSG_CORRUPT,
    MSG_ENTITY,
    MSG_TIMEOUT,
    Limits,
)
from xl_perf.io.guard.child import apply_child_limits, quiet_child_output, read_in_child, run_in_child
from xl_perf.io.guard.package import PackageFacts, inspect

__all__ = [
    "MIB",
    "MSG_CHILD_CRASH",
    "MSG_CORRUPT",
    "MSG_ENTITY",
    "MSG_TIMEOUT",
    "Limits",
    "PackageFacts",
    "apply_child_limits",
    "inspect",
    "quiet_child_output",
    "read_in_child",
    "run_in_child",
]
