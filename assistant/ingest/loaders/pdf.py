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
import statistics
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from assistant.errors import LoadError
from assistant.ingest.cleaning import ends_sentence, fix_text, is_page_number, join_lines, running_lines, vocabulary
from assistant.ingest.loaders import headings
from assistant.models import Block, ParsedFile

log = logging.getLogger(__name__)

# FPDFText_GetTextObject returning the address as an int: asked twice per word
# (275k calls on the sample corpus), and pypdfium2's typed pointer result costs
# half as much again (1.4 vs 0.9 us a call).
_text_object = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value
)

_LOCK = threading.Lock()  # PDFium is not thread-safe: one document at a time, process-wide
_META_KEYS = ("Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|[-,]bd\b|extrab", re.I)
_ITALIC_NAME = re.compile(r"italic|oblique|[-,]it\b", re.I)
_MARKER = re.compile(r"^(?:[•▪■□◦○●➢►✓✔→*–-]|\(?(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})[.)]|\d{1,2}(?:\.\d{1,2})+\.?)$")
_LIST_START = re.compile(r"^\s*(?:[•▪■□◦○●➢►✓✔→*–-]\s|\(?[a-z0-9]{1,2}[.)]\s)")
_MIN_TEXT_PER_PAGE = 10  # alphanumeric characters; below this a PDF is a scan
_LINE_HYPHEN = "\x02\ufffe"  # PDFium's mark for a hyphen ending a line; the line break itself is dropped
_BREAKS = "\n" + _LINE_HYPHEN
_PDFIUM_TEXT = str.maketrans(  # line-end hyphen marks back to hyphens (`join_lines` decides), ligatures spelt out
    {"\x02": "-", "\ufffe": "-", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
)
_FORCE_BOLD, _ITALIC = 1 << 18, 1 << 6  # font descriptor flags
_LEADER, _CLOSING = "._…", ".,;:!?)]}”’»"
_JOIN = "\u200b"  # marks a seamless join of two text objects inside a word, for `_mend_joins` to decide
_PREFIXES = frozenset("un re in de co dis pre non sub".split())  # `un|necessary` is one word, though `UN` is one too
_JOINED = re.compile(f"([^\\W\\d_]*){_JOIN}(?=([^\\W\\d_]*))")
_Style = tuple[float, bool, bool]  # size (pt, to the half point), bold, italic
_WORD = re.compile(f"[^\\s{_LINE_HYPHEN}]+[{_LINE_HYPHEN}]?")  # a line-end hyphen ends its word


@dataclass
class _Line:
    text: str
    page: int  # 1-based
    size: float
    bold: bool
    y: float | None  # baseline
    italic: bool = False
    table: bool = False  # holds a column gap: a table row or a multi-column strip
    mark: int = -1  # outline entry placed on this line
    level: int = 0


def load_pdf(path: Path, data: bytes) -> ParsedFile:
    _check_complete(path, data)
    with _LOCK:
        pdf = _open(path, data)
        try:
            pages, boxes = _extract(path, pdf)
            outline, metadata = _outline(pdf), _metadata(pdf)
        finally:
            pdf.close()
    text_chars = sum(map(str.isalnum, "".join(line.text for lines in pages for line in lines)))
    if text_chars < _MIN_TEXT_PER_PAGE * len(pages):
        raise LoadError(path, "no text layer (scanned?); OCR is not supported")
    vocab = vocabulary(line.text.replace(_JOIN, "") for lines in pages for line in lines)
    _mend_joins(pages, vocab)
    body = _body_size(pages)
    pages = _drop_running(pages, boxes, body)
    pitch = _pitches(pages)
    placed = _place_outline(outline, pages)
    paragraphs = [par for lines in pages for par in _paragraphs(lines, pitch, body)]
    if placed:
        levels = {i: par[0].level for i, par in enumerate(paragraphs) if par[0].level}
    else:
        levels = _heading_levels(paragraphs, body)
    blocks: list[Block] = []
    for i, par in enumerate(paragraphs):
        if text := fix_text(join_lines([line.text for line in par], vocab)):
            blocks.append(Block(text=text, page=par[0].page, level=levels.get(i, 0)))
    return ParsedFile(path=str(path), format="pdf", blocks=blocks, page_count=len(pages), pdf_metadata=metadata)


def _mend_joins(pages: list[list[_Line]], vocab: Counter[str]) -> None:
    """Split a seamless join into two words where the document writes both but never the whole (`area|and`)."""
    marked = [line for lines in pages for line in lines if _JOIN in line.text]
    joined = Counter((m.group(1) + m.group(2)).lower() for line in marked for m in _JOINED.finditer(line.text))

    def mend(match: re.Match) -> str:
        left, right = match.group(1), match.group(2)
        whole = (left + right).lower()
        if vocab[whole] > joined[whole] or (left.lower() in _PREFIXES and len(right) > 3):
            return left
        return f"{left} " if all(len(half) > 1 and vocab[half.lower()] > 1 for half in (left, right)) else left

    for line in marked:
        line.text = _JOINED.sub(mend, line.text)


def _check_complete(path: Path, data: bytes) -> None:
    """Refuse a cut-off file: PDFium repairs what it can and would load the first half silently."""
    tail = data[-2048:].rstrip(b"\x00\r\n\t \x0c")
    if b"%%EOF" not in tail[-1024:]:
        raise LoadError(path, "truncated or corrupt PDF (no %%EOF end marker)")


def _open(path: Path, data: bytes) -> pdfium.PdfDocument:
    """Open with the empty password, which unlocks owner-only encryption; name what is wrong."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise LoadError(path, "encrypted PDF (password required)") from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise LoadError(path, "encrypted PDF (unsupported encryption)") from exc
        detail = str(exc).removeprefix("Failed to load document (").rstrip(".)")
        raise LoadError(path, f"corrupt PDF ({detail})") from exc
    if len(pdf) == 0:
        pdf.close()
        raise LoadError(path, "corrupt PDF (no pages)")
    return pdf


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


def _extract(path: Path, pdf: pdfium.PdfDocument) -> tuple[list[list[_Line]], list[tuple[float, float]]]:
    """Every page's lines and vertical extent (bottom, top); an unreadable page is skipped, not fatal."""
    pages: list[list[_Line]] = []
    boxes: list[tuple[float, float]] = []
    failed: list[int] = []
    for index in range(len(pdf)):
        try:
            lines, box = _read_page(pdf, index)
        except pdfium.PdfiumError as exc:
            log.debug("page %d unreadable: %s", index + 1, exc)
            lines, box = [], (0.0, 0.0)
            failed.append(index + 1)
        pages.append(lines)
        boxes.append(box)
    if len(failed) == len(pages):
        raise LoadError(path, "corrupt PDF (no page could be read)")
    if failed:
        log.warning("%s: unreadable pages skipped: %s", path.name, failed)
    return pages, boxes


def _read_page(pdf: pdfium.PdfDocument, index: int) -> tuple[list[_Line], tuple[float, float]]:
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
        and a seamless join between letters is marked `_JOIN` for the
        document's vocabulary to judge (`_mend_joins`).
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
            text = text[: i - start] + _JOIN + text[i - start :]
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


def _lines(words: list[_Word], page: int) -> list[_Line]:
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


def _make_line(words: list[_Word], page: int) -> _Line:
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
        return _Line(text, page, 0.0, False, words[0].y)
    gaps = [b.x - a.right > a.size for a, b in zip(words, words[1:])]
    if gaps and _MARKER.match(words[0].text):
        gaps[0] = False  # the tab after a bullet or a heading number
    half = sum(sizes.values()) / 2
    return _Line(text, page, sizes.most_common(1)[0][0], bold > half, words[0].y, italic > half, any(gaps))


# --- page furniture ------------------------------------------------------------


def _body_size(pages: list[list[_Line]]) -> float:
    """The font size carrying most characters: the body text."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _drop_running(pages: list[list[_Line]], boxes: list[tuple[float, float]], body: float) -> list[list[_Line]]:
    """Remove running headers/footers and page numbers; never a line set larger than the body.

    The edge zone is the top and bottom margin band of the page by baseline
    (10% of the height, at least an inch); stream order says little, as Word
    writes the footer first. The first page's largest line (the title)
    repeated in a later page's edge zone is a running header too, even in a
    brief too short for repetition to prove it.
    """
    edges = []
    for lines, (bottom, top) in zip(pages, boxes):
        band = max(0.1 * (top - bottom), 72.0)
        edges.append([line.y is not None and not bottom + band < line.y < top - band for line in lines])
    keep = [[line.size >= body + 0.4 and not is_page_number(line.text) for line in lines] for lines in pages]
    drops = running_lines([[line.text for line in lines] for lines in pages], edges, keep)
    title = _norm(max(pages[0], key=lambda line: line.size).text) if pages[0] else ""
    for lines, page_edges, drop in zip(pages[1:], edges[1:], drops[1:]):
        drop.update(j for j, line in enumerate(lines) if page_edges[j] and _norm(line.text) == title)
    return [[line for j, line in enumerate(lines) if j not in drop] for lines, drop in zip(pages, drops)]


def _pitches(pages: list[list[_Line]]) -> dict[float, float]:
    """Usual baseline-to-baseline distance per font size: the yardstick for paragraph gaps."""
    gaps: dict[float, list[float]] = defaultdict(list)
    for lines in pages:
        for a, b in zip(lines, lines[1:]):
            if a.y is not None and b.y is not None and a.size == b.size and 0.8 * a.size < a.y - b.y < 2.5 * a.size:
                gaps[a.size].append(a.y - b.y)
    return {size: statistics.median(values) for size, values in gaps.items() if len(values) >= 3}


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


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _place_outline(entries: list[tuple[str, int, int]], pages: list[list[_Line]]) -> bool:
    """Mark the lines carrying each bookmark's title; True if the outline is usable.

    A usable outline has three entries or more and most of them found in the
    text. A bookmark whose title is not on its page becomes a heading line at
    the top of that page.
    """
    if len(entries) < 3:
        return False
    found: list[tuple[int, int, int, list[int]]] = []  # entry, page index, level, line indices
    for n, (title, level, page) in enumerate(entries):
        target = _norm(title)
        for p in (page - 1, page, page - 2):
            if 0 <= p < len(pages) and (hit := _find_title(target, pages[p])):
                found.append((n, p, level, hit))
                break
        else:
            found.append((n, page - 1, level, []))
    if sum(1 for f in found if f[3]) < 0.5 * len(entries):
        return False
    for n, p, level, hit in found:
        if p >= len(pages):
            continue
        if hit:
            for j in hit:
                pages[p][j].mark, pages[p][j].level = n, level
        else:
            title = entries[n][0]
            pages[p].insert(0, _Line(title, p + 1, 0.0, False, None, mark=n, level=level))
    return True


def _find_title(target: str, lines: list[_Line]) -> list[int]:
    """Indices of the consecutive lines (up to four) whose text is the title."""
    for i, line in enumerate(lines):
        if line.mark >= 0:
            continue
        acc = ""
        for j in range(i, min(i + 4, len(lines))):
            acc += _norm(lines[j].text)
            if acc == target or (acc.startswith(target) and len(acc) - len(target) <= 4):
                return list(range(i, j + 1))
            if not acc or not target.startswith(acc):
                break
    return []


# --- paragraphs and headings ---------------------------------------------------------


def _paragraphs(lines: list[_Line], pitch: dict[float, float], body: float) -> list[list[_Line]]:
    """Group a page's lines into paragraphs at gaps, font changes, list items and short lines."""
    widths = sorted(len(line.text.strip()) for line in lines if len(line.text.strip()) > 20)
    full = widths[int(0.8 * (len(widths) - 1))] if widths else 80  # characters in a full-width line
    paragraphs: list[list[_Line]] = []
    for line in lines:
        if paragraphs and not _breaks(paragraphs[-1][-1], line, pitch, full, body):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return paragraphs


def _breaks(prev: _Line, line: _Line, pitch: dict[float, float], full: int, body: float) -> bool:
    if prev.mark != line.mark:
        return True
    if line.mark >= 0:  # one bookmark's title, even across lines
        return False
    if abs(prev.size - line.size) >= 0.5:
        return True
    text, before = line.text.strip(), prev.text.strip()
    flows_on = text[:1].islower() and not ends_sentence(before)
    short = min(len(text), len(before)) < 0.75 * full
    if prev.bold != line.bold and not flows_on and (short or (line.bold and ends_sentence(before))):
        return True  # a bold title or a paragraph opening in bold; a bold lead-in sentence stays
    if _LIST_START.match(text) or headings.is_bullet(text) or headings.is_label(text) or headings.is_toc_line(before):
        return True
    if prev.y is not None and line.y is not None:
        dy = prev.y - line.y
        if dy < -0.5 * line.size:  # moved up: next column or a float; keep a sentence that flows on
            return not flows_on
        if dy > 1.3 * pitch.get(line.size, 1.25 * line.size):
            return True
    if line.size >= body + 0.4 and not before.endswith((".", "!", "?")):
        return False  # a display title running on after a colon: "Building foundations:"
    return ends_sentence(before) and len(before) < 0.75 * full


def _heading_levels(paragraphs: list[list[_Line]], body: float) -> dict[int, int]:
    """Which paragraphs are headings, and how deep: rank by font size, body-size rules last.

    A paragraph set larger than the body is a heading when it reads like one
    and its style mostly holds such lines (so chart labels in a big font do
    not count). At body size only bold text the text rules vouch for
    (numbered, known section, item title, ALL CAPS) qualifies.
    """
    texts = [" ".join(line.text.strip() for line in par) for par in paragraphs]
    tabular = [_tabular(paragraphs, i) for i in range(len(paragraphs))]
    styles: dict[tuple[float, bool], list[bool]] = defaultdict(list)
    big: dict[int, float] = {}
    for i, par in enumerate(paragraphs):
        size = par[0].size
        if size >= body + 0.4 and not par[0].italic and not tabular[i]:
            ok = headings.looks_like_heading(texts[i], max_words=30, allow_period=size >= body + 2)
            styles[(size, par[0].bold)].append(ok)
            if ok:
                big[i] = size
    good_styles = {style for style, oks in styles.items() if sum(oks) >= 0.5 * len(oks)}
    vouched = {"known", "numbered", "item"}  # text rules strong enough to overrule a mixed style
    big = {
        i: size
        for i, size in big.items()
        if (size, paragraphs[i][0].bold) in good_styles or headings.text_heading(texts[i]) in vouched
    }
    ranks = {size: rank + 1 for rank, size in enumerate(sorted(set(big.values()), reverse=True))}
    levels = {i: ranks[size] for i, size in big.items()}
    for i, par in enumerate(paragraphs):
        if i in levels or len(par) > 2 or abs(par[0].size - body) >= 0.4 or tabular[i]:
            continue
        kind = headings.text_heading(texts[i])
        if kind and (par[0].bold or (kind == "known" and headings.is_all_caps(texts[i]))):
            levels[i] = len(ranks) + 1
    return levels



def _tabular(paragraphs: list[list[_Line]], i: int) -> bool:
    """A table row, or a paragraph between two on its page (a cell, a figure label): never a heading."""

    def row(j: int) -> bool:
        return 0 <= j < len(paragraphs) and paragraphs[j][0].page == paragraphs[i][0].page and any(
            line.table for line in paragraphs[j]
        )

    return row(i) or (row(i - 1) and row(i + 1))
