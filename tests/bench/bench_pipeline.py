"""Benchmark: the per-workbook pure-Python steps of checking a workbook, next to python-calamine reading it.

Run by hand, from the repository root (pytest never collects this folder):

    python tests/bench/bench_pipeline.py            # 50 repetitions
    python tests/bench/bench_pipeline.py -n 200
    python tests/bench/bench_pipeline.py path/to/book.xlsx ...

Each workbook is snapshotted once (`snapshot_json`, outside the timing); then the median wall time in ms of each step:
calamine (reading every sheet with python-calamine, the yardstick), from_json (`SnapshotWorkbook.from_json`),
read (`read_document(book, lenient=True)`), evaluate (`evaluate(doc)`), check (`check_document(doc)`) and
pipeline (read + evaluate + check).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from python_calamine import CalamineWorkbook

from xl_perf.io.workbook import SnapshotWorkbook, snapshot_json
from xl_perf.model.evaluation import evaluate
from xl_perf.template.read import read_document
from xl_perf.validate.checks import check_document

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = [
    ROOT / "workbooks" / "samples" / "gangmen-2022-xiangmu.xlsx",
    ROOT / "workbooks" / "samples" / "gangmen-2022-zhengti.xlsx",
    *sorted((ROOT / "workbooks" / "blank").glob("*.xlsx")),
]
STEPS = ("calamine", "from_json", "read", "evaluate", "check", "pipeline")


def median_ms(action: Callable[[], object], repetitions: int) -> float:
    action()  # warm-up: imports and the per-pack caches
    times = []
    gc.collect()
    for _ in range(repetitions):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def calamine(path: Path) -> None:
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()


def bench(path: Path, repetitions: int) -> dict[str, float]:
    text = snapshot_json(path)
    book = SnapshotWorkbook.from_json(text, source=str(path))
    doc = read_document(book, lenient=True)

    def pipeline() -> None:
        read = read_document(book, lenient=True)
        evaluate(read)
        check_document(read)

    return {
        "calamine": median_ms(lambda: calamine(path), repetitions),
        "from_json": median_ms(lambda: SnapshotWorkbook.from_json(text, source=str(path)), repetitions),
        "read": median_ms(lambda: read_document(book, lenient=True), repetitions),
        "evaluate": median_ms(lambda: evaluate(doc), repetitions),
        "check": median_ms(lambda: check_document(doc), repetitions),
        "pipeline": median_ms(pipeline, repetitions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="workbooks (default: the samples and blank templates)")
    parser.add_argument("-n", "--repetitions", type=int, default=50, help="timed runs of each step (default 50)")
    args = parser.parse_args()
    paths = args.paths or DEFAULT
    width = max(len(p.name) for p in paths)
    print(f"{'workbook':<{width}}  " + "  ".join(f"{s:>9}" for s in STEPS) + "   (median ms)")
    for path in paths:
        result = bench(path, args.repetitions)
        print(f"{path.name:<{width}}  " + "  ".join(f"{result[s]:9.2f}" for s in STEPS))


if __name__ == "__main__":
    main()
