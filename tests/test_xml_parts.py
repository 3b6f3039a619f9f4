"""The part-by-part comparison itself: what it ignores, and that it names the part and element of a difference."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.xml_parts import assert_same_parts, differences

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CORE = (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">'
    "<dc:title>项目支出绩效自评表</dc:title><dcterms:created>{when}</dcterms:created>"
    "<dcterms:modified>{when}</dcterms:modified></cp:coreProperties>"
)
RELS = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>'
REL = '<Relationship Id="rId{0}" Type="t{0}" Target="x{0}.xml"/>'
SHEET = (
    f'<worksheet xmlns="{MAIN}">\n  <sheetData>\n'
    '    <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><f>{formula}</f><v>4.63</v></c></row>\n'
    "  </sheetData>\n</worksheet>"
)


def package(path: Path, parts: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def workbook(path: Path, **changes: str | bytes) -> Path:
    parts: dict[str, str | bytes] = {
        "docProps/core.xml": CORE.format(when="2026-01-01T00:00:00Z"),
        "_rels/.rels": RELS.format(REL.format(1) + REL.format(2)),
        "xl/worksheets/sheet1.xml": SHEET.format(formula="ROUND(A1,2)"),
        "xl/vbaProject.bin": b"\x01\x02",
    }
    parts.update(changes)
    return package(path, parts)


def test_what_a_save_changes_is_not_a_difference(tmp_path: Path) -> None:
    reference = workbook(tmp_path / "a.xlsx")
    resaved = workbook(
        tmp_path / "b.xlsx",
        **{
            "docProps/core.xml": CORE.format(when="2026-12-02T01:00:00Z"),
            "_rels/.rels": RELS.format(REL.format(2) + REL.format(1)),
            "xl/worksheets/sheet1.xml": SHEET.format(formula="ROUND(A1,2)").replace("\n  ", "").replace("\n", ""),
        },
    )
    assert differences(reference, resaved) == []
    assert_same_parts(reference, resaved)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"xl/worksheets/sheet1.xml": SHEET.format(formula="ROUND(A1,1)")},
            "xl/worksheets/sheet1.xml: /worksheet/sheetData/row[@r='1']/c[@r='B1']/f: "
            "text 'ROUND(A1,2)' in the reference, 'ROUND(A1,1)' now",
        ),
        (
            {"xl/worksheets/sheet1.xml": SHEET.format(formula="ROUND(A1,2)").replace('t="s"', 't="str"')},
            "xl/worksheets/sheet1.xml: /worksheet/sheetData/row[@r='1']/c[@r='A1']: "
            "attributes differ (@t: 's' -> 'str'; reference first)",
        ),
        (
            {"_rels/.rels": RELS.format(REL.format(1))},
            "_rels/.rels: /Relationships: 2 child elements in the reference, 1 now; first only in the reference: "
            "Relationship[@Id='rId2']",
        ),
        ({"docProps/core.xml": CORE.format(when="x").replace("绩效", "")}, "docProps/core.xml: /coreProperties/title"),
        ({"xl/vbaProject.bin": b"\x01\x03"}, "xl/vbaProject.bin: binary part differs"),
        ({"xl/comments1.xml": f'<comments xmlns="{MAIN}"/>'}, "xl/comments1.xml: new part, not in the reference"),
    ],
)
def test_a_difference_names_its_part_and_element(tmp_path: Path, changes: dict, expected: str) -> None:
    reference = workbook(tmp_path / "a.xlsx")
    changed = workbook(tmp_path / "b.xlsx", **changes)
    found = [str(d) for d in differences(reference, changed)]
    assert len(found) == 1 and found[0].startswith(expected), found
    with pytest.raises(AssertionError, match="differs from the reference") as failure:
        assert_same_parts(reference, changed, remedy="run: regenerate")
    assert expected in str(failure.value) and str(failure.value).endswith("run: regenerate")


def test_a_missing_part_and_broken_xml_are_named(tmp_path: Path) -> None:
    reference = workbook(tmp_path / "a.xlsx")
    without = package(tmp_path / "b.xlsx", {"docProps/core.xml": CORE.format(when="x")})
    found = {str(d) for d in differences(reference, without)}
    assert "xl/worksheets/sheet1.xml: part missing now" in found and len(found) == 3
    broken = workbook(tmp_path / "c.xlsx", **{"xl/worksheets/sheet1.xml": "<worksheet><row></worksheet>"})
    with pytest.raises(AssertionError, match=r"part xl/worksheets/sheet1\.xml is not well-formed XML"):
        differences(reference, broken)
