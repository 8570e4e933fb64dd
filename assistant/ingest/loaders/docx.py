"""DOCX via python-docx.

Word says what a heading is: a Heading style, or any style (localised ones
such as "Titre 1" included) carrying an outline level. Unstyled all-bold
paragraphs fall back to the text rules. Tables become one block per row,
cells joined by " | ", merged cells once. DOCX has no fixed pages, so pages
stay None.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from assistant.errors import LoadError
from assistant.ingest.cleaning import fix_text
from assistant.ingest.loaders import headings
from assistant.models import Block, ParsedFile

_HEADING_STYLE = re.compile(r"^(?:heading|titre|título|titolo|überschrift|kop)\s*(\d)$", re.I)


def load_docx(path: Path, data: bytes) -> ParsedFile:
    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise  # the parse worker reports its memory limit
    except Exception as exc:  # python-docx raises KeyError, XML and zip errors on broken files
        raise LoadError(path, f"corrupt DOCX ({type(exc).__name__}: {exc})") from exc
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            if block := _paragraph(item):
                blocks.append(block)
        elif isinstance(item, Table):
            blocks.extend(_table_rows(item))
    return ParsedFile(path=str(path), format="docx", blocks=blocks)


def _paragraph(paragraph: Paragraph) -> Block | None:
    text = fix_text(paragraph.text)
    if not text:
        return None
    level = _style_level(paragraph)
    if not level and _all_bold(paragraph) and headings.looks_like_heading(text):
        kind = headings.text_heading(text)
        level = headings.numbered_depth(text) if kind == "numbered" else 1 if kind else 2
    return Block(text=text, level=level)


def _style_level(paragraph: Paragraph) -> int:
    """Heading depth from the paragraph's own outline level, else its style chain's."""
    values = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    style = paragraph.style
    while not values and style is not None:
        if style.name == "Title":
            return 1
        if m := _HEADING_STYLE.match(style.name or ""):
            return int(m.group(1))
        values = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
        style = style.base_style
    level = int(values[0]) + 1 if values else 0
    return level if level <= 9 else 0  # outline level 9 means body text


def _all_bold(paragraph: Paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold or (r.style is not None and r.style.font.bold) for r in runs)


def _table_rows(table: Table) -> list[Block]:
    blocks: list[Block] = []
    for row in table.rows:
        seen: list = []  # the cells' XML elements, held so identity checks are sound
        cells: list[str] = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell repeats across the columns it spans
                continue
            seen.append(cell._tc)
            if text := fix_text(cell.text):
                cells.append(text)
        if cells:
            blocks.append(Block(text=" | ".join(cells)))
    return blocks
