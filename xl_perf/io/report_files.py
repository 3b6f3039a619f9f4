"""Reading a self-evaluation report (自评报告): Word (.docx), PDF text and plain text; nothing is ever written.

Word files are read with python-docx, paragraphs and tables in document order. PDF text is read with pypdf: it is
pure Python with no dependencies of its own, is actively maintained, and extracts the text of the PDFs that Word, WPS
and LibreOffice export (CJK through the fonts' ToUnicode maps) in reading order, page by page; pdfplumber's layout
analysis (pdfminer.six plus a native renderer) buys nothing for prose checks. A scanned PDF has no text: that is said.
Nothing reaches python-docx or pypdf before the guard (io.guard.document) has passed it, and both run in the
guard's sandboxed child (memory cap, timeout, output sent nowhere), so a hostile report is refused in Chinese and
never hangs or crashes the caller. Word 97-2003 (.doc) and WPS (.wps) files are binary formats no maintained
Python library reads; the user is asked to save them as .docx, which both programs do in one step.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xl_perf.errors import BadInputError, Location
from xl_perf.io.guard import Limits, run_in_child
from xl_perf.io.guard.document import (
    DOCUMENT_LIMITS,
    MAX_PDF_PAGES,
    MAX_REPORT_CHARS,
    SAVE_AS_DOCX,
    as_document,
    inspect_docx,
    inspect_pdf,
)
from xl_perf.io.guard.sniff import RegularFile

REPORT_SUFFIXES = (".txt", ".docx", ".pdf")
LEGACY_SUFFIXES = (".doc", ".wps", ".wpt", ".dot", ".docm", ".dotx")


@dataclass(frozen=True)
class ReportPart:
    """A paragraph (table None) or a table row of a Word report; numbers are 1-based."""

    table: int | None
    number: int
    cells: tuple[str, ...]  # one item for a paragraph: its text


@dataclass(frozen=True)
class ReportFile:
    path: Path
    kind: Literal["txt", "docx", "pdf"]
    text: str = ""  # .txt and .pdf (pages separated by form feeds)
    parts: tuple[ReportPart, ...] = ()  # .docx


def is_report(path: Path) -> bool:
    """Whether `check` should treat the file as a report rather than a workbook or data document."""
    return path.suffix.lower() in REPORT_SUFFIXES + LEGACY_SUFFIXES


def read_report(path: Path, limits: Limits = DOCUMENT_LIMITS) -> ReportFile:
    """The report at `path`; a hostile or unusable file is refused (BadInputError, in Chinese) before python-docx or
    pypdf see it, and both run in the guard's sandboxed child (memory cap, timeout), as workbook readers do."""
    path = Path(path)
    where = Location(file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".doc", ".wps", ".wpt", ".dot") and path.exists():
        raise BadInputError(f"无法读取 {suffix} 格式（Word 97-2003 或 WPS 文字的旧格式）。{SAVE_AS_DOCX}", where)
    if suffix in (".docm", ".dotx") and path.exists():
        raise BadInputError(f"请把报告另存为普通的 .docx 文档后再校验（不支持 {suffix}）", where)
    if suffix in (".pdf", ".docx"):
        inspect_pdf(path, limits) if suffix == ".pdf" else inspect_docx(path, limits)
        try:
            return run_in_child(path, _pdf_report if suffix == ".pdf" else _docx_report, limits)
        except BadInputError as exc:  # a reader that died or overran the time: said of a document
            raise as_document(exc) from None
    return ReportFile(path, "txt", text=_decode(_text_bytes(path, limits), where))


def _text_bytes(path: Path, limits: Limits) -> bytes:
    """The bytes of a plain-text report, from a regular file only (a FIFO or device would block or never end)."""
    with RegularFile(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limits.max_file_bytes:
            message = f"文件过大（{size // (1024 * 1024)} MB），不像是自评报告"
            raise BadInputError(message, Location(file=str(path)))
        return f.read(limits.max_file_bytes + 1)


def _docx_report(path: Path) -> ReportFile:
    """Run in the child: python-docx on a file the guard has passed."""
    where = Location(file=str(path))
    try:
        return ReportFile(path, "docx", parts=_docx_parts(path, where))
    except BadInputError:
        raise
    except Exception as exc:  # lxml and python-docx fail on malformed parts in many ways
        raise BadInputError(
            f"无法读取 .docx 文件（{type(exc).__name__}）：文件可能已损坏；{SAVE_AS_DOCX}", where
        ) from None


def _pdf_report(path: Path) -> ReportFile:
    """Run in the child: pypdf on a file the guard has passed."""
    where = Location(file=str(path))
    try:
        return ReportFile(path, "pdf", text=_pdf_text(path, where))
    except BadInputError:
        raise
    except Exception as exc:  # pypdf on a malformed PDF: recursion, missing keys, bad streams, ...
        message = f"无法读取 PDF（{type(exc).__name__}）：文件可能已损坏；请提供报告的 .docx 或 .txt"
        raise BadInputError(message, where) from None


def _decode(raw: bytes, where: Location) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise BadInputError("报告文字既不是 UTF-8 也不是 GBK 编码", where) from None


def _flat(text: str) -> str:
    """A paragraph or cell on one line: line breaks and tabs inside it become spaces (tabs separate cells)."""
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def _docx_parts(path: Path, where: Location) -> tuple[ReportPart, ...]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        reason = f"无法打开 .docx 文件（{type(exc).__name__}）：文件可能已损坏；{SAVE_AS_DOCX}"
        raise BadInputError(reason, where) from None
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml's XML errors
        raise BadInputError(f"无法打开 .docx 文件（{type(exc).__name__}）：文件可能已损坏", where) from None
    parts: list[ReportPart] = []
    paragraphs = tables = 0
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = _flat(item.text)
            if text:
                paragraphs += 1
                parts.append(ReportPart(None, paragraphs, (text,)))
        elif isinstance(item, Table):
            tables += 1
            parts.extend(_table_rows(item, tables))
    return tuple(parts)


def _table_rows(table: object, number: int) -> list[ReportPart]:
    """Rows of a table, a cell per distinct cell of the row (a cell merged across columns once); a cell merged down
    from the row above is read at its first row only (empty below, so the columns stay where they are)."""
    seen: dict[int, object] = {}  # id -> the cell element, kept alive so that no other element takes its id
    rows: list[ReportPart] = []
    for index, row in enumerate(getattr(table, "rows", ()), start=1):
        cells: list[str] = []
        previous: int | None = None
        for cell in row.cells:
            key = id(cell._tc)
            if key == previous:
                continue
            previous = key
            cells.append("" if key in seen else _flat(cell.text))
            seen[key] = cell._tc
        rows.append(ReportPart(number, index, tuple(cells)))
    return rows


def _pdf_text(path: Path, where: Location) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - a dependency of xl-perf
        raise BadInputError("读取 PDF 需要 pypdf；请改用 .docx 或 .txt", where) from None
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise BadInputError("PDF 已加密，无法读取文字；请提供未加密的 PDF 或 .docx", where)
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise BadInputError(f"PDF 页数过多（{count} 页，上限 {MAX_PDF_PAGES} 页），不像是自评报告", where)
        pages: list[str] = []
        chars = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > MAX_REPORT_CHARS:
                raise BadInputError("PDF 中的文字过多，不像是自评报告，已停止读取", where)
    except BadInputError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInputError(f"无法读取 PDF（{type(exc).__name__}）：文件可能已损坏", where) from None
    if not any(page.strip() for page in pages):
        raise BadInputError("PDF 中没有可提取的文字（可能是扫描件）；请提供报告的 .docx 或 .txt", where)
    return "\f".join(pages)
