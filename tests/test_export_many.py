"""`export FILE… -o DIR`: several workbooks in one command, one subfolder each, every PDF from one LibreOffice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLES, outputs, require_tool, started_processes
from tests.test_cli import run
from xl_perf import export as exporter
from xl_perf.io import libreoffice
from xl_perf.io.libreoffice import LibreOfficeError, find_soffice

ZHENGTI = SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx"
XIANGMU = SAMPLES / "corrected" / "gangmen-2022-xiangmu.xlsx"
WITH_ERRORS = SAMPLES / "gangmen-2022-xiangmu.xlsx"  # same file name as XIANGMU, one error finding
ZHENGTI_NAME = "遂溪县港门镇人民政府_2022_整体绩效自评指标评分表"
XIANGMU_NAME = "遂溪县港门镇人民政府_2022_遂溪县港门镇乡村振兴基础设施综合提升项目_项目支出绩效自评指标评分表"


def _need_libreoffice() -> None:
    if find_soffice() is None:
        require_tool("soffice")


def test_subfolders_one_input_keeps_the_folder_several_get_one_each(tmp_path: Path) -> None:
    assert exporter.subfolders([ZHENGTI], tmp_path) == [tmp_path]
    folders = exporter.subfolders([ZHENGTI, XIANGMU, WITH_ERRORS, Path("a/CON.xlsx")], tmp_path)
    assert [f.name for f in folders] == [
        "gangmen-2022-zhengti",
        "gangmen-2022-xiangmu",
        "gangmen-2022-xiangmu-2",  # the same name in another folder is numbered, never merged
        "_CON",  # a name Windows reserves is made safe
    ]


def test_several_inputs_and_a_bad_one(tmp_path: Path) -> None:
    bad = tmp_path / "坏的.xlsx"
    bad.write_bytes(b"not a workbook")
    out = tmp_path / "报送"
    result = run("export", str(ZHENGTI), str(bad), str(XIANGMU), "-o", str(out), "--json")
    assert result.returncode == 2, result.stdout + result.stderr  # one input unusable: exit 2, the others exported
    assert "坏的.xlsx" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in outputs(out / "gangmen-2022-zhengti")] == [f"{ZHENGTI_NAME}.json", f"{ZHENGTI_NAME}.xlsx"]
    assert len(outputs(out / "gangmen-2022-xiangmu")) == 2
    assert sorted(p.name for p in out.iterdir()) == ["gangmen-2022-xiangmu", "gangmen-2022-zhengti"]  # none for 坏的
    assert result.stdout.count("已导出：") == 4


def test_errors_without_force_give_1_and_export_the_rest(tmp_path: Path) -> None:
    result = run("export", str(ZHENGTI), str(WITH_ERRORS), "-o", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "未导出" in result.stderr
    assert [p.name for p in outputs(tmp_path / "gangmen-2022-zhengti")] == [f"{ZHENGTI_NAME}.xlsx"]
    assert not (tmp_path / "gangmen-2022-xiangmu").exists()  # refused: its folder is not left behind


def test_every_pdf_from_one_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _need_libreoffice()
    started = started_processes(monkeypatch)
    sources = [ZHENGTI, XIANGMU]
    folders = exporter.subfolders(sources, tmp_path)
    for folder in folders:
        folder.mkdir()
    outcomes = exporter.export_many(sources, folders, pdf=True)
    monkeypatch.undo()
    soffice = [a for a in started if "--convert-to" in a]
    assert len(soffice) == 1 and len(soffice[0]) - soffice[0].index("--outdir") - 2 == 2  # one process, both files
    for outcome in outcomes:
        assert outcome.error is None and outcome.exported is not None
        pdfs = [p for p in outcome.exported.files if p.suffix == ".pdf"]
        assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF-")
        assert pdfs[0].parent == outcome.outdir
    assert [p.suffix for p in outputs(folders[0])] == [".pdf", ".xlsx"]


def test_a_failed_pdf_drops_only_that_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LibreOffice converts both, then reports the second as failed (as it does for a file it cannot open): the
    first input is exported in full, the second writes nothing at all (not even its .xlsx)."""
    _need_libreoffice()
    real = libreoffice.Converter.convert_to

    def second_fails(self, pairs, target, **kwargs):  # type: ignore[no-untyped-def]
        real(self, pairs, target, **kwargs)
        raise LibreOfficeError("模拟失败", failed=[pairs[1][0]])

    monkeypatch.setattr(libreoffice.Converter, "convert_to", second_fails)
    folders = exporter.subfolders([ZHENGTI, XIANGMU], tmp_path)
    for folder in folders:
        folder.mkdir()
    first, second = exporter.export_many([ZHENGTI, XIANGMU], folders, pdf=True)
    assert first.error is None and [p.suffix for p in outputs(folders[0])] == [".pdf", ".xlsx"]
    assert second.error is not None and second.exported is None and "PDF" in str(second.error)
    assert outputs(folders[1]) == []
    assert [p for p in tmp_path.rglob("*") if p.name.startswith(".xl-perf-tmp")] == []  # no scratch left


def test_batch_exports_the_workbooks_without_errors(tmp_path: Path) -> None:
    source = tmp_path / "收到"
    (source / "港门镇").mkdir(parents=True)
    for path in (ZHENGTI, XIANGMU):
        (source / "港门镇" / path.name).write_bytes(path.read_bytes())
    (source / "坏的.xlsx").write_bytes(b"")  # unreadable: listed in the summary, not exported
    out = tmp_path / "报送"
    result = run("batch", str(source), "-o", str(tmp_path / "汇总.xlsx"), "--export", str(out), "--json")
    assert result.returncode == 2, result.stderr  # one unreadable file in the batch
    exported = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
    assert exported == [
        f"港门镇/gangmen-2022-xiangmu/{XIANGMU_NAME}.xlsx",
        f"港门镇/gangmen-2022-zhengti/{ZHENGTI_NAME}.xlsx",
    ]
    assert "已导出 2 个工作簿的报送材料" in result.stderr


def test_batch_pdf_needs_export(tmp_path: Path) -> None:
    result = run("batch", str(tmp_path), "-o", str(tmp_path / "汇总.xlsx"), "--pdf")
    assert result.returncode == 2 and "--pdf 需要与 --export" in result.stderr
    assert list(tmp_path.iterdir()) == []
