"""What a file really is, told by its bytes and its entries, never by its extension: OLE containers (encrypted
OOXML, legacy .xls, WPS .et), formats saved under a wrong name (PDF, images, archives, text, HTML, ...), and zip
packages that are not workbooks (ODF, .docx, .pptx, .xlsb, a plain zip)."""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from xl_perf.errors import describe_os_error
from xl_perf.io.guard.base import (
    MIB,
    MSG_CORRUPT,
    MSG_DOCX,
    MSG_ENCRYPTED,
    MSG_ET,
    MSG_HTML,
    MSG_MHT,
    MSG_NO_WORKBOOK,
    MSG_NOT_REGULAR,
    MSG_ODF,
    MSG_OLE_OTHER,
    MSG_PLAIN_ZIP,
    MSG_PPTX,
    MSG_TEXT,
    MSG_XLS,
    MSG_XLSB,
    MSG_XML,
    SAVE_AS_XLSX,
    bad,
    size_text,
)

OOXML_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE_SCAN_BLOCK = 1 * MIB  # a multiple of 128, the size of a directory entry

# Magic bytes of formats people save with a wrong extension, with what to tell them.
_MAGIC_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "不是 .xlsx 工作簿：这是 PDF 文件，无法作为工作簿读取"),
    (b"\x89PNG", "不是 .xlsx 工作簿：这是图片文件"),
    (b"\xff\xd8\xff", "不是 .xlsx 工作簿：这是图片文件"),
    (b"GIF8", "不是 .xlsx 工作簿：这是图片文件"),
    (b"Rar!", "不是 .xlsx 工作簿：这是 RAR 压缩包，请先解压"),
    (b"7z\xbc\xaf\x27\x1c", "不是 .xlsx 工作簿：这是 7z 压缩包，请先解压"),
    (b"\x1f\x8b", "不是 .xlsx 工作簿：这是 gzip 压缩文件，请先解压"),
    (b"{\\rtf", "不是 .xlsx 工作簿：这是 RTF 文档，" + SAVE_AS_XLSX),
    (b"\x09\x08", "不是 .xlsx 工作簿：这是旧版 Excel（BIFF）文件，" + SAVE_AS_XLSX),
    (b"MZ", "不是 .xlsx 工作簿：这是可执行程序文件"),
    (b"\x7fELF", "不是 .xlsx 工作簿：这是可执行程序文件"),
)


class RegularFile:
    """Open a path for reading without blocking on FIFOs or devices, and accept only regular files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(self.path, flags)
        except OSError as exc:
            if not isinstance(exc, FileNotFoundError) and self.path.is_dir():  # Windows refuses to open folders
                raise bad(self.path, "无法读取文件：这是文件夹，不是文件") from None
            raise bad(self.path, f"无法读取文件：{describe_os_error(exc)}") from None
        try:
            mode = os.fstat(fd).st_mode
        except OSError as exc:
            os.close(fd)
            raise bad(self.path, f"无法读取文件：{describe_os_error(exc)}") from None
        if stat.S_ISDIR(mode):
            os.close(fd)
            raise bad(self.path, "无法读取文件：这是文件夹，不是文件")
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise bad(self.path, MSG_NOT_REGULAR)
        self.file = os.fdopen(fd, "rb")
        return self.file

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def classify_other(head: bytes, size: int) -> str:
    """The message for a file that is neither a zip nor an OLE container."""
    if size < 22:  # smaller than the smallest possible zip archive
        return f"文件过小（{size_text(size)}），{MSG_CORRUPT}"
    for magic, message in _MAGIC_KINDS:
        if message and head.startswith(magic):
            return message
    text = _as_text(head)
    if text is not None:
        start = text.lstrip("\ufeff \t\r\n").lower()
        if start.startswith("mime-version") or "content-type: multipart/related" in start[:2000]:
            return MSG_MHT
        if start.startswith("<!doctype html") or "<html" in start[:2000] or start.startswith("<table"):
            return MSG_HTML
        if start.startswith("<?xml") or start.startswith("<"):
            return MSG_XML
        return MSG_TEXT
    return MSG_CORRUPT


def _as_text(head: bytes) -> str | None:
    """`head` decoded if it looks like the start of a text file (UTF-8, UTF-16 with BOM, or GB18030), else None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
        return text if "\x00" not in text else None
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
        if controls <= len(text) // 100:
            return text
    return None


def wrong_extension(path: Path) -> str | None:
    """The message for a real workbook whose name does not end in a workbook extension, else None."""
    if path.suffix.lower() in OOXML_EXTENSIONS:
        return None
    shown = f"扩展名是“{path.suffix}”" if path.suffix else "没有扩展名"
    return f"文件内容是 .xlsx 工作簿，但{shown}，请把扩展名改为 .xlsx 后重试"


def package_kind(entries: Collection[str], mimetype: bytes) -> str | None:
    """The message for a zip package that is not an .xlsx workbook, judged by its entry names (casefolded) and
    the content of its `mimetype` entry (empty if none); None for a workbook."""
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return MSG_ODF
    if "[content_types].xml" not in entries:
        return MSG_PLAIN_ZIP
    if "xl/workbook.bin" in entries or (
        "xl/workbook.xml" not in entries and any(k.startswith("xl/") and k.endswith(".bin") for k in entries)
    ):
        return MSG_XLSB
    if "xl/workbook.xml" not in entries:
        if "word/document.xml" in entries:
            return MSG_DOCX
        if "ppt/presentation.xml" in entries:
            return MSG_PPTX
        return MSG_NO_WORKBOOK
    return None


# --- OLE (compound file binary) ---------------------------------------------------------------------------------


def classify_ole(f: BinaryIO, size: int) -> str:
    names = {n.casefold() for n in _ole_names(f, size)}
    if {"encryptedpackage", "encryptioninfo"} & names or "\tdrmcontent" in names:
        return MSG_ENCRYPTED
    if "etextdata" in names:
        return MSG_ET
    if "workbook" in names or "book" in names:
        return MSG_XLS
    return MSG_OLE_OTHER


def _ole_names(f: BinaryIO, size: int) -> set[str]:
    """Names of all streams and storages of an OLE file: olefile if installed, else a scan of directory entries."""
    try:
        import olefile
    except ImportError:
        return _scan_ole_directory(f, size)
    try:
        f.seek(0)
        ole = olefile.OleFileIO(f)
        try:
            return {part for entry in ole.listdir(streams=True, storages=True) for part in entry}
        finally:
            ole.close()
    except Exception:  # olefile rejects damaged containers in many ways; fall back to the raw scan
        return _scan_ole_directory(f, size)


def _scan_ole_directory(f: BinaryIO, size: int) -> set[str]:
    """Directory entries found by shape at every 128-byte boundary (directory sectors are sector-aligned).

    This needs neither the FAT nor a consistent header, so it also classifies damaged containers. A stream's
    content can mimic an entry; that only affects which refusal message is shown.
    """
    names: set[str] = set()
    f.seek(0)
    offset = 0
    while offset < size:
        block = f.read(min(_OLE_SCAN_BLOCK, size - offset))
        if not block:
            break
        for pos in range(0, len(block) - 127, 128):
            if offset + pos < 512:  # the header
                continue
            name = _ole_entry_name(block, pos)
            if name:
                names.add(name)
        offset += len(block)
    return names


def _ole_entry_name(block: bytes, pos: int) -> str | None:
    """The name of the directory entry at `pos`, if the 128 bytes there have the shape of one."""
    name_len = block[pos + 64] | (block[pos + 65] << 8)
    kind = block[pos + 66]
    if kind not in (1, 2, 5) or not 2 <= name_len <= 64 or name_len % 2:
        return None
    raw = block[pos : pos + name_len]
    if raw[-2:] != b"\x00\x00":
        return None
    try:
        name = raw[:-2].decode("utf-16-le")
    except UnicodeDecodeError:
        return None
    return name if name and "\x00" not in name else None
