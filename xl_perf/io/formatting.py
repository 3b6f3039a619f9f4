"""Sheet protection and cell fills of a workbook file, read with a bounded scan of its XML (no spreadsheet library).

For the private copy the in-Excel actions take of a live workbook (Workbook.SaveCopyAs): they need each sheet's
protection (to put back exactly) and the fill of the cells they are about to highlight (to restore it later). The
file is first inspected by `guard.inspect` (sizes, zip bomb, XML entities, sheet extent); then styles.xml is parsed
(it is small and its size is capped here) and each sheet part is streamed in chunks, looking only at <c s=...> and
<sheetProtection>, under a deadline. Nothing is kept but the protection and the fills of the cells asked for, so
memory does not grow with the sheet.

A fill is given as text, as the actions keep it in the workbook: None (no fill), "#RRGGBB" (a solid RGB fill), or
"fill:<patternType>;fg=<colour>;bg=<colour>" with a colour "rgb:RRGGBB", "theme:<index>:<tint>", "indexed:<n>" or
"auto" (fg, bg omitted when absent), and "gradient" for a gradient fill (which the actions do not paint over).
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.etree import ElementTree

from xl_perf.errors import BadInputError, Location
from xl_perf.io import guard
from xl_perf.io.cells import col_index
from xl_perf.io.workbook import SheetFormat, SheetProtection

GRADIENT = "gradient"
_MAX_STYLES_BYTES = 32 * guard.MIB  # Excel's styles.xml is kilobytes; even a bloated one with 64,000 styles fits
_CHUNK = guard.MIB
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*?)/?>")
_PROTECTION_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetProtection\s([^>]*?)/?>")
_ATTR_RE = re.compile(rb"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF_RE = re.compile(rb"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")

# (Excel's Worksheet.Protect argument, the <sheetProtection> attribute, its default, True when "1" means "allowed")
# A set attribute such as formatCells="1" means "locked"; objects/scenarios="1" mean "protected".
_PROTECT_OPTIONS = (
    ("DrawingObjects", "objects", False, False),
    ("Scenarios", "scenarios", False, False),
    ("AllowFormattingCells", "formatCells", True, True),
    ("AllowFormattingColumns", "formatColumns", True, True),
    ("AllowFormattingRows", "formatRows", True, True),
    ("AllowInsertingColumns", "insertColumns", True, True),
    ("AllowInsertingRows", "insertRows", True, True),
    ("AllowInsertingHyperlinks", "insertHyperlinks", True, True),
    ("AllowDeletingColumns", "deleteColumns", True, True),
    ("AllowDeletingRows", "deleteRows", True, True),
    ("AllowSorting", "sort", True, True),
    ("AllowFiltering", "autoFilter", True, True),
    ("AllowUsingPivotTables", "pivotTables", True, True),
)

Cell = tuple[int, int]


def _attrs(markup: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, double, single in _ATTR_RE.findall(markup):
        found[name.decode("ascii", "replace").split(":")[-1]] = (double or single).decode("utf-8", "replace")
    return found


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("1", "true")


def _protection(attributes: dict[str, str]) -> SheetProtection | None:
    if not _flag(attributes.get("sheet"), False):
        return None
    arguments = tuple(
        (argument, _flag(attributes.get(attribute), default) != allows)
        for argument, attribute, default, allows in _PROTECT_OPTIONS
    )
    # Excel 2013 and later keep a password as a salted SHA-512 hash (hashValue), older ones as a 16-bit legacy hash
    # (password): either means Unprotect without it is refused.
    return SheetProtection(arguments, bool(attributes.get("password") or attributes.get("hashValue")))


def _colour(element: ElementTree.Element | None) -> str | None:
    if element is None:
        return None
    if element.get("theme") is not None:
        return f"theme:{int(element.get('theme', '0'))}:{float(element.get('tint', '0') or 0):g}"
    if element.get("rgb") is not None:
        return "rgb:" + element.get("rgb", "")[-6:].upper()
    if element.get("indexed") is not None:
        return f"indexed:{int(element.get('indexed', '0'))}"
    if _flag(element.get("auto"), False):
        return "auto"
    return None


def fill_text(element: ElementTree.Element) -> str | None:
    """One <fill> of styles.xml as the text the actions keep (see the module's docstring)."""
    if element.find(_MAIN + "gradientFill") is not None:
        return GRADIENT
    pattern = element.find(_MAIN + "patternFill")
    if pattern is None:
        return None
    kind = pattern.get("patternType") or "none"
    if kind == "none":
        return None
    fg = _colour(pattern.find(_MAIN + "fgColor"))
    bg = _colour(pattern.find(_MAIN + "bgColor"))
    if kind == "solid" and fg is not None and fg.startswith("rgb:"):
        return "#" + fg[4:]
    parts = [f"fill:{kind}"] + [f"{k}={v}" for k, v in (("fg", fg), ("bg", bg)) if v is not None]
    return ";".join(parts)


class _Reader:
    def __init__(self, path: Path, limits: guard.Limits) -> None:
        self.path = path
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout_s

    def bad(self, message: str) -> BadInputError:
        return BadInputError(message, Location(file=str(self.path)))

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.bad(guard.MSG_TIMEOUT.format(seconds=self.limits.timeout_s))

    def part(self, zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
        info = zf.getinfo(name)
        if info.file_size > limit:
            raise self.bad(f"工作簿的内部部件 {name} 过大（{info.file_size} 字节），无法读取格式")
        with zf.open(info) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise self.bad(f"工作簿的内部部件 {name} 过大，无法读取格式")
        return data

    def sheets(self, zf: zipfile.ZipFile) -> list[tuple[str, str]]:
        """(sheet name, part name) of every worksheet, in the workbook's order."""
        names = {info.filename.casefold(): info.filename for info in zf.infolist()}
        workbook = ElementTree.fromstring(self.part(zf, names["xl/workbook.xml"], _MAX_STYLES_BYTES))
        rels_key = "xl/_rels/workbook.xml.rels"
        rels = ElementTree.fromstring(self.part(zf, names[rels_key], _MAX_STYLES_BYTES)) if rels_key in names else None
        targets: dict[str, str] = {}
        for rel in [] if rels is None else list(rels):
            target = rel.get("Target", "")
            key = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets[rel.get("Id", "")] = key
        found = []
        for sheet in workbook.iter(_MAIN + "sheet"):
            key = targets.get(sheet.get(_REL + "id", ""), "").casefold()
            if key in names:
                found.append((sheet.get("name", ""), names[key]))
        return found

    def styles(self, zf: zipfile.ZipFile) -> list[str | None]:
        """The fill of each cell format (cellXfs), by index."""
        names = {info.filename.casefold(): info.filename for info in zf.infolist()}
        if "xl/styles.xml" not in names:
            return []
        root = ElementTree.fromstring(self.part(zf, names["xl/styles.xml"], _MAX_STYLES_BYTES))
        fills_element = root.find(_MAIN + "fills")
        fills = [] if fills_element is None else [fill_text(f) for f in fills_element.findall(_MAIN + "fill")]
        xfs = root.find(_MAIN + "cellXfs")
        result: list[str | None] = []
        for xf in [] if xfs is None else xfs.findall(_MAIN + "xf"):
            index = int(xf.get("fillId", "0") or 0)
            result.append(fills[index] if 0 <= index < len(fills) else None)
        return result

    def sheet(
        self, zf: zipfile.ZipFile, part: str, styles: list[str | None], wanted: set[Cell]
    ) -> tuple[SheetProtection | None, dict[Cell, str]]:
        fills: dict[Cell, str] = {}
        protection: SheetProtection | None = None
        tail = b""
        with zf.open(part) as stream:
            while True:
                self.check_time()
                chunk = stream.read(_CHUNK)
                block = tail + chunk
                end = len(block) if not chunk else block.rfind(b">") + 1
                body, tail = block[:end], block[end:]
                if wanted:
                    for markup in _CELL_RE.findall(body):
                        attributes = _attrs(markup)
                        match = _REF_RE.match(attributes.get("r", "").encode())
                        style = attributes.get("s")
                        if match is None or not style:
                            continue  # Excel always writes r=; a cell without s= has the default format: no fill
                        cell = (int(match.group(2)) - 1, col_index(match.group(1).decode().upper()))
                        if cell in wanted:
                            index = int(style) if style.isdigit() else 0
                            fill = styles[index] if index < len(styles) else None
                            if fill is not None:
                                fills[cell] = fill
                found = _PROTECTION_RE.search(body)
                if found is not None:
                    protection = _protection(_attrs(found.group(1)))
                if not chunk:
                    break
                if len(tail) > 4 * _CHUNK:  # no markup ends: not XML Excel wrote
                    raise self.bad(guard.MSG_CORRUPT)
        return protection, fills


def read_formatting(
    path: Path, wanted: Mapping[str, Iterable[Cell]] | None = None, limits: guard.Limits | None = None
) -> dict[str, SheetFormat]:
    """Each sheet's protection, and the fill of the cells in `wanted` (sheet -> 0-based cells) that have one."""
    path = Path(path)
    limits = limits or guard.Limits()
    guard.inspect(path, limits)
    reader = _Reader(path, limits)
    asked = {sheet: set(cells) for sheet, cells in (wanted or {}).items()}
    try:
        with zipfile.ZipFile(path) as zf:
            styles = reader.styles(zf)
            result: dict[str, SheetFormat] = {}
            for name, part in reader.sheets(zf):
                protection, fills = reader.sheet(zf, part, styles, asked.get(name, set()))
                result[name] = SheetFormat(protection, fills)
            return result
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError, OSError) as exc:
        raise reader.bad(f"无法读取工作簿的格式：{exc}") from None


__all__ = ["GRADIENT", "fill_text", "read_formatting"]
