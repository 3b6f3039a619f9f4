"""The .xlam add-in: a 绩效自评 ribbon tab (校验 / 导出 / 新建模板) acting on the active workbook, so the workbooks
people submit can stay plain .xlsx."""

from __future__ import annotations

from pathlib import Path

from xl_perf.excel import project
from xl_perf.io import safe_write, xlam

CONFIG = project.XLWINGS_CONFIG
FILE_NAME = "xl-perf.xlam"


def _package() -> bytes:
    note = "绩效自评助手加载项：功能区“绩效自评”选项卡对当前活动工作簿执行校验、导出和新建模板。"
    return xlam.addin_package(project.vba_project(("Sheet1", "Sheet2"), addin=True), CONFIG, note)


def write_addin(target: Path) -> Path:
    data = xlam.to_addin(_package(), xlam.RIBBON)
    # foreign=True: an add-in of this name in Excel's add-in folder is an earlier install of xl-perf's own.
    with safe_write.atomic_output(target, verify=xlam.verify_addin, foreign=True) as temp:
        temp.write_bytes(data)
    return target
