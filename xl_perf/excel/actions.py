"""What the workbook buttons and the add-in ribbon run (through xlwings RunPython).

The logic works on the `WritableWorkbook` interface, so it runs in tests against a snapshot; `XlwingsWorkbook`
adapts a live Excel workbook. The actions change no value the user entered: they write only the tool-owned sheet
校验结果, the bookkeeping columns D..F of the very hidden _xlperf sheet and cell highlight colours (and restore the
fills the cells had before, as they were: theme colours with tint, indexed colours and patterns included).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xl_perf.errors import XlPerfError, describe_os_error
from xl_perf.findings import SEVERITY_LABELS, Finding
from xl_perf.io.cells import address
from xl_perf.io.formatting import GRADIENT, read_formatting
from xl_perf.io.workbook import (
    CellValue,
    NameTarget,
    SheetFormat,
    SnapshotWorkbook,
    WorkbookData,
    WritableWorkbook,
    read_checked,
)
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.template import generate, read, sources
from xl_perf.template.layout import META_SHEET

RESULT_SHEET = "校验结果"
HEADER = ["级别", "代码", "位置", "问题", "建议"]
BOOKKEEPING_COL = 3  # columns D..F of the very hidden _xlperf sheet: sheet, cell, the fill it had before highlighting
LEGACY_BOOKKEEPING_COL = 8  # where an earlier version kept them: hidden columns I..K of 校验结果
HIGHLIGHT = {"error": "#FFC7CE", "warning": "#FFEB9C"}
_OWN_COLOURS = set(HIGHLIGHT.values())


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


def _bookkeeping_rows(book: WritableWorkbook, sheet: str, col: int, top: int) -> list[tuple[str, str, CellValue]]:
    rows: list[tuple[str, str, CellValue]] = []
    row = top
    while True:
        where = book.value(sheet, row, col)
        cell = book.value(sheet, row, col + 1)
        if where is None or cell is None:
            return rows
        rows.append((str(where), str(cell), book.value(sheet, row, col + 2)))
        row += 1


def _previous_highlights(book: WritableWorkbook) -> dict[tuple[str, int, int], str | None]:
    """The cells the previous 校验 highlighted, with the fill each had before. Kept in the very hidden _xlperf sheet
    (columns D..F), which the user does not delete with 校验结果; a workbook checked by an earlier version kept them
    in the hidden columns I..K of 校验结果."""
    names = set(book.sheet_names())
    rows = _bookkeeping_rows(book, META_SHEET, BOOKKEEPING_COL, 0) if META_SHEET in names else []
    if not rows and RESULT_SHEET in names:
        rows = _bookkeeping_rows(book, RESULT_SHEET, LEGACY_BOOKKEEPING_COL, 2)  # below its header row
    previous: dict[tuple[str, int, int], str | None] = {}
    for sheet, cell, original in rows:
        target = _target(sheet, cell)
        if target is not None and sheet in names:
            row, col = target.first
            previous[(target.sheet, row, col)] = None if original in (None, "") else str(original)
    return previous


def _bookkeeping_count(book: WritableWorkbook) -> int:
    if META_SHEET not in book.sheet_names():
        return 0
    return len(_bookkeeping_rows(book, META_SHEET, BOOKKEEPING_COL, 0))


def _write_bookkeeping(book: WritableWorkbook, cells: dict[tuple[str, int, int], str | None], before: int) -> None:
    """Replace the bookkeeping in _xlperf with `cells` (cell -> its fill before highlighting), blanking the rows
    left over from last time, in one block."""
    if META_SHEET not in book.sheet_names():
        return  # not our workbook: check() has refused it already
    rows: list[list[CellValue]] = [
        [sheet, address(row, col), original or ""] for (sheet, row, col), original in sorted(cells.items())
    ]
    rows += [[None, None, None] for _ in range(max(0, before - len(rows)))]
    if rows:
        book.write_tool_cells(META_SHEET, 0, BOOKKEEPING_COL, rows)


def _target(sheet: str, cell: str) -> NameTarget | None:
    from xl_perf.io.workbook import parse_reference

    quoted = sheet.replace("'", "''")
    return parse_reference(f"'{quoted}'!{cell}")


def validate(book: WritableWorkbook) -> Outcome:
    """Check the workbook; write 校验结果 (with links to the cells) and highlight the cells concerned.

    The colours of the previous 校验 are put back in the same batch of changes that sets the new ones, so each sheet
    is touched (and its protection lifted and restored) once."""
    previous = _previous_highlights(book)
    try:
        _, evaluation, findings = check(book)
    except XlPerfError as exc:
        book.replace_sheet(RESULT_SHEET, [["校验结果"], [f"无法校验：{exc.message}"]], {})
        skipped = book.unpaintable(sorted({sheet for sheet, _, _ in previous}))
        book.set_fills({key: color for key, color in previous.items() if key[0] not in skipped})
        _write_bookkeeping(book, {k: v for k, v in previous.items() if k[0] in skipped}, _bookkeeping_count(book))
        book.alert(f"无法校验：{exc.message}")
        return Outcome([], None)
    order = {"error": 0, "warning": 1, "info": 2}
    findings = sorted(findings, key=lambda f: order[f.severity])
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_LABELS}
    summary = "，".join(f"{SEVERITY_LABELS[s]} {n} 条" for s, n in counts.items()) if findings else "未发现问题"
    total = f"按规则计算总分 {evaluation.total}（{evaluation.grade}）"
    rows: list[list[CellValue]] = [["校验结果", summary, total], list(HEADER)]
    links: dict[tuple[int, int], str] = {}
    wanted: dict[tuple[str, int, int], str] = {}
    for finding in findings:
        where = finding.location
        position = f"{where.sheet}!{where.cell}" if where.sheet and where.cell else (where.key or "")
        rows.append([SEVERITY_LABELS[finding.severity], finding.code, position, finding.message, finding.fix])
        if where.sheet and where.cell:
            links[(len(rows) - 1, 2)] = f"'{where.sheet}'!{where.cell}"
            color = HIGHLIGHT.get(finding.severity)
            target = _target(where.sheet, where.cell)
            key = None if target is None else (target.sheet, *target.first)
            if color and key is not None and key not in wanted:
                wanted[key] = color
    # One read of the fills of the cells about to be highlighted that were not highlighted last time.
    current = book.fills_of([key for key in wanted if key not in previous])
    highlights: dict[tuple[str, int, int], str | None] = {}
    originals: dict[tuple[str, int, int], str | None] = {}
    for key, color in wanted.items():
        if key in previous:  # a cell highlighted last time keeps the fill it had before that, not the highlight
            original = previous[key]
        else:
            original = current.get(key)
            if original in _OWN_COLOURS:  # our own highlight whose bookkeeping was lost: the cell had no fill
                original = None
        if original == GRADIENT:  # Excel's Interior cannot put a gradient back faithfully: leave the cell alone
            continue
        highlights[key] = color
        originals[key] = original
    changes = {key: color for key, color in previous.items() if key not in highlights}
    changes.update(highlights)
    skipped = book.unpaintable(sorted({sheet for sheet, _, _ in changes}))
    if skipped:
        rows[0].append(f"以下工作表设有保护密码，未能标色：{'、'.join(skipped)}")
    # What the cells will carry after this 校验: the new highlights, and last time's on a sheet left alone.
    kept = {key: originals[key] for key in highlights if key[0] not in skipped}
    kept.update({key: original for key, original in previous.items() if key[0] in skipped and key not in kept})
    # The result sheet first: if Excel refuses it (a locked workbook structure), no cell has changed colour either.
    book.replace_sheet(RESULT_SHEET, rows, links)
    _write_bookkeeping(book, kept, _bookkeeping_count(book))
    book.set_fills({key: color for key, color in changes.items() if key[0] not in skipped})
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
        try:
            doc = read.read_document(copy)
        finally:
            close = getattr(copy, "close", None)
            if close is not None:
                close()  # before the folder goes: Windows refuses to delete a file that is still open
    folder = book.folder / "报送"
    try:
        folder.mkdir(exist_ok=True)
        target = folder / sources.file_name(doc)
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
    target = book.folder / sources.file_name(doc)
    try:
        generate.refuse_existing([target])  # next year's workbook may already be made and filled in
        generate.write_workbook(doc, target, overwrite=False)
    except XlPerfError as exc:
        book.alert(exc.message)
        return None
    book.alert(f"已生成：{target}")
    return target


# --- live Excel ------------------------------------------------------------------------------------------------

_ADDRESS_LIMIT = 255  # Excel's Range("A1,B2,...") takes an address of at most 255 characters


def _address_chunks(cells: list[tuple[int, int]]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for row, col in sorted(cells):
        cell = address(row, col)
        if current and len(current) + 1 + len(cell) > _ADDRESS_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current},{cell}" if current else cell
    if current:
        chunks.append(current)
    return chunks


# OOXML patternType -> Excel's XlPattern (Interior.Pattern)
_PATTERNS = {
    "solid": 1,
    "mediumGray": -4125,
    "darkGray": -4126,
    "lightGray": -4124,
    "darkHorizontal": -4128,
    "darkVertical": -4166,
    "darkDown": -4121,
    "darkUp": -4162,
    "darkGrid": 9,
    "darkTrellis": 10,
    "lightHorizontal": 11,
    "lightVertical": 12,
    "lightDown": 13,
    "lightUp": 14,
    "lightGrid": 15,
    "lightTrellis": 16,
    "gray125": 17,
    "gray0625": 18,
}
XL_COLOR_INDEX_AUTOMATIC = -4105


def _color_index(indexed: int) -> int:
    """An OOXML indexed colour as Excel's ColorIndex: indexed 8..63 are ColorIndex 1..56 (0..7 repeat 8..15),
    64 and 65 are the system colours (automatic)."""
    if indexed < 8:
        return indexed + 1
    if indexed <= 63:
        return indexed - 7
    return XL_COLOR_INDEX_AUTOMATIC


def _set_colour(interior: Any, prefix: str, colour: str) -> None:
    """One colour of a fill onto Interior (prefix "": the cell colour, "Pattern": the pattern's colour)."""
    kind, _, rest = colour.partition(":")
    if kind == "rgb":
        red, green, blue = int(rest[0:2], 16), int(rest[2:4], 16), int(rest[4:6], 16)
        setattr(interior, prefix + "Color", red + green * 256 + blue * 65536)  # Excel's colour numbers are BGR
    elif kind == "theme":
        index, _, tint = rest.partition(":")
        setattr(interior, prefix + "ThemeColor", int(index) + 1)  # XlThemeColor counts from 1, OOXML from 0
        setattr(interior, prefix + "TintAndShade", float(tint or 0))
    elif kind == "indexed":
        setattr(interior, prefix + "ColorIndex", _color_index(int(rest)))
    elif kind == "auto":
        setattr(interior, prefix + "ColorIndex", XL_COLOR_INDEX_AUTOMATIC)


def _paint(rng: Any, fill: str | None) -> None:
    """Set a range's fill: None (none) or "#RRGGBB" through xlwings' range.color (one call); the fuller form of
    `xl_perf.io.formatting` (theme colours with tint, indexed colours, pattern fills) through Range.Interior."""
    if fill is None or fill.startswith("#"):
        rng.color = fill
        return
    parts = dict(part.partition("=")[::2] for part in fill.split(";")[1:])
    pattern = fill.split(";")[0].removeprefix("fill:")
    interior = rng.api.Interior
    interior.Pattern = _PATTERNS.get(pattern, 1)
    if pattern == "solid":
        if "fg" in parts:
            _set_colour(interior, "", parts["fg"])
        return
    if "bg" in parts:  # for a pattern, OOXML's bgColor is the cell colour and fgColor the pattern's
        _set_colour(interior, "", parts["bg"])
    if "fg" in parts:
        _set_colour(interior, "Pattern", parts["fg"])


def _cell_text(value: CellValue) -> CellValue:
    # Excel parses a text assigned to Range.Value that starts like a formula; the apostrophe keeps it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _hyperlink(target: str, text: CellValue) -> str:
    def quote(part: str) -> str:
        return '"' + part.replace('"', '""') + '"'

    return f"=HYPERLINK({quote('#' + target)},{quote(str(text))})"


class XlwingsWorkbook:
    """The live workbook in Excel, through xlwings, in few object-model calls (each is a COM round trip).

    Reading: one Workbook.SaveCopyAs into a private temp folder (the in-memory state: unsaved edits, computed values,
    names, formulas, protection, colours), read through the guarded reader (guard.inspect, then python-calamine) and
    a bounded XML scan for protection and fills (xl_perf.io.formatting), never openpyxl in Excel's Python process.
    Writing: highlights batched per sheet and fill as multi-cell ranges (theme, indexed and pattern fills through
    Range.Interior), the bookkeeping of the original fills as one block in the very hidden _xlperf sheet, the result
    sheet as one block of values with HYPERLINK formulas. A protected sheet is
    unprotected around the writes and protected again with the options it had; a sheet protected with a password is
    left alone. Close it (or use it as a context manager) to remove the copy."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.source = str(book.fullname)
        self._scratch: str | None = None
        self._copy: SnapshotWorkbook | None = None
        self._copy_path: Path | None = None
        self._format: dict[str, SheetFormat] | None = None

    def __enter__(self) -> XlwingsWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._copy = None  # read whole and closed already (Windows refuses to delete a file that is still open)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def _copy_into(self, folder: Path) -> Path:
        suffix = Path(self.source).suffix.lower()
        path = folder / ("copy" + (suffix if suffix in (".xlsx", ".xlsm") else ".xlsx"))
        self.book.api.SaveCopyAs(str(path))
        return path

    def _copy_file(self) -> Path:
        if self._copy_path is None:
            self._scratch = tempfile.mkdtemp(prefix="xl-perf-")  # private: readable by this user only
            self._copy_path = self._copy_into(Path(self._scratch))
        return self._copy_path

    def _read(self) -> SnapshotWorkbook:
        """The copy, through the guarded reader (guard.inspect's checks of size, zip bomb, entities and extent)."""
        if self._copy is None:
            self._copy = read_checked(self._copy_file())
        return self._copy

    def _formatting(self) -> dict[str, SheetFormat]:
        """Each sheet's protection, from the copy, by the bounded XML scan (guarded, under a deadline)."""
        if self._format is None:
            self._format = read_formatting(self._copy_file())
        return self._format

    def sheet_names(self) -> list[str]:
        return self._read().sheet_names()

    def value(self, sheet: str, row: int, col: int) -> CellValue:
        return self._read().value(sheet, row, col)

    def names(self) -> dict[str, NameTarget]:
        return self._read().names()

    def is_formula(self, sheet: str, row: int, col: int) -> bool:
        return self._read().is_formula(sheet, row, col)

    def region(self, target: NameTarget, width: int | None = None) -> Iterator[tuple[int, list[CellValue]]]:
        return self._read().region(target, width)  # from the copy: one read, not a COM call per cell

    def fills_of(self, cells: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], str | None]:
        if not cells:
            return {}
        wanted: dict[str, set[tuple[int, int]]] = {}
        for sheet, row, col in cells:
            wanted.setdefault(sheet, set()).add((row, col))
        found = read_formatting(self._copy_file(), wanted)
        result: dict[tuple[str, int, int], str | None] = {}
        for sheet, row, col in cells:
            fmt = found.get(sheet)
            result[(sheet, row, col)] = None if fmt is None else fmt.fills.get((row, col))
        return result

    def write_tool_cells(self, sheet: str, top: int, left: int, rows: list[list[CellValue]]) -> None:
        target = self.book.sheets[sheet]
        with self._writable(sheet, target, None) as writable:
            if not writable:
                raise XlPerfError(f"“{sheet}”表设有保护密码，无法记录标色：请先取消该表的保护")
            target.range((top + 1, left + 1)).value = [[_cell_text(v) for v in line] for line in rows]

    @contextmanager
    def _writable(self, name: str, sheet: Any, need: str | None) -> Iterator[bool]:
        """Lift the sheet's protection for the writes if it forbids them (`need`: the Allow* option that would
        permit them; None: any protection forbids them), and protect it again with the same options. Yields False
        for a password-protected sheet."""
        found = self._formatting().get(name)
        protection = None if found is None else found.protection
        if protection is None or (need is not None and protection.allows(need)):
            yield True
            return
        if protection.has_password:
            yield False
            return
        sheet.api.Unprotect()
        try:
            yield True
        finally:
            sheet.api.Protect(**protection.protect_arguments())

    def unpaintable(self, sheets: list[str]) -> list[str]:
        result = []
        for name in sheets:
            found = self._formatting().get(name)
            protection = None if found is None else found.protection
            if protection is not None and protection.has_password and not protection.allows("AllowFormattingCells"):
                result.append(name)
        return result

    def set_fills(self, fills: dict[tuple[str, int, int], str | None]) -> None:
        by_sheet: dict[str, dict[str | None, list[tuple[int, int]]]] = {}
        for (name, row, col), color in fills.items():
            by_sheet.setdefault(name, {}).setdefault(color, []).append((row, col))
        for name, groups in by_sheet.items():
            sheet = self.book.sheets[name]
            with self._writable(name, sheet, "AllowFormattingCells") as writable:
                if not writable:
                    raise XlPerfError(f"“{name}”表设有保护密码，无法标色：请先取消该表的保护")
                for color, cells in groups.items():
                    for chunk in _address_chunks(cells):
                        _paint(sheet.range(chunk), color)

    def replace_sheet(self, name: str, rows: list[list[CellValue]], links: dict[tuple[int, int], str]) -> None:
        sheets = self.book.sheets
        exists = name in self.sheet_names()
        sheet = sheets[name] if exists else sheets.add(name, after=sheets[-1])
        # Clearing and writing locked cells are refused on any protected sheet, whatever its options.
        with self._writable(name, sheet, None) as writable:
            if not writable:
                raise XlPerfError(f"“{name}”表设有保护密码，无法写入校验结果：请先取消该表的保护")
            width = max((len(r) for r in rows), default=0)
            grid = [[_cell_text(v) for v in r] + [None] * (width - len(r)) for r in rows]
            for (row, col), target in links.items():
                grid[row][col] = _hyperlink(target, rows[row][col])
            if exists:
                sheet.clear()
            if grid:
                sheet.range("A1").value = grid
            sheet.autofit()
        sheet.activate()

    def save_copy(self, folder: Path) -> WorkbookData:
        return read_checked(self._copy_into(folder))

    def alert(self, message: str) -> None:
        self.book.app.alert(message, title="绩效自评助手")

    @property
    def folder(self) -> Path:
        return Path(self.source).parent


def _com_errors() -> tuple[type[BaseException], ...]:
    try:
        import pywintypes
    except ImportError:  # not on Windows: nothing raises a COM error
        return ()
    return (pywintypes.com_error,)


def com_message(exc: BaseException) -> str:
    """Excel's own message from a COM error: (hresult, text, (code, source, description, ...), argument)."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) > 2 and isinstance(args[2], tuple) and len(args[2]) > 2 and args[2][2]:
        return str(args[2][2])
    return str(args[1]) if len(args) > 1 else str(exc)


def _active() -> XlwingsWorkbook:
    """The workbook the user is working in, in the Excel that called: RunPython's caller is the workbook whose VBA
    ran (a template's button: the template; a ribbon callback: the add-in), and its application's active workbook
    is the one the button or ribbon was clicked on, even with several Excel instances open."""
    import xlwings as xw

    return XlwingsWorkbook(xw.Book.caller().app.books.active)


UNEXPECTED = (
    "绩效自评助手遇到意外错误（{kind}），操作未完成。填写的内容没有改动。"
    "请把这条消息截图发给技术支持；设置环境变量 XL_PERF_DEBUG=1 后重试可看到详细信息。"
)


def unexpected_message(exc: BaseException) -> str:
    """The Chinese message box for an error no one foresaw; the details (traceback) only with XL_PERF_DEBUG."""
    import os
    import traceback

    text = UNEXPECTED.format(kind=type(exc).__name__)
    if os.environ.get("XL_PERF_DEBUG"):
        text += "\n\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-1500:]
    return text


def _run(action: Callable[[XlwingsWorkbook], object]) -> None:
    """Run one button's action on the active workbook: every error becomes a Chinese message box instead of
    xlwings' English traceback popup, and the private copy is removed whatever happens."""
    with _active() as book:
        try:
            action(book)
        except XlPerfError as exc:
            book.alert(exc.message)
        except _com_errors() as exc:
            book.alert(
                f"Excel 拒绝了这次操作：{com_message(exc)}。填写的内容没有改动；请检查工作表或工作簿的保护后重试。"
            )
        except OSError as exc:  # the temp folder, the disk: the system's own reason, in Chinese
            book.alert(f"无法完成操作：{describe_os_error(exc)}。填写的内容没有改动。")
        except Exception as exc:
            book.alert(unexpected_message(exc))


def validate_active() -> None:
    _run(validate)


def export_active() -> None:
    _run(export)


def validate_and_export_active() -> None:
    _run(validate_and_export)


def new_template_active() -> None:
    _run(new_template)


__all__ = ["address", "check", "export", "new_template", "validate", "validate_and_export"]
