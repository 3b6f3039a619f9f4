"""excel install / doctor, the add-in package, and the VBA modules embedded in .xlsm templates."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import VBA_Parser

from tests.conftest import SAMPLES, sample_data
from tests.test_cli import run
from xl_perf.errors import XlPerfError
from xl_perf.excel import addin, project, setup
from xl_perf.excel.project import macro_variant
from xl_perf.io import xlam
from xl_perf.model import document
from xl_perf.template import generate, sources


class FakeWindows(setup.Environment):
    def __init__(self, tmp: Path, **kw: object) -> None:
        super().__init__(
            platform="win32",
            executable=str(kw.get("executable", "C:\\Python311\\python.exe")),
            home=Path(str(kw.get("home", tmp / "home"))),
            prefix="C:\\Python311",
            env={"APPDATA": str(tmp / "appdata")},
        )
        self.files = set(kw.get("files", ()))  # type: ignore[arg-type]
        self.version = kw.get("version", setup.PINNED_XLWINGS)
        self.pywin32 = kw.get("pywin32", True)
        self.page = str(kw.get("code_page", "cp936"))
        self.rules = kw.get("asr", {})
        self.zones = dict(kw.get("zones", {}))  # type: ignore[call-overload]

    def exists(self, path: Path) -> bool:
        return str(path) in self.files or (path.is_absolute() and path.exists())

    def installed_version(self, package: str) -> str | None:
        return self.version  # type: ignore[return-value]

    def importable(self, module: str) -> bool:
        return bool(self.pywin32)

    def code_page(self) -> str:
        return self.page

    def python_utf8_mode(self) -> bool:
        return False

    def asr_rules(self) -> dict[str, int] | None:
        return self.rules  # type: ignore[return-value]

    def zone_of(self, path: Path) -> int | None:
        return self.zones.get(str(path))


def _by_name(checks: list[setup.Check]) -> dict[str, setup.Check]:
    return {c.name: c for c in checks}


def test_doctor_on_a_good_windows_machine(tmp_path: Path) -> None:
    env = FakeWindows(tmp_path, files={f"C:\\Python311/xlwings64-{setup.PINNED_XLWINGS}.dll"})
    checks = _by_name(setup.doctor(env))
    assert checks["xlwings 版本"].ok and checks["工作簿内嵌 VBA 与 xlwings 一致"].ok
    assert checks["Python 来源"].ok and checks["pywin32"].ok
    assert not checks["xlwings 配置"].ok and "xl-perf excel install" in checks["xlwings 配置"].fix


@pytest.mark.parametrize(
    ("kw", "failing", "fix"),
    [
        ({"version": "0.37.7"}, "xlwings 版本", "pip install xlwings==0.37.8"),
        (
            {"executable": "C:\\Users\\a\\AppData\\Local\\Microsoft\\WindowsApps\\python.exe"},
            "Python 来源",
            "python.org",
        ),
        ({"executable": "C:\\用户\\python.exe"}, "Python 路径无中文", "纯英文路径"),
        ({"home": "C:\\Users\\张三", "code_page": "cp1252"}, "用户文件夹路径可用", "纯英文路径"),
        ({"pywin32": False}, "pywin32", "pip install pywin32"),
    ],
)
def test_doctor_finds_the_common_failures(tmp_path: Path, kw: dict, failing: str, fix: str) -> None:
    checks = _by_name(setup.doctor(FakeWindows(tmp_path, **kw)))
    assert not checks[failing].ok and fix in checks[failing].fix


def test_doctor_sees_a_broken_interpreter_path(tmp_path: Path) -> None:
    env = FakeWindows(tmp_path)
    config = setup.user_config(env)
    config.parent.mkdir(parents=True)
    config.write_text('"INTERPRETER_WIN","C:\\nowhere\\python.exe"\n', encoding="utf-8")
    check = _by_name(setup.doctor(env))["xlwings 配置"]
    assert not check.ok and "xl-perf excel install" in check.fix


def test_install_writes_addin_and_config(tmp_path: Path) -> None:
    result = run("excel", "install", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "xlwings.conf").read_text(encoding="utf-8")
    assert '"UDF MODULES","xl_perf.excel.udfs"' in config and "INTERPRETER_WIN" in config
    with zipfile.ZipFile(tmp_path / addin.FILE_NAME) as package:
        assert xlam.ADDIN_TYPE in package.read("[Content_Types].xml").decode()
        ribbon = package.read(xlam.UI_PART).decode("utf-8")
        for label in ("绩效自评", "校验", "导出", "新建模板"):
            assert f'label="{label}"' in ribbon
        assert xlam.UI_RELATIONSHIP in package.read("_rels/.rels").decode()


def test_doctor_command_runs() -> None:
    result = run("excel", "doctor")
    assert result.returncode in (0, 1) and "xlwings 版本" in result.stdout and "Traceback" not in result.stderr


def _modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        # olevba names modules by their export file name: "ThisWorkbook.cls", "xlwings.bas".
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _normalise(code: str) -> str:
    lines = [line for line in code.replace("\r\n", "\n").split("\n") if not line.startswith("Attribute VB_")]
    return "\n".join(lines).strip("\n")


@pytest.mark.parametrize("kind", ["xlsm", "xlam"])
def test_every_module_reads_back_byte_identically(kind: str, tmp_path: Path) -> None:
    if kind == "xlsm":
        path = tmp_path / "t.xlsm"
        generate.write_workbook(
            document.from_dict(sample_data("ziyuan-2023-zhengti.json")), path, macro=macro_variant()
        )
        sheets = 3  # one visible sheet, _xlperf, xlwings.conf
        expected = project.modules(tuple(f"Sheet{i}" for i in range(1, sheets + 1)), addin=False)
    else:
        path = addin.write_addin(tmp_path / addin.FILE_NAME)
        expected = project.modules(("Sheet1", "Sheet2"), addin=True)
    found = _modules(path)
    for module in expected:
        assert module.name in found, module.name
        assert _normalise(found[module.name]) == _normalise(module.source), module.name
    with zipfile.ZipFile(path) as package:
        data = package.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    assert ["VBA", "dir"] in ole.listdir() and ["PROJECT"] in ole.listdir()
    ole.close()


def test_embedded_xlwings_matches_the_installed_one() -> None:
    import xlwings

    modules = {m.name: m for m in project.modules(("Sheet1",), addin=False)}
    assert project.embedded_xlwings_version(modules["xlwings"].source) == xlwings.__version__ == setup.PINNED_XLWINGS
    assert f"xlwings64-{xlwings.__version__}.dll" in modules["xlwings"].source


def test_vba_project_is_built_once_per_shape() -> None:
    project.vba_project.cache_clear()
    first = project.vba_project(("Sheet1", "Sheet2", "Sheet3"))
    second = project.vba_project(("Sheet1", "Sheet2", "Sheet3"))
    assert first is second and project.vba_project.cache_info().hits == 1


def test_xlsm_template_has_buttons_udfs_and_config(tmp_path: Path) -> None:
    result = run(
        "new", "-f", "gd-county-zhengti", "-y", "2026", "-u", "测试镇", "--level", "镇", "--macro", "-o", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    path = next(tmp_path.glob("*.xlsm"))
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        assert "xl/vbaProject.bin" in names
        drawings = "".join(package.read(n).decode("utf-8") for n in names if n.startswith("xl/drawings/vmlDrawing"))
        for macro, caption in project.BUTTONS:
            assert f"[0]!{macro}" in drawings and caption in drawings
        sheets = "".join(package.read(n).decode("utf-8") for n in names if n.startswith("xl/worksheets/sheet"))
        rate = 'XP_RATE("gd-county-zhengti","fixed_asset_utilization",xp_fixed_assets_in_use,xp_fixed_assets_total)'
        assert rate in sheets
        assert "XP_SCORE(" in sheets
        workbook = package.read("xl/workbook.xml").decode("utf-8")
        assert 'name="xlwings.conf"' in workbook and 'state="hidden"' in workbook
    data = sources.dump(path)
    assert data["unit"] == "测试镇" and data["level"] == "镇"


def test_xlsm_of_a_sample_dumps_to_its_data(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsm"
    generate.write_workbook(document.load_path(SAMPLES / "gangmen-2022-zhengti.json"), path, macro=macro_variant())
    assert sources.dump(path) == document.to_dict(document.from_dict(sample_data("gangmen-2022-zhengti.json")))


# --- LibreOffice, a real VBA-compatible engine, on a generated .xlsm ------------------------------------------------

PROBE = """Sub Main
    Dim result As String
    On Error GoTo Failed
    Dim args(1) As New com.sun.star.beans.PropertyValue
    args(0).Name = "MacroExecutionMode"
    args(0).Value = 4
    args(1).Name = "Hidden"
    args(1).Value = True
    doc = StarDesktop.loadComponentFromURL(ConvertToURL(Environ("XL_PERF_XLSM")), "_blank", 0, args())
    sheet = doc.Sheets.getByName("_xlperf")
    sheet.getCellByPosition(5, 0).setFormula("=XP_VBA_VERSION()")
    ' The XP_ UDF wrappers call xlwings' DLL, which LibreOffice does not have: their errors must not stop the
    ' recalculation of the cell under test.
    On Error Resume Next
    doc.calculateAll()
    On Error GoTo Failed
    result = "F1=" & sheet.getCellByPosition(5, 0).String & ";" & sheet.getCellByPosition(5, 0).getError()
    doc.close(True)
    GoTo Done
Failed:
    result = "basic-error=" & Err & " " & Error$
Done:
    f = FreeFile
    Open Environ("XL_PERF_VBA_RESULT") For Output As #f
    Print #f, result
    Close #f
    StarDesktop.terminate()
End Sub
"""


@pytest.fixture(scope="module")
def generated_xlsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gen-xlsm") / "gangmen.xlsm"
    generate.write_workbook(document.load_path(SAMPLES / "gangmen-2022-zhengti.json"), path, macro=macro_variant())
    return path


def test_libreoffice_lists_the_modules_and_binds_the_buttons(generated_xlsm: Path, tmp_path: Path) -> None:
    import re

    from tests.conftest import require_tool
    from xl_perf.io.libreoffice import converter

    require_tool("soffice")
    (ods,) = converter().convert([generated_xlsm], "ods", tmp_path)
    with zipfile.ZipFile(ods) as package:
        names = set(package.namelist())
        for module in ("ThisWorkbook", "XlPerfButtons", "XlPerfFunctions", "xlwings_udfs", "xlwings", "Dictionary"):
            assert f"Basic/XlPerf/{module}.xml" in names, module  # the library is named after the VBA project
        buttons = package.read("Basic/XlPerf/XlPerfButtons.xml").decode()
        assert "绩效自评助手" in buttons  # Chinese comment decoded from GBK
        content = package.read("content.xml").decode()
    found = re.findall(
        r'form:label="([^"]+)".*?xlink:href="vnd\.sun\.star\.script:XlPerf\.XlPerfButtons\.(\w+)\?', content, re.S
    )
    assert ("校验并导出", "XlPerfValidateAndExport") in found and ("校验", "XlPerfValidate") in found


def test_libreoffice_runs_a_function_of_the_button_module(generated_xlsm: Path, tmp_path: Path) -> None:
    # LibreOffice imports the project and runs XP_VBA_VERSION from XlPerfButtons (compiled on its own). This says
    # nothing about Excel compiling the project: LibreOffice Basic cannot compile xlwings' modules at all.
    from tests.test_vba_project import run_probe

    assert run_probe(generated_xlsm, PROBE, tmp_path) == "F1=xl-perf-vba-1;0"


# --- xlwings.conf in the code page xlwings reads it with ------------------------------------------------------------

CHINESE_PYTHON = "C:\\Users\\张三\\AppData\\Local\\Programs\\Python\\Python311\\python.exe"


def _vba_input(data: bytes, code_page: str) -> list[tuple[str, str]]:
    """What xlwings' VBA GetConfigFromFile reads: `Open ... For Input` converts the bytes from the system ANSI code
    page, `Input #f, name, value` takes two quoted, comma-separated fields per record; records end at CR (CRLF)."""
    text = data.decode(code_page)
    records = []
    for line in text.split("\r"):
        line = line.lstrip("\n")
        if not line:
            continue
        fields = re.findall(r'"([^"]*)"', line)
        assert len(fields) == 2 and "\n" not in line, line  # a bare LF would run two records together
        records.append((fields[0], fields[1]))
    return records


def _python_read(config: Path, code_page: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """xlwings' own Python reader (xlwings.utils.read_user_config), whose open() without an encoding uses the ANSI
    code page on Windows."""
    import functools
    import io

    import xlwings
    import xlwings.utils

    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(config))
    monkeypatch.setattr(xlwings.utils, "open", functools.partial(io.open, encoding=code_page), raising=False)
    return xlwings.utils.read_user_config()


def test_install_for_a_chinese_user_writes_a_config_xlwings_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = FakeWindows(tmp_path, executable=CHINESE_PYTHON, home=tmp_path / "张三", code_page="cp936")
    written = setup.install(env)
    config = setup.user_config(env)
    assert config in written and (tmp_path / "appdata" / "Microsoft" / "AddIns" / addin.FILE_NAME).is_file()
    data = config.read_bytes()
    assert "张三".encode("gbk") in data and "张三".encode() not in data
    assert dict(_vba_input(data, "cp936"))["INTERPRETER_WIN"] == CHINESE_PYTHON
    python_side = _python_read(config, "cp936", monkeypatch)
    assert python_side["interpreter_win"] == CHINESE_PYTHON and python_side["use udf server"] == "True"
    checks = _by_name(setup.doctor(env))
    assert checks["xlwings 配置编码"].ok and checks["用户文件夹路径可用"].ok


def test_install_keeps_the_users_settings_and_rewrites_an_old_utf8_config(tmp_path: Path) -> None:
    env = FakeWindows(tmp_path, executable=CHINESE_PYTHON, home=tmp_path / "home", code_page="cp936")
    config = setup.user_config(env)
    config.parent.mkdir(parents=True)
    config.write_bytes(f'"INTERPRETER_WIN","{CHINESE_PYTHON}"\n"LICENSE_KEY","键-1"\n'.encode())
    assert not _by_name(setup.doctor(env))["xlwings 配置编码"].ok  # the garbled path of the old UTF-8 file
    assert "xl-perf excel install" in _by_name(setup.doctor(env))["xlwings 配置编码"].fix
    setup.install(env)
    records = dict(_vba_input(config.read_bytes(), "cp936"))
    assert records["LICENSE_KEY"] == "键-1" and records["INTERPRETER_WIN"] == CHINESE_PYTHON
    assert _by_name(setup.doctor(env))["xlwings 配置编码"].ok


def test_a_path_the_code_page_cannot_hold_is_refused_with_a_fix(tmp_path: Path) -> None:
    env = FakeWindows(tmp_path, executable=CHINESE_PYTHON, home=tmp_path / "home", code_page="cp1252")
    with pytest.raises(XlPerfError) as raised:
        setup.install(env)
    message = raised.value.message
    assert "cp1252" in message and "“张三”" in message and "纯英文路径" in message and "系统区域设置" in message
    assert not setup.user_config(env).exists()


def test_install_cli_with_a_chinese_folder(tmp_path: Path) -> None:
    folder = tmp_path / "张三的文件夹"
    result = run("excel", "install", "--dir", str(folder))
    assert result.returncode == 0, result.stderr
    assert (folder / "xlwings.conf").read_bytes().endswith(b'"USE UDF SERVER","True"\r\n')


@pytest.mark.parametrize(
    ("kw", "failing", "fix"),
    [
        ({"asr": {"d4f940ab-401b-4efc-aadc-ad5f3c50688a": 1}}, "Defender 攻击面减少规则", "信息管理员"),
        ({"asr": {"92e97fa1-2edf-4476-bdd6-9dd0b4dddc7b": 6}}, "Defender 攻击面减少规则", "信息管理员"),
        (
            {"files": {"C:\\Users\\a\\AppData\\Local/Microsoft/WindowsApps/python.exe"}},
            "微软商店 Python 别名",
            "应用执行别名",
        ),
    ],
)
def test_doctor_finds_what_blocks_excel(tmp_path: Path, kw: dict, failing: str, fix: str) -> None:
    env = FakeWindows(tmp_path, **kw)
    env.env["LOCALAPPDATA"] = "C:\\Users\\a\\AppData\\Local"
    checks = _by_name(setup.doctor(env))
    assert not checks[failing].ok and fix in checks[failing].fix


def test_doctor_says_it_cannot_check_defender_off_windows() -> None:
    checks = _by_name(setup.doctor(setup.Environment(platform="linux")))
    assert checks["Defender 攻击面减少规则"].ok is None and "无法检查" in checks["Defender 攻击面减少规则"].detail
    assert not any(c.name == "微软商店 Python 别名" for c in checks.values())


def test_doctor_sees_the_mark_of_the_web_and_unblock_clears_it(tmp_path: Path) -> None:
    workbook = tmp_path / "下载的模板.xlsm"
    workbook.write_bytes(b"PK")

    class Marked(FakeWindows):
        def remove_zone(self, path: Path) -> None:
            del self.zones[str(path)]

    env = Marked(tmp_path, zones={str(workbook): 3})
    check = _by_name(setup.doctor(env, (workbook,)))[f"文件来源标记：{workbook.name}"]
    assert not check.ok and "Zone 3" in check.detail and "xl-perf excel unblock" in check.fix
    assert setup.unblock(workbook, env) is True
    assert _by_name(setup.doctor(env, (workbook,)))[f"文件来源标记：{workbook.name}"].ok
    assert setup.unblock(workbook, env) is False


def test_unblock_cli(tmp_path: Path) -> None:
    workbook = tmp_path / "模板.xlsm"
    workbook.write_bytes(b"PK")
    result = run("excel", "unblock", str(workbook))
    assert result.returncode == 0 and "没有“来自网络”标记" in result.stdout, result.stderr
    missing = run("excel", "unblock", str(tmp_path / "无.xlsm"))
    assert missing.returncode == 2 and "找不到该文件" in missing.stderr and "Traceback" not in missing.stderr


def test_doctor_does_not_pass_a_workbook_that_is_not_there(tmp_path: Path) -> None:
    missing = tmp_path / "打错的名字.xlsm"
    check = _by_name(setup.doctor(FakeWindows(tmp_path), (missing,)))[f"文件来源标记：{missing.name}"]
    assert check.ok is False and "找不到该文件" in check.detail
    result = run("excel", "doctor", str(missing))
    assert result.returncode == 1 and "找不到该文件" in result.stdout and "Traceback" not in result.stderr
