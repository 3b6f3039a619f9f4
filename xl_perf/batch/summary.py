"""The summary workbook's content: one table per sheet (汇总, 单位汇总, 等级分布, 问题清单, 无法读取, 重复提交) and
the grade chart, built from a batch's result. The workbook itself is written by io.summary_writer."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from xl_perf.batch.records import KIND_NAMES, BatchResult, Item

if TYPE_CHECKING:
    from xl_perf.io.summary_writer import CellData, ColumnChart, Link, Table

LinkTo = Callable[[Item], "Link"]


def percent_text(value: Decimal | None) -> str:
    return "" if value is None else f"{(value * 100).quantize(Decimal('0.01'))}%"


def files_line(result: BatchResult) -> str:
    """The batch in one line, every file found counted: 共 3 个文件（其中 1 个重复提交未计入）：已读取 2 个，…"""
    found = len(result.items) + len(result.duplicates)
    dropped = f"（其中 {len(result.duplicates)} 个重复提交未计入）" if result.duplicates else ""
    counted = "计入" if result.duplicates else "已读取"
    return (
        f"共 {found} 个文件{dropped}：{counted} {len(result.read)} 个，无法读取 {len(result.bad)} 个；"
        f"错误 {result.errors} 条，警告 {result.warnings} 条。"
    )


def summary_tables(result: BatchResult, target: Path) -> tuple[list[Table], list[ColumnChart]]:
    """The sheets and the chart of the summary workbook at `target` (links are relative to its folder)."""
    from xl_perf.io.summary_writer import ColumnChart

    link = _linker(result, target)
    notes = _overview_notes(result)
    kinds: list[str] = [k for k in ("xiangmu", "zhengti") if k in result.grades()]
    sheets = [
        _workbooks_table(result, link, notes),
        _units_table(result),
        _distribution_table(result, kinds, notes),
        _findings_table(result, link),
        _unreadable_table(result, link),
    ]
    if result.duplicates:
        sheets.append(_duplicates_table(result, link))
    chart = ColumnChart("等级分布", "自评等级分布", list(range(1, len(kinds) + 1)), "等级", "工作簿数")
    return sheets, [chart] if kinds else []


def _linker(result: BatchResult, target: Path) -> LinkTo:
    """A file of the batch as a link relative to the summary's folder."""
    from xl_perf.io.summary_writer import Link

    # Resolved once (one resolve() per file costs more than the rest of a row).
    root_link = Path(os.path.relpath(result.root.resolve(), target.resolve().parent)).as_posix()

    def link(item: Item) -> Link:
        return Link(posixpath.normpath(posixpath.join(root_link, item.shown)), item.shown)

    return link


def _overview_notes(result: BatchResult) -> list[str]:
    """The two lines above the 汇总 and 等级分布 tables: the files counted, and the coverage."""
    overview = files_line(result)
    if result.duplicates:
        overview += "重复提交的较早版本见“重复提交”表。"
    coverage = result.coverage
    coverage_line = (
        f"自评覆盖面 {percent_text(coverage)}（已自评项目 {result.evaluated} 个 / 应自评项目 {result.required} 个）"
        if coverage is not None
        else "自评覆盖面：未找到项目支出自评表，也没有整体自评表列明应自评的项目"
    )
    return [overview, coverage_line]


def _status(item: Item) -> str:
    if item.problem:
        return "无法读取"
    if item.errors:
        return "有错误"
    return "有警告" if item.warnings else "通过"


def _project_amount(items: list[Item]) -> Decimal:
    return sum((i.amount for i in items if i.kind == "xiangmu" and i.amount is not None), Decimal(0))


def _workbooks_table(result: BatchResult, link: LinkTo, notes: list[str]) -> Table:
    """汇总: one row per workbook counted."""
    from xl_perf.io.summary_writer import Column, Table

    rows: list[list[CellData]] = [
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
        for n, item in enumerate(result.items, 1)
    ]
    totals: list[CellData] = [None, f"合计 {len(result.items)} 个文件（金额为项目支出合计）", None, None, None]
    totals += [_project_amount(result.read), None, None, None, None, result.errors, result.warnings, None]
    return Table(
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
        notes=notes,
        totals=totals,
    )


def _units_table(result: BatchResult) -> Table:
    """单位汇总: one row per unit, with its coverage and the projects it did not submit."""
    from xl_perf.io.summary_writer import Column, Table

    rows: list[list[CellData]] = []
    for unit in result.units:
        projects = [i for i in unit.items if i.kind == "xiangmu"]
        scores = [i.score for i in projects if i.score is not None]
        average = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01")) if scores else None
        rows.append(
            [
                unit.unit,
                len(unit.items),
                len(projects),
                _project_amount(projects),
                average,
                sum(i.errors for i in unit.items),
                sum(i.warnings for i in unit.items),
                unit.required_or_found,
                unit.evaluated,
                unit.coverage,
                "、".join(unit.missing),
            ]
        )
    totals: list[CellData] = [
        "合计",
        sum(len(u.items) for u in result.units),
        sum(1 for i in result.read if i.kind == "xiangmu"),
    ]
    errors = sum(i.errors for u in result.units for i in u.items)
    warnings = sum(i.warnings for u in result.units for i in u.items)
    totals += [_project_amount(result.read), None, errors, warnings]
    totals += [result.required, result.evaluated, result.coverage, None]
    return Table(
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
        rows,
        notes=["应自评项目数：整体自评表所列项目数与实际提交的项目自评表数中的较大者；已自评：项目自评表中填有得分。"],
        totals=totals,
    )


def _distribution_table(result: BatchResult, kinds: list[str], notes: list[str]) -> Table:
    """等级分布: workbooks per grade, one column per kind of form found."""
    from xl_perf.io.summary_writer import Column, Table

    grades = result.grades()
    rows: list[list[CellData]] = [
        [band, *(grades[k][band] for k in kinds), sum(grades[k][band] for k in kinds)] for band in _grade_names(result)
    ]
    return Table(
        "等级分布",
        "自评等级分布（按复核得分）",
        [Column("等级", "text", 8), *(Column(KIND_NAMES[k], "int", 10) for k in kinds), Column("合计", "int", 8)],
        rows,
        notes=notes,
        totals=["合计", *(sum(grades[k].values()) for k in kinds), sum(sum(grades[k].values()) for k in kinds)],
        filter=False,
    )


def _grade_names(result: BatchResult) -> list[str]:
    names: list[str] = []
    for item in result.read:
        if item.doc is not None:
            for band in item.doc.pack.grades:
                if band.name not in names:
                    names.append(band.name)
    return names


def _findings_table(result: BatchResult, link: LinkTo) -> Table:
    """问题清单: every finding of every file, errors first within a file."""
    from xl_perf.findings import SEVERITY_LABELS
    from xl_perf.io.summary_writer import Column, Table
    from xl_perf.validate.catalogue import title_of

    rows: list[list[CellData]] = []
    for item in result.items:
        for finding in sorted(item.findings, key=lambda f: ("error", "warning", "info").index(f.severity)):
            rows.append(
                [
                    len(rows) + 1,
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
    return Table(
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
        rows,
    )


def _unreadable_table(result: BatchResult, link: LinkTo) -> Table:
    """无法读取: the files that could not be read, and why."""
    from xl_perf.io.summary_writer import Column, Table

    return Table(
        "无法读取",
        "无法读取的文件",
        [Column("序号", "int", 6), Column("文件", "link", 40), Column("原因", "text", 90)],
        [[n, link(i), i.problem] for n, i in enumerate(result.bad, 1)],
    )


def _duplicates_table(result: BatchResult, link: LinkTo) -> Table:
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
