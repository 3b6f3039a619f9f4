"""The VBA project embedded in .xlsm templates and the .xlam add-in.

Modules: ThisWorkbook (no event handler: nothing runs when the workbook opens) and one document module per sheet
code name, the button (or ribbon) module from vba_shim/, the function-description registration (run by the
buttons), the UDF wrappers, and xlwings' standalone `xlwings` module and `Dictionary` class read from the installed
xlwings package, so the embedded VBA always matches the installed xlwings version.
Built once per process and shape, then reused: generating many workbooks does not rebuild it.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from xl_perf.errors import XlPerfError
from xl_perf.excel import wrappers
from xl_perf.io.vba_project import Module, build
from xl_perf.io.xlsx_writer import MacroParts

if TYPE_CHECKING:
    from xl_perf.template.generate import MacroVariant
    from xl_perf.template.layout import Layout

SHIM_FOLDER = Path(__file__).resolve().parents[2] / "vba_shim"

# xlwings' settings carried in the workbook's (or add-in's) xlwings.conf sheet.
# USE UDF SERVER: RunPython (the buttons) runs in the Python COM server that the UDFs use anyway, instead of
# starting a fresh python.exe per click: no interpreter start and import of xl-perf for every 校验 (seconds on an
# office PC whose antivirus scans each extension module), and no child process of Excel, which Defender's rule
# "Block all Office applications from creating child processes" would kill (the COM server is started by Windows'
# COM service, not by Excel). The cost: the actions share the UDFs' process, so after updating xl-perf the server
# must be restarted (close Excel, or the xlwings add-in's "Restart UDF Server").
XLWINGS_CONFIG = (("UDF Modules", "xl_perf.excel.udfs"), ("Use UDF Server", "True"), ("Show Console", "False"))
_VERSION = re.compile(r"^'Version: (\S+)", re.MULTILINE)


def _strip_header(text: str) -> str:
    """Drop the export header (VERSION/BEGIN..END and the leading Attribute VB_ lines); the writer adds its own."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("VERSION "):
        end = lines.index("END")
        lines = lines[end + 1 :]
    while lines and lines[0].startswith("Attribute VB_"):
        lines.pop(0)
    return "\n".join(lines)


def shim_source(name: str) -> str:
    """A module of vba_shim/ (installed as package data under xl_perf/vba_shim when not running from a checkout)."""
    path = SHIM_FOLDER / name
    if path.exists():
        return _strip_header(path.read_text(encoding="utf-8"))
    try:
        return _strip_header((resources.files("xl_perf") / "vba_shim" / name).read_text(encoding="utf-8"))
    except (FileNotFoundError, ModuleNotFoundError):
        raise XlPerfError(f"找不到 VBA 源文件 {name}（vba_shim 目录）") from None


def xlwings_source(relative: str) -> str:
    """A file shipped inside the xlwings package, found without importing xlwings (which imports pandas and numpy,
    about 300 ms and 45 MiB, for a file name)."""
    import importlib.util

    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise XlPerfError("未安装 xlwings，无法生成带宏的工作簿。请安装：pip install xlwings")
    return (Path(spec.origin).parent / relative).read_text(encoding="utf-8")


def embedded_xlwings_version(source: str) -> str | None:
    match = _VERSION.search(source)
    return match.group(1) if match else None


def modules(sheet_code_names: tuple[str, ...], addin: bool) -> list[Module]:
    xlwings_module = xlwings_source("xlwings.bas")
    result = [Module("ThisWorkbook", "document", shim_source("ThisWorkbook.cls"))]
    result += [Module(name, "document", "Option Explicit\n") for name in sheet_code_names]
    result += [
        Module("XlPerfButtons", "standard", shim_source("XlPerfButtons.bas")),
        Module("XlPerfFunctions", "standard", "Option Explicit\n\n" + wrappers.register_functions_vba()),
        Module("xlwings_udfs", "standard", _strip_header(wrappers.udf_module(addin=addin))),
        Module("xlwings", "standard", _strip_header(xlwings_module)),
        Module("Dictionary", "class", _strip_header(xlwings_source("addin/Dictionary.cls"))),
    ]
    if addin:
        result.append(Module("XlPerfRibbon", "standard", shim_source("XlPerfRibbon.bas")))
    return result


@cache
def vba_project(sheet_code_names: tuple[str, ...], addin: bool = False) -> bytes:
    return build(modules(sheet_code_names, addin), project_name="XlPerf")


# The form buttons of the .xlsm variant: (macro, caption), placed on every visible sheet.
BUTTONS = (("XlPerfValidateAndExport", "校验并导出"), ("XlPerfValidate", "校验"), ("XlPerfExport", "导出"))


def macro_parts(plan: Layout) -> MacroParts:
    """The VBA project, buttons and xlwings configuration of the .xlsm variant of `plan`."""
    code_names = tuple(f"Sheet{i}" for i in range(1, len(plan.sheets) + 3))
    return MacroParts(vba_project(code_names), BUTTONS, XLWINGS_CONFIG)


def macro_variant() -> MacroVariant:
    """The .xlsm variant for `template.generate.write_workbook`: UDF formulas and this project's macro parts."""
    from xl_perf.excel.formulas import UdfFormulas
    from xl_perf.template.generate import MacroVariant

    return MacroVariant(UdfFormulas, macro_parts)
