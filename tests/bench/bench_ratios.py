"""Issue 19's figures, each as a ratio against its baseline, measured side by side in one run.

Run by hand, from the repository root (pytest never collects this folder):

    python tests/bench/bench_ratios.py              # all figures
    python tests/bench/bench_ratios.py -n 9 --only startup
    python tests/bench/bench_ratios.py --only pdf -n 3

Every figure times whole processes (what a user waits for), alternating the measured command and its baseline so
that the machine's drift hits both alike, and prints medians and their ratio against the goal:

* pdf:     `xl-perf export 8 workbooks -o DIR --pdf` (one command, one LibreOffice)  vs  8 single `export --pdf`
           commands one after another (each starting its own LibreOffice).            goal <= 0.4
* check:   `xl-perf check <sample>`  vs  a python-calamine read of every sheet of the same file, in its own
           interpreter (`python -c "..."`).                                             goal <= 8
* help:    `xl-perf check --help`  vs  `python -c pass`.                                goal <= 6

The machine is noisy (2 cores, other work): compare ratios from one run, not milliseconds across runs.
The commands run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from their environment, xl_perf compiled
once beforehand), as an installed xl-perf runs: pip compiles it when installing. Without that, every run compiles
xl-perf's modules from source, about 0.4 s here, which is not what a user waits for.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "workbooks" / "samples"
SAMPLE = SAMPLES / "gangmen-2022-zhengti.xlsx"
PDF_SOURCES = (SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx", SAMPLES / "corrected" / "gangmen-2022-xiangmu.xlsx")
GOALS = {"pdf": 0.4, "check": 8.0, "help": 6.0}

CALAMINE_READ = (
    "import sys\n"
    "from python_calamine import CalamineWorkbook\n"
    "book = CalamineWorkbook.from_path(sys.argv[1])\n"
    "for name in book.sheet_names:\n"
    "    book.get_sheet_by_name(name).to_python()\n"
)


def xl_perf() -> list[str]:
    """The installed command beside this interpreter (what a user runs), else `python -m xl_perf`."""
    beside = Path(sys.executable).with_name("xl-perf")
    found = str(beside) if beside.exists() else shutil.which("xl-perf")
    return [found] if found else [sys.executable, "-m", "xl_perf"]


ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(command: Sequence[str], ok: Sequence[int] = (0, 1)) -> float:
    """Seconds `command` takes as a whole process; its exit code must be one of `ok`."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, timeout=900, check=False, env=ENVIRONMENT)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok:
        detail = result.stderr.decode("utf-8", "replace")[-800:]
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}:\n{detail}")
    return elapsed


def side_by_side(measured: Callable[[], float], baseline: Callable[[], float], repetitions: int) -> tuple[float, float]:
    """Median seconds of each, alternating the two after one warm-up of each (disk cache, .pyc files)."""
    measured(), baseline()
    ours, theirs = [], []
    for _ in range(repetitions):
        ours.append(measured())
        theirs.append(baseline())
    return statistics.median(ours), statistics.median(theirs)


def report(name: str, label: str, ours: float, baseline_label: str, theirs: float) -> float:
    ratio = ours / theirs
    goal = GOALS[name]
    verdict = "OK" if ratio <= goal else "ABOVE GOAL"
    print(f"{name:6} {label:52} {ours * 1000:9.0f} ms")
    print(f"{'':6} {baseline_label:52} {theirs * 1000:9.0f} ms")
    print(f"{'':6} ratio {ratio:.2f}x (goal <= {goal:g}x): {verdict}")
    return ratio


def pdf_figure(repetitions: int) -> float:
    """Eight workbooks (four copies each of two corrected samples, each under its own name) exported with --pdf."""
    with tempfile.TemporaryDirectory(prefix="xl-perf-bench-pdf-") as scratch:
        folder = Path(scratch)
        inputs = []
        for index in range(8):
            source = PDF_SOURCES[index % 2]
            copy = folder / "in" / f"{index + 1:02d}-{source.name}"
            copy.parent.mkdir(exist_ok=True)
            shutil.copyfile(source, copy)
            inputs.append(copy)
        counter = iter(range(10**6))

        def fresh() -> Path:
            return folder / f"out-{next(counter)}"

        def one_command() -> float:
            return run([*xl_perf(), "export", *map(str, inputs), "-o", str(fresh()), "--pdf"], ok=(0,))

        def eight_commands() -> float:
            out = fresh()
            return sum(run([*xl_perf(), "export", str(p), "-o", str(out / p.stem), "--pdf"], ok=(0,)) for p in inputs)

        ours, theirs = side_by_side(one_command, eight_commands, repetitions)
    return report("pdf", "export 8 workbooks --pdf, one command", ours, "8 single export --pdf commands", theirs)


def check_figure(repetitions: int) -> float:
    ours, theirs = side_by_side(
        lambda: run([*xl_perf(), "check", str(SAMPLE)]),
        lambda: run([sys.executable, "-c", CALAMINE_READ, str(SAMPLE)], ok=(0,)),
        repetitions,
    )
    return report("check", f"xl-perf check {SAMPLE.name}", ours, "python-calamine read, own interpreter", theirs)


def help_figure(repetitions: int) -> float:
    ours, theirs = side_by_side(
        lambda: run([*xl_perf(), "check", "--help"], ok=(0,)),
        lambda: run([sys.executable, "-c", "pass"], ok=(0,)),
        repetitions,
    )
    return report("help", "xl-perf check --help", ours, "python -c pass", theirs)


FIGURES = {"pdf": pdf_figure, "check": check_figure, "help": help_figure}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--repetitions", type=int, default=0, help="runs of each (default: pdf 3, others 15)")
    parser.add_argument("--only", choices=[*FIGURES, "startup"], help="one figure (startup = check and help)")
    args = parser.parse_args()
    chosen = ["check", "help"] if args.only == "startup" else [args.only] if args.only else list(FIGURES)
    print(f"command: {' '.join(xl_perf())}; {os.cpu_count()} CPUs")
    import xl_perf as package

    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(package.__file__).parent)],
                              capture_output=True, env=ENVIRONMENT, check=False)  # fmt: skip
    if compiled.returncode != 0:
        print("note: could not compile xl_perf to bytecode; the figures include compiling it on every run")
    ratios = {}
    for name in chosen:
        repetitions = args.repetitions or (3 if name == "pdf" else 15)
        ratios[name] = FIGURES[name](max(1, repetitions))
    print("summary: " + ", ".join(f"{name} {ratio:.2f}x (goal <= {GOALS[name]:g}x)" for name, ratio in ratios.items()))


if __name__ == "__main__":
    main()
