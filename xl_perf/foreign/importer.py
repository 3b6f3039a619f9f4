"""Open a foreign workbook under the guard, read its forms, and turn each into a data document with a locator."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xl_perf.errors import BadInputError, Location
from xl_perf.findings import Ref
from xl_perf.foreign.labels import Sheet, cell_name
from xl_perf.foreign.recognise import Reading, read_form
from xl_perf.io import legacy_xls, safe_write
from xl_perf.io.workbook import SnapshotWorkbook
from xl_perf.model import document

META_SHEET = "_xlperf"  # the hidden sheet of xl-perf's own templates
NO_FORM = (
    "不是绩效自评助手生成的工作簿（缺少隐藏的 _xlperf 表），也没有找到可导入的项目支出或部门整体支出绩效自评表："
    "各工作表中都没有绩效指标表的表头"
    "（“三级指标”或“指标名称”列，旁边有“年度指标值/指标值”“实际完成值/完成值”“分值/权重”“得分”等列中的两个）"
)


@dataclass
class Imported:
    """One form of a foreign workbook: how it was read, and the data document it gives."""

    path: Path
    reading: Reading
    doc: document.Document

    def locate(self, ref: Ref) -> Location:
        return locate(self.path, self.reading, self.doc, ref)


def is_own_template(book: SnapshotWorkbook) -> bool:
    return META_SHEET in book.sheet_names()


def read_book(book: SnapshotWorkbook, path: Path, year: int | None = None) -> list[Imported]:
    """Every form of `book` (one per sheet that holds an indicator table)."""
    readings = []
    for name in book.sheet_names():
        reading = read_form(Sheet(book, name), year)
        if reading is not None:
            readings.append(reading)
    if not readings:
        # An old .xls says so: it is often a form of another kind saved by WPS, and opening it in Excel tells more.
        kind = "这是旧版 .xls 工作簿，" if legacy_xls.is_ole(path) else ""
        raise BadInputError(kind + NO_FORM, Location(file=str(path)))
    out = []
    for reading in readings:
        if reading.data.get("year") is None:
            raise BadInputError(
                "找不到评价年度（表头没有“（2023年度）”一类的年份）：请用 --year 给出评价年度",
                Location(file=str(path), sheet=reading.sheet),
            )
        doc = document.from_dict(reading.data, source=str(path), lenient=True)
        out.append(Imported(path, reading, doc))
    return out


def import_file(path: Path, year: int | None = None) -> list[Imported]:
    """Open `path` (.xlsx/.xlsm/.xls) under the guard and read its forms."""
    return read_book(legacy_xls.open_workbook(path), Path(path), year)


def locate(path: Path, reading: Reading, doc: document.Document, ref: Ref) -> Location:
    """The sheet and cell a finding's logical place was read from (the file alone when it was not read)."""
    place: tuple[int, int] | None = None
    if ref.kind == "field":
        place = reading.places.get(("field", ref.id))
    elif ref.kind == "indicator":
        place = reading.places.get(("indicator", ref.id))
    elif ref.kind == "row" and ref.row is not None:
        place = reading.places.get(("row", ref.row))
    elif ref.kind == "cell" and ref.row is not None:
        place = reading.places.get(("cell", ref.row, ref.column)) or next(
            (p for (kind, *rest), p in reading.places.items() if kind == "cell" and rest[0] == ref.row), None
        )
    elif ref.kind == "document" and ref.id in ("stated_total", "total"):
        place = reading.places.get(("total",))
    elif ref.kind == "document" and ref.id.startswith("stated_rates."):
        rate = ref.id.removeprefix("stated_rates.")
        place = reading.places.get(("rate", rate)) or reading.places.get(("indicator", rate))
    elif ref.kind == "document" and ref.id == "unit":
        place = reading.places.get(("field", "implementer")) or reading.places.get(("field", "department"))
    if place is None:
        return Location(file=str(path), sheet=reading.sheet)
    return Location(file=str(path), sheet=reading.sheet, cell=cell_name(*place))


def for_check(path: Path, book: SnapshotWorkbook) -> tuple[document.Document, Callable[[Ref], Location]]:
    """The first form of a foreign workbook, for `check` and `score` (import in memory)."""
    first = read_book(book, path)[0]
    return first.doc, first.locate


def json_text(imported: Imported) -> str:
    return json.dumps(imported.reading.data, ensure_ascii=False, indent=2) + "\n"


def output_name(imported: Imported, several: bool) -> str:
    stem = imported.path.stem
    if several:
        stem = f"{stem}-{safe_write.safe_stem(imported.reading.sheet, 60)}"
    return safe_write.safe_stem(stem, 190) + ".json"


def write_json(imported: Imported, target: Path, *, overwrite: bool = False) -> Path:
    """Write the data document beside nothing it may not replace; verified by loading it back as a data document."""
    text = json_text(imported)

    def verify(temp: Path) -> None:
        written = temp.read_text(encoding="utf-8")
        if written != text:
            raise BadInputError("写入后回读的内容与原内容不一致，已放弃写入", Location(file=str(target)))
        document.from_dict(json.loads(written), source=str(target), lenient=True)

    with safe_write.atomic_output(target, verify=verify, protect=(imported.path,), foreign=overwrite) as temp:
        temp.write_text(text, encoding="utf-8")
    return target
