"""Recognise a MoF-style self-evaluation form on a sheet by its labels, and read it into a data document.

Nothing is taken from a fixed cell: the reader finds the indicator table by its header row (a 三级指标 / 指标名称
column beside target, actual, weight or score columns), the funds block by its header row (年初预算数 / 全年预算数 /
全年执行数 in any order and wording), and each field by its label with the value to its right (or below, for the
column-headed goals). Merged 一级/二级 cells, which hold their text only in their first row, carry down. Every value
read is recorded with its cell; every thing looked for and not found, and every thing read that the data document
cannot hold yet, is recorded too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xl_perf.foreign import vocabulary as vocab
from xl_perf.foreign.labels import (
    Hit,
    Sheet,
    amount,
    clean,
    indicator_name,
    is_prompt,
    key,
    level_name,
    number_text,
    without_code,
)
from xl_perf.rules import loader, model

_YEAR = re.compile(r"(20\d{2})\s*年")
_ALL_LABELS = frozenset(
    key(name)
    for names in (
        *vocab.FIELDS.values(),
        *vocab.FUND_COLUMNS.values(),
        *vocab.ROW_COLUMNS.values(),
        vocab.STATED_TOTAL,
        vocab.SECTION_LABELS,
    )
    for name in names
)


@dataclass
class Found:
    what: str
    where: str
    value: str


@dataclass
class Reading:
    """One form read from one sheet: the data document, and the account of how it was read."""

    sheet: str
    data: dict[str, Any]
    found: list[Found] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    not_carried: list[Found] = field(default_factory=list)  # read, but the data document has no place for it yet
    notes: list[str] = field(default_factory=list)
    # Where each logical place was read, for locating findings: ("field", id) / ("cell", row index, column id) /
    # ("row", index) / ("indicator", id) / ("total",) -> (row, col) on the sheet.
    places: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)


def header_row(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """The indicator table's header: its row and the column of each kind found there."""
    for row in range(sheet.height):
        columns = _columns_in(sheet, row, vocab.ROW_COLUMNS)
        if "level3" in columns and len({"target", "actual", "weight", "score"} & set(columns)) >= 2:
            return row, columns
    return None


def _columns_in(sheet: Sheet, row: int, kinds: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Which column of `row` holds each kind's label; for a kind with several labels, the most preferred one."""
    out: dict[str, int] = {}
    ranks: dict[str, int] = {}
    for col, _ in sheet.row_cells(row):
        label = sheet.key_at(row, col)
        for kind, names in kinds.items():
            keys = [key(n) for n in names]
            if label in keys and (kind not in ranks or keys.index(label) < ranks[kind]):
                out[kind], ranks[kind] = col, keys.index(label)
    return out


def form_kind(sheet: Sheet) -> str:
    """ "zhengti" for a 部门整体 form, else "xiangmu" (by its title, then by its labels)."""
    for (row, _), value in sorted(sheet.cells.items()):
        if row > 6:
            break
        if isinstance(value, str):
            if any(word in value for word in vocab.ZHENGTI_TITLE):
                return "zhengti"
            if any(word in value for word in vocab.XIANGMU_TITLE):
                return "xiangmu"
    if sheet.find(vocab.FIELDS["project_name"]) is None and sheet.find(vocab.ZHENGTI_DEPARTMENT) is not None:
        return "zhengti"
    return "xiangmu"


def find_year(sheet: Sheet, reading: Reading) -> int | None:
    """The evaluation year from the title lines ("（2019年度）"), else from the first text that names a year."""
    texts = sorted((pos, v) for pos, v in sheet.cells.items() if isinstance(v, str))
    for (row, col), value in texts:
        match = _YEAR.search(value)
        if row <= 6 and match:
            reading.found.append(Found("评价年度", sheet.where(row, col), match.group(1)))
            return int(match.group(1))
    for (row, col), value in texts:
        match = _YEAR.search(value)
        if match:
            reading.found.append(Found("评价年度", sheet.where(row, col), match.group(1)))
            reading.notes.append(f"表头没有年度，评价年度 {match.group(1)} 取自 {sheet.where(row, col)} 的文字，请核对")
            return int(match.group(1))
    return None


def value_beside(sheet: Sheet, hit: Hit, below_first: bool = False) -> tuple[int, int] | None:
    """Where the value of a label is: the first filled cell to its right on its row, unless that is another label;
    else the cell below it (goals are printed as column headings)."""

    def right() -> tuple[int, int] | None:
        for col, _ in sheet.row_cells(hit.row):
            if col > hit.col:
                return None if sheet.key_at(hit.row, col) in _ALL_LABELS else (hit.row, col)
        return None

    def below() -> tuple[int, int] | None:
        if sheet.value(hit.row + 1, hit.col) is None or sheet.key_at(hit.row + 1, hit.col) in _ALL_LABELS:
            return None
        return hit.row + 1, hit.col

    first, second = (below, right) if below_first else (right, below)
    return first() or second()


def read_fields(sheet: Sheet, pack: model.RulePack, kind: str, stop: int, reading: Reading) -> dict[str, Any]:
    """The pack's fields found by label above row `stop` (the indicator table), as the data document's sections."""
    sections: dict[str, dict[str, Any]] = {}
    rows = range(0, stop)
    for section in pack.sections:
        for spec in section.fields:
            names: tuple[str, ...] = vocab.FIELDS.get(spec.id, (spec.label,))
            if kind == "zhengti" and spec.id == "department":
                names = vocab.ZHENGTI_DEPARTMENT
            value, where = _first_value(sheet, names, rows, spec.type)
            if value is None or where is None:
                reading.missing.append(spec.label)
                continue
            if isinstance(value, str) and is_prompt(value):
                reading.notes.append(f"{spec.label}：{sheet.where(*where)} 是表格的填写说明，不是填报内容，视为未填")
                reading.missing.append(spec.label)
                continue
            sections.setdefault(section.label, {})[spec.label] = value
            reading.found.append(Found(spec.label, sheet.where(*where), str(value)))
            reading.places[("field", spec.id)] = where
    return sections


def _first_value(
    sheet: Sheet, names: tuple[str, ...], rows: range, spec_type: str
) -> tuple[Any, tuple[int, int]] | tuple[None, None]:
    """The value of the first of `names` (in preference order) that is printed with a value."""
    for name in names:
        for hit in sheet.find_all((name,)):
            if hit.row not in rows:
                continue
            at = value_beside(sheet, hit)
            if at is None:
                continue
            raw = sheet.value(*at)
            if spec_type in ("count", "amount", "score"):
                number = amount(raw)
                if number is not None:
                    return number, at
                continue
            text = number_text(raw)
            if text:
                return text, at
    return None, None


def read_funds(sheet: Sheet, pack: model.RulePack, kind: str, stop: int, reading: Reading) -> list[dict[str, Any]]:
    """The funds block (above row `stop`): its rows mapped to the pack's rows, its 分值/执行率/得分 noted."""
    table = pack.tables[0]
    header = next(
        (
            (row, cols)
            for row in range(stop)
            if len({"initial", "annual", "spent"} & set(cols := _columns_in(sheet, row, vocab.FUND_COLUMNS))) >= 1
            and len(cols) >= 3
        ),
        None,
    )
    if header is None:
        reading.missing.append(table.label)
        return []
    head, columns = header
    reading.found.append(Found(f"{table.label}表头", sheet.where(head, min(columns.values())), ""))
    first_value_col = min(columns.values())
    out: list[dict[str, Any]] = []
    wanted = vocab.FUND_ROWS[kind]
    labels = {spec.id: spec.label for spec in table.rows}
    column_labels = {c.id: c.path[-1] for c in table.columns}
    for row in range(head + 1, stop):
        label_cells = [(c, v) for c, v in sheet.row_cells(row) if c < first_value_col and isinstance(v, str)]
        if not label_cells:
            continue
        col, printed = label_cells[-1]
        name = key(str(printed)).rstrip(":")
        if name in _ALL_LABELS and not any(name in {key(n) for n in names} for names in wanted.values()):
            break  # the next block (年度总体目标, 项目自评情况, …)
        row_id = next((rid for rid, names in wanted.items() if name in {key(n) for n in names}), None)
        values = {kind_: amount(sheet.value(row, c)) for kind_, c in columns.items()}
        if row_id is None:
            if any(values[k] is not None for k in ("initial", "annual", "spent") if k in values):
                reading.not_carried.append(
                    Found(clean(str(printed)), sheet.where(row, col), "本框架的资金表没有这一行")
                )
            continue
        item: dict[str, Any] = {table.row_header: labels[row_id]}
        for column_id in ("initial", "annual", "spent"):
            if column_id in columns and values[column_id] is not None:
                item[column_labels[column_id]] = values[column_id]
                reading.places[("cell", len(out), column_id)] = (row, columns[column_id])
                where = sheet.where(row, columns[column_id])
                reading.found.append(
                    Found(f"{labels[row_id]}/{column_labels[column_id]}", where, str(values[column_id]))
                )
        if row_id == "total":
            _execution_cells(sheet, row, columns, reading)
        if len(item) > 1:
            out.append(item)
    if not any(item[table.row_header] == labels["total"] for item in out):
        reading.missing.append(labels["total"])
    return out


def _execution_cells(sheet: Sheet, row: int, columns: dict[str, int], reading: Reading) -> None:
    """The total row's 执行率 / 分值 / 得分: the stated score and the rate as printed are carried."""
    if "score" in columns:
        score = amount(sheet.value(row, columns["score"]))
        if score is not None:
            reading.data.setdefault("scores", {})["预算执行率"] = score
            reading.places[("indicator", "budget_execution")] = (row, columns["score"])
            reading.found.append(Found("预算执行率得分", sheet.where(row, columns["score"]), str(score)))
    if "rate" in columns:
        # The rate as printed, blank included (a blank 执行率 cell is itself a finding), checked by the engine.
        where = sheet.where(row, columns["rate"])
        text = sheet.text(row, columns["rate"]).strip()
        reading.data.setdefault("stated_rates", {})["预算执行率"] = text
        reading.places[("rate", "budget_execution")] = (row, columns["rate"])
        reading.found.append(Found("执行率（填报）", where, text))
    if "weight" in columns:
        weight = amount(sheet.value(row, columns["weight"]))
        if weight is not None and weight != 10:
            where = sheet.where(row, columns["weight"])
            reading.not_carried.append(Found("执行率分值", where, f"{weight}（规则包按 10 分计）"))


def read_rows(sheet: Sheet, head: int, columns: dict[str, int], reading: Reading) -> tuple[list[dict[str, Any]], int]:
    """The indicator rows below the header, until a 总分/合计 line or the end; returns them and the row after."""
    rows: list[dict[str, Any]] = []
    carried = ["", ""]
    totals = {key(n) for n in vocab.STATED_TOTAL}
    ends = {key(n) for n in vocab.SECTION_LABELS}
    alternates = target_columns(sheet, head)
    row = head + 1
    for row in range(head + 1, sheet.height):
        texts = [sheet.key_at(row, c) for c, _ in sheet.row_cells(row)]
        if texts and (texts[0] in totals or texts[0] in ends) and not sheet.text(row, columns["level3"]):
            return rows, row
        item = _one_row(sheet, row, columns, carried, alternates, reading)
        if item is not None:
            reading.places[("row", len(rows))] = (row, columns["level3"])
            left, right = min(columns.values()), max(columns.values())
            name = item.get("三级指标", "")
            reading.found.append(
                Found(
                    f"绩效指标第{len(rows) + 1}行（{name}）",
                    f"{sheet.where(row, left)}:{sheet.where(row, right).split('!')[1]}",
                    "",
                )
            )
            rows.append(item)
    return rows, row + 1


def _one_row(
    sheet: Sheet, row: int, columns: dict[str, int], carried: list[str], alternates: list[int], reading: Reading
) -> dict[str, Any] | None:
    def text(kind: str) -> str:
        return sheet.text(row, columns[kind]) if kind in columns else ""

    level1, level2 = text("level1"), text("level2")
    if level1:
        carried[0], carried[1] = level_name(level1), level_name(level2)
    elif level2:
        carried[1] = level_name(level2)
    name = indicator_name(text("level3"))
    target, actual = _with_unit(text("target"), text("unit")), _with_unit(text("actual"), text("unit"))
    if "target" in columns and not target:
        target = _fallback_target(sheet, row, columns, alternates)
    weight = amount(sheet.value(row, columns["weight"])) if "weight" in columns else None
    score = amount(sheet.value(row, columns["score"])) if "score" in columns else None
    if not name and not target and not actual and weight is None and score is None:
        return None  # a placeholder ("指标2", "……") or a heading without any indicator
    nature = _carried(key(text("nature")), vocab.NATURES, "指标性质", sheet, row, columns.get("nature"), reading)
    degree = key(text("degree"))
    degree = _carried(degree, {d: d for d in vocab.DEGREES}, "完成程度", sheet, row, columns.get("degree"), reading)
    for kind, label in vocab.UNCARRIED_COLUMNS.items():
        if text(kind):
            reading.not_carried.append(Found(label, sheet.where(row, columns[kind]), text(kind)))
    item: dict[str, Any] = {"一级指标": carried[0], "二级指标": carried[1], "三级指标": name}
    if target and target not in ("—", "-", "/"):
        item["年度指标值"] = target
    if actual and actual not in ("—", "-", "/"):
        item["实际完成值"] = actual
    if weight is not None:
        item["分值"] = weight
    if score is not None:
        item["得分"] = score
    if nature:
        item["指标性质"] = nature
    if degree:
        item["完成程度"] = degree
    reason = text("reason")
    if reason and not is_prompt(reason):
        item["偏差原因分析及改进措施"] = reason
    return {k: v for k, v in item.items() if v != ""}


def target_columns(sheet: Sheet, head: int) -> list[int]:
    """Every target column of the header row, in order of preference (调整指标值 before 年初指标值)."""
    keys = [key(n) for n in vocab.ROW_COLUMNS["target"]]
    found = [(keys.index(sheet.key_at(head, c)), c) for c, _ in sheet.row_cells(head) if sheet.key_at(head, c) in keys]
    return [c for _, c in sorted(found)]


def _fallback_target(sheet: Sheet, row: int, columns: dict[str, int], alternates: list[int]) -> str:
    """When the preferred target column (调整指标值) is blank on a row, the next one printed (年初指标值)."""
    unit = sheet.text(row, columns["unit"]) if "unit" in columns else ""
    for col in alternates:
        if col != columns["target"] and sheet.value(row, col) is not None:
            return _with_unit(sheet.text(row, col), unit)
    return ""


def _with_unit(value: str, unit: str) -> str:
    """A bare number of a column with a 度量单位 gets its unit ("100" + "%" -> "100%")."""
    if value and unit and re.fullmatch(r"[-+]?\d+(?:\.\d+)?", value):
        return value + unit
    return value


def _carried(
    text: str, known: dict[str, str], label: str, sheet: Sheet, row: int, col: int | None, reading: Reading
) -> str:
    """A 指标性质 / 完成程度 cell as the data document writes it; one it cannot name ("定量指标") is listed as read
    but not carried."""
    if not text or col is None:
        return ""
    if text in known:
        return known[text]
    reading.not_carried.append(Found(label, sheet.where(row, col), text))
    return ""


def stated_total(sheet: Sheet, columns: dict[str, int] | None, after: int, reading: Reading) -> Decimal | None:
    """The stated total: a 总分/合计 line under the table (its 得分 column), else a 自评得分 label with its value."""
    for hit in sheet.find_all(vocab.STATED_TOTAL):
        if columns is not None and "score" in columns and hit.row >= after - 1:
            value = amount(sheet.value(hit.row, columns["score"]))
            if value is not None:
                reading.places[("total",)] = (hit.row, columns["score"])
                reading.found.append(Found("总分", sheet.where(hit.row, columns["score"]), str(value)))
                return Decimal(str(value))
    for hit in sheet.find_all(vocab.STATED_TOTAL):
        at = value_beside(sheet, hit)
        if at is not None and amount(sheet.value(*at)) is not None:
            value = amount(sheet.value(*at))
            reading.places[("total",)] = at
            reading.found.append(Found("总分", sheet.where(*at), str(value)))
            return Decimal(str(value))
    reading.missing.append("总分")
    return None


def read_form(sheet: Sheet, year: int | None = None) -> Reading | None:
    """The form on `sheet` as a data document, or None when the sheet holds no indicator table."""
    header = header_row(sheet)
    if header is None:
        return None
    head, columns = header
    kind = form_kind(sheet)
    pack = loader.load(f"mof-{kind}")
    reading = Reading(sheet.name, {})
    found_year = find_year(sheet, reading) if year is None else year
    reading.found.append(Found("绩效指标表头", sheet.where(head, min(columns.values())), ""))
    fields = read_fields(sheet, pack, kind, head, reading)
    funds = read_funds(sheet, pack, kind, head, reading)
    rows, after = read_rows(sheet, head, columns, reading)
    for kind_ in ("level1", "level2"):
        if kind_ not in columns:
            reading.missing.append(vocab.ROW_COLUMNS[kind_][0])
    total = stated_total(sheet, columns, after, reading)
    unit_field = "implementer" if kind == "xiangmu" else "department"
    unit_label = next(f.label for s in pack.sections for f in s.fields if f.id == unit_field)
    unit = next((v for s in fields.values() for k, v in s.items() if k == unit_label), "")
    data: dict[str, Any] = {
        "schema": "xl-perf/1",
        "framework": pack.id,
        "unit": without_code(str(unit)),
        "year": found_year,
        "level": "县",
        "fields": fields,
        # A form others made: its rows' 一级指标 and 分值 choose the weight system (the national rules throughout).
        "weight_system": "auto",
    }
    if funds:
        data["tables"] = {pack.tables[0].label: funds}
    data["indicator_rows"] = rows
    if "scores" in reading.data:
        data["scores"] = reading.data["scores"]
    if "stated_rates" in reading.data:
        data["stated_rates"] = reading.data["stated_rates"]
    if total is not None:
        data["stated_total"] = int(total) if total == total.to_integral_value() else float(total)
    reading.data = data
    return reading
