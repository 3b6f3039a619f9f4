"""The finding-code catalogue, and for every code a case that fires it and one that does not."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES, sample_data
from tests.test_cli import run
from tests.test_report_checks import REPORT_CASES
from xl_perf.engine import targets
from xl_perf.model import document
from xl_perf.model.evaluation import evaluate
from xl_perf.rules import loader
from xl_perf.validate import checks
from xl_perf.validate.catalogue import catalogue

Codes = Callable[[], set[str]]


def _codes_of(data: dict, *others: dict) -> set[str]:
    docs = [document.from_dict(copy.deepcopy(d), lenient=True) for d in (data, *others)]
    found = {f.code for d in docs for f in evaluate(d).findings}
    found |= {f.code for d in docs for f in checks.check_document(d)}
    found |= {f.code for _, f in checks.check_together(docs)}
    return found


def _zhengti(**changes: Callable[[dict], None]) -> dict:
    data = copy.deepcopy(sample_data("corrected/gangmen-2022-zhengti.json"))
    for change in changes.values():
        change(data)
    return data


def _xiangmu() -> dict:
    return copy.deepcopy(sample_data("corrected/gangmen-2022-xiangmu.json"))


def _ziyuan() -> dict:
    return copy.deepcopy(sample_data("ziyuan-2023-zhengti.json"))


def _set(path: str, value: object) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        *keys, last = path.split("|")
        target = data
        for key in keys:
            target = target[int(key)] if key.isdigit() else target.setdefault(key, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value

    return change


def _doc(data: dict, *changes: Callable[[dict], None]) -> dict:
    data = copy.deepcopy(data)
    for change in changes:
        change(data)
    return data


def _row(target: str, actual: str, reason: str = "") -> dict:
    data = _xiangmu()
    data["indicator_rows"][6].update({"预期目标值": target, "实际完成值": actual, "目标偏差原因分析及改进措施": reason})
    return data


def _mof_rows(rows: list[dict], **extra: object) -> dict:
    data = _ziyuan()
    data["indicator_rows"] = rows
    data.update(extra)
    return data


MOF_OK = [
    {
        "一级指标": "产出指标",
        "二级指标": "数量指标",
        "三级指标": "a",
        "年度指标值": "100个",
        "实际完成值": "100个",
        "分值": 50,
    },
    {
        "一级指标": "效益指标",
        "二级指标": "社会效益指标",
        "三级指标": "b",
        "年度指标值": "是",
        "实际完成值": "是",
        "分值": 30,
    },
    {
        "一级指标": "满意度指标",
        "二级指标": "服务对象满意度指标",
        "三级指标": "c",
        "年度指标值": "≥90%",
        "实际完成值": "95%",
        "分值": 10,
    },
]


LOW_EXECUTION = {"部门资金": [{"资金来源": "年度资金总额", "全年预算数": 100, "全年执行数": 74}]}  # 74%: capped at 89


def _ratio_rows(actual: str, reason: str) -> list[dict]:
    rows = copy.deepcopy(MOF_OK)
    rows[0].update({"实际完成值": actual, "偏差原因分析及改进措施": reason})
    return rows


ODD_EXECUTION = {"部门资金": [{"资金来源": "年度资金总额", "全年预算数": 100, "全年执行数": 74.321}]}  # 74.32%
NO_BUDGET = {"部门资金": [{"资金来源": "年度资金总额", "全年预算数": 0, "全年执行数": 0}]}  # unsummed: 0 / 0


# code -> (data documents that fire it, data documents that do not)
CASES: dict[str, tuple[Codes, Codes]] = {
    "RATE_MISMATCH": (
        lambda: _codes_of(_zhengti(a=_set("fields|资产管理|固定资产利用率", 1))),
        lambda: _codes_of(_zhengti()),
    ),
    "REASON_MISSING": (
        lambda: _codes_of(_zhengti(a=_set("fields|重点工作|未完成目标原因", "无"))),
        lambda: _codes_of(_zhengti()),
    ),
    "NOT_APPLICABLE": (
        lambda: _codes_of(_zhengti(a=_set("fields|资金下达|是否有主管的转移支付资金", "否"))),
        lambda: _codes_of(_zhengti(a=_set("fields|资金下达|是否有主管的转移支付资金", "是"))),
    ),
    "SCORE_MISMATCH": (lambda: _codes_of(_zhengti(a=_set("scores|重点工作完成率", 5))), lambda: _codes_of(_zhengti())),
    "SCORE_OUT_OF_RANGE": (lambda: _codes_of(_zhengti(a=_set("scores|项目监管", 6))), lambda: _codes_of(_zhengti())),
    "SCORE_MISSING": (
        lambda: _codes_of(_zhengti(a=_set("scores|项目监管", None), b=_set("stated_total", None))),
        lambda: _codes_of(_zhengti()),
    ),
    "INPUT_MISSING": (
        lambda: _codes_of(_zhengti()),
        lambda: _codes_of(
            _zhengti(
                a=_set(
                    "fields|存量资金与政府采购",
                    {
                        "上年年末国库集中支付结转结余存量资金": 10,
                        "当年年末国库集中支付结转结余存量资金": 8,
                        "政府采购计划金额合计": 10,
                        "实际政府采购金额合计": 10,
                    },
                ),
                b=_set(
                    "fields|资金下达",
                    {
                        "是否有主管的转移支付资金": "是",
                        "应下达转移支付资金（县人大批复及上级转移支付）": 1,
                        "在要求时限内下达的转移支付资金": 1,
                        "批复下属单位预算情况": "15日内批复",
                    },
                ),
                c=_set(
                    "fields|预算编制",
                    {
                        "是否有需提前下达的转移支付": "否",
                        "非统一政策原因预算调整或调剂事项数": 0,
                        "预算调整或调剂比例20%（含）以上项目数": 0,
                        "预决算差异率50%（含）以上项目数": 0,
                    },
                ),
                d=_set("fields|决算数据（财决01-1表）|计分用财政拨款收入预算数", 6073.094524),
                e=_set(
                    "fields|信息公开与自评",
                    {
                        "2022年省、市财政预决算信息公开检查结果": "未发现问题",
                        "绩效目标公开情况": "按规定公开且与批复一致",
                        "自评材料公开情况": "公开且真实及时完整",
                        "在规定时间内报送自评材料": "是",
                    },
                ),
                f=_set("scores|预算编制准确性", 5),
                g=_set("stated_total", 91.09),
            )
        ),
    ),
    "RULE_WARNING": (
        lambda: _codes_of(_zhengti(a=_set("tables|财政资金情况|0|预算支出情况/小计", 6100))),
        lambda: _codes_of(_zhengti()),
    ),
    "WEIGHT_SUM": (
        lambda: _codes_of(_mof_rows([{**MOF_OK[0], "分值": 40}, *MOF_OK[1:]])),
        lambda: _codes_of(_mof_rows(MOF_OK)),
    ),
    "DIRECTION_CONFLICT": (
        lambda: _codes_of(_mof_rows([{**MOF_OK[0], "年度指标值": "≤100个", "指标性质": "正向"}, *MOF_OK[1:]])),
        lambda: _codes_of(_mof_rows([{**MOF_OK[0], "年度指标值": "≥100个", "指标性质": "正向"}, *MOF_OK[1:]])),
    ),
    "ROW_UNPLACED": (
        lambda: _codes_of(_mof_rows([{**MOF_OK[0], "一级指标": "产出指表"}, *MOF_OK[1:]])),
        lambda: _codes_of(_mof_rows(MOF_OK)),
    ),
    "RATE_UNCOMPUTABLE": (
        lambda: _codes_of(_mof_rows(MOF_OK, tables=NO_BUDGET)),
        lambda: _codes_of(_mof_rows(MOF_OK, tables=LOW_EXECUTION)),
    ),
    "STATED_RATE_MISMATCH": (
        lambda: _codes_of(_mof_rows(MOF_OK, tables=ODD_EXECUTION, stated_rates={"预算执行率": "74%"})),
        lambda: _codes_of(_mof_rows(MOF_OK, tables=ODD_EXECUTION, stated_rates={"预算执行率": "74.32%"})),
    ),
    "STATED_RATE_BLANK": (
        lambda: _codes_of(_mof_rows(MOF_OK, tables=ODD_EXECUTION, stated_rates={"预算执行率": ""})),
        lambda: _codes_of(_mof_rows(MOF_OK, tables=ODD_EXECUTION, stated_rates={"预算执行率": "74.32%"})),
    ),
    "STATED_TOTAL_MISMATCH": (lambda: _codes_of(_zhengti(a=_set("stated_total", 95))), lambda: _codes_of(_zhengti())),
    "TOTAL_DIFFERS": (lambda: _codes_of(sample_data("gangmen-2022-zhengti.json")), lambda: _codes_of(_zhengti())),
    "TOTAL_CAPPED": (
        lambda: _codes_of(_mof_rows(MOF_OK, options={"total_cap_by_execution": True}, tables=LOW_EXECUTION)),
        lambda: _codes_of(_mof_rows(MOF_OK, tables=LOW_EXECUTION)),
    ),
    "DEVIATION_DENIED": (lambda: _codes_of(sample_data("gangmen-2022-xiangmu.json")), lambda: _codes_of(_xiangmu())),
    "DEVIATION_REASON_REQUIRED": (
        lambda: _codes_of(_mof_rows(_ratio_rows("140个", ""))),
        lambda: _codes_of(_mof_rows(_ratio_rows("140个", "超额完成：新增需求"))),
    ),
    "TARGET_UNPARSEABLE": (lambda: _codes_of(_row("约五千", "60个")), lambda: _codes_of(_row("60个", "60个"))),
    "ACTUAL_UNPARSEABLE": (lambda: _codes_of(_row("60个", "约五千")), lambda: _codes_of(_row("60个", "60个"))),
    "UNIT_MISMATCH": (lambda: _codes_of(_row("60个", "60米", "差异")), lambda: _codes_of(_row("60个", "60个"))),
    "KIND_MISMATCH": (
        lambda: _codes_of(_row("2022年5月", "是", "差异")),
        lambda: _codes_of(_row("2022年5月", "2022年5月")),
    ),
    "EMPTY": (lambda: _codes_of(_ziyuan()), lambda: _codes_of(_mof_rows(MOF_OK))),
    "WEIGHT_INVALID": (
        lambda: {p.code for p in targets.score_row("60个", "60个", Decimal(-1)).problems},
        lambda: {p.code for p in targets.score_row("60个", "60个", Decimal(1)).problems},
    ),
    "LEVEL_INVALID": (
        lambda: {p.code for p in targets.score_row("良好", "一般", Decimal(5), qualitative_level="乱写").problems},
        lambda: {p.code for p in targets.score_row("良好", "一般", Decimal(5), qualitative_level="部分达成").problems},
    ),
    "FIELD_REQUIRED": (
        lambda: _codes_of(_zhengti(a=_set("fields|单位基本情况|单位自评联络人", None))),
        lambda: _codes_of(_zhengti()),
    ),
    "CELL_TYPE": (
        lambda: _codes_of(_zhengti(a=_set("fields|资产管理|固定资产总额（原值）", "六百万"))),
        lambda: _codes_of(_zhengti()),
    ),
    "AMOUNT_UNIT": (
        lambda: _codes_of(_zhengti(a=_set("fields|决算数据（财决01-1表）|财政拨款收入决算数", 60730945.24))),
        lambda: _codes_of(_zhengti()),
    ),
    "SUM_MISMATCH": (lambda: _codes_of(sample_data("gangmen-2022-zhengti.json")), lambda: _codes_of(_zhengti())),
    "DATE_OUTSIDE_YEAR": (
        lambda: _codes_of(_zhengti(a=_set("fields|预决算信息公开|预算公开时间", "2019-04-28"))),
        lambda: _codes_of(_zhengti()),
    ),
    "DATE_ORDER": (
        lambda: _codes_of(_zhengti(a=_set("fields|预决算信息公开|决算公开时间", "2022-03-01"))),
        lambda: _codes_of(_zhengti()),
    ),
    "UNIT_NAME_MISMATCH": (
        lambda: _codes_of(_zhengti(a=_set("fields|单位基本情况|单位名称", "遂溪县港口镇人民政府"))),
        lambda: _codes_of(_zhengti()),
    ),
    "CROSS_YEAR": (
        lambda: _codes_of(_zhengti(), {**_xiangmu(), "year": 2023}),
        lambda: _codes_of(_zhengti(), _xiangmu()),
    ),
    "CROSS_PROJECT": (
        lambda: _codes_of(_zhengti(), _doc(_xiangmu(), _set("fields|项目基本情况|项目名称", "另一个项目"))),
        lambda: _codes_of(_zhengti(), _xiangmu()),
    ),
    "CROSS_AMOUNT": (
        lambda: _codes_of(_zhengti(), _doc(_xiangmu(), _set("tables|资金情况|0|全年预算数", 4000))),
        lambda: _codes_of(_zhengti(), _xiangmu()),
    ),
    "CROSS_FUND_CLASS": (
        lambda: _codes_of(_zhengti(), sample_data("gangmen-2022-xiangmu.json")),
        lambda: _codes_of(_zhengti(), _xiangmu()),
    ),
}


def _text_codes(name: str) -> set[str]:
    from xl_perf.validate.report import check_text

    text = (SAMPLES / name).read_text(encoding="utf-8")
    return {
        f.code
        for f in check_text(
            text, source=name, unit="遂溪县港门镇人民政府", year=2022, level="镇", pack=loader.load("gd-county-zhengti")
        )
    }


def _text(text: str, year: int = 2022) -> set[str]:
    from xl_perf.validate.report import check_text

    return {
        f.code
        for f in check_text(
            text,
            source="t.txt",
            unit="遂溪县港门镇人民政府",
            year=year,
            level="镇",
            pack=loader.load("gd-county-zhengti"),
        )
    }


SHARES = (
    "2022年度单位财政资金支出 100 元，其中：一般公共服务支出 {a} 元，占总支出的 {pa}%；"
    "其他支出 {b} 元，占总支出的 {pb}%。"
)
CASES |= {
    "TEXT_OTHER_UNIT": (
        lambda: _text_codes("gangmen-2022-filing.txt"),
        lambda: _text_codes("gangmen-2022-filing-corrected.txt"),
    ),
    "TEXT_LEVEL_WORDS": (
        lambda: _text_codes("gangmen-2022-filing.txt"),
        lambda: _text_codes("gangmen-2022-filing-corrected.txt"),
    ),
    "TEXT_YEAR": (
        lambda: _text("按要求提前于2021年11月底前将主管的县级一般性转移支付下达", 2023),
        lambda: _text("按要求提前于2022年11月底前将主管的县级一般性转移支付下达", 2023),
    ),
    "TEXT_SHARE": (
        lambda: _text_codes("gangmen-2022-filing.txt"),
        lambda: _text_codes("gangmen-2022-filing-corrected.txt"),
    ),
    "TEXT_SHARE_SUM": (
        lambda: _text(SHARES.format(a=40, pa="40.00", b=50, pb="50.00")),
        lambda: _text(SHARES.format(a=40, pa="40.00", b=60, pb="60.00")),
    ),
}


CASES |= REPORT_CASES  # the report checks' cases live beside their own tests


def test_every_code_in_the_catalogue_has_cases() -> None:
    missing = set(catalogue()) - set(CASES) - {"TEXT_RATE"}
    assert not missing, sorted(missing)


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_code_fires(code: str) -> None:
    fires, _ = CASES[code]
    assert code in fires()


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_code_stays_quiet(code: str) -> None:
    _, quiet = CASES[code]
    assert code not in quiet()


def test_every_emitted_code_is_catalogued() -> None:
    """Codes written in the source (finding(...), self.find(...), ParseProblem codes) all exist in the catalogue."""
    pattern = re.compile(r'"([A-Z][A-Z_]{3,})"')
    emitted: set[str] = set()
    for path in (ROOT / "xl_perf").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if any(hint in line for hint in ("find(", "finding(", "ParseProblem(", "_problem(", '"code"', "code=")):
                emitted |= set(pattern.findall(line))
    known = set(catalogue()) | {"TEXT_RATE"}
    assert emitted - known <= {"INTERPRETER_WIN"}, sorted(emitted - known)


def test_engine_findings_use_the_catalogue_severity() -> None:
    evaluation = evaluate(document.from_dict(sample_data("gangmen-2022-zhengti.json")))
    for finding in evaluation.findings:
        if finding.code != "SCORE_MISSING":  # warning for judged items, error where the rule itself gives no score
            assert catalogue()[finding.code].severity == finding.severity, finding.code


# --- the acceptance facts on the filed seed-004 samples -------------------------------------------------------------


def _check(*names: str) -> dict:
    import json

    result = run("check", *(str(SAMPLES / n) for n in names), "--json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_the_filed_samples() -> None:
    data = _check("gangmen-2022-zhengti.xlsx", "gangmen-2022-xiangmu.xlsx", "gangmen-2022-filing.txt")
    findings = data["findings"]

    def has(code: str, *words: str) -> dict:
        hit = next((f for f in findings if f["code"] == code and all(w in f["message"] for w in words)), None)
        assert hit is not None, (code, words)
        assert hit["location"].get("cell") or hit["location"].get("key"), hit
        return hit

    assert has("RATE_MISMATCH", "固定资产利用率", "100.00%", "99.65%")["location"]["cell"] == "C17"
    has("RATE_MISMATCH", "公用经费控制率", "13.26%", "倒数")
    has("SCORE_MISMATCH", "重点工作完成率", "填报得分 5")
    has("RATE_MISMATCH", "重点工作完成率", "1.71%")
    has("TEXT_OTHER_UNIT", "港口镇")
    has("TEXT_LEVEL_WORDS", "市")
    has("DEVIATION_DENIED", "项目竣工时间", "2024年5月", "2022年10月")
    has("TEXT_SHARE", "卫生健康", "0.11%", "0.10%")
    assert data["errors"] > 0


def test_the_corrected_samples_have_no_errors() -> None:
    data = _check(
        "corrected/gangmen-2022-zhengti.xlsx",
        "corrected/gangmen-2022-xiangmu.xlsx",
        "gangmen-2022-filing-corrected.txt",
    )
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert not errors, errors
    assert run("check", str(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx")).returncode == 0


def test_check_exit_codes(tmp_path: Path) -> None:
    assert run("check", str(SAMPLES / "gangmen-2022-zhengti.json")).returncode == 1
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    result = run("check", str(broken), str(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx"))
    assert result.returncode == 2 and "无法读取" in result.stderr and "Traceback" not in result.stderr
    assert "无法读取" not in result.stdout  # diagnostics on stderr; the report of the readable file on stdout


def test_commands_never_modify_their_inputs(tmp_path: Path) -> None:
    inputs = [
        SAMPLES / "gangmen-2022-zhengti.xlsx",
        SAMPLES / "gangmen-2022-zhengti.json",
        SAMPLES / "gangmen-2022-xiangmu.xlsx",
        SAMPLES / "gangmen-2022-filing.txt",
    ]
    before = {p: p.read_bytes() for p in inputs}
    run("check", *map(str, inputs))
    run("score", str(inputs[0]))
    run("dump", str(inputs[0]), "--json")
    run(
        "fill",
        str(ROOT / "workbooks" / "blank" / "gd-county-zhengti-2026.xlsx"),
        str(inputs[1]),
        "-o",
        str(tmp_path / "x.xlsx"),
    )
    for path, data in before.items():
        assert path.read_bytes() == data, path


def test_hostile_and_broken_files_are_refused_by_check(tmp_path: Path) -> None:
    """The generated corpus of hostile files through `xl-perf check`'s own reading path: every one refused cleanly."""
    from tests.hostile.make_corpus import make_corpus
    from xl_perf.validate.run import check_files

    corpus = make_corpus(tmp_path / "corpus")
    assert len(corpus) >= 30
    for name, fragment in corpus.items():
        path = tmp_path / "corpus" / name
        report = check_files([path])
        assert not report.checked, name
        ((bad_path, error),) = report.bad
        assert bad_path == path and error.exit_code == 2, name
        assert error.location is not None and error.location.file == str(path), name
        if "读取" not in fragment:  # the reader-crash cases word their message themselves
            assert fragment in error.message, (name, fragment, error.message)


def test_a_template_with_a_deleted_sheet(tmp_path: Path) -> None:
    from tests.test_templates import _snapshot
    from xl_perf.errors import BadInputError
    from xl_perf.template import read

    book = _snapshot(SAMPLES / "gangmen-2022-zhengti.xlsx")
    del book.sheets["补充评分数据"]
    with pytest.raises(BadInputError, match="工作表可能被删除、改名"):
        read.read_dict(book)
