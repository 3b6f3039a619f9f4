"""Shared fixtures. Required external components fail the run under CI=true instead of being skipped."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

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
