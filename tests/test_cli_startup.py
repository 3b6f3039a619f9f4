"""Start-up: a command imports only what it uses (issue 19 item 4). Each case runs the real CLI in a fresh
interpreter and lists the heavy libraries left in sys.modules afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from xl_perf.cli import params

HEAVY = ("pydantic", "xlsxwriter", "xlwings", "pandas", "numpy", "openpyxl")

_PROBE = """
import json, sys
sys.argv = ["xl-perf", *json.loads(sys.argv[1])]
from xl_perf.cli.app import main
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
"""


def loaded_by(*args: str) -> tuple[int, list[str], str]:
    """(exit code, heavy modules imported, stdout) of `xl-perf ARGS` in a fresh interpreter."""
    code = _PROBE.replace("HEAVY", repr(HEAVY))
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))], capture_output=True, text=True, encoding="utf-8",
        timeout=120,
    )  # fmt: skip
    last = result.stderr.strip().splitlines()[-1]
    report = json.loads(last)
    return report["code"], report["loaded"], result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["check", "--help"],
        ["export", "--help"],
        ["check", str(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx")],
        ["check", str(SAMPLES / "gangmen-2022-zhengti.json")],
        ["check", "--json", str(SAMPLES / "gangmen-2022-xiangmu.xlsx")],
    ],
    ids=["help", "check-help", "export-help", "check-xlsx", "check-json", "check-json-out"],
)
def test_help_and_check_load_no_heavy_library(args: list[str]) -> None:
    code, loaded, out = loaded_by(*args)
    assert loaded == [], f"xl-perf {' '.join(args)} imported {loaded}"
    assert code in (0, 1) and out.strip()  # it did its work (help text, a report)


def test_help_text_is_the_same_without_pydantic() -> None:
    """The plain conversion changes nothing a user sees: the help typer prints through its own path is the same."""
    from typer.testing import CliRunner

    from xl_perf.cli.app import app

    for args in (["--help"], ["check", "--help"], ["export", "--help"]):
        _, _, out = loaded_by(*args)
        through_typer = CliRunner().invoke(app, args, prog_name="xl-perf", terminal_width=80)
        assert through_typer.exit_code == 0
        assert " ".join(out.split()) == " ".join(through_typer.output.split()), args


def test_new_with_macros_does_not_import_xlwings(tmp_path: Path) -> None:
    """Only Excel's UDF server needs xlwings; writing the .xlsm reads its VBA module as a file."""
    code, loaded, _ = loaded_by(
        "new", "-f", "gd-county-zhengti", "-y", "2025", "-u", "测试单位", "--macro", "-o", str(tmp_path)
    )
    assert code == 0 and list(tmp_path.glob("*.xlsm"))
    assert "xlwings" not in loaded and "pandas" not in loaded


def _rules_year() -> tuple[object, object]:
    """The real --year option of `xl-perf rules` and a context for it, with the plain converters installed."""
    from typer import _click
    from typer.main import get_command

    from xl_perf.cli.app import app

    group = get_command(app)
    params.install(group)
    command = group.commands["rules"]  # type: ignore[attr-defined]
    year = next(p for p in command.params if p.name == "year")
    return year, _click.Context(command)


@pytest.mark.parametrize(
    ("annotation", "text", "value"),
    [(int, " 2025 ", 2025), (Path, " a b.xlsx", Path(" a b.xlsx")), (str, "县", "县"), (float, "1.5", 1.5),
     (bool, "yes", True)],
)  # fmt: skip
def test_plain_conversion(annotation: type, text: str, value: object) -> None:
    param, ctx = _rules_year()
    runtime = params.PlainRuntimeParam(params._PLAIN[annotation], many=False)
    assert runtime.coerce(text, param, ctx) == value  # type: ignore[arg-type]


def test_install_gives_the_plain_converter_and_refuses_like_typer() -> None:
    from typer import _click

    param, ctx = _rules_year()
    assert isinstance(param._runtime_param, params.PlainRuntimeParam)  # type: ignore[attr-defined]
    with pytest.raises(_click.exceptions.BadParameter) as caught:
        param.process_value(ctx, "二〇二五")  # type: ignore[attr-defined]
    cause = caught.value.__cause__
    assert isinstance(cause, params.UnusableValue) and cause.errors() == [{"input": "二〇二五"}]
    assert param.process_value(ctx, "2024") == 2024  # type: ignore[attr-defined]


def test_a_bad_number_is_said_in_chinese_with_the_value() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xl_perf", "batch", ".", "-o", "x.xlsx", "--workers", "很多"],
        capture_output=True, text=True, encoding="utf-8", timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "选项 --workers / -w 的值“很多”无效：应为整数。" in result.stderr
