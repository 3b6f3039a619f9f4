"""Reading a self-evaluation report (自评报告): Word (.docx), PDF text and plain text; nothing is ever written.

Word files are read with python-docx, paragraphs and tables in document order. PDF text is read with pypdf: it is
pure Python with no dependencies of its own, is actively maintained, and extracts the text of the PDFs that Word, WPS
and LibreOffice export (CJK through the fonts' ToUnicode maps) in reading order, page by page; pdfplumber's layout
analysis (pdfminer.six plus a native renderer) buys nothing for prose checks. A scanned PDF has no text: that is said.
Word 97-2003 (.doc) and WPS (.wps) files are binary formats no maintained Python library reads; the user is asked to
save them as .docx, which both programs do in one step.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xl_perf.errors import BadInputError, Location, describe_os_error

REPORT_SUFFIXES = (".txt", ".docx", ".pdf")
LEGACY_SUFFIXES = (".doc", ".wps", ".wpt", ".dot", ".docm", ".dotx")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003, WPS, and an encrypted .docx
_MAX_BYTES = 100 * 1024 * 1024
SAVE_AS_DOCX = "请在 Word 或 WPS 中打开，点“文件 → 另存为”，保存类型选“Word 文档（*.docx）”，再用 .docx 文件校验"


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


def read_report(path: Path) -> ReportFile:
    where = Location(file=str(path))
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            raise BadInputError(f"文件过大（{size // (1024 * 1024)} MB），不像是自评报告", where)
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"无法读取文件：{describe_os_error(exc)}", where) from None
    if suffix in (".doc", ".wps", ".wpt", ".dot"):
        raise BadInputError(f"无法读取 {suffix} 格式（Word 97-2003 或 WPS 文字的旧格式）。{SAVE_AS_DOCX}", where)
    if suffix in (".docm", ".dotx"):
        raise BadInputError(f"请把报告另存为普通的 .docx 文档后再校验（不支持 {suffix}）", where)
    if suffix == ".txt":
        return ReportFile(path, "txt", text=_decode(raw, where))
    if suffix == ".pdf":
        return ReportFile(path, "pdf", text=_pdf_text(path, where))
    if raw.startswith(_OLE_MAGIC):
        raise BadInputError(
            f"这个 .docx 实际是 Word 97-2003 / WPS 格式或已加密（设置了打开密码）。{SAVE_AS_DOCX}（不设密码）", where
        )
    if not raw.startswith(b"PK"):
        raise BadInputError("不是有效的 .docx 文件（文件已损坏或扩展名不对）", where)
    return ReportFile(path, "docx", parts=_docx_parts(path, where))


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
        pages = [page.extract_text() or "" for page in reader.pages]
    except BadInputError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInputError(f"无法读取 PDF（{type(exc).__name__}）：文件可能已损坏", where) from None
    if not any(page.strip() for page in pages):
        raise BadInputError("PDF 中没有可提取的文字（可能是扫描件）；请提供报告的 .docx 或 .txt", where)
    return "\f".join(pages)
