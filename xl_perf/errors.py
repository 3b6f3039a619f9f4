"""Typed errors. Every error the user can cause carries a Chinese message and, where known, its location."""

from __future__ import annotations

import json
from dataclasses import dataclass


def quoted(value: object) -> str:
    """A value as a Chinese message shows it: text in Chinese quotes (“省”), anything else as the JSON the user
    wrote it (150, true, null, ["a"]); never Python's repr ('省', True, None)."""
    if isinstance(value, str):
        return f"“{value}”"
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = str(value)
    return shown if len(shown) <= 60 else shown[:57] + "…"


@dataclass(frozen=True)
class Location:
    """Where something is: a file, and inside it a sheet and cell, or a key path of a data document."""

    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        if self.key:
            parts.append(self.key)
        return " ".join(parts) if parts else "（未知位置）"

    def as_dict(self) -> dict[str, str]:
        return {
            k: v for k, v in (("file", self.file), ("sheet", self.sheet), ("cell", self.cell), ("key", self.key)) if v
        }


class XlPerfError(Exception):
    """Base of all errors xl-perf raises on purpose. `message` is Chinese and shown to the user as is."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}：{self.message}"
        return self.message


class BadInputError(XlPerfError):
    """The user's input (data document, workbook, option) cannot be used."""


class RulePackError(XlPerfError):
    """A rule pack is malformed. This is a defect of xl-perf or of a user-supplied pack, never of a workbook."""


_ERRNO_REASONS = {
    "ENOSPC": "磁盘空间不足，请清理磁盘后重试",
    "EDQUOT": "超出磁盘配额，请清理后重试",
    "EROFS": "所在磁盘为只读，无法写入",
    "EACCES": "没有访问权限",
    "EPERM": "没有访问权限",
    "ENAMETOOLONG": "文件名或路径过长",
    "ELOOP": "符号链接层数过多（可能是循环链接）",
    "EMFILE": "打开的文件过多",
    "ENFILE": "打开的文件过多",
    "EIO": "磁盘读写错误",
    "ENOTDIR": "路径中的某一级不是文件夹",
    "EISDIR": "这是文件夹，不是文件",
    "EBUSY": "文件正被其他程序占用",
    "ETXTBSY": "文件正被其他程序占用",
    "EXDEV": "不能跨磁盘移动文件",
    "ENXIO": "设备不可用",
}


def describe_os_error(exc: OSError) -> str:
    """A Chinese reason for the common file-system failures (strerror is English on most systems)."""
    import errno

    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, IsADirectoryError):
        return "这是文件夹，不是文件"
    if isinstance(exc, PermissionError):
        return "没有访问权限"
    name = errno.errorcode.get(exc.errno or -1, "")
    if name in _ERRNO_REASONS:
        return _ERRNO_REASONS[name]
    if getattr(exc, "winerror", None) in (32, 33):  # sharing or lock violation
        return "文件正被其他程序（如 Excel、WPS）占用"
    if getattr(exc, "winerror", None) == 112:
        return _ERRNO_REASONS["ENOSPC"]
    return f"系统错误：{exc.strerror or exc}"
