"""Refusals: a file was not written and nothing changed; the Chinese message says why and names the file."""

from __future__ import annotations

from pathlib import Path

from xl_perf.errors import Location, XlPerfError, describe_os_error


class WriteRefused(XlPerfError):
    """A file was not written, and nothing was changed. The message names the file, in Chinese."""

    exit_code = 2

    def __init__(self, message: str, target: Path | str | None = None) -> None:
        super().__init__(message, Location(file=str(target)) if target is not None else None)

    def __str__(self) -> str:
        # The message already names the file; do not repeat the location in front of it.
        return self.message


def link_refusal(shown: str) -> WriteRefused:
    return WriteRefused(
        f"无法保存 {shown}：该位置是一个符号链接（快捷方式），为免写到别处，不会通过它写入；"
        "请删除该链接或换一个输出位置",
        shown,
    )


def foreign_refusal(shown: str) -> WriteRefused:
    return WriteRefused(
        f"目标文件 {shown} 已存在，且不是本工具生成的（或生成后被修改过），为免覆盖他人数据未写入；"
        "请换一个输出位置，或确认可以覆盖后加 --overwrite 重试",
        shown,
    )


def os_refusal(exc: OSError, shown: str, action: str) -> WriteRefused:
    if isinstance(exc, PermissionError):
        reason = "没有写入权限，或文件正被其他程序（如 Excel、WPS）占用"
    else:
        reason = describe_os_error(exc)
    return WriteRefused(f"无法保存 {shown}：{action}失败（{reason}），原文件未改动", shown)


def writer_os_error(exc: BaseException) -> OSError | None:
    """The file-system error behind a writer's failure (XlsxWriter wraps some in its own exception types)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if isinstance(current, OSError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def exists_refusal(shown: str) -> WriteRefused:
    return WriteRefused(f"目标文件 {shown} 已存在，未覆盖；请换一个文件名或允许覆盖", shown)
