"""Batch limits: each file has a time limit and a share of the memory budget; a file over either is reported and
the batch goes on (the workers are forked, so a patch made here reaches them: Linux only)."""

from __future__ import annotations

import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from tests import batch_corpus
from xl_perf import batch
from xl_perf.io import guard

UNIT = "遂溪县港门镇人民政府"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers inherit patches when forked")


def test_workers_times_memory_stay_within_the_budget() -> None:
    gib = 1024**3
    for workers, budget in [(8, gib), (2, 16 * gib), (4, 3 * gib), (1, batch.MIN_WORKER_BYTES), (64, 8 * gib)]:
        count, limits = batch.plan_workers(workers, budget)
        assert 1 <= count <= workers
        assert count * limits.memory_bytes <= budget
        assert limits.memory_bytes >= batch.MIN_WORKER_BYTES or count == 1
        assert limits.memory_bytes <= guard.Limits().memory_bytes
    assert batch.plan_workers(8, gib)[0] == 2  # fewer workers rather than workers too small to read a workbook
    assert batch.memory_budget() >= batch.MIN_WORKER_BYTES


def _hang_on(monkeypatch: pytest.MonkeyPatch, name: str, *, block_alarm: bool) -> None:
    from xl_perf.template import read

    original = read.read_document

    def hanging(book, *, lenient: bool = False):  # type: ignore[no-untyped-def]
        if Path(book.source).name == name:
            if block_alarm:  # stuck where Python's signal handler cannot run, as inside a C library
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                time.sleep(0.05)
        return original(book, lenient=lenient)

    monkeypatch.setattr(read, "read_document", hanging)


@linux_only
def test_a_file_that_hangs_is_reported_and_the_batch_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch_corpus.write_projects(tmp_path, UNIT, ["优"] * 3)
    shutil.copy(next(tmp_path.iterdir()), tmp_path / "挂起.xlsx")
    _hang_on(monkeypatch, "挂起.xlsx", block_alarm=False)
    started = time.monotonic()
    result = batch.run(tmp_path, workers=2, file_seconds=2)
    assert time.monotonic() - started < 30
    problems = {i.shown: i.problem for i in result.items if i.problem}
    assert problems == {"挂起.xlsx": batch.MSG_FILE_TIMEOUT.format(seconds=2)}
    assert len(result.read) == 3


@linux_only
def test_a_worker_stuck_beyond_its_alarm_is_stopped_by_the_watchdog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_corpus.write_projects(tmp_path, UNIT, ["优"] * 2)
    shutil.copy(next(tmp_path.iterdir()), tmp_path / "卡死.xlsx")
    _hang_on(monkeypatch, "卡死.xlsx", block_alarm=True)
    started = time.monotonic()
    result = batch.run(tmp_path, workers=2, file_seconds=1)
    assert time.monotonic() - started < 60
    problems = {i.shown: i.problem for i in result.items if i.problem}
    assert problems == {"卡死.xlsx": batch.MSG_FILE_TIMEOUT.format(seconds=1)}
    assert len(result.read) == 2
