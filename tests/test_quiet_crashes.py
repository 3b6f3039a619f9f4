"""A reader that aborts its child process leaves no Python stack dump on the terminal, even with faulthandler on
(pytest enables it; so may PYTHONFAULTHANDLER): the parent reports the crash in Chinese, and that is all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ABORTING_CHILD = """
import sys
from pathlib import Path
from tests.hostile import children
from xl_perf.errors import BadInputError
from xl_perf.io import guard
try:
    guard.run_in_child(Path("x.xlsx"), children.call_abort)
except BadInputError as exc:
    print("REPORTED", exc.message)
"""


def test_an_aborting_child_prints_no_fatal_error_dump() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", ABORTING_CHILD],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "REPORTED" in result.stdout, result.stdout + result.stderr
    assert "Fatal Python error" not in result.stderr and "Current thread" not in result.stderr, result.stderr


def test_the_deliberate_crash_tests_run_quietly() -> None:
    """The guard's and the batch's crash tests (children that abort or kill themselves) pass without dumps."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            # Not a second coverage session: pytest-cov would erase the data files the CLI's subprocesses have
            # written so far (this run is itself measured as a subprocess).
            "-p",
            "no:pytest_cov",
            "tests/test_guard.py::test_child_that_dies_becomes_bad_input",
            "tests/test_guard.py::test_calamine_abort_is_contained",
            "tests/test_batch.py::test_a_file_that_kills_its_worker_is_retried_alone",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " passed" in output and "Fatal Python error" not in output, output
