"""What a batch hands over: the summary workbook (written through safe_write, read back before it is moved into
place) and the JSON report of `--json`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from xl_perf.batch.records import BatchResult
from xl_perf.batch.summary import summary_tables
from xl_perf.errors import Location, XlPerfError

if TYPE_CHECKING:
    from xl_perf.io.summary_writer import Table


def check_output(target: Path, *, overwrite: bool = False) -> None:
    """Refuse a summary target that exists and is not an earlier summary (it may be someone's workbook)."""
    from xl_perf.io import summary_writer

    if target.is_symlink():  # checked before the batch runs, not only when the summary is written
        raise XlPerfError(
            "汇总工作簿的位置是一个符号链接（快捷方式），为免写到别处已停止；请删除该链接或换一个文件名",
            Location(file=str(target)),
        )
    if not overwrite and target.exists() and not summary_writer.is_summary(target):
        raise XlPerfError(
            "汇总工作簿的位置已有一个不是 xl-perf 批量汇总的文件，为免覆盖他人数据已停止；请换一个文件名",
            Location(file=str(target)),
        )


def write_summary(result: BatchResult, target: Path, *, overwrite: bool = False) -> Path:
    """The summary workbook, written to a temp file, read back cell by cell, then moved into place. Never over any
    of the batch's own files."""
    from xl_perf.io import safe_write, summary_writer

    check_output(target, overwrite=overwrite)
    tables, charts = summary_tables(result, target)
    protect = [i.path for i in (*result.items, *result.duplicates)]  # never over a file of the batch
    with safe_write.atomic_output(
        target,
        verify=lambda path: _verify_summary(path, tables, target),
        protect=protect,
        foreign=overwrite,
        owned=summary_writer.is_summary,
    ) as temp:
        summary_writer.write(temp, tables, charts)
    return target


def _verify_summary(path: Path, tables: list[Table], target: Path) -> None:
    """The written summary at `path`, read back: the sheets and every cell as the tables describe them."""
    from xl_perf.errors import BadInputError
    from xl_perf.io import summary_writer
    from xl_perf.io.workbook import FileWorkbook

    with FileWorkbook(path) as book:
        if book.sheet_names() != [t.sheet for t in tables]:
            raise BadInputError("汇总工作簿回读的工作表不一致，已放弃写入", Location(file=str(target)))
        for table in tables:
            grid = book.grid(table.sheet)
            for row, col, value in summary_writer.expected_cells(table):
                line = grid[row] if row < len(grid) else ()
                read = line[col] if col < len(line) else None
                if not summary_writer.same(None if read == "" else read, value):
                    raise BadInputError(
                        f"汇总工作簿回读不一致（{table.sheet} 第{row + 1}行第{col + 1}列），已放弃写入",
                        Location(file=str(target)),
                    )


def as_json(result: BatchResult) -> dict[str, object]:
    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "root": str(result.root),
        "files": len(result.items),
        "read": len(result.read),
        "unreadable": len(result.bad),
        "errors": result.errors,
        "warnings": result.warnings,
        "coverage": {"evaluated": result.evaluated, "required": result.required, "rate": number(result.coverage)},
        "grades": {kind: dict(counts) for kind, counts in result.grades().items()},
        "units": [
            {
                "unit": u.unit,
                "workbooks": len(u.items),
                "required": u.required_or_found,
                "evaluated": u.evaluated,
                "coverage": number(u.coverage),
                "missing": u.missing,
            }
            for u in result.units
        ],
        "items": [
            {
                "file": i.shown,
                "problem": i.problem or None,
                "framework": i.framework or None,
                "unit": i.unit or None,
                "year": i.year,
                "project": i.project or None,
                "amount": number(i.amount),
                "execution": number(i.execution),
                "stated": number(i.stated),
                "score": number(i.score),
                "grade": i.grade or None,
                "errors": i.errors,
                "warnings": i.warnings,
                "findings": [f.as_dict() for f in i.findings],
            }
            for i in result.items
        ],
        "duplicates": [
            {
                "file": i.shown,
                "kept": i.kept,
                "unit": i.unit or None,
                "year": i.year,
                "framework": i.framework or None,
                "project": i.project or None,
                "score": number(i.score),
            }
            for i in result.duplicates
        ],
    }
