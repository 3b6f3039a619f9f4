"""Turn a generated .xlsm package into an .xlam add-in with a ribbon tab (our own files only, never a user's)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from xl_perf.errors import XlPerfError

ADDIN_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
MACRO_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
UI_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
UI_PART = "customUI/customUI.xml"


def to_addin(package: bytes, ribbon_xml: str) -> bytes:
    """The same package with the add-in content type and a customUI part (Office 2007 schema, read by 2007+)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                text = data.decode("utf-8")
                if MACRO_TYPE not in text:
                    raise ValueError("not a macro-enabled workbook package")
                data = text.replace(MACRO_TYPE, ADDIN_TYPE).encode("utf-8")
            elif info.filename == "_rels/.rels":
                text = data.decode("utf-8")
                relationship = f'<Relationship Id="xlPerfRibbon" Type="{UI_RELATIONSHIP}" Target="{UI_PART}"/>'
                data = text.replace("</Relationships>", relationship + "</Relationships>").encode("utf-8")
            target.writestr(info, data)
        target.writestr(UI_PART, ribbon_xml.encode("utf-8"))
    return out.getvalue()


RIBBON = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
  <ribbon>
    <tabs>
      <tab id="xlPerfTab" label="绩效自评">
        <group id="xlPerfGroup" label="绩效自评助手">
          <button id="xlPerfValidate" label="校验" size="large" imageMso="DataValidation"
                  screentip="校验当前工作簿，结果写入“校验结果”表" onAction="XlPerfRibbonValidate"/>
          <button id="xlPerfExport" label="导出" size="large" imageMso="FileSaveAs"
                  screentip="校验通过后导出报送版" onAction="XlPerfRibbonExport"/>
          <button id="xlPerfNew" label="新建模板" size="large" imageMso="FileNew"
                  screentip="生成下一年度的空白模板" onAction="XlPerfRibbonNewTemplate"/>
        </group>
      </tab>
    </tabs>
  </ribbon>
</customUI>
"""


def addin_package(vba_project: bytes, config: Sequence[tuple[str, str]], note: str) -> bytes:
    """A minimal macro workbook for the add-in: a note sheet (Sheet1), xlwings.conf (Sheet2) and the VBA project."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "addin.xlsm"
        book = xlsxwriter.Workbook(str(path))
        info = book.add_worksheet("说明")
        info.write_string(0, 0, note)
        info.set_vba_name("Sheet1")
        sheet = book.add_worksheet("xlwings.conf")
        for row, (key, value) in enumerate(config):
            sheet.write_string(row, 0, key)
            sheet.write_string(row, 1, value)
        sheet.set_vba_name("Sheet2")
        book.set_vba_name("ThisWorkbook")
        book.add_vba_project(io.BytesIO(vba_project), is_stream=True)
        book.close()
        return path.read_bytes()


def verify_addin(path: Path) -> None:
    """Refuse a written add-in without the add-in content type, the ribbon part or a VBA project."""
    with zipfile.ZipFile(path) as package:
        types = package.read("[Content_Types].xml").decode("utf-8")
        if ADDIN_TYPE not in types or UI_PART not in package.namelist():
            raise XlPerfError("生成的加载项不完整，已放弃写入")
        if not package.read("xl/vbaProject.bin"):
            raise XlPerfError("生成的加载项缺少 VBA 工程，已放弃写入")
