"""`xl-perf batch`: check and score every workbook under a folder in parallel, then summarise them.

Files are read in worker processes. A worker reads each file the way `open_untrusted` does (the guard's inspection
first) but in its own process, which is memory-capped and disposable: starting a child per file would cost more
than reading the file. If a file kills its worker (a reader abort), the pool breaks; every file whose result was
not yet in is then read again, each in a child process of its own, so the culprit is reported and the rest are not
lost.

Results travel back as small records. The documents come too (their rule pack by id), for the checks between the
files of one unit, with a trimmed snapshot of the cells those checks point at.
"""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import os
import posixpath
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xl_perf.errors import Location, XlPerfError
from xl_perf.findings import Finding, Ref
from xl_perf.model import document
from xl_perf.rules import loader, model

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Spreadsheet files that are found and listed as unreadable (with the guard's explanation), not silently skipped.
OTHER_SPREADSHEETS = (".xls", ".et", ".ett", ".xlsb", ".ods", ".xltx", ".xltm", ".csv")
KIND_NAMES = {"xiangmu": "项目支出", "zhengti": "部门整体"}

Progress = Callable[[int], None]


@dataclass
class Item:
    """One file of the batch: what the summary shows about it."""

    path: Path
    shown: str  # path relative to the batch folder, with "/"
    problem: str = ""  # why the file could not be read; empty when it was
    framework: str = ""
    kind: str = ""
    unit: str = ""
    year: int | None = None
    project: str = ""
    amount: Decimal | None = None
    execution: Decimal | None = None
    score: Decimal | None = None
    stated: Decimal | None = None
    grade: str = ""
    self_evaluated: bool = False
    findings: list[Finding] = field(default_factory=list)
    doc: document.Document | None = None
    kept: str = ""  # for a resubmitted older copy: the newer file of the same unit, year and form that counts

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def _ratio(part: int, whole: int) -> Decimal | None:
    """A share as shown in percent with two decimals (half-up), None when there is nothing to divide by."""
    from xl_perf.numbers import round_half_up

    return None if not whole else round_half_up(Decimal(part) / Decimal(whole), 4)


@dataclass
class UnitSummary:
    unit: str
    items: list[Item]
    required: int | None  # projects that must be self-evaluated, when a 整体 workbook declares them
    evaluated: int  # project workbooks with a self-evaluation in them
    missing: list[str]  # projects listed in the 整体 workbook without a project workbook

    @property
    def coverage(self) -> Decimal | None:
        return _ratio(self.evaluated, self.required_or_found)

    @property
    def required_or_found(self) -> int:
        """Required projects: as declared, but never fewer than the project workbooks actually found."""
        found = sum(1 for i in self.items if i.kind == "xiangmu")
        return max(self.required or 0, found)


@dataclass
class BatchResult:
    root: Path
    items: list[Item]  # every file counted (a resubmitted workbook once, its newest copy)
    units: list[UnitSummary]
    duplicates: list[Item] = field(default_factory=list)  # older copies of resubmitted workbooks (重复提交)

    @property
    def read(self) -> list[Item]:
        return [i for i in self.items if not i.problem]

    @property
    def bad(self) -> list[Item]:
        return [i for i in self.items if i.problem]

    @property
    def errors(self) -> int:
        return sum(i.errors for i in self.items)

    @property
    def warnings(self) -> int:
        return sum(i.warnings for i in self.items)

    @property
    def required(self) -> int:
        return sum(u.required_or_found for u in self.units)

    @property
    def evaluated(self) -> int:
        return sum(u.evaluated for u in self.units)

    @property
    def coverage(self) -> Decimal | None:
        return _ratio(self.evaluated, self.required)

    def grades(self) -> dict[str, Counter[str]]:
        """Kind -> grade -> count, over the workbooks that were read."""
        result: dict[str, Counter[str]] = defaultdict(Counter)
        for item in self.read:
            if item.grade:
                result[item.kind][item.grade] += 1
        return dict(result)


# ------------------------------------------------------------------------------------------------ finding the files


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: it is only itself
        return path.absolute()


def discover(root: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Workbooks (and other spreadsheet files, to be listed as unreadable) under `root`, in a stable order.
    Skips Office lock files (~$...), hidden files and folders, xl-perf temp files and the `exclude` paths."""
    exclude = list(exclude)
    excluded = {_resolved(p) for p in exclude}
    excluded_names = {p.name for p in [*exclude, *excluded]}  # resolve() only the files that might be one of them
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(("~$", ".")):
                continue
            path = Path(folder) / name
            if path.suffix.lower() not in WORKBOOK_SUFFIXES + OTHER_SPREADSHEETS:
                continue
            if name not in excluded_names or _resolved(path) not in excluded:
                found.append(path)
    return found


# ------------------------------------------------------------------------------------------------ one file


def _summary_cell(doc: document.Document, cell_id: str) -> Decimal | None:
    cell = doc.pack.cells.get(cell_id)
    if cell is None:
        return None
    for row in doc.tables.get(cell.table, []):
        if row.row_id == cell.row:
            value = row.values.get(cell.column)
            return value if isinstance(value, Decimal) else None
    return None


def check_file(path: Path, shown: str, *, isolated: bool) -> Item:
    """Read, score and check one file. `isolated`: read it in a child process of its own (after a crash).
    A defect of xl-perf on one file is reported as that file's problem; it does not end the batch."""
    try:
        return _check_file(path, shown, isolated=isolated)
    except Exception as exc:
        return Item(
            path,
            shown,
            problem=f"xl-perf 内部错误（{type(exc).__name__}：{exc}），未能校验；请把该文件反馈给开发者",
        )


def _check_file(path: Path, shown: str, *, isolated: bool) -> Item:
    from xl_perf.io.workbook import open_untrusted, read_checked
    from xl_perf.template import read
    from xl_perf.validate.run import check_loaded

    item = Item(path, shown)
    try:
        if path.suffix.lower() not in WORKBOOK_SUFFIXES:
            from xl_perf.io import guard

            guard.inspect(path)  # explains what the file really is (.xls, .et, renamed, ...)
            raise XlPerfError("不是 .xlsx/.xlsm 工作簿", Location(file=str(path)))
        book = open_untrusted(path) if isolated else read_checked(path)
        doc = read.read_document(book, lenient=True)
    except XlPerfError as exc:
        item.problem = exc.message
        return item
    except MemoryError:
        item.problem = "读取时内存不足，文件可能过大或被恶意构造"
        return item
    checked = check_loaded(path, doc, read.locator(book, doc))
    evaluation = checked.evaluation
    summary = doc.pack.summary
    item.framework = doc.pack.id
    item.kind = doc.pack.kind
    item.unit = doc.unit
    item.year = doc.year
    project = doc.fields.get("project_name")
    item.project = project if isinstance(project, str) else ""
    item.amount = _summary_cell(doc, summary.amount) if summary.amount else None
    rate = evaluation.rates.get(summary.execution) if summary.execution else None
    item.execution = rate.value if rate is not None else None
    item.score = evaluation.total
    item.stated = evaluation.stated_total
    item.grade = evaluation.grade
    item.self_evaluated = evaluation.stated_total is not None or bool(doc.stated_scores) or doc.rows_have_scores
    item.findings = checked.findings
    item.doc = doc
    return item


def _ship(item: Item) -> Item:
    """The item as it crosses to the main process: the document without its rule pack (restored by id there)."""
    if item.doc is None:
        return item
    doc = copy.copy(item.doc)
    doc.pack = None  # type: ignore[assignment]
    return dataclasses.replace(item, doc=doc)


def _land(item: Item) -> Item:
    if item.doc is not None and item.doc.pack is None:
        item.doc.pack = loader.load(item.framework)
    return item


class _FileTimedOut(BaseException):
    """Raised in a worker by the per-file alarm. A BaseException, so no `except Exception` of the checking code
    swallows it."""


MSG_FILE_TIMEOUT = "校验超时（超过 {seconds:g} 秒），已跳过；文件可能过大或被恶意构造"
MSG_FILE_MEMORY = "读取时内存不足，文件可能过大或被恶意构造"


@dataclass(frozen=True)
class FileLimits:
    """What one file may cost a batch: seconds of checking, and bytes of address space of the worker reading it."""

    seconds: float
    memory_bytes: int


MIN_WORKER_BYTES = 384 * 1024 * 1024


def memory_budget() -> int:
    """Bytes all workers together may use: 60% of the physical memory, at most 8 GiB (the machine is also used
    for other things while a county's batch runs)."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        total = 4 * 1024**3
    return max(MIN_WORKER_BYTES, min(int(total * 0.6), 8 * 1024**3))


def plan_workers(workers: int, budget: int | None = None) -> tuple[int, FileLimits]:
    """The number of workers and each one's limits such that workers x memory limit <= budget: fewer workers
    rather than workers too small to read an ordinary workbook."""
    from xl_perf.io.guard import Limits

    limits = Limits()
    budget = memory_budget() if budget is None else budget
    workers = max(1, min(workers, budget // MIN_WORKER_BYTES))
    share = min(limits.memory_bytes, budget // workers)
    return workers, FileLimits(limits.timeout_s, share)


def _check_chunk(paths: list[tuple[Path, str]], isolated: bool, seconds: float = 0.0) -> list[Item]:
    return [_ship(_check_with_alarm(path, shown, isolated, seconds)) for path, shown in paths]


def _check_with_alarm(path: Path, shown: str, isolated: bool, seconds: float) -> Item:
    """`check_file` under a per-file time limit (POSIX: an interval timer in this worker; the pool's watchdog
    catches a worker stuck where the alarm cannot reach)."""
    import signal

    if seconds <= 0 or not hasattr(signal, "setitimer"):
        return check_file(path, shown, isolated=isolated)

    def expire(signum: int, frame: object) -> None:
        raise _FileTimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return check_file(path, shown, isolated=isolated)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _FileTimedOut:
        return Item(path, shown, problem=MSG_FILE_TIMEOUT.format(seconds=seconds))
    except MemoryError:
        return Item(path, shown, problem=MSG_FILE_MEMORY)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _init_worker(memory_bytes: int) -> None:
    from xl_perf.io import guard

    guard.quiet_child_output()
    guard.apply_child_limits(memory_bytes)


# ------------------------------------------------------------------------------------------------ the run


def _context() -> Any:
    # Linux: fork. Workers start in milliseconds with xl-perf already imported, and there is no main module to
    # re-import. The executor forks all its workers before it starts its own thread, and the caller runs no thread
    # of its own (the progress bar is refreshed by hand), so no lock can be held across the fork.
    # Elsewhere fork is unsafe (macOS) or missing (Windows): spawn.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _chunks(items: list[tuple[Path, str]], workers: int) -> list[list[tuple[Path, str]]]:
    # Several files per task keep the inter-process traffic low; enough tasks keep every worker busy to the end.
    size = max(1, min(16, len(items) // (workers * 8)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _run_pool(
    jobs: list[tuple[Path, str]],
    workers: int,
    isolated: bool,
    progress: Progress,
    limits: FileLimits | None = None,
) -> tuple[list[Item], list[tuple[Path, str]], set[tuple[Path, str]]]:
    """Items of the files done; the files whose results were lost when a worker died or hung; of those, the ones
    still running when the watchdog stopped the workers."""
    if limits is None:
        workers, limits = plan_workers(workers)
    done: list[Item] = []
    lost: list[tuple[Path, str]] = []
    hung: set[tuple[Path, str]] = set()
    if not jobs:
        return done, lost, hung
    chunks = _chunks(jobs, workers)
    # A watchdog for workers stuck where their alarm cannot reach (inside a C library): when no task has finished
    # for this long, every worker is stopped and the unfinished files are read again, each on its own.
    patience = limits.seconds * max(len(c) for c in chunks) * 1.5 + 5
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_context(), initializer=_init_worker, initargs=(limits.memory_bytes,)
    ) as pool:
        pending: dict[Future[list[Item]], list[tuple[Path, str]]] = {
            pool.submit(_check_chunk, chunk, isolated, limits.seconds): chunk for chunk in chunks
        }
        while pending:
            finished, _ = wait(pending, timeout=patience, return_when=FIRST_COMPLETED)
            if not finished:
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.kill()
                for chunk in pending.values():
                    lost += chunk
                    hung.update(chunk)
                pending = {}
                break
            for future in finished:
                chunk = pending.pop(future)
                try:
                    items = future.result()
                except BrokenProcessPool:
                    lost += chunk
                    continue
                done += [_land(i) for i in items]
                progress(len(chunk))
    return done, lost, hung


def run(
    root: Path,
    *,
    workers: int = 2,
    exclude: Iterable[Path] = (),
    progress: Progress = lambda n: None,
    file_seconds: float | None = None,
) -> BatchResult:
    """Check every workbook under `root`; never stops at a bad file. Each file has `file_seconds` (default: the
    reader's timeout) and a share of the memory budget; one over either is reported, and the batch goes on."""
    root = Path(root)
    paths = discover(root, exclude)
    jobs = [(p, p.relative_to(root).as_posix()) for p in paths]
    _warm_up()
    workers, limits = plan_workers(workers)
    if file_seconds is not None:
        limits = FileLimits(file_seconds, limits.memory_bytes)
    items, lost, _ = _run_pool(jobs, workers, False, progress, limits)
    if lost:
        retried, still_lost, hung = _run_pool(lost, workers, True, progress, limits)
        items += retried
        for path, shown in still_lost:
            from xl_perf.io.guard import MSG_CHILD_CRASH

            timed_out = MSG_FILE_TIMEOUT.format(seconds=limits.seconds)
            items.append(Item(path, shown, problem=timed_out if (path, shown) in hung else MSG_CHILD_CRASH))
            progress(1)
    items.sort(key=lambda i: i.shown)
    items, duplicates = split_resubmitted(items)
    _check_units(items)
    return BatchResult(root, items, summarise_units(items), duplicates)


def files_line(result: BatchResult) -> str:
    """The batch in one line, every file found counted: 共 3 个文件（其中 1 个重复提交未计入）：已读取 2 个，…"""
    found = len(result.items) + len(result.duplicates)
    dropped = f"（其中 {len(result.duplicates)} 个重复提交未计入）" if result.duplicates else ""
    counted = "计入" if result.duplicates else "已读取"
    return (
        f"共 {found} 个文件{dropped}：{counted} {len(result.read)} 个，无法读取 {len(result.bad)} 个；"
        f"错误 {result.errors} 条，警告 {result.warnings} 条。"
    )


def submission_key(item: Item) -> tuple[str, int | None, str, str] | None:
    """What makes two files the same submission: unit, year and form (and the project, for a project form). None
    for a file that cannot be told apart (unreadable, no unit filled in, or a project form without its project's
    name: two projects of one unit must not be taken for one resubmitted form): it is always counted."""
    if item.problem or not item.unit.strip() or (item.kind == "xiangmu" and not item.project.strip()):
        return None
    return (item.unit.strip(), item.year, item.framework, item.project.strip() if item.kind == "xiangmu" else "")


def _modified(item: Item) -> int:
    try:
        return item.path.stat().st_mtime_ns
    except OSError:  # gone since it was read: the oldest
        return 0


def split_resubmitted(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """A workbook submitted twice counts once: of the files with the same submission key the newest by modification
    time counts (equal times: the later name, as "（修改）" or "-2" copies sort after the original); the others are
    returned as duplicates, each naming the file that counts instead."""
    groups: dict[tuple[str, int | None, str, str], list[Item]] = defaultdict(list)
    for item in items:
        key = submission_key(item)
        if key is not None:
            groups[key].append(item)
    older: set[int] = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        newest = max(group, key=lambda i: (_modified(i), i.shown))
        for item in group:
            if item is not newest:
                item.kept = newest.shown
                older.add(id(item))
    return [i for i in items if id(i) not in older], [i for i in items if id(i) in older]


def _warm_up() -> None:
    """Import the checking code before the pool starts: forked workers inherit it instead of each importing it.
    Rule packs are loaded where they are needed (a worker loads those of the files it reads, in parallel with the
    others; this process those of the results it receives): a folder rarely holds every kind of workbook."""
    from xl_perf.io import guard, workbook  # noqa: F401
    from xl_perf.template import read  # noqa: F401
    from xl_perf.validate import run  # noqa: F401


def _located_later(item: Item) -> Callable[[Ref], Location]:
    """Where a finding between files sits in `item`'s workbook. Such findings are rare, so workers do not send the
    places of every file back; the workbook is read again (in a child process) for the first finding that needs
    them. If it cannot be read again (changed or removed since), the finding names the file alone."""
    located: list[Callable[[Ref], Location]] = []

    def locate(ref: Ref) -> Location:
        if not located:
            from xl_perf.io.workbook import open_untrusted
            from xl_perf.template.read import locator

            assert item.doc is not None
            try:
                located.append(locator(open_untrusted(item.path), item.doc))
            except (XlPerfError, MemoryError):
                located.append(lambda _ref: Location(file=str(item.path)))
        return located[0](ref)

    return locate


def _check_units(items: list[Item]) -> None:
    """Findings between the files of one unit (same project lists, amounts, year)."""
    from xl_perf.validate.run import Checked, check_together

    by_unit: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.doc is not None and item.unit:
            by_unit[item.unit].append(item)
    for group in by_unit.values():
        if len(group) < 2:
            continue
        checked = []
        for item in group:
            assert item.doc is not None
            checked.append(Checked(item.path, item.doc, None, _located_later(item), []))  # type: ignore[arg-type]
        check_together(checked)
        for item, result in zip(group, checked, strict=True):
            item.findings += result.findings


def summarise_units(items: list[Item]) -> list[UnitSummary]:
    by_unit: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if not item.problem:
            by_unit[item.unit or "（未填单位）"].append(item)
    units = []
    for unit, group in sorted(by_unit.items()):
        required: int | None = None
        listed: list[str] = []
        for item in group:
            if item.kind != "zhengti" or item.doc is None:
                continue
            count, names = _required_projects(item.doc)
            if count is not None:
                required = (required or 0) + count
            listed += names
        projects = {i.project for i in group if i.kind == "xiangmu"}
        evaluated = sum(1 for i in group if i.kind == "xiangmu" and i.self_evaluated)
        missing = [name for name in listed if name not in projects]
        units.append(UnitSummary(unit, group, required, evaluated, missing))
    return units


def _required_projects(doc: document.Document) -> tuple[int | None, list[str]]:
    """How many projects the unit must self-evaluate, and their names where listed, as its 整体 workbook says."""
    spec: model.CoverageSpec | None = doc.pack.summary.required
    if spec is None:
        return None, []
    if spec.field:
        value = doc.fields.get(spec.field)
        return (int(value) if isinstance(value, Decimal) else None), []
    from xl_perf.validate.checks import project_name_of

    names = [
        name
        for row in doc.tables.get(spec.table, [])
        if row.row_id in spec.rows and (name := project_name_of(row.label))
    ]
    return len(names), names


# ------------------------------------------------------------------------------------------------ the summary


def percent_text(value: Decimal | None) -> str:
    return "" if value is None else f"{(value * 100).quantize(Decimal('0.01'))}%"


def _status(item: Item) -> str:
    if item.problem:
        return "无法读取"
    if item.errors:
        return "有错误"
    return "有警告" if item.warnings else "通过"


def summary_tables(result: BatchResult, target: Path) -> tuple[list[Any], list[Any]]:
    """The sheets and the chart of the summary workbook at `target` (links are relative to its folder)."""
    from xl_perf.findings import SEVERITY_LABELS
    from xl_perf.io.summary_writer import Column, ColumnChart, Link, Table
    from xl_perf.validate.catalogue import title_of

    # Relative to the summary's folder; resolved once (one resolve() per file costs more than the rest of a row).
    root_link = Path(os.path.relpath(result.root.resolve(), target.resolve().parent)).as_posix()

    def link(item: Item) -> Link:
        return Link(posixpath.normpath(posixpath.join(root_link, item.shown)), item.shown)

    coverage = result.coverage
    overview = files_line(result)
    if result.duplicates:
        overview += "重复提交的较早版本见“重复提交”表。"
    coverage_line = (
        f"自评覆盖面 {percent_text(coverage)}（已自评项目 {result.evaluated} 个 / 应自评项目 {result.required} 个）"
        if coverage is not None
        else "自评覆盖面：未找到项目支出自评表，也没有整体自评表列明应自评的项目"
    )
    rows = []
    for n, item in enumerate(result.items, 1):
        rows.append(
            [
                n,
                link(item),
                item.unit,
                KIND_NAMES.get(item.kind, ""),
                item.project,
                item.amount,
                item.execution,
                item.stated,
                item.score,
                item.grade,
                item.errors,
                item.warnings,
                _status(item),
            ]
        )
    workbooks = Table(
        "汇总",
        "绩效自评工作簿汇总",
        [
            Column("序号", "int", 6),
            Column("文件", "link", 36),
            Column("单位", "text", 24),
            Column("表别", "text", 9),
            Column("项目名称", "text", 30),
            Column("金额（万元）", "money", 14),
            Column("预算执行率", "percent", 11),
            Column("填报得分", "score", 9),
            Column("复核得分", "score", 9),
            Column("等级", "text", 6),
            Column("错误", "int", 6),
            Column("警告", "int", 6),
            Column("状态", "text", 9),
        ],
        rows,
        notes=[overview, coverage_line],
        totals=[
            None,
            f"合计 {len(result.items)} 个文件（金额为项目支出合计）",
            None,
            None,
            None,
            sum((i.amount for i in result.read if i.amount is not None and i.kind == "xiangmu"), Decimal(0)),
            None,
            None,
            None,
            None,
            result.errors,
            result.warnings,
            None,
        ],
    )
    unit_rows = []
    for unit in result.units:
        projects = [i for i in unit.items if i.kind == "xiangmu"]
        scores = [i.score for i in projects if i.score is not None]
        average = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01")) if scores else None
        unit_rows.append(
            [
                unit.unit,
                len(unit.items),
                len(projects),
                sum((i.amount for i in projects if i.amount is not None), Decimal(0)),
                average,
                sum(i.errors for i in unit.items),
                sum(i.warnings for i in unit.items),
                unit.required_or_found,
                unit.evaluated,
                unit.coverage,
                "、".join(unit.missing),
            ]
        )
    units = Table(
        "单位汇总",
        "各单位汇总与自评覆盖面",
        [
            Column("单位", "text", 26),
            Column("工作簿数", "int", 9),
            Column("项目自评表数", "int", 11),
            Column("项目金额合计（万元）", "money", 16),
            Column("项目平均得分", "score", 11),
            Column("错误", "int", 6),
            Column("警告", "int", 6),
            Column("应自评项目数", "int", 11),
            Column("已自评项目数", "int", 11),
            Column("自评覆盖面", "percent", 11),
            Column("未提交自评表的项目", "text", 40),
        ],
        unit_rows,
        notes=["应自评项目数：整体自评表所列项目数与实际提交的项目自评表数中的较大者；已自评：项目自评表中填有得分。"],
        totals=[
            "合计",
            sum(len(u.items) for u in result.units),
            sum(1 for i in result.read if i.kind == "xiangmu"),
            sum((i.amount for i in result.read if i.kind == "xiangmu" and i.amount is not None), Decimal(0)),
            None,
            sum(r[5] for r in unit_rows),
            sum(r[6] for r in unit_rows),
            result.required,
            result.evaluated,
            coverage,
            None,
        ],
    )
    grades = result.grades()
    kinds = [k for k in ("xiangmu", "zhengti") if k in grades]
    bands = _grade_names(result)
    grade_rows: list[list[Any]] = [
        [band, *(grades[k][band] for k in kinds), sum(grades[k][band] for k in kinds)] for band in bands
    ]
    distribution = Table(
        "等级分布",
        "自评等级分布（按复核得分）",
        [Column("等级", "text", 8), *(Column(KIND_NAMES[k], "int", 10) for k in kinds), Column("合计", "int", 8)],
        grade_rows,
        notes=[overview, coverage_line],
        totals=["合计", *(sum(grades[k].values()) for k in kinds), sum(sum(grades[k].values()) for k in kinds)],
        filter=False,
    )
    finding_rows = []
    for item in result.items:
        for finding in sorted(item.findings, key=lambda f: ("error", "warning", "info").index(f.severity)):
            finding_rows.append(
                [
                    len(finding_rows) + 1,
                    link(item),
                    item.unit,
                    item.project,
                    SEVERITY_LABELS[finding.severity],
                    title_of(finding.code),
                    finding.location.sheet or "",
                    finding.location.cell or "",
                    finding.message,
                ]
            )
    findings = Table(
        "问题清单",
        "全部校验发现",
        [
            Column("序号", "int", 6),
            Column("文件", "link", 32),
            Column("单位", "text", 22),
            Column("项目名称", "text", 24),
            Column("严重程度", "text", 8),
            Column("类别", "text", 22),
            Column("工作表", "text", 14),
            Column("单元格", "text", 8),
            Column("说明", "text", 70),
        ],
        finding_rows,
    )
    bad = Table(
        "无法读取",
        "无法读取的文件",
        [Column("序号", "int", 6), Column("文件", "link", 40), Column("原因", "text", 90)],
        [[n, link(i), i.problem] for n, i in enumerate(result.bad, 1)],
    )
    chart = ColumnChart("等级分布", "自评等级分布", list(range(1, len(kinds) + 1)), "等级", "工作簿数")
    sheets = [workbooks, units, distribution, findings, bad]
    if result.duplicates:
        sheets.append(_duplicates_table(result, link))
    return sheets, [chart] if kinds else []


def _duplicates_table(result: BatchResult, link: Callable[[Item], Any]) -> Any:
    """重复提交: the older copies of resubmitted workbooks, not counted, each beside the file that counts."""
    from xl_perf.io.summary_writer import Column, Table

    by_shown = {i.shown: i for i in result.items}
    rows = [
        [
            n,
            link(item),
            item.unit,
            item.year,
            KIND_NAMES.get(item.kind, ""),
            item.project,
            item.score,
            link(by_shown[item.kept]) if item.kept in by_shown else item.kept,
        ]
        for n, item in enumerate(result.duplicates, 1)
    ]
    return Table(
        "重复提交",
        "重复提交的工作簿（未计入汇总）",
        [
            Column("序号", "int", 6),
            Column("未计入的文件", "link", 36),
            Column("单位", "text", 24),
            Column("年度", "int", 7),
            Column("表别", "text", 9),
            Column("项目名称", "text", 30),
            Column("复核得分", "score", 9),
            Column("以此文件为准（修改时间较新）", "link", 36),
        ],
        rows,
        notes=[
            f"同一单位、同一年度、同一张表（项目表为同一项目）提交了多份，以修改时间最新的一份为准；"
            f"以下 {len(result.duplicates)} 份较早的未计入汇总、单位汇总和等级分布。"
        ],
    )


def _grade_names(result: BatchResult) -> list[str]:
    names: list[str] = []
    for item in result.read:
        if item.doc is not None:
            for band in item.doc.pack.grades:
                if band.name not in names:
                    names.append(band.name)
    return names


def check_output(target: Path, *, overwrite: bool = False) -> None:
    """Refuse a summary target that exists and is not an earlier summary (it may be someone's workbook)."""
    from xl_perf.io import summary_writer

    if target.is_symlink():  # checked before the batch runs, not only when the summary is written
        raise XlPerfError(
            "汇总工作簿的位置是一个符号链接（快捷方式），为免写到别处已停止；请删除该链接或换一个文件名",
            Location(file=str(target)),
        )
    if not overwrite and target.exists() and not summary_writer.is_summary(target):
        raise XlPerfError(
            "汇总工作簿的位置已有一个不是 xl-perf 批量汇总的文件，为免覆盖他人数据已停止；请换一个文件名",
            Location(file=str(target)),
        )


def write_summary(result: BatchResult, target: Path, *, overwrite: bool = False) -> Path:
    """The summary workbook, written to a temp file, read back cell by cell, then moved into place. Never over any
    of the batch's own files."""
    from xl_perf.errors import BadInputError
    from xl_perf.io import safe_write, summary_writer
    from xl_perf.io.workbook import FileWorkbook

    check_output(target, overwrite=overwrite)
    tables, charts = summary_tables(result, target)

    def verify(path: Path) -> None:
        with FileWorkbook(path) as book:
            if book.sheet_names() != [t.sheet for t in tables]:
                raise BadInputError("汇总工作簿回读的工作表不一致，已放弃写入", Location(file=str(target)))
            for table in tables:
                grid = book.grid(table.sheet)
                for row, col, value in summary_writer.expected_cells(table):
                    line = grid[row] if row < len(grid) else ()
                    read = line[col] if col < len(line) else None
                    if not summary_writer.same(None if read == "" else read, value):
                        raise BadInputError(
                            f"汇总工作簿回读不一致（{table.sheet} 第{row + 1}行第{col + 1}列），已放弃写入",
                            Location(file=str(target)),
                        )

    protect = [i.path for i in (*result.items, *result.duplicates)]  # never over a file of the batch
    with safe_write.atomic_output(
        target, verify=verify, protect=protect, foreign=overwrite, owned=summary_writer.is_summary
    ) as temp:
        summary_writer.write(temp, tables, charts)
    return target


def as_json(result: BatchResult) -> dict[str, object]:
    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "root": str(result.root),
        "files": len(result.items),
        "read": len(result.read),
        "unreadable": len(result.bad),
        "errors": result.errors,
        "warnings": result.warnings,
        "coverage": {"evaluated": result.evaluated, "required": result.required, "rate": number(result.coverage)},
        "grades": {kind: dict(counts) for kind, counts in result.grades().items()},
        "units": [
            {
                "unit": u.unit,
                "workbooks": len(u.items),
                "required": u.required_or_found,
                "evaluated": u.evaluated,
                "coverage": number(u.coverage),
                "missing": u.missing,
            }
            for u in result.units
        ],
        "items": [
            {
                "file": i.shown,
                "problem": i.problem or None,
                "framework": i.framework or None,
                "unit": i.unit or None,
                "year": i.year,
                "project": i.project or None,
                "amount": number(i.amount),
                "execution": number(i.execution),
                "stated": number(i.stated),
                "score": number(i.score),
                "grade": i.grade or None,
                "errors": i.errors,
                "warnings": i.warnings,
                "findings": [f.as_dict() for f in i.findings],
            }
            for i in result.items
        ],
        "duplicates": [
            {
                "file": i.shown,
                "kept": i.kept,
                "unit": i.unit or None,
                "year": i.year,
                "framework": i.framework or None,
                "project": i.project or None,
                "score": number(i.score),
            }
            for i in result.duplicates
        ],
    }
