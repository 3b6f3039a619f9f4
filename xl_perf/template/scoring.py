"""The scoring parts of a layout: the unit's indicator rows, the Guangdong scoring table, and the score and total
lines under the rows of a form without a scoring table (MoF), each computed cell's formula from the builder."""

from __future__ import annotations

from decimal import Decimal

from xl_perf.io.cells import address, col_letter
from xl_perf.io.pages import text_height
from xl_perf.rules import model
from xl_perf.template.layout import (
    ROWS_NAME,
    STATED_TOTAL_NAME,
    TOTAL_NAME,
    Binding,
    Cell,
    Context,
    Layout,
    RowRefs,
    Sheet,
    rate_name,
    score_name,
    stated_name,
    validation_for,
    weight_name,
)


def indicator_depth(pack: model.RulePack) -> int:
    return max(len(i.path) for i in pack.indicators)


ROW_KEYS = ("target", "actual", "weight", "score", "reason")


def lay_rows(ctx: Context, layout: Layout, sheet: Sheet, rows: model.RowLayout, row: int, grid: int) -> int:
    headers = [*rows.levels, rows.target, rows.actual]
    keys = [f"level{i}" for i in range(len(rows.levels))] + ["target", "actual"]
    if rows.weight:
        headers.append(rows.weight)
        keys.append("weight")
    if rows.score:
        headers.append(rows.score)
        keys.append("score")
    headers.append(rows.reason)
    keys.append("reason")
    sheet.put(row, 0, Cell("绩效指标", "header", span=(1, grid)))
    row += 1
    for col, header in enumerate(headers):
        span = (1, grid - col) if col == len(headers) - 1 else (1, 1)
        sheet.put(row, col, Cell(header, "header", span=span))
    helper = grid
    helper_titles = ["计算分值", "计算得分"] + (["计入得分"] if "score" in keys else [])
    for offset, title in enumerate(helper_titles):
        sheet.put(row, helper + offset, Cell(title, "helper_header"))
        sheet.widths[helper + offset] = 10
    sheet.helper_cols = (helper, helper + len(helper_titles) - 1)
    sheet.heights[row] = 30
    row += 1
    first = row
    last = row + layout.row_slots - 1
    level_cols = tuple(col_letter(i) for i in range(len(rows.levels)))
    weight_col = col_letter(keys.index("weight")) if "weight" in keys else col_letter(helper)
    place = getattr(ctx.builder, "place_rows", None)
    if place is not None:
        letters: dict[str, object] = {"levels": level_cols, "score": col_letter(helper + 1)}
        if "score" in keys:
            letters["stated"] = col_letter(keys.index("score"))
            letters["counted"] = col_letter(helper + 2)
        place(letters, first + 1, last + 1, sheet.name)
    for slot in range(layout.row_slots):
        for col, key in enumerate(keys):
            span = (1, grid - col) if key == "reason" else (1, 1)
            value_type = "score" if key in ("weight", "score") else "text"
            # Names, targets and actuals are text ("≥95%", "100%"): a General cell would turn a typed "100%" into 1.
            style = "input_score" if value_type == "score" else ("input_long" if key == "reason" else "input_text")
            cell = Cell(
                None,
                style,
                Binding("row", "", slot, key),
                None,
                span,
                validation_for(value_type, (), headers[col], ""),
                None,
                value_type,
            )
            sheet.put(row, col, cell)
        refs = RowRefs(
            levels=tuple(f"{c}{row + 1}" for c in level_cols),
            target=address(row, keys.index("target")),
            actual=address(row, keys.index("actual")),
            weight=f"{weight_col}{row + 1}",
            first_row=first + 1,
            last_row=last + 1,
            level_columns=level_cols,
            weight_column=weight_col,
            row=row + 1,
        )
        computed_weight = ctx.builder.row_weight(slot, refs)
        sheet.put(row, helper, Cell(None, "helper", formula=computed_weight))
        score = ctx.builder.row_score(slot, refs)
        sheet.put(row, helper + 1, Cell(None, "helper", formula=score))
        if "score" in keys:
            score_col = keys.index("score")
            sheet.cells[(row, score_col)].formula = f"={col_letter(helper + 1)}{row + 1}"
            counted = ctx.builder.counted(f"{col_letter(helper + 1)}{row + 1}", address(row, score_col), refs.weight)
            sheet.put(row, helper + 2, Cell(None, "helper", formula="=" + counted))
        sheet.heights[row] = 30
        row += 1
    sheet.ranges[ROWS_NAME] = (first, 0, last, helper + len(helper_titles) - 1)
    widths = {"target": 14, "actual": 14, "weight": 7, "score": 7, "reason": 26}
    for col, key in enumerate(keys):
        sheet.widths[col] = widths.get(key, 12 if key != "level2" else 26)
    if scored_under_rows(ctx.pack):
        row = _lay_score_lines(ctx, sheet, row, grid, rows)
    return row + 1


def scored_under_rows(pack: model.RulePack) -> bool:
    """The pack has no scoring table: its indicators are scored on lines under the indicator rows (the MoF forms,
    as the pack declares with `rows.score_lines` and `rows.total`)."""
    return pack.rows is not None and bool(pack.rows.total)


def _lay_score_lines(ctx: Context, sheet: Sheet, row: int, grid: int, rows: model.RowLayout) -> int:
    """The lines under the indicator rows of a form without a scoring table: one per score line the pack declares
    (an indicator scored on its own, with its rate), then the total line."""
    for line in rows.score_lines:
        sheet.put(row, 0, Cell(ctx.text(line.label), "field_label", span=(1, 2)))
        if line.rate:
            rate = ctx.pack.rates[line.rate]
            sheet.put(row, 2, Cell(ctx.text(line.rate_label), "field_label"))
            sheet.put(row, 3, Cell(None, "computed_rate", formula=ctx.builder.rate(rate), name=rate_name(rate.id)))
        sheet.put(row, 4, Cell(ctx.text(rows.score), "field_label"))
        _score_cells(ctx, sheet, row, 5, ctx.pack.indicator(line.indicator), grid)
        row += 1
    counted = []
    for indicator in ctx.pack.indicators:
        if isinstance(indicator.rule, model.RowsRule):
            counted.append(ctx.builder.rows_counted(indicator))
        else:
            counted.append(
                ctx.builder.counted(score_name(indicator.id), stated_name(indicator.id), weight_name(indicator.id))
            )
    sheet.put(row, 0, Cell(ctx.text(rows.total), "field_label", span=(1, 2)))
    stated_sum = _stated_sum(ctx.pack)
    sheet.put(
        row,
        2,
        Cell(None, "input_score", Binding("stated_total"), stated_sum, name=STATED_TOTAL_NAME, value_type="score"),
    )
    sheet.put(row, 3, Cell("计算总分", "field_label"))
    sheet.put(row, 4, Cell(None, "computed", formula=ctx.builder.total(counted, None), name=TOTAL_NAME))
    # Hidden weight and score cells for the row groups, so totals and checks use the same names everywhere.
    helper = grid + 2
    for offset, indicator in enumerate(i for i in ctx.pack.indicators if isinstance(i.rule, model.RowsRule)):
        r = row + 1 + offset
        sheet.put(r, helper, Cell(ctx.text(indicator.name), "helper_header"))
        sheet.put(r, helper + 1, Cell(float(indicator.weight), "helper", name=weight_name(indicator.id)))
        sheet.put(
            r, helper + 2, Cell(None, "helper", formula=ctx.builder.score(indicator), name=score_name(indicator.id))
        )
        sheet.put(
            r, helper + 3, Cell(None, "helper", formula=_row_stated_sum(ctx, indicator), name=stated_name(indicator.id))
        )
    return row + 1


def _stated_sum(pack: model.RulePack) -> str:
    """The form's 合计: the scores it shows, within the bounds the 加减分 rule sets (as `Evaluation.form_total`)."""
    shown = "+".join(f"N({stated_name(i.id)})" for i in pack.indicators)
    adjustment = next((i.rule for i in pack.indicators if isinstance(i.rule, model.BonusPenaltyRule)), None)
    if adjustment is None:
        return "=" + shown
    return f"=MIN(MAX({shown},{adjustment.total_min}),{adjustment.total_max})"


def _row_stated_sum(ctx: Context, indicator: model.Indicator) -> str | None:
    builder = ctx.builder
    group = getattr(builder, "row_group_stated", None)
    return group(indicator) if group else None


def _score_cells(ctx: Context, sheet: Sheet, row: int, col: int, indicator: model.Indicator, grid: int) -> None:
    """得分 (input, defaulting to the computed score) plus the tool-owned 计算得分 and 核对 cells beyond the grid."""
    computed = ctx.builder.score(indicator)
    stated_formula = f'=IF({score_name(indicator.id)}="","",{score_name(indicator.id)})' if computed else None
    sheet.put(
        row,
        col,
        Cell(
            None,
            "input_score",
            Binding("score", indicator.id),
            stated_formula,
            validation=validation_for("score", (), "得分", "", minimum=Decimal(-100), maximum=Decimal(100)),
            name=stated_name(indicator.id),
            value_type="score",
        ),
    )
    sheet.put(row, grid, Cell(None, "helper", formula=computed, name=score_name(indicator.id)))
    sheet.put(
        row,
        grid + 1,
        Cell(None, "helper_check", formula=ctx.builder.check(stated_name(indicator.id), score_name(indicator.id))),
    )
    if scored_under_rows(ctx.pack):  # no scoring table shows the weight: a named helper cell holds it
        sheet.put(row, grid + 2, Cell(float(indicator.weight), "helper", name=weight_name(indicator.id)))


def lay_scores(ctx: Context, sheet: Sheet, row: int, grid: int) -> int:
    """The Guangdong indicator scoring table: levels of (名称, 分值), 指标说明, 评分标准, 评分说明, 得分."""
    pack = ctx.pack
    depth = indicator_depth(pack)
    row = _score_headers(ctx, sheet, row, grid, depth)
    total_row = row
    sheet.put(row, 0, Cell("合计", "row_label"))
    for level in range(depth):
        sheet.put(row, 2 * level + 1, Cell(float(pack.total), "number"))
    row += 1
    counted: list[str] = []
    bonus: str | None = None
    starts: dict[tuple[str, ...], int] = {}
    ends: dict[tuple[str, ...], int] = {}
    for indicator in pack.indicators:
        for level in range(1, len(indicator.path)):
            prefix = indicator.path[:level]
            starts.setdefault(prefix, row)
            ends[prefix] = row
        _indicator_line(ctx, sheet, row, grid, depth, indicator)
        if isinstance(indicator.rule, model.BonusPenaltyRule):
            bonus = score_name(indicator.id)
        else:
            counted.append(
                ctx.builder.counted(score_name(indicator.id), stated_name(indicator.id), weight_name(indicator.id))
            )
        row += 1
    _group_cells(ctx, sheet, starts, ends)
    sheet.put(
        total_row,
        2 * depth + 3,
        Cell(
            None, "input_score", Binding("stated_total"), _stated_sum(pack), name=STATED_TOTAL_NAME, value_type="score"
        ),
    )
    sheet.put(total_row, grid, Cell(None, "helper", formula=ctx.builder.total(counted, bonus), name=TOTAL_NAME))
    sheet.put(total_row, grid + 1, Cell(None, "helper_check", formula=ctx.builder.check(STATED_TOTAL_NAME, TOTAL_NAME)))
    for col, width in enumerate([9, 5] * depth):
        sheet.widths[col] = width
    for offset, width in enumerate((30, 48, 12, 7)):  # 指标说明, 评分标准, 评分说明, 得分
        sheet.widths[2 * depth + offset] = width
    if pack.note:
        sheet.put(row, 0, Cell(ctx.text(pack.note), "footnote", span=(1, grid)))
        row += 1
    return row


def _score_headers(ctx: Context, sheet: Sheet, row: int, grid: int, depth: int) -> int:
    """The three header rows of the scoring table and the titles of its helper columns; the row after them."""
    names = ["一级指标", "二级指标", "三级指标", "四级指标"][:depth]
    weight_title = "权重(%)" if ctx.pack.kind == "zhengti" else "分值"
    sheet.put(row, 0, Cell("评价指标", "header", span=(1, 2 * depth)))
    for i, title in enumerate(("指标说明", "评分标准", "评分说明", "得分")):
        sheet.put(row, 2 * depth + i, Cell(title, "header", span=(3, 1)))
    for level, title in enumerate(names):
        sheet.put(row + 1, 2 * level, Cell(title, "header", span=(1, 2)))
        sheet.put(row + 2, 2 * level, Cell("名称", "header"))
        sheet.put(row + 2, 2 * level + 1, Cell(weight_title, "header"))
    helper_titles = ["计算得分", "核对", "分项1", "分项2", "分项3", "分项4"]
    for offset, title in enumerate(helper_titles):
        sheet.put(row + 2, grid + offset, Cell(title, "helper_header"))
        sheet.widths[grid + offset] = 9
    sheet.helper_cols = (grid, grid + len(helper_titles) - 1)
    sheet.freeze = (row + 3, 0)
    sheet.repeat_rows = (0, row + 2)
    return row + 3


def _indicator_line(ctx: Context, sheet: Sheet, row: int, grid: int, depth: int, indicator: model.Indicator) -> None:
    """One indicator's line of the scoring table: name and weight at its level, texts, 得分 and the helper cells."""
    leaf_level = len(indicator.path) - 1
    sheet.put(row, 2 * leaf_level, Cell(ctx.text(indicator.name), "ind_name"))
    if isinstance(indicator.rule, model.BonusPenaltyRule):
        sheet.put(row, 2 * leaf_level + 1, Cell(None, "number"))
    elif indicator.adjustable:
        weight = Cell(
            None,
            "input_score",
            Binding("weight", indicator.id),
            f"={indicator.weight}",
            name=weight_name(indicator.id),
            value_type="score",
        )
        sheet.put(row, 2 * leaf_level + 1, weight)
    else:
        sheet.put(row, 2 * leaf_level + 1, Cell(float(indicator.weight), "number", name=weight_name(indicator.id)))
    sheet.put(row, 2 * depth, Cell(ctx.text(indicator.explain), "long"))
    sheet.put(row, 2 * depth + 1, Cell(ctx.text(indicator.criteria), "long"))
    sheet.put(row, 2 * depth + 2, Cell(None, "input_long"))
    _score_cells(ctx, sheet, row, 2 * depth + 3, indicator, grid)
    parts = indicator.rule.parts if isinstance(indicator.rule, model.SumRule) else ()
    for offset, part in enumerate(parts[:4]):
        part_formula = ctx.builder.part(indicator, part)
        sheet.put(
            row,
            grid + 2 + offset,
            Cell(None, "helper", formula=part_formula, name=f"xp_part_{indicator.id}_{part.id}"),
        )
    sheet.heights[row] = max(
        30.0, text_height(ctx.text(indicator.explain), 30, 12), text_height(ctx.text(indicator.criteria), 48, 12)
    )


def _group_cells(
    ctx: Context, sheet: Sheet, starts: dict[tuple[str, ...], int], ends: dict[tuple[str, ...], int]
) -> None:
    """The merged name and weight cells of each indicator group (a level above the indicators)."""
    pack = ctx.pack
    groups = {g.path: g for g in pack.groups}
    for prefix, start in starts.items():
        level = len(prefix) - 1
        span = (ends[prefix] - start + 1, 1)
        sheet.put(start, 2 * level, Cell(ctx.text(prefix[-1]), "group_name", span=span))
        group = groups.get(prefix)
        weight: float | str | None = float(group.weight) if group and group.weight is not None else None
        formula = None
        if group is not None and group.weight is None:
            children = [i for i in pack.indicators if i.path[: len(prefix)] == prefix]
            formula = "=" + "+".join(weight_name(c.id) for c in children)
            # Stored as the formula's cached value, for readers that do not recalculate.
            weight = float(sum((ctx.doc.weights.get(c.id, c.weight) for c in children), Decimal(0)))
        sheet.put(start, 2 * level + 1, Cell(weight, "number", formula=formula, span=span))
