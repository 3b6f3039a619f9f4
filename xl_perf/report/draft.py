"""`xl-perf report`: the workbooks of a unit evaluated as `score` does, drafted as one .docx, then checked like any
report (`check`): a draft must carry the engine's numbers and pass its own check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xl_perf.errors import BadInputError, Location
from xl_perf.findings import Finding
from xl_perf.io import safe_write
from xl_perf.io.docx_writer import Block, PageBreak, Paragraph, write_docx
from xl_perf.io.report_files import read_report
from xl_perf.model.document import Document
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.report.outline import overall, project

SUFFIX = "绩效自评报告（初稿）.docx"


@dataclass
class Drafted:
    target: Path
    evaluations: list[tuple[Path, Evaluation]]
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def load(paths: Sequence[Path]) -> list[tuple[Path, Evaluation]]:
    """Each workbook or data document read and evaluated the way `score` does."""
    from xl_perf.template.sources import load_any

    evaluated = []
    for path in paths:
        doc, _ = load_any(path, lenient=path.suffix.lower() != ".json")
        evaluated.append((path, evaluate(doc)))
    if not evaluated:
        raise BadInputError("请给出该单位的工作簿（.xlsx）或数据文档（.json）")
    units = {(e.document.unit, e.document.year) for _, e in evaluated}
    if len(units) > 1:
        shown = "、".join(f"{u or '（未填单位）'} {y}年度" for u, y in sorted(units))
        raise BadInputError(f"一份报告只写一个单位的一个年度，给出的文件属于：{shown}；请分开生成")
    return evaluated


def blocks_of(evaluated: Sequence[tuple[Path, Evaluation]]) -> list[Block]:
    ordered = sorted(evaluated, key=lambda item: item[1].document.pack.kind != "zhengti")
    blocks: list[Block] = []
    for _, evaluation in ordered:
        doc: Document = evaluation.document
        if blocks:
            blocks.append(PageBreak())
        blocks += overall(doc, evaluation) if doc.pack.kind == "zhengti" else project(doc, evaluation)
    return blocks


def file_name(doc: Document) -> str:
    return f"{safe_write.safe_stem(doc.unit or '单位')}_{doc.year}年度_{SUFFIX}"


def draft(paths: Sequence[Path], output: Path, *, overwrite: bool = False) -> Drafted:
    evaluated = load(paths)
    doc = evaluated[0][1].document
    target = output / file_name(doc)
    blocks = blocks_of(evaluated)
    expected = [b.text for b in blocks if isinstance(b, Paragraph) and b.text.strip()]

    def verify(temp: Path) -> None:
        parts = read_report(temp).parts
        texts = {" ".join(p.cells[0].split()) for p in parts if p.table is None}
        missing = next((t for t in expected if " ".join(t.split()) not in texts), None)
        if missing is not None:
            raise BadInputError(f"报告回读不一致（“{missing[:30]}”），已放弃写入", Location(file=str(target)))

    with safe_write.atomic_output(target, verify=verify, protect=list(paths), foreign=overwrite) as temp:
        write_docx(blocks, temp, title=f"{doc.unit}{doc.year}年度绩效自评报告（初稿）", author="xl-perf")
    result = Drafted(target, evaluated)
    result.findings = self_check(target, evaluated)
    return result


def self_check(target: Path, evaluated: Sequence[tuple[Path, Evaluation]]) -> list[Finding]:
    """The draft read back and checked as `check` checks a report of the unit."""
    from xl_perf.validate.report import check_report
    from xl_perf.validate.report.facts import form_facts
    from xl_perf.validate.report.reading import report_text

    overall_doc = next((e.document for _, e in evaluated if e.document.pack.kind == "zhengti"), None)
    doc = overall_doc or evaluated[0][1].document
    facts = [form_facts(e, p.name) for p, e in evaluated]
    text = report_text(read_report(target), str(target))
    return check_report(text, unit=doc.unit, year=doc.year, level=doc.level, pack=doc.pack, facts=facts)
