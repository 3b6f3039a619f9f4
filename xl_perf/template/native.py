"""Native Excel formulas for computed cells, derived from the rule pack (the .xlsx variant).

They reproduce the engine's rules cell by cell: a rate is blank ("") when an input is blank and "无法计算" when its
denominator is zero; a score is blank when the rule needs the unit's judgement or an input is missing. The tests
recalculate these formulas in LibreOffice and compare every computed cell with the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from xl_perf.model.document import Document
from xl_perf.rules import model
from xl_perf.rules.expr import Expr
from xl_perf.rules.kinds import Registry
from xl_perf.template.layout import RowRefs, field_name, rate_name, weight_name

UNDEFINED = "无法计算"
_DIGITS = "{" + ",".join(str(i) for i in range(1, 16)) + "}"


def _num(value: Decimal | float | int) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text


# The Excel formula of each rule kind: (formulas, rule, weight, owner indicator) -> expression without "=", or None.
FORMULAS: Registry[Callable[..., str | None]] = Registry("Excel formula")


class NativeFormulas:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.pack = doc.pack
        self.zero_blanks = doc.param("blank_inputs") == "zero"

    # --- references --------------------------------------------------------------------------------------------

    def ref(self, name: str) -> str:
        if name in self.pack.rates:
            return rate_name(name)
        spec = self.pack.fields.get(name)
        if spec is not None and spec.type in ("yesno", "havenot"):
            return f'({field_name(name)}="{spec.options[0]}")'
        if self.zero_blanks and (spec is None or spec.type in model.NUMERIC_TYPES):
            return f"N({field_name(name)})"
        return field_name(name)

    def raw_ref(self, name: str) -> str:
        return rate_name(name) if name in self.pack.rates else field_name(name)

    def missing(self, names: list[str]) -> str | None:
        """Excel condition that is TRUE when an input the expression needs is blank (or a rate it uses is blank)."""
        checks = []
        for name in names:
            spec = self.pack.fields.get(name)
            numeric = spec is None or spec.type in model.NUMERIC_TYPES
            if self.zero_blanks and name not in self.pack.rates and numeric:
                continue
            checks.append(f'{self.raw_ref(name)}=""')
        if not checks:
            return None
        return checks[0] if len(checks) == 1 else f"OR({','.join(checks)})"

    def undefined(self, expr: Expr) -> str:
        rates = [n for n in expr.names if n in self.pack.rates]
        checks = [f'{rate_name(r)}="{UNDEFINED}"' for r in rates]
        checks.append(f"ISERROR({expr.to_excel(self.ref)})")
        return checks[0] if len(checks) == 1 else f"OR({','.join(checks)})"

    def guard(self, names: list[str], inner: str) -> str:
        condition = self.missing(names)
        return inner if condition is None else f'IF({condition},"",{inner})'

    def score_value(self, ref: model.ScoreRef) -> str:
        if isinstance(ref, Decimal):
            return _num(ref)
        return _num(Decimal(str(self.doc.param(ref.removeprefix("param:")))))

    @staticmethod
    def interval(value: str, interval: model.Interval) -> str:
        tests = []
        if interval.low is not None:
            tests.append(f"{value}{'>=' if interval.low_inclusive else '>'}{_num(interval.low)}")
        if interval.high is not None:
            tests.append(f"{value}{'<=' if interval.high_inclusive else '<'}{_num(interval.high)}")
        if not tests:
            return "TRUE"
        return tests[0] if len(tests) == 1 else f"AND({','.join(tests)})"

    # --- rates -------------------------------------------------------------------------------------------------

    def precision(self, rate: model.Rate) -> int:
        return self.pack.rate_precision(rate, self.doc.param)

    def rate(self, rate: model.Rate) -> str:
        # ROUND(...,10) first: 4000.2-4000 is 0.1999999999998181 in binary floating point, and a half-way rate
        # (0.00005) must round up as the engine's exact decimal arithmetic does.
        value = f"ROUND({rate.formula.to_excel(self.ref)},10)"
        body = f'IFERROR(ROUND({value},{self.precision(rate)}),"{UNDEFINED}")'
        return "=" + self.guard(rate.formula.names, body)

    # --- rules -------------------------------------------------------------------------------------------------

    def undefined_cases(self, cases: tuple[model.Undefined, ...]) -> str:
        result = '""'
        for case in reversed(cases):
            test = f"IF({case.when.to_excel(self.ref)},{self.score_value(case.score)},{result})"
            condition = self.missing(case.when.names)
            result = test if condition is None else f'IF({condition},"",{test})'
        return result

    def rule(self, rule: model.Rule, weight: Decimal, owner: model.Indicator) -> str | None:
        """Excel expression (no '=') for the score of `rule` (of indicator `owner`, or one of its parts) at `weight`,
        or None when the rule needs judgement."""
        if getattr(rule, "judged", False):
            # The rule only bounds the unit's judgement, except when the bound is 0: then 0 is the score.
            bound = self.rule(replace(rule, judged=False), weight, owner)  # type: ignore[arg-type]
            return None if bound is None else f'IF(({bound})=0,0,"")'
        return FORMULAS[rule](self, rule, weight, owner)

    # --- not applicable ----------------------------------------------------------------------------------------

    def na_condition(self, expr: Expr) -> str:
        condition = self.missing(expr.names)
        body = expr.to_excel(self.ref)
        return body if condition is None else f"IF({condition},FALSE,{body})"

    def moved_in(self, indicator: model.Indicator) -> str | None:
        """Points that not-applicable parts of other indicators move to `indicator`."""
        terms = []
        for other in self.pack.indicators:
            if not isinstance(other.rule, model.SumRule):
                continue
            for part in other.rule.parts:
                if part.na_target == indicator.id and part.na_when is not None:
                    terms.append(f"IF({self.na_condition(part.na_when)},{_num(part.weight)},0)")
        return "+".join(terms) if terms else None

    # --- the FormulaBuilder protocol -----------------------------------------------------------------------------

    def part(self, indicator: model.Indicator, part: model.Part) -> str | None:
        inner = self.rule(part.rule, part.weight, indicator)
        if inner is None:
            return None
        if part.na_when is not None:
            # Not applicable: the part has no score of its own ("" when its points go to its siblings, 0 when they
            # leave the indicator).
            empty = '""' if part.na_target == "siblings" else "0"
            inner = f"IF({self.na_condition(part.na_when)},{empty},{inner})"
        return "=" + inner

    def score(self, indicator: model.Indicator) -> str | None:
        weight = self.doc.weights.get(indicator.id, indicator.weight)
        inner = self.rule(indicator.rule, weight, indicator)
        if inner is None:
            return None
        moved = self.moved_in(indicator)
        if moved is not None:
            scale = f"({_num(weight)}+{moved})/{_num(weight)}"
            inner = f'IF(({inner})="","",ROUND(({inner})*{scale},2))'
        return "=" + inner

    def counted(self, computed: str, stated: str, weight: str) -> str:
        return f'IF({computed}="",MIN(MAX(N({stated}),0),N({weight})),{computed})'

    def total(self, counted_cells: list[str], bonus: str | None) -> str:
        base = "+".join(counted_cells)
        adjustment = next((i.rule for i in self.pack.indicators if isinstance(i.rule, model.BonusPenaltyRule)), None)
        total = f"MIN(MAX({base},0),{_num(self.pack.total)})"
        if bonus is not None and adjustment is not None:
            low, high = _num(adjustment.total_min), _num(adjustment.total_max)
            total = f"MIN(MAX({total}+N({bonus}),{low}),{high})"
        caps = self.pack.options.total_caps(self.doc.options)
        if caps and self.pack.options.execution_rate:
            rate = rate_name(self.pack.options.execution_rate)
            capped = total
            for interval, cap in reversed(caps):
                capped = f"IF({self.interval(rate, interval)},MIN({total},{_num(cap)}),{capped})"
            total = f"IF(ISNUMBER({rate}),{capped},{total})"
        return f"=ROUND({total},2)"

    def check(self, stated: str, computed: str) -> str:
        return f'=IF(OR({computed}="",{stated}=""),"",IF(ABS({stated}-{computed})>0.004,"不符","✓"))'

    # --- indicator rows ------------------------------------------------------------------------------------------

    def _rows_rules(self) -> list[model.Indicator]:
        return [i for i in self.pack.indicators if isinstance(i.rule, model.RowsRule)]

    @staticmethod
    def _norm(cell: str) -> str:
        return f'SUBSTITUTE(SUBSTITUTE(TRIM({cell})," ",""),"指标","")'

    def _match(self, rule: model.RowsRule, column_range: str) -> str:
        names = [m.removesuffix("指标") for m in rule.match]
        return "+".join(f'--({self._norm(column_range)}="{n}")' for n in names)

    def _range(self, refs: RowRefs, column: str, first: int | None = None) -> str:
        """The indicator rows of `column`, or (with `first`) the rows from `first` down: that start is relative,
        so a row copied and inserted as workbooks/README.md says counts from its own row, not the row it came from."""
        if first is not None:
            return f"${column}{first}:${column}${refs.last_row}"
        return f"${column}${refs.first_row}:${column}${refs.last_row}"

    def row_weight(self, slot: int, refs: RowRefs) -> str | None:
        if self.pack.rows is None or self.pack.rows.weight:
            return None
        chain = '""'
        for indicator in reversed(self._rows_rules()):
            rule = indicator.rule
            assert isinstance(rule, model.RowsRule)
            column = refs.level_columns[rule.level - 1]
            own = f"{column}{refs.row}"
            everywhere = f"SUMPRODUCT({self._match(rule, self._range(refs, column))})"
            below = f"SUMPRODUCT({self._match(rule, self._range(refs, column, refs.row))})"
            w = weight_name(indicator.id)
            share = f"ROUND({w}/{everywhere},2)"
            last_share = f"{w}-({everywhere}-1)*{share}"
            mine = self._match(rule, own)
            chain = f"IF(({mine})>0,IF({below}=1,{last_share},{share}),{chain})"
        return "=" + chain

    def row_score(self, slot: int, refs: RowRefs) -> str:
        t = f'TRIM({refs.target}&"")'
        a = f'TRIM({refs.actual}&"")'
        w = f"N({refs.weight})"
        clen = f'IF(OR(LEFT({t},2)=">=",LEFT({t},2)="<="),2,IF(ISNUMBER(FIND(LEFT({t},1),"≥≤><=")),1,0))'
        rest = f"MID({t},{clen}+1,99)"
        reverse = f'OR(LEFT({t},1)="≤",LEFT({t},1)="<")'
        equal = f'LEFT({t},1)="="'

        def number(text: str) -> tuple[str, str]:
            value = f"LOOKUP(9.9E+307,--LEFT({text},{_DIGITS}))"
            length = f"LOOKUP(9.9E+307,--LEFT({text},{_DIGITS}),{_DIGITS})"
            return value, f"MID({text},{length}+1,99)"

        tn, tu = number(rest)
        an, au = number(a)
        forward = f"IF({tn}=0,IF({equal},IF({an}<=0,{w},0),{w}),IF({an}>={tn},{w},ROUND(MAX({an},0)*{w}/{tn},2)))"
        backward = (
            f"IF({tn}<=0,IF({an}<={tn},{w},0),IF({an}<={tn},{w},IF({an}>=2*{tn},0,ROUND((2*{tn}-{an})*{w}/{tn},2))))"
        )
        numeric = f'IF(OR({tu}={au},{au}=""),IF({reverse},{backward},{forward}),"")'

        def month(text: str) -> str:
            year = f"--LEFT({text},4)"
            mon = f'IFERROR(--MID({text},FIND("年",{text})+1,FIND("月",{text})-FIND("年",{text})-1),12)'
            return f"({year}*100+{mon})"

        is_date = (
            f'AND(ISNUMBER(FIND("年",{rest})),ISNUMBER(FIND("年",{a})),'
            f'ISNUMBER(--LEFT({rest},4)),NOT(ISNUMBER(FIND("后",{t}))))'
        )
        date = f"IF({month(a)}<={month(rest)},{w},0)"
        body = f'IF({t}={a},{w},IF({is_date},{date},IFERROR({numeric},"")))'
        # A row of weight 0 scores 0 whatever it holds, as in the engine.
        blank = f'IF(OR({t}="",{a}=""),"",{body})'
        return f'=IF({refs.weight}="","",IF({w}=0,0,{blank}))'

    def rows_score(self, indicator: model.Indicator, rule: model.RowsRule) -> str:
        column_letters = self._row_columns()
        column = self._level_column(rule.level)
        score = column_letters["score"]
        first, last = self._rows_bounds
        levels = self._sheet_range(column, first, last)
        scores = self._sheet_range(score, first, last)
        match = self._match(rule, levels)
        count = f"SUMPRODUCT({match})"
        scored = f"SUMPRODUCT(({match})*ISNUMBER({scores}))"
        total = f"SUMPRODUCT(({match}),{scores})"
        return f'IF(OR({count}=0,{scored}<{count}),"",MIN(ROUND({total},2),{weight_name(indicator.id)}))'

    def rows_counted(self, indicator: model.Indicator) -> str:
        """What a row group counts in the total when rows carry their own 得分: the sum of the rows' counted scores."""
        rule = indicator.rule
        assert isinstance(rule, model.RowsRule)
        letters = self._row_columns()
        column = self._level_column(rule.level)
        first, last = self._rows_bounds
        levels = self._sheet_range(column, first, last)
        counted = self._sheet_range(letters["counted"], first, last)
        return f"MIN(ROUND(SUMPRODUCT(({self._match(rule, levels)}),{counted}),2),{weight_name(indicator.id)})"

    def row_group_stated(self, indicator: model.Indicator) -> str | None:
        rule = indicator.rule
        assert isinstance(rule, model.RowsRule)
        letters = self._row_columns()
        if "stated" not in letters:
            return None
        column = self._level_column(rule.level)
        first, last = self._rows_bounds
        levels = self._sheet_range(column, first, last)
        stated = self._sheet_range(letters["stated"], first, last)
        return f"=SUMPRODUCT(({self._match(rule, levels)}),{stated})"

    # Set by the layout once the rows block is placed (columns and first/last sheet rows of the region).
    _rows_bounds: tuple[int, int] = (0, 0)
    _row_letters: dict[str, object] = {}  # noqa: RUF012 - replaced per instance by place_rows
    _rows_sheet: str = ""

    def _row_columns(self) -> dict[str, object]:
        return self._row_letters

    def _level_column(self, level: int) -> str:
        """The column letter of the indicator rows' names at `level` (1: 一级指标)."""
        letters = self._row_letters["levels"]
        assert isinstance(letters, list | tuple)
        return str(letters[level - 1])

    def place_rows(self, letters: dict[str, object], first: int, last: int, sheet: str) -> None:
        self._row_letters = letters
        self._rows_bounds = (first, last)
        self._rows_sheet = sheet

    def _sheet_range(self, column: object, first: int, last: int) -> str:
        return f"'{self._rows_sheet}'!${column}${first}:${column}${last}"


@FORMULAS.register(model.TiersRule)
def _tiers(native: NativeFormulas, rule: model.TiersRule, weight: Decimal, owner: model.Indicator) -> str | None:
    value = rule.value.to_excel(native.ref)
    chain = '""'
    for tier in reversed(rule.tiers):
        chain = f"IF({native.interval(value, tier.range)},{native.score_value(tier.score)},{chain})"
    body = f"IF({native.undefined(rule.value)},{native.undefined_cases(rule.undefined)},{chain})"
    return native.guard(rule.value.names, body)


@FORMULAS.register(model.LinearRule)
def _linear(native: NativeFormulas, rule: model.LinearRule, weight: Decimal, owner: model.Indicator) -> str | None:
    value = rule.value.to_excel(native.ref)
    w = _num(weight)
    score = f"ROUND(MIN(MAX(({value})*{w},0),{w}),2)"
    body = f"IF({native.undefined(rule.value)},{native.undefined_cases(rule.undefined)},{score})"
    if rule.zero_when is not None:
        zero = f"IF({rule.zero_when.to_excel(native.ref)},0,{body})"
        body = native.guard(rule.zero_when.names, zero)
    return native.guard(rule.value.names, body)


@FORMULAS.register(model.DeductionRule)
def _deduction(
    native: NativeFormulas, rule: model.DeductionRule, weight: Decimal, owner: model.Indicator
) -> str | None:
    deductions = []
    names: list[str] = []
    for item in rule.items:
        value = f"({item.value.to_excel(native.ref)})"
        names += [n for n in item.value.names if n not in names]
        if item.tiers:
            chain = "0"
            for tier in reversed(item.tiers):
                chain = f"IF({native.interval(value, tier.range)},{native.score_value(tier.deduct)},{chain})"
            deductions.append(chain)
        elif item.step is not None:
            rounding = item.rounding
            if rounding.startswith("param:"):
                rounding = str(native.doc.param(rounding.removeprefix("param:")))
            fn = "ROUNDUP" if rounding == "ceil" else "ROUNDDOWN"
            # ROUND(...,9) first: 0.55/0.05 is 11.000000000000002 in binary floating point.
            deductions.append(f"MAX(0,{fn}(ROUND({value}/{_num(item.step)},9),0))*{_num(item.per or 0)}")
        else:
            deductions.append(f"MAX(0,{value})*{_num(item.per or 0)}")
    score = f"ROUND(MAX(0,{_num(weight)}-({'+'.join(deductions)})),2)"
    undefined = "OR(" + ",".join(native.undefined(i.value) for i in rule.items) + ")"
    return native.guard(names, f'IF({undefined},"",{score})')


@FORMULAS.register(model.ChecklistRule)
def _checklist(
    native: NativeFormulas, rule: model.ChecklistRule, weight: Decimal, owner: model.Indicator
) -> str | None:
    if any(item.input is None for item in rule.items):
        return None
    declared = sum((i.points for i in rule.items), Decimal(0))
    factor = weight / declared if declared else Decimal(1)
    terms = [f"IF({native.ref(i.input)},{_num(i.points * factor)},0)" for i in rule.items if i.input]
    names = [i.input for i in rule.items if i.input]
    return native.guard(names, f"ROUND({'+'.join(terms)},2)")


@FORMULAS.register(model.ChoiceRule)
def _choice(native: NativeFormulas, rule: model.ChoiceRule, weight: Decimal, owner: model.Indicator) -> str | None:
    spec = native.pack.fields[rule.input]
    chain = '""'
    for option, score in reversed(rule.options):
        chain = f'IF({field_name(rule.input)}="{native.doc.text(option)}",{_num(score)},{chain})'
    del spec
    return native.guard([rule.input], chain)


@FORMULAS.register(model.ManualRule)
def _manual(native: NativeFormulas, rule: model.ManualRule, weight: Decimal, owner: model.Indicator) -> str | None:
    return None


@FORMULAS.register(model.BonusPenaltyRule)
def _bonus(native: NativeFormulas, rule: model.BonusPenaltyRule, weight: Decimal, owner: model.Indicator) -> str | None:
    terms = []
    for item in rule.items:
        amount = f"N({field_name(item.input)})*{_num(item.per)}"
        terms.append(f"MIN({amount},{_num(item.cap)})" if item.per > 0 else f"MAX({amount},-{_num(item.cap)})")
    return "+".join(terms)


@FORMULAS.register(model.RowsRule)
def _rows(native: NativeFormulas, rule: model.RowsRule, weight: Decimal, owner: model.Indicator) -> str | None:
    return native.rows_score(owner, rule)


@FORMULAS.register(model.SumRule)
def _sum(native: NativeFormulas, rule: model.SumRule, weight: Decimal, owner: model.Indicator) -> str | None:
    # The sum of the parts' own (named) cells; none when a part needs judgement or moves its points to its siblings.
    siblings = any(p.na_target == "siblings" for p in rule.parts)
    if siblings or any(native.part(owner, p) is None for p in rule.parts) or len(rule.parts) > 4:
        return None
    names = [f"xp_part_{owner.id}_{p.id}" for p in rule.parts]
    blank = "OR(" + ",".join(f'{n}=""' for n in names) + ")"
    return f'IF({blank},"",ROUND({"+".join(names)},2))'


FormulaFactory = Callable[[Document], NativeFormulas]
