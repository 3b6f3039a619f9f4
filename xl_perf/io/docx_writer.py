"""Writing a report draft as .docx with python-docx, in the typography of Chinese official documents (GB/T 9704-2012).

A4 paper, margins top 3.7 cm, bottom 3.5 cm, left 2.8 cm, right 2.6 cm; the title in 小标宋 二号 (22 pt), centred;
first-level headings ("一、") in 黑体 三号, second-level ("（一）") in 楷体 三号, the body in 仿宋 三号 (16 pt) with a
two-character first-line indent and a fixed 28 pt line pitch; tables in 仿宋 四号 (14 pt)... 小四 where a table is
wide. Fonts are named as Word on Windows has them (仿宋_GB2312 is missing on many machines, so 仿宋 is named for the
East Asian text: Word and WPS fall back from neither). Placeholders — what only people can write — are shown in
【】 on a yellow highlight, so that none is left in by accident.

The draft is given as plain blocks (io knows nothing of rules or evaluations); the file is written to the temp path
safe_write hands over, and read back by the caller before it is moved into place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
BODY_FONT = "仿宋"
LATIN_FONT = "Times New Roman"
SIZE_TITLE, SIZE_BODY, SIZE_TABLE, SIZE_TABLE_WIDE = 22, 16, 14, 12  # 二号, 三号, 四号, 小四 (pt)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 0: the title; 1: 一、; 2: （一）


@dataclass(frozen=True)
class Paragraph:
    """Body text; every stretch in 【】 is a placeholder for people to write, shown on a yellow highlight."""

    text: str
    align: str = "justify"  # "justify" (indented), "centre", "right", "left" (not indented)


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths_cm: tuple[float, ...] = field(default=())


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Table | PageBreak
_PLACEHOLDER = re.compile(r"(【[^】]*】)")


def _fonts(run: object, east_asian: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    font.size = Pt(size)
    font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()  # type: ignore[attr-defined]
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph_format(paragraph: object, *, indent: bool, align: str, pitch: float = 28) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    alignments = {
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "centre": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
    }
    fmt = paragraph.paragraph_format  # type: ignore[attr-defined]
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(pitch)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(SIZE_BODY * 2) if indent else None
    paragraph.alignment = alignments[align]  # type: ignore[attr-defined]


def write_docx(blocks: Sequence[Block], target: Path, *, title: str = "", author: str = "") -> None:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _footer_page_number(section)
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = docx.shared.Pt(SIZE_BODY)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(docx.oxml.ns.qn("w:eastAsia"), BODY_FONT)
    document.core_properties.title = title
    document.core_properties.author = author
    for block in blocks:
        _add(document, block)
    document.save(str(target))


def _add(document: object, block: Block) -> None:
    from docx.enum.text import WD_BREAK, WD_COLOR_INDEX

    if isinstance(block, PageBreak):
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)  # type: ignore[attr-defined]
        return
    if isinstance(block, Table):
        _table(document, block)
        return
    paragraph = document.add_paragraph()  # type: ignore[attr-defined]
    if isinstance(block, Heading):
        run = paragraph.add_run(block.text)
        if block.level == 0:
            _fonts(run, TITLE_FONT, SIZE_TITLE)
            _paragraph_format(paragraph, indent=False, align="centre", pitch=36)
        else:
            _fonts(run, HEADING_FONT if block.level == 1 else SUBHEADING_FONT, SIZE_BODY)
            _paragraph_format(paragraph, indent=True, align="justify")
        paragraph.paragraph_format.keep_with_next = True
        return
    for piece in _PLACEHOLDER.split(block.text):
        if not piece:
            continue
        run = paragraph.add_run(piece)
        _fonts(run, BODY_FONT, SIZE_BODY)
        if _PLACEHOLDER.fullmatch(piece):
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    _paragraph_format(paragraph, indent=block.align == "justify", align=block.align)


def _table(document: object, block: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Cm

    size = SIZE_TABLE_WIDE if len(block.header) > 4 else SIZE_TABLE
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if block.widths_cm:
        table.autofit = False
        for column, width in zip(table.columns, block.widths_cm, strict=False):
            column.width = Cm(width)  # the grid, which LibreOffice follows; Word follows the cells' widths
    for row_index, values in enumerate((block.header, *block.rows)):
        row = table.rows[row_index]
        _row_property(row, "w:cantSplit")  # a row is never cut across two pages
        if row_index == 0:
            _row_property(row, "w:tblHeader")  # the header row repeats on every page
        for column, value in enumerate(values):
            cell = row.cells[column]
            if block.widths_cm:
                cell.width = Cm(block.widths_cm[column])
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(value)
            _fonts(run, HEADING_FONT if row_index == 0 else BODY_FONT, size)
            if row_index and _PLACEHOLDER.fullmatch(value):  # marked as in the prose: people must write it
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            centred = row_index == 0 or _is_number(value)
            _paragraph_format(paragraph, indent=False, align="centre" if centred else "left", pitch=size + 6)
    document.add_paragraph()  # type: ignore[attr-defined]


def _is_number(text: str) -> bool:
    return bool(text) and text.replace(".", "", 1).replace("%", "").replace("-", "", 1).isdigit()


def _row_property(row: object, name: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    properties.append(element)


def _footer_page_number(section: object) -> None:
    """ "— 1 —" centred at the foot of each page, as official documents number their pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(paragraph.add_run("— "), BODY_FONT, 14)
    run = paragraph.add_run()
    _fonts(run, BODY_FONT, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)
    _fonts(paragraph.add_run(" —"), BODY_FONT, 14)
