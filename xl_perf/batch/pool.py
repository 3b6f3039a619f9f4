"""The worker processes of a batch: their number and limits, the per-file alarm, and the pool with its watchdog.

Files are read in worker processes. A worker reads each file the way `open_untrusted` does (the guard's inspection
first) but in its own process, which is memory-capped and disposable: starting a child per file would cost more
than reading the file. If a file kills its worker (a reader abort), the pool breaks; the files whose results were
not yet in are handed back as lost, to be read again each in a child process of its own.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xl_perf.batch.check import check_file, land, ship
from xl_perf.batch.records import Item

Progress = Callable[[int], None]
Job = tuple[Path, str]  # a file and its path as shown (relative to the batch folder)


class _FileTimedOut(BaseException):
    """Raised in a worker by the per-file alarm. A BaseException, so no `except Exception` of the checking code
    swallows it."""


MSG_FILE_TIMEOUT = "校验超时（超过 {seconds:g} 秒），已跳过；文件可能过大或被恶意构造"
MSG_FILE_MEMORY = "读取时内存不足，文件可能过大或被恶意构造"


@dataclass(frozen=True)
class FileLimits:
    """What one file may cost a batch: seconds of checking, and bytes of address space of the worker reading it."""

    seconds: float
    memory_bytes: int


MIN_WORKER_BYTES = 384 * 1024 * 1024


def memory_budget() -> int:
    """Bytes all workers together may use: 60% of the physical memory, at most 8 GiB (the machine is also used
    for other things while a county's batch runs)."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        total = 4 * 1024**3
    return max(MIN_WORKER_BYTES, min(int(total * 0.6), 8 * 1024**3))


def plan_workers(workers: int, budget: int | None = None) -> tuple[int, FileLimits]:
    """The number of workers and each one's limits such that workers x memory limit <= budget: fewer workers
    rather than workers too small to read an ordinary workbook."""
    from xl_perf.io.guard import Limits

    limits = Limits()
    budget = memory_budget() if budget is None else budget
    workers = max(1, min(workers, budget // MIN_WORKER_BYTES))
    share = min(limits.memory_bytes, budget // workers)
    return workers, FileLimits(limits.timeout_s, share)


def _check_chunk(paths: list[Job], isolated: bool, seconds: float = 0.0) -> list[Item]:
    return [ship(_check_with_alarm(path, shown, isolated, seconds)) for path, shown in paths]


def _check_with_alarm(path: Path, shown: str, isolated: bool, seconds: float) -> Item:
    """`check_file` under a per-file time limit (POSIX: an interval timer in this worker; the pool's watchdog
    catches a worker stuck where the alarm cannot reach)."""
    import signal

    if seconds <= 0 or not hasattr(signal, "setitimer"):
        return check_file(path, shown, isolated=isolated)

    def expire(signum: int, frame: object) -> None:
        raise _FileTimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return check_file(path, shown, isolated=isolated)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _FileTimedOut:
        return Item(path, shown, problem=MSG_FILE_TIMEOUT.format(seconds=seconds))
    except MemoryError:
        return Item(path, shown, problem=MSG_FILE_MEMORY)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _init_worker(memory_bytes: int) -> None:
    from xl_perf.io import guard

    guard.quiet_child_output()
    guard.apply_child_limits(memory_bytes)


def _context() -> Any:
    # Linux: fork. Workers start in milliseconds with xl-perf already imported, and there is no main module to
    # re-import. The executor forks all its workers before it starts its own thread, and the caller runs no thread
    # of its own (the progress bar is refreshed by hand), so no lock can be held across the fork.
    # Elsewhere fork is unsafe (macOS) or missing (Windows): spawn.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def task_chunks(items: list[Job], workers: int) -> list[list[Job]]:
    # Several files per task keep the inter-process traffic low; enough tasks keep every worker busy to the end.
    size = max(1, min(16, len(items) // (workers * 8)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_pool(
    jobs: list[Job],
    workers: int,
    isolated: bool,
    progress: Progress,
    limits: FileLimits | None = None,
) -> tuple[list[Item], list[Job], set[Job]]:
    """Items of the files done; the files whose results were lost when a worker died or hung; of those, the ones
    still running when the watchdog stopped the workers."""
    if limits is None:
        workers, limits = plan_workers(workers)
    done: list[Item] = []
    lost: list[Job] = []
    hung: set[Job] = set()
    if not jobs:
        return done, lost, hung
    chunks = task_chunks(jobs, workers)
    # A watchdog for workers stuck where their alarm cannot reach (inside a C library): when no task has finished
    # for this long, every worker is stopped and the unfinished files are read again, each on its own.
    patience = limits.seconds * max(len(c) for c in chunks) * 1.5 + 5
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_context(), initializer=_init_worker, initargs=(limits.memory_bytes,)
    ) as pool:
        pending: dict[Future[list[Item]], list[Job]] = {
            pool.submit(_check_chunk, chunk, isolated, limits.seconds): chunk for chunk in chunks
        }
        while pending:
            finished, _ = wait(pending, timeout=patience, return_when=FIRST_COMPLETED)
            if not finished:
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.kill()
                for chunk in pending.values():
                    lost += chunk
                    hung.update(chunk)
                pending = {}
                break
            for future in finished:
                chunk = pending.pop(future)
                try:
                    items = future.result()
                except BrokenProcessPool:
                    lost += chunk
                    continue
                done += [land(i) for i in items]
                progress(len(chunk))
    return done, lost, hung
