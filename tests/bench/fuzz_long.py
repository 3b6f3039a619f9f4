"""A long fuzzing run (not part of the test suite): many cases, a fresh random seed unless given.

    python tests/bench/fuzz_long.py [--seed N] [--cases 2000] [--minutes 60]

Prints the seed first and one line per failing case with the command that reproduces it, e.g.
    python -m tests.hostile.fuzz --seed N --only CASE --keep DIR
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.hostile import fuzz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    print(f"seed {seed}", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="xl-perf-fuzz-long-") as scratch:
        failures = fuzz.fuzz(seed, args.cases, Path(scratch), budget_s=args.minutes * 60)
    elapsed = time.monotonic() - started
    print("\n".join(failures) or "no failures")
    print(f"{elapsed:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
