"""The guard for reports (自评报告): a Word .docx or a PDF is looked at without trusting it before python-docx or
pypdf see it, with the same sniffing, zip directory limits, inflate budget and XML entity checks as workbooks.

A .docx is a zip of XML parts like an .xlsx, so its directory goes through `zipdir.directory` and every XML part
through a `PartScanner` within one `Budget`; no part may inflate beyond `MAX_XML_PART` (python-docx holds the
whole document part as an lxml tree, some ten times its size). A PDF must start as a PDF and stay within
`DOCUMENT_LIMITS.max_file_bytes`; the rest (page count, text size, time) is bounded where pypdf runs, in the
sandboxed child (`child.run_in_child`), because a hostile PDF can make pypdf loop.

The zip and XML layers word their refusals for workbooks; `as_document` says them of a document instead.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from xl_perf.errors import BadInputError
from xl_perf.io.guard import base
from xl_perf.io.guard.base import MIB, SAVE_AS_XLSX, Limits, bad, size_text
from xl_perf.io.guard.parts import PackageState, PartScanner
from xl_perf.io.guard.sniff import OLE_MAGIC, ZIP_MAGICS, RegularFile, classify_other
from xl_perf.io.guard.zipdir import Budget, directory, entry_bytes, entry_whole, first_bytes

SAVE_AS_DOCX = "请在 Word 或 WPS 中打开，点“文件 → 另存为”，保存类型选“Word 文档（*.docx）”，再用 .docx 文件校验"
DOCUMENT_LIMITS = Limits(
    max_file_bytes=100 * MIB,  # a report with photographs of the works
    max_uncompressed_bytes=300 * MIB,
    max_entries=5_000,
    memory_bytes=1024 * MIB,
    timeout_s=60.0,
)
# A module attribute read at each use (never imported by name), so tests can make it small.
MAX_XML_PART = 64 * MIB
MAX_PDF_PAGES = 2_000
MAX_REPORT_CHARS = 20_000_000  # text handed back by the child: some hundred times a long report

MSG_OLE_DOCX = f"这个文件实际是 Word 97-2003 / WPS 格式或已加密（设置了打开密码）。{SAVE_AS_DOCX}（不设密码）"
_XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00<")
_IN_MEMORY_BYTES = 16 * MIB


def as_document(exc: BadInputError) -> BadInputError:
    """A refusal of the shared zip and XML layers, worded for a Word document instead of a workbook."""
    message = exc.message.replace(SAVE_AS_XLSX, SAVE_AS_DOCX).replace("工作簿", "文档")
    return BadInputError(message, exc.location)


def _not_docx(head: bytes, size: int) -> str:
    """What to tell of a .docx that is not a zip (nor an OLE container)."""
    if size < 22:
        return f"文件过小（{size_text(size)}），不是有效的 .docx 文档，文件可能已损坏或被截断"
    if head.startswith(b"%PDF"):
        return "不是 .docx 文档：这是 PDF 文件；请把扩展名改为 .pdf，或提供报告的 .docx"
    if head.lstrip().startswith(b"{\\rtf"):
        return f"不是 .docx 文档：这是 RTF 文档。{SAVE_AS_DOCX}"
    kind = classify_other(head, size)  # worded for workbooks: only which kind it found is used here
    if "网页归档" in kind or "HTML" in kind:
        return (
            f"不是 .docx 文档：这是网页（HTML/MHT）文件（常见于“另存为网页”或系统导出的“伪 Word”文件）。{SAVE_AS_DOCX}"
        )
    if "XML" in kind:
        return f"不是 .docx 文档：这是 XML 文件（可能是 Word 2003 XML 文档）。{SAVE_AS_DOCX}"
    if "文本文件" in kind:
        return "不是 .docx 文档：这是纯文本文件；请把扩展名改为 .txt 后再校验"
    return f"不是有效的 .docx 文档（文件已损坏或扩展名不对）。{SAVE_AS_DOCX}"


def _package_kind(path: Path, entries: Collection[str], mimetype: bytes) -> None:
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise bad(path, f"这是 OpenDocument 文件（如 WPS/LibreOffice 的 .odt），不是 .docx 文档。{SAVE_AS_DOCX}")
    if "[content_types].xml" not in entries:
        raise bad(
            path, "不是 .docx 文档：这是普通的 zip 压缩包（缺少 [Content_Types].xml）；如果里面装的是报告，请先解压"
        )
    if "word/document.xml" in entries:
        return
    if "xl/workbook.xml" in entries:
        raise bad(path, "不是 Word 文档：这是 Excel 工作簿（.xlsx），请把扩展名改为 .xlsx 后作为工作簿校验")
    if "ppt/presentation.xml" in entries:
        raise bad(path, "不是 Word 文档：这是 PowerPoint 演示文稿（.pptx）")
    raise bad(path, f"不是 .docx 文档：缺少正文部件 word/document.xml，文件可能已损坏。{SAVE_AS_DOCX}")


def inspect_docx(path: Path, limits: Limits = DOCUMENT_LIMITS) -> None:
    """Refuse `path` with a Chinese `BadInputError` unless it is a Word .docx that is safe to hand to python-docx."""
    path = Path(path)
    with RegularFile(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise bad(path, "文件为空（0 字节），不是有效的 .docx 文档")
        head = f.read(4096)
        if head.startswith(OLE_MAGIC):
            raise bad(path, MSG_OLE_DOCX)
        if not head.startswith(ZIP_MAGICS):
            raise bad(path, _not_docx(head, size))
        if size > limits.max_file_bytes:
            raise bad(path, f"文件过大（{size_text(size)}，上限 {size_text(limits.max_file_bytes)}），不像是自评报告")
        source: BinaryIO = f
        if size <= _IN_MEMORY_BYTES:
            f.seek(0)
            source = io.BytesIO(f.read())
        try:
            by_name = directory(path, source, size, limits)
            info = by_name.get("mimetype")
            mimetype = first_bytes(path, source, info, size) if info is not None and info.file_size < 200 else b""
        except BadInputError as exc:
            raise as_document(exc) from None
        _package_kind(path, by_name, mimetype)
        try:
            _scan_parts(path, source, size, limits, by_name)
        except BadInputError as exc:
            raise as_document(exc) from None


def _scan_parts(path: Path, f: BinaryIO, size: int, limits: Limits, by_name: dict[str, zipfile.ZipInfo]) -> None:
    """Every XML part through the entity and encoding checks, all within one inflate budget."""
    budget = Budget(path, limits.max_uncompressed_bytes)
    state = PackageState(path, limits)
    for key, info in by_name.items():
        named_xml = key.endswith((".xml", ".rels", ".vml"))
        if not named_xml and not first_bytes(path, f, info, size).lstrip(b" \t\r\n").startswith(_XML_STARTS):
            continue  # images and other binary parts: counted by the directory's limits, never parsed
        if info.file_size > MAX_XML_PART:
            raise bad(
                path,
                f"文档内部“{info.filename[:200]}”过大（{size_text(info.file_size)}，上限 {size_text(MAX_XML_PART)}），"
                "不像是自评报告，已拒绝读取",
            )
        scanner = PartScanner(state, info.filename, strict=False)
        if info.file_size <= base.CHUNK:
            scanner.whole(entry_whole(path, f, info, size, budget))
            continue
        for chunk in entry_bytes(path, f, info, size, budget):
            scanner.feed(chunk)
        scanner.finish()


def inspect_pdf(path: Path, limits: Limits = DOCUMENT_LIMITS) -> None:
    """Refuse `path` unless it starts as a PDF and is within the size limit (pages and time: see the module)."""
    path = Path(path)
    with RegularFile(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise bad(path, "文件为空（0 字节），不是有效的 PDF 文件")
        head = f.read(1024)  # the header may follow up to 1 KB of other bytes
    if b"%PDF-" not in head:
        if head.startswith(ZIP_MAGICS):
            what = "这是 zip 格式的文件（可能是 .docx 报告）；请把扩展名改为 .docx"
        elif head.startswith(OLE_MAGIC):
            what = f"这是 Word 97-2003 / WPS 格式的文件。{SAVE_AS_DOCX}"
        else:
            what = "文件可能已损坏或扩展名不对；请提供报告的 .docx 或 .txt"
        raise bad(path, f"不是 PDF 文件：{what}")
    if size > limits.max_file_bytes:
        raise bad(path, f"文件过大（{size_text(size)}，上限 {size_text(limits.max_file_bytes)}），不像是自评报告")


__all__ = [
    "DOCUMENT_LIMITS",
    "MAX_PDF_PAGES",
    "MAX_REPORT_CHARS",
    "MSG_OLE_DOCX",
    "SAVE_AS_DOCX",
    "as_document",
    "inspect_docx",
    "inspect_pdf",
]
