"""The checks made before anything is written, and again just before the move: the target is no input of the
command, not open in a spreadsheet program, not a link, folder or other non-regular file, and, if it exists, may be
replaced (overwriting allowed, and the file is the tool's own unless the user allowed any)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from xl_perf.io.safe_write import manifest
from xl_perf.io.safe_write.locks import present_lock_file
from xl_perf.io.safe_write.refusals import WriteRefused, exists_refusal, foreign_refusal, link_refusal, os_refusal


def is_protected(target: Path, protect: Iterable[Path]) -> bool:
    """Whether writing `target` would replace one of `protect`: the same file when both exist (hard and symbolic
    links included), else the same resolved path. The target is looked up once, however many files are protected
    (a batch protects every input)."""
    try:
        target_stat = os.stat(target)
        target_id: tuple[int, int] | None = (target_stat.st_dev, target_stat.st_ino)
    except OSError:
        target_id = None
    resolved: str | None = None
    for protected in protect:
        if target_id is not None:
            try:
                other = os.stat(protected)
            except OSError:
                pass
            else:
                if (other.st_dev, other.st_ino) == target_id:
                    return True
                continue
        if resolved is None:
            try:
                resolved = os.path.normcase(os.path.realpath(target))
            except (OSError, RuntimeError):  # a symlink loop: not any input
                return False
        try:
            if os.path.normcase(os.path.realpath(protected)) == resolved:
                return True
        except (OSError, RuntimeError):
            continue
    return False


def check_open(target: Path, shown: str) -> None:
    lock = present_lock_file(target)
    if lock is not None:
        raise WriteRefused(
            f"目标文件 {shown} 正在被 Excel、WPS 或 LibreOffice 打开（发现 {lock.name}），请关闭后重试；"
            f"如果确认已关闭，可删除 {lock.name} 后重试",
            shown,
        )


def check_target(
    target: Path,
    shown: str,
    protect: Iterable[Path],
    overwrite: bool,
    foreign: bool,
    owned: Callable[[Path], bool] | None,
) -> None:
    """Run every check that can be made before writing."""
    if is_protected(target, protect):
        raise WriteRefused(f"不能覆盖输入文件 {shown}，请用 -o 指定另一个输出文件", shown)
    folder = target.parent
    try:
        folder_ok = folder.is_dir()
    except OSError:
        folder_ok = False
    if not folder_ok:
        raise WriteRefused(f"无法保存 {shown}：文件夹 {folder} 不存在", shown)
    try:
        info: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise os_refusal(exc, shown, "检查目标文件") from exc
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise link_refusal(shown)
        if stat.S_ISDIR(info.st_mode):
            raise WriteRefused(f"无法保存 {shown}：这是一个文件夹，不是文件", shown)
        if not stat.S_ISREG(info.st_mode):
            raise WriteRefused(f"无法保存 {shown}：它不是普通文件", shown)
        check_open(target, shown)  # first: "close it in Excel" is the more useful message
        if not overwrite:
            raise exists_refusal(shown)
        if not foreign and not manifest.is_own(target) and not (owned is not None and owned(target)):
            raise foreign_refusal(shown)
    check_open(target, shown)


def recheck(target: Path, shown: str, *, overwrite: bool, foreign: bool, owned: Callable[[Path], bool] | None) -> None:
    """The checks of `check_target` again, just before the move (the user may have acted meanwhile)."""
    check_open(target, shown)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise os_refusal(exc, shown, "检查目标文件") from exc
    if stat.S_ISLNK(info.st_mode):
        raise link_refusal(shown)
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused(f"无法保存 {shown}：它不是普通文件", shown)
    if not overwrite:
        raise exists_refusal(shown)
    if not foreign and not manifest.is_own(target) and not (owned is not None and owned(target)):
        raise foreign_refusal(shown)
