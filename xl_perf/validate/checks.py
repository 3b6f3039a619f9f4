"""Checks of one data document beyond the scoring rules, and of several documents of one unit together.

Each function returns findings with logical references (`Ref`); the caller locates them in the file they came from.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from decimal import Decimal

from xl_perf.findings import Finding, Ref
from xl_perf.model.document import Document, TableRow
from xl_perf.numbers import format_number
from xl_perf.rules import model
from xl_perf.template.read import UNIT_FIELDS
from xl_perf.validate.catalogue import spec

TOLERANCE = Decimal("0.00005")  # half a yuan, in 万元: amounts are stated to the yuan
SUSPICIOUS_WAN = Decimal(100000)  # 10亿元 written in a 万元 cell


def finding(code: str, message: str, ref: Ref, fix: str | None = None) -> Finding:
    entry = spec(code)
    return Finding(entry.severity, code, message, ref, entry.fix if fix is None else fix)  # type: ignore[arg-type]


def check_document(doc: Document) -> list[Finding]:
    return [
        *value_problems(doc),
        *required_fields(doc),
        *table_totals(doc),
        *amount_units(doc),
        *dates(doc),
        *unit_name(doc),
    ]


def value_problems(doc: Document) -> Iterator[Finding]:
    for problem in doc.value_problems:
        yield finding("CELL_TYPE", f"{problem.key.removeprefix('fields.')}：{problem.message}", problem.ref)


def required_fields(doc: Document) -> Iterator[Finding]:
    if not doc.unit:
        yield finding("FIELD_REQUIRED", "未填写单位名称", Ref("document", "unit"))
    for field_id, field_spec in doc.pack.fields.items():
        if field_spec.required and field_id not in doc.fields:
            yield finding("FIELD_REQUIRED", f"“{doc.text(field_spec.label)}”未填写", Ref("field", field_id))


def _rows_of(doc: Document, table: str, row_id: str) -> list[TableRow]:
    return [r for r in doc.tables.get(table, []) if r.row_id == row_id]


def _label(doc: Document, table: model.TableSpec, column_id: str) -> str:
    return "/".join(doc.text(p) for p in table.column(column_id).path)


def table_totals(doc: Document) -> Iterator[Finding]:
    for total in doc.pack.sums:
        table = doc.pack.table(total.table)
        rows = doc.tables.get(table.id, [])
        if total.column is not None:
            for index, row in enumerate(rows):
                yield from _column_total(doc, table, total, row, index)
            continue
        assert total.row is not None
        targets = _rows_of(doc, table.id, total.row)
        if not targets:
            continue
        target = targets[0]
        parts: list[TableRow] = []
        for name in total.equals:
            parts += _rows_of(doc, table.id, name.removesuffix("*"))
        if total.complete and any(not _rows_of(doc, table.id, n.removesuffix("*")) for n in total.equals):
            continue  # only checked when every part is given
        for column in table.columns:
            if column.type != "amount" or column.id not in target.values:
                continue
            values = [v for p in parts if isinstance(v := p.values.get(column.id), Decimal)]
            if not values:
                continue  # the parts are not broken down in this column
            stated = target.values[column.id]
            assert isinstance(stated, Decimal)
            added = sum(values, Decimal(0))
            if abs(stated - added) > TOLERANCE:
                names = "、".join(dict.fromkeys(p.label or p.row_id for p in parts))
                yield finding(
                    "SUM_MISMATCH",
                    f"{doc.text(table.label)}“{target.label}”行的“{_label(doc, table, column.id)}”为 "
                    f"{format_number(stated)}，{names} 之和为 {format_number(added)}，"
                    f"相差 {format_number(stated - added)}",
                    Ref("cell", table.id, rows.index(target), column.id),
                )


def _column_total(
    doc: Document, table: model.TableSpec, total: model.TableTotal, row: TableRow, index: int
) -> Iterator[Finding]:
    assert total.column is not None
    stated = row.values.get(total.column)
    values = [v for c in total.equals if isinstance(v := row.values.get(c), Decimal)]
    if not isinstance(stated, Decimal) or not values:
        return
    added = sum(values, Decimal(0))
    if abs(stated - added) > TOLERANCE:
        parts = "、".join("/".join(_label(doc, table, c).split("/")[-2:]) for c in total.equals if c in row.values)
        yield finding(
            "SUM_MISMATCH",
            f"{doc.text(table.label)}“{row.label}”行的“{_label(doc, table, total.column)}”为 {format_number(stated)}，"
            f"而 {parts} 之和为 {format_number(added)}，相差 {format_number(stated - added)}",
            Ref("cell", table.id, index, total.column),
        )


def amount_units(doc: Document) -> Iterator[Finding]:
    """Amounts of a 万元 form that are implausibly large next to the others: typed in 元."""
    amounts: list[tuple[Decimal, Ref, str]] = []
    specs = doc.pack.fields
    for field_id, value in doc.fields.items():
        field_spec = specs[field_id]
        if field_spec.type == "amount" and isinstance(value, Decimal) and value > 0:
            amounts.append((value, Ref("field", field_id), doc.text(field_spec.label)))
    for table in doc.pack.tables:
        for index, row in enumerate(doc.tables.get(table.id, [])):
            for column in table.columns:
                cell = row.values.get(column.id)
                if column.type == "amount" and isinstance(cell, Decimal) and cell > 0:
                    amounts.append((cell, Ref("cell", table.id, index, column.id), f"{row.label}的{column.path[-1]}"))
    if len(amounts) < 3:
        return
    median = statistics.median(a for a, _, _ in amounts)
    for value, ref, label in amounts:
        if value >= SUSPICIOUS_WAN and value >= median * 1000:
            yield finding(
                "AMOUNT_UNIT",
                f"“{label}”为 {format_number(value)} 万元（约 {format_number(value / 10000)} 亿元），"
                f"远大于其他金额（中位数 {format_number(median)} 万元），疑似按“元”填写",
                ref,
            )


_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def _date_key(value: object) -> tuple[int, int, int] | None:
    match = _DATE.match(str(value))
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def dates(doc: Document) -> Iterator[Finding]:
    for rule in doc.pack.dates:
        value = doc.fields.get(rule.field)
        key = _date_key(value)
        if key is None:
            continue
        label = doc.text(doc.pack.fields[rule.field].label)
        section = doc.text(doc.pack.fields[rule.field].section)
        low, high = doc.year + rule.years[0], doc.year + rule.years[1]
        if not low <= key[0] <= high:
            span = f"{low}年" if low == high else f"{low}–{high}年"
            yield finding(
                "DATE_OUTSIDE_YEAR",
                f"{section}“{label}”为 {value}，评价年度为 {doc.year} 年，该日期应在 {span}",
                Ref("field", rule.field),
            )
        if rule.not_before is not None:
            other = _date_key(doc.fields.get(rule.not_before))
            if other is not None and key < other:
                other_label = doc.text(doc.pack.fields[rule.not_before].label)
                yield finding(
                    "DATE_ORDER",
                    f"“{label}”{value} 早于“{other_label}”{doc.fields.get(rule.not_before)}",
                    Ref("field", rule.field),
                )


_UNIT_CODE = re.compile(r"^\d{3,}\s*[-－—]\s*")  # a MoF unit code printed before the name: "219001-某某镇人民政府"


def unit_key(name: str) -> str:
    """A unit name as compared: without a MoF code before it, blanks, or "本级" (a department's own budget) after it."""
    bare = re.sub(r"\s+", "", _UNIT_CODE.sub("", name.strip()))
    return bare[: -len("本级")] if bare.endswith("本级") and len(bare) > len("本级") else bare


def name_difference(stated: str, unit: str) -> str:
    """What differs between a stated name and the unit's, from the parts between their common beginning and end:
    "“口”应为“门”", "少了“和”", "多了“分局”"."""
    a, b = unit_key(stated), unit_key(unit)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    extra, wanted = a[start : len(a) - end], b[start : len(b) - end]
    if not extra:
        return f"少了“{wanted}”"
    if not wanted:
        return f"多了“{extra}”"
    return f"“{extra}”应为“{wanted}”"


def unit_name(doc: Document) -> Iterator[Finding]:
    """The field that names the filing unit must name `doc.unit`: 实施单位 on a project form, the unit's own name on
    a department form. 主管部门 is the supervising body (a school's is an education bureau), never compared; MoF
    codes before a name and "本级" after it are not differences."""
    for field_id in UNIT_FIELDS:
        if field_id == "department" and doc.pack.kind == "xiangmu":
            continue
        value = doc.fields.get(field_id)
        if isinstance(value, str) and doc.unit and unit_key(value) != unit_key(doc.unit):
            yield finding(
                "UNIT_NAME_MISMATCH",
                f"“{doc.text(doc.pack.fields[field_id].label)}”填为“{value}”，与单位“{doc.unit}”不一致"
                f"（{name_difference(value, doc.unit)}）",
                Ref("field", field_id),
            )


# --- several documents of one unit -----------------------------------------------------------------------------

_PROJECT_LABEL = re.compile(r"^项目\d+[：:]\s*(.+)$")


def _project_rows(doc: Document, links: model.ProjectLinks) -> dict[str, tuple[int, TableRow, str]]:
    """Projects listed in a 整体 money table: name -> (row index, row, the label of the group they are listed under;
    "" above the first group)."""
    found: dict[str, tuple[int, TableRow, str]] = {}
    table = doc.pack.table(links.listing)
    specs = {r.id: r for r in table.rows}
    group = ""
    for index, row in enumerate(doc.tables.get(table.id, [])):
        spec_row = specs[row.row_id]
        if not spec_row.repeat:
            if row.row_id in links.groups:
                group = doc.text(spec_row.label)
            continue
        name = project_name_of(row.label)
        if name:
            found[name] = (index, row, group)
    return found


def project_name_of(label: str) -> str | None:
    """The project name of a project row label such as "项目1：遂溪县港门镇乡村振兴基础设施综合提升项目"."""
    match = _PROJECT_LABEL.match(label.strip())
    return match.group(1).strip() if match else None


def check_together(docs: list[Document]) -> list[tuple[Document, Finding]]:
    """Consistency of the files of one unit: years, projects, the same money stated in several places."""
    results: list[tuple[Document, Finding]] = []
    if len(docs) < 2:
        return results
    years = {d.year for d in docs}
    if len(years) > 1:
        for doc in docs[1:]:
            if doc.year != docs[0].year:
                results.append(
                    (
                        doc,
                        finding(
                            "CROSS_YEAR",
                            f"评价年度为 {doc.year}，同时核对的 {docs[0].source} 为 {docs[0].year}",
                            Ref("document", "year"),
                        ),
                    )
                )
    units = [d for d in docs if d.unit]
    for doc in units[1:]:
        if unit_key(doc.unit) != unit_key(units[0].unit):
            results.append(
                (
                    doc,
                    finding(
                        "UNIT_NAME_MISMATCH",
                        f"单位为“{doc.unit}”，同时核对的 {units[0].source} 为“{units[0].unit}”",
                        Ref("document", "unit"),
                    ),
                )
            )
    for whole in docs:
        if whole.pack.projects is not None:
            results += _check_projects(
                whole, whole.pack.projects, [d for d in docs if d.pack.id == whole.pack.projects.form]
            )
    return results


def _check_projects(
    whole: Document, links: model.ProjectLinks, projects: list[Document]
) -> list[tuple[Document, Finding]]:
    """The project forms submitted with the 整体 form `whole` against the projects it lists."""
    results: list[tuple[Document, Finding]] = []
    listing = whole.text(whole.pack.table(links.listing).label)
    listed = _project_rows(whole, links)
    for project in projects:
        name = project.fields.get(links.name)
        if not isinstance(name, str) or not name:
            continue
        if name not in listed:
            results.append(
                (
                    project,
                    finding(
                        "CROSS_PROJECT",
                        f"项目“{name}”未列在 {whole.source} 的“{listing}”表中",
                        Ref("field", links.name),
                    ),
                )
            )
            continue
        results += _cross_amounts(whole, links, project, name, *listed[name])
    names = {p.fields.get(links.name) for p in projects}
    for name, (index, _row, _group) in listed.items():
        if projects and name not in names:
            results.append(
                (
                    whole,
                    finding(
                        "CROSS_PROJECT",
                        f"“{listing}”中的项目“{name}”没有同时提交的项目支出绩效自评表",
                        Ref("cell", links.listing, index),
                    ),
                )
            )
    return results


def _cross_amounts(
    whole: Document, links: model.ProjectLinks, project: Document, name: str, index: int, row: TableRow, group: str
) -> list[tuple[Document, Finding]]:
    results: list[tuple[Document, Finding]] = []
    listing_table = whole.pack.table(links.listing)
    listing = whole.text(listing_table.label)
    totals = _rows_of(project, links.table, links.total)
    if not totals:
        return results
    total = totals[0].values
    for amount in links.amounts:
        stated, other = row.values.get(amount.listed), total.get(amount.own)
        if isinstance(stated, Decimal) and isinstance(other, Decimal) and abs(stated - other) > TOLERANCE:
            results.append(
                (
                    project,
                    finding(
                        "CROSS_AMOUNT",
                        f"项目“{name}”的{amount.what}：本表 {format_number(other)} 万元，"
                        f"{whole.source} 的“{listing}”中为 {format_number(stated)} 万元",
                        Ref("cell", links.table, project.tables[links.table].index(totals[0]), amount.own),
                    ),
                )
            )
    results += _fund_class(whole, links, project, name, row, group)
    return results


def _fund_class(
    whole: Document, links: model.ProjectLinks, project: Document, name: str, row: TableRow, group: str
) -> list[tuple[Document, Finding]]:
    """How the same money is classified: a line of the unit's own level in the listing is the project's own money,
    not 其他资金."""
    listing_table = whole.pack.table(links.listing)
    own_group = next(r for r in listing_table.rows if r.id == links.groups[0])
    if not group or group != whole.text(own_group.label):
        return []
    other_row = next(
        (r for r in project.tables.get(links.table, []) if r.row_id == links.other and r.row_id != links.total), None
    )
    if other_row is None:
        return []
    in_other = other_row.values.get(links.other_amount)
    if not isinstance(in_other, Decimal) or not in_other:
        return []
    if any(isinstance(row.values.get(c), Decimal) and row.values[c] for c in links.listed_other):
        return []
    classes = [
        _label(whole, listing_table, c).split("/")[-1]
        for c in row.values
        if c in links.listed_classes and isinstance(row.values[c], Decimal) and row.values[c]
    ]
    listing = whole.text(listing_table.label)
    return [
        (
            project,
            finding(
                "CROSS_FUND_CLASS",
                f"项目“{name}”的资金在本表列为“其他资金”，在 {whole.source} 的“{listing}”中列在“{group}”下"
                f"（{'、'.join(classes) or '财政资金'}）",
                Ref("cell", links.table, project.tables[links.table].index(other_row), links.other_amount),
            ),
        )
    ]
