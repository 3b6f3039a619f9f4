"""The `xl-perf` command. Heavy libraries are imported inside the commands that need them, so --help stays fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from xl_perf.errors import XlPerfError

app = typer.Typer(
    name="xl-perf",
    help="绩效自评助手：计算、校验预算绩效自评表。",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _fail(exc: XlPerfError) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, soft_wrap=True).print(f"[bold red]错误[/]：{escape(str(exc))}", highlight=False)
    raise typer.Exit(exc.exit_code)


@app.command("rules")
def rules_command(
    framework: Annotated[str | None, typer.Argument(help="规则包编号，如 gd-county-zhengti；省略则列出全部")] = None,
    year: Annotated[int, typer.Option("--year", help="评价年度，用于填入规则文字中的年份")] = 2025,
    level: Annotated[str, typer.Option("--level", help="层级：县、市或镇")] = "县",
) -> None:
    """显示规则包的指标体系：分值、计分规则与可调参数。"""
    from xl_perf.cli import render
    from xl_perf.rules import loader

    try:
        if framework is None:
            render.print_pack_list([loader.load(p) for p in loader.available()])
            return
        render.print_rules(loader.load(framework), year, level)
    except XlPerfError as exc:
        _fail(exc)


@app.command("score")
def score_command(
    source: Annotated[Path, typer.Argument(help="数据文档（.json）", exists=False)],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（供程序使用）")] = False,
) -> None:
    """按规则计算各指标得分、总分与等级，并与填报得分核对。

    退出码：0 无错误；1 有错误类发现；2 输入无法使用。
    """
    from xl_perf import document
    from xl_perf.cli import render
    from xl_perf.engine.evaluate import evaluate

    try:
        doc = document.load_path(source)
        evaluation = evaluate(doc)
    except XlPerfError as exc:
        _fail(exc)
        return
    locate = document.locator(doc)
    evaluation.findings = [f.locate(locate) for f in evaluation.findings]
    if as_json:
        sys.stdout.write(json.dumps(evaluation.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        render.print_evaluation(evaluation)
    raise typer.Exit(1 if any(f.severity == "error" for f in evaluation.findings) else 0)


def main() -> None:
    try:
        app()
    except XlPerfError as exc:  # pragma: no cover - commands catch their own; this is the last net
        print(f"错误：{exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
