"""`xl-perf excel install` and `xl-perf excel doctor`: put the add-in and xlwings' configuration in place, and
diagnose the failures users commonly hit with xlwings (printed with fixes in Chinese)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from xl_perf.errors import BadInputError, Location, XlPerfError, describe_os_error
from xl_perf.excel import addin, project
from xl_perf.io import safe_write

PINNED_XLWINGS = "0.37.8"
ZONE_STREAM = "Zone.Identifier"
ASR_KEYS = (
    r"SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules",
    r"SOFTWARE\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules",
)
# The rules that stop xlwings: RunPython without the UDF server starts python.exe from Excel, and xlwings' VBA
# module calls its DLL through Declare statements (Win32 API calls from a macro).
ASR_RULES = {
    "d4f940ab-401b-4efc-aadc-ad5f3c50688a": "阻止所有 Office 应用程序创建子进程",
    "92e97fa1-2edf-4476-bdd6-9dd0b4dddc7b": "阻止从 Office 宏调用 Win32 API",
}
ASR_ACTIONS = {1: "阻止", 2: "审核", 6: "警告"}


@dataclass
class Environment:
    """What the checks look at; tests build one to simulate a Windows machine."""

    platform: str = sys.platform
    executable: str = sys.executable
    home: Path = field(default_factory=Path.home)
    prefix: str = sys.prefix
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def exists(self, path: Path) -> bool:
        return path.exists()

    def installed_version(self, package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    def importable(self, module: str) -> bool:
        import importlib.util

        return importlib.util.find_spec(module) is not None

    def code_page(self) -> str:
        """The encoding xlwings reads xlwings.conf with on this machine. VBA's `Open ... For Input` / `Input #` read
        the system ANSI code page (GetACP: cp936 on Chinese Windows); so does Python's open() without an encoding
        (xlwings.utils.read_user_config), unless Python runs in UTF-8 mode."""
        if self.platform.startswith("win"):
            import ctypes

            return f"cp{ctypes.windll.kernel32.GetACP()}"  # type: ignore[attr-defined]
        import locale

        return locale.getpreferredencoding(False)

    def python_utf8_mode(self) -> bool:
        return bool(sys.flags.utf8_mode)

    def read_bytes(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            return None

    def zone_of(self, path: Path) -> int | None:
        """The Zone.Identifier of a file (Mark of the Web: 3 = Internet, 4 = untrusted), None when it has none.
        The mark is an NTFS alternate data stream; other systems have none."""
        if not self.platform.startswith("win"):
            return None
        try:
            text = Path(f"{path}:{ZONE_STREAM}").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        for line in text.splitlines():
            if line.strip().lower().startswith("zoneid="):
                try:
                    return int(line.split("=", 1)[1].strip())
                except ValueError:
                    return 3
        return 3

    def remove_zone(self, path: Path) -> None:
        os.remove(f"{path}:{ZONE_STREAM}")

    def asr_rules(self) -> dict[str, int] | None:
        """Microsoft Defender attack-surface-reduction rules configured on this machine (rule id -> action), from the
        policy and local registry keys; None where they cannot be read (not Windows)."""
        if not self.platform.startswith("win"):
            return None
        import importlib

        # Imported by name: the module exists only on Windows, and type checkers elsewhere know none of its names.
        winreg: Any = importlib.import_module("winreg")

        rules: dict[str, int] = {}
        for key in ASR_KEYS:
            try:
                handle = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key)
            except OSError:
                continue
            with handle:
                index = 0
                while True:
                    try:
                        name, value, _ = winreg.EnumValue(handle, index)
                    except OSError:
                        break
                    index += 1
                    try:
                        rules[name.lower()] = int(value)
                    except (TypeError, ValueError):
                        continue
        return rules


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: this machine cannot tell (not a failure)
    detail: str
    fix: str = ""


def user_config(env: Environment) -> Path:
    return env.home / ".xlwings" / "xlwings.conf"


def addin_folder(env: Environment) -> Path:
    appdata = env.env.get("APPDATA")
    base = Path(appdata) if appdata else env.home / "AppData" / "Roaming"
    return base / "Microsoft" / "AddIns"


def decode_config(data: bytes, code_page: str) -> str:
    """xlwings.conf as xlwings reads it on this machine: in the system code page."""
    return data.decode(code_page, errors="replace")


def _existing_config(data: bytes, code_page: str) -> str:
    """An existing xlwings.conf, to keep the user's other settings: written by xlwings or by hand in the code page,
    or as UTF-8 by an older xl-perf (valid UTF-8 with non-ASCII text is almost never GBK text)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(code_page, errors="replace")


def _config_value(text: str, key: str) -> str | None:
    for line in text.splitlines():
        if "," in line:
            name, value = line.split(",", 1)
            if name.strip().strip('"').upper() == key.upper():
                return value.strip().strip('"')
    return None


def _encodable(text: str, code_page: str) -> bool:
    try:
        text.encode(code_page)
    except UnicodeEncodeError:
        return False
    return True


def _utf8_or_none(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if text.isascii() else text


def doctor(env: Environment | None = None, workbooks: tuple[Path, ...] = ()) -> list[Check]:
    """Every check, in the order they are printed: the system, Python and xlwings, Windows' own pieces, xlwings'
    configuration, the Store alias, Defender's rules, then the mark of the web of each of `workbooks`."""
    env = env or Environment()
    windows = env.platform.startswith("win")
    checks: list[Check] = [
        Check(
            "操作系统",
            windows,
            env.platform,
            "Excel 中的 Python 函数和按钮需要 Windows 版 Excel；其他系统可使用 xl-perf 命令和 .xlsx 模板（原生公式）",
        )
    ]
    version = env.installed_version("xlwings")
    code_page = env.code_page()
    checks += _python_checks(env, version)
    checks.append(_home_check(env, code_page))
    if windows:
        checks += _windows_checks(env, version)
    config_checks, interpreter = _config_checks(env, code_page, windows)
    checks += config_checks
    if windows:
        checks.append(_store_alias_check(env, interpreter))
    checks.append(_asr_check(env))
    checks += [_web_mark_check(env, workbook, windows) for workbook in workbooks]
    return checks


def _python_checks(env: Environment, version: str | None) -> list[Check]:
    """xlwings (the pinned version, the same in the workbooks' VBA) and the Python Excel will start."""
    checks: list[Check] = []
    checks.append(
        Check(
            "xlwings 版本",
            version == PINNED_XLWINGS,
            f"已安装 {version or '无'}，xl-perf 需要 {PINNED_XLWINGS}",
            f"运行：pip install xlwings=={PINNED_XLWINGS}",
        )
    )
    embedded = project.embedded_xlwings_version(project.xlwings_source("xlwings.bas")) if version else None
    checks.append(
        Check(
            "工作簿内嵌 VBA 与 xlwings 一致",
            embedded == version,
            f"内嵌 VBA 为 {embedded or '无'}，已安装 {version or '无'}",
            "版本不一致时 Excel 会报“Object required”或找不到 xlwings DLL："
            "重新运行 xl-perf excel install，并用 xl-perf new --macro 重新生成模板",
        )
    )
    store_python = "WindowsApps" in env.executable
    checks.append(
        Check(
            "Python 来源",
            not store_python,
            env.executable,
            "微软商店版 Python 无法被 Excel 调用（“Could not activate Python COM server”）："
            "请从 python.org 安装 Python 后重装 xl-perf",
        )
    )
    checks.append(
        Check(
            "Python 路径无中文",
            env.executable.isascii(),
            env.executable,
            "Python 安装在含中文或特殊字符的文件夹时 xlwings 可能找不到解释器："
            "请安装到如 C:\\Python311 这样的纯英文路径",
        )
    )
    return checks


def _home_check(env: Environment, code_page: str) -> Check:
    """The user folder must be expressible in the code page xlwings reads its configuration with."""
    return Check(
        "用户文件夹路径可用",
        _encodable(str(env.home), code_page),
        f"{env.home}（本机代码页 {code_page}）",
        f"用户文件夹的名称含有代码页 {code_page} 无法表示的字符，xlwings 读配置时会读成乱码："
        "请把 Python 安装到纯英文路径（如 C:\\Python311），在该 Python 中运行 xl-perf excel install，"
        "并把工作簿放在纯英文路径",
    )


def _windows_checks(env: Environment, version: str | None) -> list[Check]:
    """pywin32, xlwings' DLL and the kind of Office (Windows only)."""
    checks: list[Check] = []
    checks.append(
        Check(
            "pywin32",
            env.importable("win32com"),
            "Excel 与 Python 通信需要 pywin32",
            "运行：pip install pywin32，然后 python -m pywin32_postinstall -install",
        )
    )
    dll = Path(env.prefix) / f"xlwings64-{version}.dll"
    checks.append(
        Check(
            "xlwings DLL",
            env.exists(dll),
            str(dll),
            f"运行：pip install --force-reinstall xlwings=={PINNED_XLWINGS}",
        )
    )
    office_store = env.exists(Path(env.env.get("ProgramFiles", "C:\\Program Files")) / "WindowsApps")
    checks.append(
        Check(
            "Office 版本",
            True,
            "如 Office 来自微软商店，加载项和 VBA 调用 Python 可能受限"
            if office_store
            else "未发现商店版 Office 的迹象",
        )
    )
    return checks


def _config_checks(env: Environment, code_page: str, windows: bool) -> tuple[list[Check], str | None]:
    """xlwings.conf: readable in the code page, its interpreter present, Python's UTF-8 mode not in the way; and
    the interpreter it names (None when there is none)."""
    checks: list[Check] = []
    config = user_config(env)
    data = env.read_bytes(config) if env.exists(config) else None
    if data is not None:
        text = decode_config(data, code_page)
        interpreter = _config_value(text, "INTERPRETER_WIN")
        as_utf8 = _utf8_or_none(data)
        garbled = as_utf8 is not None and as_utf8 != text
        checks.append(
            Check(
                "xlwings 配置编码",
                not garbled,
                f"{config} 按本机代码页 {code_page} 读取"
                + (f"，解释器路径读成了乱码：{interpreter}" if garbled and interpreter else ""),
                f"该文件以 UTF-8 保存，而 Excel 中的 xlwings 按 {code_page} 读取：运行 xl-perf excel install 重写配置",
            )
        )
        valid = interpreter is None or env.exists(Path(interpreter))
        checks.append(
            Check(
                "xlwings 配置",
                valid,
                f"{config}：INTERPRETER_WIN = {interpreter or '（未设置，使用默认 Python）'}",
                "解释器路径不存在：运行 xl-perf excel install 重写配置",
            )
        )
        if env.python_utf8_mode() and not text.isascii() and code_page.lower().replace("-", "") != "utf8":
            checks.append(
                Check(
                    "Python UTF-8 模式",
                    False,
                    f"Python 以 UTF-8 模式运行，而配置文件按 {code_page} 保存",
                    "取消环境变量 PYTHONUTF8（或设为 0），否则 xlwings 的 Python 端读配置会出错",
                )
            )
    else:
        interpreter = None
        checks.append(Check("xlwings 配置", not windows, f"{config} 不存在", "运行 xl-perf excel install"))
    return checks, interpreter


def _store_alias_check(env: Environment, interpreter: str | None) -> Check:
    """The Microsoft Store's python.exe alias, which Excel may start instead of the real Python (Windows only)."""
    local = env.env.get("LOCALAPPDATA")
    alias = (Path(local) if local else env.home / "AppData" / "Local") / "Microsoft" / "WindowsApps" / "python.exe"
    uses_alias = (interpreter is None and env.exists(alias)) or "WindowsApps" in (interpreter or "")
    return Check(
        "微软商店 Python 别名",
        not uses_alias,
        f"{alias}（应用执行别名）" if uses_alias else "Excel 不会调用商店版 Python 的别名",
        "Excel 可能调用到这个别名而不是真正的 Python：运行 xl-perf excel install 写入 INTERPRETER_WIN，"
        "并在 设置 → 应用 → 高级应用设置 → 应用执行别名 中关闭 python.exe 和 python3.exe",
    )


def _asr_check(env: Environment) -> Check:
    """Defender's attack-surface-reduction rules that stop Excel calling Python."""
    rules = env.asr_rules()
    if rules is None:
        return Check("Defender 攻击面减少规则", None, "本系统无法检查（只在 Windows 上读取注册表）")
    active = [
        f"{ASR_RULES[rule]}（{ASR_ACTIONS.get(action, action)}）"
        for rule, action in sorted(rules.items())
        if rule in ASR_RULES and action in (1, 6)
    ]
    return Check(
        "Defender 攻击面减少规则",
        not active,
        "；".join(active) if active else "未发现会阻止 xlwings 的规则",
        "这些规则会阻止 Excel 调用 Python：请单位信息管理员为 Excel 排除这些规则，"
        "或把 xl-perf 所用的 Python 加入例外；在此之前请使用 xl-perf 命令行和 .xlsx 模板",
    )


def _web_mark_check(env: Environment, workbook: Path, windows: bool) -> Check:
    """A workbook's mark of the web, with which Office disables its macros without offering to enable them."""
    name = f"文件来源标记：{workbook.name}"
    if not workbook.is_file():  # a mistyped name must not read as "no mark"
        return Check(name, False, f"找不到该文件：{workbook}", "检查文件名和路径后重试")
    if not windows:
        return Check(name, None, "本系统无法检查（该标记是 Windows NTFS 文件的附加数据流）")
    zone = env.zone_of(workbook)
    unmarked = zone is None or zone < 3
    return Check(
        name,
        unmarked,
        "无“来自网络”标记"
        if unmarked
        else f"带有“来自网络”标记（Zone {zone}），Office 会直接禁用其中的宏且不显示“启用内容”",
        f'运行 xl-perf excel unblock "{workbook}"，或 右键该文件 → 属性 → 勾选“解除锁定” → 确定',
    )


def install(env: Environment | None = None, folder: Path | None = None) -> list[Path]:
    """Write the add-in and the user's xlwings configuration. On Windows the add-in goes to Excel's AddIns folder."""
    env = env or Environment()
    target_folder = folder or addin_folder(env)
    config = user_config(env) if folder is None else folder / "xlwings.conf"
    code_page = env.code_page()
    try:
        target_folder.mkdir(parents=True, exist_ok=True)
        config.parent.mkdir(parents=True, exist_ok=True)
        existing = _existing_config(config.read_bytes(), code_page) if config.is_file() else ""
    except OSError as exc:
        raise XlPerfError(f"无法使用文件夹 {target_folder}：{describe_os_error(exc)}") from None
    ours = {"INTERPRETER_WIN": env.executable, "UDF MODULES": "xl_perf.excel.udfs", "USE UDF SERVER": "True"}
    # Keep the user's other settings; replace only the keys xl-perf needs.
    kept = [
        line
        for line in existing.splitlines()
        if line.strip() and line.split(",", 1)[0].strip().strip('"').upper() not in ours
    ]
    lines = kept + [f'"{key}","{value}"' for key, value in ours.items()]
    # CRLF: VBA's Line Input / Input # end a line at CR, not at a bare LF.
    data = _encode_config("\r\n".join(lines) + "\r\n", code_page, config)
    written = [addin.write_addin(target_folder / addin.FILE_NAME)]
    # foreign=True: the user's own configuration is replaced by itself plus xl-perf's keys (read and merged above).
    written.append(safe_write.write_bytes(config, data, foreign=True))
    return written


def _encode_config(text: str, code_page: str, config: Path) -> bytes:
    """The configuration in the code page xlwings reads it with; a character that code page lacks is refused with a
    fix, instead of a path that reads back garbled ("Could not find Interpreter")."""
    try:
        return text.encode(code_page)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        line = next((line for line in text.splitlines() if bad in line), "")
        raise XlPerfError(
            f"无法写入 {config}：xlwings 按本机系统代码页 {code_page} 读取该文件，"
            f"而其中的“{bad}”（{line}）无法用该代码页表示，写进去 Excel 会读成乱码而找不到 Python。"
            "修复：把 Python 安装到纯英文路径（如 C:\\Python311），在该 Python 中重装 xl-perf 后重试；"
            "或在 设置 → 时间和语言 → 语言和区域 → 管理语言设置 → 更改系统区域设置 中"
            "选择能表示该字符的区域（如“中文(简体，中国)”），重启电脑后重试"
        ) from None


def unblock(path: Path, env: Environment | None = None) -> bool:
    """Remove a workbook's Mark of the Web (what 属性 → 解除锁定 does), so Office lets its macros be enabled.
    True if the file had the mark."""
    env = env or Environment()
    if not path.is_file():
        raise BadInputError("找不到该文件", Location(file=str(path)))
    if env.zone_of(path) is None:
        return False
    try:
        env.remove_zone(path)
    except OSError as exc:
        raise BadInputError(f"无法解除锁定：{describe_os_error(exc)}", Location(file=str(path))) from None
    return True
