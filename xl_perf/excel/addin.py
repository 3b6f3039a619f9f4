"""The .xlam add-in: a 绩效自评 ribbon tab (校验 / 导出 / 新建模板) acting on the active workbook, so the workbooks
people submit can stay plain .xlsx."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter

from xl_perf.errors import XlPerfError
from xl_perf.excel import project
from xl_perf.excel.udfs import MODULE
from xl_perf.io import safe_write, xlam

CONFIG = (("UDF Modules", MODULE), ("Use UDF Server", "False"), ("Show Console", "False"))
FILE_NAME = "xl-perf.xlam"


def _package() -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "addin.xlsm"
        book = xlsxwriter.Workbook(str(path))
        info = book.add_worksheet("说明")
        info.write_string(0, 0, "绩效自评助手加载项：功能区“绩效自评”选项卡对当前活动工作簿执行校验、导出和新建模板。")
        info.set_vba_name("Sheet1")
        config = book.add_worksheet("xlwings.conf")
        for row, (key, value) in enumerate(CONFIG):
            config.write_string(row, 0, key)
            config.write_string(row, 1, value)
        config.set_vba_name("Sheet2")
        book.set_vba_name("ThisWorkbook")
        book.add_vba_project(io.BytesIO(project.vba_project(("Sheet1", "Sheet2"), addin=True)), is_stream=True)
        book.close()
        return path.read_bytes()


def _verify(path: Path) -> None:
    with zipfile.ZipFile(path) as package:
        types = package.read("[Content_Types].xml").decode("utf-8")
        if xlam.ADDIN_TYPE not in types or xlam.UI_PART not in package.namelist():
            raise XlPerfError("生成的加载项不完整，已放弃写入")
        if not package.read("xl/vbaProject.bin"):
            raise XlPerfError("生成的加载项缺少 VBA 工程，已放弃写入")


def write_addin(target: Path) -> Path:
    data = xlam.to_addin(_package(), xlam.RIBBON)
    with safe_write.atomic_output(target, verify=_verify) as temp:
        temp.write_bytes(data)
    return target
