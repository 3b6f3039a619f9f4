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
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, IndicatorResult
from xl_perf.numbers import format_number
from xl_perf.rules import model
from xl_perf.template import fill, generate
from xl_perf.template.layout import Cell, Layout, rate_name, stated_name, weight_name
from xl_perf.validate.run import Report, check_files

BANNER = "未通过校验"
_NAME = re.compile(r"xp_[a-z0-9_]+")


@dataclass
class Exported:
    report: Report
    files: list[Path] = field(default_factory=list)
    refused: bool = False


def computed_values(plan: Layout, evaluation: Evaluation) -> dict[tuple[str, int, int], CellValue]:
    """The value every formula cell of `plan` shows, from the engine (by the cell's defined name or its role)."""
    doc = evaluation.document
    cached = fill.cached_for(evaluation)
    rows = {r.row_index: r for r in evaluation.rows}
    values: dict[tuple[str, int, int], CellValue] = {}
    for sheet in plan.sheets:
        for (row, col), cell in sheet.cells.items():
            if not cell.formula or col >= sheet.print_cols:
                continue
            value: CellValue = None
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
                    value = sum(parts, Decimal(0))  # type: ignore[arg-type]
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


def printed_values(plan: Layout, evaluation: Evaluation) -> dict[tuple[str, int, int], CellValue]:
    """Cells printed as the engine applied the rules rather than as the form states them: every weight as applied
    after a redistribution, 不适用 (weight 0) for an indicator that does not apply, with where its points went in its
    评分说明, and the receiving indicator's 评分说明 naming the points it received."""
    by_weight = {weight_name(r.id): r for r in evaluation.indicators}
    by_stated = {stated_name(r.id): r for r in evaluation.indicators}
    scored = [r for r in evaluation.indicators if r.kind != "bonus_penalty"]
    given = {r.id: _moved_to(evaluation, r.id) for r in scored if r.weight < r.declared_weight}
    printed: dict[tuple[str, int, int], CellValue] = {}
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


def _expected_grid(plan: Layout, inputs: dict, computed: dict, printed: dict) -> dict[tuple[str, int, int], CellValue]:
    grid: dict[tuple[str, int, int], CellValue] = {}
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


def _same(written: CellValue, expected: CellValue) -> bool:
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
    if not outdir.is_dir():
        raise BadInputError("输出文件夹不存在", Location(file=str(outdir)))
    report = check_files([source])
    if report.bad:
        raise report.bad[0][1]
    result = Exported(report)
    if report.errors and not force:
        result.refused = True
        return result
    checked = report.checked[0]
    doc, evaluation = checked.doc, checked.evaluation
    stem = generate.file_name(doc).removesuffix(".xlsx")
    protect = (source,)  # `export 工作簿.xlsx -o .` must never replace the workbook it reads
    with safe_write.output_set(protect=protect, foreign=overwrite) as outputs:
        book = outdir / f"{stem}.xlsx"
        write_submission(doc, evaluation, book, banner=BANNER if report.errors else "", outputs=outputs)
        result.files.append(book)
        if pdf:
            result.files.append(_pdf(outputs, outputs.staged[-1].temp, outdir / f"{stem}.pdf"))
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
                target = outdir / f"{stem}_{generate.safe_name(name)}.csv"
                result.files.append(outputs.write_text(target, text, encoding="utf-8", newline=""))
    return result


def _pdf(outputs: safe_write.OutputSet, staged_book: Path, target: Path) -> Path:
    """The PDF of the staged submission copy. LibreOffice works on a copy named as the final workbook (its name is
    the PDF's title), in a scratch folder beside the target: the workbook's data never goes to the system's temp
    folder, and a killed run's scratch folder is removed by the next run there."""
    from xl_perf.io.libreoffice import converter

    scratch = safe_write.scratch_folder(target.parent)
    try:
        named = scratch / target.with_suffix(".xlsx").name
        shutil.copyfile(staged_book, named)
        (converted,) = converter().convert([named], "pdf", scratch / "pdf", scratch=scratch)

        def verify(path: Path) -> None:
            with open(path, "rb") as fh:
                if fh.read(5) != b"%PDF-":
                    raise XlPerfError("PDF 生成失败，已放弃写入")

        with outputs.add(target, verify=verify) as temp:
            shutil.copyfile(converted, temp)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
