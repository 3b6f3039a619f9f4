"""Benchmark: `xl-perf batch` over 1,000 filled workbooks against reading the same files with python-calamine alone.

Run by hand, from the repository root (pytest never collects this folder):

    python tests/bench/bench_batch.py                  # 1,000 workbooks, 2 workers, 3 repetitions
    python tests/bench/bench_batch.py -n 200 -w 4 -r 5

The workbooks (项目支出绩效自评表, mof-xiangmu, 10 towns x 100 projects, 92.5% 优 and 7.5% 良 by construction) are
generated once into a cache folder with `xl-perf`'s own writer and reused by later runs.

(a) batch: `xl_perf.batch.run(folder, workers=W)` + `write_summary` (guarded reading, scoring, every check, the checks
    between files of one unit, the summary workbook verified by reading it back);
(b) calamine: the same files on the same kind of pool (W forked workers, same chunks), each opened with
    python-calamine and every sheet read with `to_python()`: reading and nothing else.

Each measurement runs in a fresh Python process (imports and pool start-up included, as a user would pay them).
Prints the median wall time of each (and of writing the summary, within (a)), the ratio (a)/(b) (target: <= 3) and
peak memory: the resident set of the main process and of the largest worker (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "tests" / "_output" / "bench-batch"
TARGET_RATIO = 3.0
UNITS = 10


def _write_one(args: tuple[str, int, str, str]) -> None:
    from tests import batch_corpus

    unit, index, grade, folder = args
    batch_corpus.write(batch_corpus.project_data(unit, index, grade), Path(folder))


def corpus(count: int) -> Path:
    folder = CACHE / f"n{count}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    jobs = []
    for n in range(count):
        unit = f"测试县第{n % UNITS + 1:02d}镇人民政府"
        sub = folder / unit
        sub.mkdir(exist_ok=True)
        jobs.append((unit, n // UNITS + 1, "良" if n % 40 in (7, 19, 33) else "优", str(sub)))
    started = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        list(pool.map(_write_one, jobs, chunksize=8))
    marker.touch()
    print(f"已生成 {count} 个工作簿：{folder}（{time.perf_counter() - started:.1f} 秒）")
    return folder


# --------------------------------------------------------------------------------------- measured, in a fresh process


def _read_chunk(paths: list[str]) -> int:
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in paths:
        book = CalamineWorkbook.from_path(path)
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
        book.close()
    return cells


def measure_calamine(folder: Path, workers: int) -> dict[str, float]:
    import multiprocessing

    from xl_perf import batch
    from xl_perf.batch.pool import task_chunks

    started = time.perf_counter()
    paths = [str(p) for p in batch.discover(folder)]
    chunks = task_chunks([(Path(p), p) for p in paths], workers)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        cells = sum(pool.map(_read_chunk, [[str(p) for p, _ in chunk] for chunk in chunks]))
    return {"seconds": time.perf_counter() - started, "files": len(paths), "cells": cells}


def measure_batch(folder: Path, workers: int) -> dict[str, float]:
    from xl_perf import batch

    started = time.perf_counter()
    target = CACHE / "summary.xlsx"
    result = batch.run(folder, workers=workers, exclude=[target])
    checked = time.perf_counter()
    batch.write_summary(result, target)
    seconds = time.perf_counter() - started
    assert not result.bad and len(result.items) > 0, "the generated workbooks must all be readable"
    return {
        "seconds": seconds,
        "summary_seconds": seconds - (checked - started),
        "files": len(result.items),
        "errors": result.errors,
        "coverage": float(result.coverage or 0),
    }


def _child(kind: str, folder: Path, workers: int) -> None:
    sys.path.insert(0, str(ROOT))
    figures = measure_batch(folder, workers) if kind == "batch" else measure_calamine(folder, workers)
    figures["main_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["worker_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(figures))


def run_fresh(kind: str, folder: Path, workers: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--folder", str(folder), "-w", str(workers)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="number of workbooks")
    parser.add_argument("-w", type=int, default=2, help="worker processes")
    parser.add_argument("-r", type=int, default=3, help="repetitions (median)")
    parser.add_argument("--child", choices=("batch", "calamine"))
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.folder, args.w)
        return
    sys.path.insert(0, str(ROOT))
    folder = corpus(args.n)
    runs: dict[str, list[dict[str, float]]] = {"calamine": [], "batch": []}
    for _ in range(args.r):  # interleaved, so drift of the machine affects both alike
        for kind in runs:
            runs[kind].append(run_fresh(kind, folder, args.w))
    medians = {kind: statistics.median(r["seconds"] for r in found) for kind, found in runs.items()}
    ratio = medians["batch"] / medians["calamine"]
    files = int(runs["batch"][0]["files"])
    print(f"{files} 个工作簿，{args.w} 个工作进程，每项 {args.r} 次取中位数（均为新启动的 Python 进程）：")
    for kind, label in (("calamine", "(b) 仅用 python-calamine 读取"), ("batch", "(a) xl-perf batch（含汇总工作簿）")):
        seconds = medians[kind]
        peak_main = max(r["main_rss_mib"] for r in runs[kind])
        peak_worker = max(r["worker_rss_mib"] for r in runs[kind])
        print(
            f"  {label}：{seconds:.2f} 秒（每个文件 {seconds / files * 1000:.2f} 毫秒），"
            f"内存峰值：主进程 {peak_main:.0f} MiB，单个工作进程 {peak_worker:.0f} MiB"
        )
    summary = statistics.median(r["summary_seconds"] for r in runs["batch"])
    print(f"  (a) 中写汇总工作簿（含回读核对）：{summary:.2f} 秒，其余为读取、计分与校验")
    verdict = "达到" if ratio <= TARGET_RATIO else "未达到"
    print(f"  比值 (a)/(b) = {ratio:.2f}（目标 ≤ {TARGET_RATIO:g}，{verdict}）")
    print(f"  批量结果：错误 {runs['batch'][0]['errors']:.0f} 条，自评覆盖面 {runs['batch'][0]['coverage']:.2%}")


if __name__ == "__main__":
    main()
