"""The formula language of rule packs.

A rule pack writes each rate once, as an arithmetic expression over input ids, e.g.
``actual_spending / budget_issued`` or ``abs(income_final - income_budget) / income_budget``.
The same parsed expression is evaluated here with Decimal and rendered as a native Excel formula by the template
writer, so Python and the spreadsheet cannot drift apart.

Grammar (a subset of Python expressions): numbers, input ids, + - * /, unary minus, parentheses, comparisons
(== != < <= > >=), ``and`` / ``or`` / ``not``, ``a if condition else b``, and the functions abs, min, max.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import cached_property

from xl_perf.errors import RulePackError, quoted

_FUNCTIONS = {"abs", "min", "max"}
_BINOPS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS: dict[type[ast.cmpop], tuple[str, str]] = {
    ast.Eq: ("==", "="),
    ast.NotEq: ("!=", "<>"),
    ast.Lt: ("<", "<"),
    ast.LtE: ("<=", "<="),
    ast.Gt: (">", ">"),
    ast.GtE: (">=", ">="),
}


Value = Decimal | bool | str


class MissingInputs(Exception):
    """Raised during evaluation when inputs are blank; carries every missing id, not just the first."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


class Undefined(Exception):
    """The expression has no value for these inputs (division by zero)."""


class _Inputs:
    """Input values that note every blank they are asked for instead of failing on the first."""

    def __init__(self, values: Mapping[str, Value | None], missing: list[str]) -> None:
        self.values = values
        self.missing = missing

    def __getitem__(self, name: str) -> Value:
        value = self.values.get(name)
        if value is None:
            if name not in self.missing:
                self.missing.append(name)
            return Decimal(1)  # a placeholder so evaluation can go on and find the other blanks
        return value


@dataclass(frozen=True)
class Expr:
    source: str
    tree: ast.expr

    @property
    def names(self) -> list[str]:
        """Input ids in order of first appearance."""
        return list(self._names)

    @cached_property
    def _names(self) -> tuple[str, ...]:
        # Rule packs are loaded once and their expressions are asked for their inputs on every evaluation: walk the
        # tree once. (cached_property writes the instance dictionary directly, which a frozen dataclass allows.)
        seen: list[str] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and node.id not in _FUNCTIONS and node.id not in seen:
                seen.append(node.id)
        return tuple(seen)

    def evaluate(self, values: Mapping[str, Value | None]) -> Value:
        """Evaluate; blanks in branches that a conditional does not take are not required."""
        missing: list[str] = []
        try:
            result = _eval(self.tree, _Inputs(values, missing))
        except (DivisionByZero, InvalidOperation, ZeroDivisionError, Undefined):
            if missing:
                raise MissingInputs(missing) from None
            raise Undefined(self.source) from None
        if missing:
            raise MissingInputs(missing)
        return result

    def to_excel(self, ref: Callable[[str], str]) -> str:
        """Render as an Excel formula body (without the leading '='); `ref` maps an input id to a cell reference."""
        return _excel(self.tree, ref)

    def to_text(self, ref: Callable[[str], str]) -> str:
        """Render for people: "621.520185 ÷ 623.731085"."""
        return _render(self.tree, ref, excel=False)[0]


def parse(source: str) -> Expr:
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise RulePackError(f"公式语法错误：{quoted(source)}（{exc.msg}）") from None
    _check(tree, source)
    return Expr(source=source, tree=tree)


def _check(node: ast.AST, source: str) -> None:
    allowed = (
        ast.BinOp,
        ast.UnaryOp,
        ast.Name,
        ast.Constant,
        ast.Call,
        ast.Compare,
        ast.BoolOp,
        ast.Load,
        ast.IfExp,
        ast.USub,
        ast.UAdd,
        ast.Not,
        ast.And,
        ast.Or,
        *_BINOPS,
        *_CMPOPS,
    )
    for child in ast.walk(node):
        if not isinstance(child, allowed):
            raise RulePackError(f"公式含不允许的成分 {type(child).__name__}：{quoted(source)}")
        if isinstance(child, ast.Constant) and (
            isinstance(child.value, bool) or not isinstance(child.value, int | float | str)
        ):
            raise RulePackError(f"公式中只允许数字或文字常量：{quoted(source)}")
        if isinstance(child, ast.Call) and (
            not isinstance(child.func, ast.Name) or child.func.id not in _FUNCTIONS or child.keywords
        ):
            raise RulePackError(f"公式只允许函数 abs/min/max：{quoted(source)}")


def _num(value: Value) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, str):
        raise Undefined(f"文字不能参与计算：{value}")
    return value


def _eval(node: ast.expr, values: _Inputs) -> Value:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        if isinstance(node.op, ast.Not):
            return not _truth(operand)
        return -_num(operand) if isinstance(node.op, ast.USub) else _num(operand)
    if isinstance(node, ast.BinOp):
        left, right = _num(_eval(node.left, values)), _num(_eval(node.right, values))
        op = type(node.op)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if right == 0:
            raise DivisionByZero()
        return left / right
    if isinstance(node, ast.Call):
        args = [_num(_eval(a, values)) for a in node.args]
        name = node.func.id  # type: ignore[attr-defined]
        if name == "abs":
            return abs(args[0])
        return min(args) if name == "min" else max(args)
    if isinstance(node, ast.Compare):
        lhs = _eval(node.left, values)
        for cmp_op, comparator in zip(node.ops, node.comparators, strict=True):
            rhs = _eval(comparator, values)
            if isinstance(lhs, str) or isinstance(rhs, str):
                if type(cmp_op) not in (ast.Eq, ast.NotEq):
                    raise Undefined("文字只能比较相等")
                equal = lhs == rhs
                if equal != isinstance(cmp_op, ast.Eq):
                    return False
            elif not _compare(type(cmp_op), _num(lhs), _num(rhs)):
                return False
            lhs = rhs
        return True
    if isinstance(node, ast.BoolOp):
        # Short-circuit, as Excel's IF would: a decided condition does not need its other inputs.
        stop = not isinstance(node.op, ast.And)
        for condition in node.values:
            if _truth(_eval(condition, values)) is stop:
                return stop
        return not stop
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _truth(_eval(node.test, values)) else node.orelse, values)
    raise AssertionError(type(node))


def _truth(value: Value) -> bool:
    if isinstance(value, str):
        raise Undefined(f"文字不能作为条件：{value}")
    return bool(value)


def _compare(op: type[ast.cmpop], left: Decimal, right: Decimal) -> bool:
    return {
        ast.Eq: left == right,
        ast.NotEq: left != right,
        ast.Lt: left < right,
        ast.LtE: left <= right,
        ast.Gt: left > right,
        ast.GtE: left >= right,
    }[op]


_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}
_TEXT_OPS = {ast.Add: " + ", ast.Sub: " - ", ast.Mult: " × ", ast.Div: " ÷ "}


def _excel(node: ast.expr, ref: Callable[[str], str]) -> str:
    return _render(node, ref, excel=True)[0]


def _render(node: ast.expr, ref: Callable[[str], str], *, excel: bool) -> tuple[str, int]:
    """Render with only the parentheses precedence needs; returns (text, precedence of the result)."""
    atom = 9
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return '"' + node.value.replace('"', '""') + '"', atom
        return str(node.value), atom
    if isinstance(node, ast.Name):
        return ref(node.id), atom
    if isinstance(node, ast.UnaryOp):
        inner, prec = _render(node.operand, ref, excel=excel)
        if isinstance(node.op, ast.Not):
            return (f"NOT({inner})" if excel else f"非({inner})"), atom
        if isinstance(node.op, ast.UAdd):
            return inner, prec
        return (f"-{inner}" if prec >= 3 else f"-({inner})"), 3
    if isinstance(node, ast.BinOp):
        op = type(node.op)
        prec = _PRECEDENCE[op]
        left, left_prec = _render(node.left, ref, excel=excel)
        right, right_prec = _render(node.right, ref, excel=excel)
        if left_prec < prec:
            left = f"({left})"
        # a-(b-c) and a/(b*c) keep their parentheses: the right side binds first.
        if right_prec < prec or (right_prec == prec and op in (ast.Sub, ast.Div)):
            right = f"({right})"
        symbol = _BINOPS[op] if excel else _TEXT_OPS[op]
        return f"{left}{symbol}{right}", prec
    if isinstance(node, ast.Call):
        name = node.func.id.upper()  # type: ignore[attr-defined]
        args = ",".join(_render(a, ref, excel=excel)[0] for a in node.args)
        return f"{name}({args})", atom
    if isinstance(node, ast.Compare):
        parts: list[str] = []
        lhs_node = node.left
        for cmp_op, comparator in zip(node.ops, node.comparators, strict=True):
            symbol = _CMPOPS[type(cmp_op)][1] if excel else f" {_CMPOPS[type(cmp_op)][0]} "
            parts.append(f"{_render(lhs_node, ref, excel=excel)[0]}{symbol}{_render(comparator, ref, excel=excel)[0]}")
            lhs_node = comparator
        return (parts[0], 0) if len(parts) == 1 else (f"AND({','.join(parts)})", atom)
    if isinstance(node, ast.BoolOp):
        fn = "AND" if isinstance(node.op, ast.And) else "OR"
        return f"{fn}({','.join(_render(v, ref, excel=excel)[0] for v in node.values)})", atom
    if isinstance(node, ast.IfExp):
        parts = [_render(n, ref, excel=excel)[0] for n in (node.test, node.body, node.orelse)]
        return (f"IF({','.join(parts)})" if excel else f"（若{parts[0]}则{parts[1]}，否则{parts[2]}）"), atom
    raise AssertionError(type(node))
