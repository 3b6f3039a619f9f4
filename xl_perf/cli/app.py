"""The `xl-perf` command. Heavy libraries are imported inside the commands that need them, so --help stays fast."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xl_perf.cli.chinese import ChineseTyper, show_usage_error
from xl_perf.errors import XlPerfError, describe_os_error, quoted

if TYPE_CHECKING:
    from xl_perf import export as exporter_types
    from xl_perf.batch import BatchResult
    from xl_perf.template.generate import MacroVariant

app = ChineseTyper(
    name="xl-perf",
    help="绩效自评助手：计算、校验预算绩效自评表。",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


OVERWRITE_HINT = "换一个输出文件夹；确认可以覆盖时加 --overwrite"


def _check_year_level(year: int, level: str) -> None:
    """The --year / --level options, with the same limits as a data document."""
    from xl_perf.model.document import LEVELS

    if not 2000 <= year <= 2100:
        raise XlPerfError(f"--year 应为 2000–2100 之间的评价年度，实为 {year}")
    if level not in LEVELS:
        raise XlPerfError(f"--level 应为 {'、'.join(LEVELS)} 之一，实为 {quoted(level)}")


def _fail(exc: XlPerfError) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, soft_wrap=True).print(f"[bold red]错误[/]：{escape(str(exc))}", highlight=False)
    raise typer.Exit(exc.exit_code)


@app.command("rules")
def rules_command(
    framework: Annotated[
        str | None, typer.Argument(metavar="规则包", help="规则包编号，如 gd-county-zhengti；省略则列出全部")
    ] = None,
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
        _check_year_level(year, level)
        render.print_rules(loader.load(framework), year, level)
    except XlPerfError as exc:
        _fail(exc)


@app.command("score")
def score_command(
    source: Annotated[Path, typer.Argument(metavar="文件", help="数据文档（.json）或填好的工作簿（.xlsx）")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（供程序使用）")] = False,
) -> None:
    """按规则计算各指标得分、总分与等级，并与填报得分核对。

    退出码：0 无错误；1 有错误类发现；2 输入无法使用。
    """
    from xl_perf.cli import render
    from xl_perf.model.evaluation import evaluate
    from xl_perf.template.sources import load_any

    try:
        # A workbook's unusable cells become findings at their cells; a data document must be valid as a whole.
        doc, locate = load_any(source, lenient=source.suffix.lower() != ".json")
        evaluation = evaluate(doc)
    except XlPerfError as exc:
        _fail(exc)
        return
    from xl_perf.validate.checks import value_problems

    evaluation.findings = list(value_problems(doc)) + evaluation.findings
    evaluation.findings = [f.locate(locate) for f in evaluation.findings]
    if as_json:
        sys.stdout.write(json.dumps(evaluation.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        render.print_evaluation(evaluation)
    raise typer.Exit(1 if any(f.severity == "error" for f in evaluation.findings) else 0)


@app.command("check")
def check_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="文件", help="工作簿（.xlsx/.xlsm）、数据文档（.json）或自评报告（.docx/.pdf/.txt），可多个"
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（供程序使用）")] = False,
) -> None:
    """校验：计分规则、比率、合计、日期、必填项，以及同一单位多个文件之间的一致性。

    退出码：0 没有错误；1 有错误；2 有文件无法读取（其余文件照常校验）。
    """
    from xl_perf.cli import render
    from xl_perf.validate.run import check_files

    report = check_files(list(files))
    if as_json:
        sys.stdout.write(json.dumps(render.report_json(report), ensure_ascii=False, indent=2) + "\n")
    else:
        render.print_report(report)
    if report.bad:
        raise typer.Exit(2)
    raise typer.Exit(1 if report.errors else 0)


@app.command("report")
def report_command(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="工作簿", help="同一单位、同一年度的工作簿（.xlsx）或数据文档（.json），可多个"),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="允许覆盖同名的、不是本工具生成（或生成后被修改过）的文件")
    ] = False,
) -> None:
    """由工作簿生成自评报告初稿（.docx）：章节齐全，比率、得分、总分和等级取自计算结果，需人工填写处以【】标出。

    生成后按 check 的报告核对检查初稿；退出码：0 已生成且无错误；1 初稿核对有错误；2 输入无法使用。
    """
    from xl_perf.cli import render
    from xl_perf.io.folders import output_folder
    from xl_perf.report.draft import draft

    try:
        with output_folder(output):
            result = draft(list(files), output, overwrite=overwrite)
    except XlPerfError as exc:
        _fail(exc)
        return
    typer.echo(f"已生成：{result.target}")
    for path, evaluation in result.evaluations:
        typer.echo(f"  {path.name}：总分 {evaluation.total}，等级 {evaluation.grade}")
    from xl_perf.validate.run import Report

    render.print_report(Report([], [(result.target, result.findings)], []))
    warnings = sum(1 for f in result.findings if f.severity == "warning")
    typer.echo(f"初稿核对：错误 {result.errors} 个，警告 {warnings} 个。请补写【】标出的内容后再报送。")
    raise typer.Exit(1 if result.errors else 0)


@app.command("export")
def export_command(
    sources: Annotated[
        list[Path],
        typer.Argument(metavar="文件", help="填好的工作簿（.xlsx/.xlsm）或数据文档（.json），可多个"),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹")],
    pdf: Annotated[bool, typer.Option("--pdf", help="同时导出 PDF（需要 LibreOffice）")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="同时导出 JSON（数据、得分、校验结果）")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="同时导出各表 CSV（UTF-8，Excel 可直接打开）")] = False,
    force: Annotated[bool, typer.Option("--force", help="有错误也导出，每页页眉标注“未通过校验”")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="允许覆盖同名的、不是本工具生成（或生成后被修改过）的文件")
    ] = False,
) -> None:
    """导出报送材料：先校验，有错误则不导出（除非 --force）；报送版 .xlsx 只有数值、没有公式和宏。

    文件名为“单位_年度_表名”；给出多个文件时，每个文件导出到输出文件夹中以该文件名命名的子文件夹。
    退出码：0 已导出；1 有错误未导出（或 --force 导出）；2 有文件无法使用（其余文件照常导出）。
    """
    from xl_perf import export as exporter
    from xl_perf.io.folders import output_folder

    folders = exporter.subfolders(list(sources), output)
    try:
        with contextlib.ExitStack() as made:  # made if missing; removed again if nothing was exported into them
            made.enter_context(output_folder(output))
            for folder in folders if len(folders) > 1 else ():
                made.enter_context(output_folder(folder))
            outcomes = exporter.export_many(
                list(sources), folders, pdf=pdf, as_json=as_json, as_csv=as_csv, force=force, overwrite=overwrite
            )
    except XlPerfError as exc:
        _fail(exc)
        return
    if len(outcomes) == 1 and outcomes[0].error is not None:
        _fail(outcomes[0].error)
    codes = [_show_export(outcome) for outcome in outcomes]
    raise typer.Exit(max(codes))


def _show_export(outcome: exporter_types.Outcome) -> int:
    """Print what became of one input of `export`; returns its exit code (0, 1 or 2)."""
    from xl_perf.cli import render

    if outcome.error is not None:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True, soft_wrap=True).print(f"[bold red]错误[/]：{escape(str(outcome.error))}", highlight=False)
        return outcome.error.exit_code
    result = outcome.exported
    assert result is not None
    if result.refused:
        render.print_report(result.report)
        typer.echo(
            f"校验发现 {result.report.errors} 个错误，未导出。改正后重试，或加 --force 导出（页眉标注“未通过校验”）。",
            err=True,
        )
        return 1
    for path in result.files:
        typer.echo(f"已导出：{path}")
    return 1 if result.report.errors else 0


@app.command("new")
def new_command(
    year: Annotated[int, typer.Option("--year", "-y", help="评价年度（用 --from 时为新的年度）")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹")],
    framework: Annotated[
        str | None,
        typer.Option("--framework", "-f", help="规则包编号，如 gd-county-zhengti（用 --from 时取自上年材料，可省略）"),
    ] = None,
    unit: Annotated[str, typer.Option("--unit", "-u", help="单位全称")] = "",
    level: Annotated[str | None, typer.Option("--level", help="层级：县、市或镇（默认县）")] = None,
    project: Annotated[list[str] | None, typer.Option("--project", "-p", help="项目名称（可多次给出）")] = None,
    sources: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="上年的工作簿（.xlsx/.xlsm）或数据文档（.json），结转到新年度；可多次给出，每个生成一个工作簿",
        ),
    ] = None,
    macro: Annotated[
        bool, typer.Option("--macro", help="生成 .xlsm：得分由 Python 函数（xlwings）计算，带“校验并导出”等按钮")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="允许覆盖已有的同名文件（默认不覆盖：其中可能已有填写的内容）")
    ] = False,
) -> None:
    """生成空白自评工作簿（.xlsx）：官方表样、输入单元格着色、比率和得分由公式自动计算。

    项目类框架每个项目生成一个工作簿；整体框架把项目名称填入“财政资金情况”的项目行。

    年度结转：--from 上年工作簿 --year 新年度，生成新年度的空白工作簿，带入单位基本信息、联系人、续建项目、
    上年结转与存量资金（规则包中声明的项目），规则文字中的年份按新年度显示，其余留空；逐项列出带入了什么、来自哪个单元格。
    """
    from xl_perf.io.folders import output_folder
    from xl_perf.template import generate
    from xl_perf.template.sources import file_name

    try:
        # The .xlsm variant is the Excel integration's, composed here: the template knows nothing of Excel.
        variant = _macro_variant() if macro else None
        _check_year_level(year, level or "县")
        if output.exists() and not output.is_dir():
            raise XlPerfError(f"-o 应为文件夹，{output} 是一个文件")
        if sources:
            from xl_perf.template import rollover

            if unit or level is not None or project:
                raise XlPerfError("用 --from 时单位、层级和项目取自上年材料，不能同时给出 --unit、--level 或 --project")
            suffix = ".xlsm" if macro else ".xlsx"
            rolled = rollover.roll_all(list(sources), year, framework)
            targets = [output / file_name(doc, suffix) for _, doc, _ in rolled]
            twice = next((t for i, t in enumerate(targets) if t in targets[:i]), None)
            if twice is not None:
                raise XlPerfError(f"有两份上年材料生成同名的新工作簿：{twice.name}；请分别生成到不同的文件夹")
            if not overwrite:
                generate.refuse_existing(targets, OVERWRITE_HINT)
            with output_folder(output):
                for (source, doc, items), target in zip(rolled, targets, strict=True):
                    generate.write_workbook(
                        doc, target, protect=(source,), macro=variant, overwrite=overwrite, replace=overwrite
                    )
                    typer.echo(f"上年材料：{source}")
                    for item in items:
                        typer.echo(f"  {item.describe()}")
                    typer.echo(f"已生成：{target}")
            return
        if framework is None:
            raise XlPerfError("请用 --framework 指定规则包（如 gd-county-zhengti），或用 --from 给出上年的工作簿")
        documents = generate.new_documents(framework, year, unit, level or "县", list(project or []))
        suffix = ".xlsm" if macro else ".xlsx"
        if not overwrite:
            generate.refuse_existing([output / file_name(doc, suffix) for doc in documents], OVERWRITE_HINT)
        with output_folder(output):
            for doc in documents:
                target = output / file_name(doc, suffix)
                generate.write_workbook(doc, target, macro=variant, overwrite=overwrite, replace=overwrite)
                typer.echo(f"已生成：{target}")
    except XlPerfError as exc:
        _fail(exc)


def _macro_variant() -> MacroVariant:
    from xl_perf.excel.project import macro_variant

    return macro_variant()


@app.command("fill")
def fill_command(
    template: Annotated[Path, typer.Argument(metavar="模板", help="xl-perf 生成的模板（.xlsx）")],
    data: Annotated[Path, typer.Argument(metavar="数据文档", help="数据文档（.json）")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出的工作簿（新文件）")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="允许覆盖同名的、不是本工具生成（或生成后被修改过）的文件")
    ] = False,
) -> None:
    """把数据文档填入模板，另存为新的工作簿；模板和数据文档都不会被修改。"""
    from xl_perf.template import generate

    if output.suffix.lower() != ".xlsx":
        _fail(XlPerfError(f"输出文件应以 .xlsx 结尾：{output}"))
    from xl_perf.io.folders import output_folder

    try:
        with output_folder(output.parent):
            generate.fill_template(template, data, output, overwrite=overwrite)
    except XlPerfError as exc:
        _fail(exc)
    typer.echo(f"已生成：{output}")


@app.command("import")
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="文件", help="别人制作的项目支出或部门整体支出绩效自评表（.xlsx/.xlsm/.xls），可多个"),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="输出文件夹（默认与各输入文件同一文件夹）")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="评价年度（表头没有年度时给出）")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="允许覆盖同名的、不是本工具生成（或生成后被修改过）的文件")
    ] = False,
) -> None:
    """导入任意版式的自评表：按表上的文字找到各项内容，写出数据文档（.json），并列出每个值取自哪个单元格、哪些没有找到。

    退出码：0 已导入；2 有文件无法读取或无法识别（其余文件照常导入）。
    """
    from xl_perf.foreign import importer, report
    from xl_perf.io.folders import output_folder

    if year is not None:
        try:
            _check_year_level(year, "县")
        except XlPerfError as exc:
            _fail(exc)
    failed = False
    written: set[Path] = set()
    for source in files:
        try:
            forms = importer.import_file(source, year)
            folder = output if output is not None else source.parent
            with output_folder(folder):
                for form in forms:
                    target = folder / importer.output_name(form, len(forms) > 1)
                    if target.absolute() in written:
                        raise XlPerfError(
                            f"{target.name} 已由本次导入的另一个文件写出：请把同名的文件分别导入到不同的文件夹"
                        )
                    importer.write_json(form, target, overwrite=overwrite)
                    written.add(target.absolute())
                    typer.echo("\n".join(report.lines(form, str(target))))
        except XlPerfError as exc:
            from rich.console import Console
            from rich.markup import escape

            Console(stderr=True, soft_wrap=True).print(f"[bold red]错误[/]：{escape(str(exc))}", highlight=False)
            failed = True
    raise typer.Exit(2 if failed else 0)


@app.command("dump")
def dump_command(
    workbook: Annotated[
        Path, typer.Argument(metavar="工作簿", help="填好的工作簿（.xlsx；Excel、WPS、LibreOffice 保存的均可）")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 数据文档（默认输出摘要）")] = False,
) -> None:
    """读出工作簿中填写的全部内容，得到数据文档；工作簿不会被修改。"""
    from xl_perf.template import sources

    try:
        data = sources.dump(workbook)
    except XlPerfError as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    fields = data.get("fields", {})
    count = sum(len(v) for v in fields.values() if isinstance(v, dict | list)) if isinstance(fields, dict) else 0
    scores = data.get("scores", {})
    typer.echo(
        f"{data['unit']} {data['year']}年度 {_form_name(data)}：已填字段 {count} 项，"
        f"填报得分 {len(scores) if isinstance(scores, dict | list) else 0} 项（加 --json 输出全部内容）"
    )


def _form_name(data: dict[str, object]) -> str:
    """The form's Chinese title and pack id, as `score` shows them: 整体绩效自评指标评分表（gd-county-zhengti）."""
    from xl_perf.rules import loader
    from xl_perf.rules.text import context, render

    pack = loader.load(str(data["framework"]))
    level = str(data.get("level") or "")
    words = pack.level_words(level if level in pack.levels else next(iter(pack.levels)))
    year = data["year"]
    return f"{render(pack.title, context(year if isinstance(year, int) else 2025, words))}（{pack.id}）"


@app.command("batch")
def batch_command(
    folder: Annotated[Path, typer.Argument(metavar="文件夹", help="存放工作簿的文件夹（含子文件夹）")],
    output: Annotated[Path, typer.Option("--output", "-o", help="汇总工作簿（.xlsx，新文件或覆盖旧的汇总）")],
    as_json: Annotated[bool, typer.Option("--json", help="同时在标准输出打印 JSON 汇总（供程序使用）")] = False,
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="并行进程数（默认：CPU 核数，最多 8）", show_default=False)
    ] = 0,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="允许覆盖同名的、不是本工具生成（或生成后被修改过）的文件")
    ] = False,
    export_to: Annotated[
        Path | None,
        typer.Option(
            "--export", help="同时把没有错误的工作簿导出报送材料到此文件夹（每个工作簿一个子文件夹，按相对路径命名）"
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="与 --export 一起：同时导出 PDF（全部共用一个 LibreOffice）")
    ] = False,
) -> None:
    """批量校验、计分文件夹中的全部工作簿，生成汇总工作簿。

    汇总工作簿含：每个工作簿一行（单位、项目、金额、预算执行率、得分、等级、错误和警告数、文件链接），
    各单位合计与自评覆盖面，等级分布及图表，全部校验发现，无法读取的文件及原因。
    无法读取的文件不会中断批量处理。退出码：0 没有错误；1 有错误；2 有文件无法读取或参数有误。
    """
    from xl_perf import batch
    from xl_perf.io.folders import output_folder

    try:
        if not folder.is_dir():
            raise XlPerfError(f"文件夹不存在：{folder}")
        if output.suffix.lower() != ".xlsx":
            raise XlPerfError(f"汇总工作簿应以 .xlsx 结尾：{output}")
        if workers < 0 or workers > 64:
            raise XlPerfError(f"--workers 应为 1–64 之间的整数，实为 {workers}")
        if pdf and export_to is None:
            raise XlPerfError("--pdf 需要与 --export 文件夹 一起使用")
        batch.check_output(output, overwrite=overwrite)
        count = workers or min(8, os.cpu_count() or 1)
        result = _run_batch(folder, output, count)
        with output_folder(output.parent):
            batch.write_summary(result, output, overwrite=overwrite)
    except XlPerfError as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(batch.as_json(result), ensure_ascii=False, indent=2) + "\n")
    from xl_perf.cli import render

    render.print_batch(result, output, stderr=as_json)
    exported = 0 if export_to is None else _batch_export(result, export_to, pdf=pdf, overwrite=overwrite)
    if result.bad or exported == 2:
        raise typer.Exit(2)
    raise typer.Exit(1 if result.errors else 0)


def _batch_export(result: BatchResult, export_to: Path, *, pdf: bool, overwrite: bool) -> int:
    """`batch --export`: the submission files of every workbook the batch read without an error, one subfolder each
    (its path under the batch folder), every PDF from one LibreOffice. Returns 2 when one could not be exported."""
    from xl_perf import export as exporter
    from xl_perf.io.folders import output_folder
    from xl_perf.io.safe_write import safe_stem

    items = [i for i in result.read if not i.errors]
    folders: list[Path] = []
    for item in items:
        folder = export_to.joinpath(*(safe_stem(part) for part in Path(item.shown).with_suffix("").parts))
        base, n = folder, 1
        while str(folder).casefold() in {str(f).casefold() for f in folders}:  # a.xlsx and a.xlsm side by side
            n += 1
            folder = base.with_name(f"{base.name}-{n}")
        folders.append(folder)
    try:
        with contextlib.ExitStack() as made:  # made if missing; removed again if nothing was exported into them
            for folder in dict.fromkeys([export_to, *folders]):
                made.enter_context(output_folder(folder))
            outcomes = exporter.export_many([i.path for i in items], folders, pdf=pdf, overwrite=overwrite)
    except XlPerfError as exc:
        _fail(exc)
        return 2
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        _show_export(outcome)
    skipped = len(result.read) - len(items)
    done = len(outcomes) - len(failed)
    note = f"；{skipped} 个有错误的工作簿未导出" if skipped else ""
    typer.echo(f"已导出 {done} 个工作簿的报送材料到 {export_to}{note}", err=True)
    return 2 if failed else 0


def _run_batch(folder: Path, output: Path, workers: int) -> BatchResult:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from xl_perf import batch

    total = len(batch.discover(folder, exclude=[output]))
    console = Console(stderr=True)
    # Refreshed by hand: no progress thread may run while the worker processes are forked.
    with Progress(
        TextColumn("校验中"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        auto_refresh=False,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("batch", total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)
            progress.refresh()

        return batch.run(folder, workers=workers, exclude=[output], progress=advance)


excel_app = ChineseTyper(help="Excel 集成：安装加载项、诊断常见问题。", no_args_is_help=True)
app.add_typer(excel_app, name="excel")


@excel_app.command("install")
def excel_install_command(
    folder: Annotated[
        Path | None, typer.Option("--dir", help="写到指定文件夹（默认：Excel 加载项文件夹和 ~/.xlwings）")
    ] = None,
) -> None:
    """安装“绩效自评”加载项（xl-perf.xlam）并写入 xlwings 配置（Python 路径、UDF 模块）。"""
    from xl_perf.excel import setup

    if folder is None and not sys.platform.startswith("win"):
        _fail(XlPerfError("加载项需要 Windows 版 Excel；在其他系统上请用 --dir 指定输出文件夹"))
    try:
        for path in setup.install(folder=folder):
            typer.echo(f"已写入：{path}")
    except XlPerfError as exc:
        _fail(exc)
    if folder is None:
        typer.echo("请在 Excel 中：文件 → 选项 → 加载项 → 管理“Excel 加载项”→ 转到 → 勾选 xl-perf。")


@excel_app.command("doctor")
def excel_doctor_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="工作簿", help="同时检查这些工作簿是否带有“来自网络”标记（可省略）", show_default=False),
    ] = None,
) -> None:
    """诊断 Excel 调用 Python 的常见问题并给出修复方法。"""
    from rich.console import Console
    from rich.table import Table

    from xl_perf.excel import setup

    checks = setup.doctor(workbooks=tuple(files or ()))
    table = Table(header_style="bold")
    for title in ("检查项", "结果", "情况", "修复方法"):
        table.add_column(title, overflow="fold")
    results = {True: "[green]正常[/]", False: "[red]有问题[/]", None: "[yellow]无法检查[/]"}
    for check in checks:
        table.add_row(check.name, results[check.ok], check.detail, check.fix if check.ok is False else "")
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    raise typer.Exit(1 if any(c.ok is False for c in checks) else 0)


@excel_app.command("unblock")
def excel_unblock_command(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="工作簿", help="要解除锁定的工作簿（.xlsx/.xlsm），可多个", show_default=False),
    ],
) -> None:
    """解除工作簿的“来自网络”锁定，使 Excel 能启用其中的宏。

    从网络或邮件得到的工作簿带有“来自网络”标记，Excel 会直接禁用其中的宏；本命令清除该标记。
    """
    from xl_perf.excel import setup

    for path in files:
        try:
            cleared = setup.unblock(path)
        except XlPerfError as exc:
            _fail(exc)
        typer.echo(f"已解除锁定：{path}" if cleared else f"无需解除：{path} 没有“来自网络”标记")


@excel_app.command(
    "selftest",
    help="在装有 Excel 的 Windows 电脑上自测整条链路。\n\n生成带宏的模板，用 Excel 打开，通过 COM 输入并重算 UDF，"
    "用 Application.Run 运行“校验”和“导出”按钮的宏，读取“校验结果”，打开导出的报送版；"
    "最后打印可粘贴到问题单的结果表（含 Excel、Windows、Python、xlwings 版本和代码页）。"
    "全部通过时退出码为 0，否则为 1。",
)
def excel_selftest_command(
    folder: Annotated[
        Path | None, typer.Option("--dir", help="生成自测文件的文件夹（默认：新建的临时文件夹，结束后保留）")
    ] = None,
) -> None:
    import tempfile

    from xl_perf.excel import selftest

    target = folder or Path(tempfile.mkdtemp(prefix="xl-perf-selftest-"))
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(XlPerfError(f"无法使用文件夹 {target}：{describe_os_error(exc)}"))
    typer.echo(f"自测文件夹：{target}（Excel 弹出“已导出”等提示框时请点“确定”）")
    try:
        steps, versions = selftest.run(target)
    except XlPerfError as exc:
        _fail(exc)
    typer.echo(selftest.table(steps, versions))
    raise typer.Exit(0 if all(step.ok for step in steps) else 1)


def main() -> None:
    from typer import _click
    from typer.main import get_command

    from xl_perf.cli import params

    try:
        command = get_command(app)
        params.install(command)  # values converted plainly: parsing a command line imports no pydantic
        # Not standalone: usage errors come back here and are said in Chinese (chinese.explain), not by click.
        code = command(standalone_mode=False, prog_name="xl-perf")
    except _click.exceptions.ClickException as exc:
        sys.exit(show_usage_error(exc))
    except typer.Abort:
        print("已中断。", file=sys.stderr)
        sys.exit(1)
    except XlPerfError as exc:  # pragma: no cover - commands catch their own; this is the last net
        print(f"错误：{exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        sys.exit(130)
    except (OSError, MemoryError, RecursionError) as exc:  # the machine, not xl-perf: disk full, no memory, ...
        if os.environ.get("XL_PERF_DEBUG"):
            raise
        from xl_perf.errors import describe_os_error

        if isinstance(exc, OSError):
            reason = describe_os_error(exc)
            where = f"（{exc.filename}）" if exc.filename else ""
        else:
            reason, where = "内存不足或输入嵌套过深，已中止", ""
        print(f"错误：{reason}{where}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # a defect of xl-perf, not of the input: say so plainly instead of a traceback
        if os.environ.get("XL_PERF_DEBUG"):
            raise
        print(
            f"xl-perf 内部错误（{type(exc).__name__}：{exc}）。请把命令和输入文件反馈给开发者；"
            "设置环境变量 XL_PERF_DEBUG=1 可显示详细信息。",
            file=sys.stderr,
        )
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)
