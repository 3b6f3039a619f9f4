"""Shared fixtures. Required external components fail the run under CI=true instead of being skipped."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.lo_user import Office

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"


def require_tool(name: str) -> str:
    """Path of an external program; skip locally when absent, fail under CI where it must be installed."""
    path = shutil.which(name)
    if path is None:
        message = f"required program {name!r} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_uno() -> None:
    """python3-uno (Debian's, for the system Python; `tests.lo_user` finds it): skip locally, fail under CI."""
    from tests.lo_user import import_uno

    try:
        import_uno()
    except ImportError as exc:
        message = f"python3-uno is not importable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def lo_office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    """ONE LibreOffice Calc for the whole test session, driven through UNO (`tests/lo_user.py`), on a private
    profile; started on first use and stopped when the session ends."""
    soffice = require_tool("soffice")
    require_uno()
    from tests.lo_user import Office

    office = Office(soffice, tmp_path_factory.mktemp("lo-user"))
    try:
        yield office
    finally:
        office.stop()


def outputs(folder: Path) -> list[Path]:
    """The files written to `folder`, without the tool's ownership record (.xl-perf-owned.json)."""
    from xl_perf.io.safe_write import MANIFEST_NAME

    return sorted(p for p in folder.iterdir() if p.name != MANIFEST_NAME)


def sample_data(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def gangmen_zhengti() -> dict:
    return sample_data("gangmen-2022-zhengti.json")


@pytest.fixture
def gangmen_xiangmu() -> dict:
    return sample_data("gangmen-2022-xiangmu.json")


@pytest.fixture
def ziyuan_zhengti() -> dict:
    return sample_data("ziyuan-2023-zhengti.json")


def started_processes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command lines of every subprocess started from now on in this test (subprocess.Popen, counted)."""
    import subprocess

    started: list[list[str]] = []
    real_popen = subprocess.Popen

    class CountingPopen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args, *a, **k):  # type: ignore[no-untyped-def]
            started.append(list(args))
            super().__init__(args, *a, **k)

    monkeypatch.setattr(subprocess, "Popen", CountingPopen)
    return started
