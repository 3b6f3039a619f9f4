"""LibreOffice as the independent engine for the generated workbooks, and as their PDF renderer.

Every computed cell of a filled workbook is a native formula. Here LibreOffice recalculates them (one headless
session for all workbooks) and each named computed cell is compared with the engine:

* ``xp_rate_<id>``: the rate (4 decimals), "" when an input is blank, "无法计算" when the denominator is 0;
* ``xp_score_<id>`` / ``xp_part_<id>_<part>``: the rule's own score, "" when it needs judgement or an input;
* the 计算得分 helper column of every indicator row, and ``xp_total``.

The documents are the three samples plus random documents of all four frameworks built from boundary values
(tier edges and both sides, .xx5 rounding points, zero denominators, blank inputs, every option of every choice).
A random document is reproducible from its seed (``random.Random(seed)``; the seed is in the test id and in every
failure message). ``XL_PERF_LO_SEED`` moves the seeds, ``XL_PERF_LO_DOCS`` changes how many documents are drawn.

Known disagreements are listed in ``KNOWN_DEFECTS``; each has a minimal document of its own, marked
``xfail(strict=True)``, and the random documents do not trip over them a second time.

The PDF part renders every blank template and every committed sample workbook, checks the text and the fonts, and
leaves PNGs in ``tests/_output/png/<stem>/`` for a person to look at.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES, require_tool, sample_data
from xl_perf import document
from xl_perf.engine.evaluate import Evaluation, evaluate
from xl_perf.io.libreoffice import converter, to_png
from xl_perf.io.workbook import FileWorkbook
from xl_perf.rules import model
from xl_perf.template.generate import dump, write_workbook
from xl_perf.template.native import UNDEFINED

D = Decimal
SAMPLE_NAMES = ("gangmen-2022-zhengti", "gangmen-2022-xiangmu", "ziyuan-2023-zhengti")
FRAMEWORKS = ("gd-county-zhengti", "gd-county-xiangmu", "mof-zhengti", "mof-xiangmu")
BASE_SEED = int(os.environ.get("XL_PERF_LO_SEED", "7301"))
RANDOM_DOCS = max(30, int(os.environ.get("XL_PERF_LO_DOCS", "36")))
SCORE_TOLERANCE = D("0.005")
# Rates are fractions rounded to 4 decimals: a disagreement in the last digit (0.8999 vs 0.9000) moves a tier, so
# rates are compared far more tightly than scores (still well inside the 0.005 the scores allow).
RATE_TOLERANCE = D("0.00005")
PNG_DIR = ROOT / "tests" / "_output" / "png"
EMPTY = (None, "")


# ---------------------------------------------------------------- documents


def _text(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (what a unit would type)."""
    text = format(value.normalize(), "f")
    return text


class Draft:
    """A data document under construction, addressed by the rule pack's ids; labels are rendered for the level."""

    def __init__(self, rng: random.Random, framework: str) -> None:
        self.rng = rng
        level = rng.choice(("县", "市", "镇"))
        year = rng.choice((2021, 2022, 2023, 2024, 2025))
        self.unit = rng.choice(("遂溪县港门镇人民政府", "资源县资源镇人民政府", "某市财政局", "某县教育局"))
        self.doc = document.empty(framework, year, level, self.unit)
        self.pack = self.doc.pack
        self.blank_rate = rng.choice((0.0, 0.05, 0.15))
        self.data: dict[str, object] = {
            "schema": document.SCHEMA,
            "framework": framework,
            "unit": self.unit,
            "year": year,
            "level": level,
            "fields": {},
        }

    def blank(self) -> bool:
        return self.rng.random() < self.blank_rate

    def field(self, field_id: str, value: object, *, blankable: bool = True) -> None:
        if value is None or (blankable and self.blank()):
            return
        spec = self.pack.fields[field_id]
        section = self.doc.text(spec.section)
        fields = self.data["fields"]
        assert isinstance(fields, dict)
        fields.setdefault(section, {})[self.doc.text(spec.label)] = value

    def option(self, field_id: str) -> None:
        """A yes/no, have/not or choice field: any of its options (rendered for year and level), or blank."""
        spec = self.pack.fields[field_id]
        self.field(field_id, self.rng.choice([self.doc.text(o) for o in spec.options]))

    def cell(self, table_id: str, row_id: str, column_id: str, value: object) -> None:
        if value is None or self.blank():
            return
        table = self.pack.table(table_id)
        row = next(r for r in table.rows if r.id == row_id)
        label = self.doc.text(row.label)
        column = "/".join(self.doc.text(p) for p in table.column(column_id).path)
        tables = self.data.setdefault("tables", {})
        assert isinstance(tables, dict)
        rows = tables.setdefault(self.doc.text(table.label), [])
        existing = next((r for r in rows if r[table.row_header] == label), None)
        if existing is None:
            existing = {table.row_header: label}
            rows.append(existing)
        existing[column] = value

    def score(self, indicator_id: str, value: object) -> None:
        self.data.setdefault("scores", {})[document.score_keys(self.doc)[indicator_id]] = value

    def stated_scores(self, probability: float) -> None:
        """Stated scores for some indicators: in range, the full weight, 0, and now and then out of range."""
        for indicator in self.pack.indicators:
            if self.rng.random() >= probability:
                continue
            if self.pack.family == "mof" and isinstance(indicator.rule, model.RowsRule):
                continue  # the MoF table states these per indicator row (得分), not per indicator
            weight = indicator.weight
            value = self.rng.choice(
                (weight, D(0), (weight * D(self.rng.randint(0, 100)) / 100).quantize(D("0.01")), weight + 1, D(-1))
            )
            self.score(indicator.id, _number(value))
        if self.rng.random() < 0.3:
            self.data["stated_total"] = _number(D(self.rng.randint(6000, 10000)) / 100)


def _number(value: Decimal) -> int | float:
    normalized = value.normalize()
    return int(normalized) if normalized == normalized.to_integral_value() else float(normalized)


def ratio_pair(
    rng: random.Random, ratios: tuple[str, ...], bases: tuple[str, ...], zero: float = 0.1
) -> tuple[str, str]:
    """(numerator, denominator) texts whose exact quotient is one of `ratios`; now and then a zero denominator."""
    if rng.random() < zero:
        return rng.choice(("0", "12.5")), "0"
    base = D(rng.choice(bases))
    return _text(base * D(rng.choice(ratios))), _text(base)


def _xx5_cases() -> tuple[list[tuple[str, str, Decimal]], list[tuple[str, str, Decimal]]]:
    """Target/actual/weight triples whose exact row score a·w/t or (2t−a)·w/t ends in 5 at the third decimal and is
    not a binary fraction: the scores where half-up rounding in Decimal and in floating point can part ways."""
    forward: list[tuple[str, str, Decimal]] = []
    backward: list[tuple[str, str, Decimal]] = []
    for t in (40, 60, 95, 120, 300):
        for w in (D(3), D(7), D(9), D("7.5"), D(12)):
            for a in range(1, t):
                for into, score, target, actual in (
                    (forward, D(a) * w / t, f"≥{t}%" if t == 95 else f"{t}个", f"{a}%" if t == 95 else f"{a}个"),
                    (backward, (2 * D(t) - (t + a)) * w / t, f"≤{t}万元", f"{t + a}万元"),
                ):
                    thousandths = score * 1000
                    if thousandths == thousandths.to_integral_value() and int(thousandths) % 10 == 5:
                        if (score * 2**12) != (score * 2**12).to_integral_value():  # not exact in binary
                            into.append((target, actual, w))
    return forward, backward


XX5_FORWARD, XX5_BACKWARD = _xx5_cases()

ROW_PAIRS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("≥95%", ("95%", "96%", "94.5%", "100%", "90%", "0%", "94.99%", "47.5%")),
    ("95%", ("95%", "96%", "94.5%", "100%", "90%", "95.0%")),
    ("100%", ("100%", "99.95%", "98%", "99.5%", "100.5%", "50%")),
    ("≤5000万元", ("5000万元", "4800万元", "5001万元", "7500万元", "10000万元", "12000万元", "5000.5万元", "9999万元")),
    ("60个", ("60个", "45个", "61个", "0个", "59个", "30个")),
    ("是", ("是", "否")),
    ("良好", ("良好", "优秀", "合格")),
    ("2022年5月", ("2022年5月", "2022年4月", "2022年6月", "2021年12月", "2022年5月20日", "2023年1月")),
)

ROW_GROUPS = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
}


def row_texts(rng: random.Random) -> tuple[str, str, Decimal | None]:
    """(target, actual, weight that makes the score an .xx5 point or None)."""
    kind = rng.random()
    if kind < 0.15 and XX5_FORWARD:
        return rng.choice(XX5_FORWARD)
    if kind < 0.3 and XX5_BACKWARD:
        return rng.choice(XX5_BACKWARD)
    target, actuals = rng.choice(ROW_PAIRS)
    return target, rng.choice(actuals), None


def indicator_rows(draft: Draft, *, weighted: bool) -> list[dict[str, object]]:
    """Indicator rows for every row group; MoF rows carry weights that add up to the group's weight (mostly)."""
    rng = draft.rng
    layout = draft.pack.rows
    assert layout is not None
    rows: list[dict[str, object]] = []
    group_weights = {"产出指标": D(50), "效益指标": D(30), "满意度指标": D(10)}
    for first, seconds in ROW_GROUPS.items():
        count = rng.choice((0, 1, 2, 3, 4)) if weighted else rng.choice((1, 2, 3))
        if weighted and count == 0 and rng.random() < 0.7:
            count = 1
        group: list[dict[str, object]] = []
        remaining = group_weights[first]
        for index in range(count):
            second = rng.choice(seconds)
            target, actual, weight = row_texts(rng)
            row: dict[str, object] = {
                layout.levels[0]: first,
                layout.levels[1]: second,
                layout.levels[2]: f"指标{index + 1}：{second.removesuffix('指标')}{target}",
            }
            if not (draft.blank() and rng.random() < 0.5):
                row[layout.target] = target
            if not (draft.blank() and rng.random() < 0.5):
                row[layout.actual] = actual
            if rng.random() < 0.2:
                row[layout.reason] = rng.choice(("无", "目标没有偏差", "受天气影响进度滞后"))
            if weighted:
                last = index == count - 1
                if weight is None or weight >= remaining:
                    weight = remaining if last else min(remaining, D(rng.choice((2, 5, 8, 10))))
                elif last:
                    weight = remaining  # the crafted weight only fits a middle row
                if rng.random() < 0.05:
                    weight += 1  # weights that do not add up: a WEIGHT_SUM finding, the total is capped
                remaining -= min(weight, remaining)
                row[layout.weight] = _number(weight)
                if layout.score and rng.random() < 0.25:
                    row[layout.score] = _number((weight * D(rng.randint(0, 100)) / 100).quantize(D("0.01")))
            group.append(row)
        rows += group
    rng.shuffle(rows)
    return rows


def gd_zhengti(rng: random.Random) -> dict[str, object]:
    draft = Draft(rng, "gd-county-zhengti")
    f, option = draft.field, draft.option
    f("unit_name", draft.unit, blankable=False)
    option("unit_nature")
    f("contact_person", "凌博文")
    for field_id in ("asset_rules", "asset_books_match", "asset_use_compliant", "asset_income_compliant"):
        option(field_id)
    for field_id in ("selfeval_published", "budget_published", "goals_published", "petition_channel"):
        option(field_id)
    for field_id in ("has_advance_transfers", "has_managed_transfers", "submitted_on_time"):
        option(field_id)
    for field_id in ("subordinate_approval", "disclosure_check", "goals_disclosure", "selfeval_disclosure"):
        option(field_id)
    # 支出完成率: = 100%, just below, every tier edge and both sides, above 100%, half-up points at the 4th decimal.
    spent, issued = ratio_pair(
        rng,
        ("1", "0.9999", "0.99995", "0.99994", "0.9", "0.8999", "0.89995", "0.89994", "0.8", "0.79995", "0.7999",
         "0.7", "0.69995", "0.6999", "1.0001", "1.00004", "1.00005", "0.5"),
        ("1000", "2000", "80", "6073.08", "123.4"),
    )  # fmt: skip
    if rng.random() < 0.1:
        spent, issued = "6073.095", "6073.094524"  # 100.000008%: counts as 100%
    draft.cell("funds", "total", "issued_subtotal", issued)
    draft.cell("funds", "total", "spent_subtotal", spent)
    # 结转结余率: ≤10%, (10%, 20%], (20%, 30%], > 30%.
    closing, total = ratio_pair(
        rng, ("0.1", "0.1001", "0.10005", "0.10004", "0.2", "0.2001", "0.3", "0.30005", "0.3001", "0", "0.05", "0.6"),
        ("1000", "20000", "300"),
    )  # fmt: skip
    share = D(rng.choice(("0.5", "0.7", "1")))
    f("opening_carryover", _text(D(total) * share * D("0.2")))
    f("general_budget_final", _text(D(total) - D(total) * share * D("0.2") - D(total) * (1 - share)))
    f("fund_budget_final", _text(D(total) * (1 - share)))
    f("closing_carryover", closing)
    # 存量资金变动率: −15%, −10%, 0, both edges' sides, both zero, new money, all spent.
    prior = rng.choice(("1000", "20000", "0", "0", "850"))
    if prior == "0":
        current = rng.choice(("0", "0", "5"))
    else:
        change = D(rng.choice(("-0.15", "-0.1501", "-0.14995", "-0.1", "-0.10005", "-0.0999", "0", "0.0001",
                               "-0.00005", "0.5", "-1")))  # fmt: skip
        current = _text(D(prior) * (1 + change))
    f("stock_prior", prior)
    f("stock_current", current)
    # 政府采购执行率: linear ×2 with the over-plan zero rule; plan 0.
    actual, plan = ratio_pair(rng, ("1", "0.8125", "0.81245", "0.5", "1.0001", "0", "0.33335", "0.99975"),
                              ("1000", "40", "300"), zero=0.2)  # fmt: skip
    f("procurement_plan", plan)
    f("procurement_actual", actual)
    # 固定资产利用率: ≥95%, [90%, 95%), < 90%.
    in_use, assets = ratio_pair(
        rng, ("1", "0.95", "0.9499", "0.94995", "0.94994", "0.9", "0.89995", "0.8999", "0.5"),
        ("1000", "623.731085", "20000"),
    )  # fmt: skip
    f("fixed_assets_total", assets)
    f("fixed_assets_in_use", in_use)
    if rng.random() < 0.3:
        f("fixed_assets_rate_stated", rng.choice(("100%", "99.65%", 0.95)))
    # 三公 / 公用经费: actual == budget, budget + 0.000001, below, above; budget 0.
    for budget_id, actual_id in (("sangong_budget", "sangong_actual"), ("public_budget", "public_actual")):
        budget = D(rng.choice(("31.88", "240.492276", "100", "0")))
        delta = D(rng.choice(("0", "0", "0.000001", "-0.000001", "-5", "12.5")))
        f(budget_id, _text(budget))
        f(actual_id, _text(max(D(0), budget + delta)))
    # 重点工作完成率: (督查得分 + 督查得分) / 200 × 5, with worked .xx5 examples.
    party, gov = rng.choice(
        (("95", "90"), ("92.5", "92.5"), ("92.899", "92.899"), ("87.7", "87.7"), ("100", "100"), ("0", "0"),
         ("61.3", "61.3"), ("85.5", "90"), ("99.99", "100"), ("92.89", "92.9"), ("76.25", "80")),
    )  # fmt: skip
    f("party_inspection_score", party)
    f("gov_inspection_score", gov)
    # 目标完成率 and 项目完成及时性: counts, planned 0, over-achievement, x/16 for .xx5 scores.
    for planned_id, achieved_id in (
        ("overall_goals_planned", "overall_goals_achieved"),
        ("project_goals_planned", "project_goals_achieved"),
        ("timely_projects", "timely_on_time"),
        ("petitions", "petitions_on_time"),
    ):
        planned = rng.choice((0, 1, 3, 6, 8, 16, 7))
        achieved = rng.choice((planned, max(0, planned - 1), planned // 2, 3 if planned == 16 else 0, planned + 1))
        f(planned_id, planned)
        f(achieved_id, achieved)
    f("petitions_answered", rng.randint(0, 10))
    # 收入预决算差异率: near multiples of 5%, both directions; scoring budget 0.
    scoring = D(rng.choice(("1000", "20000", "0", "4000")))
    deviation = D(rng.choice(("0", "0.05", "0.0499", "0.0501", "0.04995", "0.1", "0.15", "0.25", "0.35", "0.00005",
                              "0.00004", "0.3", "0.55", "0.6")))  # fmt: skip
    sign = rng.choice((1, -1))
    f("income_budget_initial", _text(scoring))
    f("income_budget_scoring", _text(scoring))
    f("income_final", _text(max(D(0), scoring * (1 + sign * deviation))))
    for field_id in ("adjustment_events", "projects_adjusted_20", "projects_deviation_50", "commendations",
                     "accountabilities"):  # fmt: skip
        f(field_id, rng.randint(0, 7))
    # 提前下达比例: min(ratio / 0.9, 1) and min(ratio / 0.7, 1), as decimals or percent texts.
    general = rng.choice(("0.6345", "63.45%", "0.9", "95%", "0.45", "0.8055", "0"))
    special = rng.choice(("0.7", "0.5775", "57.75%", "0.35", "0.4515", "1"))
    f("general_transfer_advance_ratio", general if general.endswith("%") else float(general))
    f("special_transfer_advance_ratio", special if special.endswith("%") else float(special))
    on_time, due = ratio_pair(rng, ("1", "0.8125", "0.33335", "0.5", "0.99975", "0.6666"), ("1000", "80", "300"))
    f("transfers_due", due)
    f("transfers_on_time", on_time)
    f("satisfaction", rng.choice(("98%", 0.95, None)))
    if rng.random() < 0.2:
        draft.data["params"] = {"deduction_step_rounding": "floor"}
    if rng.random() < 0.15:
        draft.data.setdefault("params", {})["blank_inputs"] = "zero"  # type: ignore[union-attr]
    draft.stated_scores(0.6)
    return draft.data


def gd_xiangmu(rng: random.Random) -> dict[str, object]:
    draft = Draft(rng, "gd-county-xiangmu")
    f = draft.field
    f("project_name", rng.choice(("乡村振兴基础设施综合提升项目", "农村道路硬底化工程")), blankable=False)
    f("department", draft.unit)
    f("implementer", draft.unit)
    for field_id in ("project_type", "unified_policy_adjustment", "completed", "accepted", "goal_achieved"):
        draft.option(field_id)
    f("completed_date", rng.choice(("2022-10-31", "2022年10月", None)))
    annual = D(rng.choice(("5000", "1000", "400", "0", "2500.5")))
    initial = annual * (1 - D(rng.choice(("0", "0.05", "0.1", "0.2", "0.5", "-0.1"))))
    arrived = annual * D(rng.choice(("1", "0.835", "0.995", "0.83495", "0.9999", "0.5", "1.1", "0")))
    spent = arrived * D(rng.choice(("1", "0.925", "0.899", "0.89995", "0.8999", "0.33335", "1.0001", "0")))
    for column_id, value in (("expected", annual), ("initial", initial), ("annual", annual), ("arrived", arrived),
                             ("spent", spent)):  # fmt: skip
        draft.cell("funds", "total", column_id, _text(value))
    draft.cell("funds", "own", "annual", _text(annual))
    rows = indicator_rows(draft, weighted=False)
    if rows:
        draft.data["indicator_rows"] = rows
    if rng.random() < 0.4:
        quantity, timeliness = rng.choice(((8, 7), (10, 6), (8, 6), (12, 5)))
        draft.data["weights"] = {
            "（数量指标—个性指标）": quantity,
            "（时效指标—个性指标）": timeliness,
            "（质量指标—个性指标）": 22 - quantity - timeliness,
        }
    draft.stated_scores(0.6)
    return draft.data


def mof(rng: random.Random, framework: str) -> dict[str, object]:
    draft = Draft(rng, framework)
    f = draft.field
    if framework == "mof-zhengti":
        f("department", draft.unit, blankable=False)
        f("units_count", rng.randint(1, 5))
        total = rng.choice((0, 3, 8, 16))
        f("projects_total", total)
        f("projects_evaluated", rng.choice((total, max(0, total - 1), 3)))
    else:
        f("project_name", "农村道路硬底化工程", blankable=False)
        f("department", draft.unit)
        f("implementer", draft.unit)
    f("goal_plan", "完成年度目标")
    spent, budget = ratio_pair(
        rng, ("1", "0.8478", "0.84745", "0.84744", "0.8", "0.7999", "0.79995", "0.7", "0.69995", "0.6", "0.5999",
              "0.5", "0.49995", "0.4", "1.0001", "0.925", "0.33335"),
        ("5920.29", "1000", "40", "300"),
    )  # fmt: skip
    draft.cell("funds", "total", "annual", budget)
    draft.cell("funds", "total", "spent", spent)
    draft.cell("funds", "total", "initial", budget)
    if framework == "mof-zhengti":
        project_spent, project_budget = ratio_pair(rng, ("0.7136", "1", "0.5", "0.71355"), ("3275.47", "100"))
        draft.cell("funds", "project", "annual", project_budget)
        draft.cell("funds", "project", "spent", project_spent)
    rows = indicator_rows(draft, weighted=True)
    if rows:
        draft.data["indicator_rows"] = rows
    options: dict[str, object] = {}
    if rng.random() < 0.4:
        options["total_cap_by_execution"] = True
    if rng.random() < 0.3:
        options["deviation_reason_ratio"] = 1.3
    if options:
        draft.data["options"] = options
    if rng.random() < 0.15:
        draft.data["params"] = {"blank_inputs": "zero"}
    draft.stated_scores(0.5)
    return draft.data


def random_document(seed: int) -> dict[str, object]:
    """The random document of `seed`: its framework is FRAMEWORKS[seed % 4], everything else comes from the seed."""
    rng = random.Random(seed)
    framework = FRAMEWORKS[seed % len(FRAMEWORKS)]
    if framework == "gd-county-zhengti":
        return gd_zhengti(rng)
    if framework == "gd-county-xiangmu":
        return gd_xiangmu(rng)
    return mof(rng, framework)


# ---------------------------------------------------------------- known defects: minimal documents


@dataclass(frozen=True)
class Defect:
    """A disagreement between a workbook formula and the engine, with the smallest document that shows it."""

    key: str
    reason: str
    data: Callable[[], dict[str, object]]
    # Whether a mismatch message of a random document is this defect (so random documents report only new ones).
    matches: Callable[[str], bool]


KNOWN_DEFECTS: tuple[Defect, ...] = ()


# ---------------------------------------------------------------- cases

RANDOM_SEEDS = tuple(range(BASE_SEED, BASE_SEED + RANDOM_DOCS))


@dataclass
class Case:
    key: str
    data: dict[str, object]
    seed: int | None = None
    doc: document.Document | None = None
    evaluation: Evaluation | None = None
    workbook: Path | None = None
    recalculated: Path | None = None

    def describe(self) -> str:
        if self.seed is None:
            return self.key
        return f"{self.key} (seed {self.seed}: random_document({self.seed}), framework {self.data['framework']})"


def _all_cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for name in SAMPLE_NAMES:
        cases[name] = Case(name, sample_data(f"{name}.json"))
    for seed in RANDOM_SEEDS:
        key = f"seed{seed}-{FRAMEWORKS[seed % len(FRAMEWORKS)]}"
        cases[key] = Case(key, random_document(seed), seed)
    for defect in KNOWN_DEFECTS:
        cases[f"defect-{defect.key}"] = Case(f"defect-{defect.key}", defect.data())
    return cases


CASES = _all_cases()


@pytest.fixture(scope="module")
def lo_converter(tmp_path_factory: pytest.TempPathFactory):
    require_tool("soffice")
    return converter(tmp_path_factory.mktemp("lo-cache"))


@pytest.fixture(scope="module")
def recalculated(lo_converter, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every case written as a workbook and recalculated by LibreOffice in ONE soffice session."""
    written = tmp_path_factory.mktemp("written")
    for index, case in enumerate(CASES.values()):
        case.doc = document.from_dict(case.data, source=case.key)
        case.evaluation = evaluate(case.doc)
        case.workbook = write_workbook(case.doc, written / f"{index:03d}-{case.key}.xlsx")
    books = [case.workbook for case in CASES.values() if case.workbook is not None]
    outputs = lo_converter.convert(books, "xlsx", tmp_path_factory.mktemp("recalculated"))
    for case, output in zip(CASES.values(), outputs, strict=True):
        case.recalculated = output
    return CASES


# ---------------------------------------------------------------- comparison


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return D(repr(value))


def _agrees(expected: Decimal | None, actual: object, tolerance: Decimal) -> bool:
    if expected is None:
        return actual in EMPTY
    number = _decimal(actual)
    return number is not None and abs(number - expected) <= tolerance


def _show(value: object) -> str:
    return "空" if value in EMPTY else repr(value)


def disagreements(case: Case) -> list[str]:
    """Every named computed cell whose LibreOffice value differs from the engine, as 'cell: engine …, LibreOffice …'."""
    evaluation = case.evaluation
    assert evaluation is not None and case.recalculated is not None
    problems: list[str] = []
    with FileWorkbook(case.recalculated) as book:
        names = book.names()

        def value(name: str) -> object:
            target = names[name]
            return book.value(target.sheet, *target.first)

        def check(name: str, expected: Decimal | None, tolerance: Decimal, shown: str | None = None) -> None:
            if name not in names:
                problems.append(f"{name}: 工作簿中没有这个名称")
                return
            actual = value(name)
            if not _agrees(expected, actual, tolerance):
                engine = shown if shown is not None else ("空" if expected is None else str(expected))
                problems.append(f"{name}: engine {engine}, LibreOffice {_show(actual)}")

        for rate in evaluation.rates.values():
            name = f"xp_rate_{rate.id}"
            if rate.status == "undefined":
                if name not in names:
                    problems.append(f"{name}: 工作簿中没有这个名称")
                elif value(name) != UNDEFINED:
                    problems.append(f"{name}: engine {UNDEFINED}, LibreOffice {_show(value(name))}")
            else:
                check(name, rate.value, RATE_TOLERANCE, shown=None if rate.status == "ok" else "空（缺少输入）")
        for result in evaluation.indicators:
            check(f"xp_score_{result.id}", result.computed, SCORE_TOLERANCE)
            for part_id, part in result.parts.items():
                name = f"xp_part_{result.id}_{part_id}"
                if name in names:
                    check(name, part, SCORE_TOLERANCE)
        check("xp_total", evaluation.total, SCORE_TOLERANCE)
        if evaluation.rows and "xp_rows" in names:
            region = names["xp_rows"]
            score_col = region.last[1]
            for result in evaluation.rows:
                assert result.row_index is not None
                row = region.first[0] + result.row_index
                actual = book.value(region.sheet, row, score_col)
                if not _agrees(result.computed, actual, SCORE_TOLERANCE):
                    expected = "空" if result.computed is None else str(result.computed)
                    problems.append(
                        f"计算得分 of indicator row {result.row_index + 1} ({result.id}: "
                        f"{case.doc.rows[result.row_index].target!r} vs {case.doc.rows[result.row_index].actual!r}, "
                        f"weight {result.weight}): engine {expected}, LibreOffice {_show(actual)}"
                    )
    return problems


def _known(message: str) -> Defect | None:
    return next((d for d in KNOWN_DEFECTS if d.matches(message)), None)


def _report(case: Case, problems: list[str]) -> str:
    lines = "\n  ".join(problems)
    data = json.dumps(case.data, ensure_ascii=False)
    return f"{case.describe()}: {len(problems)} computed cell(s) disagree with the engine:\n  {lines}\ndocument: {data}"


# ---------------------------------------------------------------- 1. samples, 2. random documents


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_recalculated_by_libreoffice_agrees_with_the_engine(
    recalculated: dict[str, Case], name: str
) -> None:
    case = recalculated[name]
    problems = disagreements(case)
    assert not problems, _report(case, problems)


@pytest.mark.parametrize("seed", RANDOM_SEEDS, ids=[f"seed{s}-{FRAMEWORKS[s % 4]}" for s in RANDOM_SEEDS])
def test_random_document_recalculated_by_libreoffice_agrees_with_the_engine(
    recalculated: dict[str, Case], seed: int
) -> None:
    case = recalculated[f"seed{seed}-{FRAMEWORKS[seed % len(FRAMEWORKS)]}"]
    problems = [p for p in disagreements(case) if _known(p) is None]
    assert not problems, _report(case, problems)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(d.key, marks=pytest.mark.xfail(strict=True, reason=d.reason), id=d.key)
        for d in KNOWN_DEFECTS
    ],
)
def test_known_defect(recalculated: dict[str, Case], key: str) -> None:
    case = recalculated[f"defect-{key}"]
    problems = disagreements(case)
    assert not problems, _report(case, problems)


def test_random_documents_cover_the_boundaries(recalculated: dict[str, Case]) -> None:
    """The random documents actually reach what they are meant to: every framework, undefined and missing rates,
    tier edges, .xx5 row scores, deductions, rows-scored indicators with a computed score."""
    cases = [c for c in recalculated.values() if c.seed is not None]
    assert len(cases) >= 30
    assert {c.data["framework"] for c in cases} == set(FRAMEWORKS)
    statuses = {r.status for c in cases for r in c.evaluation.rates.values()}  # type: ignore[union-attr]
    assert statuses == {"ok", "missing", "undefined"}
    spending = {
        c.evaluation.rates["spending_completion"].value  # type: ignore[union-attr]
        for c in cases
        if c.data["framework"] == "gd-county-zhengti"
    }
    assert {D("1"), D("0.9"), D("0.8")} <= spending
    rows_scored = [
        r
        for c in cases
        for r in c.evaluation.indicators  # type: ignore[union-attr]
        if r.kind == "rows" and r.computed is not None
    ]
    assert rows_scored
    row_points = [r.computed for c in cases for r in c.evaluation.rows if r.computed is not None]  # type: ignore[union-attr]
    assert len(row_points) >= 50


# ---------------------------------------------------------------- 3. LibreOffice round trip


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_libreoffice_saved_sample_reads_back_as_the_document(recalculated: dict[str, Case], name: str) -> None:
    case = recalculated[name]
    assert case.recalculated is not None
    assert dump(case.recalculated) == document.to_dict(document.from_dict(sample_data(f"{name}.json")))


# ---------------------------------------------------------------- 4. PDF and PNG

BLANKS = sorted((ROOT / "workbooks" / "blank").glob("*.xlsx"))
SAMPLE_BOOKS = sorted(SAMPLES.glob("*.xlsx"))
ZHENGTI_TITLES = ("整体绩效自评基础数据表（基本情况）", "整体绩效自评基础数据表（财政资金情况）", "整体绩效自评指标评分表")
XIANGMU_TITLES = ("项目支出绩效自评基础数据表", "项目支出绩效自评指标评分表")
EXPECTED_TEXT: dict[str, tuple[str, ...]] = {
    "gd-county-zhengti-2026": ZHENGTI_TITLES,
    "gd-county-xiangmu-2026": XIANGMU_TITLES,
    "mof-zhengti-2026": ("部门整体支出绩效自评表",),
    "mof-xiangmu-2026": ("项目支出绩效自评表",),
    "gangmen-2022-zhengti": (*ZHENGTI_TITLES, "遂溪县港门镇人民政府"),
    "gangmen-2022-xiangmu": (*XIANGMU_TITLES, "遂溪县港门镇人民政府"),
    "ziyuan-2023-zhengti": ("部门整体支出绩效自评表", "资源县资源镇人民政府"),
}


@dataclass
class Rendered:
    pdf: Path
    pngs: list[Path]


@pytest.fixture(scope="module")
def rendered(lo_converter, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every blank template and sample workbook as PDF (ONE soffice session), and as PNG pages for people to see."""
    require_tool("pdftoppm")
    books = [*BLANKS, *SAMPLE_BOOKS]
    pdfs = lo_converter.convert(books, "pdf", tmp_path_factory.mktemp("pdf"))
    result: dict[str, Rendered] = {}
    for book, pdf in zip(books, pdfs, strict=True):
        folder = PNG_DIR / book.stem
        if folder.is_dir():
            shutil.rmtree(folder)
        result[book.stem] = Rendered(pdf, to_png(pdf, folder, dpi=80))
    return result


def test_every_blank_and_sample_workbook_is_rendered() -> None:
    assert {p.stem for p in [*BLANKS, *SAMPLE_BOOKS]} == set(EXPECTED_TEXT)


def _pages(pdf: Path) -> int:
    require_tool("pdfinfo")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


@pytest.mark.parametrize("stem", sorted(EXPECTED_TEXT))
def test_pdf_has_the_titles_and_unit(rendered: dict[str, Rendered], stem: str) -> None:
    require_tool("pdftotext")
    pdf = rendered[stem].pdf
    assert _pages(pdf) >= 1
    assert len(rendered[stem].pngs) == _pages(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    compact = re.sub(r"\s+", "", text)
    missing = [t for t in EXPECTED_TEXT[stem] if t not in compact]
    assert not missing, f"{stem}.pdf lacks {missing}"


@pytest.mark.parametrize("stem", sorted(EXPECTED_TEXT))
def test_pdf_embeds_every_font_and_uses_noto_cjk(rendered: dict[str, Rendered], stem: str) -> None:
    require_tool("pdffonts")
    out = subprocess.run(["pdffonts", str(rendered[stem].pdf)], capture_output=True, text=True, check=True).stdout
    fonts = []
    for line in out.splitlines()[2:]:
        tokens = line.split()
        if tokens:
            fonts.append((tokens[0], tokens[-5] == "yes"))
    assert fonts, out
    assert all(embedded for _, embedded in fonts), out
    assert any(re.search(r"Noto(Sans|Serif)CJK", name) for name, _ in fonts), out
