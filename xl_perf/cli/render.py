"""Rich output for people. Machines use --json instead."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from xl_perf.findings import SEVERITY_LABELS
from xl_perf.model.evaluation import Evaluation
from xl_perf.numbers import format_number, format_percent
from xl_perf.rules import model
from xl_perf.rules.text import context, render

SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
BASIS_LABELS = {"rule": "按规则", "entered": "采用填报", "missing": "未填报", "na": "不适用"}


def _console(stderr: bool = False) -> Console:
    # Piped output (CI logs, `| less`) gets a wide table instead of rich's 80-column default.
    stream = sys.stderr if stderr else sys.stdout
    return Console(highlight=False, soft_wrap=False, width=None if stream.isatty() else 160, stderr=stderr)


def print_evaluation(evaluation: Evaluation) -> None:
    console = _console()
    doc = evaluation.document
    console.print(f"[bold]{doc.unit}[/]　{doc.year}年度　{doc.text(doc.pack.title)}（{doc.pack.id}）")
    table = Table(show_lines=False, header_style="bold", expand=False)
    table.add_column("指标")
    table.add_column("分值", justify="right")
    table.add_column("实际值", justify="right")
    table.add_column("得分", justify="right")
    table.add_column("填报", justify="right")
    table.add_column("依据")
    table.add_column("说明", max_width=70, overflow="fold")
    for result in (*evaluation.indicators, *evaluation.rows):
        name = ("  └ " if result.parent else "") + " / ".join(result.path[-2:] if result.parent else result.path)
        value = "" if result.value is None else format_percent(result.value)
        stated = "" if result.stated_score is None else format_number(result.stated_score)
        score_style = "red" if result.stated_score is not None and result.stated_score != result.score else ""
        table.add_row(
            name,
            format_number(result.weight),
            value,
            Text(format_number(result.score), style=score_style),
            stated,
            BASIS_LABELS[result.basis],
            result.rule,
        )
    console.print(table)
    stated = (
        "—"
        if evaluation.stated_total is None
        else f"{format_number(evaluation.stated_total)}（{evaluation.stated_grade}）"
    )
    console.print(
        f"计算总分 [bold]{format_number(evaluation.total)}[/]　等级 [bold]{evaluation.grade}[/]　填报总分 {stated}"
    )
    print_findings(console, evaluation)


def print_findings(console: Console, evaluation: Evaluation) -> None:
    if not evaluation.findings:
        console.print("[green]未发现问题。[/]")
        return
    counts = {s: sum(1 for f in evaluation.findings if f.severity == s) for s in SEVERITY_LABELS}
    summary = "，".join(f"{SEVERITY_LABELS[s]} {n} 条" for s, n in counts.items() if n)
    table = Table(title=f"发现：{summary}", header_style="bold", title_justify="left")
    table.add_column("级别")
    table.add_column("类别", max_width=20, overflow="fold")
    table.add_column("位置", max_width=40, overflow="fold")
    table.add_column("问题", max_width=70, overflow="fold")
    table.add_column("建议", max_width=30, overflow="fold")
    order = {"error": 0, "warning": 1, "info": 2}
    for finding in sorted(evaluation.findings, key=lambda f: order[f.severity]):
        where = finding.location.key or finding.location.cell or ""
        if finding.location.sheet:
            where = f"{finding.location.sheet} {finding.location.cell or ''}".strip()
        table.add_row(
            Text(SEVERITY_LABELS[finding.severity], style=SEVERITY_STYLES[finding.severity]),
            check_title(finding.code),
            where,
            finding.message,
            finding.fix,
        )
    console.print(table)


def check_title(code: str) -> str:
    from xl_perf.validate.catalogue import title_of

    return title_of(code)


def print_pack_list(packs: list[model.RulePack]) -> None:
    from xl_perf.cli.rule_words import pack_source

    console = _console()
    table = Table(header_style="bold")
    table.add_column("编号")
    table.add_column("名称")
    table.add_column("指标数", justify="right")
    table.add_column("来源", max_width=70, overflow="fold")
    for pack in packs:
        words = context(2025, next(iter(pack.levels.values())))
        table.add_row(pack.id, render(pack.title, words), str(len(pack.indicators)), pack_source(pack.source))
    console.print(table)


def describe_rule(rule: model.Rule, words: dict[str, str], pack: model.RulePack, weight: Decimal) -> str:
    from xl_perf.cli.rule_words import RuleWords

    return RuleWords(pack, words).describe(rule, weight)


def print_rules(pack: model.RulePack, year: int, level: str) -> None:
    from xl_perf.cli.rule_words import RuleWords, param_text, param_writing

    console = _console()
    if level not in pack.levels:
        level = next(iter(pack.levels))
    words = context(year, pack.level_words(level))
    describer = RuleWords(pack, words)
    tree = Tree(f"[bold]{escape(render(pack.title, words))}[/]（合计 {format_number(pack.total)} 分）")
    nodes: dict[tuple[str, ...], Tree] = {(): tree}
    weights = {g.path: g.weight for g in pack.groups}
    for indicator in pack.indicators:
        path = tuple(render(p, words) for p in indicator.path)
        for depth in range(1, len(path)):
            prefix = path[:depth]
            if prefix not in nodes:
                weight = weights.get(indicator.path[:depth])
                label = prefix[-1] + ("" if weight is None else f"（{format_number(weight)}）")
                nodes[prefix] = nodes[prefix[:-1]].add(f"[bold]{escape(label)}[/]")
        # A bonus/penalty indicator has no weight of its own (0): it adds to or takes from the total.
        bonus = isinstance(indicator.rule, model.BonusPenaltyRule)
        weight_text = "加减分" if bonus else format_number(indicator.weight)
        leaf = nodes[path[:-1]].add(Text(f"{path[-1]}（{weight_text}）"))
        rule = describer.describe(indicator.rule, indicator.weight)
        rule += describer.not_applicable(indicator.na_when, indicator.na_target)
        leaf.add(Text(rule, style="green"))
        if indicator.criteria:
            leaf.add(Text(render(indicator.criteria, words), style="dim"))
    console.print(tree)
    if pack.params:
        # The last column is what the user types under "params" in a data document (workbooks/README.md points here).
        table = Table(
            title="可调参数（原文含糊之处，取默认值；要改选，在数据文档的 params 中写入最后一列的内容）",
            header_style="bold",
            title_justify="left",
            show_lines=True,
        )
        table.add_column("序号", justify="right")
        table.add_column("说明", max_width=80, overflow="fold")
        table.add_column("默认")
        table.add_column("数据文档中的写法", overflow="fold")
        for number, param in enumerate(pack.params.values(), start=1):
            table.add_row(str(number), param_text(param), describer.param_value(param), param_writing(param))
        console.print(table)


def report_json(report: Any) -> dict[str, object]:
    """One file: the score contract itself (with the validator's findings); several: {"files": [...], ...}."""
    files = []
    for item in report.checked:
        data = item.evaluation.as_dict()
        data["file"] = str(item.path)
        data["findings"] = [f.as_dict() for f in item.findings]
        files.append(data)
    for path, findings in report.texts:
        files.append({"file": str(path), "findings": [f.as_dict() for f in findings]})
    bad = [{"file": str(path), "message": exc.message} for path, exc in report.bad]
    if len(files) == 1 and not bad:
        return files[0]
    return {
        "files": files,
        "bad_files": bad,
        "findings": [f.as_dict() for f in report.findings],
        "errors": report.errors,
    }


def print_report(report: Any) -> None:
    console = _console()
    for item in report.checked:
        evaluation = item.evaluation
        doc = item.doc
        stated = "—" if evaluation.stated_total is None else f"{format_number(evaluation.stated_total)}"
        console.print(
            f"[bold]{item.path}[/]：{doc.unit or '（未填单位）'} {doc.year}年度 {doc.text(doc.pack.title)}　"
            f"计算总分 {format_number(evaluation.total)}（{evaluation.grade}），填报 {stated}"
        )
    findings = report.findings
    table = Table(header_style="bold", title_justify="left", title=_summary(findings) if findings else None)
    for title, width in (("级别", None), ("类别", 20), ("位置", 44), ("问题", 70), ("建议", 28)):
        table.add_column(title, max_width=width, overflow="fold")
    order = {"error": 0, "warning": 1, "info": 2}
    for finding in sorted(findings, key=lambda f: order[f.severity]):
        where = finding.location
        position = " ".join(
            p
            for p in (Path(where.file).name if where.file else "", where.sheet or "", where.cell or where.key or "")
            if p
        )
        table.add_row(
            Text(SEVERITY_LABELS[finding.severity], style=SEVERITY_STYLES[finding.severity]),
            check_title(finding.code),
            position,
            finding.message,
            finding.fix,
        )
    if findings:
        console.print(table)
    elif not report.bad:
        console.print("[green]未发现问题。[/]")
    errors = _console(stderr=True)  # diagnostics go to stderr, the report to stdout
    for path, exc in report.bad:
        errors.print(f"[bold red]无法读取[/] {escape(str(path))}：{escape(exc.message)}")


def _summary(findings: list[Any]) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_LABELS}
    return "发现：" + "，".join(f"{SEVERITY_LABELS[s]} {n} 条" for s, n in counts.items() if n)


def print_batch(result: Any, output: Path, *, stderr: bool = False) -> None:
    """What `xl-perf batch` tells the user on the terminal: the totals, each file with errors, each unreadable file."""
    from xl_perf.batch import KIND_NAMES, files_line, percent_text

    console = _console(stderr=stderr)
    console.print(escape(files_line(result)))
    if result.coverage is not None:
        console.print(
            f"自评覆盖面 {percent_text(result.coverage)}"
            f"（已自评项目 {result.evaluated} 个 / 应自评 {result.required} 个）"
        )
    for kind, counts in result.grades().items():
        shown = "，".join(f"{grade} {n} 个" for grade, n in counts.items())
        console.print(f"{KIND_NAMES.get(kind, kind)}等级：{shown}")
    failing = [i for i in result.read if i.errors]
    if failing:
        table = Table(header_style="bold", title="有错误的工作簿", title_justify="left")
        for title, width in (("文件", 50), ("单位", 24), ("错误", None), ("警告", None)):
            table.add_column(title, max_width=width, overflow="fold")
        for item in failing:
            table.add_row(escape(item.shown), escape(item.unit), str(item.errors), str(item.warnings))
        console.print(table)
    if result.duplicates:
        console.print(
            f"重复提交 {len(result.duplicates)} 个（同一单位、年度和表，以修改时间最新的为准，较早的未计入）："
        )
        for item in result.duplicates:
            console.print(f"  {escape(item.shown)}（以 {escape(item.kept)} 为准）")
    errors = _console(stderr=True)
    for item in result.bad:
        errors.print(f"[bold red]无法读取[/] {escape(item.shown)}：{escape(item.problem)}")
    console.print(f"汇总已写入：{escape(str(output))}")
