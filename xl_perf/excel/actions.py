"""What the workbook buttons and the add-in ribbon run (through xlwings RunPython).

The logic works on the `WritableWorkbook` interface, so it runs in tests against a snapshot; `XlwingsWorkbook`
adapts a live Excel workbook. The actions change no value the user entered: they write only the tool-owned sheet
校验结果 and cell highlight colours (and restore the colours they set the previous time).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xl_perf import document
from xl_perf.engine.evaluate import Evaluation, evaluate
from xl_perf.engine.findings import SEVERITY_LABELS, Finding
from xl_perf.errors import XlPerfError, describe_os_error
from xl_perf.io.workbook import CellValue, NameTarget, WorkbookData, WritableWorkbook
from xl_perf.template import generate, read
from xl_perf.template.layout import address

RESULT_SHEET = "校验结果"
HEADER = ["级别", "代码", "位置", "问题", "建议"]
BOOKKEEPING_COL = 8  # hidden columns I..K of 校验结果: sheet, cell, the colour the cell had before highlighting
HIGHLIGHT = {"error": "#FFC7CE", "warning": "#FFEB9C"}


@dataclass
class Outcome:
    findings: list[Finding]
    evaluation: Evaluation | None
    exported: Path | None = None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def check(book: WorkbookData) -> tuple[document.Document, Evaluation, list[Finding]]:
    doc = read.read_document(book)
    evaluation = evaluate(doc)
    locate = read.locator(book, doc)
    return doc, evaluation, [f.locate(locate) for f in evaluation.findings]


def _restore_highlights(book: WritableWorkbook) -> None:
    if RESULT_SHEET not in book.sheet_names():
        return
    row = 1
    while True:
        sheet = book.value(RESULT_SHEET, row, BOOKKEEPING_COL)
        cell = book.value(RESULT_SHEET, row, BOOKKEEPING_COL + 1)
        if sheet is None or cell is None:
            break
        original = book.value(RESULT_SHEET, row, BOOKKEEPING_COL + 2)
        target = _target(str(sheet), str(cell))
        if target is not None and str(sheet) in book.sheet_names():
            book.set_fill(target.sheet, *target.first, None if original in (None, "") else str(original))
        row += 1


def _target(sheet: str, cell: str) -> NameTarget | None:
    from xl_perf.io.workbook import parse_reference

    quoted = sheet.replace("'", "''")
    return parse_reference(f"'{quoted}'!{cell}")


def validate(book: WritableWorkbook) -> Outcome:
    """Check the workbook; write 校验结果 (with links to the cells) and highlight the cells concerned."""
    _restore_highlights(book)
    try:
        _, evaluation, findings = check(book)
    except XlPerfError as exc:
        book.replace_sheet(RESULT_SHEET, [["校验结果"], [f"无法校验：{exc.message}"]], {})
        book.alert(f"无法校验：{exc.message}")
        return Outcome([], None)
    order = {"error": 0, "warning": 1, "info": 2}
    findings = sorted(findings, key=lambda f: order[f.severity])
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_LABELS}
    summary = "，".join(f"{SEVERITY_LABELS[s]} {n} 条" for s, n in counts.items()) if findings else "未发现问题"
    total = f"按规则计算总分 {evaluation.total}（{evaluation.grade}）"
    rows: list[list[CellValue]] = [
        ["校验结果", summary, total],
        [*HEADER, "", "", "", "单元格所在表", "单元格", "原底色"],
    ]
    links: dict[tuple[int, int], str] = {}
    highlighted: set[tuple[str, str]] = set()
    for finding in findings:
        where = finding.location
        position = f"{where.sheet}!{where.cell}" if where.sheet and where.cell else (where.key or "")
        row: list[CellValue] = [
            SEVERITY_LABELS[finding.severity],
            finding.code,
            position,
            finding.message,
            finding.fix,
            "",
            "",
            "",
            "",
            "",
            "",
        ]
        if where.sheet and where.cell:
            links[(len(rows), 2)] = f"'{where.sheet}'!{where.cell}"
            color = HIGHLIGHT.get(finding.severity)
            if color and (where.sheet, where.cell) not in highlighted:
                target = _target(where.sheet, where.cell)
                if target is not None:
                    highlighted.add((where.sheet, where.cell))
                    row[BOOKKEEPING_COL] = where.sheet
                    row[BOOKKEEPING_COL + 1] = where.cell
                    row[BOOKKEEPING_COL + 2] = book.fill_of(target.sheet, *target.first) or ""
                    book.set_fill(target.sheet, *target.first, color)
        rows.append(row)
    book.replace_sheet(RESULT_SHEET, rows, links)
    return Outcome(findings, evaluation)


def export(book: WritableWorkbook, *, validated: Outcome | None = None) -> Outcome:
    """Export the submission copy, from a saved copy of the workbook (Excel's SaveCopyAs), refusing on errors."""
    outcome = validated
    if outcome is None:
        try:
            _, evaluation, findings = check(book)
        except XlPerfError as exc:
            book.alert(f"无法导出：{exc.message}")
            return Outcome([], None)
        outcome = Outcome(findings, evaluation)
    if outcome.evaluation is None:
        return outcome
    if outcome.errors:
        book.alert(f"校验发现 {outcome.errors} 个错误，未导出。请先点“校验”查看“校验结果”表并修改。")
        return outcome
    from xl_perf.export import write_submission

    with tempfile.TemporaryDirectory() as scratch:
        copy = book.save_copy(Path(scratch))  # Excel's SaveCopyAs: the open workbook is neither saved nor moved
        doc = read.read_document(copy)
    folder = book.folder / "报送"
    try:
        folder.mkdir(exist_ok=True)
        target = folder / generate.file_name(doc)
        write_submission(doc, evaluate(doc), target)
    except OSError as exc:
        book.alert(f"无法导出到 {folder}：{describe_os_error(exc)}")
        return outcome
    except XlPerfError as exc:
        book.alert(f"无法导出：{exc}")
        return outcome
    outcome.exported = target
    book.alert(f"已导出：{target}")
    return outcome


def validate_and_export(book: WritableWorkbook) -> Outcome:
    outcome = validate(book)
    if outcome.evaluation is None:
        return outcome
    if outcome.errors:
        book.alert(f"校验发现 {outcome.errors} 个错误，未导出。详见“校验结果”表。")
        return outcome
    return export(book, validated=outcome)


def new_template(book: WritableWorkbook) -> Path | None:
    """A blank workbook of the same framework and unit for the next evaluation year, next to this one."""
    try:
        meta = read.read_meta(book)
    except XlPerfError as exc:
        book.alert(exc.message)
        return None
    doc = document.empty(meta["framework"], int(meta["year"]) + 1, meta.get("level", "县"), meta.get("unit", ""))
    target = book.folder / generate.file_name(doc)
    generate.write_workbook(doc, target)
    book.alert(f"已生成：{target}")
    return target


# --- live Excel ------------------------------------------------------------------------------------------------


class XlwingsWorkbook:
    """The live workbook in Excel, through xlwings. Only exercised inside Excel (see vba_shim/README.md)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.source = str(book.fullname)
        self._grids: dict[str, dict[tuple[int, int], CellValue]] = {}

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def value(self, sheet: str, row: int, col: int) -> CellValue:
        # One COM call per sheet (about 20 ms each), not one per cell.
        if sheet not in self._grids:
            used = self.book.sheets[sheet].used_range
            top, left = used.row - 1, used.column - 1
            self._grids[sheet] = {
                (top + r, left + c): v for r, line in enumerate(used.options(ndim=2).value) for c, v in enumerate(line)
            }
        return self._grids[sheet].get((row, col))

    def names(self) -> dict[str, NameTarget]:
        from xl_perf.io.workbook import parse_reference

        result = {}
        for name in self.book.names:
            target = parse_reference(name.refers_to)
            if target is not None:
                result[name.name] = target
        return result

    def is_formula(self, sheet: str, row: int, col: int) -> bool:
        return bool(self.book.sheets[sheet].range((row + 1, col + 1)).has_formula)

    def replace_sheet(self, name: str, rows: list[list[CellValue]], links: dict[tuple[int, int], str]) -> None:
        sheets = self.book.sheets
        sheet = sheets[name] if name in [s.name for s in sheets] else sheets.add(name, after=sheets[-1])
        sheet.clear()
        if rows:
            width = max(len(r) for r in rows)
            sheet.range("A1").value = [list(r) + [None] * (width - len(r)) for r in rows]
        for (row, col), target in links.items():
            cell = sheet.range((row + 1, col + 1))
            cell.add_hyperlink(f"#{target}", text_to_display=str(cell.value))
        sheet.range("I:K").api.EntireColumn.Hidden = True
        sheet.autofit()
        self._grids.pop(name, None)

    def fill_of(self, sheet: str, row: int, col: int) -> str | None:
        color = self.book.sheets[sheet].range((row + 1, col + 1)).color
        return None if color is None else "#{:02X}{:02X}{:02X}".format(*color)

    def set_fill(self, sheet: str, row: int, col: int, color: str | None) -> None:
        self.book.sheets[sheet].range((row + 1, col + 1)).color = color

    def save_copy(self, folder: Path) -> WorkbookData:
        from xl_perf.io.workbook import FileWorkbook

        path = folder / ("copy" + Path(self.source).suffix)
        self.book.api.SaveCopyAs(str(path))
        return FileWorkbook(path)

    def alert(self, message: str) -> None:
        self.book.app.alert(message, title="绩效自评助手")

    @property
    def folder(self) -> Path:
        return Path(self.source).parent


def _active() -> XlwingsWorkbook:
    import xlwings as xw

    return XlwingsWorkbook(xw.books.active)


def validate_active() -> None:
    validate(_active())


def export_active() -> None:
    export(_active())


def validate_and_export_active() -> None:
    validate_and_export(_active())


def new_template_active() -> None:
    new_template(_active())


__all__ = ["address", "check", "export", "new_template", "validate", "validate_and_export"]
