"""Scanners of the XML parts of a package, over one small base.

`PartScanner` takes a part whole or as a stream of blocks, checks its encoding (strict UTF-8 for the parts readers
parse strictly; UTF-16 transcoded for the others) and its entity declarations, and hands each block of complete
markup to `scan`, which each kind of part defines: the workbook (sheet names, defined names), relationships,
shared strings (their count), sheets (module `sheet`), and every other XML part (nothing beyond the base).
The scan works on bytes: all markup it looks for is ASCII, and UTF-8 validity is checked by a separate decoder.
"""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from xl_perf.errors import BadInputError
from xl_perf.io.guard.base import MIB, MSG_ENTITY, SAVE_AS_XLSX, Limits, bad

P = rb"<(?:[A-Za-z_][\w.-]*:)?"  # start of a tag with an optional namespace prefix


def case_free(word: bytes) -> bytes:
    return b"".join(b"[%c%c]" % (c, c + 32) for c in word)  # not re.IGNORECASE: that costs sre its fast prefix scan


ENTITY = rb"<!\s*(?:" + case_free(b"DOCTYPE") + rb"|" + case_free(b"ENTITY") + rb")"
_ENTITY_RE = re.compile(ENTITY)
_MAX_TAG_CHARS = 4 * MIB  # a single unfinished markup token longer than this is not XML any reader accepts
_MAX_WORKBOOK_XML = 8 * MIB  # larger workbook parts (thousands of names) go to the full parser
_SHEET_RE = re.compile(P + rb"sheet(?=[\s/>])([^>]*)>")
_REL_RE = re.compile(P + rb"Relationship(?=[\s/>])([^>]*)>")
_ATTR_RE = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_DECLARED_ENCODING_RE = re.compile(rb'(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*["\']([^"\']*)["\']')
_ACCEPTED_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be", "us-ascii", "ascii", "iso-8859-1"}


def unescape(text: str) -> str:
    """Attribute or element text as it reads, with character and entity references resolved."""
    return html.unescape(text) if "&" in text else text


def attrs(markup: bytes) -> dict[str, str]:
    """The attributes in the inside of a start tag, values unescaped."""
    found: dict[str, str] = {}
    for m in _ATTR_RE.finditer(markup):
        raw = m.group(2) if m.group(2) is not None else m.group(3)
        found[m.group(1).decode("ascii", "replace")] = unescape((raw or b"").decode("utf-8", "replace"))
    return found


@dataclass
class PackageState:
    """What the scanners of one package learn together (and the file they refuse)."""

    path: Path
    limits: Limits
    sheet_names_by_rid: dict[str, str] = field(default_factory=dict)
    relationships: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (type, target), internal only
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    formulas_exact: bool = True  # every sheet was in a form whose formula cells the scan follows
    workbook_xml: list[bytes] | None = field(default_factory=list)  # None once too large to keep
    workbook_xml_size: int = 0
    max_string_index: int = -1  # the largest shared-string index any cell refers to

    def bad(self, message: str, sheet: str | None = None) -> BadInputError:
        return bad(self.path, message, sheet)


def _utf16_codec(first: bytes) -> str | None:
    """The UTF-16 codec of a part starting with `first` (by its BOM or a first "<" of two bytes), if it is one."""
    if first[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if first[:2] in (b"<\x00", b"\x00<"):
        return "utf-16-le" if first[:1] == b"<" else "utf-16-be"
    return None


class PartScanner:
    """Incremental checks of one XML part: encoding and entity declarations; `scan` adds what its kind needs."""

    def __init__(self, state: PackageState, part: str, strict: bool, sheet: str | None = None) -> None:
        self.state = state
        self.part = part
        self.strict = strict
        self.sheet = sheet
        self.started = False
        self.validator: codecs.IncrementalDecoder | None = None  # strict UTF-8 check, output discarded
        self.transcoder: codecs.IncrementalDecoder | None = None  # UTF-16 parts of lenient kinds, scanned as UTF-8
        self.carry = b""
        self.is_whole = False  # the part came in one block (`whole`): nothing to carry to a next block

    # -- what each kind adds

    def scan(self, block: bytes) -> None:
        """Look at one block of complete markup (entity declarations are already checked)."""

    def done(self) -> None:
        """The whole part has been scanned: checks that need all of it."""

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
            self.process(data)
        self.done()

    def finish(self) -> None:
        if self.validator is not None:
            try:
                self.validator.decode(b"", final=True)
            except UnicodeDecodeError:
                raise self._encoding_error() from None
        if self.transcoder is not None:
            self._take(self.transcoder.decode(b"", final=True).encode("utf-8", "replace"))
        if self.carry:
            self.process(self.carry)
            self.carry = b""
        self.done()

    def process(self, block: bytes) -> None:
        """Check one block of complete markup."""
        self.check_entities(block)
        self.scan(block)

    def check_entities(self, block: bytes) -> None:
        if b"<!" in block and _ENTITY_RE.search(block):
            raise self.state.bad(MSG_ENTITY.format(part=self.part), self.sheet)

    def _utf16(self, first: bytes) -> str | None:
        """The UTF-16 codec a part starting with `first` is written in, if it is (refused for strict parts).
        UTF-32 (its BOM starts like UTF-16's) and XML declaring any other encoding are refused in every part: no
        spreadsheet program writes them, and markup the byte scan cannot see could hide in them."""
        if first[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, b"<\x00\x00\x00", b"\x00\x00\x00<"):
            raise self.state.bad(f"工作簿内部 XML（{self.part}）使用了 UTF-32 编码，可能是恶意构造的文件，已拒绝读取")
        self._declared_encoding(first)
        codec = _utf16_codec(first)
        if codec is not None and self.strict:
            raise self._encoding_error()
        return codec

    def _declared_encoding(self, first: bytes) -> None:
        head = first[:400]
        codec = _utf16_codec(head)
        if codec is not None:
            head = head.decode(codec, "replace").encode("utf-8", "replace")
        m = _DECLARED_ENCODING_RE.match(head)
        if m and m.group(1).decode("ascii", "replace").lower() not in _ACCEPTED_ENCODINGS:
            shown = m.group(1)[:20].decode("ascii", "replace")
            raise self.state.bad(
                f"工作簿内部 XML（{self.part}）声明了不支持的字符编码“{shown}”，可能是恶意构造的文件，已拒绝读取"
            )

    def _start(self, first: bytes) -> None:
        encoding = self._utf16(first)
        if encoding is not None:
            self.transcoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        elif self.strict:
            self.validator = codecs.getincrementaldecoder("utf-8")(errors="strict")

    def _encoding_error(self) -> BadInputError:
        return self.state.bad(
            f"工作簿内部 XML（{self.part}）不是有效的 UTF-8 编码，文件可能已损坏；{SAVE_AS_XLSX}", self.sheet
        )

    def _take(self, data: bytes) -> None:
        if not data:
            return
        buffer = self.carry + data if self.carry else data
        last = buffer.rfind(b"<")
        if last < 0 or buffer.find(b">", last) >= 0:
            self.carry = b""
            self.process(buffer)
            return
        self.carry = buffer[last:]
        if len(self.carry) > _MAX_TAG_CHARS:
            raise self.state.bad(f"工作簿内部 XML（{self.part}）结构异常，文件可能已损坏", self.sheet)
        self.process(buffer[:last])


class WorkbookScanner(PartScanner):
    """xl/workbook.xml: sheet names by relationship id; the part itself is kept for its defined names."""

    def scan(self, block: bytes) -> None:
        state = self.state
        if state.workbook_xml is not None:
            state.workbook_xml_size += len(block)
            if state.workbook_xml_size > _MAX_WORKBOOK_XML:
                state.workbook_xml = None
            else:
                state.workbook_xml.append(block)
        for m in _SHEET_RE.finditer(block):
            found = attrs(m.group(1))
            rid = next((v for k, v in found.items() if k == "id" or k.endswith(":id")), None)
            if rid is not None and "name" in found:
                state.sheet_names_by_rid[rid] = found["name"]


class RelationshipsScanner(PartScanner):
    """xl/_rels/workbook.xml.rels: the internal relationships, by id."""

    def scan(self, block: bytes) -> None:
        for m in _REL_RE.finditer(block):
            found = attrs(m.group(1))
            if found.get("TargetMode", "").lower() == "external":
                continue
            if "Id" in found and "Target" in found:
                self.state.relationships[found["Id"]] = (found.get("Type", ""), found["Target"])


class SharedStringsScanner(PartScanner):
    """The shared-strings part: the number of its items (-1 when written in a form the count does not follow)."""

    def __init__(self, state: PackageState, part: str, strict: bool, sheet: str | None = None) -> None:
        super().__init__(state, part, strict, sheet)
        self.strings = 0

    def process(self, block: bytes) -> None:
        if self.strings >= 0:
            self.strings += block.count(b"<si>") + block.count(b"<si ")
            if b":si" in block:
                self.strings = -1
        super().process(block)
