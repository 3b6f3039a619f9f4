"""The one place that writes files. Never lose the user's data, never write where the user did not mean.

Every output goes to a new temp file in the target's folder (same file system, so the final rename is atomic),
is flushed to disk, verified, and only then moved onto the target with os.replace. Any failure before that point
(the writer raising, verification rejecting, Ctrl+C, a failed rename) removes the temp file and leaves an existing
target byte-identical. Writers such as openpyxl and XlsxWriter truncate their target first, so they must only ever
be pointed at the temp path this package yields.

Before anything is written the module refuses (WriteRefused, Chinese message) when the target is open in
Excel/WPS/LibreOffice (their owner/lock files sit next to the workbook), when it is an input file of the current
command (`protect`), when it is a symbolic link (dangling or not: a link is never followed), when it exists and was
not made by xl-perf (unless `foreign=True`, the user's `--overwrite`), when it exists and overwriting was not
allowed, when it is a folder or other non-regular file, or when its folder does not exist.

Ownership: every file this package writes is recorded, with its SHA-256, in a small manifest in its folder
(`.xl-perf-owned.json`). An existing file counts as the tool's own only if the manifest lists it with the same
content: a file someone else made, or one of ours the user has since edited, is theirs.

Sets: `OutputSet` stages several files (all written and verified first) and then moves them into place together,
recording the moves in a journal first; a run killed during the moves is completed by the next run in that folder,
one killed before them leaves the previous set whole. Temp files carry the writing process's id, so the next run
removes those of a process that no longer exists.

One module per concern, beneath one write path (`outputs`): `checks` (refusals before writing and before the move,
worded in `refusals`), `locks` (owner/lock files of spreadsheet programs), `manifest` (ownership), `temps` (temp
files, syncing, the rename), `journal` (completing or sweeping a killed run's leftovers) and `names` (safe file
names). Callers use only the names exported here.
"""

from xl_perf.io.safe_write.journal import sweep
from xl_perf.io.safe_write.locks import is_open_elsewhere, lock_files, owner_file
from xl_perf.io.safe_write.manifest import MANIFEST_NAME, claim, is_own
from xl_perf.io.safe_write.names import safe_stem
from xl_perf.io.safe_write.outputs import OutputSet, atomic_output, output_set, write_bytes, write_text
from xl_perf.io.safe_write.refusals import WriteRefused
from xl_perf.io.safe_write.temps import TEMP_PREFIX, scratch_folder

__all__ = [
    "MANIFEST_NAME",
    "TEMP_PREFIX",
    "OutputSet",
    "WriteRefused",
    "atomic_output",
    "claim",
    "is_open_elsewhere",
    "is_own",
    "lock_files",
    "output_set",
    "owner_file",
    "safe_stem",
    "scratch_folder",
    "sweep",
    "write_bytes",
    "write_text",
]
