"""Sample workbooks of the tool, tampered with where the tool's own structure lives: the hidden _xlperf sheet, the
defined names, the unit name, the sheets. Each is a valid .xlsx that passes the guard, so the reading code behind it
must refuse it (exit 2, a Chinese message) or read it correctly, within seconds.

Parts are rewritten as bytes (never through a spreadsheet library, which would normalise away the tampering).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "workbooks" / "samples"
ZHENGTI = SAMPLES / "gangmen-2022-zhengti.xlsx"
XIANGMU = SAMPLES / "gangmen-2022-xiangmu.xlsx"

Parts = dict[str, bytes]


def read_parts(path: Path) -> tuple[list[zipfile.ZipInfo], Parts]:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        return infos, {i.filename: archive.read(i) for i in infos}


def write_parts(path: Path, infos: list[zipfile.ZipInfo], parts: Parts) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        names = [i.filename for i in infos if i.filename in parts] + [
            n for n in parts if n not in {i.filename for i in infos}
        ]
        for name in names:
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), parts[name], zipfile.ZIP_DEFLATED)
    return path


def sheet_part(parts: Parts, sheet_name: str) -> str:
    """The part name of the sheet called `sheet_name` (through workbook.xml and its relationships)."""
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    for attrs in re.findall(r"<sheet ([^>]*)/>", workbook):
        name = re.search(r'name="([^"]*)"', attrs)
        rid = re.search(r'r:id="([^"]*)"', attrs)
        if name and rid and name.group(1) == escape(sheet_name):
            target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]*)"', rels) or re.search(
                rf'Target="([^"]*)"[^>]*Id="{rid.group(1)}"', rels
            )
            assert target is not None
            return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")
    raise KeyError(sheet_name)


def _inline_sheet(rows: list[tuple[str, str]]) -> bytes:
    cells = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{escape(k)}</t></is></c>'
        f'<c r="B{i}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c></row>'
        for i, (k, v) in enumerate(rows, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


def original_meta(source: Path = ZHENGTI) -> list[tuple[str, str]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(source))
    try:
        rows = book.get_sheet_by_name("_xlperf").to_python()
    finally:
        book.close()
    return [(str(r[0]), str(r[1])) for r in rows if r and r[0] != ""]


def with_meta(target: Path, changes: dict[str, str], source: Path = ZHENGTI) -> Path:
    """`source` with fields of its _xlperf sheet replaced (written as inline strings)."""
    infos, parts = read_parts(source)
    rows = [(k, changes.get(k, v)) for k, v in original_meta(source)]
    rows += [(k, v) for k, v in changes.items() if k not in dict(rows)]
    parts[sheet_part(parts, "_xlperf")] = _inline_sheet(rows)
    return write_parts(target, infos, parts)


def with_defined_name(target: Path, name: str, reference: str, source: Path = ZHENGTI) -> Path:
    """`source` with the defined name `name` pointing at `reference` (sheet-qualified, as in workbook.xml)."""
    infos, parts = read_parts(source)
    workbook = parts["xl/workbook.xml"].decode()
    pattern = rf'(<definedName name="{re.escape(name)}">)[^<]*(</definedName>)'
    changed, count = re.subn(pattern, lambda m: m.group(1) + escape(reference) + m.group(2), workbook)
    assert count == 1, name
    parts["xl/workbook.xml"] = changed.encode()
    return write_parts(target, infos, parts)


def with_renamed_sheet(target: Path, old: str, new: str, source: Path = ZHENGTI) -> Path:
    """`source` with a sheet renamed in workbook.xml only, its defined names left pointing at the old name."""
    infos, parts = read_parts(source)
    workbook = parts["xl/workbook.xml"].decode()
    parts["xl/workbook.xml"] = workbook.replace(f'<sheet name="{escape(old)}"', f'<sheet name="{escape(new)}"').encode()
    return write_parts(target, infos, parts)


def with_unit(target: Path, unit: str, source: Path = ZHENGTI) -> Path:
    """`source` with the unit name in the metadata and in the form's unit cell (every shared string equal to the
    old unit name) replaced; `unit` is XML-escaped, so "_x0000_" reaches readers as their escape for NUL."""
    old = dict(original_meta(source))["unit"]
    infos, parts = read_parts(source)
    strings = parts["xl/sharedStrings.xml"].decode()
    parts["xl/sharedStrings.xml"] = strings.replace(f"<t>{escape(old)}</t>", f"<t>{escape(unit)}</t>").encode()
    rows = [(k, unit if k == "unit" else v) for k, v in original_meta(source)]
    parts[sheet_part(parts, "_xlperf")] = _inline_sheet(rows)
    return write_parts(target, infos, parts)


TAMPERINGS: dict[str, Callable[[Path], Path]] = {
    "year_abc": lambda t: with_meta(t, {"year": "abc"}),
    "year_float_text": lambda t: with_meta(t, {"year": "2022.0"}),
    "year_5000_digits": lambda t: with_meta(t, {"year": "9" * 5000}),
    "params_bad_json": lambda t: with_meta(t, {"params": "{not json"}),
    "params_deeply_nested": lambda t: with_meta(t, {"params": "[" * 100_000 + "]" * 100_000}),
    "params_nested_object": lambda t: with_meta(t, {"params": '{"a":' * 50 + "1" + "}" * 50}),
    "params_not_object": lambda t: with_meta(t, {"params": "[1, 2]"}),
    "not_applicable_unknown": lambda t: with_meta(t, {"not_applicable": '["no_such_indicator"]'}),
    "not_applicable_not_list": lambda t: with_meta(t, {"not_applicable": '{"a": 1}'}),
    "framework_unknown": lambda t: with_meta(t, {"framework": "no-such-pack"}),
    "level_unknown": lambda t: with_meta(t, {"level": "省"}),
    "table_name_100m_rows": lambda t: with_defined_name(
        t, "xp_table_funds", "'整体基础数据（财政资金情况）'!$A$7:$AE$99999999"
    ),
    "table_name_whole_sheet": lambda t: with_defined_name(
        t, "xp_table_funds", "'整体基础数据（财政资金情况）'!$A$1:$XFD$1048576"
    ),
    "table_name_narrowed": lambda t: with_defined_name(
        t, "xp_table_funds", "'整体基础数据（财政资金情况）'!$A$7:$C$19"
    ),
    "score_sheet_renamed": lambda t: with_renamed_sheet(t, "整体评分表", "评分表（改名）"),
    "unit_nul": lambda t: with_unit(t, "港门镇_x0000_人民政府"),
    "unit_bidi": lambda t: with_unit(t, "港门镇\u202e人民政府"),
}
