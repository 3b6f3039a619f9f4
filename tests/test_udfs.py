"""UDFs: same numbers as the engine, Chinese errors in cells, and VBA wrappers identical to xlwings' own."""

from __future__ import annotations

import importlib
import io
import sys
import types
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import sample_data
from xl_perf.engine.inputs import indicator_inputs, rate_inputs
from xl_perf.excel import udfs, wrappers
from xl_perf.model import document
from xl_perf.model.evaluation import evaluate
from xl_perf.template import fill

SAMPLES = ["gangmen-2022-zhengti.json", "gangmen-2022-xiangmu.json", "ziyuan-2023-zhengti.json"]


def _cell_value(doc: document.Document, name: str) -> object:
    """What Excel would pass for an input: the cell value as written into the workbook."""
    pack = doc.pack
    if name in pack.fields:
        spec = pack.fields[name]
        value = fill.cell_value(doc.fields.get(name), spec.type, tuple(doc.text(o) for o in spec.options))
    else:
        cell = pack.cells[name]
        row = next((r for r in doc.tables.get(cell.table, []) if r.row_id == cell.row), None)
        value = None if row is None else row.values.get(cell.column)
    return float(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("sample", SAMPLES)
def test_udfs_agree_with_the_engine(sample: str) -> None:
    doc = document.from_dict(sample_data(sample))
    evaluation = evaluate(doc)
    pack = doc.pack
    for rate_id, rate in evaluation.rates.items():
        got = udfs.XP_RATE(pack.id, rate_id, *(_cell_value(doc, n) for n in rate_inputs(pack, rate_id)))
        expected = "" if rate.status == "missing" else ("无法计算" if rate.status == "undefined" else float(rate.value))
        assert got == expected, rate_id
    for result in evaluation.indicators:
        if pack.indicator(result.id).rule.kind == "rows":
            continue
        args = [_cell_value(doc, n) for n in indicator_inputs(pack, result.id)]
        got = udfs.XP_SCORE(pack.id, result.id, *args)
        expected = "" if result.computed is None else float(result.computed)
        assert got == expected, result.id
    for row in evaluation.rows:
        source = doc.rows[row.row_index]
        got = udfs.XP_ROWSCORE(source.target, source.actual, float(row.weight))
        assert got == ("" if row.computed is None else float(row.computed)), row.name


def test_udf_errors_are_short_chinese_text() -> None:
    assert udfs.XP_RATE("nope", "x").startswith("错误：没有名为")
    assert udfs.XP_RATE("gd-county-zhengti", "nope") == "错误：没有比率 nope"
    assert udfs.XP_RATE("gd-county-zhengti", "fixed_asset_utilization", 1) == (
        "错误：fixed_asset_utilization 需要 2 个输入，实为 1 个"
    )
    assert udfs.XP_RATE("gd-county-zhengti", "fixed_asset_utilization", "很多", 2).startswith("错误：在用固定资产")
    assert udfs.XP_RATE("gd-county-zhengti", "fixed_asset_utilization", 1, 0) == "无法计算"
    assert udfs.XP_RATE("gd-county-zhengti", "fixed_asset_utilization", None, 2) == ""
    assert udfs.XP_SCORE("gd-county-zhengti", "nope").startswith("错误：")
    assert udfs.XP_ROUND("abc") == "错误：不是数字"
    assert udfs.XP_ROUND(4.625, 2) == 4.63 and udfs.XP_ROUND(2.675, 2) == 2.68
    assert udfs.XP_GRADE("gd-county-zhengti", 89.99) == "良"
    assert udfs.XP_ROWSCORE("≥95%", "90%", 5) == 4.74 and udfs.XP_ROWSCORE("是", "否", 5) == ""


def test_udf_names_are_ascii_with_prefix_and_chinese_docs() -> None:
    assert udfs.REGISTRY
    for name, spec in udfs.REGISTRY.items():
        assert name.isascii() and name.startswith("XP_")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.doc) and len(spec.doc) <= 255
        assert all(doc for _, doc in spec.args), name


def _xlwings_generator() -> types.ModuleType:
    """Import xlwings.udfs on Linux by standing in for the Windows-only modules it imports."""
    stubs = {}
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        stub = types.ModuleType(name)
        stubs[name] = stub
    stubs["pywintypes"].com_error = type("com_error", (Exception,), {})  # type: ignore[attr-defined]
    stubs["pythoncom"].CoInitialize = lambda: None  # type: ignore[attr-defined]
    stubs["win32com.client"].Dispatch = lambda *a, **k: None  # type: ignore[attr-defined]
    stubs["win32com"].client = stubs["win32com.client"]  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in stubs}
    sys.modules.update(stubs)
    try:
        sys.modules.pop("xlwings.udfs", None)
        return importlib.import_module("xlwings.udfs")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@pytest.mark.parametrize(("book_name", "addin"), [("模板.xlsm", False), ("xl-perf.xlam", True)])
def test_wrappers_match_xlwings_import_functions(book_name: str, addin: bool) -> None:
    xlwings_udfs = _xlwings_generator()
    module = types.ModuleType(udfs.MODULE)
    for name, spec in udfs.REGISTRY.items():
        assert spec.function is not None

        clone = types.FunctionType(
            spec.function.__code__,
            spec.function.__globals__,
            name,
            spec.function.__defaults__,
            spec.function.__closure__,
        )
        clone.__doc__ = spec.doc
        decorated = xlwings_udfs.xlfunc(clone)
        for arg, doc in spec.args:
            decorated = xlwings_udfs.xlarg(("*" + arg) if arg == spec.vararg else arg, doc=doc)(decorated)
        setattr(module, name, decorated)
    out = io.StringIO()
    out.write(wrappers.HEADER)
    xlwings_udfs.generate_vba_wrapper(udfs.MODULE, module, out, types.SimpleNamespace(Name=book_name))
    assert wrappers.udf_module(addin=addin) == out.getvalue()


def test_registration_procedure_names_every_udf() -> None:
    text = wrappers.register_functions_vba()
    for name in udfs.REGISTRY:
        assert f'!{name}"' in text
    assert 'Category:="绩效自评"' in text


def test_udf_module_imports_without_excel() -> None:
    assert Path(udfs.__file__).name == "udfs.py"
