"""Where a data document comes from, and what the files made from one are called: shared by every face.

`load_any` reads a document from a .json data document or from a workbook of the template layout, `dump` gives it
as a dictionary, `file_name` names the workbook, copy or table made for it. They sit in the template face, beside
the reader they rest on (`template.read`), and beneath the faces that use them (validate, export, batch, excel,
cli): the template's own rollover needs `load_any` too, so any higher place would make template import upwards.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from xl_perf.errors import Location
from xl_perf.findings import Ref
from xl_perf.io import safe_write
from xl_perf.model import document
from xl_perf.template import read


def load_any(path: Path, *, lenient: bool = False) -> tuple[document.Document, Callable[[Ref], Location]]:
    """A data document from a .json file or a workbook (for score and check), and where its findings point.
    Workbooks are inspected and parsed in a memory-capped child process first (`open_untrusted`, or for an old .xls
    `legacy_xls.open_workbook`); a workbook xl-perf did not make is read as a foreign form (`foreign.importer`)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        doc = document.load_path(path, lenient=lenient)
        return doc, document.locator(doc)
    from xl_perf.foreign import importer  # forms others made (and old .xls) are imported in memory
    from xl_perf.io.legacy_xls import open_workbook

    book = open_workbook(path)
    if not importer.is_own_template(book):
        return importer.for_check(path, book)
    doc = read.read_document(book, lenient=lenient)
    return doc, read.locator(book, doc)


def dump(path: Path) -> dict[str, object]:
    """The data document of a .json file or a workbook, as the dictionary `xl-perf dump --json` prints."""
    return document.to_dict(load_any(path)[0])


def safe_name(text: str, max_bytes: int = 150) -> str:
    """`text` as part of a file name: see `safe_write.safe_stem` (no separators, control or bidi characters, no
    leading dot or "~$", at most `max_bytes` bytes with a short hash keeping long names apart)."""
    return safe_write.safe_stem(text, max_bytes)


def file_name(doc: document.Document, suffix: str = ".xlsx") -> str:
    """ "单位_年度_[项目_]表名" + suffix, safe on every system. A long unit or project name is shortened (with a
    short hash, so different long names stay apart) and the year and the form's title are always kept: the name
    stays under 200 bytes, room left for "_表名.csv" under the 255 bytes file systems allow."""
    title = doc.text(doc.pack.title)
    project = doc.fields.get("project_name")
    parts = [safe_name(doc.unit or "空白", 60), str(doc.year)]
    if isinstance(project, str) and project:
        parts.append(safe_name(project, 60))
    parts.append(safe_name(title, 60))
    return safe_name("_".join(parts), 190) + suffix
