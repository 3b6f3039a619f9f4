"""The stated total is what the form's 合计 shows (issue 13): the typed scores beside the scores the form computes
itself, plus the 加减分; `fill` stores that number as the 合计 formula's cached value. (Calc's own view of the same
workbooks: tests/test_real_client.py.)"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.conftest import sample_data
from tests.lo_user import Office
from tests.test_real_client import blank_template, calc_value
from xl_perf.io.workbook import FileWorkbook
from xl_perf.model import document
from xl_perf.model.evaluation import evaluate
from xl_perf.template import generate, sources
from xl_perf.template.layout import STATED_TOTAL_NAME


def _judgement_only() -> dict:
    """The corrected Gangmen filing with only the scores the rules leave to judgement."""
    data = sample_data("corrected/gangmen-2022-zhengti.json")
    data.pop("stated_total", None)
    doc = document.from_dict({**data, "scores": {}})
    judged = {r.id for r in evaluate(doc).indicators if r.computed is None and r.kind != "bonus_penalty"}
    full = document.from_dict(data)
    keys = document.score_keys(full)
    data["scores"] = {keys[i]: format(full.stated_scores[i], "f") for i in judged if i in full.stated_scores}
    return data


def _with_commendation(data: dict) -> document.Document:
    """The document with one 表彰 (受表彰次数 1: +1 加减分)."""
    doc = document.from_dict(data)
    doc.fields["commendations"] = Decimal(1)
    return doc


def test_judgement_scores_alone_are_not_the_stated_total() -> None:
    doc = _with_commendation(_judgement_only())
    evaluation = evaluate(doc)
    typed = sum(doc.stated_scores.values(), Decimal(0))
    assert evaluation.bonus == 1
    assert evaluation.stated_total == evaluation.form_total == evaluation.total
    assert evaluation.stated_total > typed + 1
    assert "TOTAL_DIFFERS" not in {f.code for f in evaluation.findings}


def test_a_typed_total_stays_the_units_claim() -> None:
    data = _judgement_only()
    data["stated_total"] = 60
    evaluation = evaluate(_with_commendation(data))
    assert evaluation.stated_total == 60
    assert "TOTAL_DIFFERS" in {f.code for f in evaluation.findings}


def test_no_score_typed_no_stated_total_but_the_form_still_adds_up() -> None:
    data = _judgement_only()
    data.pop("scores")
    evaluation = evaluate(document.from_dict(data))
    assert evaluation.stated_total is None
    assert evaluation.form_total > 0


def test_fill_caches_the_total_the_form_shows(tmp_path: Path) -> None:
    doc = _with_commendation(_judgement_only())
    evaluation = evaluate(doc)
    written = generate.write_workbook(doc, tmp_path / "filled.xlsx")
    with FileWorkbook(written) as book:
        target = book.names()[STATED_TOTAL_NAME]
        cached = book.value(target.sheet, *target.first)
        assert book.is_formula(target.sheet, *target.first)
    assert Decimal(repr(cached)) == evaluation.form_total
    assert sources.load_any(written)[0].stated_total is None  # read back: the form's computation, not a claim


def test_the_forms_total_keeps_within_the_bounds_of_the_adjustment_rule(lo_office: Office, tmp_path: Path) -> None:
    """A 问责 (-2) on a form showing 0 points: the form's 合计, the tool's form total and the engine's total are all 0
    (the 加减分 rule holds the total within 0–100), in LibreOffice as in the tool."""
    data = {"schema": document.SCHEMA, "framework": "gd-county-zhengti", "unit": "某单位", "year": 2026, "level": "县"}
    data["fields"] = {"加减分": {"被问责次数": 1}}
    doc = document.from_dict(data)
    doc.stated_scores = {i.id: Decimal(0) for i in doc.pack.indicators if i.rule.kind != "bonus_penalty"}
    evaluation = evaluate(doc)
    assert evaluation.bonus == -2
    assert evaluation.form_total == evaluation.total == evaluation.stated_total == 0
    source = tmp_path / "data.json"
    source.write_text(json.dumps(document.to_dict(doc), ensure_ascii=False), encoding="utf-8")
    filled = generate.fill_template(blank_template("gd-county-zhengti", tmp_path), source, tmp_path / "filled.xlsx")
    assert calc_value(filled, STATED_TOTAL_NAME) == 0  # the cached value fill wrote
    book = lo_office.open(filled)
    try:
        book.recalculate()
        first, _ = book.named(STATED_TOTAL_NAME)
        assert book.value(first) == 0  # what LibreOffice shows
    finally:
        book.close()
