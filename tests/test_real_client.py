"""LibreOffice Calc as the user's spreadsheet program, end to end (issue 13).

A person fills a blank template of each framework in Calc (`tests/lo_user.py`, one soffice for the session): types a
type-correct value into every input cell (amounts with 6 decimals, counts, percentages, dates, choices from the
drop-down lists, long Chinese text), types the judgement scores, leaves every other rate and score to the form's
formulas, inserts an extra project or indicator row the way workbooks/README.md says, recalculates and saves with
Calc's own xlsx writer. Then the tool must agree with what Calc shows:

* `dump` reads back exactly what was typed;
* every rate, score and total the engine computes equals the value Calc shows in the same named cell, and the
  stated total (the 合计 the unit submits) is the one Calc shows;
* `check` finds no disagreement between form and tool (a consistent hand-made fill: no error at all);
* the submission copy of `export` holds Calc's numbers; its PDF prints the same total;
* `fill` of the read document writes the same 合计 as its cached value.

Random fills come from hypothesis (derandomized: the same fills on every run; `XL_PERF_LO_FILLS` sets how many per
framework, 20 by default); hand-made cases cover a 表彰 bonus, dates in 财政资金情况 and judgement scores typed beside
formulas.

Found by the random fills and kept as strict xfails (`ROW_DISAGREEMENTS`), for the owners of the row rules: an
实际完成值 with a comparison sign ("≥95%"), and a target and actual in different units. The random indicator rows
use (target, actual) pairs of one kind and unit (`ROW_PAIRS`) so the other comparisons stay meaningful.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, require_tool, sample_data
from tests.lo_user import Book, Office, Place
from xl_perf import export
from xl_perf.io.workbook import FileWorkbook
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate
from xl_perf.numbers import format_number
from xl_perf.rules import model
from xl_perf.template import generate, sources
from xl_perf.template.generate import build_layout
from xl_perf.template.layout import ROWS_NAME, STATED_TOTAL_NAME, TOTAL_NAME, Layout, stated_name
from xl_perf.template.native import UNDEFINED
from xl_perf.validate.run import check_files

FRAMEWORKS = ("gd-county-zhengti", "gd-county-xiangmu", "mof-zhengti", "mof-xiangmu")
YEAR = 2026
TOLERANCE = Decimal("0.005")
RATE_TOLERANCE = Decimal("0.00005")
# Findings that mean the form and the tool disagree about a number, whatever the unit typed.
DISAGREEMENT_CODES = {"TOTAL_DIFFERS", "STATED_TOTAL_MISMATCH", "SCORE_MISMATCH", "RATE_MISMATCH"}

Draw = Callable[[st.SearchStrategy[Any]], Any]

TEXTS = (
    "遂溪县港门镇人民政府",
    "粤财农〔2022〕125号",
    "07591234567",
    "0759-7654321",
    "张三",
    "2022年乡村振兴驻镇帮镇扶村资金",
    "按时完成",
    "100%",
)
SENTENCES = (
    "本年度围绕乡村振兴战略，统筹推进基础设施综合提升，",
    "严格执行预算管理制度，资金拨付及时、使用规范，",
    "项目按计划开工建设，截至年底已全部完成验收，",
    "群众满意度调查共发放问卷三百份，回收有效问卷二百九十八份，",
    "存在的问题主要是部分项目前期论证不够充分，",
    "下一步将加强绩效目标管理，完善绩效运行监控机制。",
)
ROW_NAMES = ("产出指标", "数量指标", "新建村道长度", "效益指标", "社会效益指标", "受益群众人数", "满意度指标")
# (年度指标值, 实际完成值) of the same kind and unit. Two disagreements between the engine and the workbook's row
# formulas were found with freer pairs and are left to the row-rule owners (see the module docstring).
ROW_PAIRS = (
    ("≥95%", "98%"),
    ("≥95%", "90%"),
    ("100%", "100%"),
    ("≤10天", "9天"),
    ("≤10天", "12天"),
    ("=1项", "1项"),
    ("≥3000万元", "3200万元"),
    ("12.5公里", "12.5公里"),
    ("达到预期", "达到预期"),
)


# ---------------------------------------------------------------- the user's keystrokes


def amount(draw: Draw, *, signed: bool = False) -> tuple[str, str]:
    low = Decimal("-99999.999999") if signed else Decimal(0)
    value = draw(st.decimals(min_value=low, max_value=Decimal("99999.999999"), places=6))
    text = format(value, "f")
    return text, text


def typed_for(draw: Draw, spec_type: str, options: tuple[str, ...], spec: Any = None) -> tuple[str, object]:
    """(what the user types, what the data document holds) for an input of `spec_type`."""
    if spec_type == "amount":
        return amount(draw, signed=bool(getattr(spec, "signed", False)))
    if spec_type == "count":
        value = draw(st.integers(min_value=0, max_value=40))
        return str(value), value
    if spec_type in ("number", "score"):
        low = getattr(spec, "minimum", None)
        high = getattr(spec, "maximum", None)
        number = draw(
            st.decimals(
                min_value=low if low is not None else Decimal(0),
                max_value=high if high is not None else Decimal(1000),
                places=2,
            )
        )
        return format(number, "f"), format(number, "f")
    if spec_type == "rate":
        rate = draw(st.decimals(min_value=Decimal(0), max_value=Decimal("1.5"), places=4))
        percent = format((rate * 100).normalize(), "f")
        return f"{percent}%", f"{percent}%"
    if spec_type in ("yesno", "havenot", "choice"):
        choice = draw(st.sampled_from(options))
        return choice, choice
    if spec_type == "date":
        day = draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2027, 12, 31)))
        return day.isoformat(), day.isoformat()
    if spec_type == "longtext":
        text = "".join(draw(st.lists(st.sampled_from(SENTENCES), min_size=3, max_size=14)))
        return text, text
    text = draw(st.sampled_from(TEXTS))
    return text, text


@dataclass
class Fill:
    """A blank template's planned fill: keystrokes by template cell, and the data document they must read back as."""

    framework: str
    layout: Layout
    keys: list[tuple[tuple[int, int, int], str]] = field(default_factory=list)  # (sheet index, row, col), text
    data: dict[str, Any] = field(default_factory=dict)
    extra: Callable[[Book], None] | None = None  # inserts and types the extra row, after the other keystrokes
    before: Callable[[Book], None] | None = None  # inserts rows before the keystrokes (which count them in)

    def type(self, sheet: int, row: int, col: int, text: str) -> None:
        self.keys.append(((sheet, row, col), text))


def plan_fill(framework: str, draw: Draw, *, overrides: dict[str, str] | None = None) -> Fill:
    """Every input cell of the blank template gets a drawn, type-correct value; judgement scores are typed; rates,
    scores and weights with a default formula are left to the form. `overrides`: field id -> keystroke."""
    blank = document.empty(framework, YEAR, "县", "")
    pack = blank.pack
    layout = build_layout(blank)
    plan = Fill(framework, layout)
    data: dict[str, Any] = {
        "schema": document.SCHEMA,
        "framework": framework,
        "unit": "",
        "year": YEAR,
        "level": "县",
        "fields": {},
    }
    sections = {spec.id: blank.text(section.label) for section in pack.sections for spec in section.fields}
    score_keys = document.score_keys(blank)
    table_rows: dict[str, dict[int, dict[str, object]]] = {t.id: {} for t in pack.tables}
    repeat_counts: dict[tuple[str, str], int] = {}
    row_count = 0
    if pack.rows is not None:
        row_count = draw(st.integers(min_value=1, max_value=layout.row_slots - 1))
    rows: dict[int, dict[str, object]] = {}
    pairs: dict[int, list[str]] = {}
    row_keys = _row_keys(pack.rows) if pack.rows is not None else {}
    for index, sheet in enumerate(layout.sheets):
        for (row, col), cell in sorted(sheet.cells.items()):
            binding = cell.binding
            if binding is None or cell.formula:
                continue  # not an input, or an input left to its default formula
            if binding.kind == "field":
                spec = pack.fields[binding.id]
                options = tuple(blank.text(o) for o in spec.options)
                if overrides and binding.id in overrides:
                    text = overrides[binding.id]
                    value: object = text
                else:
                    text, value = typed_for(draw, spec.type, options, spec)
                plan.type(index, row, col, text)
                data["fields"].setdefault(sections[spec.id], {})[blank.text(spec.label)] = value
                if binding.id in ("unit_name", "department", "implementer") and not data["unit"]:
                    data["unit"] = text
            elif binding.kind in ("table", "table_label"):
                table = pack.table(binding.id)
                slot = layout.table_slots[table.id][binding.slot]
                if slot.repeat:
                    group_slots = [s for s in layout.table_slots[table.id] if s.row_id == slot.row_id]
                    key = (table.id, slot.row_id)
                    if key not in repeat_counts:
                        repeat_counts[key] = draw(st.integers(min_value=0, max_value=len(group_slots) - 1))
                    position = [i for i, s in enumerate(layout.table_slots[table.id]) if s.row_id == slot.row_id]
                    if position.index(binding.slot) >= repeat_counts[key]:
                        continue
                entry = table_rows[table.id].setdefault(binding.slot, {table.row_header: slot.label})
                if binding.kind == "table_label":
                    label = f"项目{position.index(binding.slot) + 1}：{draw(st.sampled_from(TEXTS[1:6]))}"
                    plan.type(index, row, col, label)
                    entry[table.row_header] = label
                    continue
                column = table.column(binding.column)
                text, value = typed_for(draw, column.type, (), column)
                plan.type(index, row, col, text)
                entry["/".join(blank.text(p) for p in column.path)] = value
            elif binding.kind == "row":
                if binding.slot >= row_count or binding.column == "score":
                    continue
                if binding.column in ("target", "actual"):
                    pair = pairs.setdefault(binding.slot, _row_text(draw, "pair").split("\t"))
                    text = pair[0] if binding.column == "target" else pair[1]
                else:
                    text = _row_text(draw, binding.column)
                plan.type(index, row, col, text)
                rows.setdefault(binding.slot, {})[row_keys[binding.column]] = _row_value(binding.column, text)
            elif binding.kind == "score":  # no default formula: a judgement score, typed by the unit
                indicator = pack.indicator(binding.id)
                score = draw(st.decimals(min_value=Decimal(0), max_value=indicator.weight, places=2))
                plan.type(index, row, col, format(score, "f"))
                data.setdefault("scores", {})[score_keys[binding.id]] = format(score, "f")
    tables = {}
    for table in pack.tables:
        placed = [table_rows[table.id][slot] for slot in sorted(table_rows[table.id])]
        if placed:
            tables[blank.text(table.label)] = placed
    if tables:
        data["tables"] = tables
    if rows:
        data["indicator_rows"] = [rows[slot] for slot in sorted(rows)]
    plan.data = data
    _plan_extra_row(plan, blank, draw, row_keys)
    return plan


def _row_keys(rows: model.RowLayout) -> dict[str, str]:
    """Column key -> header of the indicator rows, in the order of the columns."""
    keys = {f"level{i}": name for i, name in enumerate(rows.levels)}
    keys.update({"target": rows.target, "actual": rows.actual})
    if rows.weight:
        keys["weight"] = rows.weight
    if rows.score:
        keys["score"] = rows.score
    keys["reason"] = rows.reason
    return keys


def _row_text(draw: Draw, key: str) -> str:
    if key.startswith("level"):
        return str(draw(st.sampled_from(ROW_NAMES)))
    if key == "pair":
        target, actual = draw(st.sampled_from(ROW_PAIRS))
        return f"{target}\t{actual}"
    if key == "weight":
        return str(draw(st.integers(min_value=1, max_value=10)))
    return str(draw(st.sampled_from(SENTENCES)))


def _row_value(key: str, text: str) -> object:
    return int(text) if key == "weight" else text


def _plan_extra_row(plan: Fill, blank: document.Document, draw: Draw, row_keys: dict[str, str]) -> None:
    """One more project row (财政资金情况 of gd-county-zhengti) or indicator row (the other frameworks), inserted
    above the last spare row by copying that row, as workbooks/README.md tells the user."""
    pack, layout = blank.pack, plan.layout
    if pack.rows is not None:
        texts = {key: _row_text(draw, key) for key in row_keys if key not in ("score", "target", "actual")}
        texts["target"], texts["actual"] = _row_text(draw, "pair").split("\t")

        def insert_indicator_row(book: Book) -> None:
            _, last = book.named("xp_rows")
            book.insert_copied_row_above(last.sheet, last.row)
            for col, key in enumerate(row_keys):
                if key in texts:
                    book.type(Place(last.sheet, last.row, col), texts[key])

        plan.extra = insert_indicator_row
        plan.data.setdefault("indicator_rows", []).append(
            {row_keys[key]: _row_value(key, text) for key, text in texts.items()}
        )
        return
    table = next(t for t in pack.tables if any(s.repeat for s in layout.table_slots[t.id]))
    slots = layout.table_slots[table.id]
    group = next(s.row_id for s in slots if s.repeat)
    last_slot = max(i for i, s in enumerate(slots) if s.row_id == group)
    typed_projects = [r for r in plan.data.get("tables", {}).get(blank.text(table.label), []) if "：" in str(r)]
    label = f"项目{len(typed_projects) + 1}：新增插入的项目"
    amounts = {c.id: amount(draw)[0] for c in table.columns if c.type == "amount"}
    upper_date = next(c for c in table.columns if c.type == "date")
    day = draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2027, 12, 31))).isoformat()

    def insert_project_row(book: Book) -> None:
        first, _ = book.named(f"xp_table_{table.id}")
        row = first.row + last_slot
        book.insert_copied_row_above(first.sheet, row)
        book.type(Place(first.sheet, row, 0), label)
        for col, column in enumerate(table.columns, start=1):
            if column.id in amounts:
                book.type(Place(first.sheet, row, col), amounts[column.id])
            elif column.id == upper_date.id:
                book.type(Place(first.sheet, row, col), day)

    plan.extra = insert_project_row
    entry: dict[str, object] = {table.row_header: label}
    for column in table.columns:
        path = "/".join(blank.text(p) for p in column.path)
        if column.id in amounts:
            entry[path] = amounts[column.id]
        elif column.id == upper_date.id:
            entry[path] = day
    rows = plan.data.setdefault("tables", {}).setdefault(blank.text(table.label), [])
    # After the group's typed projects, before the rows below the group.
    fixed_after = [i for i, s in enumerate(slots) if i > last_slot and not s.repeat]
    later_labels = {slots[i].label for i in fixed_after}
    position = next((i for i, r in enumerate(rows) if r[table.row_header] in later_labels), len(rows))
    rows.insert(position, entry)


# ---------------------------------------------------------------- playing the user


def blank_template(framework: str, folder: Path) -> Path:
    """The committed blank template of the framework (what `xl-perf new -f … -y 2026` writes), copied."""
    source = ROOT / "workbooks" / "blank" / f"{framework}-{YEAR}.xlsx"
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def play(office: Office, plan: Fill, folder: Path, name: str = "filled") -> Path:
    template = blank_template(plan.framework, folder)
    book = office.open(template)
    try:
        if plan.before is not None:
            plan.before(book)
        for (sheet, row, col), text in plan.keys:
            book.type(Place(sheet, row, col), text)
        if plan.extra is not None:
            plan.extra(book)
        book.recalculate()
        return book.save_xlsx(folder / f"{name}.xlsx")
    finally:
        book.close()


# ---------------------------------------------------------------- what Calc shows against what the tool says


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(repr(value))


def _agrees(expected: Decimal | None, shown: object, tolerance: Decimal = TOLERANCE) -> bool:
    if expected is None:
        return shown in (None, "")
    number = _decimal(shown)
    return number is not None and abs(number - expected) <= tolerance


def shown_score(evaluation: Evaluation, indicator_id: str) -> Decimal | None:
    """The 得分 the tool says the form shows: the typed score, else the rule's (blank when judgement is needed); for a
    group of indicator rows with their own 得分 column, the sum of the rows' (blank counts 0)."""
    result = evaluation.indicator(indicator_id)
    pack = evaluation.document.pack
    rows = [r for r in evaluation.rows if r.parent == indicator_id]
    if isinstance(pack.indicator(indicator_id).rule, model.RowsRule) and pack.rows is not None and pack.rows.score:
        return sum((shown_score_of(r) or Decimal(0) for r in rows), Decimal(0))
    return shown_score_of(result)


def shown_score_of(result: Any) -> Decimal | None:
    return result.stated_score if result.stated_score is not None else result.computed


def calc_disagreements(evaluation: Evaluation, saved: Path) -> list[str]:
    """Every named rate, score and total whose value in Calc's saved workbook differs from the engine's."""
    found: list[str] = []
    with FileWorkbook(saved) as book:
        names = book.names()

        def shown(name: str) -> object:
            target = names[name]
            return book.value(target.sheet, *target.first)

        for rate in evaluation.rates.values():
            name = f"xp_rate_{rate.id}"
            if rate.status == "undefined":
                if shown(name) != UNDEFINED:
                    found.append(f"{name}: tool {UNDEFINED}, Calc {shown(name)!r}")
            elif not _agrees(rate.value, shown(name), RATE_TOLERANCE):
                found.append(f"{name}: tool {rate.value}, Calc {shown(name)!r}")
        for result in evaluation.indicators:
            for name, expected in (
                (f"xp_score_{result.id}", evaluation.bonus if result.kind == "bonus_penalty" else result.computed),
                (stated_name(result.id), shown_score(evaluation, result.id)),
            ):
                if name in names and not _agrees(expected, shown(name)):
                    found.append(f"{name}: tool {expected}, Calc {shown(name)!r}")
        # Nothing typed: no stated total (not self-evaluated), but the 合计 still shows the form's own sum.
        stated = evaluation.stated_total if evaluation.stated_total is not None else evaluation.form_total
        for name, expected in ((TOTAL_NAME, evaluation.total), (STATED_TOTAL_NAME, stated)):
            if not _agrees(expected, shown(name)):
                found.append(f"{name}: tool {expected}, Calc {shown(name)!r}")
        found += _row_disagreements(evaluation, book)
    return found


def _row_disagreements(evaluation: Evaluation, book: FileWorkbook) -> list[str]:
    """Each indicator row's 计算得分 (and, where the form has one, its 得分 as shown) against the engine. The n-th
    filled row of the region is the document's n-th row (blank spare rows in between are skipped, as when read)."""
    pack = evaluation.document.pack
    region = book.names().get(ROWS_NAME)
    if region is None or pack.rows is None:
        return []
    width = len(pack.rows.levels) + 3 + bool(pack.rows.weight) + bool(pack.rows.score)
    header_row = region.first[0] - 1
    headers = {book.value(region.sheet, header_row, c): c for c in range(region.first[1], region.last[1] + 1)}
    computed_col = headers["计算得分"]
    score_col = headers.get(pack.rows.score) if pack.rows.score else None
    filled = [
        row
        for row in range(region.first[0], region.last[0] + 1)
        if any(book.value(region.sheet, row, c) not in (None, "") for c in range(region.first[1], width))
    ]
    found = []
    for result in evaluation.rows:
        assert result.row_index is not None
        row = filled[result.row_index]
        checks = [("计算得分", computed_col, result.computed)]
        if score_col is not None:
            checks.append((pack.rows.score, score_col, shown_score_of(result)))
        for title, col, expected in checks:
            actual = book.value(region.sheet, row, col)
            if not _agrees(expected, actual):
                found.append(f"{title} of indicator row {result.row_index + 1}: tool {expected}, Calc {actual!r}")
    return found


def calc_value(saved: Path, name: str) -> object:
    with FileWorkbook(saved) as book:
        target = book.names()[name]
        return book.value(target.sheet, *target.first)


def normalized(data: dict[str, Any]) -> dict[str, Any]:
    return document.to_dict(document.from_dict(data))


def differences(expected: object, got: object, path: str = "") -> list[str]:
    """Every leaf where two data documents differ, as "path: expected != got"."""
    if isinstance(expected, dict) and isinstance(got, dict):
        return [d for k in {**expected, **got} for d in differences(expected.get(k), got.get(k), f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        pairs = enumerate(zip(expected, got, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}[{i}]")]
    return [] if expected == got else [f"{path}: typed {expected!r}, dump {got!r}"]


def submission_disagreements(evaluation: Evaluation, saved: Path, copy: Path) -> list[str]:
    """Every formula cell of the printed form whose value in the submission copy differs from Calc's. A score the
    rules do not apply (资金下达合法性 without transfers) shows 0 on the form and prints 不适用 in the submission."""
    plan = build_layout(evaluation.document)
    not_applicable = {stated_name(r.id) for r in evaluation.indicators if export.does_not_apply(r)}
    found: list[str] = []
    with FileWorkbook(saved) as calc, FileWorkbook(copy) as submitted:
        names = calc.names()
        for sheet in plan.sheets:
            for (row, col), cell in sheet.cells.items():
                if not cell.formula or not cell.name or col >= sheet.print_cols or cell.name not in names:
                    continue
                target = names[cell.name]
                expected = calc.value(target.sheet, *target.first)
                written = submitted.value(sheet.name, row, col)
                if cell.name in not_applicable and written == export.NOT_APPLICABLE and expected in (0, None):
                    continue
                if isinstance(expected, str) or expected is None:
                    if (written or "") != (expected or ""):
                        found.append(f"{cell.name}: submission {written!r}, Calc {expected!r}")
                elif not _agrees(_decimal(expected), written, Decimal("0.000001")):
                    found.append(f"{cell.name}: submission {written!r}, Calc {expected!r}")
    return found


# ---------------------------------------------------------------- fixtures and random fills


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real-client")


def _verify_random_fill(office: Office, plan: Fill, folder: Path) -> None:
    saved = play(office, plan, folder)
    dumped = sources.dump(saved)
    found = differences(normalized(plan.data), normalized(dumped))
    assert not found, "dump differs from what was typed:\n" + "\n".join(found)
    doc, _ = sources.load_any(saved)
    evaluation = evaluate(doc)
    found = calc_disagreements(evaluation, saved)
    assert not found, "\n".join(found)
    report = check_files([saved])
    assert not report.bad
    codes = {f.code for f in report.findings}
    assert not codes & DISAGREEMENT_CODES, [f.message for f in report.findings if f.code in DISAGREEMENT_CODES]
    copy = export.write_submission(doc, evaluation, folder / "submission.xlsx")
    found = submission_disagreements(evaluation, saved, copy)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_random_fills_in_calc_agree_with_the_tool(lo_office: Office, work: Path, framework: str) -> None:
    counter = iter(range(10_000))

    @settings(
        max_examples=int(os.environ.get("XL_PERF_LO_FILLS", "20")),
        derandomize=True,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: every example costs a Calc session
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )
    @given(st.data())
    def one_fill(data: st.DataObject) -> None:
        folder = work / f"{framework}-{next(counter)}"
        folder.mkdir()
        plan = plan_fill(framework, data.draw)
        _verify_random_fill(lo_office, plan, folder)

    one_fill()


# ---------------------------------------------------------------- hand-made: a consistent fill, bonus, dates


def consistent_gd_zhengti_fill() -> tuple[Fill, dict[str, Any]]:
    """The corrected Gangmen filing (its inputs pass `check`) typed into a blank 2026 template as a unit does:
    inputs and judgement scores typed, the other scores and the 合计 left to the formulas, one 表彰 (+1 加减分),
    a （二）中央、省、市财政安排 row with 收到上级资金文件时间 and 上级转移支付时间 (a date and a month)."""
    data = sample_data("corrected/gangmen-2022-zhengti.json")
    data["year"] = YEAR
    data["level"] = "县"
    fields = data["fields"]
    probe = document.empty("gd-county-zhengti", YEAR, "县", "")
    for section in probe.pack.sections:  # the stated rates are left to their formulas, as a unit usually does
        for spec in section.fields:
            if spec.stated_of is not None:
                fields.get(probe.text(section.label), {}).pop(probe.text(spec.label), None)
    upper = next(r for r in probe.pack.table("funds").rows if r.id == "upper")
    commendations = probe.pack.fields["commendations"]
    section = next(x for x in probe.pack.sections if commendations in x.fields)
    fields.setdefault(probe.text(section.label), {})[probe.text(commendations.label)] = 1  # 表彰: +1 加减分
    funds: list[dict[str, object]] = data["tables"]["财政资金情况"]
    funds.append(
        {
            "项目": probe.text(upper.label),
            "财政下达预算情况/上级补助/上级下达资金文号": "粤财农〔2026〕12号",
            "财政下达预算情况/上级补助/收到上级资金文件时间": "2026-04-27",
            "财政下达预算情况/上级补助/金额": "0",
            "预算支出情况/上级补助资金支出/上级转移支付时间": "2026年10月",
        }
    )
    return judgement_only(data)


def judgement_only(data: dict[str, Any]) -> tuple[Fill, dict[str, Any]]:
    """`data` as a unit types it: no 合计, only the scores the rules leave to judgement (the rest to the formulas)."""
    data.pop("stated_total", None)
    doc = document.from_dict({**data, "scores": {}})
    evaluation = evaluate(doc)
    judged = {r.id for r in evaluation.indicators if r.computed is None and r.kind != "bonus_penalty"}
    keys = document.score_keys(doc)
    scores = document.from_dict(data).stated_scores
    data["scores"] = {keys[i]: format(scores[i], "f") for i in judged if i in scores}
    return _fill_from_document(document.from_dict(data)), data


def _fill_from_document(doc: document.Document) -> Fill:
    """The keystrokes that type `doc` into a blank template: every value the document holds; its scores typed over
    the score formulas (the caller keeps only the scores the rules leave to judgement); other formula cells kept.

    The document's own layout may have more project rows than the blank one: cells are matched by what they hold
    (field, fixed table row, n-th project row of a group, indicator row), not by position."""
    from xl_perf.template import fill as fill_module

    blank = document.empty(doc.pack.id, doc.year, doc.level, "")
    layout = build_layout(blank)
    plan = Fill(doc.pack.id, layout)
    full = build_layout(doc)
    values = fill_module.values_for(full, doc)

    def slot_key(of: Layout, table_id: str, slot: int) -> tuple[str, int]:
        slots = of.table_slots[table_id]
        return slots[slot].row_id, sum(1 for s in slots[:slot] if s.row_id == slots[slot].row_id)

    def key(of: Layout, binding: Any) -> tuple[object, ...]:
        if binding.kind in ("table", "table_label"):
            return (binding.kind, binding.id, slot_key(of, binding.id, binding.slot), binding.column)
        return (binding.kind, binding.id, binding.slot, binding.column)

    places = {
        key(layout, cell.binding): (index, row, col, cell)
        for index, sheet in enumerate(layout.sheets)
        for (row, col), cell in sheet.cells.items()
        if cell.binding is not None
    }
    # More indicator rows than the blank form's spare rows: the user inserts copies of the last spare row first
    # (workbooks/README.md); row n is then the n-th row of the region, and what lies below moves down.
    inserted, rows_sheet, first_row, last_row = 0, -1, 0, 0
    for index, sheet in enumerate(layout.sheets):
        if ROWS_NAME in sheet.ranges:
            rows_sheet, first_row, _, last_row, _ = index, *sheet.ranges[ROWS_NAME]
    if rows_sheet >= 0 and len(doc.rows) > layout.row_slots - 1:
        inserted = len(doc.rows) - (layout.row_slots - 1)

        def insert_rows(book: Book) -> None:
            for _ in range(inserted):
                book.insert_copied_row_above(rows_sheet, last_row)

        plan.before = insert_rows
    for sheet in full.sheets:
        for (row, col), cell in sorted(sheet.cells.items()):
            value = values.get((sheet.key, row, col))
            if value is None or cell.binding is None:
                continue
            if cell.formula and cell.binding.kind not in ("score", "weight"):
                continue  # a stated rate: left to its formula (scores and adjusted weights are typed over theirs)
            if cell.binding.kind == "row":
                index, _, blank_col, blank_cell = places[("row", "", 0, cell.binding.column)]
                blank_row = first_row + cell.binding.slot
            else:
                index, blank_row, blank_col, blank_cell = places[key(full, cell.binding)]
                if index == rows_sheet and blank_row >= last_row:
                    blank_row += inserted
            plan.type(index, blank_row, blank_col, _keystrokes(value, blank_cell.value_type))
    return plan


def _keystrokes(value: object, value_type: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if value_type == "rate":
            return format((value * 100).normalize(), "f") + "%"
        return format(value.normalize(), "f")
    return str(value)


@pytest.fixture(scope="module")
def consistent(lo_office: Office, work: Path) -> tuple[Path, dict[str, Any]]:
    plan, data = consistent_gd_zhengti_fill()
    folder = work / "consistent"
    folder.mkdir()
    return play(lo_office, plan, folder), data


def test_consistent_fill_reads_back_and_checks_clean(consistent: tuple[Path, dict[str, Any]]) -> None:
    saved, data = consistent
    dumped = sources.dump(saved)
    expected = normalized(data)
    got = normalized(dumped)
    assert got["tables"] == expected["tables"]
    assert got["fields"] == expected["fields"]
    assert got.get("scores") == expected.get("scores")
    report = check_files([saved])
    errors = [f"{f.code} {f.message}" for f in report.findings if f.severity == "error"]
    assert not errors, errors
    assert not {f.code for f in report.findings} & DISAGREEMENT_CODES


def test_consistent_fill_one_total_everywhere(consistent: tuple[Path, dict[str, Any]], work: Path) -> None:
    """Calc's 合计, score, check, fill's cached 合计 and the PDF: one number, with the +1 of the 表彰 in it."""
    saved, _ = consistent
    doc, _ = sources.load_any(saved)
    evaluation = evaluate(doc)
    assert evaluation.bonus == 1
    shown = _decimal(calc_value(saved, STATED_TOTAL_NAME))
    assert shown is not None and shown == evaluation.stated_total == evaluation.total
    assert not calc_disagreements(evaluation, saved)
    # fill: the document read from Calc's workbook, written into a fresh template
    folder = work / "refill"
    folder.mkdir()
    data_path = folder / "data.json"
    data_path.write_text(json.dumps(document.to_dict(doc), ensure_ascii=False), encoding="utf-8")
    filled = generate.fill_template(blank_template(doc.pack.id, folder), data_path, folder / "refilled.xlsx")
    assert _decimal(calc_value(filled, STATED_TOTAL_NAME)) == shown
    assert _decimal(calc_value(filled, TOTAL_NAME)) == shown


def test_consistent_fill_pdf_prints_the_same_total(consistent: tuple[Path, dict[str, Any]], work: Path) -> None:
    saved, _ = consistent
    doc, _ = sources.load_any(saved)
    evaluation = evaluate(doc)
    outdir = work / "export"
    outdir.mkdir()
    exported = export.export(saved, outdir, pdf=True)
    assert not exported.refused
    pdf = next(p for p in exported.files if p.suffix == ".pdf")
    text = subprocess.run(
        [require_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert format_number(evaluation.total) in text


def test_consistent_fill_submission_copy_holds_calcs_numbers(
    consistent: tuple[Path, dict[str, Any]], work: Path
) -> None:
    saved, _ = consistent
    doc, _ = sources.load_any(saved)
    evaluation = evaluate(doc)
    folder = work / "submission"
    folder.mkdir()
    copy = export.write_submission(doc, evaluation, folder / "submission.xlsx")
    assert not submission_disagreements(evaluation, saved, copy)


def test_judgement_scores_typed_beside_formulas_are_not_summed_alone(consistent: tuple[Path, dict[str, Any]]) -> None:
    """The issue's case: only the judgement scores typed, every other score left to its formula. The stated total is
    the 合计 Calc shows (the typed scores plus the form's own scores), not the sum of the typed scores."""
    saved, _ = consistent
    doc, _ = sources.load_any(saved)
    assert doc.stated_total is None  # the 合计 still holds its formula: the form's computation, not a typed claim
    evaluation = evaluate(doc)
    typed_sum = sum(doc.stated_scores.values(), Decimal(0))
    shown = _decimal(calc_value(saved, STATED_TOTAL_NAME))
    assert shown is not None and shown > typed_sum
    assert evaluation.stated_total == shown
    assert "TOTAL_DIFFERS" not in {f.code for f in evaluation.findings}


def test_dates_in_the_funds_table_survive_calc_fill_and_export(
    consistent: tuple[Path, dict[str, Any]], work: Path
) -> None:
    """收到上级资金文件时间 and 上级转移支付时间 typed as a date and as a month in Calc: read back as typed, and the
    submission copy (verified cell by cell on writing) holds them."""
    saved, _ = consistent
    folder = work / "dates"
    folder.mkdir()
    rows = normalized(sources.dump(saved))["tables"]["财政资金情况"]
    upper = next(r for r in rows if r["项目"].startswith("（二）"))
    assert upper["财政下达预算情况/上级补助/收到上级资金文件时间"] == "2026-04-27"
    assert upper["预算支出情况/上级补助资金支出/上级转移支付时间"] == "2026-10"
    assert upper["财政下达预算情况/上级补助/上级下达资金文号"] == "粤财农〔2026〕12号"
    doc, _ = sources.load_any(saved)
    copy = export.write_submission(doc, evaluate(doc), folder / "submission.xlsx")
    with FileWorkbook(copy) as book:
        cells = [book.value(s, r, c) for s in book.sheet_names() for r in range(60) for c in range(40)]
    assert any(isinstance(v, dt.date) and v.isoformat()[:10] == "2026-04-27" for v in cells), "date lost"
    assert "2026年10月" in cells


# ---------------------------------------------------------------- disagreements found by the random fills

ROW_DISAGREEMENTS = {
    # an 实际完成值 with a comparison sign: the engine scores "≥95%" as 95%, the row formula leaves the row blank
    "actual-with-sign": ("mof-xiangmu", ("满意度指标", "满意度指标", "服务对象满意度"), "98%", "≥95%", "10"),
    # target and actual in different units: the engine asks for judgement, the row formula counts 0 and the group
    # score sums the other rows, so the form shows a score where the tool shows none
    "unit-mismatch": ("gd-county-xiangmu", ("产出指标", "数量指标", "新建村道长度"), "≥3000万元", "100%", ""),
}


@pytest.mark.xfail(strict=True, reason="engine and workbook row formulas disagree (found by the Calc harness)")
@pytest.mark.parametrize("case", sorted(ROW_DISAGREEMENTS))
def test_row_disagreements_found_by_the_harness(lo_office: Office, work: Path, case: str) -> None:
    framework, levels, target, actual, weight = ROW_DISAGREEMENTS[case]
    blank = document.empty(framework, YEAR, "县", "")
    layout = build_layout(blank)
    plan = Fill(framework, layout)
    assert blank.pack.rows is not None
    keys = _row_keys(blank.pack.rows)
    texts = {f"level{i}": name for i, name in enumerate(levels)} | {"target": target, "actual": actual}
    if weight:
        texts["weight"] = weight
    for index, sheet in enumerate(layout.sheets):
        for (row, col), cell in sheet.cells.items():
            binding = cell.binding
            if binding is not None and binding.kind == "row" and binding.slot == 0 and binding.column in texts:
                plan.type(index, row, col, texts[binding.column])
    assert len(plan.keys) == len(texts) and set(texts) <= set(keys)
    folder = work / f"row-{case}"
    folder.mkdir()
    saved = play(lo_office, plan, folder)
    doc, _ = sources.load_any(saved)
    assert not calc_disagreements(evaluate(doc), saved)


def test_consistent_project_fill_checks_clean(lo_office: Office, work: Path) -> None:
    """The corrected Gangmen project filing (gd-county-xiangmu) typed with its judgement scores only: no error,
    and Calc's 合计 is the tool's total."""
    data = sample_data("corrected/gangmen-2022-xiangmu.json")
    data["year"] = YEAR
    data["level"] = "县"
    plan, data = judgement_only(data)
    folder = work / "consistent-xiangmu"
    folder.mkdir()
    saved = play(lo_office, plan, folder)
    found = differences(normalized(data), normalized(sources.dump(saved)))
    assert not found, found
    report = check_files([saved])
    errors = [f"{f.code} {f.message}" for f in report.findings if f.severity == "error"]
    assert not errors, errors
    evaluation = report.checked[0].evaluation
    assert not calc_disagreements(evaluation, saved)
    assert _decimal(calc_value(saved, STATED_TOTAL_NAME)) == evaluation.stated_total == evaluation.total
