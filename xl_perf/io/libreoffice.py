"""LibreOffice headless: an independent spreadsheet engine (recalculate and save) and a PDF renderer.

One private, reusable LibreOffice user profile (``Converter.profile_dir``) carries the settings xl-perf relies on, so
the user's own LibreOffice profile is never touched:

* recalculation on load is forced for OOXML and ODF files (``org.openoffice.Office.Calc/Formula/Load``:
  ``OOXMLRecalcMode`` and ``ODFRecalcMode`` = 0 = ``RECALC_ALWAYS``); without it LibreOffice keeps the cached formula
  values XlsxWriter writes (0 or whatever the caller passed), so the "LibreOffice round trip" would prove nothing;
* the font replacement table (Tools > Options > Fonts; ``org.openoffice.Office.Common/Font/Substitution``:
  ``Replacement`` = true and the ``FontPairs`` set) maps the Chinese Windows fonts of the templates (宋体, 黑体, ...)
  to Noto CJK SC (Song/Fang Song/Kai -> serif, Hei/YaHei -> sans); without it every one of them falls back to the
  same sans face. pdffonts names the embedded subsets ``NotoSerifCJKjp-...``/``NotoSansCJKjp-...`` either way: that is
  the name of the CFF table the font collection shares, not the face that was used;
* the default Asian document language is zh-CN (``org.openoffice.Office.Linguistic/General``: ``DefaultLocale_CJK``):
  Noto CJK chooses regional glyph forms by language, so this keeps Simplified Chinese forms on any machine locale;
* no first-start wizard, tips, crash reporter; macros never run; external links are never updated.

``Converter.convert`` runs ONE soffice process for a whole batch of files. Inputs are copied into a private staging
folder first, so nothing (not even LibreOffice's ``.~lock`` files) is ever written next to them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from xl_perf.errors import Location, XlPerfError, describe_os_error, quoted
from xl_perf.io import safe_write

try:  # POSIX only; elsewhere the in-process lock still serialises use of a profile
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FONT_REPLACEMENTS",
    "INSTALL_HINT",
    "Converter",
    "LibreOfficeError",
    "converter",
    "find_soffice",
    "to_png",
]

INSTALL_HINT = "请安装 LibreOffice，例如：sudo apt-get install libreoffice-calc-nogui"
_FALLBACK_SOFFICE = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)

# Chinese Windows/Office font families used by the templates -> Simplified Chinese Noto CJK families
# (fonts-noto-cjk). Song/Fang Song/Kai are serif styles, Hei/YaHei/DengXian are sans.
_SERIF_SC = "Noto Serif CJK SC"
_SANS_SC = "Noto Sans CJK SC"
FONT_REPLACEMENTS: dict[str, str] = {
    "宋体": _SERIF_SC,
    "SimSun": _SERIF_SC,
    "新宋体": _SERIF_SC,
    "NSimSun": _SERIF_SC,
    "仿宋": _SERIF_SC,
    "FangSong": _SERIF_SC,
    "仿宋_GB2312": _SERIF_SC,
    "FangSong_GB2312": _SERIF_SC,
    "楷体": _SERIF_SC,
    "KaiTi": _SERIF_SC,
    "楷体_GB2312": _SERIF_SC,
    "KaiTi_GB2312": _SERIF_SC,
    "黑体": _SANS_SC,
    "SimHei": _SANS_SC,
    "微软雅黑": _SANS_SC,
    "Microsoft YaHei": _SANS_SC,
    "等线": _SANS_SC,
    "DengXian": _SANS_SC,
    # The workbooks' default font, which sets the unit of column widths: its half-width digits (0.5 em) measure
    # columns almost as Excel does with Calibri (LibreOffice's usual fallback, DejaVu Sans, is a third wider, which
    # shrinks every page), on every machine that has fonts-noto-cjk. No cell of the forms is in this font.
    "Calibri": "Noto Sans Mono CJK SC",
}

# (item path, property name, value) written into user/registrymodifications.xcu.
# Paths and names are those of LibreOffice's configuration schema (officecfg/registry/schema, shipped as
# share/registry/main.xcd); 0 = RECALC_ALWAYS in sc/inc/calcconfig.hxx (ScRecalcOptions).
_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "0"),
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "0"),
    ("/org.openoffice.Office.Common/Font/Substitution", "Replacement", "true"),
    # Default Asian language of documents: Noto CJK picks regional glyph forms by language ("locl"), so without
    # this a machine with a Japanese or Taiwanese locale would draw Japanese/Traditional forms of 骨, 直, 遂, 港 ...
    ("/org.openoffice.Office.Linguistic/General", "DefaultLocale_CJK", "zh-CN"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
    ("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay", "false"),
    ("/org.openoffice.Office.Common/Misc", "CrashReport", "false"),
    ("/org.openoffice.Office.Common/Save/Document", "WarnAlienFormat", "false"),
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "1"),  # external links: never update
)
_FONT_PAIRS_PATH = "/org.openoffice.Office.Common/Font/Substitution/FontPairs"
_OOR = "http://openoffice.org/2001/registry"
_PROFILE_LOCK = "xl-perf.lock"

# One LibreOffice instance per profile at a time: a second soffice started on a busy profile hands its arguments to
# the running instance and exits, which loses the conversion.
_thread_locks: dict[Path, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class LibreOfficeError(XlPerfError):
    """LibreOffice (or poppler's pdftoppm) is missing, failed, timed out or produced no output.

    ``failed`` lists the inputs that produced no output (the other outputs of the batch are still written)."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None, *, failed: Sequence[Path] = ()) -> None:
        super().__init__(message, location)
        self.failed = list(failed)


def find_soffice() -> str | None:
    """Path of the LibreOffice program (``soffice`` or ``libreoffice`` on PATH, then the usual install places)."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in _FALLBACK_SOFFICE:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _registry_xml() -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<oor:items xmlns:oor="{_OOR}" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    ]
    for path, name, value in _SETTINGS:
        lines.append(
            f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
        )
    for index, (font, substitute) in enumerate(FONT_REPLACEMENTS.items()):
        props = (
            ("Always", "true"),
            ("OnScreenOnly", "false"),
            ("ReplaceFont", escape(font)),
            ("SubstituteFont", escape(substitute)),
        )
        body = "".join(f'<prop oor:name="{n}" oor:op="fuse"><value>{v}</value></prop>' for n, v in props)
        node = f'<node oor:name="xl-perf-{index}" oor:op="replace">{body}</node>'
        lines.append(f'<item oor:path="{_FONT_PAIRS_PATH}">{node}</item>')
    lines.append("</oor:items>")
    return "\n".join(lines) + "\n"


def _registry_is_current(xcu: Path) -> bool:
    """Whether an existing registrymodifications.xcu (rewritten by LibreOffice on exit) still holds our settings."""
    try:
        root = ElementTree.parse(xcu).getroot()
    except (OSError, ElementTree.ParseError):
        return False
    path_attr, name_attr = f"{{{_OOR}}}path", f"{{{_OOR}}}name"
    props: dict[tuple[str, str], str | None] = {}
    pairs: dict[str, str | None] = {}
    for item in root.iter("item"):
        path = item.get(path_attr, "")
        for prop in item.findall("prop"):
            props[(path, prop.get(name_attr, ""))] = prop.findtext("value")
        if path == _FONT_PAIRS_PATH:
            for node in item.findall("node"):
                values = {p.get(name_attr): p.findtext("value") for p in node.findall("prop")}
                if values.get("Always") == "true" and values.get("ReplaceFont"):
                    pairs[values["ReplaceFont"] or ""] = values.get("SubstituteFont")
    settings_ok = all(props.get((path, name)) == value for path, name, value in _SETTINGS)
    return settings_ok and all(pairs.get(font) == sub for font, sub in FONT_REPLACEMENTS.items())


def _ensure_profile(profile_dir: Path) -> None:
    user = profile_dir / "user"
    try:
        user.mkdir(parents=True, exist_ok=True)
        xcu = user / "registrymodifications.xcu"
        if not _registry_is_current(xcu):
            xcu.write_text(_registry_xml(), encoding="utf-8")
    except OSError as exc:
        raise LibreOfficeError(f"无法创建 LibreOffice 配置目录 {profile_dir}：{describe_os_error(exc)}") from exc


@contextlib.contextmanager
def _profile_lock(profile_dir: Path) -> Iterator[None]:
    key = profile_dir.resolve()
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(key, threading.Lock())
    with lock:
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        with open(profile_dir / _PROFILE_LOCK, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _environment(profile_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(profile_dir)  # LibreOffice and its helpers must not touch the real home
    ctype = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    if "utf-8" not in ctype.lower() and "utf8" not in ctype.lower():
        env["LC_ALL"] = "C.UTF-8"  # non-ASCII (Chinese) file names need a UTF-8 locale
    return env


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=10)


def _tail(data: bytes, limit: int = 800) -> str:
    text = data.decode("utf-8", errors="replace").strip()
    return text[-limit:]


def _staging_names(files: Sequence[Path]) -> list[str]:
    """File names for the staging copies: the input's own name, numbered when two inputs share a stem."""
    names: list[str] = []
    taken: set[str] = set()
    for path in files:
        stem, suffix = path.stem, path.suffix
        candidate, n = stem, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate.casefold())
        names.append(candidate + suffix)
    return names


def _extension(target: str) -> str:
    """The file extension of a ``--convert-to`` argument: ``"pdf:calc_pdf_Export"`` -> ``"pdf"``."""
    extension = target.split(":", 1)[0].strip().lower()
    if not extension or "/" in extension or "\\" in extension:
        raise LibreOfficeError(f"无效的转换目标格式：{quoted(target)}")
    return extension


def _check_request(inputs: Sequence[Path], outputs: Sequence[Path], extension: str) -> str:
    """Refuse what cannot work before LibreOffice starts; make the output folders. Returns the soffice path."""
    for path in inputs:
        if not path.is_file():
            reason = "这是文件夹，不是文件" if path.is_dir() else "文件不存在"
            raise LibreOfficeError(f"无法转换 {path}：{reason}")
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError(f"未找到 LibreOffice（soffice）。{INSTALL_HINT}")
    resolved_inputs = {p.resolve() for p in inputs}
    for output in outputs:
        if output.suffix.lower() != f".{extension}":
            raise LibreOfficeError(f"输出文件 {output} 的扩展名应为 .{extension}")
        if output.resolve() in resolved_inputs:
            raise LibreOfficeError(f"输出文件 {output} 会覆盖输入文件，请换一个输出目录")
    for folder in dict.fromkeys(o.parent for o in outputs):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibreOfficeError(f"无法创建输出目录 {folder}：{describe_os_error(exc)}") from exc
    return soffice


def _scratch(folder: Path) -> Path:
    try:
        return safe_write.scratch_folder(folder)
    except OSError as exc:
        raise LibreOfficeError(f"无法在 {folder} 中创建临时文件夹：{describe_os_error(exc)}") from exc


def _stage(inputs: Sequence[Path], work: Path, stems: Sequence[str]) -> tuple[list[Path], Path]:
    """Copy the inputs into ``work/in`` (LibreOffice writes its lock files beside what it opens, and names each
    output after its input's stem, so the copies carry the outputs' stems, numbered when two would clash)."""
    staged_dir, produced_dir = work / "in", work / "out"
    staged_dir.mkdir()
    produced_dir.mkdir()
    named = [Path(f"{stem}{path.suffix}") for stem, path in zip(stems, inputs, strict=True)]
    staged: list[Path] = []
    for path, name in zip(inputs, _staging_names(named), strict=True):
        copy = staged_dir / name
        try:
            shutil.copyfile(path, copy)
        except OSError as exc:
            raise LibreOfficeError(f"无法读取 {path}：{describe_os_error(exc)}") from exc
        staged.append(copy)
    return staged, produced_dir


# What a good output starts with, by extension: a PDF's header, or a zip (OOXML and ODF are zip packages).
_MAGIC = {"pdf": b"%PDF-", "png": b"\x89PNG", "xlsx": b"PK", "xlsm": b"PK", "ods": b"PK", "docx": b"PK", "odt": b"PK"}


def _verifier(extension: str) -> Callable[[Path], None]:
    magic = _MAGIC.get(extension, b"")

    def verify(path: Path) -> None:
        with open(path, "rb") as fh:
            head = fh.read(max(len(magic), 1))
        if not head or not head.startswith(magic):
            raise LibreOfficeError(f"LibreOffice 生成的 {extension} 文件无效，已放弃写入：{path}")

    return verify


def _place_outputs(
    inputs: Sequence[Path], produced: Sequence[Path], outputs: Sequence[Path], extension: str, overwrite: bool
) -> list[Path]:
    """Move what LibreOffice produced to the outputs as one set through safe_write; returns the inputs that
    produced nothing usable."""
    failed: list[Path] = []
    verify = _verifier(extension)
    with safe_write.output_set(protect=inputs, foreign=overwrite) as outputs_set:
        for path, made, output in zip(inputs, produced, outputs, strict=True):
            if not made.is_file() or made.stat().st_size == 0:
                failed.append(path)
                continue
            with outputs_set.add(output, verify=verify) as temp:
                shutil.copyfile(made, temp)
    return failed


@dataclass
class Converter:
    """A private LibreOffice user profile, reused for every conversion (a warm profile starts faster)."""

    profile_dir: Path

    def __post_init__(self) -> None:
        self.profile_dir = Path(self.profile_dir).absolute()
        _ensure_profile(self.profile_dir)

    def convert(
        self,
        files: Sequence[Path],
        target: str,
        outdir: Path,
        *,
        timeout: float = 300,
        scratch: Path | None = None,
        overwrite: bool = False,
    ) -> list[Path]:
        """Open every file in ONE LibreOffice session and save it as ``target`` (``"xlsx"``, ``"pdf"``, or any
        ``--convert-to`` argument such as ``"pdf:calc_pdf_Export"``) in ``outdir``.

        Formulas are recalculated on load, so ``target="xlsx"`` is the LibreOffice round trip. Returns the output
        paths in input order (``outdir/<input stem>.<ext>``; a repeated stem gets ``-2``, ``-3``, ...). Inputs are
        never modified and nothing is written next to them. Raises LibreOfficeError naming every input that
        produced no output (the outputs of the others are still written).

        The working copies live in a scratch folder inside ``scratch`` (default: ``outdir``), never in the system's
        temp folder; the outputs are moved into ``outdir`` through ``safe_write`` as one set (written beside the
        target, verified, moved; never through a link, never over a file xl-perf did not make unless ``overwrite``).
        """
        inputs = [Path(f) for f in files]
        if not inputs:
            return []
        outdir = Path(outdir)
        names = _staging_names(inputs)
        extension = _extension(target)
        outputs = [outdir / f"{Path(name).stem}.{extension}" for name in names]
        return self.convert_to(
            list(zip(inputs, outputs, strict=True)), target, timeout=timeout, scratch=scratch, overwrite=overwrite
        )

    def convert_to(
        self,
        pairs: Sequence[tuple[Path, Path]],
        target: str,
        *,
        timeout: float = 300,
        scratch: Path | None = None,
        overwrite: bool = False,
    ) -> list[Path]:
        """Like `convert`, with each input's output path given (the outputs may lie in different folders; each
        output's suffix must be the target's extension). One LibreOffice session converts them all."""
        if not pairs:
            return []
        inputs = [Path(source) for source, _ in pairs]
        outputs = [Path(output) for _, output in pairs]
        extension = _extension(target)
        soffice = _check_request(inputs, outputs, extension)
        first_folder = outputs[0].parent
        work = _scratch(Path(scratch) if scratch is not None else first_folder)
        try:
            staged, produced_dir = _stage(inputs, work, [o.stem for o in outputs])
            command = self._command(soffice, target, produced_dir, staged)
            with _profile_lock(self.profile_dir):
                self._run(command, inputs, timeout)
            produced = [produced_dir / f"{copy.stem}.{extension}" for copy in staged]
            failed = _place_outputs(inputs, produced, outputs, extension, overwrite)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if failed:
            listed = "、".join(str(p) for p in failed)
            raise LibreOfficeError(
                f"LibreOffice 未能把以下文件转换为 {extension}（文件可能已损坏或不是表格文件）：{listed}",
                failed=failed,
            )
        return outputs

    def _command(self, soffice: str, target: str, produced_dir: Path, staged: Sequence[Path]) -> list[str]:
        return [
            soffice,
            f"-env:UserInstallation={self.profile_dir.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nologo",
            "--nodefault",
            "--convert-to",
            target,
            "--outdir",
            str(produced_dir),
            *(str(p) for p in staged),
        ]

    def _run(self, command: list[str], inputs: list[Path], timeout: float) -> None:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_environment(self.profile_dir),
                cwd=self.profile_dir,
                start_new_session=True,  # own process group: a timeout kills oosplash and soffice.bin together
            )
        except OSError as exc:
            raise LibreOfficeError(
                f"无法启动 LibreOffice（{command[0]}）：{describe_os_error(exc)}。{INSTALL_HINT}"
            ) from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            # a killed instance may leave its lock behind; the next run must not mistake it for a live one
            with contextlib.suppress(OSError):
                (self.profile_dir / ".lock").unlink()
            raise LibreOfficeError(
                f"LibreOffice 转换超时（{timeout:g} 秒），已终止。涉及文件：{'、'.join(str(p) for p in inputs)}"
            ) from None
        except BaseException:
            _kill_group(process)
            raise
        if process.returncode != 0:
            detail = _tail(stderr) or _tail(stdout) or "无输出"
            raise LibreOfficeError(
                f"LibreOffice 异常退出（退出码 {process.returncode}）。涉及文件：{'、'.join(str(p) for p in inputs)}。"
                f"详细信息：{detail}"
            )


_PROFILE_PREFIX = "xl-perf-lo-profile-"


def _remove_stale_profiles() -> None:
    """Remove the temporary profiles of runs that were killed (their process no longer exists). Profiles hold
    LibreOffice's settings, not workbooks, but must not pile up."""
    if os.name == "nt":
        return
    folder = Path(tempfile.gettempdir())
    try:
        names = [n for n in os.listdir(folder) if n.startswith(_PROFILE_PREFIX)]
    except OSError:
        return
    for name in names:
        pid = name[len(_PROFILE_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder / name, ignore_errors=True)
        except OSError:
            continue


def converter(cache_dir: Path | None = None) -> Converter:
    """A Converter with its own profile: ``cache_dir/libreoffice-profile`` (kept and reused across runs) or, by
    default, a temporary folder removed when the Converter is garbage-collected or the interpreter exits."""
    if cache_dir is not None:
        return Converter(Path(cache_dir) / "libreoffice-profile")
    _remove_stale_profiles()
    profile = Path(tempfile.mkdtemp(prefix=f"{_PROFILE_PREFIX}{os.getpid()}-"))
    conv = Converter(profile)
    weakref.finalize(conv, shutil.rmtree, str(profile), True)
    return conv


def to_png(pdf: Path, outdir: Path, *, dpi: int = 60, overwrite: bool = False) -> list[Path]:
    """Render every page of ``pdf`` to ``outdir/<stem>-<page>.png`` with poppler's pdftoppm; pages in order."""
    pdf = Path(pdf)
    outdir = Path(outdir)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise LibreOfficeError("未找到 pdftoppm，无法把 PDF 转为图片。请安装：sudo apt-get install poppler-utils")
    if not pdf.is_file():
        raise LibreOfficeError(f"无法转换 {pdf}：文件不存在")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibreOfficeError(f"无法创建输出目录 {outdir}：{describe_os_error(exc)}") from exc
    work = _scratch(outdir)
    outputs: list[Path] = []
    try:
        try:
            result = subprocess.run(
                [pdftoppm, "-png", "-r", str(int(dpi)), str(pdf), str(work / "page")],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LibreOfficeError(f"pdftoppm 转换 {pdf} 超时") from None
        except OSError as exc:
            raise LibreOfficeError(f"无法启动 pdftoppm：{describe_os_error(exc)}") from exc
        if result.returncode != 0:
            raise LibreOfficeError(f"pdftoppm 无法转换 {pdf}（退出码 {result.returncode}）：{_tail(result.stderr)}")
        # pdftoppm names pages page-1.png or page-01.png (zero-padded to the page count's width)
        pages = sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        if not pages:
            raise LibreOfficeError(f"pdftoppm 没有从 {pdf} 生成任何图片")
        width = len(str(len(pages)))
        with safe_write.output_set(protect=[pdf], foreign=overwrite) as outputs_set:
            for number, page in enumerate(pages, 1):
                target = outdir / f"{pdf.stem}-{number:0{width}d}.png"
                with outputs_set.add(target, verify=_verifier("png")) as temp:
                    shutil.copyfile(page, temp)
                outputs.append(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return outputs
