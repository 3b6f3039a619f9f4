"""`xl-perf check`: every file through the engine and the validator, then the files of one unit together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xl_perf.errors import BadInputError, Location, XlPerfError, describe_os_error
from xl_perf.findings import Finding, Ref
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.validate import checks

TEXT_SUFFIXES = (".txt",)


@dataclass
class Checked:
    path: Path
    doc: document.Document
    evaluation: Evaluation
    locate: Callable[[Ref], Location]
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Report:
    checked: list[Checked]
    texts: list[tuple[Path, list[Finding]]]
    bad: list[tuple[Path, XlPerfError]]

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.checked for f in c.findings] + [f for _, fs in self.texts for f in fs]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def _identity(path: Path) -> Path:
    """The file a path names, for spotting the same file given twice; a symlink loop is itself (reading it then
    reports the loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def check_files(paths: list[Path]) -> Report:
    seen: set[Path] = set()
    unique: list[Path] = []
    for path in map(Path, paths):
        if _identity(path) not in seen:
            seen.add(_identity(path))
            unique.append(path)
    paths = unique
    # Here, not at the top: the batch's workers check documents they read themselves and need none of the writer.
    from xl_perf.template.generate import load_any

    checked: list[Checked] = []
    bad: list[tuple[Path, XlPerfError]] = []
    text_paths = [p for p in paths if p.suffix.lower() in TEXT_SUFFIXES]
    for path in paths:
        if path in text_paths:
            continue
        try:
            doc, locate = load_any(path, lenient=True)
        except XlPerfError as exc:
            bad.append((path, exc))
            continue
        checked.append(check_loaded(path, doc, locate))
    check_together(checked)
    texts = []
    for path in text_paths:
        try:
            texts.append((path, _check_text(path, checked)))
        except XlPerfError as exc:
            bad.append((path, exc))
    return Report(checked, texts, bad)


def check_loaded(path: Path, doc: document.Document, locate: Callable[[Ref], Location]) -> Checked:
    """One file's own findings: the engine's (rates, scores) and the validator's, located in the file."""
    evaluation = evaluate(doc)
    findings = [*evaluation.findings, *checks.check_document(doc)]
    return Checked(path, doc, evaluation, locate, [f.locate(locate) for f in findings])


def check_together(checked: list[Checked]) -> None:
    """Add the findings between files (one unit's workbooks) to the files they concern."""
    by_doc = {id(c.doc): c for c in checked}
    for doc, found in checks.check_together([c.doc for c in checked]):
        item = by_doc[id(doc)]
        item.findings.append(found.locate(item.locate))


def _check_text(path: Path, checked: list[Checked]) -> list[Finding]:
    from xl_perf.validate.text_checks import check_text

    if not checked:
        raise BadInputError("核对报告文字需要同时给出该单位的工作簿或数据文档", Location(file=str(path)))
    overall = next((c for c in checked if c.doc.pack.kind == "zhengti"), checked[0]).doc
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"无法读取文件：{describe_os_error(exc)}", Location(file=str(path))) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise BadInputError("报告文字既不是 UTF-8 也不是 GBK 编码", Location(file=str(path))) from None
    return check_text(
        text, source=str(path), unit=overall.unit, year=overall.year, level=overall.level, pack=overall.pack
    )
