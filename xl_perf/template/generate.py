"""Generate blank templates and fill them with a data document.

Every workbook is written fresh from the template description (never by loading and re-saving a user's file), into a
temp file that is re-read and compared with what was meant to be written before it replaces the target.

The .xlsm variant (UDF formulas, VBA project, buttons) is composed by its caller: the Excel integration supplies
it as a `MacroVariant` (`xl_perf.excel.project.macro_variant`), so the template knows nothing of Excel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from xl_perf.errors import BadInputError, Location, XlPerfError
from xl_perf.io import safe_write
from xl_perf.io.workbook import FileWorkbook, open_untrusted
from xl_perf.model import document
from xl_perf.model.evaluation import evaluate
from xl_perf.rules import loader
from xl_perf.template import builder, layout, native, read

if TYPE_CHECKING:  # the writer (and XlsxWriter) only when a workbook is written: `check` reads
    from xl_perf.io import xlsx_writer

FormulaFactory = Callable[[document.Document], layout.FormulaBuilder]


def build_layout(doc: document.Document, formulas: FormulaFactory = native.NativeFormulas) -> layout.Layout:
    return builder.build(doc, formulas(doc))


@dataclass(frozen=True)
class MacroVariant:
    """What turns a workbook into the .xlsm variant: its formula builder (computed cells calling the UDFs) and the
    macro parts (VBA project, buttons, xlwings configuration) for a layout."""

    formulas: FormulaFactory
    parts: Callable[[layout.Layout], xlsx_writer.MacroParts]


def refuse_existing(targets: list[Path], instead: str = "换一个输出文件夹") -> None:
    """A new workbook never replaces a file already there: it may have been filled in since it was made."""
    for target in targets:
        if target.exists() or target.is_symlink():
            raise XlPerfError(f"{target} 已存在，未覆盖（其中可能已有填写的内容）：请先把它移走或改名，或{instead}")


def write_workbook(
    doc: document.Document,
    target: Path,
    *,
    protect: tuple[Path, ...] = (),
    macro: MacroVariant | None = None,
    overwrite: bool = False,
    replace: bool = True,
) -> Path:
    """Write `doc` as a workbook at `target` (.xlsx with native formulas, or with `macro` the .xlsm variant);
    verified by reading it back into the same data document before it replaces the target (with `overwrite`
    False, an existing target is refused, also when one appears while writing)."""
    plan = build_layout(doc, macro.formulas) if macro is not None else build_layout(doc)
    from xl_perf.template import fill  # with the writer (XlsxWriter): only when a workbook is written

    evaluation = evaluate(doc)
    values = fill.values_for(plan, doc)
    cached = fill.cached_for(evaluation)
    expected = document.to_dict(doc)

    def verify(path: Path) -> None:
        with FileWorkbook(path) as book:
            written = document.to_dict(read.read_document(book))
        if written != expected:
            raise BadInputError("写入后回读的数据与原数据不一致，已放弃写入", Location(file=str(target)))

    from xl_perf.io import xlsx_writer

    # `overwrite`: the user allows replacing a file of that name xl-perf did not make (or they have edited since);
    # `replace` False: no existing file is replaced at all (a new blank workbook never goes over a filled one).
    with safe_write.atomic_output(target, verify=verify, protect=protect, overwrite=replace, foreign=overwrite) as temp:
        xlsx_writer.write(plan, temp, values, cached, macro=macro.parts(plan) if macro is not None else None)
    return target


def new_documents(framework: str, year: int, unit: str, level: str, projects: list[str]) -> list[document.Document]:
    """Blank documents for `xl-perf new`: one per project for project frameworks, else one."""
    pack = loader.load(framework)
    base = {"schema": document.SCHEMA, "framework": framework, "unit": unit, "year": year, "level": level}
    if pack.kind == "xiangmu":
        names = projects or [""]
        docs = []
        for name in names:
            fields: dict[str, dict[str, object]] = {}
            section = next(s for s in pack.sections if any(f.id == "project_name" for f in s.fields))
            if name:
                fields[section.label] = {"项目名称": name}
            if unit:
                for spec in section.fields:
                    if spec.id in ("department", "implementer"):
                        fields.setdefault(section.label, {})[spec.label] = unit
            docs.append(document.from_dict({**base, "fields": fields}))
        return docs
    data: dict[str, object] = dict(base)
    if unit:
        unit_fields = [(s, f) for s in pack.sections for f in s.fields if f.id in ("unit_name", "department")]
        data["fields"] = {s.label: {f.label: unit} for s, f in unit_fields}
    if projects and pack.tables:
        table = pack.tables[0]
        doc = document.empty(framework, year, level, unit)
        rows = []
        fixed = next((r for r in table.rows if r.repeat), None)
        if fixed is not None:
            anchor_index = table.rows.index(fixed) - 1
            anchor = table.rows[anchor_index]
            rows.append({table.row_header: doc.text(anchor.label)})
            rows += [{table.row_header: f"项目{i}：{name}"} for i, name in enumerate(projects, 1)]
        data["tables"] = {doc.text(table.label): rows}
    return [document.from_dict(data)]


def fill_template(template: Path, data: Path, target: Path, *, overwrite: bool = False) -> Path:
    meta = read.read_meta(open_untrusted(template))
    doc = document.load_path(data)
    if doc.pack.id != meta.get("framework"):
        raise BadInputError(
            f"数据文档的框架 {doc.pack.id} 与模板的框架 {meta.get('framework')} 不符", Location(file=str(data))
        )
    if str(doc.year) != meta.get("year"):
        raise BadInputError(f"数据文档的年度 {doc.year} 与模板的年度 {meta.get('year')} 不符", Location(file=str(data)))
    return write_workbook(doc, target, protect=(template, data), overwrite=overwrite)
