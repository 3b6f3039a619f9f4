"""`xl-perf batch`: check and score every workbook under a folder in parallel, then summarise them.

One module per concern: `discovery` finds the files, `check` reads and checks one, `pool` runs the workers (limits,
per-file alarm, watchdog), `units` relates the files (resubmitted copies, checks between the files of one unit,
coverage), `runner` composes one run, `summary` builds the summary workbook's tables and `output` writes it (and the
JSON report). The records (`Item`, `UnitSummary`, `BatchResult`) live in `records`.

Results travel back from the workers as small records. The documents come too (their rule pack by id), for the
checks between the files of one unit, with a trimmed snapshot of the cells those checks point at.
"""

from xl_perf.batch.check import check_file
from xl_perf.batch.discovery import OTHER_SPREADSHEETS, WORKBOOK_SUFFIXES, discover
from xl_perf.batch.output import as_json, check_output, write_summary
from xl_perf.batch.pool import (
    MIN_WORKER_BYTES,
    MSG_FILE_MEMORY,
    MSG_FILE_TIMEOUT,
    FileLimits,
    Progress,
    memory_budget,
    plan_workers,
)
from xl_perf.batch.records import KIND_NAMES, BatchResult, Item, UnitSummary
from xl_perf.batch.runner import run
from xl_perf.batch.summary import files_line, percent_text, summary_tables
from xl_perf.batch.units import split_resubmitted, submission_key, summarise_units

__all__ = [
    "KIND_NAMES",
    "MIN_WORKER_BYTES",
    "MSG_FILE_MEMORY",
    "MSG_FILE_TIMEOUT",
    "OTHER_SPREADSHEETS",
    "WORKBOOK_SUFFIXES",
    "BatchResult",
    "FileLimits",
    "Item",
    "Progress",
    "UnitSummary",
    "as_json",
    "check_file",
    "check_output",
    "discover",
    "files_line",
    "memory_budget",
    "percent_text",
    "plan_workers",
    "run",
    "split_resubmitted",
    "submission_key",
    "summarise_units",
    "summary_tables",
    "write_summary",
]
