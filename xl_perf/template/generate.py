"""Generate blank templates, fill them with a data document, and read them back.

Every workbook is written fresh from the template description (never by loading and re-saving a user's file), into a
temp file that is re-read and compared with what was meant to be written before it replaces the target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from xl_perf import document
from xl_perf.engine.evaluate import evaluate
from xl_perf.engine.findings import Ref
from xl_perf.errors import BadInputError, Location, XlPerfError
from xl_perf.io import safe_write, xlsx_writer
from xl_perf.io.workbook import FileWorkbook, open_untrusted
from xl_perf.rules import loader
from xl_perf.template import fill, layout, native, read

FormulaFactory = Callable[[document.Document], layout.FormulaBuilder]


def build_layout(doc: document.Document, formulas: FormulaFactory = native.NativeFormulas) -> layout.Layout:
    return layout.build(doc, formulas(doc))


BUTTONS = (("XlPerfValidateAndExport", "校验并导出"), ("XlPerfValidate", "校验"), ("XlPerfExport", "导出"))


def macro_parts(plan: layout.Layout) -> xlsx_writer.MacroParts:
    """The VBA project, buttons and xlwings configuration of the .xlsm variant."""
    from xl_perf.excel import project

    code_names = tuple(f"Sheet{i}" for i in range(1, len(plan.sheets) + 3))
    return xlsx_writer.MacroParts(project.vba_project(code_names), BUTTONS, project.XLWINGS_CONFIG)


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
    macro: bool = False,
    overwrite: bool = False,
    replace: bool = True,
) -> Path:
    """Write `doc` as a workbook at `target` (.xlsx with native formulas, or .xlsm with UDFs, buttons and VBA);
    verified by reading it back into the same data document before it replaces the target (with `overwrite`
    False, an existing target is refused, also when one appears while writing)."""
    if macro:
        from xl_perf.excel.formulas import UdfFormulas

        plan = build_layout(doc, UdfFormulas)
    else:
        plan = build_layout(doc)
    evaluation = evaluate(doc)
    values = fill.values_for(plan, doc)
    cached = fill.cached_for(evaluation)
    expected = document.to_dict(doc)

    def verify(path: Path) -> None:
        with FileWorkbook(path) as book:
            written = document.to_dict(read.read_document(book))
        if written != expected:
            raise BadInputError("写入后回读的数据与原数据不一致，已放弃写入", Location(file=str(target)))

    # `overwrite`: the user allows replacing a file of that name xl-perf did not make (or they have edited since);
    # `replace` False: no existing file is replaced at all (a new blank workbook never goes over a filled one).
    with safe_write.atomic_output(target, verify=verify, protect=protect, overwrite=replace, foreign=overwrite) as temp:
        xlsx_writer.write(plan, temp, values, cached, macro=macro_parts(plan) if macro else None)
    return target


def safe_name(text: str, max_bytes: int = 150) -> str:
    """`text` as part of a file name: see `safe_write.safe_stem` (no separators, control or bidi characters, no
    leading dot or "~$", at most `max_bytes` bytes with a short hash keeping long names apart)."""
    return safe_write.safe_stem(text, max_bytes)


def file_name(doc: document.Document, suffix: str = ".xlsx") -> str:
    """ "单位_年度_[项目_]表名" + suffix, safe on every system. A long unit or project name is shortened (with a
    short hash, so different long names stay apart) and the year and the form's title are always kept: the name
    stays under 200 bytes, room left for "_表名.csv" under the 255 bytes file systems allow."""
    title = doc.text(doc.pack.title)
    project = doc.fields.get("project_name")
    parts = [safe_name(doc.unit or "空白", 60), str(doc.year)]
    if isinstance(project, str) and project:
        parts.append(safe_name(project, 60))
    parts.append(safe_name(title, 60))
    return safe_name("_".join(parts), 190) + suffix


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


def load_any(path: Path, *, lenient: bool = False) -> tuple[document.Document, Callable[[Ref], Location]]:
    """A data document from a .json file or a workbook (for score and check), and where its findings point.
    Workbooks are inspected and parsed in a memory-capped child process first (`open_untrusted`, or for an old .xls
    `legacy_xls.open_workbook`); a workbook xl-perf did not make is read as a foreign form (`foreign.importer`)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        doc = document.load_path(path, lenient=lenient)
        return doc, document.locator(doc)
    from xl_perf.foreign import importer  # forms others made (and old .xls) are imported in memory
    from xl_perf.io.legacy_xls import open_workbook

    book = open_workbook(path)
    if not importer.is_own_template(book):
        return importer.for_check(path, book)
    doc = read.read_document(book, lenient=lenient)
    return doc, read.locator(book, doc)


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


def dump(path: Path) -> dict[str, object]:
    return document.to_dict(load_any(path)[0])


def stamp() -> dt.datetime:
    return dt.datetime(2000, 1, 1)
