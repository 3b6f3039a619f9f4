"""The data document: one self-evaluation as JSON, independent of any spreadsheet.

Shape (documented for users in workbooks/README.md):

    {
      "schema": "xl-perf/1",
      "framework": "gd-county-zhengti",          # a rule-pack id
      "unit": "遂溪县港门镇人民政府", "year": 2022, "level": "镇",
      "fields": {"资产管理": {"固定资产总额（原值）": 623.731085, ...}, ...},   # section label -> field label -> value
      "tables": {"财政资金情况": [{"项目": "总计", "财政下达预算情况/小计": 6073.094524, ...}, ...]},
      "indicator_rows": [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "...", ...}],
      "scores": {"支出完成率": 4, ...},             # the scores the unit entered, by indicator name or id
      "stated_total": 94,
      "weights": {}, "not_applicable": [], "params": {}, "options": {}
    }

Labels are the official ones as printed for the document's level and year (e.g. "县委督查得分").
Loading collects every problem before failing, and names each offending key in Chinese.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xl_perf.errors import BadInputError, Location, describe_os_error, quoted
from xl_perf.findings import Ref
from xl_perf.model import filing_keys
from xl_perf.model.values import (
    Problems,
    Value,
    ValueProblem,
    parse_value,
    suggest,
)
from xl_perf.numbers import to_decimal
from xl_perf.rules import loader, model
from xl_perf.rules.view import PackView

SCHEMA = "xl-perf/1"
LEVELS = ("县", "市", "镇")
TOP_KEYS = (
    "schema",
    "framework",
    "unit",
    "year",
    "level",
    "fields",
    "tables",
    "indicator_rows",
    "scores",
    "stated_total",
    "weights",
    "not_applicable",
    "params",
    "options",
    "stated_rates",
    "weight_system",
)
_TOP_KEYS = frozenset(TOP_KEYS)


@dataclass
class TableRow:
    row_id: str  # the pack's row id ("total", "own_project", ...)
    label: str  # as written by the unit (e.g. "项目1：遂溪县港门镇乡村振兴基础设施综合提升项目")
    values: dict[str, Value]  # column id -> value
    index: int  # position in the document's list


@dataclass
class IndicatorRow:
    levels: tuple[str, ...]
    target: str
    actual: str
    weight: Decimal | None
    stated_score: Decimal | None
    reason: str
    index: int
    nature: str = ""  # 指标性质 as the form states it: 正向 / 反向 / 等于 / 定性 ("" when not stated)
    degree: str = ""  # 完成程度 of a 定性 row: 达成 / 部分达成 / 未达成


@dataclass
class Document:
    pack: model.RulePack
    unit: str
    year: int
    level: str
    fields: dict[str, Value] = field(default_factory=dict)  # field id -> value (blank fields absent)
    tables: dict[str, list[TableRow]] = field(default_factory=dict)
    rows: list[IndicatorRow] = field(default_factory=list)
    stated_scores: dict[str, Decimal] = field(default_factory=dict)  # indicator id -> score
    stated_total: Decimal | None = None
    weights: dict[str, Decimal] = field(default_factory=dict)
    not_applicable: tuple[str, ...] = ()
    params: dict[str, object] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)
    # The rates as the form prints them (rate id -> (text, value)): "86%" is checked to its printed precision.
    stated_rates: dict[str, tuple[str, Decimal | None]] = field(default_factory=dict)
    # How the filing divides its points (pack [[weight_systems]]): a system's id, or "auto" (its rows' 一级指标 and
    # 分值 decide; what `import` writes for forms others made). None: the pack's fixed weights, as the template's
    # own formulas compute them.
    weight_system: str | None = None
    source: str | None = None  # file name, for messages
    value_problems: list[ValueProblem] = field(default_factory=list)  # lenient loading only

    @property
    def rows_have_scores(self) -> bool:
        return any(r.stated_score is not None for r in self.rows)

    def __copy__(self) -> Document:
        # What copy.copy does by default (a new object sharing every attribute), without the detour through the
        # pickling protocol.
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    @property
    def view(self) -> PackView:
        """The pack as printed for this document's year and level."""
        return PackView.of(self.pack, self.year, self.level)

    @property
    def words(self) -> dict[str, str]:
        return self.view.words

    def text(self, template: str) -> str:
        return self.view.text(template)

    def param(self, name: str) -> object:
        return self.params.get(name, self.pack.param(name))

    def field_key(self, field_id: str) -> str:
        spec = self.pack.fields[field_id]
        return f"fields.{self.text(spec.section)}.{self.text(spec.label)}"


def load_path(path: str | Path, *, lenient: bool = False) -> Document:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"无法读取文件：{describe_os_error(exc)}", Location(file=str(path))) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadInputError("文件不是 UTF-8 编码的 JSON", Location(file=str(path))) from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列附近）：请检查引号、逗号和括号是否成对",
            Location(file=str(path)),
        ) from None
    except ValueError:  # an integer of thousands of digits (Python refuses to convert it)
        message = "JSON 中有位数过多的数字（数千位），无法作为数据文档读取"
        raise BadInputError(message, Location(file=str(path))) from None
    except RecursionError:
        raise BadInputError("JSON 嵌套层数过多，无法作为数据文档读取", Location(file=str(path))) from None
    return from_dict(data, source=str(path), lenient=lenient)


def from_dict(data: object, source: str | None = None, *, lenient: bool = False) -> Document:
    """Validate and normalise a data document. `lenient` (for checking workbooks) keeps going past unusable values,
    which it drops and lists in `value_problems`; structural problems are still refused."""
    problems = Problems(source, lenient)
    if not isinstance(data, dict):
        problems.add("（顶层）", "应为 JSON 对象")
        problems.raise_if_any()
    assert isinstance(data, dict)
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(key, "不认识的键" + suggest(key, list(TOP_KEYS)))
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        problems.add("schema", f"不支持的格式版本 {quoted(schema)}，应为 {quoted(SCHEMA)}")
    framework = data.get("framework")
    if framework not in loader.available():
        problems.add("framework", f"应为以下之一：{'、'.join(loader.available())}，实为 {quoted(framework)}")
        problems.raise_if_any()
    pack = loader.load(framework)
    # A blank template has no unit yet; a missing unit name is for the validator to report, not a reason to refuse.
    unit = data.get("unit", "")
    if not isinstance(unit, str):
        problems.add("unit", f"单位名称应为文字，实为 {quoted(unit)}")
        unit = ""
    year = data.get("year")
    if isinstance(year, str) and year.isascii() and year.isdigit() and len(year) <= 6:  # int() of 5,000 digits fails
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        shown = year if not isinstance(year, int | str) or len(str(year)) <= 30 else f"{str(year)[:30]}…"
        problems.add("year", f"评价年度应为 2000–2100 的整数，实为 {quoted(shown)}")
        year = 2000
    level = data.get("level", "县")
    if level not in pack.levels:
        problems.add("level", f"层级应为 {'、'.join(pack.levels)} 之一，实为 {quoted(level)}")
        level = next(iter(pack.levels))
    doc = Document(pack=pack, unit=unit.strip(), year=year, level=level, source=source)
    _load_fields(doc, data.get("fields", {}), problems)
    _load_tables(doc, data.get("tables", {}), problems)
    _load_rows(doc, data.get("indicator_rows", []), problems)
    loads = (_load_scores, _load_weights, _load_not_applicable, _load_params, _load_options, _load_stated_rates)
    for load in loads:
        load(doc, data, problems)
    problems.raise_if_any()
    doc.value_problems = problems.values
    return doc


def _load_fields(doc: Document, raw: object, problems: Problems) -> None:
    if not isinstance(raw, dict):
        problems.add("fields", "应为对象：分区名 → {字段名: 值}")
        return
    view = doc.view
    by_section = view.sections_by_label
    options = view.field_options
    for section_label, values in raw.items():
        key = f"fields.{section_label}"
        if section_label not in by_section:
            problems.add(key, "不是本框架的分区" + suggest(section_label, list(by_section)))
            continue
        if not isinstance(values, dict):
            problems.add(key, "应为对象：字段名 → 值")
            continue
        specs = by_section[section_label]
        for label, value in values.items():
            if label not in specs:
                problems.add(f"{key}.{label}", "不是该分区的字段" + suggest(label, list(specs)))
                continue
            spec = specs[label]
            try:
                parsed = parse_value(spec.type, value, options[spec.id])
            except ValueError as exc:
                problems.add(f"{key}.{label}", str(exc), Ref("field", spec.id))
                continue
            if parsed is not None:
                if isinstance(parsed, Decimal) and spec.type == "amount" and parsed < 0:
                    problems.add(f"{key}.{label}", f"金额不能为负数，实为 {quoted(value)}", Ref("field", spec.id))
                    continue
                if isinstance(parsed, Decimal) and (
                    (spec.minimum is not None and parsed < spec.minimum)
                    or (spec.maximum is not None and parsed > spec.maximum)
                ):
                    problems.add(
                        f"{key}.{label}",
                        f"应在 {spec.minimum} 至 {spec.maximum} 之间，实为 {quoted(value)}",
                        Ref("field", spec.id),
                    )
                    continue
                doc.fields[spec.id] = parsed


_SPACES = re.compile(r"\s+")


def row_name(base: str, index: int, label: str = "") -> str:
    """A row as people name it: its label and its 1-based position, 财政资金情况“项目2”（第12行）."""
    label = label.strip()
    if len(label) > 12:  # "项目2：遂溪县…综合提升项目" -> "项目2"; other long labels are cut with an ellipsis
        head = re.split(r"[：:]", label, maxsplit=1)[0].strip()
        label = head if head and len(head) <= 12 else label[:12] + "…"
    return f"{base}“{label}”（第{index + 1}行）" if label else f"{base}（第{index + 1}行）"


# How messages name the rows of `indicator_rows` and one column of a row: as the form says them, not as JSON keys.
INDICATOR_ROWS = "绩效指标行"


def column_name(row: str, column: str) -> str:
    """One value of a row: 财政资金情况“项目1”（第6行）的“财政下达预算情况/小计”."""
    return f"{row}的“{column}”"


def _load_tables(doc: Document, raw: object, problems: Problems) -> None:
    if not isinstance(raw, dict):
        problems.add("tables", "应为对象：表名 → 行列表")
        return
    tables = doc.view.tables_by_label
    for label, rows in raw.items():
        key = label
        if label not in tables:
            problems.add(key, "不是本框架的表格" + suggest(label, list(tables)))
            continue
        spec = tables[label]
        if not isinstance(rows, list):
            problems.add(key, "应为行的列表")
            continue
        columns = doc.view.columns_by_label[spec.id]
        parsed_rows: list[TableRow] = []
        current_fixed: model.RowSpec | None = None
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                problems.add(row_name(key, index), "应为对象")
                continue
            row_label = str(row.get(spec.row_header, "")).strip()
            row_key = row_name(key, index, row_label)
            row_spec = match_row(doc, spec, row_label, after=current_fixed)
            if row_spec is None:
                problems.add(column_name(row_key, spec.row_header), f"不认识的行名“{row_label}”")
                continue
            if not row_spec.repeat:
                current_fixed = row_spec
            values: dict[str, Value] = {}
            for column_label, value in row.items():
                if column_label == spec.row_header:
                    continue
                column = columns.get(column_label)
                if column is None:
                    problems.add(
                        column_name(row_key, column_label), "不是该表的列" + suggest(column_label, list(columns))
                    )
                    continue
                try:
                    parsed = parse_value(column.type, value)
                except ValueError as exc:
                    problems.add(
                        column_name(row_key, column_label), str(exc), Ref("cell", spec.id, len(parsed_rows), column.id)
                    )
                    continue
                if parsed is not None:
                    values[column.id] = parsed
            parsed_rows.append(TableRow(row_spec.id, row_label, values, index))
        doc.tables[spec.id] = parsed_rows


def level_rows(doc: Document, spec: model.TableSpec) -> list[model.RowSpec]:
    """The rows of table `spec` at the document's level. Shared: read-only."""
    return doc.view.level_rows[spec.id]


def repeat_after(rows: list[model.RowSpec], fixed: model.RowSpec | None) -> model.RowSpec | None:
    """The repeating row spec that belongs to `fixed` (the first repeat spec after it in the pack)."""
    start = 0 if fixed is None else rows.index(fixed) + 1
    for row in rows[start:]:
        if row.repeat:
            return row
        if fixed is not None:
            return None
    return None


def match_row(
    doc: Document, spec: model.TableSpec, label: str, after: model.RowSpec | None = None
) -> model.RowSpec | None:
    """Fixed rows match their label exactly; repeating rows ("项目{n}") match "项目1", "项目2：名称", ... and belong to
    the group of the fixed row above them (`after`)."""
    view = doc.view
    compact = _SPACES.sub("", label)
    row = view.fixed_rows[spec.id].get(compact)
    if row is not None:
        return row
    repeat = repeat_after(view.level_rows[spec.id], after)
    if repeat is not None and view.repeat_patterns[repeat.label].match(compact):
        return repeat
    return None


def _load_rows(doc: Document, raw: object, problems: Problems) -> None:
    layout = doc.pack.rows
    if raw in (None, []):
        return
    if layout is None:
        problems.add("indicator_rows", "本框架没有绩效指标行")
        return
    if not isinstance(raw, list):
        problems.add("indicator_rows", "应为行的列表")
        return
    allowed = {*layout.levels, layout.target, layout.actual, layout.score, layout.reason}
    if layout.weight:
        allowed.add(layout.weight)
    choices = {layout.nature: NATURES, layout.degree: DEGREES}
    allowed |= {name for name in choices if name}
    for index, row in enumerate(raw):
        if not isinstance(row, dict):
            problems.add(row_name(INDICATOR_ROWS, index), "应为对象")
            continue
        key = row_name(INDICATOR_ROWS, index, str(row.get(layout.levels[-1]) or ""))
        if not allowed.issuperset(row):
            for name in row:
                if name not in allowed:
                    problems.add(column_name(key, name), "不认识的列" + suggest(name, sorted(allowed)))
        levels = tuple([str(row.get(level) or "").strip() for level in layout.levels])
        numbers: dict[str, Decimal | None] = {}
        for name in (layout.weight, layout.score):
            if not name:
                numbers[name] = None
                continue
            try:
                value = parse_value("score", row.get(name))
            except ValueError as exc:
                problems.add(column_name(key, name), str(exc), Ref("row", row=len(doc.rows)))
                value = None
            numbers[name] = value if isinstance(value, Decimal) else None
        chosen: dict[str, str] = {}
        for name, options in choices.items():
            text = _cell_text(row.get(name)).strip() if name else ""
            if text and text not in options:
                problems.add(column_name(key, name), f"应为 {'、'.join(options)} 之一，实为 {quoted(text)}")
                text = ""
            chosen[name] = text
        doc.rows.append(
            IndicatorRow(
                levels=levels,
                target=_cell_text(row.get(layout.target)),
                actual=_cell_text(row.get(layout.actual)),
                weight=numbers[layout.weight],
                stated_score=numbers[layout.score],
                reason=_cell_text(row.get(layout.reason)),
                index=index,
                nature=chosen.get(layout.nature, "") if layout.nature else "",
                degree=chosen.get(layout.degree, "") if layout.degree else "",
            )
        )


NATURES = ("正向", "反向", "等于", "定性")
DEGREES = ("达成", "部分达成", "未达成")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).strip()


def indicator_names(doc: Document) -> dict[str, str]:
    """Map every accepted score key (id, leaf name, full path) to an indicator id."""
    return dict(doc.view.indicator_names)


def _load_scores(doc: Document, data: dict[str, Any], problems: Problems) -> None:
    names = indicator_names(doc)
    raw = data.get("scores", {})
    if not isinstance(raw, dict):
        problems.add("scores", "应为对象：指标名 → 得分")
        raw = {}
    for name, value in raw.items():
        key = f"scores.{name}"
        if name not in names:
            problems.add(key, "不是本框架的指标" + suggest(name, list(names)))
            continue
        try:
            score = parse_value("score", value)
        except ValueError as exc:
            problems.add(key, str(exc), Ref("indicator", names[name]))
            continue
        if isinstance(score, Decimal):
            indicator = doc.pack.indicator(names[name])
            if isinstance(indicator.rule, model.RowsRule) and doc.pack.rows is not None and doc.pack.rows.score:
                problems.add(key, f"该指标由绩效指标行计分，请在各行的“{doc.pack.rows.score}”列填写得分")
                continue
            doc.stated_scores[names[name]] = score
    if data.get("stated_total") is not None:
        try:
            total = parse_value("score", data["stated_total"])
        except ValueError as exc:
            problems.add("stated_total", str(exc))
            total = None
        doc.stated_total = total if isinstance(total, Decimal) else None


def _load_weights(doc: Document, data: dict[str, Any], problems: Problems) -> None:
    names = doc.view.indicator_names
    weights = data.get("weights", {})
    if isinstance(weights, dict):
        for name, value in weights.items():
            indicator_id = names.get(name)
            if indicator_id is None:
                problems.add(f"weights.{name}", "不是本框架的指标" + suggest(name, list(names)))
                continue
            if not doc.pack.indicator(indicator_id).adjustable:
                problems.add(f"weights.{name}", "该指标的分值由规则包规定，不能调整")
                continue
            try:
                weight = parse_value("score", value)
            except ValueError as exc:
                problems.add(f"weights.{name}", str(exc))
                continue
            if isinstance(weight, Decimal):
                doc.weights[indicator_id] = weight
    else:
        problems.add("weights", "应为对象：指标名 → 分值")


def _load_not_applicable(doc: Document, data: dict[str, Any], problems: Problems) -> None:
    names = doc.view.indicator_names
    not_applicable = data.get("not_applicable", [])
    if not isinstance(not_applicable, list) or not all(isinstance(n, str) for n in not_applicable):
        problems.add("not_applicable", "应为指标名的列表")
        not_applicable = []
    resolved = []
    for name in not_applicable:
        indicator_id = names.get(name)
        if indicator_id is None:
            problems.add(f"not_applicable.{name}", "不是本框架的指标" + suggest(name, list(names)))
        elif doc.pack.indicator(indicator_id).na_target is None:
            problems.add(f"not_applicable.{name}", "规则未规定该指标可以不适用")
        else:
            resolved.append(indicator_id)
    doc.not_applicable = tuple(resolved)


def _load_params(doc: Document, data: dict[str, Any], problems: Problems) -> None:
    params = data.get("params", {})
    if not isinstance(params, dict):
        problems.add("params", "应为对象：参数名 → 值")
        params = {}
    for name, value in params.items():
        spec = doc.pack.params.get(name)
        if spec is None:
            problems.add(
                f"params.{name}",
                "不是本规则包的参数"
                + (suggest(name, list(doc.pack.params)) or f"（可用的参数及写法见 xl-perf rules {doc.pack.id}）"),
            )
        elif spec.choices and value not in spec.choices:
            problems.add(f"params.{name}", "应为以下之一：" + "、".join(quoted(c) for c in spec.choices))
        elif (
            not spec.choices
            and type(value) is not type(spec.default)
            and not (
                isinstance(value, int | float) and isinstance(spec.default, int | float) and not isinstance(value, bool)
            )
        ):
            problems.add(f"params.{name}", f"应为{'数字' if isinstance(spec.default, int | float) else '文字'}")
        else:
            doc.params[name] = value


def _load_options(doc: Document, data: dict[str, Any], problems: Problems) -> None:
    options = data.get("options", {})
    if not isinstance(options, dict):
        problems.add("options", "应为对象：选项名 → 值")
        options = {}
    for name, value in options.items():
        if name == "deviation_reason_ratio":
            try:
                ratio = to_decimal(value)
            except ValueError:
                ratio = Decimal(0)
            if ratio <= 1:
                problems.add(f"options.{name}", f"应为大于 1 的倍数（如 1.3），实为 {quoted(value)}")
                continue
            doc.options[name] = value
        elif name == "total_cap_by_execution":
            if not isinstance(value, bool):
                problems.add(f"options.{name}", f"应为 true 或 false，实为 {quoted(value)}")
                continue
            doc.options[name] = value
        else:
            problems.add(f"options.{name}", "不认识的地区选项（可用：deviation_reason_ratio、total_cap_by_execution）")


def _load_stated_rates(doc: Document, data: dict[str, Any], problems: Problems) -> None:
    doc.weight_system = filing_keys.weight_system(doc.pack, data, problems)
    doc.stated_rates = filing_keys.stated_rates(doc.pack, data, problems)


def locator(doc: Document) -> Callable[[Ref], Location]:
    """Translate the engine's logical places into data-document keys."""

    def locate(ref: Ref) -> Location:
        key: str | None = None
        if ref.kind == "field":
            key = doc.field_key(ref.id)
        elif ref.kind == "indicator":
            key = "scores." + doc.text(doc.pack.indicator(ref.id).name)
        elif ref.kind == "row":
            row = doc.rows[ref.row] if ref.row is not None and ref.row < len(doc.rows) else None
            label = row.levels[-1] if row is not None and row.levels else ""
            key = row_name(INDICATOR_ROWS, row.index if row is not None else ref.row or 0, label)
        elif ref.kind == "cell":
            table = doc.pack.table(ref.id)
            rows = doc.tables.get(table.id, [])
            found = rows[ref.row] if ref.row is not None and ref.row < len(rows) else None
            key = row_name(
                doc.text(table.label),
                found.index if found is not None else ref.row or 0,
                found.label if found is not None else "",
            )
            if ref.column:
                key = column_name(key, "/".join(doc.text(p) for p in table.column(ref.column).path))
        elif ref.kind == "document":
            key = ref.id
        return Location(file=doc.source, key=key)

    return locate


def json_value(value: Value, spec_type: str, options: tuple[str, ...] = ()) -> object:
    """The canonical JSON form of a normalised value (what `to_dict` writes and `from_dict` reads back)."""
    if isinstance(value, bool):
        yes, no = options if len(options) == 2 else ("是", "否")
        return yes if value else no
    if isinstance(value, Decimal):
        normalized = value.normalize()
        if normalized == normalized.to_integral_value():
            return int(normalized)
        return float(normalized)
    return value


def to_dict(doc: Document) -> dict[str, object]:
    """The canonical data document: `from_dict(to_dict(doc))` reproduces `doc`, and two documents with the same
    content give equal dictionaries (dates in ISO form, rates as fractions, integers without a decimal point)."""
    pack = doc.pack
    fields: dict[str, dict[str, object]] = {}
    for section in pack.sections:
        for spec in section.fields:
            if spec.id in doc.fields:
                options = tuple(doc.text(o) for o in spec.options)
                fields.setdefault(doc.text(section.label), {})[doc.text(spec.label)] = json_value(
                    doc.fields[spec.id], spec.type, options
                )
    tables: dict[str, list[dict[str, object]]] = {}
    for table in pack.tables:
        rows = doc.tables.get(table.id, [])
        if not rows:
            continue
        out = []
        for row in rows:
            fixed = next(r for r in table.rows if r.id == row.row_id)
            if not fixed.repeat and not row.values:
                continue  # an empty fixed row carries nothing
            item: dict[str, object] = {table.row_header: row.label}
            for column in table.columns:
                if column.id in row.values:
                    key = "/".join(doc.text(p) for p in column.path)
                    item[key] = json_value(row.values[column.id], column.type)
            out.append(item)
        tables[doc.text(table.label)] = out
    result: dict[str, object] = {
        "schema": SCHEMA,
        "framework": pack.id,
        "unit": doc.unit,
        "year": doc.year,
        "level": doc.level,
        "fields": fields,
    }
    if tables:
        result["tables"] = tables
    if doc.rows and pack.rows is not None:
        layout = pack.rows
        rows_out = []
        for indicator_row in doc.rows:
            item = {name: value for name, value in zip(layout.levels, indicator_row.levels, strict=True) if value}
            for key, value in (
                (layout.target, indicator_row.target),
                (layout.actual, indicator_row.actual),
                (layout.reason, indicator_row.reason),
            ):
                if value:
                    item[key] = value
            if layout.weight and indicator_row.weight is not None:
                item[layout.weight] = json_value(indicator_row.weight, "score")
            if layout.score and indicator_row.stated_score is not None:
                item[layout.score] = json_value(indicator_row.stated_score, "score")
            rows_out.append(item)
        result["indicator_rows"] = rows_out
    names = score_keys(doc)
    if doc.stated_scores:
        result["scores"] = {names[i]: json_value(v, "score") for i, v in doc.stated_scores.items()}
    if doc.stated_total is not None:
        result["stated_total"] = json_value(doc.stated_total, "score")
    if doc.weights:
        result["weights"] = {names[i]: json_value(v, "score") for i, v in doc.weights.items()}
    if doc.not_applicable:
        result["not_applicable"] = [names[i] for i in doc.not_applicable]
    if doc.params:
        result["params"] = dict(doc.params)
    if doc.options:
        result["options"] = dict(doc.options)
    return result


def score_keys(doc: Document) -> dict[str, str]:
    """Indicator id -> the key a data document uses: the leaf name when unique, else the full path."""
    return dict(doc.view.score_keys)


def empty(pack_id: str, year: int, level: str, unit: str) -> Document:
    """A blank document of a framework, for generating blank templates."""
    return from_dict({"schema": SCHEMA, "framework": pack_id, "unit": unit, "year": year, "level": level})
