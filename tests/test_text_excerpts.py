"""Report excerpts in text findings begin and end at clause boundaries (punctuation, spaces) or say "…"."""

from __future__ import annotations

import json
import re

from tests.conftest import SAMPLES
from tests.test_cli import run
from xl_perf.validate.report.text import BOUNDARY as _BOUNDARY
from xl_perf.validate.report.text import short as _short
from xl_perf.validate.report.text import widen as _widen


def test_widen_reaches_the_clause_around_a_word() -> None:
    raw = "一、总体情况。预算编制是否符合市财政当年度有关预算编制的原则，及时储备。"
    start = raw.index("市财政")
    low, high, before, after = _widen(raw, start, start + 3)
    assert raw[low:high] == "预算编制是否符合市财政当年度有关预算编制的原则" and not before and not after
    long = "甲" * 50 + "市" + "乙" * 50
    low, high, before, after = _widen(long, 50, 51)
    assert before and after and high - low == 61


def test_short_cuts_after_a_boundary() -> None:
    text = "2022 年度单位财政资金支出合计 60730945.24 元，其中基本支出 10730945.24 元，项目支出 50000000 元，占比较高"
    shown = _short(text, 60)
    kept = shown.removesuffix("…")
    assert shown.endswith("…") and len(shown) <= 60 and text.startswith(kept)
    assert text[len(kept)] in _BOUNDARY or kept[-1] in _BOUNDARY
    assert _short("短句", 60) == "短句"


def test_excerpts_of_a_real_filing_never_start_or_end_mid_word() -> None:
    text = (SAMPLES / "gangmen-2022-filing.txt").read_text(encoding="utf-8")
    result = run(
        "check", str(SAMPLES / "gangmen-2022-filing.txt"), str(SAMPLES / "gangmen-2022-zhengti.json"), "--json"
    )
    findings = [f for f in json.loads(result.stdout)["findings"] if f["code"] in ("TEXT_LEVEL_WORDS", "TEXT_YEAR")]
    assert len(findings) >= 10
    for finding in findings:
        quoted = re.match(r"“(.*?)”中的", finding["message"], re.S)
        assert quoted, finding["message"]
        excerpt = quoted.group(1)
        core = excerpt.strip("…")
        at = text.find(core)
        assert at >= 0, excerpt
        if not excerpt.startswith("…"):
            assert at == 0 or text[at - 1] in _BOUNDARY, (excerpt, text[at - 3 : at + 3])
        if not excerpt.endswith("…"):
            end = at + len(core)
            assert end == len(text) or text[end] in _BOUNDARY, (excerpt, text[end - 3 : end + 3])
