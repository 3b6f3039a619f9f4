"""One batch run: find the files, check them in the worker pool (the lost ones again, each alone), set aside the
resubmitted copies, check the files of each unit together and sum up the units."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from xl_perf.batch import units
from xl_perf.batch.discovery import discover
from xl_perf.batch.pool import MSG_FILE_TIMEOUT, FileLimits, Progress, plan_workers, run_pool
from xl_perf.batch.records import BatchResult, Item


def run(
    root: Path,
    *,
    workers: int = 2,
    exclude: Iterable[Path] = (),
    progress: Progress = lambda n: None,
    file_seconds: float | None = None,
) -> BatchResult:
    """Check every workbook under `root`; never stops at a bad file. Each file has `file_seconds` (default: the
    reader's timeout) and a share of the memory budget; one over either is reported, and the batch goes on."""
    root = Path(root)
    paths = discover(root, exclude)
    jobs = [(p, p.relative_to(root).as_posix()) for p in paths]
    _warm_up()
    workers, limits = plan_workers(workers)
    if file_seconds is not None:
        limits = FileLimits(file_seconds, limits.memory_bytes)
    items, lost, _ = run_pool(jobs, workers, False, progress, limits)
    if lost:
        retried, still_lost, hung = run_pool(lost, workers, True, progress, limits)
        items += retried
        for path, shown in still_lost:
            from xl_perf.io.guard import MSG_CHILD_CRASH

            timed_out = MSG_FILE_TIMEOUT.format(seconds=limits.seconds)
            items.append(Item(path, shown, problem=timed_out if (path, shown) in hung else MSG_CHILD_CRASH))
            progress(1)
    items.sort(key=lambda i: i.shown)
    items, duplicates = units.split_resubmitted(items)
    units.check_units(items)
    return BatchResult(root, items, units.summarise_units(items), duplicates)


def _warm_up() -> None:
    """Import the checking code before the pool starts: forked workers inherit it instead of each importing it.
    Rule packs are loaded where they are needed (a worker loads those of the files it reads, in parallel with the
    others; this process those of the results it receives): a folder rarely holds every kind of workbook."""
    from xl_perf.io import guard, workbook  # noqa: F401
    from xl_perf.template import read  # noqa: F401
    from xl_perf.validate import run  # noqa: F401
