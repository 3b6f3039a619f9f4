"""What is remembered between workbooks (pack views, reading plans, parsed references, parsed target texts) must not
change any result: documents of several frameworks checked in turn, over and over, give exactly what each gives in a
fresh process with nothing remembered."""

from __future__ import annotations

import json
from pathlib import Path

from tests.batch_corpus import overall_data, project_data, write
from tests.conftest import SAMPLES
from xl_perf.engine import quantities
from xl_perf.io import workbook
from xl_perf.io.workbook import read_snapshot
from xl_perf.model import document
from xl_perf.model.evaluation import evaluate
from xl_perf.rules import loader
from xl_perf.rules.view import PackView
from xl_perf.template import read
from xl_perf.template.read import locator, read_document
from xl_perf.validate import checks


def _forget_everything() -> None:
    loader.load.cache_clear()  # fresh packs, with no views
    read._PLANS.clear()
    workbook._parse_reference.cache_clear()
    quantities._parse_str.cache_clear()


def _checked(book: workbook.SnapshotWorkbook) -> str:
    doc = read_document(book, lenient=True)
    evaluation = evaluate(doc)
    findings = [*evaluation.findings, *checks.check_document(doc)]
    located = [f.locate(locator(book, doc)) for f in findings]
    return json.dumps(
        {
            "doc": document.to_dict(doc),
            "problems": [repr(p) for p in doc.value_problems],
            "evaluation": evaluation.as_dict(),
            "findings": [repr(f) for f in located],
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )


def _books() -> list[workbook.SnapshotWorkbook]:
    paths = [
        *sorted(SAMPLES.glob("*.xlsx")),
        *sorted((SAMPLES.parent / "blank").glob("*.xlsx")),
    ]
    return [read_snapshot(path) for path in paths]


def test_memos_leave_no_trace_between_workbooks(tmp_path: Path) -> None:
    generated = [
        write(project_data("测试单位", 1, "优"), tmp_path),
        write(project_data("测试单位", 2, "良", scored=False), tmp_path),
        write(overall_data("测试单位", 2), tmp_path),
    ]
    books = _books() + [read_snapshot(path) for path in generated]
    fresh = []
    for book in books:
        _forget_everything()
        fresh.append(_checked(book))
    _forget_everything()
    for _ in range(3):
        assert [_checked(book) for book in books] == fresh
        assert [_checked(book) for book in reversed(books)] == fresh[::-1]


def test_a_pack_keeps_one_view_per_year_and_level() -> None:
    pack = loader.load(loader.available()[0])
    level = next(iter(pack.levels))
    view = PackView.of(pack, 2025, level)
    assert PackView.of(pack, 2025, level) is view
    assert PackView.of(pack, 2024, level) is not view
    assert pack.fields is pack.fields  # computed once
    assert view.text("{year_prev}年") == "2024年"
