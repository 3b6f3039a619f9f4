"""Load rule packs (TOML files in `packs/`) into `model.RulePack`, checking every reference once at load time."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, cast

from xl_perf.errors import RulePackError, quoted
from xl_perf.rules import expr, model
from xl_perf.rules.text import YEAR_KEYS, placeholders

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CARRY_KEYS = ("carry", "carry_from", "carry_if")
RULE_KINDS = ("tiers", "linear", "deduction", "checklist", "choice", "manual", "rows", "bonus_penalty", "sum")


def available() -> list[str]:
    """Ids of the bundled packs."""
    return list(_bundled())


@cache
def _bundled() -> tuple[str, ...]:
    # Listed once per process: the packs ship inside the package and do not change while it runs.
    folder = resources.files("xl_perf.rules") / "packs"
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


@cache
def load(pack_id: str) -> model.RulePack:
    if pack_id not in available():
        raise RulePackError(f"没有名为“{pack_id}”的规则包；可用：{'、'.join(available())}")
    text = (resources.files("xl_perf.rules") / "packs" / f"{pack_id}.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulePackError(f"规则包 {pack_id} 不是合法的 TOML：{exc}") from None
    pack = _Builder(pack_id, data).build()
    if pack.id != pack_id:
        raise RulePackError(f"规则包文件 {pack_id}.toml 声明的 id 是 {pack.id}")
    return pack


def _dec(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RulePackError(f"{where}：应为数字，实为 {quoted(value)}")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise RulePackError(f"{where}：应为数字，实为 {quoted(value)}") from None


class _Builder:
    def __init__(self, pack_id: str, data: dict[str, Any]) -> None:
        self.pack_id = pack_id
        self.data = data
        self.known_names: set[str] = set()
        self.params: dict[str, model.Param] = {}
        self.templates: list[tuple[str, str]] = []  # (where, template) checked against the level words at the end

    def fail(self, message: str) -> RulePackError:
        return RulePackError(f"规则包 {self.pack_id}：{message}")

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} 应为文字")
        self.templates.append((where, value))
        return value

    def build(self) -> model.RulePack:
        data = self.data
        head = data.get("pack") or {}
        self.params = {
            name: model.Param(name, spec.get("default"), spec.get("doc", ""), tuple(spec.get("choices", ())))
            for name, spec in data.get("params", {}).items()
        }
        for param in self.params.values():
            if not param.doc:
                raise self.fail(f"参数 {param.id} 缺少说明 doc")
            if param.choices and param.default not in param.choices:
                raise self.fail(f"参数 {param.id} 的默认值不在可选值中")
        levels = self._levels(data.get("levels", {}))
        sheets = tuple(
            model.Sheet(
                s["id"],
                self.text(s["title"], "sheet"),
                self.text(s.get("subtitle", ""), "sheet"),
                self.text(s.get("unit_note", ""), "sheet"),
            )
            for s in data.get("sheets", [])
        )
        sheet_ids = {s.id for s in sheets}
        sections = tuple(self._section(s, sheet_ids) for s in data.get("sections", []))
        field_ids = [f.id for s in sections for f in s.fields]
        self._unique(field_ids, "字段 id")
        tables = tuple(self._table(t, sheet_ids) for t in data.get("tables", []))
        cells = {cid: self._cell(cid, spec, tables) for cid, spec in data.get("cells", {}).items()}
        self.known_names = set(field_ids) | set(cells)
        rates: dict[str, model.Rate] = {}
        for rid, spec in data.get("rates", {}).items():
            formula = self._expr(spec["formula"], f"比率 {rid}")
            rates[rid] = model.Rate(rid, self.text(spec["name"], f"比率 {rid}"), formula, spec.get("precision"))
        self.known_names |= set(rates)
        if "rate_precision" not in self.params and any(r.precision is None for r in rates.values()):
            raise self.fail("比率未写 precision 时，须有参数 params.rate_precision（比率保留的小数位数）")
        self._unique([*field_ids, *cells, *rates], "字段、单元格与比率 id")
        for section in sections:
            for f in section.fields:
                for ref in (f.stated_of, f.reason_for):
                    if ref is not None and ref not in rates:
                        raise self.fail(f"字段 {f.id} 引用了不存在的比率 {ref}")
        self._check_carry(sections, tables, set(cells))
        groups = tuple(
            model.Group(tuple(g["path"]), None if "weight" not in g else _dec(g["weight"], str(g["path"])))
            for g in data.get("groups", [])
        )
        indicators = tuple(self._indicator(i) for i in data.get("indicators", []))
        self._unique([i.id for i in indicators], "指标 id")
        indicator_ids = {i.id for i in indicators}
        for indicator in indicators:
            for target in self._na_targets(indicator):
                if target not in ("siblings", *indicator_ids):
                    raise self.fail(f"指标 {indicator.id} 的不适用分值去向 {target} 不存在")
        grades = tuple(
            model.GradeBand(b["name"], _dec(b["min"], "grades")) for b in data.get("grades", {}).get("bands", [])
        )
        if not grades or grades[-1].min != 0 or any(a.min <= b.min for a, b in itertools.pairwise(grades)):
            raise self.fail("等级 grades.bands 须按下限从高到低排列，最后一档下限为 0")
        pack = model.RulePack(
            id=head.get("id", ""),
            family=head.get("family", ""),
            kind=head.get("kind", ""),
            title=self.text(head.get("title", ""), "pack.title"),
            source=head.get("source", ""),
            total=_dec(head.get("total", 100), "pack.total"),
            note=self.text(head.get("note", ""), "pack.note"),
            grades=grades,
            levels=levels,
            params=self.params,
            sheets=sheets,
            sections=sections,
            tables=tables,
            cells=cells,
            rates=rates,
            groups=groups,
            indicators=indicators,
            rows=self._rows(data.get("rows")),
            options=self._options(data.get("options", {}), rates),
            sums=tuple(self._total(t, tables) for t in data.get("sums", [])),
            dates=tuple(self._date(d) for d in data.get("dates", [])),
            summary=self._summary(data.get("summary", {}), tables, set(cells), set(rates), set(field_ids)),
            weight_systems=tuple(self._weight_system(w, indicators) for w in data.get("weight_systems", [])),
            execution_indicator=data.get("options", {}).get("execution_indicator"),
            reverse_names=tuple(data.get("options", {}).get("reverse_names", ())),
            qualitative_by_unit=bool(data.get("options", {}).get("qualitative_by_unit", False)),
            projects=self._projects(data.get("projects"), tables),
        )
        self._check_templates(levels)
        return pack

    def _summary(
        self,
        spec: dict[str, Any],
        tables: tuple[model.TableSpec, ...],
        cells: set[str],
        rates: set[str],
        fields: set[str],
    ) -> model.SummarySpec:
        amount, execution = spec.get("amount"), spec.get("execution")
        if amount is not None and amount not in cells:
            raise self.fail(f"summary.amount 引用了不存在的单元格 {amount}")
        if execution is not None and execution not in rates:
            raise self.fail(f"summary.execution 引用了不存在的比率 {execution}")
        required = spec.get("required")
        coverage = None
        if required is not None:
            coverage = model.CoverageSpec(
                required.get("field"), required.get("table", ""), tuple(required.get("rows", ()))
            )
            if coverage.field is not None and coverage.field not in fields:
                raise self.fail(f"summary.required 引用了不存在的字段 {coverage.field}")
            if coverage.field is None:
                table = next((t for t in tables if t.id == coverage.table), None)
                if (
                    table is None
                    or not coverage.rows
                    or any(r not in {x.id for x in table.rows} for r in coverage.rows)
                ):
                    raise self.fail("summary.required 须给出计数字段 field，或表 table 及其项目行 rows")
        return model.SummarySpec(amount, execution, coverage)

    def _projects(self, spec: dict[str, Any] | None, tables: tuple[model.TableSpec, ...]) -> model.ProjectLinks | None:
        if spec is None:
            return None
        try:
            links = model.ProjectLinks(
                form=spec["form"],
                name=spec["name"],
                listing=spec["listing"],
                groups=tuple(spec["groups"]),
                table=spec["table"],
                total=spec["total"],
                other=spec["other"],
                other_amount=spec["other_amount"],
                amounts=tuple(model.ProjectAmount(a["listed"], a["own"], a["what"]) for a in spec["amounts"]),
                listed_other=tuple(spec.get("listed_other", ())),
                listed_classes=tuple(spec.get("listed_classes", ())),
            )
        except (KeyError, TypeError) as exc:
            raise self.fail(f"projects 缺少或写错了 {exc}") from None
        listing = next((t for t in tables if t.id == links.listing), None)
        if listing is None:
            raise self.fail(f"projects.listing 引用了不存在的表 {links.listing}")
        rows, columns = {r.id for r in listing.rows}, {c.id for c in listing.columns}
        wrong = [g for g in links.groups if g not in rows]
        listed = (*links.listed_other, *links.listed_classes, *(a.listed for a in links.amounts))
        wrong += [c for c in listed if c not in columns]
        if wrong or not links.groups:
            raise self.fail(f"projects 引用了表 {links.listing} 中不存在的行或列 {wrong}")
        return links

    @staticmethod
    def _na_targets(indicator: model.Indicator) -> Iterable[str]:
        if indicator.na_target:
            yield indicator.na_target
        if isinstance(indicator.rule, model.SumRule):
            for part in indicator.rule.parts:
                if part.na_target:
                    yield part.na_target

    def _unique(self, ids: list[str], what: str) -> None:
        seen: set[str] = set()
        for item in ids:
            if item in seen:
                raise self.fail(f"{what} 重复：{item}")
            seen.add(item)

    def _levels(self, raw: Mapping[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        levels: dict[str, dict[str, str]] = {}
        for name, words in raw.items():
            if "inherit" in words:
                base = raw.get(words["inherit"])
                if base is None or "inherit" in base:
                    raise self.fail(f"层级 {name} 继承的层级 {words['inherit']} 不存在或也是继承的")
                words = {**base, **{k: v for k, v in words.items() if k != "inherit"}}
            levels[name] = dict(words)
        if not levels:
            raise self.fail("缺少层级用语 [levels.*]")
        keys = {frozenset(w) for w in levels.values()}
        if len(keys) != 1:
            raise self.fail("各层级用语的键必须相同")
        return levels

    def _check_templates(self, levels: dict[str, dict[str, str]]) -> None:
        allowed = set(next(iter(levels.values()))) | set(YEAR_KEYS) | {"n"}
        for where, template in self.templates:
            unknown = placeholders(template) - allowed
            if unknown:
                raise self.fail(f"{where} 的文字含未知占位符 {sorted(unknown)}：{template[:40]}")

    def _section(self, raw: dict[str, Any], sheet_ids: set[str]) -> model.Section:
        label = self.text(raw["label"], "section")
        sheet = raw["sheet"]
        if sheet not in sheet_ids:
            raise self.fail(f"分区 {label} 所在表 {sheet} 未定义")
        fields = tuple(self._field(f, label, sheet) for f in raw["fields"])
        self._unique([f.label for f in fields], f"分区 {label} 的字段名")
        return model.Section(label, sheet, fields)

    def _field(self, raw: dict[str, Any], section: str, sheet: str) -> model.FieldSpec:
        ftype = raw.get("type", "text")
        if ftype not in model.FieldType.__args__:  # type: ignore[attr-defined]
            raise self.fail(f"字段 {raw.get('id')} 的类型 {ftype} 未知")
        options = tuple(self.text(o, f"字段 {raw['id']} 的选项") for o in raw.get("options", ()))
        if ftype == "choice" and not options:
            raise self.fail(f"选择字段 {raw['id']} 缺少 options")
        if ftype == "yesno":
            options = ("是", "否")
        if ftype == "havenot":
            options = ("有", "无")
        return model.FieldSpec(
            id=raw["id"],
            label=self.text(raw["label"], f"字段 {raw['id']}"),
            type=cast(model.FieldType, ftype),
            section=section,
            sheet=sheet,
            unit=raw.get("unit", "万元" if ftype == "amount" else ""),
            options=options,
            required=bool(raw.get("required", False)),
            stated_of=raw.get("stated_of"),
            reason_for=raw.get("reason_for"),
            doc=self.text(raw.get("doc", ""), f"字段 {raw['id']}"),
            minimum=None if "min" not in raw else _dec(raw["min"], raw["id"]),
            maximum=None if "max" not in raw else _dec(raw["max"], raw["id"]),
            **self._carry_keys(raw, f"字段 {raw['id']}", options),
        )

    # --- yearly rollover declarations --------------------------------------------------------------------------

    def _carry_from(self, raw: dict[str, Any], where: str, allowed: tuple[str, ...] = ("carry_from",)) -> str | None:
        unknown = sorted(k for k in raw if k.startswith("carry") and k not in allowed)
        if unknown:
            raise self.fail(f"{where} 的结转声明 {unknown} 未知（可用：{'、'.join(allowed)}）")
        source = raw.get("carry_from")
        if source is not None and not isinstance(source, str):
            raise self.fail(f"{where} 的 carry_from 应为字段或列的 id")
        return source

    def _carry_keys(self, raw: dict[str, Any], where: str, options: tuple[str, ...]) -> dict[str, Any]:
        """carry / carry_from / carry_if of a field; ids are checked in `_check_carry` once every id is known."""
        source = self._carry_from(raw, where, CARRY_KEYS)
        carry = raw.get("carry", False)
        if not isinstance(carry, bool):
            raise self.fail(f"{where} 的 carry 应为 true 或 false")
        condition = raw.get("carry_if")
        if sum(1 for declared in (carry, source is not None, condition is not None) if declared) > 1:
            raise self.fail(f"{where} 只能声明 carry、carry_from、carry_if 之一")
        carry_if = None
        if condition is not None:
            if not isinstance(condition, dict) or set(condition) != {"value", "when", "otherwise"}:
                raise self.fail(f"{where} 的 carry_if 应为 {{ value = …, when = …, otherwise = … }}")
            value = self.text(condition["value"], where)
            if options and value not in options:
                raise self.fail(f"{where} 的 carry_if 取值 {value} 不在选项 {list(options)} 中")
            carry_if = model.CarryIf(
                value, expr.parse(str(condition["when"])), self.text(condition["otherwise"], where)
            )
        return {"carry": carry, "carry_from": source, "carry_if": carry_if}

    def _check_carry(
        self, sections: tuple[model.Section, ...], tables: tuple[model.TableSpec, ...], cells: set[str]
    ) -> None:
        fields = {f.id: f for s in sections for f in s.fields}
        for spec in fields.values():
            where = f"字段 {spec.id}"
            if spec.carry_from is not None:
                source = fields.get(spec.carry_from)
                if source is None or source.id == spec.id:
                    raise self.fail(f"{where} 的 carry_from 引用了不存在的字段 {spec.carry_from}")
                if source.type != spec.type:
                    raise self.fail(f"{where} 的 carry_from 字段 {source.id} 类型不同（{source.type} ≠ {spec.type}）")
            if spec.carry_if is not None:
                unknown = [n for n in spec.carry_if.when.names if n not in fields and n not in cells]
                if unknown:
                    raise self.fail(f"{where} 的 carry_if 条件引用了未定义的字段或单元格 {unknown}")
        for table in tables:
            columns = {c.id: c for c in table.columns}
            for column in table.columns:
                if column.carry_from is None:
                    continue
                source_column = columns.get(column.carry_from)
                where = f"表格 {table.id} 的列 {column.id}"
                if source_column is None or source_column.id == column.id:
                    raise self.fail(f"{where} 的 carry_from 引用了该表不存在的列 {column.carry_from}")
                if source_column.type != column.type:
                    raise self.fail(
                        f"{where} 的 carry_from 列 {source_column.id} 类型不同（{source_column.type} ≠ {column.type}）"
                    )

    def _rows_carry(self, raw: dict[str, Any]) -> tuple[str, ...]:
        carry = raw.get("carry", [])
        if (
            not isinstance(carry, list)
            or any(name not in raw["levels"] for name in carry)
            or len(set(carry)) < len(carry)
        ):
            raise self.fail(f"rows.carry 应为指标级次列名（{'、'.join(raw['levels'])}）的列表，实为 {quoted(carry)}")
        return tuple(carry)

    def _table(self, raw: dict[str, Any], sheet_ids: set[str]) -> model.TableSpec:
        if raw["sheet"] not in sheet_ids:
            raise self.fail(f"表格 {raw['id']} 所在表 {raw['sheet']} 未定义")
        columns = tuple(
            model.Column(
                c["id"],
                tuple(self.text(p, "列名") for p in c["path"]),
                c.get("type", "amount"),
                bool(c.get("signed", False)),
                self._carry_from(c, f"表格 {raw['id']} 的列 {c['id']}"),
            )
            for c in raw["columns"]
        )
        rows = tuple(
            model.RowSpec(
                r["id"],
                self.text(r["label"], "行名"),
                bool(r.get("repeat", False)),
                int(r.get("min", 0)),
                tuple(r.get("levels", ())),
            )
            for r in raw["rows"]
        )
        self._unique([c.id for c in columns], f"表格 {raw['id']} 的列 id")
        self._unique([r.id for r in rows], f"表格 {raw['id']} 的行 id")
        return model.TableSpec(
            raw["id"],
            raw["sheet"],
            self.text(raw["label"], "表格"),
            raw.get("row_header", "项目"),
            raw.get("unit", ""),
            columns,
            rows,
            tuple(self.text(f, "脚注") for f in raw.get("footnotes", ())),
        )

    def _cell(self, cid: str, spec: dict[str, str], tables: tuple[model.TableSpec, ...]) -> model.CellRef:
        table = next((t for t in tables if t.id == spec["table"]), None)
        if table is None:
            raise self.fail(f"单元格 {cid} 引用的表格 {spec['table']} 不存在")
        if spec["row"] not in {r.id for r in table.rows} or spec["column"] not in {c.id for c in table.columns}:
            raise self.fail(f"单元格 {cid} 引用的行或列不存在")
        return model.CellRef(cid, spec["table"], spec["row"], spec["column"])

    def _expr(self, source: str, where: str) -> expr.Expr:
        parsed = expr.parse(source)
        unknown = [n for n in parsed.names if n not in self.known_names]
        if unknown:
            raise self.fail(f"{where} 的公式引用了未定义的名称 {unknown}")
        return parsed

    def _score_ref(self, value: object, where: str) -> model.ScoreRef:
        if isinstance(value, str) and value.startswith("param:"):
            name = value.removeprefix("param:")
            if name not in self.params:
                raise self.fail(f"{where} 引用了未定义的参数 {name}")
            return value
        return _dec(value, where)

    def _undefined(self, raw: list[dict[str, Any]], where: str) -> tuple[model.Undefined, ...]:
        return tuple(
            model.Undefined(
                self._expr(u["when"], where), self._score_ref(u["score"], where), self.text(u["note"], where)
            )
            for u in raw
        )

    def _indicator(self, raw: dict[str, Any]) -> model.Indicator:
        where = f"指标 {raw.get('id')}"
        na_when = self._expr(raw["na_when"], where) if "na_when" in raw else None
        return model.Indicator(
            id=raw["id"],
            path=tuple(self.text(p, where) for p in raw["path"]),
            weight=_dec(raw["weight"], where),
            rule=self._rule(raw["rule"], where),
            explain=self.text(raw.get("explain", ""), where),
            criteria=self.text(raw.get("criteria", ""), where),
            adjustable=bool(raw.get("adjustable", False)),
            na_when=na_when,
            na_target=raw.get("na"),
        )

    def _rule(self, raw: dict[str, Any], where: str) -> model.Rule:
        kind = raw.get("kind")
        if kind not in RULE_KINDS:
            raise self.fail(f"{where} 的计分规则类型 {quoted(kind)} 不在词表（{'、'.join(RULE_KINDS)}）中")
        undefined = self._undefined(raw.get("undefined", []), where)
        if kind == "tiers":
            tiers = tuple(
                model.Tier(
                    model.Interval.parse(t["range"]),
                    self._score_ref(t["score"], where),
                    self.text(t.get("warn", ""), where),
                )
                for t in raw["tiers"]
            )
            self._check_tiers_cover([t.range for t in tiers], where)
            return model.TiersRule(self._expr(raw["value"], where), tiers, undefined, bool(raw.get("judged", False)))
        if kind == "linear":
            zero_when = self._expr(raw["zero_when"], where) if "zero_when" in raw else None
            return model.LinearRule(
                self._expr(raw["value"], where),
                zero_when,
                raw.get("zero_note", ""),
                undefined,
                bool(raw.get("judged", False)),
            )
        if kind == "deduction":
            deductions: list[model.DeductionItem] = []
            for item in raw["items"]:
                deduction_tiers = tuple(
                    model.DeductionTier(model.Interval.parse(t["range"]), self._score_ref(t["deduct"], where))
                    for t in item.get("tiers", ())
                )
                rounding = item.get("rounding", "ceil")
                if rounding.startswith("param:"):
                    self._score_ref(rounding, where)
                elif rounding not in ("ceil", "floor"):
                    raise self.fail(f"{where} 的取整方式 {rounding} 未知")
                if not deduction_tiers and "per" not in item:
                    raise self.fail(f"{where} 的扣分项须有 per 或 tiers")
                deductions.append(
                    model.DeductionItem(
                        self._expr(item["value"], where),
                        None if "per" not in item else _dec(item["per"], where),
                        None if "step" not in item else _dec(item["step"], where),
                        rounding,
                        deduction_tiers,
                    )
                )
            return model.DeductionRule(tuple(deductions), bool(raw.get("judged", False)))
        if kind == "checklist":
            items: list[model.ChecklistItem] = []
            for item in raw["items"]:
                field_id = item.get("input")
                if field_id is not None and field_id not in self.known_names:
                    raise self.fail(f"{where} 的要点引用了未定义的字段 {field_id}")
                items.append(model.ChecklistItem(self.text(item["text"], where), _dec(item["points"], where), field_id))
            return model.ChecklistRule(tuple(items))
        if kind == "choice":
            if raw["input"] not in self.known_names:
                raise self.fail(f"{where} 的选择引用了未定义的字段 {raw['input']}")
            options = tuple((self.text(k, where), _dec(v, where)) for k, v in raw["options"].items())
            return model.ChoiceRule(raw["input"], options)
        if kind == "manual":
            return model.ManualRule()
        if kind == "rows":
            return model.RowsRule(int(raw.get("level", 2)), tuple(raw["match"]))
        if kind == "bonus_penalty":
            bonus = tuple(
                model.BonusItem(i["input"], _dec(i["per"], where), _dec(i["cap"], where)) for i in raw["items"]
            )
            for item in bonus:
                if item.input not in self.known_names:
                    raise self.fail(f"{where} 引用了未定义的字段 {item.input}")
            return model.BonusPenaltyRule(bonus, _dec(raw["total_min"], where), _dec(raw["total_max"], where))
        parts = tuple(
            model.Part(
                p["id"],
                self.text(p["name"], where),
                _dec(p["weight"], where),
                self._rule(p["rule"], where),
                self._expr(p["na_when"], where) if "na_when" in p else None,
                p.get("na"),
            )
            for p in raw["parts"]
        )
        self._unique([p.id for p in parts], f"{where} 的分项 id")
        return model.SumRule(parts)

    def _check_tiers_cover(self, ranges: list[model.Interval], where: str) -> None:
        """Tiers must not overlap: a value may never fall into two branches."""
        probes: set[Decimal] = set()
        for r in ranges:
            for edge in (r.low, r.high):
                if edge is not None:
                    probes |= {edge, edge - Decimal("0.000001"), edge + Decimal("0.000001")}
        for probe in probes:
            hits = [r.text for r in ranges if r.contains(probe)]
            if len(hits) > 1:
                raise self.fail(f"{where} 的档次区间重叠：{probe} 同时落在 {hits}")

    def _total(self, raw: dict[str, Any], tables: tuple[model.TableSpec, ...]) -> model.TableTotal:
        table = next((t for t in tables if t.id == raw["table"]), None)
        if table is None:
            raise self.fail(f"合计检查引用的表格 {raw['table']} 不存在")
        row, column = raw.get("row"), raw.get("column")
        if (row is None) == (column is None):
            raise self.fail("合计检查须且只须给出 row 或 column")
        names = {r.id for r in table.rows} if row is not None else {c.id for c in table.columns}
        for name in [row or column, *(e.removesuffix("*") for e in raw["equals"])]:
            if name not in names:
                raise self.fail(f"合计检查引用了表格 {table.id} 中不存在的 {name}")
        return model.TableTotal(table.id, row, column, tuple(raw["equals"]), bool(raw.get("complete", False)))

    def _date(self, raw: dict[str, Any]) -> model.DateRule:
        for name in (raw["field"], raw.get("not_before")):
            if name is not None and (name not in self.known_names or name in self.known_names - self._date_fields()):
                raise self.fail(f"日期检查引用的 {name} 不是日期字段")
        low, high = raw["years"]
        return model.DateRule(raw["field"], (int(low), int(high)), raw.get("not_before"))

    def _date_fields(self) -> set[str]:
        return {f["id"] for s in self.data.get("sections", []) for f in s["fields"] if f.get("type") == "date"}

    def _weight_system(self, raw: dict[str, Any], indicators: tuple[model.Indicator, ...]) -> model.WeightSystem:
        where = f"权重体系 {raw.get('id', '')}"
        rows_ids = {i.id for i in indicators if isinstance(i.rule, model.RowsRule)}
        groups = []
        for g in raw.get("groups", []):
            if g.get("indicator") is not None and g["indicator"] not in rows_ids:
                raise self.fail(f"{where} 的一级指标 {g['name']} 引用了不存在的指标行指标 {g['indicator']}")
            groups.append(
                model.WeightGroup(
                    self.text(g["name"], where),
                    _dec(g["weight"], where),
                    tuple(g.get("aliases", ())),
                    g.get("indicator"),
                )
            )
        system = model.WeightSystem(
            raw["id"], self.text(raw.get("title", ""), where), _dec(raw["execution"], where), tuple(groups)
        )
        self._unique([g.name for g in system.groups], f"{where} 的一级指标")
        return system

    def _rows(self, raw: dict[str, Any] | None) -> model.RowLayout | None:
        if raw is None:
            return None
        groups = tuple((g["name"], tuple(g["children"])) for g in raw["groups"])
        return model.RowLayout(
            tuple(raw["levels"]),
            raw["target"],
            raw["actual"],
            raw.get("weight", ""),
            raw["score"],
            raw["reason"],
            groups,
            int(raw.get("min_rows", 0)),
            self._rows_carry(raw),
            self._score_lines(raw.get("score_lines", ())),
            str(raw.get("total", "")),
            str(raw.get("nature", "")),
            str(raw.get("degree", "")),
        )

    def _score_lines(self, raw: list[dict[str, Any]]) -> tuple[model.ScoreLine, ...]:
        indicators = {i["id"] for i in self.data.get("indicators", [])}
        rates = set(self.data.get("rates", {}))
        lines = tuple(
            model.ScoreLine(line["indicator"], line["label"], line.get("rate", ""), line.get("rate_label", ""))
            for line in raw
        )
        for line in lines:
            if line.indicator not in indicators:
                raise self.fail(f"rows.score_lines 引用了不存在的指标 {line.indicator}")
            if line.rate and line.rate not in rates:
                raise self.fail(f"rows.score_lines 引用了不存在的比率 {line.rate}")
        return lines

    def _options(self, raw: dict[str, Any], rates: dict[str, model.Rate]) -> model.Options:
        caps = tuple(
            (model.Interval.parse(c["range"]), _dec(c["max_total"], "options")) for c in raw.get("total_cap", ())
        )
        execution_rate = raw.get("execution_rate")
        if execution_rate is not None and execution_rate not in rates:
            raise self.fail(f"options.execution_rate 引用了不存在的比率 {execution_rate}")
        ratio = raw.get("deviation_reason_ratio")
        return model.Options(
            None if ratio is None else _dec(ratio, "options"),
            caps,
            bool(raw.get("total_cap_enabled", False)),
            execution_rate,
        )
