"""Yearly rollover (`xl-perf new --from`): what the packs declare to carry, and what a rolled workbook holds."""

from __future__ import annotations

import pytest

from xl_perf.rules import loader, model

PACKS = loader.available()

# The fixed information each framework's forms carry into the next year (the issue's list).
CARRIED = {
    "gd-county-zhengti": {
        "unit_name",
        "unit_nature",
        "subordinate_units",
        "contact_person",
        "contact_phone",
        "contact_email",
    },
    "gd-county-xiangmu": {"project_name", "department", "implementer", "project_leader", "contact_phone"},
    "mof-xiangmu": {"project_name", "department", "implementer"},
    "mof-zhengti": {"department", "units_count"},
}


# --- the declarations in the packs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pack_id", PACKS)
def test_pack_carry_declarations_resolve(pack_id: str) -> None:
    pack = loader.load(pack_id)
    fields = pack.fields
    assert {f.id for f in fields.values() if f.carry} == CARRIED[pack_id]
    for spec in fields.values():
        if spec.carry_from is not None:
            assert spec.carry_from in fields and fields[spec.carry_from].type == spec.type
        if spec.carry_if is not None:
            assert spec.carry_if.value in spec.options
            assert set(spec.carry_if.when.names) <= set(fields) | set(pack.cells)
    for table in pack.tables:
        ids = {c.id: c for c in table.columns}
        for column in table.columns:
            if column.carry_from is not None:
                assert ids[column.carry_from].type == column.type
    if pack.rows is not None:
        assert set(pack.rows.carry) <= set(pack.rows.levels)


def test_zhengti_carries_last_years_closing_figures() -> None:
    pack = loader.load("gd-county-zhengti")
    fields = pack.fields
    assert fields["opening_carryover"].carry_from == "closing_carryover"
    assert fields["stock_prior"].carry_from == "stock_current"
    assert pack.table("funds").column("issued_carryover").carry_from == "carryover_balance"


def test_project_type_continues_when_unfinished_or_unspent() -> None:
    rule = loader.load("gd-county-xiangmu").fields["project_type"].carry_if
    assert rule is not None and rule.value == "续建"
    assert set(rule.when.names) == {"completed", "funds_arrived", "funds_spent"}
    assert loader.load("gd-county-xiangmu").rows.carry == ("一级指标", "二级指标", "三级指标名称")  # type: ignore[union-attr]


BASE = {
    "pack": {"id": "x", "title": "t"},
    "grades": {"bands": [{"name": "优", "min": 90}, {"name": "差", "min": 0}]},
    "levels": {"县": {"lvl": "县"}},
    "sheets": [{"id": "s", "title": "t"}],
}


def _pack(fields: list[dict], columns: list[dict] | None = None, rows: dict | None = None) -> dict:
    data: dict = {**BASE, "sections": [{"sheet": "s", "label": "a", "fields": fields}]}
    if columns is not None:
        data["tables"] = [
            {"id": "t", "sheet": "s", "label": "T", "columns": columns, "rows": [{"id": "total", "label": "总计"}]}
        ]
    if rows is not None:
        data["rows"] = {
            "levels": ["一级指标", "二级指标"],
            "target": "目标",
            "actual": "实际",
            "score": "",
            "reason": "原因",
            "groups": [],
            **rows,
        }
    return data


AMOUNT = {"id": "a", "label": "A", "type": "amount"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_pack([{**AMOUNT, "carry_from": "nope"}]), "carry_from 引用了不存在的字段 nope"),
        (_pack([{**AMOUNT, "carry_from": "a"}]), "carry_from 引用了不存在的字段 a"),
        (_pack([AMOUNT, {"id": "b", "label": "B", "type": "text", "carry_from": "a"}]), "类型不同"),
        (_pack([{**AMOUNT, "carry": "yes"}]), "carry 应为 true 或 false"),
        (_pack([{**AMOUNT, "carry": True, "carry_from": "a"}]), "只能声明"),
        (_pack([{**AMOUNT, "carry_form": "a"}]), "结转声明"),
        (
            _pack(
                [
                    {
                        "id": "c",
                        "label": "C",
                        "type": "choice",
                        "options": ["新建", "续建"],
                        "carry_if": {"value": "续建", "when": "not nope", "otherwise": "x"},
                    }
                ]
            ),
            "未定义的字段或单元格",
        ),
        (
            _pack(
                [
                    {
                        "id": "c",
                        "label": "C",
                        "type": "choice",
                        "options": ["新建", "续建"],
                        "carry_if": {"value": "扩建", "when": "1 > 0", "otherwise": "x"},
                    }
                ]
            ),
            "不在选项",
        ),
        (_pack([AMOUNT], [{"id": "x", "path": ["X"], "carry_from": "y"}]), "该表不存在的列 y"),
        (_pack([AMOUNT], [{"id": "x", "path": ["X"], "carry": True}]), "结转声明"),
        (_pack([AMOUNT], rows={"carry": ["三级指标"]}), "rows.carry"),
    ],
)
def test_loader_rejects_bad_carry_declarations(data: dict, message: str) -> None:
    with pytest.raises(loader.RulePackError, match=message):
        loader._Builder("x", data).build()


def test_loader_accepts_good_carry_declarations() -> None:
    pack = loader._Builder(
        "x",
        _pack(
            [AMOUNT, {"id": "b", "label": "B", "type": "amount", "carry_from": "a"}],
            [{"id": "x", "path": ["X"]}, {"id": "y", "path": ["Y"], "carry_from": "x"}],
            {"carry": ["二级指标"]},
        ),
    ).build()
    assert pack.fields["b"].carry_from == "a" and pack.table("t").column("y").carry_from == "x"
    assert isinstance(pack.rows, model.RowLayout) and pack.rows.carry == ("二级指标",)
