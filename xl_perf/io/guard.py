"""Refuse hostile or unusable workbook files before any spreadsheet library sees them.

Two layers:

- `inspect(path)` looks at the file without trusting it: real type by magic bytes (never the extension), OLE
  containers (encrypted OOXML, legacy .xls, WPS .et), zip structure, declared and actual uncompressed sizes, XML
  entity declarations, and the extent of every sheet. Each part is read as a stream, never the whole file at once.
- `read_in_child(path, fn)` runs `inspect` and then `fn(path)` in a separate process with an address-space cap and
  a timeout, so a reader that aborts (python-calamine does on some inputs) cannot take the caller down.

Every refusal is a `BadInputError` with a Chinese message and the file (and sheet, where relevant) as location.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import html
import io
import os
import posixpath
import re
import stat
import struct
import sys
import time
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from xl_perf.errors import BadInputError, Location, XlPerfError, describe_os_error
from xl_perf.io.cells import col_index, col_letter

T = TypeVar("T")

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Thresholds for `inspect` and `read_in_child`. The defaults suit budget self-evaluation workbooks."""

    max_file_bytes: int = 50 * MIB
    max_uncompressed_bytes: int = 300 * MIB
    max_ratio: float = 100.0  # per entry, uncompressed / compressed (for entries > 1 MB uncompressed)
    max_entries: int = 10_000
    max_rows: int = 100_000  # per sheet, from <dimension ref> and from the largest cell reference present
    max_cols: int = 1_000
    # per sheet, rows x columns of the area from A1 to its farthest cell: readers hold that whole rectangle in
    # memory (python-calamine ~40 bytes a cell), so one cell at ALL20000 costs as much as 20 million filled ones
    max_cells: int = 4_000_000
    memory_bytes: int = 1024 * MIB  # address-space cap of the child process
    timeout_s: float = 60.0


# ---------------------------------------------------------------------------------------------------------------
# Messages (Chinese, shown to the user as is)
# ---------------------------------------------------------------------------------------------------------------

SAVE_AS_XLSX = "请在 Excel/WPS 中打开后另存为 .xlsx 再试"
MSG_EMPTY = "文件为空（0 字节），不是有效的 .xlsx 工作簿"
MSG_NOT_REGULAR = "不是普通文件（可能是设备、管道或其他特殊文件），已拒绝读取"
MSG_CORRUPT = "不是 .xlsx 工作簿，可能已损坏或被截断"
MSG_ENCRYPTED = "工作簿已加密（设置了打开密码），请在 Excel/WPS 中取消密码后另存为 .xlsx 再试"
MSG_XLS = "这是旧版 .xls 文件，请在 Excel/WPS 中另存为 .xlsx 后重试"
MSG_ET = "这是 WPS 表格 .et 文件，请在 WPS 中另存为 .xlsx 后重试"
MSG_OLE_OTHER = (
    "这是 OLE 复合文档（旧版 Office 格式，例如 .xls、WPS .et 或 .doc），不是 .xlsx 工作簿，"
    "请在 Excel/WPS 中另存为 .xlsx 后重试"
)
MSG_PLAIN_ZIP = "不是 .xlsx 工作簿：这是普通的 zip 压缩包（缺少 [Content_Types].xml）；如果里面装的是工作簿，请先解压"
MSG_NO_WORKBOOK = "不是 .xlsx 工作簿：缺少 xl/workbook.xml"
MSG_XLSB = "这是 .xlsb（二进制工作簿）文件，请在 Excel/WPS 中另存为 .xlsx 后重试"
MSG_DOCX = "不是工作簿：这是 Word 文档（.docx）"
MSG_PPTX = "不是工作簿：这是 PowerPoint 演示文稿（.pptx）"
MSG_ODF = "这是 OpenDocument 文件（如 WPS/LibreOffice 的 .ods），请在 Excel/WPS 中另存为 .xlsx 后重试"
MSG_ENTITY = "文件含有不允许的 XML 实体声明（内部部件 {part}），可能是恶意构造的文件，已拒绝读取"
MSG_CHILD_CRASH = "读取工作簿时读取程序异常退出（可能是文件损坏或格式异常），已安全中止"
MSG_TIMEOUT = "读取超时（超过 {seconds:g} 秒），已中止；文件可能过大或格式异常"

_OOXML_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CHUNK = 1 * MIB
_MAX_TAG_CHARS = 4 * MIB  # a single unfinished markup token longer than this is not XML any reader accepts
_RATIO_MIN_BYTES = 1 * MIB
_IN_MEMORY_BYTES = 16 * MIB  # files up to this size are inspected from one read into memory
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
MSG_TEXT = "不是 .xlsx 工作簿：这是文本文件（如 CSV 或制表符分隔的文本），" + SAVE_AS_XLSX
MSG_HTML = "不是 .xlsx 工作簿：这是网页（HTML）文件（常见于系统导出的“伪 Excel”文件），" + SAVE_AS_XLSX
MSG_XML = "不是 .xlsx 工作簿：这是 XML 文件（可能是 Excel 2003 XML 表格），" + SAVE_AS_XLSX
MSG_MHT = "不是 .xlsx 工作簿：这是网页归档（MHT）文件，" + SAVE_AS_XLSX


def _bad(path: Path, message: str, sheet: str | None = None) -> BadInputError:
    return BadInputError(message, Location(file=str(path), sheet=sheet))


def _size_text(n: float) -> str:
    if n >= 1024 * MIB:
        return f"{n / (1024 * MIB):.1f} GB"
    if n >= MIB:
        return f"{n / MIB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} 字节"


# ---------------------------------------------------------------------------------------------------------------
# inspect
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageFacts:
    """What the scan of `inspect` learnt on the way, so readers need not parse the XML a second time.

    `names`: workbook-level defined names and their reference text (as openpyxl's `defined_names` gives them).
    `formulas`: 0-based (row, col) of every cell holding a formula, per sheet name.
    Both are only meaningful when `formulas` is not None: None means some part was written in a form the fast scan
    does not follow (prefixed tags, cells without references, CDATA, ...), and readers must ask a full XML parser.
    """

    names: dict[str, str]
    formulas: dict[str, frozenset[tuple[int, int]]] | None


def inspect(path: Path, limits: Limits = Limits()) -> PackageFacts:
    """Refuse `path` with a `BadInputError` unless it looks like a safe, readable .xlsx workbook within `limits`;
    return what the scan found out about defined names and formula cells."""
    path = Path(path)
    with _open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise _bad(path, MSG_EMPTY)
        head = f.read(4096)
        if head.startswith(_OLE_MAGIC):  # tell the user what it is even when it is also too large
            raise _bad(path, _classify_ole(f, min(size, limits.max_file_bytes)))
        if not head.startswith(_ZIP_MAGICS):
            raise _bad(path, _classify_other(head, size))
        if size > limits.max_file_bytes:
            raise _bad(path, f"文件过大（{_size_text(size)}，上限 {_size_text(limits.max_file_bytes)}），已拒绝读取")
        if size <= _IN_MEMORY_BYTES:  # one read instead of dozens of small ones
            f.seek(0)
            facts = _inspect_zip(path, io.BytesIO(f.read()), size, limits)
        else:
            facts = _inspect_zip(path, f, size, limits)
    suffix = path.suffix.lower()
    if suffix not in _OOXML_EXTENSIONS:
        shown = f"扩展名是“{path.suffix}”" if path.suffix else "没有扩展名"
        raise _bad(path, f"文件内容是 .xlsx 工作簿，但{shown}，请把扩展名改为 .xlsx 后重试")
    return facts


class _RegularFile:
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
                raise _bad(self.path, "无法读取文件：这是文件夹，不是文件") from None
            raise _bad(self.path, f"无法读取文件：{describe_os_error(exc)}") from None
        try:
            mode = os.fstat(fd).st_mode
        except OSError as exc:
            os.close(fd)
            raise _bad(self.path, f"无法读取文件：{describe_os_error(exc)}") from None
        if stat.S_ISDIR(mode):
            os.close(fd)
            raise _bad(self.path, "无法读取文件：这是文件夹，不是文件")
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise _bad(self.path, MSG_NOT_REGULAR)
        self.file = os.fdopen(fd, "rb")
        return self.file

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def _open_regular(path: Path) -> _RegularFile:
    return _RegularFile(path)


def _classify_other(head: bytes, size: int) -> str:
    """The message for a file that is neither a zip nor an OLE container."""
    if size < 22:  # smaller than the smallest possible zip archive
        return f"文件过小（{_size_text(size)}），{MSG_CORRUPT}"
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


# --- OLE (compound file binary) ---------------------------------------------------------------------------------


def _classify_ole(f: BinaryIO, size: int) -> str:
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
        olefile = None
    if olefile is not None:
        try:
            f.seek(0)
            ole = olefile.OleFileIO(f)
            try:
                return {part for entry in ole.listdir(streams=True, storages=True) for part in entry}
            finally:
                ole.close()
        except Exception:  # olefile rejects damaged containers in many ways; fall back to the raw scan
            pass
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
            name_len = block[pos + 64] | (block[pos + 65] << 8)
            kind = block[pos + 66]
            if kind not in (1, 2, 5) or not 2 <= name_len <= 64 or name_len % 2:
                continue
            raw = block[pos : pos + name_len]
            if raw[-2:] != b"\x00\x00":
                continue
            try:
                name = raw[:-2].decode("utf-16-le")
            except UnicodeDecodeError:
                continue
            if name and "\x00" not in name:
                names.add(name)
        offset += len(block)
    return names


# --- zip --------------------------------------------------------------------------------------------------------


@dataclass
class _EndRecord:
    entries: int
    cd_size: int
    cd_offset: int


def _end_record(f: BinaryIO, size: int) -> _EndRecord | None:
    """The end-of-central-directory record (zip64 aware), or None if there is none."""
    tail_len = min(size, 65535 + 22)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        return None
    disk, cd_disk, _, entries, cd_size, cd_offset, _ = struct.unpack("<HHHHIIH", tail[pos + 4 : pos + 22])
    if disk != 0 or cd_disk != 0:
        return None
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = pos - 20
        if loc >= 0 and tail[loc : loc + 4] == b"PK\x06\x07":
            (z64_offset,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
            if z64_offset + 56 <= size:
                f.seek(z64_offset)
                rec = f.read(56)
                if rec[:4] == b"PK\x06\x06":
                    entries, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
    return _EndRecord(entries, cd_size, cd_offset)


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    struct.error,
    KeyError,
    IndexError,
    OverflowError,
    RuntimeError,
)


def _unsafe_name(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return any(part == ".." for part in name.split("/"))


def _inspect_zip(path: Path, f: BinaryIO, size: int, limits: Limits) -> PackageFacts:
    end = _end_record(f, size)
    if end is None or end.cd_size > size or end.cd_offset > size:
        raise _bad(path, MSG_CORRUPT)
    if end.entries > limits.max_entries:
        raise _bad(path, f"工作簿内部条目过多（{end.entries} 个，上限 {limits.max_entries} 个），可能是恶意构造的文件")
    try:
        f.seek(0)
        archive = zipfile.ZipFile(f)
    except _ZIP_ERRORS:
        raise _bad(path, MSG_CORRUPT) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise _bad(
                path, f"工作簿内部条目过多（{len(infos)} 个，上限 {limits.max_entries} 个），可能是恶意构造的文件"
            )
        by_name: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            if _unsafe_name(name):
                raise _bad(path, f"工作簿内部含有异常的路径“{name[:200]}”，可能是恶意构造的文件，已拒绝读取")
            key = name.casefold()
            if key in by_name:
                raise _bad(path, f"工作簿内部含有重复的条目“{name[:200]}”，可能是恶意构造的文件，已拒绝读取")
            by_name[key] = info
            if info.flag_bits & 0x1:
                raise _bad(path, f"工作簿内部条目“{name[:200]}”使用了 zip 加密，无法读取")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _bad(path, f"工作簿内部条目“{name[:200]}”使用了不支持的压缩方式，{SAVE_AS_XLSX}")
            total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise _bad(
                path,
                f"工作簿解压后过大（声明 {_size_text(total)}，上限 {_size_text(limits.max_uncompressed_bytes)}），"
                "可能是压缩炸弹，已拒绝读取",
            )
        for info in infos:
            if info.file_size > _RATIO_MIN_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise _bad(
                    path,
                    f"工作簿内部“{info.filename[:200]}”的压缩比异常（{ratio:.0f} 倍，上限 {limits.max_ratio:.0f} 倍），"
                    "可能是压缩炸弹，已拒绝读取",
                )
        _check_package_kind(path, f, by_name, size)
        scan = _ZipScan(path, f, size, by_name, limits)
        scan.run()
        return scan.facts()


def _check_package_kind(path: Path, f: BinaryIO, by_name: dict[str, zipfile.ZipInfo], size: int) -> None:
    if "mimetype" in by_name and by_name["mimetype"].file_size < 200:
        try:
            mimetype = b"".join(_entry_bytes(path, f, by_name["mimetype"], size, None))
        except BadInputError:
            mimetype = b""
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise _bad(path, MSG_ODF)
    if "[content_types].xml" not in by_name:
        raise _bad(path, MSG_PLAIN_ZIP)
    if "xl/workbook.bin" in by_name or (
        "xl/workbook.xml" not in by_name and any(k.startswith("xl/") and k.endswith(".bin") for k in by_name)
    ):
        raise _bad(path, MSG_XLSB)
    if "xl/workbook.xml" not in by_name:
        if "word/document.xml" in by_name:
            raise _bad(path, MSG_DOCX)
        if "ppt/presentation.xml" in by_name:
            raise _bad(path, MSG_PPTX)
        raise _bad(path, MSG_NO_WORKBOOK)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, path: Path, inflated: int) -> None:
        """Count `inflated` more bytes; refuse the file once they pass the limit."""
        self.used += inflated
        if self.used > self.limit:
            raise _over_budget(path, self)


def _corrupt_entry(path: Path, info: zipfile.ZipInfo) -> BadInputError:
    return _bad(path, f"工作簿已损坏：无法读取内部“{info.filename[:200]}”，文件可能不完整或被截断")


def _inflated_too_much(path: Path, info: zipfile.ZipInfo) -> BadInputError:
    return _bad(
        path,
        f"工作簿内部“{info.filename[:200]}”实际解压后的大小超过声明的 {_size_text(info.file_size)}，"
        "可能是压缩炸弹，已拒绝读取",
    )


def _over_budget(path: Path, budget: _Budget) -> BadInputError:
    return _bad(path, f"工作簿解压后过大（超过 {_size_text(budget.limit)}），可能是压缩炸弹，已拒绝读取")


def _seek_data(path: Path, f: BinaryIO, info: zipfile.ZipInfo, size: int) -> None:
    """Position `f` at the entry's data, after its local header."""
    try:
        f.seek(info.header_offset)
        local = f.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise _corrupt_entry(path, info)
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        data_start = info.header_offset + 30 + name_len + extra_len
        if data_start + info.compress_size > size:
            raise _corrupt_entry(path, info)
        f.seek(data_start)
    except _ZIP_ERRORS:
        raise _corrupt_entry(path, info) from None


def _entry_whole(path: Path, f: BinaryIO, info: zipfile.ZipInfo, size: int, budget: _Budget | None) -> bytes:
    """The uncompressed bytes of an entry small enough to hold at once (`file_size` <= `_CHUNK`), with the same
    checks as `_entry_bytes`: the output is capped one byte past the declared size, so a lying entry is noticed
    without inflating the rest of it."""
    _seek_data(path, f, info, size)
    try:
        raw = f.read(info.compress_size)
        if len(raw) != info.compress_size:
            raise _corrupt_entry(path, info)
        if info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            data = inflater.decompress(raw, info.file_size + 1)
            if len(data) > info.file_size:
                raise _inflated_too_much(path, info)
            if not inflater.eof:
                raise _corrupt_entry(path, info)
        else:
            data = raw
            if len(data) > info.file_size:
                raise _inflated_too_much(path, info)
    except (zlib.error, OSError, ValueError):
        raise _corrupt_entry(path, info) from None
    if budget is not None:
        budget.spend(path, len(data))
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise _corrupt_entry(path, info)
    return data


def _entry_bytes(path: Path, f: BinaryIO, info: zipfile.ZipInfo, size: int, budget: _Budget | None) -> Iterator[bytes]:
    """The uncompressed bytes of one entry, in chunks, verified against its declared size and CRC.

    Reads the raw data itself rather than through `zipfile.ZipExtFile`, so that data inflating beyond the size the
    central directory declares is noticed (and refused) the moment it happens.
    """
    _seek_data(path, f, info, size)
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    remaining = info.compress_size
    produced = 0
    crc = 0

    def account(out: bytes) -> None:
        nonlocal produced, crc
        produced += len(out)
        if produced > info.file_size:
            raise _inflated_too_much(path, info)
        if budget is not None:
            budget.spend(path, len(out))
        crc = zlib.crc32(out, crc)

    try:
        while remaining > 0:
            raw = f.read(min(_CHUNK, remaining))
            if not raw:
                raise _corrupt_entry(path, info)
            remaining -= len(raw)
            if inflater is None:
                account(raw)
                yield raw
                continue
            data = raw
            while True:
                out = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
                if out:
                    account(out)
                    yield out
                if inflater.eof or (not data and not out):
                    break
            if inflater.eof:
                break
        if inflater is not None:
            while not inflater.eof:  # output still held back by the output cap
                out = inflater.decompress(b"", _CHUNK)
                if not out:
                    break
                account(out)
                yield out
            if not inflater.eof:
                raise _corrupt_entry(path, info)
    except (zlib.error, OSError, ValueError):
        raise _corrupt_entry(path, info) from None
    if produced != info.file_size or crc != info.CRC:
        raise _corrupt_entry(path, info)


# --- XML scanning ------------------------------------------------------------------------------------------------
# The scan works on bytes: all markup it looks for is ASCII, and UTF-8 validity is checked by a separate decoder.

_P = rb"<(?:[A-Za-z_][\w.-]*:)?"  # start of a tag with an optional namespace prefix


def _case_free(word: bytes) -> bytes:
    return b"".join(b"[%c%c]" % (c, c + 32) for c in word)  # not re.IGNORECASE: that costs sre its fast prefix scan


_ENTITY = rb"<!\s*(?:" + _case_free(b"DOCTYPE") + rb"|" + _case_free(b"ENTITY") + rb")"
_ENTITY_RE = re.compile(_ENTITY)
_TOKEN_RE = re.compile(_P + rb"(row|c)(?=[\s/>])([^>]*)>")
# A <c> or <row> start tag that is not in the usual form (unprefixed, r="..." as the first attribute).
_UNUSUAL_CELL_OR_ROW_RE = re.compile(rb'<(?:c|row)(?:[\t\n\r/>]| (?!r="))')
_PREFIXED_CELL_OR_ROW_RE = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]")
# A reference with a character reference in it, or a second r attribute (readers take the last one).
_TRICKY_REF_RE = re.compile(rb'<(?:c|row) r="[^"&]*(?:&|"[^>]*\sr\s*=)')
_LAST_REF_RE = re.compile(rb'<(?:c|row) r="\$?([A-Za-z]*)\$?(\d*)"')
_DIM_RE = re.compile(_P + rb"dimension\s([^>]*)>")
_SHEET_RE = re.compile(_P + rb"sheet(?=[\s/>])([^>]*)>")
_REL_RE = re.compile(_P + rb"Relationship(?=[\s/>])([^>]*)>")
_ATTR_RE = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_NAME_RE = re.compile(r"^\$?([A-Za-z]+)\$?(\d+)$")
# Formula cells in the usual form: <f> is the first child of <c> (the schema's order), maybe after whitespace.
_FORMULA_CELL_RE = re.compile(rb'<c r="([A-Za-z]{1,3})(\d{1,7})"[^>]*(?<!/)>\s*<f[\s/>]')
_OPEN_CELL_AT_END_RE = re.compile(rb'<c r="([A-Za-z]{1,3})(\d{1,7})"[^>]*(?<!/)>\s*\Z')
_FORMULA_START_RE = re.compile(rb"\s*<f[\s/>]")
_NAME_ATTR_RE = re.compile(r'^\s+name="([^"]*)"')
_DEFINED_NAME_RE = re.compile(r"<definedName(?=[\s>])([^>]*)>([^<]*)</definedName>")
_FAR_ROW_RE = re.compile(rb'<(?:c|row) r="\$?[A-Za-z]*\$?(\d{4,})')
_FAR_CELL_RE = re.compile(rb'<c r="[A-Za-z]{1,3}(\d{4,})')  # the screen's usual form; a literal start is fast
_WIDE_COL_RE = re.compile(rb'<c r="\$?([A-Za-z]{2,})')
_DECLARED_ENCODING_RE = re.compile(rb'(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*["\']([^"\']*)["\']')
_ACCEPTED_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be", "us-ascii", "ascii", "iso-8859-1"}
_XML_STARTS = (b"<", b"\xef\xbb\xbf", codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x00<", b"\x00\x00")
_STRING_INDEX_RE = re.compile(rb't="s"[^>]*>\s*<v>\s*(\d+)\s*</v>')
_MAX_WORKBOOK_XML = 8 * MIB  # larger workbook parts (thousands of names) go to the full parser

_SHEET_TYPES = ("/worksheet", "/dialogsheet", "/chartsheet", "/xlmacrosheet", "/xlintlmacrosheet")
_STRICT_XML_TYPES = ("/sharedstrings", "/styles")


def _unescape(text: str) -> str:
    """Attribute or element text as it reads, with character and entity references resolved."""
    return html.unescape(text) if "&" in text else text


def _xml_text(raw: bytes) -> str:
    return _unescape(raw.decode("utf-8", "replace"))


def _attrs(markup: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in _ATTR_RE.finditer(markup):
        raw = m.group(2) if m.group(2) is not None else m.group(3)
        found[m.group(1).decode("ascii", "replace")] = _xml_text(raw or b"")
    return found


def _number(digits: str | bytes) -> int:
    """A row number from its digits; absurdly long ones (beyond int parsing limits) count as huge."""
    return int(digits) if len(digits) <= 12 else 10**13


@functools.lru_cache(maxsize=4096)
def _col_number(letters: str | bytes) -> int:
    """1-based column number of column letters (A = 1); huge for nonsense, which the limit check then refuses."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii", "replace")
    if len(letters) > 7:
        return 10**9
    return col_index(letters) + 1


def _col_letters(number: int) -> str:
    """Column letters of the 1-based column `number` ("" for 0)."""
    return col_letter(number - 1) if number > 0 else ""


class _PartScan:
    """Incremental checks of one XML part: encoding, entity declarations, and (for sheets) extent."""

    def __init__(self, owner: _ZipScan, part: str, kind: str, strict: bool, sheet: str | None) -> None:
        self.owner = owner
        self.part = part
        self.kind = kind  # "sheet", "workbook", "rels" or "plain"
        self.strict = strict
        self.sheet = sheet
        self.started = False
        self.validator: codecs.IncrementalDecoder | None = None  # strict UTF-8 check, output discarded
        self.transcoder: codecs.IncrementalDecoder | None = None  # UTF-16 parts of lenient kinds, scanned as UTF-8
        self.carry = b""
        self.rows_seen = 0
        self.cur_row = 0  # 1-based number of the current row
        self.cur_col = 0  # 1-based column of the last cell in the current row
        self.open_cell: tuple[int, int] | None = None  # a <c> start tag ending the previous block (0-based)
        self.is_whole = False  # the part came in one block (`whole`): nothing to carry to a next block
        self.counts_strings = False  # this is the shared-strings part: count its items
        self.strings = 0
        self.max_row = 0  # farthest row and column of any cell seen (1-based), for the area limit
        self.max_col = 0

    # -- feeding

    def feed(self, data: bytes) -> None:
        if not self.started:
            self.started = True
            self._start(data)
        if self.validator is not None:
            try:
                # ASCII needs no decoding (XlsxWriter and Excel write most sheet XML as ASCII): unless a multi-byte
                # sequence is pending from the previous chunk, an ASCII chunk is valid UTF-8 as it stands.
                if not (data.isascii() and not self.validator.getstate()[0]):
                    self.validator.decode(data)
            except UnicodeDecodeError:
                raise self._encoding_error() from None
        if self.transcoder is not None:
            data = self.transcoder.decode(data).encode("utf-8", "replace")
        self._take(data)

    def whole(self, data: bytes) -> None:
        """Check a part given at once: the same checks as `feed` + `finish`, without carrying state between blocks."""
        self.started = True
        self.is_whole = True
        encoding = self._utf16(data)
        if encoding is not None:
            data = data.decode(encoding, "replace").encode("utf-8", "replace")
        elif self.strict and not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise self._encoding_error() from None
        if data:
            self._process(data)

    def finish(self) -> None:
        if self.validator is not None:
            try:
                self.validator.decode(b"", final=True)
            except UnicodeDecodeError:
                raise self._encoding_error() from None
        if self.transcoder is not None:
            self._take(self.transcoder.decode(b"", final=True).encode("utf-8", "replace"))
        if self.carry:
            self._process(self.carry)
            self.carry = b""

    def _utf16(self, first: bytes) -> str | None:
        """The UTF-16 codec a part starting with `first` is written in, if it is (refused for strict parts).
        UTF-32 (its BOM starts like UTF-16's) and XML declaring any other encoding are refused in every part: no
        spreadsheet program writes them, and markup the byte scan cannot see could hide in them."""
        if first[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, b"<\x00\x00\x00", b"\x00\x00\x00<"):
            raise self.owner.bad(f"工作簿内部 XML（{self.part}）使用了 UTF-32 编码，可能是恶意构造的文件，已拒绝读取")
        self._declared_encoding(first)
        bom16 = first[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        if bom16 or first[:2] in (b"<\x00", b"\x00<"):
            if self.strict:
                raise self._encoding_error()
            return "utf-16" if bom16 else ("utf-16-le" if first[:1] == b"<" else "utf-16-be")
        return None

    def _declared_encoding(self, first: bytes) -> None:
        head = first[:400]
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or head[:2] in (b"<\x00", b"\x00<"):
            head = head.decode(
                "utf-16"
                if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
                else ("utf-16-le" if head[:1] == b"<" else "utf-16-be"),
                "replace",
            ).encode("utf-8", "replace")
        m = _DECLARED_ENCODING_RE.match(head)
        if m and m.group(1).decode("ascii", "replace").lower() not in _ACCEPTED_ENCODINGS:
            shown = m.group(1)[:20].decode("ascii", "replace")
            raise self.owner.bad(
                f"工作簿内部 XML（{self.part}）声明了不支持的字符编码“{shown}”，可能是恶意构造的文件，已拒绝读取"
            )

    def _start(self, first: bytes) -> None:
        encoding = self._utf16(first)
        if encoding is not None:
            self.transcoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        elif self.strict:
            self.validator = codecs.getincrementaldecoder("utf-8")(errors="strict")

    def _encoding_error(self) -> BadInputError:
        return self.owner.bad(
            f"工作簿内部 XML（{self.part}）不是有效的 UTF-8 编码，文件可能已损坏；{SAVE_AS_XLSX}", self.sheet
        )

    def _take(self, data: bytes) -> None:
        if not data:
            return
        buffer = self.carry + data if self.carry else data
        last = buffer.rfind(b"<")
        if last < 0 or buffer.find(b">", last) >= 0:
            self.carry = b""
            self._process(buffer)
            return
        self.carry = buffer[last:]
        if len(self.carry) > _MAX_TAG_CHARS:
            raise self.owner.bad(f"工作簿内部 XML（{self.part}）结构异常，文件可能已损坏", self.sheet)
        self._process(buffer[:last])

    # -- checks on complete markup

    def _process(self, block: bytes) -> None:
        if self.kind == "sheet" and b't="s"' in block:
            indexes = _STRING_INDEX_RE.findall(block)
            if indexes:
                self.owner.max_string_index = max(self.owner.max_string_index, max(map(_number, indexes)))
        elif self.counts_strings:
            self.strings += block.count(b"<si>") + block.count(b"<si ")
            if b":si" in block:
                self.counts_strings = False
                self.strings = -1
        if self.kind == "sheet" and self.is_whole and self._screened_whole(block):
            return
        if b"<!" in block and _ENTITY_RE.search(block):
            raise self.owner.bad(MSG_ENTITY.format(part=self.part), self.sheet)
        if self.kind == "sheet":
            self._sheet_extent(block)
        elif self.kind == "workbook":
            self.owner.keep_workbook_xml(block)
            for m in _SHEET_RE.finditer(block):
                attrs = _attrs(m.group(1))
                rid = next((v for k, v in attrs.items() if k == "id" or k.endswith(":id")), None)
                if rid is not None and "name" in attrs:
                    self.owner.sheet_names_by_rid[rid] = attrs["name"]
        elif self.kind == "rels":
            for m in _REL_RE.finditer(block):
                attrs = _attrs(m.group(1))
                if attrs.get("TargetMode", "").lower() == "external":
                    continue
                if "Id" in attrs and "Target" in attrs:
                    self.owner.relationships[attrs["Id"]] = (attrs.get("Type", ""), attrs["Target"])

    def _sheet_extent(self, block: bytes) -> None:
        self._declared_extent(block)
        if (
            _UNUSUAL_CELL_OR_ROW_RE.search(block)
            or _PREFIXED_CELL_OR_ROW_RE.search(block)
            or _TRICKY_REF_RE.search(block)
        ):
            self.owner.formulas_exact = False
            self._general_extent(block)
        else:
            self._plain_extent(block)
            if self.owner.formulas_exact:
                self._formula_cells(block)

    def _declared_extent(self, block: bytes) -> None:
        limits = self.owner.limits
        # Each "dimension" word, then the tag around it: far cheaper than running _DIM_RE over the whole block.
        at = block.find(b"dimension")
        while at >= 0:
            start = block.rfind(b"<", 0, at)
            m = _DIM_RE.match(block, start) if start >= 0 else None
            if m:
                ref = _attrs(m.group(1)).get("ref", "")
                cell = _CELL_NAME_RE.match(ref.split(":")[-1].strip())
                if cell and (_number(cell.group(2)) > limits.max_rows or _col_number(cell.group(1)) > limits.max_cols):
                    self._too_large(f"声明的数据范围 {ref[:40]}")
            at = block.find(b"dimension", at + 9)

    def _screened_whole(self, block: bytes) -> bool:
        """One pass over a whole sheet for the common case (see `_sheet_screen`): if every <c>, <row> and
        <dimension> is in the strict usual form, with references too short to pass the limits, and there is no
        entity declaration, note the formula cells and the number of rows and return True; otherwise note nothing
        and return False, and the part gets the full checks."""
        screen = self.owner.sheet_screen_re
        if screen is None:
            return False
        formulas: list[tuple[int, int]] = []
        rows = 0
        columns: set[bytes] = set()
        top_row = 0
        for letters, digits, formula, row, dimension in screen.findall(block):
            if letters:
                columns.add(letters)
                if formula:
                    formulas.append((int(digits) - 1, _col_number(letters) - 1))
            elif row:
                rows += 1
                if int(row) > top_row:
                    top_row = int(row)
            elif not dimension:
                return False
        limits = self.owner.limits
        if rows > limits.max_rows:
            self._too_large(f"行元素多于 {limits.max_rows} 个")
        # The area from A1 to the farthest cell: the widest column, the last row (a cell outside its row's number
        # counts only from 1000 on: below that no column within the limits makes the area too large).
        far_cells = [_number(d) for d in _FAR_CELL_RE.findall(block)]
        self.max_row = max(self.max_row, top_row, rows, *far_cells)
        if columns:
            self.max_col = max(self.max_col, *(_col_number(c) for c in columns))
        if self.sheet is None:
            self.owner.formulas_exact = False
        elif self.owner.formulas_exact:
            self.owner.formulas.setdefault(self.sheet, set()).update(formulas)
        return True

    def _formula_cells(self, block: bytes) -> None:
        """Note the cells whose first child is <f>; only called for blocks in the usual form (see _plain_extent)."""
        if self.sheet is None:
            self.owner.formulas_exact = False
            return
        if not block or block.isspace():  # between a cell's start tag and its first child: still open
            return
        cells = self.owner.formulas.setdefault(self.sheet, set())
        if self.open_cell is not None and _FORMULA_START_RE.match(block):
            cells.add(self.open_cell)
        self.open_cell = None
        if b"<f" in block:
            for letters, digits in _FORMULA_CELL_RE.findall(block):
                cells.add((_number(digits) - 1, _col_number(letters) - 1))
        last = block.rfind(b'<c r="')
        if last >= 0:
            m = _OPEN_CELL_AT_END_RE.match(block, last)
            if m:
                self.open_cell = (_number(m.group(2)) - 1, _col_number(m.group(1)) - 1)

    def _plain_extent(self, block: bytes) -> None:
        """Every <row> and <c> in the block is unprefixed with r="..." first (as Excel, WPS, XlsxWriter and openpyxl
        write them): count rows, and look only at references long enough to possibly exceed the limits."""
        owner = self.owner
        if owner.big_ref_re.search(block):
            for digits in owner.big_row_re.findall(block) + owner.big_cell_row_re.findall(block):
                self._extent(_number(digits), 0)
            for letters in owner.big_cell_col_re.findall(block):
                self._extent(0, _col_number(letters))
        self.rows_seen += block.count(b'<row r="')
        self._area_refs(block)
        if self.rows_seen > owner.limits.max_rows:
            self._too_large(f"行元素多于 {owner.limits.max_rows} 个")
        # Where the block leaves off, for a following block whose rows or cells carry no reference.
        last_row = block.rfind(b'<row r="')
        last_cell = block.rfind(b'<c r="')
        if last_row >= 0:
            m = _LAST_REF_RE.match(block, last_row)
            self.cur_row = _number(m.group(2)) if m and m.group(2) else self.cur_row + 1
            self.cur_col = 0
        if last_cell > last_row:
            m = _LAST_REF_RE.match(block, last_cell)
            if m and m.group(1):
                self.cur_col = _col_number(m.group(1))

    def _general_extent(self, block: bytes) -> None:
        """Walk every <row> and <c> in order; a cell without a reference follows the one before it, as readers do."""
        for m in _TOKEN_RE.finditer(block):
            ref = _attrs(m.group(2)).get("r")
            if m.group(1) == b"row":
                self._row(ref)
                continue
            cell = _CELL_NAME_RE.match(ref) if ref else None
            if cell:
                self.cur_col = _col_number(cell.group(1))
                self._extent(_number(cell.group(2)), self.cur_col)
            else:
                self.cur_col += 1
                self._extent(max(self.cur_row, 1), self.cur_col)

    def _row(self, ref: str | None) -> None:
        self.rows_seen += 1
        self.cur_row = _number(ref) if ref and ref.isascii() and ref.isdigit() else self.cur_row + 1
        self.cur_col = 0
        self._extent(self.cur_row, 0)
        if self.rows_seen > self.owner.limits.max_rows:
            self._too_large(f"行元素多于 {self.owner.limits.max_rows} 个")

    def _area_refs(self, block: bytes) -> None:
        """Farthest row and column of the cells in a block of the usual form (only references of 2+ letters or 4+
        digits can move them far)."""
        for digits in _FAR_ROW_RE.findall(block):
            row = _number(digits)
            if row > self.max_row:
                self.max_row = row
        for letters in _WIDE_COL_RE.findall(block):
            col = _col_number(letters)
            if col > self.max_col:
                self.max_col = col
        if self.rows_seen > self.max_row:
            self.max_row = self.rows_seen
        if self.max_col == 0 and b'<c r="' in block:
            self.max_col = 26  # single letters only: at most Z

    def check_area(self) -> None:
        """Refuse a sheet whose rectangle from A1 to its farthest cell passes `Limits.max_cells`."""
        limits = self.owner.limits
        if self.kind != "sheet" or self.max_row * max(self.max_col, 1) <= limits.max_cells:
            return
        far = f"{_col_letters(self.max_col)}{self.max_row}"
        cells = self.max_row * self.max_col
        self._too_large(
            f"数据从 A1 延伸到 {far}（约 {cells:,} 个单元格，读取时须全部放入内存，上限 {limits.max_cells:,} 个）"
        )

    def _extent(self, row: int, col: int) -> None:
        if row > self.max_row:
            self.max_row = row
        if col > self.max_col:
            self.max_col = col
        """Refuse if row (1-based, 0 = unknown) or column (1-based, 0 = unknown) is beyond the limits."""
        limits = self.owner.limits
        if row > limits.max_rows or col > limits.max_cols:
            letters = _col_letters(min(col, 10**6))
            if col == 0:
                where = f"第 {row} 行"
            elif row == 0:
                where = f"第 {letters} 列"
            else:
                where = f"单元格 {letters}{row}"
            self._too_large(f"数据延伸到{where}")

    def _too_large(self, detail: str) -> None:
        limits = self.owner.limits
        label = self.sheet or self.part
        raise self.owner.bad(
            f"工作表“{label}”的范围过大：{detail}，超过上限（{limits.max_rows} 行 × {limits.max_cols} 列）；"
            "请删除多余的行列或远处的单元格后另存再试",
            self.sheet,
        )


@functools.lru_cache(maxsize=8)  # built once per limits, not for every file
def _sheet_screen(limits: Limits) -> re.Pattern[bytes] | None:
    """The one-pass screen of `_PartScan._screened_whole`. Its first three alternatives are the strict usual forms,
    each leaving a group non-empty: a cell <c r="..."> (columns, row, and whether <f> is its first child), a row, a
    dimension, with references too short to pass the limits and attributes single-spaced, double-quoted and none
    named r again. The others catch what is left: an entity declaration, and any other <c>, <row> or <dimension>
    start tag (prefixed, unusual spacing or quoting, a long reference, ...), leaving every group empty.
    A match cannot hide another: all alternatives start at "<", and the only "<" one consumes after its own start
    is that of <f, which none of them matches."""
    digits, letters = len(str(limits.max_rows)) - 1, len(_col_letters(limits.max_cols)) - 1
    if digits < 1 or letters < 1:  # limits so small that every reference is long: nothing to screen
        return None
    ref = rb"[A-Za-z]{1,%d}\d{1,%d}" % (letters, digits)
    attributes = rb'(?: (?!r=)[A-Za-z_][\w:.-]*="[^"]*")*'
    return re.compile(
        b"|".join(
            (
                rb'<c r="([A-Za-z]{1,%d})(\d{1,%d})"' % (letters, digits) + attributes + rb"(?:/>|>(\s*<f[\s/>])?)",
                rb'<row r="(\d{1,%d})"' % digits + attributes + rb"/?>",
                rb'<(dimension) ref="' + ref + rb"(?::" + ref + rb')?"/>',
                _ENTITY,
                _P + rb"(?:c|row|dimension)[\s/>]",
            )
        )
    )


class _ZipScan:
    """Stream every XML part of an OOXML package through `_PartScan`, within one byte budget."""

    def __init__(self, path: Path, f: BinaryIO, size: int, by_name: dict[str, zipfile.ZipInfo], limits: Limits) -> None:
        self.path = path
        self.f = f
        self.size = size
        self.by_name = by_name
        self.limits = limits
        self.budget = _Budget(limits.max_uncompressed_bytes)
        self.sheet_names_by_rid: dict[str, str] = {}
        self.relationships: dict[str, tuple[str, str]] = {}
        self.formulas: dict[str, set[tuple[int, int]]] = {}
        self.formulas_exact = True
        self.workbook_xml: list[bytes] | None = []
        self.workbook_xml_size = 0
        # References with enough digits or letters to possibly exceed the limits (the rest cannot).
        digits = len(str(limits.max_rows))
        letters = len(_col_letters(limits.max_cols)) if limits.max_cols > 0 else 1
        self.big_row_re = re.compile(rb'<row r="(\d{%d,})"' % digits)
        self.big_cell_row_re = re.compile(rb'<c r="\$?[A-Za-z]*\$?(\d{%d,})"' % digits)
        self.big_cell_col_re = re.compile(rb'<c r="\$?([A-Za-z]{%d,})' % letters)
        # One pass that finds whether any of the three can match, as blocks almost never have such references.
        self.big_ref_re = re.compile(
            rb'<(?:row r="\d{%d,}|c r="\$?(?:[A-Za-z]{%d,}|[A-Za-z]*\$?\d{%d,}))' % (digits, letters, digits)
        )
        self.sheet_screen_re = _sheet_screen(limits)
        self.max_string_index = -1  # the largest shared-string index any cell refers to
        self.shared_strings_key: str | None = None
        self.shared_strings_count: int | None = None  # <si> items, when the part is in the usual (unprefixed) form

    def bad(self, message: str, sheet: str | None = None) -> BadInputError:
        return _bad(self.path, message, sheet)

    def keep_workbook_xml(self, block: bytes) -> None:
        if self.workbook_xml is None:
            return
        self.workbook_xml_size += len(block)
        if self.workbook_xml_size > _MAX_WORKBOOK_XML:
            self.workbook_xml = None
        else:
            self.workbook_xml.append(block)

    def facts(self) -> PackageFacts:
        names: dict[str, str] = {}
        xml = b"".join(self.workbook_xml) if self.workbook_xml is not None else b""
        if b":definedName" in xml or b"<![CDATA[" in xml:  # forms the pattern below does not follow
            self.workbook_xml = None
        if self.workbook_xml is not None:
            # Decoded once as a whole (the scan has checked it is UTF-8), not name by name.
            for attributes, text in _DEFINED_NAME_RE.findall(xml.decode("utf-8", "replace")):
                if "localSheetId" in attributes:  # sheet-scoped names are not workbook names
                    continue
                plain = _NAME_ATTR_RE.search(attributes)
                name = _unescape(plain.group(1)) if plain else _attrs(attributes.encode()).get("name")
                if name is not None:
                    names[name] = _unescape(text)
        exact = self.formulas_exact and self.workbook_xml is not None
        sheets = set(self.sheet_names_by_rid.values())
        formulas = {name: frozenset(self.formulas.get(name, ())) for name in sheets} if exact else None
        return PackageFacts(names, formulas)

    def scan(self, key: str, kind: str, strict: bool, sheet: str | None = None) -> None:
        info = self.by_name[key]
        scanner = _PartScan(self, info.filename, kind, strict, sheet)
        if key == self.shared_strings_key:
            scanner.counts_strings = True
            self.shared_strings_scan = scanner
        if info.file_size <= _CHUNK:  # nearly every part: one read, one pass of each check
            scanner.whole(_entry_whole(self.path, self.f, info, self.size, self.budget))
            scanner.check_area()
            return
        for chunk in _entry_bytes(self.path, self.f, info, self.size, self.budget):
            scanner.feed(chunk)
        scanner.finish()
        scanner.check_area()

    def check_string_indexes(self) -> None:
        """Refuse cells that refer to a shared string that does not exist: readers would show another text (or
        none) in their place, a silent substitution."""
        if self.max_string_index < 0:
            return
        scan = getattr(self, "shared_strings_scan", None)
        count = 0 if self.shared_strings_key is None else (scan.strings if scan is not None else -1)
        if count < 0 or self.max_string_index < count:
            return  # an unusual form of the part the count does not follow: the reader decides
        raise self.bad(
            f"工作簿内部数据不一致：有单元格引用了第 {self.max_string_index + 1} 个共享字符串，"
            f"但工作簿只有 {count} 个；文件可能已损坏或被改动，请在 Excel/WPS 中打开后另存再试"
        )

    def run(self) -> None:
        self._run_parts()
        self.check_string_indexes()

    def _run_parts(self) -> None:
        done: set[str] = set()
        first = (
            ("[content_types].xml", "plain"),
            ("xl/_rels/workbook.xml.rels", "rels"),
            ("xl/workbook.xml", "workbook"),
        )
        for key, kind in first:
            if key in self.by_name:
                self.scan(key, kind, strict=True)
                done.add(key)
        sheets: dict[str, str | None] = {}
        strict_parts: set[str] = set()
        for rid, (rel_type, target) in self.relationships.items():
            target_key = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            target_key = target_key.casefold()
            if target_key not in self.by_name:
                continue
            rel_type = rel_type.casefold()
            if rel_type.endswith(_SHEET_TYPES):
                sheets[target_key] = self.sheet_names_by_rid.get(rid)
            elif rel_type.endswith(_STRICT_XML_TYPES):
                strict_parts.add(target_key)
                if rel_type.endswith("/sharedstrings"):
                    self.shared_strings_key = target_key
        for key in self.by_name:
            if key.startswith(("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")) and "/_rels/" not in key:
                sheets.setdefault(key, None)
        for key, name in sheets.items():
            if key not in done:
                self.scan(key, "sheet", strict=True, sheet=name)
                done.add(key)
        for key in self.by_name:
            if key in done:
                continue
            named_xml = key.endswith((".xml", ".rels", ".vml"))
            if not named_xml and key not in strict_parts and not self._looks_like_xml(key):
                continue  # images, the VBA project and other binary parts
            strict = key in strict_parts or key.endswith(".rels") or key in ("xl/sharedstrings.xml", "xl/styles.xml")
            self.scan(key, "plain", strict=strict)
            done.add(key)

    def _looks_like_xml(self, key: str) -> bool:
        """Whether a part with another extension holds XML (a reader may be pointed at it by a relationship or a
        content type): judged by its first bytes, of which only the first block is inflated."""
        info = self.by_name[key]
        if info.file_size == 0:
            return False
        chunks = _entry_bytes(self.path, self.f, info, self.size, None)
        try:
            first = next(chunks, b"")
        finally:
            chunks.close()
        return first.lstrip(b" \t\r\n").startswith(_XML_STARTS)


# ---------------------------------------------------------------------------------------------------------------
# read_in_child
# ---------------------------------------------------------------------------------------------------------------


class _RemoteTraceback(Exception):
    """Carries the child's traceback text as the cause of an exception re-raised in the parent."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def read_in_child(path: Path, fn: Callable[[Path], T], limits: Limits = Limits()) -> T:
    """`inspect(path)`, then `fn(path)` in a memory-capped child process with a timeout; returns its result.

    `fn` must be a module-level function (importable by the child) and its result picklable. An `XlPerfError`
    (such as `BadInputError`) raised by `fn` is re-raised here with the same type, message and location; a child
    that dies (signal, abort, out of memory) or overruns `limits.timeout_s` becomes a `BadInputError`. Any other
    exception of `fn` is re-raised as is (it is a defect of `fn`), with the child's traceback as its cause.
    """
    path = Path(path)
    inspect(path, limits)
    return run_in_child(path, fn, limits)


def _context() -> Any:
    import multiprocessing

    # Linux: fork, which starts in milliseconds and does not re-import the caller's main module (an interactive
    # session or `python -c` has none to re-import); xl-perf starts no threads before reading. Elsewhere fork is
    # unsafe (macOS frameworks) or missing (Windows): forkserver or spawn.
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_in_child(path: Path, fn: Callable[[Path], T], limits: Limits = Limits()) -> T:
    """`fn(path)` in a child process, without `inspect` (the caller has done it, or deliberately not)."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child_main, args=(sender, path, fn, limits.memory_bytes), daemon=True)
    try:
        process.start()  # pickles fn: a lambda or nested function fails here, in the caller
    except BaseException:
        receiver.close()
        raise
    finally:
        sender.close()
    location = Location(file=str(path))
    deadline = time.monotonic() + limits.timeout_s
    try:
        message = _receive(receiver, process, deadline, limits, location)
        if message == ("started",):
            message = _receive(receiver, process, deadline, limits, location)
        elif message is None:
            process.join(5)
            raise RuntimeError(
                f"读取子进程未能启动（退出码 {process.exitcode}），请检查运行环境（主程序须可被子进程重新导入）"
            )
        if message is None:
            raise BadInputError(MSG_CHILD_CRASH, location)
    finally:
        if process.is_alive():
            process.kill()
        process.join(10)
        receiver.close()
    status = message[0]
    if status == "ok":
        return message[1]  # type: ignore[no-any-return]
    if status == "xlperf":
        _, cls, text, where = message
        raise cls(text, where)
    if status == "error":
        _, exc, remote = message
        raise exc from _RemoteTraceback(remote)
    raise BadInputError(MSG_CHILD_CRASH, location)


def _receive(
    receiver: Any, process: Any, deadline: float, limits: Limits, location: Location
) -> tuple[Any, ...] | None:
    """The next message from the child, None if it died first; a BadInputError once the deadline has passed."""
    from multiprocessing.connection import wait

    timeout = max(0.0, deadline - time.monotonic())
    if not wait([receiver, process.sentinel], timeout=timeout) and not receiver.poll():
        raise BadInputError(MSG_TIMEOUT.format(seconds=limits.timeout_s), location)
    if not receiver.poll():
        return None
    try:
        return receiver.recv()  # type: ignore[no-any-return]
    except (EOFError, OSError):  # the child died while sending
        return None
    except Exception as exc:  # sent, but does not unpickle here
        raise RuntimeError(f"子进程的结果无法在主进程中还原：{type(exc).__name__}: {exc}") from exc


def apply_child_limits(memory_bytes: int) -> None:
    """Cap this process's address space (and disable core dumps); used by readers' child and worker processes."""
    if not os.environ.get("XL_PERF_DEBUG"):
        # Nor a Python stack dump when a reader aborts the child (faulthandler, if enabled, writes it to a copy of
        # the terminal's stderr taken before any redirection): the parent reports the failure in Chinese.
        import faulthandler

        faulthandler.disable()
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the timeout still applies
        return
    for name, value in (("RLIMIT_CORE", 0), ("RLIMIT_AS", memory_bytes)):
        which = getattr(resource, name, None)
        if which is None:
            continue
        try:
            _, hard = resource.getrlimit(which)
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass


def quiet_child_output() -> None:
    """Send this (child) process's stdout and stderr to nowhere: a reader that aborts prints its Rust panic or a
    Python fatal-error dump there, which must never reach the user's terminal (the parent reports the failure in
    Chinese). With XL_PERF_DEBUG set the output is kept, for developers."""
    if os.environ.get("XL_PERF_DEBUG"):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    finally:
        os.close(null)


def _child_main(sender: Any, path: Path, fn: Callable[[Path], Any], memory_bytes: int) -> None:
    sender.send(("started",))  # tells a crash while reading from a child that could not even start
    quiet_child_output()
    apply_child_limits(memory_bytes)
    message: tuple[Any, ...]
    try:
        message = ("ok", fn(path))
    except XlPerfError as exc:
        message = ("xlperf", type(exc), exc.message, exc.location)
    except MemoryError:
        message = ("crash",)
    except Exception as exc:
        message = ("error", exc, traceback.format_exc())
    try:
        sender.send(message)
    except MemoryError:
        sys.exit(70)
    except Exception as exc:  # the result or the exception does not pickle
        text = f"{type(exc).__name__}: {exc}"
        try:
            sender.send(("error", RuntimeError(f"子进程的结果无法传回：{text}"), traceback.format_exc()))
        except Exception:
            sys.exit(70)
    finally:
        sender.close()


__all__ = ["Limits", "PackageFacts", "inspect", "quiet_child_output", "read_in_child", "run_in_child"]
