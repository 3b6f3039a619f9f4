"""-o names folders that may not exist yet; diagnostics go to stderr. Run through the installed command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, outputs
from tests.test_cli import run
from xl_perf.io.folders import FolderRefused, output_folder
from xl_perf.io.workbook import FileWorkbook


def test_new_makes_the_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "不存在" / "的" / "文件夹"
    result = run("new", "-f", "gd-county-zhengti", "-y", "2025", "-u", "测试单位", "-o", str(target))
    assert result.returncode == 0, result.stderr
    made = target / "测试单位_2025_整体绩效自评指标评分表.xlsx"
    assert f"已生成：{made}" in result.stdout
    with FileWorkbook(made) as book:
        assert "整体评分表" in book.sheet_names()
    assert [p.name for p in outputs(target)] == [made.name]  # no temp file left beside it


def test_a_refused_command_leaves_no_folder(tmp_path: Path) -> None:
    result = run("new", "-f", "nope", "-y", "2025", "-o", str(tmp_path / "a" / "b"))
    assert result.returncode == 2 and "没有名为" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_folder_is_made_through_a_dangling_link_or_over_a_file(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    result = run("new", "-f", "gd-county-zhengti", "-y", "2025", "-o", str(tmp_path / "link" / "sub"))
    assert result.returncode == 2 and "失效的链接" in result.stderr
    assert not (tmp_path / "elsewhere").exists() and (tmp_path / "link").is_symlink()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run("new", "-f", "gd-county-zhengti", "-y", "2025", "-o", str(tmp_path / "file" / "sub"))
    assert result.returncode == 2 and "是一个文件，不是文件夹" in result.stderr
    assert (tmp_path / "file").read_text(encoding="utf-8") == "x"


def test_output_folder_removes_only_what_it_made_and_left_empty(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError), output_folder(tmp_path / "kept" / "x" / "y"):
        assert (tmp_path / "kept" / "x" / "y").is_dir()
        raise RuntimeError
    assert (tmp_path / "kept").is_dir() and list((tmp_path / "kept").iterdir()) == []
    with output_folder(tmp_path / "kept" / "x") as folder:
        (folder / "f.txt").write_text("1", encoding="utf-8")
    assert (tmp_path / "kept" / "x" / "f.txt").exists()
    with pytest.raises(FolderRefused):
        (tmp_path / "kept" / "x" / "f.txt").touch()
        with output_folder(tmp_path / "kept" / "x" / "f.txt" / "z"):
            pass


def test_fill_export_and_batch_make_their_folders(tmp_path: Path) -> None:
    templates = tmp_path / "模板"
    assert run("new", "-f", "gd-county-zhengti", "-y", "2022", "-o", str(templates)).returncode == 0
    (template,) = outputs(templates)
    filled = tmp_path / "填好" / "新" / "港门.xlsx"
    result = run("fill", str(template), str(SAMPLES / "gangmen-2022-zhengti.json"), "-o", str(filled))
    assert result.returncode == 0 and filled.is_file(), result.stderr

    exported = tmp_path / "报送" / "2022"
    result = run("export", str(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx"), "-o", str(exported))
    assert result.returncode == 0, result.stderr
    assert [p.suffix for p in outputs(exported)] == [".xlsx"]

    refused = tmp_path / "报送" / "未通过"
    result = run("export", str(SAMPLES / "gangmen-2022-zhengti.json"), "-o", str(refused))
    assert result.returncode == 1 and "未导出" in result.stderr
    assert not refused.exists()  # nothing exported: the folder made for it is gone again

    folder = tmp_path / "收到"
    folder.mkdir()
    shutil.copy(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx", folder / "a.xlsx")
    summary = tmp_path / "汇总" / "十二月" / "汇总.xlsx"
    result = run("batch", str(folder), "-o", str(summary))
    assert result.returncode in (0, 1), result.stderr
    assert summary.is_file()


def test_unreadable_files_are_reported_on_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "没有.xlsx"
    result = run("check", str(missing), str(SAMPLES / "ziyuan-2023-zhengti.json"))
    assert result.returncode == 2
    assert "无法读取" in result.stderr and "无法读取" not in result.stdout
    assert "ziyuan" in result.stdout or "资源" in result.stdout or "计算总分" in result.stdout
    folder = tmp_path / "批"
    folder.mkdir()
    (folder / "坏.xlsx").write_bytes(b"not a workbook")
    result = run("batch", str(folder), "-o", str(tmp_path / "汇总.xlsx"))
    assert result.returncode == 2
    assert "无法读取 坏.xlsx" in result.stderr and "无法读取 坏.xlsx" not in result.stdout
    assert os.path.exists(tmp_path / "汇总.xlsx")


def test_new_never_replaces_a_workbook_already_there(tmp_path: Path) -> None:
    """Running `new` again (or for one more project) must not blank a workbook the user has filled in since."""
    filled = tmp_path / "遂溪县港门镇人民政府_2022_整体绩效自评指标评分表.xlsx"
    shutil.copyfile(SAMPLES / "corrected" / "gangmen-2022-zhengti.xlsx", filled)
    before = filled.read_bytes()
    args = ("-y", "2022", "-u", "遂溪县港门镇人民政府", "-o", str(tmp_path))
    result = run("new", "-f", "gd-county-zhengti", *args)
    assert result.returncode == 2 and "已存在，未覆盖" in result.stderr and filled.name in result.stderr
    assert result.stdout == "" and filled.read_bytes() == before
    # Several projects: nothing is written when one of them is already there.
    project = tmp_path / "遂溪县港门镇人民政府_2022_乙_项目支出绩效自评指标评分表.xlsx"
    project.write_bytes(b"filled")
    result = run("new", "-f", "gd-county-xiangmu", "-p", "甲", "-p", "乙", *args)
    assert result.returncode == 2 and project.name in result.stderr
    assert project.read_bytes() == b"filled"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([filled.name, project.name])
    # The refusal says how to go on; --overwrite is the user saying the file may go.
    assert "--overwrite" in result.stderr
    result = run("new", "-f", "gd-county-zhengti", *args, "--overwrite")
    assert result.returncode == 0, result.stderr
    assert filled.read_bytes() != before
