"""Checking one file of a batch, and its record crossing between processes."""

from __future__ import annotations

import copy
import dataclasses
from decimal import Decimal
from pathlib import Path

from xl_perf.batch.discovery import WORKBOOK_SUFFIXES
from xl_perf.batch.records import Item
from xl_perf.errors import Location, XlPerfError
from xl_perf.model import document
from xl_perf.rules import loader


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


def ship(item: Item) -> Item:
    """The item as it crosses to the main process: the document without its rule pack (restored by id there)."""
    if item.doc is None:
        return item
    doc = copy.copy(item.doc)
    doc.pack = None  # type: ignore[assignment]
    return dataclasses.replace(item, doc=doc)


def land(item: Item) -> Item:
    if item.doc is not None and item.doc.pack is None:
        item.doc.pack = loader.load(item.framework)
    return item
