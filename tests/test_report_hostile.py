"""Hostile reports: a .docx or .pdf built to hurt the reader (zip bombs, huge or entity-laden XML parts, files that
are something else, special files behind a symlink, a PDF reader that loops or dies) is refused in Chinese, naming
the file, before python-docx or pypdf see it or by the guard's sandboxed child; never a hang or a traceback."""

from __future__ import annotations

import io
import os
import time
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from tests.hostile.make_corpus import ole_encrypted, patch_entry, valid_xlsx, zip_bytes
from tests.test_cli import run
from tests.test_report_reading import WORKBOOKS
from xl_perf.errors import BadInputError
from xl_perf.io.guard import Limits
from xl_perf.io.guard import document as document_guard
from xl_perf.io.report_files import read_report

_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "hahahahaha">'
    + b"".join(b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">' % ((c,) + (c - 1,) * 10) for c in b"bcdefghi")
    + b"]>"
)


def _docx_parts() -> dict[str, bytes]:
    document = docx.Document()
    document.add_paragraph("港门镇2022年度部门整体支出绩效自评报告")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def _with_document(body: bytes) -> bytes:
    parts = _docx_parts()
    parts["word/document.xml"] = body
    return zip_bytes(parts)


def _refused(path: Path, *words: str, limits: Limits | None = None) -> str:
    start = time.monotonic()
    with pytest.raises(BadInputError) as caught:
        read_report(path) if limits is None else read_report(path, limits)
    assert time.monotonic() - start < 20
    message = caught.value.message
    assert caught.value.location.file == str(path)
    if not any("工作簿" in word for word in words):
        assert "工作簿" not in message, message  # said of a report, not of a workbook
    for word in words:
        assert word in message, message
    return message


def test_a_plain_docx_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "报告.docx"
    path.write_bytes(zip_bytes(_docx_parts()))
    assert read_report(path).parts[0].cells == ("港门镇2022年度部门整体支出绩效自评报告",)


def test_a_zip_bomb_part_is_refused_by_its_ratio(tmp_path: Path) -> None:
    head = _docx_parts()["word/document.xml"]
    path = tmp_path / "炸弹.docx"
    path.write_bytes(_with_document(head.replace(b"<w:body>", b"<w:body>" + b" " * (8 * 1024 * 1024), 1)))
    _refused(path, "压缩比异常", "压缩炸弹")


def test_a_part_inflating_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    parts = _docx_parts()
    body = parts["word/document.xml"]
    data = patch_entry(zip_bytes(parts), "word/document.xml", usize=len(body) // 2)
    path = tmp_path / "谎报.docx"
    path.write_bytes(data)
    _refused(path, "超过声明", "word/document.xml")


def test_the_inflate_budget_covers_all_parts(tmp_path: Path) -> None:
    parts = _docx_parts()
    for n in range(8):
        parts[f"word/media/image{n}.png"] = os.urandom(200_000)
    path = tmp_path / "很大.docx"
    path.write_bytes(zip_bytes(parts))
    _refused(path, "解压后过大", limits=Limits(max_uncompressed_bytes=1024 * 1024))


def test_zip_directory_limits_apply_to_reports(tmp_path: Path) -> None:
    parts = _docx_parts()
    many = dict(parts, **{f"customXml/item{n}.xml": b"<a/>" for n in range(40)})
    path = tmp_path / "条目.docx"
    path.write_bytes(zip_bytes(many))
    _refused(path, "条目过多", limits=Limits(max_entries=30))
    path.write_bytes(zip_bytes(dict(parts, **{"word/../../evil.xml": b"<a/>"})))
    _refused(path, "异常的路径")


def test_a_huge_xml_part_is_refused_before_python_docx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_guard, "MAX_XML_PART", 64 * 1024)
    body = _docx_parts()["word/document.xml"]
    filler = b"".join(b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % n for n in range(5000))
    path = tmp_path / "巨大.docx"
    path.write_bytes(_with_document(body.replace(b"<w:body>", b"<w:body>" + filler, 1)))
    _refused(path, "word/document.xml", "过大")


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    body = _docx_parts()["word/document.xml"]
    start = body.index(b"<w:document")
    laughing = _LAUGHS + body[start:].replace(b"<w:body>", b"<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p>", 1)
    path = tmp_path / "实体.docx"
    path.write_bytes(_with_document(laughing))
    _refused(path, "实体声明", "word/document.xml")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"<html><head><meta charset='utf-8'></head><body><p>\xe6\x8a\xa5\xe5\x91\x8a</p></body></html>", ("网页",)),
        (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n\r\n--x\r\n", ("网页",)),
        (b'<?xml version="1.0"?><w:wordDocument xmlns:w="urn:x"></w:wordDocument>' + b" " * 40, ("XML",)),
        (b"{\\rtf1\\ansi " + b"x" * 40 + b"}", ("RTF",)),
        (b"%PDF-1.7\n" + b"0" * 40, ("PDF",)),
        (ole_encrypted(), ("另存为", ".docx")),
        (valid_xlsx(), ("Excel 工作簿",)),
        (zip_bytes({"readme.txt": b"hello"}), ("zip 压缩包",)),
        (zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}), (".odt",)),
        (b"", ("为空",)),
    ],
    ids=["html", "mht", "word2003xml", "rtf", "pdf", "ole", "xlsx", "plain-zip", "odt", "empty"],
)
def test_a_docx_that_is_something_else(tmp_path: Path, content: bytes, words: tuple[str, ...]) -> None:
    path = tmp_path / "报告.docx"
    path.write_bytes(content)
    _refused(path, *words)


@pytest.mark.parametrize("suffix", [".docx", ".pdf", ".txt"])
def test_a_symlink_to_a_device_or_a_fifo_never_blocks(tmp_path: Path, suffix: str) -> None:
    zero = tmp_path / f"零{suffix}"
    zero.symlink_to("/dev/zero")
    _refused(zero, "不是普通文件")
    fifo = tmp_path / f"管道{suffix}"
    os.mkfifo(fifo)
    _refused(fifo, "不是普通文件")
    dangling = tmp_path / f"断链{suffix}"
    dangling.symlink_to(tmp_path / "不存在")
    _refused(dangling, "无法读取文件")


def test_a_symlink_to_a_real_report_is_read(tmp_path: Path) -> None:
    real = tmp_path / "real.docx"
    real.write_bytes(zip_bytes(_docx_parts()))
    link = tmp_path / "link.docx"
    link.symlink_to(real)
    assert read_report(link).kind == "docx"


def _pdf(tmp_path: Path, pages: int) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    path = tmp_path / "报告.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def test_a_pdf_of_too_many_pages_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xl_perf.io.report_files as report_files

    monkeypatch.setattr(report_files, "MAX_PDF_PAGES", 5)  # the child is forked: it sees the patched bound
    _refused(_pdf(tmp_path, 6), "页数过多", "6 页")


def test_a_pdf_that_is_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "报告.pdf"
    path.write_bytes(b"<html><body>report</body></html>")
    _refused(path, "不是 PDF")
    path.write_bytes(zip_bytes(_docx_parts()))
    _refused(path, "不是 PDF", ".docx")
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")
    _refused(path, "PDF")


class _LoopingReader:
    """Stands in for pypdf on a hostile PDF whose object graph makes it loop: it never returns."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        while True:
            time.sleep(0.05)


class _DyingReader:
    """Stands in for pypdf driven out of memory: the process dies without a word."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        os.abort()


@pytest.mark.parametrize(("reader", "words"), [(_LoopingReader, ("超时",)), (_DyingReader, ("异常退出",))])
def test_a_pdf_reader_that_loops_or_dies_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: type, words: tuple[str, ...]
) -> None:
    import pypdf

    path = _pdf(tmp_path, 1)
    monkeypatch.setattr(pypdf, "PdfReader", reader)
    message = _refused(path, *words, limits=Limits(timeout_s=2.0))
    assert "文档" in message or "超时" in message


def test_the_cli_refuses_hostile_reports_with_exit_2(tmp_path: Path) -> None:
    cases = {
        "炸弹.docx": _with_document(b"<w:document>" + b" " * (8 * 1024 * 1024) + b"</w:document>"),
        "实体.docx": _with_document(_LAUGHS + b"<w:document>&i;</w:document>"),
        "网页.docx": b"<html><body>" + b"x" * 100 + b"</body></html>",
        "假的.pdf": b"PK\x03\x04" + zlib.compress(b"x" * 100),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "零.docx").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "管道.pdf")
    for name in [*cases, "零.docx", "管道.pdf"]:
        path = tmp_path / name
        result = run("check", *WORKBOOKS, str(path))
        output = result.stdout + result.stderr
        assert result.returncode == 2, (name, output)
        assert name in output and "Traceback" not in output, output


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF of the given objects (1 0 obj is the catalog), with a correct cross-reference table."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


@pytest.mark.parametrize(
    ("objects", "words"),
    [
        # a page tree whose only kid is itself
        ([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"], ("无法读取 PDF",)),
        # a form that draws itself, and a page count of a hundred million
        (
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 99999999 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X 4 0 R >> >>"
                b" /Contents 5 0 R >>",
                b"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /X 4 0 R >> >>"
                b" /Length 8 >>\nstream\n/X Do   \nendstream",
                b"<< /Length 8 >>\nstream\n/X Do   \nendstream",
            ],
            ("没有可提取的文字",),
        ),
    ],
    ids=["page-tree-cycle", "self-drawing-form"],
)
def test_hostile_pdf_structures(tmp_path: Path, objects: list[bytes], words: tuple[str, ...]) -> None:
    path = tmp_path / "报告.pdf"
    path.write_bytes(_raw_pdf(objects))
    _refused(path, *words)


@pytest.mark.parametrize(
    "body",
    [
        b"<w:document>" + b"<w:p>" * 20_000 + b"</w:document>",  # nesting past what the XML parser allows
        b"<w:document><w:body><w:p>unclosed</w:document>",
    ],
    ids=["deep-nesting", "malformed"],
)
def test_a_document_part_python_docx_cannot_parse(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "坏的.docx"
    path.write_bytes(_with_document(body))
    _refused(path, "无法打开 .docx", "损坏")
