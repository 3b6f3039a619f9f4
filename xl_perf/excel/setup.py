"""`xl-perf excel install` and `xl-perf excel doctor`: put the add-in and xlwings' configuration in place, and
diagnose the failures users commonly hit with xlwings (printed with fixes in Chinese)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from xl_perf.errors import XlPerfError, describe_os_error
from xl_perf.excel import addin, project
from xl_perf.io import safe_write

PINNED_XLWINGS = "0.37.8"


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


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def user_config(env: Environment) -> Path:
    return env.home / ".xlwings" / "xlwings.conf"


def addin_folder(env: Environment) -> Path:
    appdata = env.env.get("APPDATA")
    base = Path(appdata) if appdata else env.home / "AppData" / "Roaming"
    return base / "Microsoft" / "AddIns"


def _config_value(text: str, key: str) -> str | None:
    for line in text.splitlines():
        if "," in line:
            name, value = line.split(",", 1)
            if name.strip().strip('"').upper() == key.upper():
                return value.strip().strip('"')
    return None


def doctor(env: Environment | None = None) -> list[Check]:
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
    checks.append(
        Check(
            "用户文件夹无中文",
            str(env.home).isascii(),
            str(env.home),
            "Windows 用户名为中文时，可在 xlwings.conf 中设置 INTERPRETER_WIN 为纯英文路径下的 Python，"
            "并把工作簿放在纯英文路径",
        )
    )
    if windows:
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
    config = user_config(env)
    if env.exists(config):
        text = config.read_text(encoding="utf-8", errors="replace")
        interpreter = _config_value(text, "INTERPRETER_WIN")
        valid = interpreter is None or env.exists(Path(interpreter))
        checks.append(
            Check(
                "xlwings 配置",
                valid,
                f"{config}：INTERPRETER_WIN = {interpreter or '（未设置，使用默认 Python）'}",
                "解释器路径不存在：运行 xl-perf excel install 重写配置",
            )
        )
    else:
        checks.append(Check("xlwings 配置", not windows, f"{config} 不存在", "运行 xl-perf excel install"))
    return checks


def install(env: Environment | None = None, folder: Path | None = None) -> list[Path]:
    """Write the add-in and the user's xlwings configuration. On Windows the add-in goes to Excel's AddIns folder."""
    env = env or Environment()
    target_folder = folder or addin_folder(env)
    config = user_config(env) if folder is None else folder / "xlwings.conf"
    try:
        target_folder.mkdir(parents=True, exist_ok=True)
        config.parent.mkdir(parents=True, exist_ok=True)
        existing = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else ""
    except OSError as exc:
        raise XlPerfError(f"无法使用文件夹 {target_folder}：{describe_os_error(exc)}") from None
    written = [addin.write_addin(target_folder / addin.FILE_NAME)]
    ours = {"INTERPRETER_WIN": env.executable, "UDF MODULES": "xl_perf.excel.udfs", "USE UDF SERVER": "False"}
    # Keep the user's other settings; replace only the keys xl-perf needs.
    kept = [
        line
        for line in existing.splitlines()
        if line.strip() and line.split(",", 1)[0].strip().strip('"').upper() not in ours
    ]
    lines = kept + [f'"{key}","{value}"' for key, value in ours.items()]
    # foreign=True: the user's own configuration is replaced by itself plus xl-perf's keys (read and merged above).
    written.append(safe_write.write_text(config, "\n".join(lines) + "\n", encoding="utf-8", foreign=True))
    return written
