"""`inspect`: the whole check of one file, from its first bytes through its zip directory to every XML part."""

from __future__ import annotations

import io
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from xl_perf.errors import BadInputError
from xl_perf.io.guard import base
from xl_perf.io.guard.base import DEFAULT_LIMITS, MIB, MSG_EMPTY, Limits, bad, size_text
from xl_perf.io.guard.parts import (
    PackageState,
    PartScanner,
    RelationshipsScanner,
    SharedStringsScanner,
    WorkbookScanner,
    attrs,
    unescape,
)
from xl_perf.io.guard.sheet import SheetScanner
from xl_perf.io.guard.sniff import (
    OLE_MAGIC,
    ZIP_MAGICS,
    RegularFile,
    classify_ole,
    classify_other,
    package_kind,
    wrong_extension,
)
from xl_perf.io.guard.zipdir import Budget, directory, entry_bytes, entry_whole, first_bytes

_IN_MEMORY_BYTES = 16 * MIB  # files up to this size are inspected from one read into memory
_NAME_ATTR_RE = re.compile(r'^\s+name="([^"]*)"')
_DEFINED_NAME_RE = re.compile(r"<definedName(?=[\s>])([^>]*)>([^<]*)</definedName>")
_XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00<", b"\x00\x00")
_SHEET_TYPES = ("/worksheet", "/dialogsheet", "/chartsheet", "/xlmacrosheet", "/xlintlmacrosheet")
_STRICT_XML_TYPES = ("/sharedstrings", "/styles")
_SHEET_FOLDERS = ("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")


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


def inspect(path: Path, limits: Limits = DEFAULT_LIMITS) -> PackageFacts:
    """Refuse `path` with a `BadInputError` unless it looks like a safe, readable .xlsx workbook within `limits`;
    return what the scan found out about defined names and formula cells."""
    path = Path(path)
    with RegularFile(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise bad(path, MSG_EMPTY)
        head = f.read(4096)
        if head.startswith(OLE_MAGIC):  # tell the user what it is even when it is also too large
            raise bad(path, classify_ole(f, min(size, limits.max_file_bytes)))
        if not head.startswith(ZIP_MAGICS):
            raise bad(path, classify_other(head, size))
        if size > limits.max_file_bytes:
            raise bad(path, f"文件过大（{size_text(size)}，上限 {size_text(limits.max_file_bytes)}），已拒绝读取")
        if size <= _IN_MEMORY_BYTES:  # one read instead of dozens of small ones
            f.seek(0)
            facts = _PackageScan(path, io.BytesIO(f.read()), size, limits).run()
        else:
            facts = _PackageScan(path, f, size, limits).run()
    message = wrong_extension(path)
    if message is not None:
        raise bad(path, message)
    return facts


class _PackageScan:
    """Every XML part of an OOXML package through its scanner, within one byte budget."""

    def __init__(self, path: Path, f: BinaryIO, size: int, limits: Limits) -> None:
        self.path = path
        self.f = f
        self.size = size
        self.by_name = directory(path, f, size, limits)
        self.budget = Budget(path, limits.max_uncompressed_bytes)
        self.state = PackageState(path, limits)
        self.shared_strings_key: str | None = None
        self.shared_strings: SharedStringsScanner | None = None

    def run(self) -> PackageFacts:
        self._check_kind()
        self._scan_parts()
        self._check_string_indexes()
        return self._facts()

    def _check_kind(self) -> None:
        mimetype = b""
        info = self.by_name.get("mimetype")
        if info is not None and info.file_size < 200:
            try:
                mimetype = b"".join(entry_bytes(self.path, self.f, info, self.size, None))
            except BadInputError:
                mimetype = b""
        message = package_kind(self.by_name, mimetype)
        if message is not None:
            raise bad(self.path, message)

    def _scan(self, key: str, scanner: PartScanner) -> None:
        info = self.by_name[key]
        if info.file_size <= base.CHUNK:  # nearly every part: one read, one pass of each check
            scanner.whole(entry_whole(self.path, self.f, info, self.size, self.budget))
            return
        for chunk in entry_bytes(self.path, self.f, info, self.size, self.budget):
            scanner.feed(chunk)
        scanner.finish()

    def _scanner(self, key: str, kind: type[PartScanner], strict: bool, sheet: str | None = None) -> PartScanner:
        return kind(self.state, self.by_name[key].filename, strict, sheet)

    def _scan_parts(self) -> None:
        done: set[str] = set()
        first: tuple[tuple[str, type[PartScanner]], ...] = (
            ("[content_types].xml", PartScanner),
            ("xl/_rels/workbook.xml.rels", RelationshipsScanner),
            ("xl/workbook.xml", WorkbookScanner),
        )
        for key, kind in first:
            if key in self.by_name:
                self._scan(key, self._scanner(key, kind, strict=True))
                done.add(key)
        sheets, strict_parts = self._related_parts()
        for key, name in sheets.items():
            if key not in done:
                self._scan(key, self._scanner(key, SheetScanner, strict=True, sheet=name))
                done.add(key)
        for key in self.by_name:
            if key in done:
                continue
            named_xml = key.endswith((".xml", ".rels", ".vml"))
            if not named_xml and key not in strict_parts and not self._looks_like_xml(key):
                continue  # images, the VBA project and other binary parts
            strict = key in strict_parts or key.endswith(".rels") or key in ("xl/sharedstrings.xml", "xl/styles.xml")
            if key == self.shared_strings_key:
                self.shared_strings = SharedStringsScanner(self.state, self.by_name[key].filename, strict)
                self._scan(key, self.shared_strings)
            else:
                self._scan(key, self._scanner(key, PartScanner, strict))
            done.add(key)

    def _related_parts(self) -> tuple[dict[str, str | None], set[str]]:
        """The sheet parts (with their names, where the workbook gives one) and the parts readers parse strictly,
        as the workbook's relationships and the package's folders tell."""
        sheets: dict[str, str | None] = {}
        strict_parts: set[str] = set()
        for rid, (rel_type, target) in self.state.relationships.items():
            target_key = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            target_key = target_key.casefold()
            if target_key not in self.by_name:
                continue
            rel_type = rel_type.casefold()
            if rel_type.endswith(_SHEET_TYPES):
                sheets[target_key] = self.state.sheet_names_by_rid.get(rid)
            elif rel_type.endswith(_STRICT_XML_TYPES):
                strict_parts.add(target_key)
                if rel_type.endswith("/sharedstrings"):
                    self.shared_strings_key = target_key
        for key in self.by_name:
            if key.startswith(_SHEET_FOLDERS) and "/_rels/" not in key:
                sheets.setdefault(key, None)
        return sheets, strict_parts

    def _looks_like_xml(self, key: str) -> bool:
        """Whether a part with another extension holds XML (a reader may be pointed at it by a relationship or a
        content type): judged by its first bytes, of which only the first block is inflated."""
        first = first_bytes(self.path, self.f, self.by_name[key], self.size)
        return first.lstrip(b" \t\r\n").startswith(_XML_STARTS)

    def _check_string_indexes(self) -> None:
        """Refuse cells that refer to a shared string that does not exist: readers would show another text (or
        none) in their place, a silent substitution."""
        highest = self.state.max_string_index
        if highest < 0:
            return
        if self.shared_strings_key is None:
            count = 0
        else:
            count = self.shared_strings.strings if self.shared_strings is not None else -1
        if count < 0 or highest < count:
            return  # an unusual form of the part the count does not follow: the reader decides
        raise bad(
            self.path,
            f"工作簿内部数据不一致：有单元格引用了第 {highest + 1} 个共享字符串，"
            f"但工作簿只有 {count} 个；文件可能已损坏或被改动，请在 Excel/WPS 中打开后另存再试",
        )

    def _facts(self) -> PackageFacts:
        state = self.state
        names: dict[str, str] = {}
        xml = b"".join(state.workbook_xml) if state.workbook_xml is not None else b""
        # The workbook part is followed when kept whole and in the forms the pattern below follows.
        followed = state.workbook_xml is not None and b":definedName" not in xml and b"<![CDATA[" not in xml
        if followed:
            # Decoded once as a whole (the scan has checked it is UTF-8), not name by name.
            for attributes, text in _DEFINED_NAME_RE.findall(xml.decode("utf-8", "replace")):
                if "localSheetId" in attributes:  # sheet-scoped names are not workbook names
                    continue
                plain = _NAME_ATTR_RE.search(attributes)
                name = unescape(plain.group(1)) if plain else attrs(attributes.encode()).get("name")
                if name is not None:
                    names[name] = unescape(text)
        sheets = set(state.sheet_names_by_rid.values())
        exact = followed and state.formulas_exact
        formulas = {name: frozenset(state.formulas.get(name, ())) for name in sheets} if exact else None
        return PackageFacts(names, formulas)


__all__ = ["PackageFacts", "inspect"]
