"""Read a filled workbook back into a data document, through the defined names its template carries.

Names move with their cells when users insert rows (Excel, WPS and LibreOffice all do this), so reading does not
depend on fixed addresses. Input cells that still hold their default formula (a computed rate or score the unit
accepted) are not "stated" values and are left out; so is a 合计 that still holds its formula: the total the unit
submits is then the one the form shows, which the engine derives from the same rules (`Evaluation.form_total`).
A formula's cached value is never read as a claim: files written by the tool, or saved by a script, carry
placeholders there (workbooks/README.md, “表上显示什么，就报送什么”).
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xl_perf.errors import BadInputError, Location
from xl_perf.findings import Ref
from xl_perf.io.workbook import CellValue, NameTarget, WorkbookData
from xl_perf.model import document
from xl_perf.numbers import to_decimal
from xl_perf.rules import loader, model
from xl_perf.rules.view import PackView
from xl_perf.template import meta_check
from xl_perf.template.layout import (
    META_SHEET,
    ROWS_NAME,
    STATED_TOTAL_NAME,
    field_name,
    stated_name,
    table_name,
    weight_name,
)

UNIT_FIELDS = ("unit_name", "department", "implementer")  # where each framework's forms name the unit


def read_meta(book: WorkbookData) -> dict[str, str]:
    if META_SHEET not in book.sheet_names():
        raise BadInputError(
            "这不是绩效自评助手生成的工作簿（缺少隐藏的 _xlperf 表），无法识别其格式；请用 xl-perf new 生成模板后填写",
            Location(file=book.source),
        )
    meta: dict[str, str] = {}
    rows: dict[str, int] = {}
    for row in range(meta_check.MAX_META_ROWS):
        key = book.value(META_SHEET, row, 0)
        if key is None:
            break
        value = book.value(META_SHEET, row, 1)
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            value = int(value)  # a text cell a spreadsheet program turned into a number: 2022.0 is 2022
        meta[str(key)] = "" if value is None else str(value)
        rows.setdefault(str(key), row)
    return meta_check.check_meta(meta, rows, book.source)


_WHOLE = 10**15  # whole numbers below this keep every digit through the 15 significant digits of `to_decimal`


def _json_cell(value: CellValue, spec_type: str) -> object:
    if value is None:
        return None
    if type(value) is str:  # most cells: skip the date and number tests below
        return value.strip() or None
    if ((type(value) is float and value.is_integer()) or type(value) is int) and -_WHOLE < value < _WHOLE:
        # A whole number of at most 15 digits: what the Decimal route below makes of it, without the Decimal.
        whole = int(value)
        return whole if spec_type in model.NUMERIC_TYPES or spec_type == "" else str(whole)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        try:
            number = to_decimal(value).normalize()
        except ValueError:  # beyond 1e±20, NaN: the document reports it at its key, as for any unusable value
            return value
        if spec_type in model.NUMERIC_TYPES or spec_type == "":
            return int(number) if number == number.to_integral_value() else float(number)
        return format(number, "f") if number != number.to_integral_value() else str(int(number))
    text = str(value).strip()
    return text or None


def _cell(book: WorkbookData, target: NameTarget) -> CellValue:
    return book.value(target.sheet, *target.first)


@dataclass(frozen=True)
class _FieldPlan:
    name: str  # the defined name of its cell
    stated: bool  # a stated rate: its default formula is not a value
    type: str
    section: str  # labels as printed for the year and level
    label: str


@dataclass(frozen=True)
class _TablePlan:
    spec: model.TableSpec
    name: str
    label: str
    fixed_labels: frozenset[str]  # labels of the fixed rows, without spaces
    columns: tuple[tuple[str, str], ...]  # (header path, type) of each column after the label column
    distinct: bool  # no two columns print the same header path


@dataclass(frozen=True)
class _IndicatorPlan:
    stated: str  # defined names of the entered score and, when adjustable, of the weight
    weight: str | None
    key: str  # score key in the data document


@dataclass(frozen=True)
class _Plan:
    """What reading a workbook of one pack, year and level looks for: names, labels, keys. Shared: read-only."""

    expected: tuple[str, ...]
    fields: tuple[_FieldPlan, ...]
    tables: tuple[_TablePlan, ...]
    indicators: tuple[_IndicatorPlan, ...]
    keys_by_id: dict[str, str]


# The reading plan of each pack view; an entry goes with its view (and so with its pack).
_PLANS: weakref.WeakKeyDictionary[PackView, _Plan] = weakref.WeakKeyDictionary()


def _plan(base: document.Document) -> _Plan:
    # Every workbook of a framework is read through the same few hundred names and labels: derive them once.
    view = base.view
    plan = _PLANS.get(view)
    if plan is None:
        plan = _PLANS[view] = _build_plan(base)
    return plan


def _known_plan(pack: model.RulePack, year: int, level: str) -> _Plan | None:
    """The plan of an earlier workbook of the same pack, year and level (whose blank document was accepted, as this
    one's would be: the unit, the only other part of it, is always text), or None."""
    view = pack.views.get((year, level))
    return None if view is None else _PLANS.get(view)


def _build_plan(base: document.Document) -> _Plan:
    pack = base.pack
    fields = tuple(
        _FieldPlan(
            field_name(spec.id), spec.stated_of is not None, spec.type, base.text(section.label), base.text(spec.label)
        )
        for section in pack.sections
        for spec in section.fields
    )
    tables = []
    for table in pack.tables:
        columns = tuple(("/".join(base.text(p) for p in column.path), column.type) for column in table.columns)
        tables.append(
            _TablePlan(
                table,
                table_name(table.id),
                base.text(table.label),
                frozenset(base.text(r.label).replace(" ", "") for r in table.rows if not r.repeat),
                columns,
                len({key for key, _ in columns}) == len(columns),
            )
        )
    keys_by_id = document.score_keys(base)
    indicators = tuple(
        _IndicatorPlan(
            stated_name(indicator.id),
            weight_name(indicator.id) if indicator.adjustable else None,
            keys_by_id[indicator.id],
        )
        for indicator in pack.indicators
    )
    expected = tuple([field_name(f) for f in pack.fields] + [table_name(t.id) for t in pack.tables])
    return _Plan(expected, fields, tuple(tables), indicators, keys_by_id)


def read_dict(book: WorkbookData) -> dict[str, object]:
    """The data document of a workbook of the template layout, as a dictionary: the metadata, then the fields,
    tables, indicator rows and entered scores found through its defined names."""
    meta = read_meta(book)
    framework = meta.get("framework", "")
    pack = loader.load(framework)
    year = int(meta.get("year", "0") or 0)
    level = meta.get("level", "县")
    unit = meta.get("unit", "")
    plan = _known_plan(pack, year, level)
    if plan is None:
        # The blank document checks the year and level (a bad one is refused here); the plan is derived from it.
        plan = _plan(document.empty(pack.id, year, level, unit))
    names = book.names()
    _check_names(book, plan, names)
    data: dict[str, object] = {
        "schema": document.SCHEMA,
        "framework": pack.id,
        "unit": unit or _unit_of_form(book, names) or unit,
        "year": year,
        "level": level,
    }
    data["fields"] = _read_fields(book, plan, names)
    tables = {p.label: rows for p in plan.tables if (rows := _read_table(book, p, names.get(p.name)))}
    if tables:
        data["tables"] = tables
    region = names.get(ROWS_NAME)
    if pack.rows is not None and region is not None:
        rows = _read_indicator_rows(book, pack.rows, region)
        if rows:
            data["indicator_rows"] = rows
    data.update(_read_scores(book, plan, names))
    data.update(_read_meta_choices(book, meta, plan.keys_by_id))
    return data


def _check_names(book: WorkbookData, plan: _Plan, names: dict[str, NameTarget]) -> None:
    """Every name the reading needs points into a sheet of the workbook, or the workbook is refused."""
    sheets = set(book.sheet_names())
    # The entered scores too: a score sheet renamed or removed behind the names' back must not silently drop them.
    expected = (*plan.expected, *(i.stated for i in plan.indicators))
    broken = [n for n in expected if n not in names or names[n].sheet not in sheets]
    if broken:
        raise BadInputError(
            f"工作簿缺少 {len(broken)} 个填写项（如 {broken[0]}）：模板的工作表可能被删除、改名或另存时丢失了定义名称；"
            "请用 xl-perf new 重新生成模板后把数据填回",
            Location(file=book.source),
        )


def _unit_of_form(book: WorkbookData, names: dict[str, NameTarget]) -> str | None:
    """A blank template filled in by hand: the unit is whatever the form's own unit field says."""
    for field_id in UNIT_FIELDS:
        target = names.get(field_name(field_id))
        value = _json_cell(_cell(book, target), "text") if target is not None else None
        if isinstance(value, str):
            return value
    return None


def _stated(book: WorkbookData, target: NameTarget | None) -> CellValue:
    """What the unit entered in a cell whose default is a formula: nothing while the formula is kept."""
    if target is None or book.is_formula(target.sheet, *target.first):
        return None
    return _cell(book, target)


def _read_fields(book: WorkbookData, plan: _Plan, names: dict[str, NameTarget]) -> dict[str, dict[str, object]]:
    fields: dict[str, dict[str, object]] = {}
    for field in plan.fields:
        target = names.get(field.name)
        if target is None:
            continue
        raw = _stated(book, target) if field.stated else _cell(book, target)
        value = _json_cell(raw, field.type)
        if value is not None:
            fields.setdefault(field.section, {})[field.label] = value
    return fields


def _read_table(book: WorkbookData, table_plan: _TablePlan, target: NameTarget | None) -> list[dict[str, object]]:
    """The filled rows of one table: fixed rows by their label, repeat rows numbered 项目N when unlabelled."""
    if target is None:
        return []
    table = table_plan.spec
    rows: list[dict[str, object]] = []
    fixed_labels = table_plan.fixed_labels
    columns = table_plan.columns
    group_count = 0
    meta_check.check_region_width(
        table_plan.name, target.first[1], target.last[1], 1 + len(columns), book.source, target.sheet
    )
    for _, cells in book.region(target, 1 + len(columns)):
        label = _json_cell(cells[0], "text")
        if table_plan.distinct:
            # Most cells of a table are blank: skip them without building the full row first.
            values = {}
            for index, (key, kind) in enumerate(columns):
                cell = cells[1 + index]
                if cell is not None and (value := _json_cell(cell, kind)) is not None:
                    values[key] = value
        else:  # two columns print the same header: the later cell decides, blank or not
            values = {key: _json_cell(cells[1 + index], kind) for index, (key, kind) in enumerate(columns)}
            values = {k: v for k, v in values.items() if v is not None}
        is_fixed = isinstance(label, str) and label.replace(" ", "") in fixed_labels
        if is_fixed:
            group_count = 0
        else:
            group_count += 1
        if not values and (is_fixed or label is None):
            continue
        if label is None:
            label = f"项目{group_count}"
        rows.append({table.row_header: label, **values})
    return rows


def _read_indicator_rows(book: WorkbookData, layout: model.RowLayout, region: NameTarget) -> list[dict[str, object]]:
    """The unit's filled indicator rows (blank spare rows skipped; a score still its formula is not entered)."""
    keys = [*layout.levels, layout.target, layout.actual]
    if layout.weight:
        keys.append(layout.weight)
    if layout.score:
        keys.append(layout.score)
    keys.append(layout.reason)
    # (index, key, type, is the entered score) of each column, the same for every row
    row_columns = [
        (index, key, "score" if key in (layout.weight, layout.score) else "text", key == layout.score)
        for index, key in enumerate(keys)
    ]
    width = len(keys)
    meta_check.check_region_width(ROWS_NAME, region.first[1], region.last[1], width, book.source, region.sheet)
    # Only the columns read (the region may be wider): a narrower region, the same cells in the same places.
    last_row, last_col = region.last
    read_region = NameTarget(region.sheet, region.first, (last_row, min(last_col, region.first[1] + width - 1)))
    out_rows = []
    for row, cells in book.region(read_region):
        if len(cells) >= width and cells[:width].count(None) == width:
            continue  # a blank spare row, as most are: nothing in it to read
        item: dict[str, object] = {}
        for index, key, kind, is_score in row_columns:
            if is_score and book.is_formula(region.sheet, row, region.first[1] + index):
                continue
            value = _json_cell(cells[index], kind)
            if value is not None:
                item[key] = value
        if item:
            out_rows.append(item)
    return out_rows


def _read_scores(book: WorkbookData, plan: _Plan, names: dict[str, NameTarget]) -> dict[str, object]:
    """The entered scores, weights and total (cells still holding their formula are not entered)."""
    data: dict[str, object] = {}
    scores = {}
    weights = {}
    for indicator in plan.indicators:
        value = _json_cell(_stated(book, names.get(indicator.stated)), "score")
        if value is not None:
            scores[indicator.key] = value
        if indicator.weight is not None:
            weight = _json_cell(_stated(book, names.get(indicator.weight)), "score")
            if weight is not None:
                weights[indicator.key] = weight
    if scores:
        data["scores"] = scores
    if weights:
        data["weights"] = weights
    total = _json_cell(_stated(book, names.get(STATED_TOTAL_NAME)), "score")
    if total is not None:
        data["stated_total"] = total
    return data


def _read_meta_choices(book: WorkbookData, meta: dict[str, str], keys_by_id: dict[str, str]) -> dict[str, object]:
    """Parameters, options and the indicators marked 不适用, as the hidden metadata sheet records them."""
    data: dict[str, object] = {}
    for key in ("params", "options"):
        parsed = _json_meta(meta.get(key) or "{}")
        if parsed:
            data[key] = parsed
    not_applicable = _json_meta(meta.get("not_applicable") or "[]")
    if not_applicable:
        unknown = meta_check.unknown_not_applicable(not_applicable, keys_by_id, book.source, -1)
        if unknown is not None:
            raise unknown
        data["not_applicable"] = [keys_by_id[i] for i in not_applicable]
    return data


def _json_meta(text: str) -> Any:
    """A JSON value of the metadata sheet; usually an empty object or list, which needs no parser."""
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return json.loads(text)


def read_document(book: WorkbookData, *, lenient: bool = False) -> document.Document:
    return document.from_dict(read_dict(book), source=book.source, lenient=lenient)


def locator(book: WorkbookData, doc: document.Document) -> Callable[[Ref], Location]:
    """Translate the engine's logical places into sheet and cell of this workbook (through its defined names)."""
    from xl_perf.io.cells import address
    from xl_perf.template.layout import score_name

    names = book.names()

    def at(name: str, row_offset: int = 0, col_offset: int = 0) -> Location | None:
        target = names.get(name)
        if target is None:
            return None
        row, col = target.first
        return Location(file=book.source, sheet=target.sheet, cell=address(row + row_offset, col + col_offset))

    def locate(ref: Ref) -> Location:
        found: Location | None = None
        if ref.kind == "field":
            found = at(field_name(ref.id))
        elif ref.kind == "indicator":
            found = at(stated_name(ref.id)) or at(score_name(ref.id))
        elif ref.kind == "row" and ref.row is not None:
            found = at(ROWS_NAME, _nth_filled_row(book, names.get(ROWS_NAME), ref.row))
        elif ref.kind == "cell" and ref.row is not None:
            table = doc.pack.table(ref.id)
            column = 0 if ref.column is None else 1 + [c.id for c in table.columns].index(ref.column)
            found = at(table_name(ref.id), _table_offset(book, names.get(table_name(ref.id)), doc, ref), column)
        elif ref.kind == "document" and ref.id in ("stated_total", "total"):
            found = at(STATED_TOTAL_NAME)
        elif ref.kind == "document" and ref.id == "unit":
            found = next((loc for f in UNIT_FIELDS if (loc := at(field_name(f))) is not None), None)
        return found or Location(file=book.source)

    return locate


def _table_offset(book: WorkbookData, region: NameTarget | None, doc: document.Document, ref: Ref) -> int:
    """Offset in the table region of the document's ref.row-th row (found by its label; blank rows are skipped)."""
    rows = doc.tables.get(ref.id, [])
    if region is None or ref.row is None or ref.row >= len(rows):
        return ref.row or 0
    label = rows[ref.row].label.replace(" ", "")
    seen = sum(1 for r in rows[: ref.row] if r.label.replace(" ", "") == label)
    for offset, (_, cells) in enumerate(book.region(region, 1)):
        if str(cells[0] or "").replace(" ", "") == label:
            if seen == 0:
                return offset
            seen -= 1
    return ref.row


def _nth_filled_row(book: WorkbookData, region: NameTarget | None, index: int) -> int:
    """Offset of the index-th non-empty indicator row (blank spare rows are skipped when reading)."""
    if region is None:
        return index
    seen = -1
    for offset, (_, cells) in enumerate(book.region(region)):
        if any(v not in (None, "") for v in cells[:-2]):
            seen += 1
            if seen == index:
                return offset
    return index
