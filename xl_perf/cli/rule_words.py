"""A rule pack's scoring rules in the words of the forms: "按支出完成率分档：=100% 得4分；90%（含）–100% 得3分；…".

Everything is derived from the pack: values are named by their rate, field or table cell labels, adjustable
parameters by their default value, and no id, Python name or "param:" reference is shown.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from decimal import Decimal

from xl_perf.numbers import format_number
from xl_perf.rules import model
from xl_perf.rules.expr import Expr
from xl_perf.rules.kinds import Registry
from xl_perf.rules.text import render

# The choice values of adjustable parameters, as the parameter texts describe them.
CHOICE_WORDS = {
    "missing": "视为缺失",
    "zero": "按0计",
    "even": "平均分配",
    "ceil": "每开始一档即扣",
    "floor": "满一档才扣",
    "scale": "按得分率放大",
}
BOOL_WORDS = {True: "是", False: "否"}


# Each rule kind in Chinese words: (words, rule, weight) -> text.
DESCRIPTIONS: Registry[Callable[..., str]] = Registry("Chinese description")


class RuleWords:
    """Describes the rules of one pack for one evaluation year and level (`words` fills the text templates)."""

    def __init__(self, pack: model.RulePack, words: dict[str, str]) -> None:
        self.pack = pack
        self.words = words
        self.fields = pack.fields

    # --- names and values -------------------------------------------------------------------------------------

    def text(self, template: str) -> str:
        return render(template, self.words)

    def name(self, name: str) -> str:
        pack = self.pack
        if name in pack.rates:
            return self.text(pack.rates[name].name)
        if name in self.fields:
            spec = self.fields[name]
            label = self.text(spec.label)
            same = [f for f in self.fields.values() if self.text(f.label) == label]
            return label if len(same) == 1 else f"{self.text(spec.section)}的{label}"  # 三公经费控制率的预算安排数
        if name in pack.cells:
            cell = pack.cells[name]
            table = pack.table(cell.table)
            row = next(r for r in table.rows if r.id == cell.row)
            return f"{self.text(row.label)}{self.text(table.column(cell.column).path[-1])}"
        if name in pack.params:
            return self.param_value(pack.params[name])
        indicator = next((i for i in pack.indicators if i.id == name), None)
        if indicator is not None:
            return f"“{self.text(indicator.name)}”"
        return name

    def is_rate(self, expr: Expr) -> bool:
        """Whether the value is a ratio (shown as a percentage): a rate, or a formula of rates and constants."""
        names = list(self._value_names(expr.tree))
        if not names:
            return False
        return all(n in self.pack.rates or (n in self.fields and self.fields[n].type == "rate") for n in names)

    def _value_names(self, node: ast.expr) -> list[str]:
        """The inputs a value is made of (the conditions of "x if c else y" decide, they are not the value)."""
        if isinstance(node, ast.IfExp):
            return self._value_names(node.body) + self._value_names(node.orelse)
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.Constant | ast.Compare | ast.BoolOp):
            return []
        return [
            n for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr) for n in self._value_names(child)
        ]

    def _condition(self, node: ast.expr) -> str:
        """A condition: a yes/no field alone means it is answered yes ("…为“是”")."""
        if isinstance(node, ast.Name) and node.id in self.fields and self.fields[node.id].type in ("yesno", "havenot"):
            spec = self.fields[node.id]
            return f"{self.name(node.id)}为“{spec.options[0] if spec.options else '是'}”"
        return self._node(node)

    def param_value(self, param: model.Param) -> str:
        value = param.default
        if isinstance(value, bool):
            return BOOL_WORDS[value]
        if isinstance(value, int | float | Decimal):
            return format_number(Decimal(str(value)))
        return CHOICE_WORDS.get(str(value), str(value))

    def score(self, score: model.ScoreRef) -> str:
        """A score: a number, or an adjustable parameter's default ("默认4分，可调")."""
        if isinstance(score, str) and score.startswith("param:"):
            return f"{self.param_value(self.pack.params[score.removeprefix('param:')])}分（可调参数）"
        return f"{format_number(Decimal(score))}分"

    def number(self, value: Decimal, percent: bool, unit: str = "") -> str:
        return f"{format_number(value * 100)}%" if percent else f"{format_number(value)}{unit}"

    def unit_of(self, expr: Expr) -> str:
        """The unit of a value that is one counted field ("项", "次"), for "3项（含）–5项"."""
        spec = self.fields.get(expr.source.strip())
        return spec.unit if spec is not None and spec.type == "count" else ""

    def interval(self, interval: model.Interval, percent: bool, unit: str = "") -> str:
        low = None if interval.low is None else self.number(interval.low, percent, unit)
        high = None if interval.high is None else self.number(interval.high, percent, unit)
        if low is not None and low == high:
            return f"={low}"
        if low is None and high is None:
            return "任何值"
        if low is None:
            return f"{high}及以下" if interval.high_inclusive else f"低于{high}"
        if high is None:
            return f"{low}及以上" if interval.low_inclusive else f"高于{low}"
        between = "至" if low.startswith("-") or high.startswith("-") else "–"  # "-15%至-10%", not "-15%–-10%"
        low_end = "（含）" if interval.low_inclusive else ""
        high_end = "（含）" if interval.high_inclusive else ""
        return f"{low}{low_end}{between}{high}{high_end}"

    def formula(self, expr: Expr) -> str:
        return self._node(expr.tree)

    def _node(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return f"“{node.value}”" if isinstance(node.value, str) else format_number(Decimal(str(node.value)))
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            inner = self._node(node.operand)
            if isinstance(node.op, ast.Not):
                return f"{inner}为“否”"
            return f"-{inner}" if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            symbol = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷"}.get(type(node.op), "?")
            left, right = (self._node(n) for n in (node.left, node.right))
            if isinstance(node.right, ast.BinOp):
                right = f"（{right}）"
            if isinstance(node.left, ast.BinOp) and symbol in "×÷":
                left = f"（{left}）"
            return f"{left} {symbol} {right}"
        if isinstance(node, ast.Call):
            args = [self._node(a) for a in node.args]
            function = getattr(node.func, "id", "")
            if function == "abs":
                return f"{args[0]}的绝对值"
            which = "较小者" if function == "min" else "较大者"
            return f"{'与'.join(args)}中的{which}"
        if isinstance(node, ast.Compare):
            symbols = {ast.Eq: "为", ast.NotEq: "不为", ast.Gt: ">", ast.GtE: "≥", ast.Lt: "<", ast.LtE: "≤"}
            parts = [self._node(node.left)]
            for cmp_op, comparator in zip(node.ops, node.comparators, strict=True):
                parts.append(symbols.get(type(cmp_op), "?"))
                parts.append(self._node(comparator))
            return "".join(parts) if isinstance(node.ops[0], ast.Eq | ast.NotEq) else " ".join(parts)
        if isinstance(node, ast.BoolOp):
            joiner = "且" if isinstance(node.op, ast.And) else "或"
            return joiner.join(self._condition(v) for v in node.values)
        if isinstance(node, ast.IfExp):
            test, body, orelse = self._condition(node.test), self._node(node.body), self._node(node.orelse)
            return f"{orelse}（{test}时按{body}计）"
        return "?"

    # --- rules ------------------------------------------------------------------------------------------------

    def _undefined(self, rule: model.TiersRule | model.LinearRule) -> str:
        return "".join(f"；{u.note}时得{self.score(u.score)}" for u in rule.undefined)

    def _judged(self, rule: object) -> str:
        return "（为最高分，单位结合实际情况核定）" if getattr(rule, "judged", False) else ""

    def describe(self, rule: model.Rule, weight: Decimal) -> str:
        """The rule at `weight`, in Chinese words."""
        return DESCRIPTIONS[rule](self, rule, weight)

    def not_applicable(self, when: Expr | None, target: str | None) -> str:
        if when is None:
            return ""
        to = "本指标其他分项" if target in (None, "siblings") else self.name(target)
        return f"（{self.formula(when)}时不考核，分值调整至{to}）"

    def _deduction(self, item: model.DeductionItem) -> str:
        percent = self.is_rate(item.value)
        value = self.formula(item.value)
        if item.tiers:
            unit = self.unit_of(item.value)
            tiers = "，".join(f"{self.interval(t.range, percent, unit)} 扣{self.score(t.deduct)}" for t in item.tiers)
            return f"{value}：{tiers}"
        per = format_number(item.per or Decimal(0))
        if item.step:
            rounding = item.rounding
            adjustable = rounding.startswith("param:")
            if adjustable:
                rounding = str(self.pack.params[rounding.removeprefix("param:")].default)
            step = self.number(item.step, percent)
            how = f"每满{step}" if rounding == "floor" else f"每增加{step}（不足{step}按{step}计）"
            return f"{value}{how}扣{per}分" + ("（取整方式为可调参数）" if adjustable else "")
        spec = self.fields.get(item.value.source.strip())
        unit = spec.unit if spec is not None and spec.unit else "个"
        return f"{value}每{unit}扣{per}分"

    def _check_item(self, item: model.ChecklistItem) -> str:
        decided = f"（“{self.name(item.input)}”为“是”得分）" if item.input else ""
        return f"{self.text(item.text)}（{format_number(item.points)}分）{decided}"

    def _bonus_item(self, item: model.BonusItem) -> str:
        spec = self.fields.get(item.input)
        unit = spec.unit if spec is not None and spec.unit else "次"
        sign = "加" if item.per >= 0 else "减"
        per, cap = format_number(abs(item.per)), format_number(abs(item.cap))
        return f"{self.name(item.input)}每{unit}{sign}{per}分，最多{sign}{cap}分"


@DESCRIPTIONS.register(model.TiersRule)
def _tiers(words: RuleWords, rule: model.TiersRule, weight: Decimal) -> str:
    percent = words.is_rate(rule.value)
    unit = words.unit_of(rule.value)
    tiers = "，".join(f"{words.interval(t.range, percent, unit)} 得{words.score(t.score)}" for t in rule.tiers)
    return f"按{words.formula(rule.value)}分档：{tiers}{words._undefined(rule)}{words._judged(rule)}"


@DESCRIPTIONS.register(model.LinearRule)
def _linear(words: RuleWords, rule: model.LinearRule, weight: Decimal) -> str:
    value = rule.value
    tree = value.tree
    # "min(x / 0.9, 1)": the score is capped at the weight anyway, so the cap at 1 needs no words.
    if isinstance(tree, ast.Call) and getattr(tree.func, "id", "") == "min" and len(tree.args) == 2:
        capped = tree.args[1]
        if isinstance(capped, ast.Constant) and capped.value == 1:
            tree = tree.args[0]
    shown = words._node(tree)
    zero = f"；{rule.zero_note}" if rule.zero_note else ""
    return (
        f"按比例计分：得分 = {format_number(weight)}分 × {shown}，最高{format_number(weight)}分"
        f"{zero}{words._undefined(rule)}{words._judged(rule)}"
    )


@DESCRIPTIONS.register(model.DeductionRule)
def _deduction(words: RuleWords, rule: model.DeductionRule, weight: Decimal) -> str:
    items = "；".join(words._deduction(item) for item in rule.items)
    return f"扣分：满分{format_number(weight)}分，{items}，扣完为止{words._judged(rule)}"


@DESCRIPTIONS.register(model.ChecklistRule)
def _checklist(words: RuleWords, rule: model.ChecklistRule, weight: Decimal) -> str:
    return "逐项计分：" + "；".join(words._check_item(i) for i in rule.items)


@DESCRIPTIONS.register(model.ChoiceRule)
def _choice(words: RuleWords, rule: model.ChoiceRule, weight: Decimal) -> str:
    options = "，".join(f"{words.text(o)} 得{format_number(s)}分" for o, s in rule.options)
    return f"按“{words.name(rule.input)}”：{options}"


@DESCRIPTIONS.register(model.ManualRule)
def _manual(words: RuleWords, rule: model.ManualRule, weight: Decimal) -> str:
    return f"按评分标准酌情评分（0–{format_number(weight)}分）"


@DESCRIPTIONS.register(model.RowsRule)
def _rows(words: RuleWords, rule: model.RowsRule, weight: Decimal) -> str:
    layout = words.pack.rows
    level = layout.levels[rule.level - 1] if layout is not None else "指标"
    names = "、".join(words.text(m) for m in rule.match)
    target, actual = (layout.target, layout.actual) if layout is not None else ("目标值", "实际值")
    return f"按绩效指标表中{level}为“{names}”的各行，比较{target}与{actual}计分"


@DESCRIPTIONS.register(model.BonusPenaltyRule)
def _bonus(words: RuleWords, rule: model.BonusPenaltyRule, weight: Decimal) -> str:
    items = "；".join(words._bonus_item(i) for i in rule.items)
    return f"加减分：{items}；合计在{format_number(rule.total_min)}至{format_number(rule.total_max)}分之间"


@DESCRIPTIONS.register(model.SumRule)
def _sum(words: RuleWords, rule: model.SumRule, weight: Decimal) -> str:
    parts = "；".join(
        f"{words.text(p.name)}（{format_number(p.weight)}分）：{words.describe(p.rule, p.weight)}"
        + words.not_applicable(p.na_when, p.na_target)
        for p in rule.parts
    )
    return f"分项合计：{parts}"


def pack_source(source: str) -> str:
    """The pack's source, without the internal sample numbering ("种子 000（…）" -> "参照…")."""
    return re.sub(r"种子\s*\d+\s*（(.*?)）", r"参照\1", source)


def param_writing(param: model.Param) -> str:
    """How a data document sets `param`, in JSON as the user types it under "params": the default, then the choices.

    '"deduction_step_rounding": "ceil"' and, on a second line, '可选："ceil"（每开始一档即扣）、"floor"（满一档才扣）'.
    """
    line = f'"{param.id}": {json.dumps(param.default, ensure_ascii=False)}'
    if len(param.choices) > 1:
        shown = "、".join(
            json.dumps(c, ensure_ascii=False) + (f"（{CHOICE_WORDS[str(c)]}）" if str(c) in CHOICE_WORDS else "")
            for c in param.choices
        )
        return f"{line}\n可选：{shown}"
    if isinstance(param.default, bool):
        return f"{line}\n可选：true（是）、false（否）"
    if isinstance(param.default, int | float):
        return f"{line}\n可改为其他数字"
    return line


def param_text(param: model.Param) -> str:
    """A parameter's explanation with its choice values in words ("选 floor" -> "选“满一档才扣”")."""
    text = param.doc
    for value in param.choices:
        word = CHOICE_WORDS.get(str(value))
        if word:
            text = re.sub(rf"(?<![A-Za-z]){re.escape(str(value))}(?![A-Za-z])", f"“{word}”", text)
    return text
