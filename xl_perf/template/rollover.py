"""Yearly rollover (`xl-perf new --from`): a blank set for a new evaluation year, from last year's workbook or data
document.

What carries forward is declared in the rule packs, not here: `carry` (last year's value of the same field),
`carry_from` (last year's value of another field, or of another column of the same table row), `carry_if` (a fixed
value when a condition on last year's data holds) and `[rows] carry` (the indicator-row names). This module only
interprets those declarations and says, item by item, what it took and from which file, sheet and cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from xl_perf.errors import BadInputError, Location
from xl_perf.findings import Ref
from xl_perf.model import document, values
from xl_perf.rules import model
from xl_perf.rules.expr import MissingInputs, Undefined
from xl_perf.rules.text import render
from xl_perf.template.sources import load_any

Kind = Literal["carried", "skipped", "note"]
_PREVIEW = 60  # longest value shown in full


@dataclass(frozen=True)
class Carried:
    """One line of the rollover report: an item taken from last year, an item that was not, or a remark."""

    kind: Kind
    what: str  # the new year's item, in Chinese ("单位名称", "财政资金情况·总计·上年结转"); "" for a remark
    value: str | None = None  # as shown to the user (carried items only)
    source: Location | None = None  # where last year's value is, or would have been
    basis: str = ""  # last year's item when it is another one, or what a condition was decided on
    note: str = ""  # why an item was not carried, or what the user should do

    @property
    def carried(self) -> bool:
        return self.kind == "carried"

    def describe(self) -> str:
        """The printed line, e.g. "已带入：单位名称 = 遂溪县港门镇人民政府（来自 上年.xlsx 基本情况!C3）"."""
        where = where_text(self.source)
        if self.kind == "carried":
            origin = "，".join(p for p in (self.basis, f"来自 {where}" if where else "") if p)
            line = f"已带入：{self.what} = {self.value}" + (f"（{origin}）" if origin else "")
            return line + (f"；{self.note}" if self.note else "")
        if self.kind == "skipped":
            detail = "；".join(p for p in (self.note, where) if p)
            return f"未带入：{self.what}" + (f"（{detail}）" if detail else "")
        return f"说明：{self.note}"


def where_text(location: Location | None) -> str:
    """A location for people: file name, then sheet!cell of a workbook or the key of a data document."""
    if location is None:
        return ""
    name = Path(location.file).name if location.file else ""
    place = f"{location.sheet}!{location.cell}" if location.sheet and location.cell else (location.key or "")
    return " ".join(p for p in (name, place) if p)


def roll_forward(source: Path, year: int) -> tuple[document.Document, list[Carried]]:
    """The blank document of `year` that last year's `source` (.xlsx/.xlsm or .json) carries into, and the report.

    Workbooks are read through the guarded reader; an unusable value in a cell the rollover needs is reported at its
    cell (and not carried) rather than refused, since every other value of last year is dropped anyway."""
    old, locate = load_any(source, lenient=source.suffix.lower() != ".json")
    if year <= old.year:
        raise BadInputError(
            f"新的评价年度 {year} 应晚于上年材料的年度 {old.year}（--year 给出要生成的新年度）",
            Location(file=str(source)),
        )
    roller = _Roller(old, locate, year)
    roller.run()
    return roller.result()


class _Roller:
    def __init__(self, old: document.Document, locate: Callable[[Ref], Location], year: int) -> None:
        self.old = old
        self.pack = old.pack
        self.locate = locate
        self.new = document.Document(pack=old.pack, unit=old.unit, year=year, level=old.level)
        self.items: list[Carried] = []
        self.problems = {p.ref: p.message for p in old.value_problems}

    # --- report helpers --------------------------------------------------------------------------------------------

    def carried(self, what: str, value: str, ref: Ref, basis: str = "", note: str = "") -> None:
        self.items.append(Carried("carried", what, value, self.locate(ref), basis, note))

    def skipped(self, what: str, ref: Ref | None, note: str) -> None:
        self.items.append(Carried("skipped", what, None, None if ref is None else self.locate(ref), note=note))

    def remark(self, note: str) -> None:
        self.items.append(Carried("note", "", note=note))

    def blank_reason(self, ref: Ref, label: str) -> str:
        problem = self.problems.get(ref)
        if problem is not None:
            return f"上年“{label}”的值无法使用：{problem}"
        return f"上年“{label}”为空"

    def show(self, value: values.Value, options: tuple[str, ...] = ()) -> str:
        if isinstance(value, bool):
            yes, no = options if len(options) == 2 else ("是", "否")
            return yes if value else no
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        text = " ".join(value.split())
        return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "…"

    def field_options(self, spec: model.FieldSpec) -> tuple[str, ...]:
        return tuple(self.old.text(o) for o in spec.options)

    # --- the declarations ------------------------------------------------------------------------------------------

    def run(self) -> None:
        if self.new.year - self.old.year > 1:
            self.remark(
                f"上年材料是 {self.old.year} 年度的，与 {self.new.year} 年度相隔不止一年；"
                "带入的结转、存量资金等数据请核对"
            )
        fields = self.pack.fields
        for spec in fields.values():
            if spec.carry:
                self.field(spec, spec)
            elif spec.carry_from is not None:
                self.field(spec, fields[spec.carry_from])
            elif spec.carry_if is not None:
                self.conditional(spec, spec.carry_if)
        for table in self.pack.tables:
            self.table(table)
        self.indicator_rows()
        if self.old.params or self.old.options:
            self.remark("上年材料改选的计分参数或地区选项（params/options）未带入，新年度按规则包默认设置")
        self.remark(f"其余内容（绩效目标、资金数据、得分等）均留空，请按 {self.new.year} 年度实际情况填写")

    def field(self, target: model.FieldSpec, source: model.FieldSpec) -> None:
        what = self.new.text(target.label)
        basis = "" if source.id == target.id else f"上年“{self.old.text(source.label)}”"
        ref = Ref("field", source.id)
        value = self.old.fields.get(source.id)
        if value is None:
            self.skipped(what, ref, self.blank_reason(ref, self.old.text(source.label)))
            return
        self.new.fields[target.id] = value
        self.carried(what, self.show(value, self.field_options(source)), ref, basis)

    def last_value(self, name: str) -> values.Value | None:
        """Last year's value of a field or of a pack cell (a single table cell); None when blank."""
        if name in self.pack.fields:
            return self.old.fields.get(name)
        cell = self.pack.cells[name]
        row = next((r for r in self.old.tables.get(cell.table, []) if r.row_id == cell.row), None)
        return None if row is None else row.values.get(cell.column)

    def input_type(self, name: str) -> str:
        if name in self.pack.fields:
            return self.pack.fields[name].type
        cell = self.pack.cells[name]
        return self.pack.table(cell.table).column(cell.column).type

    def input_label(self, name: str) -> str:
        if name in self.pack.fields:
            return self.old.text(self.pack.fields[name].label)
        cell = self.pack.cells[name]
        table = self.pack.table(cell.table)
        row = next(r for r in table.rows if r.id == cell.row)
        column = "/".join(self.old.text(p) for p in table.column(cell.column).path)
        return f"{self.old.text(row.label)}·{column}"

    def input_ref(self, name: str) -> Ref:
        if name in self.pack.fields:
            return Ref("field", name)
        cell = self.pack.cells[name]
        rows = self.old.tables.get(cell.table, [])
        index = next((i for i, r in enumerate(rows) if r.row_id == cell.row), 0)
        return Ref("cell", cell.table, index, cell.column)

    def conditional(self, spec: model.FieldSpec, rule: model.CarryIf) -> None:
        what = self.new.text(spec.label)
        names = rule.when.names
        inputs: dict[str, values.Value] = {}
        shown = []
        for name in names:
            value = self.last_value(name)
            options = self.field_options(self.pack.fields[name]) if name in self.pack.fields else ()
            shown.append(f"{self.input_label(name)} = {'空' if value is None else self.show(value, options)}")
            if value is None:  # a blank counts as 0 / 否 / "": a blank 是否完工 is not 是
                kind = self.input_type(name)
                value = Decimal(0) if kind in model.NUMERIC_TYPES else False if kind in ("yesno", "havenot") else ""
            inputs[name] = value
        basis = "依据上年 " + "、".join(shown)
        unusable = [self.input_label(n) for n in names if self.input_ref(n) in self.problems]
        if unusable:
            basis += f"（{'、'.join(unusable)} 的值无法使用，按空白计）"
        ref = self.input_ref(names[0]) if names else None
        try:
            holds = bool(rule.when.evaluate(inputs))
        except (MissingInputs, Undefined):
            self.skipped(what, ref, f"无法根据上年数据判断，请自行填写；{basis}")
            return
        if not holds:
            self.skipped(what, ref, f"{self.new.text(rule.otherwise)}；{basis}")
            return
        value = self.new.text(rule.value)
        self.new.fields[spec.id] = value
        self.carried(what, value, ref or Ref("document"), basis)

    def table(self, table: model.TableSpec) -> None:
        columns = [c for c in table.columns if c.carry_from is not None]
        if not columns:
            return
        name = self.new.text(table.label)
        column_label = {c.id: self.new.text(c.path[-1]) for c in table.columns}
        specs = {r.id: r for r in table.rows}
        rows: list[document.TableRow] = []
        blank_fixed: list[str] = []
        numbers: dict[str, int] = {}
        order = document.level_rows(self.new, table)
        for index, old_row in enumerate(self.old.tables.get(table.id, [])):
            spec = specs[old_row.row_id]
            values = {c.id: old_row.values[c.carry_from] for c in columns if c.carry_from in old_row.values}
            if not spec.repeat:
                label = self.new.text(spec.label)
                rows.append(document.TableRow(spec.id, label, values, len(rows)))
                if not values:
                    blank_fixed.append(label)
                for column in columns:
                    if column.id in values:
                        self.carried(
                            f"{name}·{label}·{column_label[column.id]}",
                            self.show(values[column.id]),
                            Ref("cell", table.id, index, column.carry_from),
                            f"上年“{column_label[str(column.carry_from)]}”",
                        )
                continue
            # A repeating row (a project) continues into the new year only when money carries over with it.
            source_label = "、".join(f"“{column_label[str(c.carry_from)]}”" for c in columns)
            where = Ref("cell", table.id, index, columns[0].carry_from)
            positive = {k: v for k, v in values.items() if isinstance(v, Decimal) and v > 0}
            if not positive:
                state = "为 0" if values else "为空"
                self.skipped(
                    f"{name}·{old_row.label}",
                    where,
                    f"上年{source_label}{state}，不作为续建项目带入；如仍在实施，请在新表中自行增加",
                )
                continue
            if not self.belongs(table, rows, spec):
                above = self.new.text(order[order.index(spec) - 1].label)
                self.skipped(
                    f"{name}·{old_row.label}",
                    where,
                    f"上年“{above}”行的{source_label}为空，项目行无法单独带入；请先补全上年该行或在新表中自行填写",
                )
                continue
            numbers[spec.id] = numbers.get(spec.id, 0) + 1
            label = self.renumber(spec.label, numbers[spec.id], old_row.label)
            rows.append(document.TableRow(spec.id, label, {**positive}, len(rows)))
            for column in columns:
                if column.id in positive:
                    self.carried(
                        f"{name}·{label}·{column_label[column.id]}",
                        self.show(positive[column.id]),
                        Ref("cell", table.id, index, column.carry_from),
                        f"上年“{column_label[str(column.carry_from)]}”，作为续建项目",
                    )
        if blank_fixed:
            targets = "、".join(f"“{column_label[c.id]}”" for c in columns)
            sources = "、".join(f"“{column_label[str(c.carry_from)]}”" for c in columns)
            self.skipped(
                f"{name}·{targets}",
                None,
                f"上年以下各行的{sources}为空：{'、'.join(blank_fixed)}",
            )
        if any(r.values for r in rows):
            self.new.tables[table.id] = rows

    def belongs(self, table: model.TableSpec, rows: list[document.TableRow], spec: model.RowSpec) -> bool:
        """Whether a repeating row added after `rows` is read back into its own group. Blank fixed rows are not
        written, so the group is decided by the last fixed row that holds a value (see `document.match_row`)."""
        specs = {r.id: r for r in table.rows}
        above = next((specs[r.row_id] for r in reversed(rows) if not specs[r.row_id].repeat and r.values), None)
        return document.repeat_after(document.level_rows(self.new, table), above) == spec

    def renumber(self, template: str, number: int, old_label: str) -> str:
        """ "项目{n}" -> "项目1：名称": the new year's numbering, with the name the unit gave the row last year."""
        head = self.old.text(template.replace("{n}", "\0")).split("\0")[0]
        name = re.sub(rf"^\s*{re.escape(head)}\s*\d+\s*[：:]?\s*", "", old_label).strip()
        base = render(template, {**self.new.words, "n": str(number)})
        return f"{base}：{name}" if name else base

    def indicator_rows(self) -> None:
        layout = self.pack.rows
        if layout is None or not self.old.rows:
            return
        if not layout.carry:
            self.remark(f"上年的 {len(self.old.rows)} 行绩效指标未带入：该框架的绩效指标每年重新设定")
            return
        keep = [layout.levels.index(n) for n in layout.carry]
        for row in self.old.rows:
            levels = tuple(name if i in keep else "" for i, name in enumerate(row.levels))
            if any(levels):
                self.new.rows.append(document.IndicatorRow(levels, "", "", None, None, "", len(self.new.rows)))
        if not self.new.rows:
            return
        blank = [layout.target, layout.actual, layout.weight, layout.score, layout.reason]
        self.carried(
            f"绩效指标名称（{'、'.join(layout.carry)}）",
            f"{len(self.new.rows)} 行",
            Ref("row", row=0),
            "上年绩效指标表",
            f"{'、'.join(b for b in blank if b)}留空：绩效目标每年重新批复，请按新年度批复填写",
        )

    def result(self) -> tuple[document.Document, list[Carried]]:
        # The canonical form, checked as a data document, is what gets written (and read back) as the workbook.
        doc = document.from_dict(document.to_dict(self.new))
        return doc, self.items


def roll_all(
    sources: list[Path], year: int, framework: str | None = None
) -> list[tuple[Path, document.Document, list[Carried]]]:
    """Roll every source forward before anything is written, so one unusable source stops the whole run.
    `framework`, when given, must be each source's own."""
    results = []
    for source in sources:
        doc, items = roll_forward(source, year)
        if framework is not None and framework != doc.pack.id:
            raise BadInputError(
                f"--framework {framework} 与上年材料的框架 {doc.pack.id} 不符（用 --from 时框架取自上年材料，可省略）",
                Location(file=str(source)),
            )
        results.append((source, doc, items))
    return results
