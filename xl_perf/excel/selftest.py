"""`xl-perf excel selftest`: the whole chain in a real Excel, for a person with Windows Excel to run and paste.

Through xlwings it generates a filled macro template, opens it in Excel, types inputs through COM, recalculates,
reads the UDF cells, runs the 校验 and 导出 button macros with Application.Run (so the VBA, RunPython, the UDF
server and the actions all take part), reads 校验结果, checks that typed values and sheet protection are unchanged,
and opens the exported submission copy. The Excel application comes from a factory, so the same steps run in the
tests against the stand-in for Excel's object model.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xl_perf.errors import XlPerfError, quoted
from xl_perf.model import document
from xl_perf.template import generate
from xl_perf.template.layout import field_name, rate_name, score_name

# A copy of workbooks/samples/corrected/gangmen-2022-zhengti.json shipped as package data (tests keep the two equal).
SAMPLE = Path(__file__).resolve().parent / "data" / "selftest-sample.json"
RATE = "fixed_asset_utilization"
INDICATOR = "fixed_assets"
TYPED = "fixed_assets_in_use"
TOTAL = "fixed_assets_total"
RESULT_SHEET = "校验结果"


@dataclass
class Step:
    name: str
    ok: bool | None  # None: not run, because an earlier step failed
    detail: str


def _default_app() -> Any:
    import xlwings as xw

    return xw.App(visible=True, add_book=False)


def environment(app: Any | None) -> dict[str, str]:
    from importlib import metadata

    from xl_perf.excel.setup import Environment

    try:
        xlwings_version = metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        xlwings_version = "未安装"
    excel = "未启动"
    if app is not None:
        try:
            excel = str(app.version)
        except Exception as exc:  # the version is information only: any COM failure just shows
            excel = f"无法读取（{exc}）"
    return {
        "Excel": excel,
        "Windows": platform.platform(),
        "Python": sys.version.split()[0] + f"（{sys.executable}）",
        "xlwings": xlwings_version,
        "代码页": Environment().code_page(),
    }


class _Run:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.failed = False

    def step(self, name: str, action: Callable[[], str]) -> bool:
        if self.failed:
            self.steps.append(Step(name, None, "前一步失败，未运行"))
            return False
        try:
            detail = action()
        except AssertionError as exc:
            self.steps.append(Step(name, False, str(exc)))
            self.failed = True
            return False
        except Exception as exc:  # each step reports what Excel or xlwings raised, and the run goes on to the table
            self.steps.append(Step(name, False, f"{type(exc).__name__}: {exc}"))
            self.failed = True
            return False
        self.steps.append(Step(name, True, detail))
        return True


def _close_enough(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def run(
    folder: Path, app_factory: Callable[[], Any] | None = None, sample: Path = SAMPLE
) -> tuple[list[Step], dict[str, str]]:
    """Run every step in `folder`; returns the steps and the versions to report."""
    from xl_perf.excel.udfs import REGISTRY

    if not sample.is_file():
        raise XlPerfError(f"找不到自测用的样例数据 {sample}：安装不完整，请重新安装 xl-perf 后再运行自测")
    doc = document.load_path(sample)
    pack = doc.pack.id
    state: dict[str, Any] = {}
    run = _Run()

    def make() -> str:
        target = folder / generate.file_name(doc, ".xlsm")
        state["path"] = generate.write_workbook(doc, target, macro=True)
        return str(target)

    def start() -> str:
        assert app_factory is not None or sys.platform.startswith("win"), (
            f"需要装有 Excel 的 Windows 电脑（本机为 {sys.platform}）"
        )
        state["app"] = (app_factory or _default_app)()
        return "已启动 Excel"

    def open_template() -> str:
        book = state["app"].books.open(str(state["path"]))
        state["book"] = book
        state["name"] = book.name
        names = book.names
        state["cell"] = {n: names[n].refers_to_range for n in (field_name(TYPED), field_name(TOTAL))}
        state["rate"] = names[rate_name(RATE)].refers_to_range
        state["score"] = names[score_name(INDICATOR)].refers_to_range
        rate = state["rate"].value
        assert isinstance(rate, float), f"打开后“{rate_name(RATE)}”显示 {quoted(rate)}，应为缓存的数值（不是 #NAME?）"
        state["original"] = state["cell"][field_name(TYPED)].value
        state["sheets"] = [s.name for s in book.sheets]
        state["protected"] = {s: book.sheets[s].api.ProtectContents for s in state["sheets"]}
        return f"{book.name}：打开即显示缓存值 {rate}"

    def type_and_recalculate() -> str:
        total = state["cell"][field_name(TOTAL)].value
        typed = round(float(total) * 0.92, 6)
        state["cell"][field_name(TYPED)].value = typed
        state["app"].calculate()
        rate, score = state["rate"].value, state["score"].value
        expected_rate = REGISTRY["XP_RATE"].function(pack, RATE, typed, total)  # type: ignore[misc]
        expected_score = REGISTRY["XP_SCORE"].function(pack, INDICATOR, typed, total)  # type: ignore[misc]
        assert _close_enough(rate, expected_rate), f"XP_RATE 得 {quoted(rate)}，应为 {quoted(expected_rate)}"
        assert _close_enough(score, expected_score), f"XP_SCORE 得 {quoted(score)}，应为 {quoted(expected_score)}"
        state["cell"][field_name(TYPED)].value = state["original"]
        state["app"].calculate()
        return f"输入 {typed} 后利用率 {rate}、得分 {score}；已改回 {state['original']}"

    def validate() -> str:
        state["app"].api.Run(f"'{state['name']}'!XlPerfValidate")
        book = state["book"]
        summary = book.sheets[RESULT_SHEET].range("B1").value
        assert isinstance(summary, str) and summary.startswith("错误 0 条"), f"校验结果!B1 为 {quoted(summary)}"
        typed = state["cell"][field_name(TYPED)].value
        assert _close_enough(typed, state["original"]), f"校验改动了填写的值：{quoted(typed)}"
        protected = {s: book.sheets[s].api.ProtectContents for s in state["sheets"]}
        assert protected == state["protected"], f"校验后工作表保护变了：{protected}"
        return f"校验结果：{summary}；填写值与工作表保护未变"

    def export() -> str:
        state["app"].api.Run(f"'{state['name']}'!XlPerfExport")
        target = Path(state["path"]).parent / "报送" / generate.file_name(doc)
        assert target.is_file(), f"未生成 {target}"
        state["export"] = target
        return str(target)

    def open_export() -> str:
        exported = state["app"].books.open(str(state["export"]))
        try:
            names = [s.name for s in exported.sheets]
        finally:
            exported.close()
        assert RESULT_SHEET not in names and "_xlperf" not in names, f"报送版含工具的表：{names}"
        return "报送版工作表：" + "、".join(names)

    run.step("生成带宏的模板", make)
    run.step("启动 Excel", start)
    run.step("打开模板（不应显示 #NAME?）", open_template)
    run.step("通过 COM 输入并重算 UDF", type_and_recalculate)
    run.step("校验按钮（Application.Run）", validate)
    run.step("导出按钮（Application.Run）", export)
    run.step("打开导出的报送版", open_export)
    versions = environment(state.get("app"))
    app = state.get("app")
    if app is not None:
        try:
            if "book" in state:
                state["book"].close()
            app.quit()
        except Exception as exc:  # closing is tidying up: report it, do not hide the table
            run.steps.append(Step("关闭 Excel", False, str(exc)))
    return run.steps, versions


def table(steps: list[Step], versions: dict[str, str]) -> str:
    """Markdown, to paste into an issue."""
    lines = ["| 项目 | 值 |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in versions.items()]
    lines += ["", "| 步骤 | 结果 | 说明 |", "| --- | --- | --- |"]
    mark = {True: "通过", False: "失败", None: "未运行"}
    for step in steps:
        detail = step.detail.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {step.name} | {mark[step.ok]} | {detail} |")
    return "\n".join(lines)
