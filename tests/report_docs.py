"""Word reports for the tests, made the way a unit's clerk makes them: the report text typed as paragraphs, the forms
as Word tables (python-docx writes them; LibreOffice or Word would save the same structure)."""

from __future__ import annotations

from pathlib import Path

import docx


def docx_from_text(text: str, target: Path) -> Path:
    """Every non-blank line a paragraph; runs of tab-separated lines a table, a cell per tab field."""
    document = docx.Document()
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        width = max(len(r) for r in rows)
        table = document.add_table(rows=len(rows), cols=width)
        for row, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(row.cells, values, strict=False):
                cell.text = value
        rows.clear()

    for line in text.replace("\f", "\n").splitlines():
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        flush()
        if line.strip():
            document.add_paragraph(line)
    flush()
    document.save(str(target))
    return target
