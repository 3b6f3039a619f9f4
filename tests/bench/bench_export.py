"""Benchmark: the submission copy of `xl-perf export` against an openpyxl load + save of the same workbook.

Run by hand, from the repository root (pytest never collects this folder):

    python tests/bench/bench_export.py            # 20 repetitions
    python tests/bench/bench_export.py -n 50

(a)  xl_perf.export.write_submission(doc, evaluation, target): the copy regenerated from the template description,
     written through safe_write and verified with python-calamine; the document is loaded and evaluated beforehand;
(a') xl_perf.export.export(source, folder): the whole command without PDF/JSON/CSV, including reading the workbook
     in its memory-capped child process and the check;
(b)  openpyxl.load_workbook(source, data_only=True) + save(temp file): what a "values only" copy made with openpyxl
     would cost (it would keep helper columns, the hidden sheet and names, so it is not a correct export).

Prints the median wall time of each in ms, the ratio (a)/(b) (target: <= 0.5) and the peak of Python allocations
(tracemalloc, one separate run each). tracemalloc sees only memory allocated through Python's allocator: the Rust
reader (python-calamine), XlsxWriter's zlib buffers and the child process of (a') are not in these figures.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "workbooks" / "samples" / "corrected" / "gangmen-2022-zhengti.xlsx"
TARGET_RATIO = 0.5


def timed(action: Callable[[], object], repetitions: int) -> list[float]:
    action()  # warm-up: imports, caches, the reader's child process
    times = []
    for _ in range(repetitions):
        gc.collect()
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def peak_kib(action: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--repetitions", type=int, default=20, help="timed runs of each variant (default 20)")
    args = parser.parse_args()
    n = max(1, args.repetitions)

    import openpyxl

    from xl_perf import export as exporter
    from xl_perf.model.evaluation import evaluate
    from xl_perf.template.sources import file_name, load_any

    doc, _ = load_any(SOURCE, lenient=True)
    evaluation = evaluate(doc)

    with tempfile.TemporaryDirectory(prefix="xl-perf-bench-") as scratch:
        folder = Path(scratch)
        ours = folder / file_name(doc)
        theirs = folder / "openpyxl-copy.xlsx"
        export_dir = folder / "export"
        export_dir.mkdir()

        def write_submission() -> None:
            exporter.write_submission(doc, evaluation, ours)

        def full_export() -> None:
            result = exporter.export(SOURCE, export_dir)
            assert not result.refused and result.files

        def openpyxl_copy() -> None:
            book = openpyxl.load_workbook(SOURCE, data_only=True)
            book.save(theirs)
            book.close()

        variants = {
            "(a)  write_submission": write_submission,
            "(a') export() incl. check": full_export,
            "(b)  openpyxl load+save": openpyxl_copy,
        }
        medians: dict[str, float] = {}
        print(f"source: {SOURCE.relative_to(ROOT)} ({SOURCE.stat().st_size / 1024:.0f} KiB), {n} repetitions")
        print(f"{'variant':28} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'peak KiB':>9}")
        for label, action in variants.items():
            times = timed(action, n)
            medians[label] = statistics.median(times)
            peak = peak_kib(action)
            print(f"{label:28} {medians[label]:10.1f} {min(times):8.1f} {max(times):8.1f} {peak:9.0f}")
        print(f"output sizes: (a) {ours.stat().st_size / 1024:.0f} KiB, (b) {theirs.stat().st_size / 1024:.0f} KiB")

    ratio = medians["(a)  write_submission"] / medians["(b)  openpyxl load+save"]
    whole = medians["(a') export() incl. check"] / medians["(b)  openpyxl load+save"]
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"ratio (a)/(b) = {ratio:.2f} (target <= {TARGET_RATIO}): {verdict}")
    print(f"ratio (a')/(b) = {whole:.2f} (for information: includes reading and checking the workbook)")


if __name__ == "__main__":  # the workbook reader starts a child process (forkserver/spawn re-imports this module)
    main()
