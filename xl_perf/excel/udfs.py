"""Python UDFs for Excel (xlwings). Each one calls the same engine as the CLI.

Names are ASCII with the prefix XP_ (VBA identifiers break outside code page 936); descriptions are Chinese.
Errors come back as short Chinese text in the cell, never a traceback. On platforms where xlwings' decorators are
no-ops (Linux, macOS) this module still imports and runs as plain Python, which is how it is tested.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xl_perf.engine import targets
from xl_perf.engine.inputs import indicator_inputs, rate_inputs
from xl_perf.errors import XlPerfError
from xl_perf.model import document
from xl_perf.model.evaluation import Evaluation, evaluate, grade_of
from xl_perf.model.values import parse_value
from xl_perf.numbers import round_half_up, to_decimal
from xl_perf.rules import loader

MODULE = "xl_perf.excel.udfs"


@dataclass(frozen=True)
class UdfSpec:
    name: str
    doc: str  # Chinese, shown in Excel's function wizard (max 255 characters)
    args: tuple[tuple[str, str], ...]  # (argument name, Chinese help)
    vararg: str | None = None
    function: Callable[..., Any] | None = None
    optional: tuple[str, ...] = ()  # arguments with a default value


REGISTRY: dict[str, UdfSpec] = {}


def udf(doc: str, **arg_docs: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a UDF; on Windows also apply xlwings' decorators so "Import Functions" sees it."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        import inspect

        params = list(inspect.signature(function).parameters.values())
        vararg = next((p.name for p in params if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
        args = tuple((p.name, arg_docs.get(p.name, "")) for p in params)
        optional = tuple(p.name for p in params if p.default is not inspect.Parameter.empty)
        REGISTRY[function.__name__] = UdfSpec(function.__name__, doc[:255], args, vararg, function, optional)
        # Excel reaches these functions through xlwings' UDF server, which has imported xlwings before it imports
        # this module; anyone else (generating a workbook, the tests) needs only REGISTRY, and importing xlwings
        # would load pandas and numpy (about 300 ms, 45 MiB) for nothing.
        xw = sys.modules.get("xlwings")
        if xw is None:
            return function
        decorated = xw.func(function)
        for name, help_text in args:
            decorated = xw.arg(("*" + name) if name == vararg else name, doc=help_text)(decorated)
        return decorated

    return register


def _error(message: str) -> str:
    return f"错误：{message}"


def _value(raw: object) -> object:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def _document(framework: str, names: list[str], values: tuple[object, ...]) -> document.Document:
    """A minimal document holding just the inputs one rate or score needs."""
    pack = loader.load(framework)
    doc = document.empty(framework, 2000, next(iter(pack.levels)), "")
    fields = pack.fields
    for name, raw in zip(names, values, strict=False):
        raw = _value(raw)
        if raw is None or raw == "":
            continue
        if name in fields:
            spec = fields[name]
            try:
                parsed = parse_value(spec.type, raw, tuple(doc.text(o) for o in spec.options))
            except ValueError as exc:
                raise XlPerfError(f"{doc.text(spec.label)}{exc}") from None
            if parsed is not None:
                doc.fields[name] = parsed
        elif name in pack.cells:
            cell = pack.cells[name]
            column = pack.table(cell.table).column(cell.column)
            try:
                parsed = parse_value(column.type, raw)
            except ValueError as exc:
                raise XlPerfError(f"{column.path[-1]}{exc}") from None
            if parsed is not None:
                rows = doc.tables.setdefault(cell.table, [])
                row = next((r for r in rows if r.row_id == cell.row), None)
                if row is None:
                    row = document.TableRow(cell.row, "", {}, len(rows))
                    rows.append(row)
                row.values[cell.column] = parsed
    return doc


def _evaluate_one(framework: str, item: str, inputs: tuple[object, ...], *, rates: bool) -> Evaluation | str:
    """Evaluate a document holding just the inputs of one rate or indicator; an error text for the cell otherwise."""
    try:
        pack = loader.load(str(framework))
        known = item in pack.rates if rates else any(i.id == item for i in pack.indicators)
        if not known:
            return _error(f"没有{'比率' if rates else '指标'} {item}")
        names = rate_inputs(pack, item) if rates else indicator_inputs(pack, item)
        if len(inputs) != len(names):
            return _error(f"{item} 需要 {len(names)} 个输入，实为 {len(inputs)} 个")
        return evaluate(_document(framework, names, inputs))
    except XlPerfError as exc:
        return _error(exc.message)


def _number(value: Decimal | None) -> float | str:
    return "" if value is None else float(value)


@udf(
    "按规则包计算一个比率（小数，如 0.9965）。输入按 XP_INPUTS 列出的顺序给出；"
    "有输入为空时返回空，分母为0时返回“无法计算”。",
    framework="规则包编号，如 gd-county-zhengti",
    rate="比率编号，如 fixed_asset_utilization",
    inputs="该比率的输入值，顺序见 XP_INPUTS",
)
def XP_RATE(framework: str, rate: str, *inputs: object) -> float | str:
    evaluation = _evaluate_one(framework, rate, inputs, rates=True)
    if isinstance(evaluation, str):
        return evaluation
    result = evaluation.rates[rate]
    return "无法计算" if result.status == "undefined" else _number(result.value)


@udf(
    "按规则包计算一个指标的得分（四舍五入保留两位小数）。需要酌情评分或输入不全时返回空。",
    framework="规则包编号，如 gd-county-zhengti",
    indicator="指标编号，如 spending_completion",
    inputs="该指标的输入值，顺序见 XP_INPUTS",
)
def XP_SCORE(framework: str, indicator: str, *inputs: object) -> float | str:
    evaluation = _evaluate_one(framework, indicator, inputs, rates=False)
    if isinstance(evaluation, str):
        return evaluation
    result = evaluation.indicator(indicator)
    return _number(result.computed if result.basis == "rule" else None)


@udf(
    "绩效指标行按目标值与实际值计分（正向、反向、等于、定性，同财政部绩效模块）。无法自动计分时返回空。",
    target="年度指标值，如“≥95%”“≤5000万元”“2022年5月”“是”",
    actual="实际完成值",
    weight="该行分值",
)
def XP_ROWSCORE(target: object, actual: object, weight: object) -> float | str:
    try:
        points = to_decimal(weight)
    except ValueError:
        return ""
    scored = targets.score_row(_value(target), _value(actual), points)
    return _number(scored.score)


@udf("四舍五入（half-up），如 XP_ROUND(4.625, 2) = 4.63。", value="数值", places="保留小数位数")
def XP_ROUND(value: object, places: object = 2) -> float | str:
    try:
        return float(round_half_up(to_decimal(value), int(to_decimal(places))))
    except ValueError:
        return _error("不是数字")


@udf("按规则包的等级划分给出等级（优/良/中/差）。", framework="规则包编号", total="总分")
def XP_GRADE(framework: str, total: object) -> str:
    try:
        return grade_of(loader.load(str(framework)), to_decimal(total))
    except (ValueError, XlPerfError) as exc:
        return _error(str(exc))


@udf(
    "列出某个比率或指标的输入项（编号，依次用逗号分隔），供编写公式时参考。",
    framework="规则包编号",
    item="比率或指标编号",
)
def XP_INPUTS(framework: str, item: str) -> str:
    try:
        pack = loader.load(str(framework))
    except XlPerfError as exc:
        return _error(exc.message)
    found = []
    if item in pack.rates:
        found.append("比率：" + ",".join(rate_inputs(pack, item)))
    if any(i.id == item for i in pack.indicators):
        found.append("指标：" + ",".join(indicator_inputs(pack, item)))
    return "；".join(found) if found else _error(f"没有比率或指标 {item}")
