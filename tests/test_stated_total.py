"""The stated total is what the form's 合计 shows (issue 13): the typed scores beside the scores the form computes
itself, plus the 加减分; `fill` stores that number as the 合计 formula's cached value. (Calc's own view of the same
workbooks: tests/test_real_client.py.)"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.conftest import sample_data
from xl_perf import document
from xl_perf.engine.evaluate import evaluate
from xl_perf.io.workbook import FileWorkbook
from xl_perf.template import generate
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
    assert generate.load_any(written)[0].stated_total is None  # read back: the form's computation, not a claim
