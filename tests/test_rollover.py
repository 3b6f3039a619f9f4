"""Yearly rollover (`xl-perf new --from`): what the packs declare to carry, and what a rolled workbook holds."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, outputs, sample_data
from xl_perf.findings import Ref
from xl_perf.io.workbook import FileWorkbook
from xl_perf.model import document
from xl_perf.rules import loader, model
from xl_perf.template import generate, rollover, sources
from xl_perf.template.layout import META_SHEET

PACKS = loader.available()
ZHENGTI = SAMPLES / "gangmen-2022-zhengti.xlsx"
XIANGMU = SAMPLES / "gangmen-2022-xiangmu.xlsx"

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


# --- rolling workbooks forward --------------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("xl-perf")
    command = [exe] if exe else [sys.executable, "-m", "xl_perf"]
    return subprocess.run([*command, *args], capture_output=True, text=True, encoding="utf-8", timeout=120)


def _load(path: Path) -> document.Document:
    """A workbook or data document through `dump` (what `xl-perf dump` shows), as a document keyed by pack ids."""
    data = sources.dump(path) if path.suffix != ".json" else json.loads(path.read_text(encoding="utf-8"))
    return document.from_dict(data)


def _project_name(label: str) -> str:
    return re.sub(r"^项目\d+[：:]?", "", label)


def _expected_table(old: document.Document, table: model.TableSpec) -> list[tuple[str, str, dict[str, Decimal]]]:
    """(row id, row name, values) the new year should hold: 上年结转 from each row's own 结转结余; projects only
    with a balance above zero."""
    columns = [c for c in table.columns if c.carry_from]
    specs = {r.id: r for r in table.rows}
    out = []
    for row in old.tables.get(table.id, []):
        values = {c.id: row.values[c.carry_from] for c in columns if c.carry_from in row.values}
        if specs[row.row_id].repeat:
            values = {k: v for k, v in values.items() if isinstance(v, Decimal) and v > 0}
            if values:
                out.append((row.row_id, _project_name(row.label), values))
        elif values:
            out.append((row.row_id, row.label, values))
    return out


def assert_rolled(old: document.Document, new: document.Document) -> None:
    """The new year's document holds exactly what the pack declares to carry from `old`, and nothing else."""
    pack = old.pack
    assert (new.pack.id, new.unit, new.level, new.year) == (pack.id, old.unit, old.level, old.year + 1)
    for spec in pack.fields.values():
        if spec.carry:
            assert new.fields.get(spec.id) == old.fields.get(spec.id), spec.id
        elif spec.carry_from is not None:
            assert new.fields.get(spec.id) == old.fields.get(spec.carry_from), spec.id
        elif spec.carry_if is not None:
            assert new.fields.get(spec.id) in (None, spec.carry_if.value), spec.id
        else:
            assert spec.id not in new.fields, f"{spec.id} should be blank"
    for table in pack.tables:
        repeat = {r.id for r in table.rows if r.repeat}
        got = [
            (r.row_id, _project_name(r.label) if r.row_id in repeat else r.label, r.values)
            for r in new.tables.get(table.id, [])
            if r.values
        ]
        assert got == _expected_table(old, table), table.id
    layout = pack.rows
    if layout is not None and layout.carry:
        keep = [layout.levels.index(n) for n in layout.carry]
        assert [r.levels for r in new.rows] == [
            tuple(v if i in keep else "" for i, v in enumerate(r.levels)) for r in old.rows
        ]
        for row in new.rows:
            assert (row.target, row.actual, row.reason, row.weight, row.stated_score) == ("", "", "", None, None)
    else:
        assert new.rows == []
    assert new.stated_scores == {} and new.stated_total is None and new.weights == {}
    assert new.not_applicable == () and new.params == {} and new.options == {}


def _cells(path: Path) -> dict[str, list[tuple[tuple[int, str], ...]]]:
    """Per sheet, the rows of constant text cells outside every named (input or result) region; rows without any
    such cell are left out, so spare project rows do not shift the comparison."""
    out: dict[str, list[tuple[tuple[int, str], ...]]] = {}
    with FileWorkbook(path) as book:
        named: set[tuple[str, int, int]] = set()
        for target in book.names().values():
            for r in range(target.first[0], target.last[0] + 1):
                named |= {(target.sheet, r, c) for c in range(target.first[1], target.last[1] + 1)}
        for sheet in book.sheet_names():
            if sheet == META_SHEET:
                continue
            rows = []
            for r, values in enumerate(book.grid(sheet)):
                line = tuple(
                    (c, v)
                    for c, v in enumerate(values)
                    if isinstance(v, str) and v and (sheet, r, c) not in named and not book.is_formula(sheet, r, c)
                )
                if line:
                    rows.append(line)
            out[sheet] = rows
    return out


def assert_year_texts_rolled(old_path: Path, new_path: Path, old_year: int) -> int:
    """Every text of the new workbook is last year's with the years moved on by one; returns how many texts moved."""
    moves = {str(old_year): str(old_year + 1), f"{old_year - 1}年11月": f"{old_year}年11月"}
    pattern = re.compile("|".join(map(re.escape, moves)))
    old, new = _cells(old_path), _cells(new_path)
    assert list(old) == list(new)
    moved = 0
    for sheet in old:
        expected = [tuple((c, pattern.sub(lambda m: moves[m.group()], v)) for c, v in line) for line in old[sheet]]
        assert new[sheet] == expected, sheet
        moved += sum(1 for line in old[sheet] for _, v in line if pattern.search(v))
    with FileWorkbook(new_path) as book:
        meta = {book.value(META_SHEET, r, 0): book.value(META_SHEET, r, 1) for r in range(20)}
    assert str(meta["year"]) == str(old_year + 1)
    return moved


def _texts(path: Path) -> str:
    return "\n".join(v for rows in _cells(path).values() for line in rows for _, v in line)


def test_cli_rolls_the_gangmen_2022_set_forward_to_2023(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in (ZHENGTI, XIANGMU)}
    result = run("new", "--from", str(ZHENGTI), "--from", str(XIANGMU), "--year", "2023", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in before} == before
    written = outputs(tmp_path)
    assert len(written) == 2
    for source in (ZHENGTI, XIANGMU):
        old = _load(source)
        target = tmp_path / sources.file_name(document.from_dict({**document.to_dict(old), "year": 2023}))
        assert target in written and f"已生成：{target}" in result.stdout
        new = _load(target)
        assert_rolled(old, new)
        # Every carried field is printed with its value and the sheet!cell it came from.
        _, locate = sources.load_any(source)
        for spec in old.pack.fields.values():
            origin = spec.id if spec.carry else spec.carry_from
            if origin is None or origin not in old.fields:
                continue
            where = locate(Ref("field", origin))
            value = document.json_value(old.fields[origin], spec.type, spec.options)
            line = f"已带入：{new.text(spec.label)} = {value}（"
            assert line in result.stdout and f"来自 {source.name} {where.sheet}!{where.cell}）" in result.stdout
        # The rule texts name the new year (and 2022年11月 where last year's named 2021年11月).
        assert assert_year_texts_rolled(source, target, 2022) > 0
    zhengti_texts = _texts(next(p for p in written if "整体" in p.name))
    assert "提前于2022年11月底前" in zhengti_texts and "2021年11月" not in zhengti_texts
    assert "2023年省、市财政预决算信息公开检查" in zhengti_texts
    assert "截止2023年12月31日" in _texts(next(p for p in written if "项目支出" in p.name))


def test_sample_rollover_reports_what_it_left(tmp_path: Path) -> None:
    doc, items = rollover.roll_forward(ZHENGTI, 2023)
    lines = [i.describe() for i in items]
    project = next(r.label for r in _load(ZHENGTI).tables["funds"] if r.row_id == "own_project")
    assert any(line.startswith(f"未带入：财政资金情况·{project}（") and "不作为续建项目带入" in line for line in lines)
    assert "funds" not in doc.tables  # no balance anywhere last year: nothing to carry in the table
    doc, items = rollover.roll_forward(XIANGMU, 2023)
    assert "project_type" not in doc.fields
    skipped = next(i for i in items if i.what == "项目类型")
    assert skipped.kind == "skipped" and "项目类型请自行选择" in skipped.describe()
    rows = next(i for i in items if i.what.startswith("绩效指标名称"))
    assert rows.carried and rows.value == f"{len(doc.rows)} 行" and "留空" in rows.describe()


def _with_balances(data: dict) -> dict:
    """The zhengti sample with money left at year end: 结转结余 on the totals and on two of three projects."""
    data = copy.deepcopy(data)
    data["fields"]["决算数据（财决01-1表）"]["年末财政拨款结转和结余"] = 150.25
    data["fields"]["存量资金与政府采购"] = {"当年年末国库集中支付结转结余存量资金": 80.5}
    balance = "结转结余资金"
    rows = data["tables"]["财政资金情况"]
    for row in rows:
        if row["项目"] in ("总计", "一、财政拨款资金", "（一）县级财政预算安排", "2. 项目支出"):
            row[balance] = 150.25
    rows[-1][balance] = 0  # the sample's project: fully spent
    rows.append({"项目": "项目2：港门镇污水管网工程", balance: 100.25})
    rows.append({"项目": "项目3：港门镇农贸市场改造", balance: 50})
    rows.append({"项目": "（二）中央、省、市财政安排", balance: 0})
    rows.append({"项目": "项目1：上级补助道路养护"})
    return data


def test_carryover_balances_and_continuing_projects(tmp_path: Path) -> None:
    source = tmp_path / "港门镇2022.xlsx"
    generate.write_workbook(document.from_dict(_with_balances(sample_data("gangmen-2022-zhengti.json"))), source)
    before = source.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    result = run("new", "--from", str(source), "-y", "2023", "-o", str(out), "-f", "gd-county-zhengti")
    assert result.returncode == 0, result.stderr
    assert source.read_bytes() == before
    old = _load(source)
    (target,) = outputs(out)
    new = _load(target)
    assert_rolled(old, new)
    assert new.fields["opening_carryover"] == old.fields["closing_carryover"] == Decimal("150.25")
    assert new.fields["stock_prior"] == old.fields["stock_current"] == Decimal("80.5")
    carried = {r.label: r.values for r in new.tables["funds"] if r.values}
    assert carried["总计"] == {"issued_carryover": Decimal("150.25")}
    assert [label for label in carried if label.startswith("项目")] == [
        "项目1：港门镇污水管网工程",
        "项目2：港门镇农贸市场改造",
    ]
    assert carried["项目1：港门镇污水管网工程"] == {"issued_carryover": Decimal("100.25")}
    assert "已带入：年初财政拨款结转和结余 = 150.25（上年“年末财政拨款结转和结余”" in result.stdout
    assert (
        "已带入：上年年末国库集中支付结转结余存量资金 = 80.5（上年“当年年末国库集中支付结转结余存量资金”"
        in result.stdout
    )
    assert "已带入：财政资金情况·项目1：港门镇污水管网工程·上年结转 = 100.25" in result.stdout
    spent = next(r.label for r in old.tables["funds"] if r.row_id == "own_project")
    assert f"未带入：财政资金情况·{spent}（上年“结转结余资金”为 0，不作为续建项目带入" in result.stdout
    assert "未带入：财政资金情况·项目1：上级补助道路养护（上年“结转结余资金”为空" in result.stdout
    assert assert_year_texts_rolled(source, target, 2022) > 0


@pytest.mark.parametrize(
    ("completed", "spent", "continued"),
    [("否", 5000, True), (None, 5000, True), ("是", 4000, True), ("是", 5000, False)],
)
def test_unfinished_or_unspent_project_continues(
    tmp_path: Path, completed: str | None, spent: int, continued: bool
) -> None:
    data = sample_data("gangmen-2022-xiangmu.json")
    management = data["fields"]["项目管理情况"]
    management.pop("是否完工")
    if completed is not None:
        management["是否完工"] = completed
    for row in data["tables"]["资金情况"]:
        row["实际支出资金"] = spent
    source = tmp_path / "项目2022.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    doc, items = rollover.roll_forward(source, 2023)
    assert_rolled(document.from_dict(data), doc)
    line = next(i for i in items if i.what == "项目类型")
    if continued:
        assert doc.fields["project_type"] == "续建" and line.carried
        assert line.describe().startswith("已带入：项目类型 = 续建（依据上年 是否完工 = ")
    else:
        assert "project_type" not in doc.fields and "已完工" in line.describe()


def test_json_source_gives_the_same_workbook_as_its_xlsx(tmp_path: Path) -> None:
    from_json, from_xlsx = tmp_path / "json", tmp_path / "xlsx"
    from_json.mkdir()
    from_xlsx.mkdir()
    json_source = SAMPLES / "gangmen-2022-zhengti.json"
    result = run("new", "--from", str(json_source), "-y", "2023", "-o", str(from_json))
    assert result.returncode == 0, result.stderr
    assert "来自 gangmen-2022-zhengti.json fields.单位基本情况.单位名称" in result.stdout
    assert run("new", "--from", str(ZHENGTI), "-y", "2023", "-o", str(from_xlsx)).returncode == 0
    (a,) = outputs(from_json)
    (b,) = outputs(from_xlsx)
    assert sources.dump(a) == sources.dump(b)
    assert_rolled(_load(json_source), _load(a))


def test_rolling_two_years_on_is_allowed_with_a_remark() -> None:
    doc, items = rollover.roll_forward(SAMPLES / "gangmen-2022-zhengti.json", 2024)
    assert doc.year == 2024 and any("相隔不止一年" in i.describe() for i in items)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", str(ZHENGTI), "-y", "2022"], "新的评价年度 2022 应晚于上年材料的年度 2022"),
        (["--from", str(ZHENGTI), "-y", "2021"], "应晚于"),
        (["--from", "missing-2022.xlsx", "-y", "2023"], "无法读取文件"),
        (["--from", str(ZHENGTI), "-y", "2023", "-f", "gd-county-xiangmu"], "与上年材料的框架 gd-county-zhengti 不符"),
        (["--from", str(ZHENGTI), "-y", "2023", "-u", "别的单位"], "不能同时给出 --unit"),
        (["--from", str(ZHENGTI), "-y", "2023", "--level", "县"], "不能同时给出"),
        (["--from", str(ZHENGTI), "--from", str(ZHENGTI), "-y", "2023"], "同名"),
        (["-y", "2023"], "请用 --framework 指定规则包"),
    ],
)
def test_bad_rollovers_exit_2_in_chinese(tmp_path: Path, args: list[str], message: str) -> None:
    before = ZHENGTI.read_bytes()
    result = run("new", *args, "-o", str(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []
    assert ZHENGTI.read_bytes() == before


def test_a_text_file_renamed_to_xlsx_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "上年.xlsx"
    shutil.copy(SAMPLES / "gangmen-2022-filing.txt", fake)
    out = tmp_path / "out"
    out.mkdir()
    result = run("new", "--from", str(fake), "-y", "2023", "-o", str(out))
    assert result.returncode == 2 and "不是 .xlsx 工作簿" in result.stderr
    assert "Traceback" not in result.stderr and list(out.iterdir()) == []


def test_an_unusable_cell_is_reported_at_its_cell_and_not_carried(monkeypatch: pytest.MonkeyPatch) -> None:
    from xl_perf.io.workbook import open_untrusted
    from xl_perf.template import read

    book = open_untrusted(ZHENGTI)
    target = book.names()["xp_unit_nature"]
    book.sheets[target.sheet][target.first] = "事业单位"  # not one of the form's choices

    def load_any(path: Path, *, lenient: bool = False) -> tuple[document.Document, object]:
        assert lenient  # a workbook's unusable cells are reported, not a reason to refuse the whole rollover
        doc = read.read_document(book, lenient=True)
        return doc, read.locator(book, doc)

    monkeypatch.setattr(rollover, "load_any", load_any)
    doc, items = rollover.roll_forward(ZHENGTI, 2023)
    assert "unit_nature" not in doc.fields and doc.fields["unit_name"] == _load(ZHENGTI).fields["unit_name"]
    line = next(i.describe() for i in items if i.what == "单位性质")
    where = read.locator(book, doc)(Ref("field", "unit_nature"))
    assert line.startswith("未带入：单位性质（上年“单位性质”的值无法使用：应为以下之一")
    assert f"{ZHENGTI.name} {where.sheet}!{where.cell}" in line


def test_a_project_under_a_blank_total_row_is_not_carried_alone(tmp_path: Path) -> None:
    data = _with_balances(sample_data("gangmen-2022-zhengti.json"))
    projects = next(r for r in data["tables"]["财政资金情况"] if r["项目"] == "2. 项目支出")
    del projects["结转结余资金"]  # its projects have balances, the row above them does not
    source = tmp_path / "上年.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    doc, items = rollover.roll_forward(source, 2023)
    assert not any(r.row_id == "own_project" for r in doc.tables["funds"])
    line = next(i.describe() for i in items if i.what == "财政资金情况·项目2：港门镇污水管网工程")
    assert "上年“2. 项目支出”行的“结转结余资金”为空，项目行无法单独带入" in line
    generate.write_workbook(doc, tmp_path / "新.xlsx")  # what remains is a writable document
    assert _load(tmp_path / "新.xlsx").tables["funds"] == doc.tables["funds"]


def test_projects_without_any_total_row_are_carried(tmp_path: Path) -> None:
    data = {
        "framework": "gd-county-zhengti",
        "unit": "某镇人民政府",
        "year": 2024,
        "level": "镇",
        "tables": {"财政资金情况": [{"项目": "项目1：甲工程", "结转结余资金": 12.5}, {"项目": "项目2：乙工程"}]},
    }
    source = tmp_path / "上年.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    doc, _ = rollover.roll_forward(source, 2025)
    assert_rolled(document.from_dict(data), doc)
    generate.write_workbook(doc, tmp_path / "新.xlsx")
    rows = _load(tmp_path / "新.xlsx").tables["funds"]
    assert [(r.row_id, r.label, r.values) for r in rows] == [
        ("own_project", "项目1：甲工程", {"issued_carryover": Decimal("12.5")})
    ]
