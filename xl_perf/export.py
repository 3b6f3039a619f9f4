"""`xl-perf export`: the files a unit submits, after the check passes.

- the submission copy (.xlsx): regenerated from the template description plus the workbook's values, with values in
  place of every formula, no macros, none of the tool's own parts; layout, merges, styles and print setup as in the
  template; verified cell by cell with a second reader (python-calamine) before it replaces any earlier export;
- a PDF through LibreOffice, JSON (data document, scores, findings) and CSV per table.
Every file goes through `io.safe_write`: a failed export leaves earlier exports as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from xl_perf.errors import BadInputError, Location, XlPerfError
from xl_perf.io import csv_writer, safe_write, xlsx_writer
from xl_perf.io.workbook import CellValue, FileWorkbook
from xl_perf.io.xlsx_writer import CellValue as Written  # what the writer takes: Decimal too
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, IndicatorResult
from xl_perf.numbers import format_number
from xl_perf.rules import model
from xl_perf.template import fill, generate, sources
from xl_perf.template.layout import Cell, Layout, rate_name, stated_name, weight_name
from xl_perf.validate.run import Report, check_files

BANNER = "未通过校验"
_NAME = re.compile(r"xp_[a-z0-9_]+")


@dataclass
class Exported:
    report: Report
    files: list[Path] = field(default_factory=list)
    refused: bool = False


def computed_values(plan: Layout, evaluation: Evaluation) -> dict[tuple[str, int, int], Written]:
    """The value every formula cell of `plan` shows, from the engine (by the cell's defined name or its role)."""
    doc = evaluation.document
    cached = fill.cached_for(evaluation)
    rows = {r.row_index: r for r in evaluation.rows}
    values: dict[tuple[str, int, int], Written] = {}
    for sheet in plan.sheets:
        for (row, col), cell in sheet.cells.items():
            if not cell.formula or col >= sheet.print_cols:
                continue
            value: Written = None
            binding = cell.binding
            if binding is not None and binding.kind == "field":
                stated_of = doc.pack.fields[binding.id].stated_of
                value = cached.get(rate_name(stated_of)) if stated_of else None
            elif binding is not None and binding.kind == "row" and binding.column == "score":
                result = rows.get(binding.slot)
                value = None if result is None or result.computed is None else result.computed
            elif cell.name and cell.name in cached:
                value = cached[cell.name]
            else:  # group weights: the sum of the named weights the formula adds up
                parts = [cached.get(n) for n in _NAME.findall(cell.formula)]
                if parts and all(isinstance(p, Decimal) for p in parts):
                    value = sum((p for p in parts if isinstance(p, Decimal)), Decimal(0))
            values[(sheet.key, row, col)] = None if value == "" else value
    return values


NOT_APPLICABLE = "不适用"


def does_not_apply(result: IndicatorResult) -> bool:
    """An indicator the rules do not apply: declared not applicable, or all its points moved elsewhere."""
    return result.basis == "na" or (result.weight == 0 and result.declared_weight > 0)


def _moved_to(evaluation: Evaluation, indicator_id: str) -> list[str]:
    """Names of the indicators that receive the points of `indicator_id` (or of its parts) when it does not apply."""
    indicator = evaluation.document.pack.indicator(indicator_id)
    parts = indicator.rule.parts if isinstance(indicator.rule, model.SumRule) else ()
    ids = [indicator.na_target, *(p.na_target for p in parts)]
    names = [evaluation.indicator(i).name for i in ids if i and i != "siblings"]
    return list(dict.fromkeys(names))


def printed_values(plan: Layout, evaluation: Evaluation) -> dict[tuple[str, int, int], Written]:
    """Cells printed as the engine applied the rules rather than as the form states them: every weight as applied
    after a redistribution, 不适用 (weight 0) for an indicator that does not apply, with where its points went in its
    评分说明, and the receiving indicator's 评分说明 naming the points it received."""
    by_weight = {weight_name(r.id): r for r in evaluation.indicators}
    by_stated = {stated_name(r.id): r for r in evaluation.indicators}
    scored = [r for r in evaluation.indicators if r.kind != "bonus_penalty"]
    given = {r.id: _moved_to(evaluation, r.id) for r in scored if r.weight < r.declared_weight}
    printed: dict[tuple[str, int, int], Written] = {}
    for sheet in plan.sheets:
        for (row, col), cell in sheet.cells.items():
            if col >= sheet.print_cols or not cell.name:
                continue
            if cell.name in by_weight and by_weight[cell.name].kind != "bonus_penalty":
                printed[(sheet.key, row, col)] = by_weight[cell.name].weight
            result = by_stated.get(cell.name)
            if result is None or result.kind == "bonus_penalty":
                continue
            # 评分说明, left of 得分 on the Guangdong scoring table: a cell the form leaves empty
            note_key = (sheet.key, row, col - 1)
            note = sheet.cells.get((row, col - 1))
            has_note = note is not None and note.style == "input_long" and note.binding is None and note.text is None
            declared = format_number(result.declared_weight)
            moved = format_number(abs(result.declared_weight - result.weight))
            not_applicable = does_not_apply(result)
            if not_applicable:
                printed[(sheet.key, row, col)] = NOT_APPLICABLE
            if not has_note or result.weight == result.declared_weight:
                continue
            if result.weight < result.declared_weight:
                to = "、".join(f"“{n}”" for n in given.get(result.id, []))
                what = "不适用" if not_applicable else "部分不适用"
                printed[note_key] = f"{what}，{moved}分调整至{to}" if to else what
            else:
                sources = [r.name for r in scored if result.name in given.get(r.id, [])]
                names = "、".join(f"“{n}”" for n in sources) or "其他指标"
                printed[note_key] = f"原分值{declared}分，含{names}不适用调入的{moved}分"
    return printed


def spare_rows(plan: Layout, inputs: dict) -> dict[str, frozenset[int]]:
    """Rows of the spare slots left empty (project rows of a money table, indicator rows), in a table or indicator
    list that holds data: kept in the copy, not printed. A blank form keeps them, to be filled in by hand."""
    spare: dict[str, frozenset[int]] = {}
    for sheet in plan.sheets:
        rows: dict[int, list[tuple[int, Cell]]] = {}
        for (row, col), cell in sheet.cells.items():
            if col < sheet.print_cols:
                rows.setdefault(row, []).append((col, cell))
        used: set[str] = set()
        empty: dict[str, set[int]] = {}
        for row, cells in rows.items():
            bindings = [c.binding for _, c in cells]
            if not all(b is not None and b.kind in ("table", "table_label", "row") for b in bindings):
                continue  # a fixed row (its label is part of the form) or anything else is always printed
            region = {b.id if b.kind != "row" else "rows" for b in bindings if b is not None}.pop()
            if any((sheet.key, row, col) in inputs for col, _ in cells):
                used.add(region)
            else:
                empty.setdefault(region, set()).add(row)
        hidden = frozenset(r for region, found in empty.items() if region in used for r in found)
        if hidden:
            spare[sheet.key] = hidden
    return spare


def _expected_grid(plan: Layout, inputs: dict, computed: dict, printed: dict) -> dict[tuple[str, int, int], Written]:
    grid: dict[tuple[str, int, int], Written] = {}
    for sheet in plan.sheets:
        for (row, col), cell in sheet.cells.items():
            if col >= sheet.print_cols:
                continue
            key = (sheet.key, row, col)
            if key in printed:
                value = printed[key]
            else:
                value = inputs.get(key) if key in inputs else computed.get(key) if cell.formula else cell.text
            grid[(sheet.name, row, col)] = value
    return grid


def _same(written: CellValue, expected: Written) -> bool:
    if expected is None or expected == "":
        return written in (None, "")
    if isinstance(expected, Decimal | int | float) and not isinstance(expected, bool):
        return isinstance(written, int | float) and abs(Decimal(str(written)) - Decimal(str(expected))) < Decimal(
            "1e-9"
        )
    if isinstance(expected, dt.date):
        return isinstance(written, dt.date) and written.isoformat()[:10] == expected.isoformat()[:10]
    return str(written) == str(expected)


def write_submission(
    doc: document.Document,
    evaluation: Evaluation,
    target: Path,
    *,
    banner: str = "",
    protect: tuple[Path, ...] = (),
    outputs: safe_write.OutputSet | None = None,
) -> Path:
    """The submission copy at `target`; staged in `outputs` (moved into place with the rest of its set) if given."""
    plan = generate.build_layout(doc)
    inputs = fill.values_for(plan, doc)
    computed = computed_values(plan, evaluation)
    printed = printed_values(plan, evaluation)
    expected = _expected_grid(plan, inputs, computed, printed)

    def verify(path: Path) -> None:
        # A second, independent reader (calamine) must read back every value that was meant to be written.
        with FileWorkbook(path) as book:
            if book.sheet_names() != [s.name for s in plan.sheets]:
                raise BadInputError("报送版工作表与模板不一致，已放弃写入", Location(file=str(target)))
            for (sheet, row, col), value in expected.items():
                if not _same(book.value(sheet, row, col), value):
                    raise BadInputError(
                        f"报送版回读不一致（{sheet} 第{row + 1}行第{col + 1}列），已放弃写入",
                        Location(file=str(target)),
                    )

    submission = xlsx_writer.Submission(computed, banner, printed, spare_rows(plan, inputs))
    if outputs is not None:
        with outputs.add(target, verify=verify) as temp:
            xlsx_writer.write(plan, temp, inputs, submission=submission)
        return target
    with safe_write.atomic_output(target, verify=verify, protect=protect) as temp:
        xlsx_writer.write(plan, temp, inputs, submission=submission)
    return target


def _csv_tables(doc: document.Document, evaluation: Evaluation) -> dict[str, str]:
    pack = doc.pack
    tables: dict[str, str] = {}
    rows = []
    for section in pack.sections:
        for spec in section.fields:
            if spec.id in doc.fields:
                options = tuple(doc.text(o) for o in spec.options)
                rows.append(
                    [
                        doc.text(section.label),
                        doc.text(spec.label),
                        document.json_value(doc.fields[spec.id], spec.type, options),
                    ]
                )
    tables["基础数据"] = csv_writer.render(["分区", "字段", "值"], rows)
    for table in pack.tables:
        header = [table.row_header, *("/".join(doc.text(p) for p in c.path) for c in table.columns)]
        body = [[r.label, *(r.values.get(c.id) for c in table.columns)] for r in doc.tables.get(table.id, [])]
        tables[doc.text(table.label)] = csv_writer.render(header, body)
    if pack.rows is not None and doc.rows:
        layout = pack.rows
        header = [*layout.levels, layout.target, layout.actual, "分值", "得分", layout.reason]
        body = [[*r.levels, r.target, r.actual, r.weight, r.stated_score, r.reason] for r in doc.rows]
        tables["绩效指标"] = csv_writer.render(header, body)
    scores = [["/".join(r.path), r.weight, r.score, r.stated_score, r.rule] for r in evaluation.indicators]
    tables["得分"] = csv_writer.render(["指标", "分值", "计算得分", "填报得分", "计分说明"], scores)
    return tables


@dataclass
class _Pending:
    """One input's export, staged (every file written beside its target and verified) but not yet moved in."""

    result: Exported
    outputs: safe_write.OutputSet
    book: Path
    pdf: Path | None


@dataclass
class Outcome:
    """What happened to one input of `export_many`: exported (``exported``) or unusable (``error``)."""

    source: Path
    outdir: Path
    exported: Exported | None = None
    error: XlPerfError | None = None


def export(
    source: Path,
    outdir: Path,
    *,
    pdf: bool = False,
    as_json: bool = False,
    as_csv: bool = False,
    force: bool = False,
    overwrite: bool = False,
) -> Exported:
    """Check `source`, then write its submission files to `outdir` as one set: every file is staged and verified
    first, then all replace the earlier export together (see `safe_write.OutputSet`). `overwrite`: the user allows
    replacing files of the same names that xl-perf did not make."""
    (outcome,) = export_many(
        [source], [outdir], pdf=pdf, as_json=as_json, as_csv=as_csv, force=force, overwrite=overwrite
    )
    if outcome.error is not None:
        raise outcome.error
    assert outcome.exported is not None
    return outcome.exported


def subfolders(sources: list[Path], outdir: Path) -> list[Path]:
    """Where each input's files go: `outdir` itself for one input; for several, one subfolder per input named by
    its file name without the extension (numbered -2, -3 ... when two inputs share a name)."""
    if len(sources) == 1:
        return [outdir]
    folders: list[Path] = []
    taken: set[str] = set()
    for source in sources:
        stem = safe_write.safe_stem(source.stem)
        name, n = stem, 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem}-{n}"
        taken.add(name.casefold())
        folders.append(outdir / name)
    return folders


def export_many(
    sources: list[Path],
    outdirs: list[Path],
    *,
    pdf: bool = False,
    as_json: bool = False,
    as_csv: bool = False,
    force: bool = False,
    overwrite: bool = False,
) -> list[Outcome]:
    """`export` of every source into its folder (the folders must exist), with every PDF made by ONE LibreOffice
    session. Each input's files are one set; an unusable input (or one whose PDF fails) is reported in its
    Outcome and writes nothing, and the others are exported all the same."""
    outcomes = [Outcome(s, o) for s, o in zip(sources, outdirs, strict=True)]
    pending: dict[int, _Pending] = {}
    try:
        for index, outcome in enumerate(outcomes):
            try:
                staged = _stage(outcome, pdf=pdf, as_json=as_json, as_csv=as_csv, force=force, overwrite=overwrite)
            except XlPerfError as exc:
                outcome.error = exc
                continue
            if staged is not None:
                pending[index] = staged
        if pdf:
            _pdfs(outcomes, pending)
        for index, staged in list(pending.items()):
            del pending[index]
            try:
                staged.outputs.commit()
            except XlPerfError as exc:
                outcomes[index].exported, outcomes[index].error = None, exc
    finally:
        for staged in pending.values():  # an interruption: nothing of an uncommitted set is left behind
            staged.outputs.discard()
    return outcomes


def _stage(
    outcome: Outcome, *, pdf: bool, as_json: bool, as_csv: bool, force: bool, overwrite: bool
) -> _Pending | None:
    """Check one input and stage its files; None when the check refuses the export (errors without --force)."""
    source, outdir = outcome.source, outcome.outdir
    if not outdir.is_dir():
        raise BadInputError("输出文件夹不存在", Location(file=str(outdir)))
    report = check_files([source])
    if report.bad:
        raise report.bad[0][1]
    result = Exported(report)
    outcome.exported = result
    if report.errors and not force:
        result.refused = True
        return None
    checked = report.checked[0]
    doc, evaluation = checked.doc, checked.evaluation
    stem = sources.file_name(doc).removesuffix(".xlsx")
    # `export 工作簿.xlsx -o .` must never replace the workbook it reads
    outputs = safe_write.OutputSet([source], overwrite)
    try:
        book = outdir / f"{stem}.xlsx"
        write_submission(doc, evaluation, book, banner=BANNER if report.errors else "", outputs=outputs)
        result.files.append(book)
        staged_book = outputs.staged[-1].temp
        pdf_target = outdir / f"{stem}.pdf" if pdf else None
        if pdf_target is not None:
            result.files.append(pdf_target)
        if as_json:
            data = {
                **evaluation.as_dict(),
                "data": document.to_dict(doc),
                "findings": [f.as_dict() for f in checked.findings],
            }
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
            result.files.append(outputs.write_text(outdir / f"{stem}.json", text))
        if as_csv:
            for name, text in _csv_tables(doc, evaluation).items():
                target = outdir / f"{stem}_{sources.safe_name(name)}.csv"
                result.files.append(outputs.write_text(target, text, encoding="utf-8", newline=""))
    except BaseException:
        outputs.discard()
        outcome.exported = None
        raise
    return _Pending(result, outputs, staged_book, pdf_target)


def _verify_pdf(path: Path) -> None:
    with open(path, "rb") as fh:
        if fh.read(5) != b"%PDF-":
            raise XlPerfError("PDF 生成失败，已放弃写入")


def _pdfs(outcomes: list[Outcome], pending: dict[int, _Pending]) -> None:
    """The PDFs of every staged submission copy, from one LibreOffice session, each added to its input's set. An
    input whose PDF fails is dropped (its set discarded, its Outcome given the error); the others go on.

    LibreOffice works on copies named as the final workbooks (the name is the PDF's title) in a scratch folder in
    the first output folder: the workbooks' data never goes to the system's temp folder, and a killed run's scratch
    folder is removed by the next run there."""
    from xl_perf.io.libreoffice import LibreOfficeError, converter

    wanted = {i: p for i, p in pending.items() if p.pdf is not None}
    if not wanted:
        return
    first = next(iter(wanted.values()))
    assert first.pdf is not None
    scratch = safe_write.scratch_folder(first.pdf.parent)
    try:
        pairs = {i: (p.book, scratch / str(i) / p.pdf.name) for i, p in wanted.items() if p.pdf is not None}
        failed: set[Path] = set()
        general: LibreOfficeError | None = None
        try:
            converter().convert_to(list(pairs.values()), "pdf", scratch=scratch)
        except LibreOfficeError as exc:
            if exc.failed:
                failed = set(exc.failed)
            else:  # LibreOffice missing, crashed or timed out: no PDF for anyone
                general = exc
        for index, (book, made) in pairs.items():
            staged = wanted[index]
            try:
                if general is not None:
                    raise general
                if book in failed:
                    raise XlPerfError(f"无法为 {outcomes[index].source} 生成 PDF：LibreOffice 未能转换报送版")
                assert staged.pdf is not None
                with staged.outputs.add(staged.pdf, verify=_verify_pdf) as temp:
                    shutil.copyfile(made, temp)
            except XlPerfError as exc:
                staged.outputs.discard()
                del pending[index]
                outcomes[index].exported, outcomes[index].error = None, exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
