"""`xl-perf check`: every file through the engine and the validator, then the files of one unit together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xl_perf.errors import BadInputError, Location, XlPerfError
from xl_perf.findings import Finding, Ref
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.validate import checks


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
    from xl_perf.template.sources import load_any

    checked: list[Checked] = []
    bad: list[tuple[Path, XlPerfError]] = []
    from xl_perf.io.report_files import is_report

    text_paths = [p for p in paths if is_report(p)]
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
    """A report (.txt, .docx, PDF) against itself, the rules and the unit's evaluated workbooks."""
    from xl_perf.io.report_files import read_report
    from xl_perf.validate.report import check_report
    from xl_perf.validate.report.facts import form_facts
    from xl_perf.validate.report.reading import report_text

    report = read_report(path)  # a .doc/.wps is refused here, before the workbooks are asked for
    if not checked:
        raise BadInputError("核对报告文字需要同时给出该单位的工作簿或数据文档", Location(file=str(path)))
    overall = next((c for c in checked if c.doc.pack.kind == "zhengti"), checked[0]).doc
    facts = [form_facts(c.evaluation, c.path.name) for c in checked]
    return check_report(
        report_text(report, str(path)),
        unit=overall.unit,
        year=overall.year,
        level=overall.level,
        pack=overall.pack,
        facts=facts,
    )
