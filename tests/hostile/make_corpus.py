"""Generate hostile and broken workbook files for the input guard (nothing binary is committed).

    python -m tests.hostile.make_corpus OUTDIR

`make_corpus(outdir)` writes every case into `outdir` and returns {file name: expected message fragment}. Each file
must be refused by `xl_perf.io.guard.read_in_child(path, tests.hostile.children.calamine_values)` with a
`BadInputError` whose message contains the fragment: by `inspect` for most, by the reader for the few that are
structurally sound but unreadable. Cases that need POSIX (symlink to /dev/zero, FIFO) are skipped elsewhere.

OLE containers are written by a minimal compound-file writer below (olefile can only read); they are faithful in
container structure and stream names, not in stream content (no real encryption, no real BIFF records beyond a BOF).
"""

from __future__ import annotations

import io
import itertools
import os
import random
import shutil
import struct
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

# ---------------------------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------------------------

SHEET_PART = "xl/worksheets/sheet1.xml"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)


def sheet_xml(rows: bytes, dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return _SHEET_HEAD + dim + b"<sheetData>" + rows + b"</sheetData></worksheet>"


def base_parts() -> dict[str, bytes]:
    """The parts of a small valid workbook written by XlsxWriter (sheet “预算表”, A1 text, B1 number)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("预算表")
    sheet.write_string(0, 0, "项目")
    sheet.write_number(0, 1, 100)
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def zip_bytes(parts: dict[str, bytes] | list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    items = list(parts.items()) if isinstance(parts, dict) else parts
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are deliberate in one case
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, data in items:
                info = zipfile.ZipInfo(name, _FIXED_TIME)
                info.compress_type = method
                archive.writestr(info, data)
    return buffer.getvalue()


def valid_xlsx() -> bytes:
    return zip_bytes(base_parts())


def with_parts(**changes: bytes | None) -> bytes:
    """The valid workbook with parts replaced (keyword = part name with / as __ and . as _), None removes."""
    parts = base_parts()
    for key, value in changes.items():
        name = _part_name(key)
        if value is None:
            parts.pop(name, None)
        else:
            parts[name] = value
    return zip_bytes(parts)


def _part_name(key: str) -> str:
    aliases = {
        "sheet": SHEET_PART,
        "workbook": "xl/workbook.xml",
        "shared_strings": "xl/sharedStrings.xml",
        "content_types": "[Content_Types].xml",
        "docProps__core_xml": "docProps/core.xml",
    }
    return aliases[key]


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from (name, payload as stored, method, crc, declared uncompressed size): sizes can be made to lie."""
    out = io.BytesIO()
    central = io.BytesIO()
    for name, payload, method, crc, usize in entries:
        encoded = name.encode("utf-8")
        offset = out.tell()
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, method, 0, 0x5821, crc, len(payload), usize, len(encoded), 0
            )
        )
        out.write(encoded)
        out.write(payload)
        central.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0x800,
                method,
                0,
                0x5821,
                crc,
                len(payload),
                usize,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        central.write(encoded)
    cd_offset = out.tell()
    cd = central.getvalue()
    out.write(cd)
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(cd), cd_offset, 0))
    return out.getvalue()


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _raw_parts(parts: dict[str, bytes]) -> list[tuple[str, bytes, int, int, int]]:
    return [(name, deflate(data), 8, zlib.crc32(data), len(data)) for name, data in parts.items()]


def patch_entry(
    data: bytes, name: str, *, flag: int | None = None, crc: int | None = None, usize: int | None = None
) -> bytes:
    """Overwrite fields of one entry in both its central-directory record and its local header."""
    buf = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    count = struct.unpack_from("<H", buf, end + 10)[0]
    pos = struct.unpack_from("<I", buf, end + 16)[0]
    for _ in range(count):
        assert buf[pos : pos + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buf, pos + 28)
        local = struct.unpack_from("<I", buf, pos + 42)[0]
        if bytes(buf[pos + 46 : pos + 46 + name_len]).decode("utf-8") == name:
            for central_at, local_at, fmt, value in ((8, 6, "<H", flag), (16, 14, "<I", crc), (24, 22, "<I", usize)):
                if value is not None:
                    struct.pack_into(fmt, buf, pos + central_at, value)
                    struct.pack_into(fmt, buf, local + local_at, value)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(buf)


def repeated_deflate(head: bytes, block: bytes, times: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + block * times + tail without compressing it all: after a full flush the compressor
    state is reset, so the compressed form of `block` repeats byte for byte. Returns (payload, crc, size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    packed = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert packed == again
    last = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return first + packed * times + last, crc, len(head) + len(block) * times + len(tail)


# --- a minimal compound file (OLE / CFB v3) writer ----------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END, _FREE, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _cfb_key(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def ole_file(entries: dict[str, bytes | None], *, break_header: bool = False) -> bytes:
    """A compound file with the given streams (bytes) and storages (None); "a/b" nests b in storage a.

    Streams are padded to 4096 bytes so that no mini stream is needed. Siblings are linked as a sorted right-leaning
    chain, which is a valid (if unbalanced) directory tree. `break_header` points the directory start at a sector
    that does not exist, so olefile refuses the file while the directory sectors themselves stay intact.
    """
    names = ["Root Entry", *entries]
    kinds = [5] + [2 if entries[n] is not None else 1 for n in entries]
    parent = {n: (n.rsplit("/", 1)[0] if "/" in n else "Root Entry") for n in entries}
    index = {n: i for i, n in enumerate(names)}
    children: dict[str, list[str]] = {n: [] for n in names}
    for n in entries:
        children[parent[n]].append(n)
    left_right_child: dict[int, list[int]] = {i: [_NOSTREAM, _NOSTREAM, _NOSTREAM] for i in range(len(names))}
    for n, kids in children.items():
        ordered = sorted(kids, key=lambda k: _cfb_key(k.rsplit("/", 1)[-1]))
        if ordered:
            left_right_child[index[n]][2] = index[ordered[0]]
        for a, b in itertools.pairwise(ordered):
            left_right_child[index[a]][1] = index[b]

    dir_sectors = (len(names) + 3) // 4
    fat: list[int] = [_FATSECT]
    for s in range(dir_sectors):
        fat.append(s + 2 if s < dir_sectors - 1 else _END)
    data_sectors: list[bytes] = []
    starts: dict[str, tuple[int, int]] = {}
    for n, data in entries.items():
        if data is None:
            continue
        padded = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\x00")
        first = len(fat)
        count = len(padded) // 512
        for k in range(count):
            fat.append(first + k + 1 if k < count - 1 else _END)
            data_sectors.append(padded[k * 512 : (k + 1) * 512])
        starts[n] = (first, len(padded))
    assert len(fat) <= 128, "one FAT sector only"
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))

    directory = b""
    for i, n in enumerate(names):
        short = n.rsplit("/", 1)[-1]
        encoded = short.encode("utf-16-le") + b"\x00\x00"
        left, right, child = left_right_child[i]
        start, size = starts.get(n, (_END, 0))
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ", encoded.ljust(64, b"\x00"), len(encoded), kinds[i], 1, left, right, child,
            b"\x00" * 16, 0, 0, 0, start, size,
        )  # fmt: skip
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, b"", 0, 0, 0, 0, 0)
    directory += empty * (dir_sectors * 4 - len(names))

    first_dir = 0x7FFFFFF0 if break_header else 1
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", OLE_MAGIC, b"\x00" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\x00" * 6,
        0, 1, first_dir, 0, 4096, _END, 0, _END, 0,
    )  # fmt: skip
    header += struct.pack("<109I", 0, *([_FREE] * 108))
    assert len(header) == 512
    return header + fat_sector + directory + b"".join(data_sectors)


_BIFF8_BOF = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06) + struct.pack("<HH", 0x0A, 0)
_SUMMARY = b"\xfe\xff\x00\x00" + b"\x00" * 60


def ole_xls() -> bytes:
    return ole_file({"Workbook": _BIFF8_BOF, "\x05SummaryInformation": _SUMMARY})


def ole_et() -> bytes:
    # What WPS writes for .et, as far as public sources show: a BIFF8 "Workbook" stream plus WPS's own "ETExtData".
    return ole_file(
        {
            "Workbook": _BIFF8_BOF,
            "ETExtData": b"ETExtData" + bytes(range(64)),
            "\x05SummaryInformation": _SUMMARY,
            "\x05DocumentSummaryInformation": _SUMMARY,
        }
    )


def ole_encrypted(*, break_header: bool = False) -> bytes:
    """The container layout of an Agile-encrypted OOXML file ([MS-OFFCRYPTO] 2.3.4.10); the payload is random."""
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
        b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
        b'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>'
        b"</encryption>"
    )
    rng = random.Random(7)
    package = struct.pack("<Q", 6000) + rng.randbytes(6000)
    return ole_file(
        {
            "\x06DataSpaces": None,
            "\x06DataSpaces/Version": b"<\x00\x00\x00" + "Microsoft.Container.DataSpaces".encode("utf-16-le"),
            "\x06DataSpaces/DataSpaceMap": b"\x08\x00\x00\x00\x01\x00\x00\x00",
            "\x06DataSpaces/DataSpaceInfo": None,
            "\x06DataSpaces/DataSpaceInfo/StrongEncryptionDataSpace": b"\x08\x00\x00\x00\x01\x00\x00\x00",
            "\x06DataSpaces/TransformInfo": None,
            "\x06DataSpaces/TransformInfo/StrongEncryptionTransform": None,
            "\x06DataSpaces/TransformInfo/StrongEncryptionTransform/\x06Primary": b"\x58\x00\x00\x00",
            "EncryptionInfo": info,
            "EncryptedPackage": package,
        },
        break_header=break_header,
    )


# ---------------------------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------------------------

Writer = Callable[[Path], None]
CASES: list[tuple[str, str, Writer]] = []
POSIX_ONLY = {"dev_zero_symlink.xlsx", "fifo.xlsx"}


def case(name: str, fragment: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Register a case whose content is the returned bytes."""

    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        CASES.append((name, fragment, lambda path: path.write_bytes(build())))
        return build

    return register


def special_case(name: str, fragment: str) -> Callable[[Writer], Writer]:
    """Register a case that creates something other than a plain file."""

    def register(write: Writer) -> Writer:
        CASES.append((name, fragment, write))
        return write

    return register


CORRUPT = "可能已损坏或被截断"
ENTITY = "不允许的 XML 实体声明"
TOO_LARGE = "范围过大"
READER = "无法读取工作簿"  # raised by tests.hostile.children.calamine_values for files that pass inspection


# -- not a workbook at all


@case("empty.xlsx", "文件为空")
def _empty() -> bytes:
    return b""


@case("one_byte.xlsx", CORRUPT)
def _one_byte() -> bytes:
    return b"P"


@case("random_bytes.xlsx", CORRUPT)
def _random_bytes() -> bytes:
    return b"\x00\x13" + random.Random(1234).randbytes(4094)


@case("csv_text.xlsx", "文本文件")
def _csv_text() -> bytes:
    return "项目名称,预算数,执行数\n办公经费,100,98\n=cmd|' /C calc'!A0,1,2\n".encode()


@case("csv_gbk.xlsx", "文本文件")
def _csv_gbk() -> bytes:
    return "项目名称,预算数,执行数\n办公经费,100,98\n".encode("gbk")


@case("utf16_tab_text.xlsx", "文本文件")
def _utf16_text() -> bytes:
    return "项目\t金额\r\n办公\t100\r\n".encode("utf-16")


@case("html_table.xls", "网页（HTML）")
def _html() -> bytes:
    return '<html><head><meta charset="utf-8"></head><body><table><tr><td>项目</td></tr></table></body></html>'.encode()


@case("spreadsheet_2003.xlsx", "XML 文件")
def _xml2003() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"/></Workbook>'
    )


@case("pdf_header.xlsx", "PDF")
def _pdf() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"\x00" * 200


@case("png_image.xlsx", "图片文件")
def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100


# -- damaged zip


@case("truncated_half.xlsx", CORRUPT)
def _truncated_half() -> bytes:
    data = valid_xlsx()
    return data[: len(data) // 2]


@case("truncated_1k.xlsx", CORRUPT)
def _truncated_1k() -> bytes:
    return valid_xlsx()[:1024]


@case("nul_prefixed_zip.xlsx", CORRUPT)
def _nul_prefix() -> bytes:
    return b"\x00" * 4096 + valid_xlsx()


@case("nul_suffixed_zip.xlsx", CORRUPT)
def _nul_suffix() -> bytes:
    return valid_xlsx() + b"\x00" * 100_000


@case("eocd_bogus_offset.xlsx", CORRUPT)
def _eocd_bogus() -> bytes:
    data = bytearray(valid_xlsx())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<II", data, end + 12, 0x7FFFFFF0, 0x7FFFFFF0)
    return bytes(data)


@case("crc_mismatch.xlsx", "已损坏")
def _crc_mismatch() -> bytes:
    return patch_entry(valid_xlsx(), SHEET_PART, crc=0x12345678)


# -- zips that are not workbooks


@case("empty_zip.xlsx", "zip 压缩包")
def _empty_zip() -> bytes:
    return b"PK\x05\x06" + b"\x00" * 18


@case("no_content_types.xlsx", "zip 压缩包")
def _no_content_types() -> bytes:
    return with_parts(content_types=None)


@case("zip_of_random_files.xlsx", "zip 压缩包")
def _zip_random() -> bytes:
    rng = random.Random(5)
    return zip_bytes({"notes.txt": "说明".encode() * 100, "data.bin": rng.randbytes(3000)})


@case("nested_zip.xlsx", "zip 压缩包")
def _nested_zip() -> bytes:
    return zip_bytes({"预算表.xlsx": valid_xlsx()}, method=zipfile.ZIP_STORED)


@case("no_workbook_part.xlsx", "缺少 xl/workbook.xml")
def _no_workbook() -> bytes:
    return with_parts(workbook=None)


@case("xlsb_like.xlsx", ".xlsb")
def _xlsb() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
            b'macroEnabled.main"/></Types>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "xl/workbook.bin": b"\x83\x01\x00\x80\x01\x00\x84\x01\x00",
            "xl/_rels/workbook.bin.rels": b'<?xml version="1.0"?><Relationships/>',
            "xl/worksheets/sheet1.bin": b"\x81\x01\x00\x93\x01\x00\x00\x82\x01\x00",
            "xl/styles.bin": b"\x96\x02\x00",
        }
    )


@case("docx_like.xlsx", "Word 文档")
def _docx() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="urn:w"/>',
        }
    )


@case("ods_like.xlsx", "OpenDocument")
def _ods() -> bytes:
    return zip_bytes(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", b'<?xml version="1.0"?><office:document-content xmlns:office="urn:o"/>'),
            ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest/>'),
        ],
        method=zipfile.ZIP_STORED,
    )


# -- hostile zip structure


@case("zip_bomb.xlsx", "压缩炸弹")
def _zip_bomb() -> bytes:
    parts = base_parts()
    head = _SHEET_HEAD + b"<sheetData>"
    payload, crc, size = repeated_deflate(head, b" " * (1 << 20), 200, b"</sheetData></worksheet>")
    entries = [e for e in _raw_parts(parts) if e[0] != SHEET_PART]
    entries.append((SHEET_PART, payload, 8, crc, size))
    return raw_zip(entries)


@case("lying_size_bomb.xlsx", "超过声明")
def _lying_size() -> bytes:
    parts = base_parts()
    head = _SHEET_HEAD + b"<sheetData>"
    payload, crc, _ = repeated_deflate(head, b" " * (1 << 20), 10, b"</sheetData></worksheet>")
    entries = [e for e in _raw_parts(parts) if e[0] != SHEET_PART]
    entries.append((SHEET_PART, payload, 8, crc, 1000))  # claims 1000 bytes, inflates to 10 MB
    return raw_zip(entries)


@case("huge_declared_size.xlsx", "解压后过大")
def _huge_declared() -> bytes:
    return patch_entry(valid_xlsx(), SHEET_PART, usize=0xFFFFFFF0)


@case("many_entries.xlsx", "条目过多")
def _many_entries() -> bytes:
    parts: list[tuple[str, bytes]] = list(base_parts().items())
    parts += [(f"p/{i}", b"x") for i in range(20_000)]
    return zip_bytes(parts, method=zipfile.ZIP_STORED)


@case("absolute_path_entry.xlsx", "异常的路径")
def _absolute() -> bytes:
    parts = [*base_parts().items(), ("/etc/cron.d/evil", b"* * * * * root true\n")]
    return raw_zip([(n, deflate(d), 8, zlib.crc32(d), len(d)) for n, d in parts])


@case("dotdot_entry.xlsx", "异常的路径")
def _dotdot() -> bytes:
    return zip_bytes([*base_parts().items(), ("xl/../../evil.txt", b"evil")])


@case("duplicate_entry.xlsx", "重复的条目")
def _duplicate() -> bytes:
    parts = list(base_parts().items())
    return zip_bytes([*parts, (SHEET_PART, sheet_xml(b'<row r="1"><c r="A1"><v>2</v></c></row>'))])


@case("zip_encrypted_entry.xlsx", "zip 加密")
def _zip_encrypted() -> bytes:
    return patch_entry(valid_xlsx(), SHEET_PART, flag=0x1)


@case("bzip2_entry.xlsx", "不支持的压缩方式")
def _bzip2() -> bytes:
    parts = base_parts()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            method = zipfile.ZIP_BZIP2 if name == SHEET_PART else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, _FIXED_TIME), data, compress_type=method)
    return buffer.getvalue()


# -- hostile XML


@case("xxe_shared_strings.xlsx", ENTITY)
def _xxe() -> bytes:
    return with_parts(
        shared_strings=b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&xxe;</t></si></sst>"
    )


@case("billion_laughs_workbook.xlsx", ENTITY)
def _laughs() -> bytes:
    entities = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    original = base_parts()["xl/workbook.xml"]
    decl_end = original.index(b"?>") + 2
    patched = original[:decl_end] + b"\n<!DOCTYPE workbook [" + entities + b"]>" + original[decl_end:]
    return with_parts(workbook=patched.replace('name="预算表"'.encode(), b'name="&lol9;"'))


@case("doctype_in_sheet.xlsx", ENTITY)
def _doctype_sheet() -> bytes:
    body = sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>')
    decl_end = body.index(b"?>") + 2
    doctype = b"<!DOCTYPE worksheet SYSTEM 'http://example.invalid/x.dtd'>"
    return with_parts(sheet=body[:decl_end] + doctype + body[decl_end:])


@case("entity_in_content_types.xlsx", ENTITY)
def _entity_ct() -> bytes:
    original = base_parts()["[Content_Types].xml"]
    decl_end = original.index(b"?>") + 2
    return with_parts(content_types=original[:decl_end] + b'<!DOCTYPE Types [<!ENTITY a "b">]>' + original[decl_end:])


def _core_with_entity() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">]>'
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
        b"<dc:title>&a;</dc:title></cp:coreProperties>"
    )


@case("utf32_docprops_entity.xlsx", "UTF-32")
def _utf32_docprops() -> bytes:
    return with_parts(docProps__core_xml=_core_with_entity().decode().encode("utf-32"))


@case("utf32_le_no_bom_docprops.xlsx", "UTF-32")
def _utf32_le_docprops() -> bytes:
    return with_parts(docProps__core_xml=_core_with_entity().decode().encode("utf-32-le"))


@case("ebcdic_docprops.xlsx", "字符编码")
def _ebcdic_docprops() -> bytes:
    text = _core_with_entity().decode().replace("UTF-32", "ibm500")
    return with_parts(
        docProps__core_xml=b'<?xml version="1.0" encoding="ibm500"?>' + text.split("?>", 1)[1].encode("cp500")
    )


@case("entity_in_part_without_xml_extension.xlsx", ENTITY)
def _entity_odd_extension() -> bytes:
    parts = base_parts()
    parts["customXml/item1.dat"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    return zip_bytes(parts)


@case("far_cell_area.xlsx", "内存")
def _far_cell_area() -> bytes:
    # 42 KB on disk, but a reader holds the whole rectangle A1:ALL20000 (20 million cells) in memory
    return with_parts(
        sheet=sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="20000"><c r="ALL20000"><v>1</v></c></row>')
    )


@case("invalid_utf8_sheet.xlsx", "UTF-8")
def _bad_utf8() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xff\xfe\xc3\x28</t></is></c></row>'))


@case("utf16_sheet.xlsx", "UTF-8")
def _utf16_sheet() -> bytes:
    text = sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>').decode().replace('"UTF-8"', '"UTF-16"')
    return with_parts(sheet=text.encode("utf-16"))


# -- sheets too large for the readers (calamine allocates rows x columns)


@case("dimension_whole_sheet.xlsx", TOO_LARGE)
def _dimension_huge() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>', "A1:XFD1048576"))


@case("far_cell_no_dimension.xlsx", TOO_LARGE)
def _far_cell() -> bytes:
    # The calamine-abort case: about 5 KB, cells in A1 and XFD1048576, no <dimension>.
    rows = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
    return with_parts(sheet=sheet_xml(rows))


@case("rows_200k_declared.xlsx", TOO_LARGE)
def _rows_declared() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>', "A1:T200000"))


@case("rows_implicit_past_limit.xlsx", TOO_LARGE)
def _rows_implicit() -> bytes:
    rows = b'<row r="99995"><c r="A99995"><v>1</v></c></row>' + b"<row><c><v>1</v></c></row>" * 10
    return with_parts(sheet=sheet_xml(rows, "A1:A99995"))


@case("cols_implicit_1200.xlsx", TOO_LARGE)
def _cols_implicit() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row r="1">' + b"<c><v>1</v></c>" * 1200 + b"</row>"))


@case("prefixed_far_cell.xlsx", TOO_LARGE)
def _prefixed() -> bytes:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><x:sheetData><x:row r="3"><x:c s="0" r="ZZZ3"><x:v>1</x:v></x:c></x:row>'
        b"</x:sheetData></x:worksheet>"
    )
    return with_parts(sheet=body)


@case("duplicate_r_attribute.xlsx", TOO_LARGE)
def _duplicate_r() -> bytes:
    # Readers take the last of duplicate attributes: calamine would place this cell at XFD1048576.
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1" r="XFD1048576"><v>1</v></c></row>'))


@case("char_reference_in_ref.xlsx", TOO_LARGE)
def _charref() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="&#88;FD1048576"><v>1</v></c></row>'))


@case("tab_before_ref.xlsx", TOO_LARGE)
def _tab_ref() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row\tr="1"><c\tr="XFD1"><v>1</v></c></row>'))


@case("ref_not_first_attribute.xlsx", TOO_LARGE)
def _ref_not_first() -> bytes:
    return with_parts(sheet=sheet_xml(b"<row r='1'><c s=\"0\" t=\"n\" r='A1048576'><v>1</v></c></row>"))


# -- OLE containers


@case("encrypted_ooxml.xlsx", "已加密")
def _encrypted() -> bytes:
    return ole_encrypted()


@case("encrypted_damaged_header.xlsx", "已加密")
def _encrypted_damaged() -> bytes:
    return ole_encrypted(break_header=True)


@case("legacy.xls", "旧版 .xls")
def _xls() -> bytes:
    return ole_xls()


@case("legacy_renamed.xlsx", "旧版 .xls")
def _xls_renamed() -> bytes:
    return ole_xls()


@case("wps.et", "WPS 表格 .et")
def _et() -> bytes:
    return ole_et()


@case("wps_renamed.xlsx", "WPS 表格 .et")
def _et_renamed() -> bytes:
    return ole_et()


@case("unknown_ole.xlsx", "OLE 复合文档")
def _unknown_ole() -> bytes:
    return ole_file({"Contents": b"\x01\x02\x03", "\x01CompObj": b"\x01\x00\xfe\xff"})


# -- valid content, wrong name


@case("valid_workbook.xls", "扩展名")
def _valid_as_xls() -> bytes:
    return valid_xlsx()


@case("valid_workbook_no_extension", "扩展名")
def _valid_no_ext() -> bytes:
    return valid_xlsx()


# -- structurally sound, refused by the reader in the child process


@case("malformed_sheet_xml.xlsx", READER)
def _malformed() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1"><v>1</v></row>'))


@case("bad_shared_string_index.xlsx", "共享字符串")
def _bad_sst() -> bytes:
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1" t="s"><v>99</v></c></row>'))


@case("shared_string_index_one_past.xlsx", "共享字符串")
def _sst_one_past() -> bytes:
    # the base workbook has one shared string (index 0): index 1 is the first that does not exist
    return with_parts(sheet=sheet_xml(b'<row r="1"><c r="A1" t="s"><v>1</v></c></row>'))


@case("missing_sheet_part.xlsx", READER)
def _missing_sheet() -> bytes:
    return with_parts(sheet=None)


# -- not regular files


@special_case("directory.xlsx", "文件夹")
def _directory(path: Path) -> None:
    path.mkdir()


@special_case("dev_zero_symlink.xlsx", "不是普通文件")
def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


@special_case("fifo.xlsx", "不是普通文件")
def _fifo(path: Path) -> None:
    os.mkfifo(path)


def make_corpus(outdir: Path | str) -> dict[str, str]:
    """Write every case into `outdir` (created if needed); {file name: expected message fragment}."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    for name, fragment, write in CASES:
        if name in POSIX_ONLY and (os.name != "posix" or not Path("/dev/zero").exists()):
            continue
        target = outdir / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        write(target)
        expected[name] = fragment
    return expected


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.hostile.make_corpus OUTDIR", file=sys.stderr)
        return 2
    expected = make_corpus(argv[0])
    width = max(len(n) for n in expected) if expected else 0
    for name, fragment in expected.items():
        print(f"{name:<{width}}  {fragment}")
    print(f"{len(expected)} files written to {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
