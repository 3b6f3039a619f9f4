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
from xl_perf.excel.project import macro_variant
from xl_perf.model import document
from xl_perf.template import generate, sources
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


class _Chain:
    """The steps of the self-test, in order, and what they hand on to each other (the workbook, Excel, cells)."""

    def __init__(self, folder: Path, app_factory: Callable[[], Any] | None, doc: document.Document) -> None:
        self.folder, self.app_factory, self.doc = folder, app_factory, doc
        self.path: Path | None = None
        self.app: Any | None = None
        self.book: Any | None = None
        self.name = ""
        self.cells: dict[str, Any] = {}
        self.rate: Any = None
        self.score: Any = None
        self.original: Any = None
        self.sheets: list[str] = []
        self.protected: dict[str, Any] = {}
        self.exported: Path | None = None

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("生成带宏的模板", self.make),
            ("启动 Excel", self.start),
            ("打开模板（不应显示 #NAME?）", self.open_template),
            ("通过 COM 输入并重算 UDF", self.type_and_recalculate),
            ("校验按钮（Application.Run）", self.validate),
            ("导出按钮（Application.Run）", self.export),
            ("打开导出的报送版", self.open_export),
        ]

    def make(self) -> str:
        target = self.folder / sources.file_name(self.doc, ".xlsm")
        self.path = generate.write_workbook(self.doc, target, macro=macro_variant())
        return str(target)

    def start(self) -> str:
        assert self.app_factory is not None or sys.platform.startswith("win"), (
            f"需要装有 Excel 的 Windows 电脑（本机为 {sys.platform}）"
        )
        self.app = (self.app_factory or _default_app)()
        return "已启动 Excel"

    def open_template(self) -> str:
        assert self.app is not None
        book = self.app.books.open(str(self.path))
        self.book = book
        self.name = book.name
        names = book.names
        self.cells = {n: names[n].refers_to_range for n in (field_name(TYPED), field_name(TOTAL))}
        self.rate = names[rate_name(RATE)].refers_to_range
        self.score = names[score_name(INDICATOR)].refers_to_range
        rate = self.rate.value
        assert isinstance(rate, float), f"打开后“{rate_name(RATE)}”显示 {quoted(rate)}，应为缓存的数值（不是 #NAME?）"
        self.original = self.cells[field_name(TYPED)].value
        self.sheets = [s.name for s in book.sheets]
        self.protected = {s: book.sheets[s].api.ProtectContents for s in self.sheets}
        return f"{book.name}：打开即显示缓存值 {rate}"

    def type_and_recalculate(self) -> str:
        from xl_perf.excel.udfs import REGISTRY

        assert self.app is not None
        pack = self.doc.pack.id
        total = self.cells[field_name(TOTAL)].value
        typed = round(float(total) * 0.92, 6)
        self.cells[field_name(TYPED)].value = typed
        self.app.calculate()
        rate, score = self.rate.value, self.score.value
        expected_rate = REGISTRY["XP_RATE"].function(pack, RATE, typed, total)  # type: ignore[misc]
        expected_score = REGISTRY["XP_SCORE"].function(pack, INDICATOR, typed, total)  # type: ignore[misc]
        assert _close_enough(rate, expected_rate), f"XP_RATE 得 {quoted(rate)}，应为 {quoted(expected_rate)}"
        assert _close_enough(score, expected_score), f"XP_SCORE 得 {quoted(score)}，应为 {quoted(expected_score)}"
        self.cells[field_name(TYPED)].value = self.original
        self.app.calculate()
        return f"输入 {typed} 后利用率 {rate}、得分 {score}；已改回 {self.original}"

    def validate(self) -> str:
        assert self.app is not None and self.book is not None
        self.app.api.Run(f"'{self.name}'!XlPerfValidate")
        summary = self.book.sheets[RESULT_SHEET].range("B1").value
        assert isinstance(summary, str) and summary.startswith("错误 0 条"), f"校验结果!B1 为 {quoted(summary)}"
        typed = self.cells[field_name(TYPED)].value
        assert _close_enough(typed, self.original), f"校验改动了填写的值：{quoted(typed)}"
        protected = {s: self.book.sheets[s].api.ProtectContents for s in self.sheets}
        assert protected == self.protected, f"校验后工作表保护变了：{protected}"
        return f"校验结果：{summary}；填写值与工作表保护未变"

    def export(self) -> str:
        assert self.app is not None and self.path is not None
        self.app.api.Run(f"'{self.name}'!XlPerfExport")
        target = Path(self.path).parent / "报送" / sources.file_name(self.doc)
        assert target.is_file(), f"未生成 {target}"
        self.exported = target
        return str(target)

    def open_export(self) -> str:
        assert self.app is not None
        exported = self.app.books.open(str(self.exported))
        try:
            names = [s.name for s in exported.sheets]
        finally:
            exported.close()
        assert RESULT_SHEET not in names and "_xlperf" not in names, f"报送版含工具的表：{names}"
        return "报送版工作表：" + "、".join(names)

    def close(self, run: _Run) -> None:
        """Close the template and quit Excel; a failure there is one more line of the table."""
        if self.app is None:
            return
        try:
            if self.book is not None:
                self.book.close()
            self.app.quit()
        except Exception as exc:  # closing is tidying up: report it, do not hide the table
            run.steps.append(Step("关闭 Excel", False, str(exc)))


def run(
    folder: Path, app_factory: Callable[[], Any] | None = None, sample: Path = SAMPLE
) -> tuple[list[Step], dict[str, str]]:
    """Run every step in `folder`; returns the steps and the versions to report."""
    if not sample.is_file():
        raise XlPerfError(f"找不到自测用的样例数据 {sample}：安装不完整，请重新安装 xl-perf 后再运行自测")
    chain = _Chain(folder, app_factory, document.load_path(sample))
    run = _Run()
    for name, action in chain.steps():
        run.step(name, action)
    versions = environment(chain.app)
    chain.close(run)
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
