"""What the installed `xl-perf` prints by way of typer/click (usage errors, help) is Chinese and actionable."""

from __future__ import annotations

import re

import pytest

from tests.test_cli import run
from xl_perf.cli import app as cli_app
from xl_perf.cli.chinese import ChineseCommand, ChineseGroup

COMMANDS = {
    "rules",
    "score",
    "check",
    "import",
    "export",
    "new",
    "fill",
    "dump",
    "batch",
    "report",
    "excel",
    "install",
    "doctor",
    "unblock",
    "selftest",
}
# Names of products and formats the help mentions on purpose; nothing of typer or click.
PRODUCTS = {
    "JSON",
    "CSV",
    "PDF",
    "Excel",
    "WPS",
    "LibreOffice",
    "Python",
    "xlwings",
    "UTF",
    "VBA",
    "UDF",
    "CPU",
    "Windows",
    "COM",
}
# Option names (--year, -o), and anything with a dot or hyphen in it: file names (a.xlsx), pack ids, xl-perf.
NAMES = re.compile(r"\.[A-Za-z]\w*|(?<![\w-])--?[A-Za-z][\w-]*|\S*[A-Za-z0-9][.-][A-Za-z0-9]\S*")


def english_words(text: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z]{3,}", NAMES.sub(" ", text)))
    return words - COMMANDS - PRODUCTS


def test_the_scan_catches_click_english() -> None:
    sample = "Usage: xl-perf new [OPTIONS]\nTry 'xl-perf new --help' for help.\n│ Missing option '--year'"
    assert {"Usage", "OPTIONS", "Try", "for", "help", "Missing", "option"} <= english_words(sample)
    assert not english_words("用法：xl-perf new [选项] 文件 a.xlsx --year gd-county-zhengti JSON")


@pytest.mark.parametrize(
    ("args", "says", "exit_code"),
    [
        (["chek"], ["没有名为“chek”的命令", "xl-perf check"], 2),
        (["new", "-f", "gd-county-zhengti"], ["缺少选项 --year", "请加上“--year 20"], 2),
        (["score"], ["缺少文件", "请在 xl-perf score 后面写上文件的路径"], 2),
        (["rules", "--year", "abc"], ["选项 --year 的值“abc”无效：应为整数"], 2),
        (["rules", "a", "b"], ["多余的参数：b"], 2),
        (["new", "--yaer", "2025"], ["没有选项 --yaer", "--year"], 2),
        (["new", "-y"], ["选项 -y 后面应写上一个值"], 2),
        (["score", "--json=1", "x.json"], ["选项 --json 不带值"], 2),
        (["excel", "nope"], ["没有名为“nope”的命令", "install"], 2),
        (["excel", "unblock"], ["缺少工作簿", "请在 xl-perf excel unblock 后面写上工作簿的路径"], 2),
    ],
)
def test_usage_errors_are_chinese_and_actionable(args: list[str], says: list[str], exit_code: int) -> None:
    result = run(*args)
    assert result.returncode == exit_code, result.stderr
    assert result.stdout == ""  # diagnostics go to stderr only
    for words in says:
        assert words in result.stderr, result.stderr
    assert "用法：xl-perf" in result.stderr and "--help 查看" in result.stderr
    typed = set(re.findall(r"[A-Za-z]+", " ".join(args)))  # the user's own words may be quoted back
    assert not english_words(result.stderr) - typed, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        [],
        *(
            [command, "--help"]
            for command in ("rules", "score", "check", "export", "new", "fill", "import", "dump", "batch", "report")
        ),
        ["excel", "--help"],
        ["excel", "install", "--help"],
        ["excel", "doctor", "--help"],
        ["excel", "unblock", "--help"],
        ["excel", "selftest", "--help"],
        ["check", "-h"],
    ],
)
def test_help_is_chinese(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode in (0, 2), result.stderr
    shown = result.stdout + result.stderr
    assert "用法：xl-perf" in shown and "显示本帮助并退出" in shown
    assert "╭─ 选项" in shown
    assert not english_words(shown), shown
    assert "<" not in shown  # no Python types such as <bool>, <list[Path]>


def test_every_command_speaks_chinese() -> None:
    """A command added later without the Chinese classes would print click's English; this names it."""
    import typer

    group = typer.main.get_command(cli_app.app)
    assert isinstance(group, ChineseGroup)
    stack = [group]
    while stack:
        command = stack.pop()
        for sub in getattr(command, "commands", {}).values():
            assert isinstance(sub, ChineseCommand | ChineseGroup), sub.name
            stack.append(sub)
            for param in sub.params:
                assert param.metavar is not None and not re.search(r"[A-Za-z]", param.metavar), (sub.name, param)
