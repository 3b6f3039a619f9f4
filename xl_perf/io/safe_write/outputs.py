"""The one write path: `OutputSet` stages files (each written to a temp file beside its target, flushed and
verified) and moves them into place together; `atomic_output`, `write_bytes` and `write_text` are sets of one."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from xl_perf.errors import XlPerfError
from xl_perf.io.safe_write import checks, journal, manifest, temps
from xl_perf.io.safe_write.refusals import WriteRefused, exists_refusal, os_refusal, writer_os_error

# Test hook: called with a stage name ("staged", "journal", "moved") at the points a kill is most harmful.
fault_hook: Callable[[str], None] | None = None


def _fault(point: str) -> None:
    if fault_hook is not None:
        fault_hook(point)


@dataclass
class _Staged:
    target: Path
    shown: str
    temp: Path
    overwrite: bool
    foreign: bool
    owned: Callable[[Path], bool] | None
    digest: str = ""


@dataclass
class OutputSet:
    """Files written together: each is staged (written to a temp file beside its target and verified) with `add`,
    and when the with-block of `output_set` ends normally all of them are moved into place; if anything fails
    before, none is. See the package docstring (xl_perf.io.safe_write) for what a kill at any point leaves."""

    protect: list[Path] = field(default_factory=list)
    foreign: bool = False
    staged: list[_Staged] = field(default_factory=list)

    @contextmanager
    def add(
        self,
        target: Path,
        *,
        verify: Callable[[Path], object] | None = None,
        overwrite: bool = True,
        allow_empty: bool = False,
        owned: Callable[[Path], bool] | None = None,
    ) -> Iterator[Path]:
        """Yield a temp path for `target`; once the block ends the temp file is flushed and verified (see
        `atomic_output`) and waits for the set's commit."""
        target = Path(target)
        shown = str(target)
        if any(s.target == target for s in self.staged):
            raise WriteRefused(f"无法保存 {shown}：同一次输出中有两个文件同名", shown)
        checks.check_target(target, shown, self.protect, overwrite, self.foreign, owned)
        journal.sweep(target.parent)
        try:
            temp = temps.create_temp(target.parent, target.suffix)
        except OSError as exc:
            raise os_refusal(exc, shown, f"在文件夹 {target.parent} 中创建临时文件") from exc
        entry = _Staged(target, shown, temp, overwrite, self.foreign, owned)
        self.staged.append(entry)
        try:
            yield temp
        except BaseException as exc:
            os_error = writer_os_error(exc) if isinstance(exc, Exception) else None
            if os_error is not None and not isinstance(exc, XlPerfError):
                raise os_refusal(os_error, shown, "写入") from exc
            raise
        _settle(entry, verify, allow_empty)
        _fault("staged")

    def write_bytes(self, target: Path, data: bytes, *, verify: Callable[[Path], object] | None = None) -> Path:
        with self.add(target, verify=verify, allow_empty=True) as temp, open(temp, "wb") as fh:
            fh.write(data)
        return Path(target)

    def write_text(
        self,
        target: Path,
        text: str,
        *,
        encoding: str = "utf-8",
        newline: str | None = None,
        verify: Callable[[Path], object] | None = None,
    ) -> Path:
        return self.write_bytes(target, _encode(text, encoding, newline), verify=verify)

    def discard(self) -> None:
        for entry in self.staged:
            temps.remove_quietly(entry.temp)
        self.staged = []

    def commit(self) -> list[Path]:
        """Move every staged file into place: first re-check every target (nothing opened in Excel, turned into a
        link or replaced by someone else's file meanwhile), then journal the moves, then make them."""
        entries, self.staged = self.staged, []
        try:
            for entry in entries:
                checks.recheck(
                    entry.target, entry.shown, overwrite=entry.overwrite, foreign=entry.foreign, owned=entry.owned
                )
                if entry.overwrite:
                    with contextlib.suppress(OSError):
                        os.chmod(entry.temp, stat.S_IMODE(os.stat(entry.target).st_mode))  # keep its permissions
        except BaseException:
            for entry in entries:
                temps.remove_quietly(entry.temp)
            raise
        moves = [(e.temp, e.target, e.digest) for e in entries]
        journal_path = journal.write_journal(moves) if len(entries) > 1 else None
        _fault("journal")
        done: list[_Staged] = []
        try:
            for entry in entries:
                if entry.overwrite:
                    try:
                        temps.replace_retrying(entry.temp, entry.target)
                    except OSError as exc:
                        raise os_refusal(exc, entry.shown, "替换目标文件") from exc
                else:
                    _link_no_clobber(entry.temp, entry.target, entry.shown)
                done.append(entry)
                _fault("moved")
        except BaseException:
            for entry in entries:
                if entry not in done:
                    temps.remove_quietly(entry.temp)
            raise
        finally:
            if journal_path is not None:
                temps.remove_quietly(journal_path)
            manifest.record([(e.target, e.digest) for e in done])
        for folder in {e.target.parent for e in done}:
            temps.fsync_dir(folder)
        return [e.target for e in done]


def _encode(text: str, encoding: str, newline: str | None) -> bytes:
    if newline is None:
        text = text.replace("\n", os.linesep)
    elif newline:
        text = text.replace("\n", newline)
    return text.encode(encoding)


def _settle(entry: _Staged, verify: Callable[[Path], object] | None, allow_empty: bool) -> None:
    shown = entry.shown
    try:
        temps.fsync_file(entry.temp)
        size = os.path.getsize(entry.temp)
    except OSError as exc:
        raise os_refusal(exc, shown, "写入磁盘") from exc
    if size == 0 and not allow_empty:
        raise WriteRefused(f"无法保存 {shown}：生成的文件是空的，已放弃保存，原文件未改动", shown)
    if verify is not None and verify(entry.temp) is False:
        raise WriteRefused(f"无法保存 {shown}：生成的文件未通过校验，原文件未改动", shown)
    entry.digest = manifest.file_digest(entry.temp) or ""


@contextmanager
def output_set(*, protect: Iterable[Path] = (), foreign: bool = False) -> Iterator[OutputSet]:
    """Stage files with `OutputSet.add` inside the block; on normal exit all are moved into place together, on any
    exception none is and every temp file is removed."""
    outputs = OutputSet(list(protect), foreign)
    try:
        yield outputs
    except BaseException:
        outputs.discard()
        raise
    outputs.commit()


# --- public API --------------------------------------------------------------------------------------------------


@contextmanager
def atomic_output(
    target: Path,
    *,
    verify: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    protect: Iterable[Path] = (),
    allow_empty: bool = False,
    foreign: bool = False,
    owned: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `target` atomically, on any failure nothing changes.

    The temp file is created empty in the target's folder, named ".xl-perf-tmp-<pid>-<random><suffix>" (writers
    pick their format from the suffix). After the with-block ends normally the temp file is flushed to disk,
    `verify(temp)` runs (it rejects by raising; returning False also rejects), an empty result is rejected unless
    `allow_empty`, and then the temp file replaces the target. On any exception, including KeyboardInterrupt, the
    temp file is removed and the exception propagates; the target is left as it was.

    Raises WriteRefused before anything is written when the target is open in Excel/WPS/LibreOffice, is one of the
    `protect` paths (input files), is a symbolic link, exists while `overwrite` is False, exists and is not the
    tool's own (see `is_own`; `owned` may recognise more, `foreign=True` allows any), is a folder or not a regular
    file, or lies in a folder that does not exist. File-system errors of this package's own steps and of the writer
    (disk full, no permission) also become WriteRefused; other errors of the caller or of `verify` propagate.
    """
    with (
        output_set(protect=protect, foreign=foreign) as outputs,
        outputs.add(target, verify=verify, overwrite=overwrite, allow_empty=allow_empty, owned=owned) as temp,
    ):
        yield temp


def _link_no_clobber(temp: Path, final: Path, shown: str) -> None:
    """Move temp onto final only if final still does not exist (a hard link fails atomically if it does)."""
    try:
        os.link(temp, final)
    except FileExistsError as exc:
        raise exists_refusal(shown) from exc
    except OSError:
        # Hard links are not supported here (FAT, some network shares): check, then rename.
        if os.path.lexists(final):
            raise exists_refusal(shown) from None
        try:
            os.replace(temp, final)
        except OSError as exc:
            raise os_refusal(exc, shown, "保存目标文件") from exc
        return
    temps.remove_quietly(temp)


def write_bytes(
    target: Path,
    data: bytes,
    *,
    verify: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    protect: Iterable[Path] = (),
    foreign: bool = False,
) -> Path:
    """Write `data` to `target` atomically (see atomic_output). Returns the target path."""
    target = Path(target)
    # The file is closed before atomic_output finishes (Windows cannot rename an open file).
    with (
        atomic_output(
            target, verify=verify, overwrite=overwrite, protect=protect, allow_empty=True, foreign=foreign
        ) as temp,
        open(temp, "wb") as fh,
    ):
        fh.write(data)
    return target


def write_text(
    target: Path,
    text: str,
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
    verify: Callable[[Path], object] | None = None,
    overwrite: bool = True,
    protect: Iterable[Path] = (),
    foreign: bool = False,
) -> Path:
    """Write `text` to `target` atomically (see atomic_output). `newline` works as in open(). Returns the target."""
    return write_bytes(
        target,
        _encode(text, encoding, newline),
        verify=verify,
        overwrite=overwrite,
        protect=protect,
        foreign=foreign,
    )
