"""What a batch knows across its files: resubmitted copies, the checks between the files of one unit, and each
unit's coverage (the projects it had to self-evaluate and those it did)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from xl_perf.batch.records import Item, UnitSummary
from xl_perf.errors import Location, XlPerfError
from xl_perf.findings import Ref
from xl_perf.model import document
from xl_perf.rules import model


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


def check_units(items: list[Item]) -> None:
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
