"""PDF via PDFium (pypdfium2), page by page.

PDFium reads each page's characters in order and knows, per character, its
text object (font, size) and position. Words are read at their ends and
regrouped into lines by baseline, so each line knows its font size,
boldness and baseline. That is what turns a page of lines into paragraphs
(a vertical gap, a font change) and finds the headings of documents without
bookmarks (a larger or bold font whose lines read like titles). When the
file has an outline it is the authority: each bookmark is placed on the
line of its page that carries the title, so the heading sits at the right
place in the flow.

PDFium's text has its own artefacts, mended here: a line-end hyphen comes
as U+FFFE with the line break dropped, superscripts get a line of their
own, and spaces between separately written words can go missing.

PDFium is native code: not thread-safe, so one lock serialises its use, and
holding native memory, so every document, page and text page is closed as
soon as it has been read.
"""

from __future__ import annotations

import ctypes
import logging
import math
import re
import threading
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from assistant.config import Limits
from assistant.errors import LoadError
from assistant.ingest.cleaning import fix_text, join_lines, vocabulary
from assistant.ingest.loaders.guards import check_pdf_streams, too_much_text
from assistant.ingest.loaders.pdf_layout import (
    JOIN,
    Line,
    body_size,
    drop_running,
    heading_levels,
    mend_joins,
    paragraphs,
    pitches,
    place_outline,
)
from assistant.ingest.loaders.pdf_open import check_complete, open_pdf
from assistant.models import Block, ParsedFile

log = logging.getLogger(__name__)

# FPDFText_GetTextObject returning the address as an int: asked twice per word,
# and pypdfium2's typed pointer result costs half as much again.
_text_object = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value or 0
)

PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe: one document at a time, process-wide (evidence.py too)
_META_KEYS = ("Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|[-,]bd\b|extrab", re.I)
_ITALIC_NAME = re.compile(r"italic|oblique|[-,]it\b", re.I)
_MARKER = re.compile(r"^(?:[•▪■□◦○●➢►✓✔→*–-]|\(?(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})[.)]|\d{1,2}(?:\.\d{1,2})+\.?)$")
_MIN_TEXT_PER_PAGE = 10  # alphanumeric characters; below this a PDF is a scan
_LINE_HYPHEN = "\x02\ufffe"  # PDFium's mark for a hyphen ending a line; the line break itself is dropped
_BREAKS = "\n" + _LINE_HYPHEN
_PDFIUM_TEXT = str.maketrans(  # line-end hyphen marks back to hyphens (`join_lines` decides), ligatures spelt out
    {"\x02": "-", "\ufffe": "-", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
)
_FORCE_BOLD, _ITALIC = 1 << 18, 1 << 6  # font descriptor flags
_LEADER, _CLOSING = "._…", ".,;:!?)]}”’»"
_Style = tuple[float, bool, bool]  # size (pt, to the half point), bold, italic
_WORD = re.compile(f"[^\\s{_LINE_HYPHEN}]+[{_LINE_HYPHEN}]?")  # a line-end hyphen ends its word


def load_pdf(path: Path, data: bytes, limits: Limits | None = None) -> ParsedFile:
    limits = limits or Limits()
    check_complete(path, data)
    check_pdf_streams(path, data, limits)
    with PDFIUM_LOCK:
        pdf = open_pdf(path, data)
        try:
            pages, boxes = _extract(path, pdf, limits)
            outline, metadata = _outline(pdf), _metadata(pdf)
        finally:
            pdf.close()
    text_chars = sum(map(str.isalnum, "".join(line.text for lines in pages for line in lines)))
    if text_chars < _MIN_TEXT_PER_PAGE * len(pages):
        raise LoadError(path, "no text layer (scanned?); OCR is not supported")
    vocab = vocabulary(line.text.replace(JOIN, "") for lines in pages for line in lines)
    mend_joins(pages, vocab)
    body = body_size(pages)
    pages = drop_running(pages, boxes, body)
    pitch = pitches(pages)
    placed = place_outline(outline, pages)
    pars = [par for lines in pages for par in paragraphs(lines, pitch, body)]
    if placed:
        levels = {i: par[0].level for i, par in enumerate(pars) if par[0].level}
    else:
        levels = heading_levels(pars, body)
    blocks: list[Block] = []
    for i, par in enumerate(pars):
        if text := fix_text(join_lines([line.text for line in par], vocab)):
            blocks.append(Block(text=text, page=par[0].page, level=levels.get(i, 0)))
    return ParsedFile(path=str(path), format="pdf", blocks=blocks, page_count=len(pages), pdf_metadata=metadata)


def _metadata(pdf: pdfium.PdfDocument) -> dict[str, str]:
    out = {key: fix_text(value) for key, value in pdf.get_metadata_dict().items() if key in _META_KEYS}
    out = {key: value for key, value in out.items() if value}
    if lang := _language(pdf):
        out["Lang"] = lang
    return out


def _language(pdf: pdfium.PdfDocument) -> str:
    """The catalog's /Lang, e.g. `en-US`; empty when unset."""
    size = pdfium_c.FPDFCatalog_GetLanguage(pdf.raw, None, 0)  # bytes of UTF-16LE, NUL included
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFCatalog_GetLanguage(pdf.raw, buffer, size)
    return bytes(buffer).decode("utf-16-le", "replace").rstrip("\x00").strip()


# --- extraction ----------------------------------------------------------------


def _extract(path: Path, pdf: pdfium.PdfDocument, limits: Limits) -> tuple[list[list[Line]], list[tuple[float, float]]]:
    """Every page's lines and vertical extent (bottom, top); an unreadable page is skipped, not fatal.

    Stops as soon as the text passes the limit, not after reading every page.
    """
    pages: list[list[Line]] = []
    boxes: list[tuple[float, float]] = []
    failed: list[int] = []
    chars = 0
    for index in range(len(pdf)):
        try:
            lines, box = _read_page(pdf, index)
        except pdfium.PdfiumError as exc:
            log.debug("page %d unreadable: %s", index + 1, exc)
            lines, box = [], (0.0, 0.0)
            failed.append(index + 1)
        chars += sum(len(line.text) for line in lines)
        if chars > limits.max_text_chars:
            raise too_much_text(path, chars, limits, at_least=True)
        pages.append(lines)
        boxes.append(box)
    if len(failed) == len(pages):
        raise LoadError(path, "corrupt PDF (no page could be read)")
    if failed:
        log.warning("%s: unreadable pages skipped: %s", path.name, failed)
    return pages, boxes


def _read_page(pdf: pdfium.PdfDocument, index: int) -> tuple[list[Line], tuple[float, float]]:
    page = pdf[index]
    try:
        _, bottom, _, top = page.get_mediabox()
        textpage = page.get_textpage()
        try:
            return _lines(_PageReader(textpage).words(), index + 1), (bottom, top)
        finally:
            textpage.close()
    finally:
        page.close()


class _Word(NamedTuple):
    text: str
    spaced: bool  # PDFium's text has a space before it, not just a line break
    x: float  # origin of the first character
    y: float  # baseline
    right: float  # right edge of the last character
    size: float  # pt, to the half point; 0 for text PDFium made up
    bold: bool = False
    italic: bool = False


class _PageReader:
    """One text page's words, with the position and style PDFium knows for them.

    Native calls dominate the cost, so a word is asked about at its ends,
    and inside only when its ends lie in different text objects: a style
    change within a text object does not happen, one within a word is too
    rare to pay a call per character for. Styles are cached by text object
    and font, whose addresses hold only while the page is open.
    """

    def __init__(self, textpage: pdfium.PdfTextPage):
        self.handle = textpage.raw
        self.address = ctypes.cast(self.handle, ctypes.c_void_p)
        self.styles: dict[int, _Style] = {0: (0.0, False, False)}  # 0: text PDFium made up
        self.fonts: dict[int, tuple[bool, bool]] = {}
        self.x, self.y = ctypes.c_double(), ctypes.c_double()
        self.box = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
        self.rect = pdfium_c.FS_RECTF()
        count = textpage.count_chars()
        self.text = textpage.get_text_range()
        if len(self.text) != count:  # the text view can drop or add characters; index by the char list itself
            self.text = "".join(chr(pdfium_c.FPDFText_GetUnicode(self.handle, i)) for i in range(count))

    def words(self) -> list[_Word]:
        """Words in PDFium's order, with the spaces it left out between text objects put back.

        Where a word changes text object PDFium may have missed a space
        (Word writes justified lines word by word): a clear gap is a space,
        and a seamless join between letters is marked `JOIN` for the
        document's vocabulary to judge (`mend_joins`).
        """
        words: list[_Word] = []
        for match in _WORD.finditer(self.text):
            start, end = match.span()
            first, last = self._object(start), self._object(end - 1)
            if first == last:
                words.append(self._word(start, end, first, []))
                continue
            objects = [first, *(self._object(i) for i in range(start + 1, end - 1)), last]
            cuts, joins = [start], []
            for i in range(start + 1, end):
                before, after = objects[i - 1 - start], objects[i - start]
                if before == after:
                    continue
                if self._space(i, before, after):
                    cuts.append(i)
                elif self.text[i - 1].isalpha() and self.text[i].isalpha():
                    joins.append(i)
            words += [self._word(s, e, objects[s - start], joins) for s, e in zip(cuts, cuts[1:] + [end])]
        return words

    def _space(self, index: int, before: int, after: int) -> bool:
        """Is there a space before character `index`, the first of text object `after`?

        By advance widths a gap is near 0 inside a word and a quarter em for
        a space; a superscript (another size) and closing punctuation stay
        attached; a run of TOC leaders is set apart from its words, as is a
        word from the comma before it.
        """
        char = self.text[index]
        if self._leaders(index - 1) != self._leaders(index) or (self.text[index - 1] in ",;" and char.isalpha()):
            return True
        size = self._style(index - 1, before)[0]
        if char in _CLOSING or size != self._style(index, after)[0]:
            return False
        pdfium_c.FPDFText_GetLooseCharBox(self.handle, index - 1, self.rect)
        right = self.rect.right
        pdfium_c.FPDFText_GetLooseCharBox(self.handle, index, self.rect)
        return self.rect.left - right > 0.12 * size

    def _leaders(self, index: int) -> bool:
        char = self.text[index]
        return char in _LEADER and char in (self.text[index - 1], self.text[index + 1 : index + 2])

    def _word(self, start: int, end: int, obj: int, joins: list[int]) -> _Word:
        pdfium_c.FPDFText_GetCharOrigin(self.handle, start, self.x, self.y)
        pdfium_c.FPDFText_GetCharBox(self.handle, end - 1, *self.box)
        text = self.text[start:end]
        for i in reversed([j for j in joins if start < j < end]):
            text = text[: i - start] + JOIN + text[i - start :]
        spaced = start > 0 and self.text[start - 1] not in _BREAKS
        return _Word(text, spaced, self.x.value, self.y.value, self.box[1].value, *self._style(start, obj))

    def _object(self, index: int) -> int:
        """The address of the text object holding character `index`; 0 for text PDFium made up."""
        return _text_object(self.address, index) or 0

    def _style(self, index: int, obj: int) -> _Style:
        """Size, boldness and slant of text object `obj`, which holds character `index`."""
        if obj not in self.styles:
            matrix = pdfium_c.FS_MATRIX()
            pdfium_c.FPDFText_GetMatrix(self.handle, index, matrix)
            size = pdfium_c.FPDFText_GetFontSize(self.handle, index) * math.hypot(matrix.c, matrix.d)  # Tf x scale
            font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(self.handle, index))
            font_key = ctypes.addressof(font.contents) if font else 0
            if font_key not in self.fonts:
                self.fonts[font_key] = _font_style(font)
            self.styles[obj] = (round(size * 2) / 2, *self.fonts[font_key])
        return self.styles[obj]


def _font_style(font) -> tuple[bool, bool]:
    """(bold, italic) from the font's name, weight and descriptor flags."""
    if not font:
        return False, False
    length = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    buffer = ctypes.create_string_buffer(length)
    pdfium_c.FPDFFont_GetBaseFontName(font, buffer, length)
    name = buffer.value.decode("utf-8", "replace")
    flags = pdfium_c.FPDFFont_GetFlags(font)
    bold = bool(_BOLD_NAME.search(name)) or pdfium_c.FPDFFont_GetWeight(font) >= 600 or bool(flags & _FORCE_BOLD)
    return bold, bool(_ITALIC_NAME.search(name)) or bool(flags & _ITALIC)


def _lines(words: list[_Word], page: int) -> list[Line]:
    """Group words into lines where the baseline moves or the text goes back left.

    Also cut where text of a much larger or smaller size stands apart on the
    same baseline (a date beside a title); a superscript stays in its line.
    """
    groups: list[list[_Word]] = []
    for word in words:
        prev = groups[-1][-1] if groups else None
        size = max(word.size, prev.size) if prev else 0.0
        if (
            prev is None
            or abs(word.y - prev.y) > 0.5 * size
            or word.x < prev.x
            or (word.x - prev.right > 2.5 * size and max(word.size, prev.size) > 1.4 * min(word.size, prev.size))
        ):
            groups.append([word])
        else:
            groups[-1].append(word)
    return [_make_line(group, page) for group in groups]


def _make_line(words: list[_Word], page: int) -> Line:
    """A line's text and dominant style; a gap wider than an em between words marks table columns."""
    text = words[0].text
    for prev, word in zip(words, words[1:]):  # PDFium breaks lines at superscripts and some hyphens: `cost|-effective`
        glued = not word.spaced and word.x - prev.right < 0.12 * max(word.size, prev.size)
        text += ("" if glued else " ") + word.text
    text = text.translate(_PDFIUM_TEXT)
    sizes: Counter[float] = Counter()
    bold = italic = 0
    for word in words:
        if word.size:
            sizes[word.size] += len(word.text)
            bold += len(word.text) if word.bold else 0
            italic += len(word.text) if word.italic else 0
    if not sizes:
        return Line(text, page, 0.0, False, words[0].y)
    gaps = [b.x - a.right > a.size for a, b in zip(words, words[1:])]
    if gaps and _MARKER.match(words[0].text):
        gaps[0] = False  # the tab after a bullet or a heading number
    half = sum(sizes.values()) / 2
    return Line(text, page, sizes.most_common(1)[0][0], bold > half, words[0].y, italic > half, any(gaps))


# --- page furniture ------------------------------------------------------------


# --- outline ---------------------------------------------------------------------


def _outline(pdf: pdfium.PdfDocument) -> list[tuple[str, int, int]]:
    """Bookmarks as (title, level, 1-based page), in document order."""
    entries: list[tuple[str, int, int]] = []
    try:
        for bookmark in pdf.get_toc():
            dest = bookmark.get_dest()
            index = dest.get_index() if dest else None
            title = fix_text(bookmark.get_title())
            if title and index is not None:
                entries.append((title, bookmark.level + 1, index + 1))
    except Exception as exc:  # a broken outline is no reason to fail; fall back to text
        log.debug("PDF outline unreadable: %s", exc)
        return []
    return entries


# --- paragraphs and headings ---------------------------------------------------------


