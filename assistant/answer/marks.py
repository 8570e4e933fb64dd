"""Finding cited text on a PDF page by its letters, and marking it on the rendered page.

The stored chunk text went through cleaning (hyphens joined, lines
reflowed, running heads dropped), so a sentence is found by its letters and
digits alone (`fold`), piece by piece where the page has a footnote mark or
a heading in between (`locate`), then mapped back to PDFium's characters,
whose boxes are merged into one per text line (`line_boxes`) and tinted into
the page rendered at a capped scale (`draw`).
"""

from __future__ import annotations

import bisect
import ctypes
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np

from assistant.ingest.sentences import split_spans

__all__ = [
    "MAX_EDGE_PX",
    "MAX_SCALE",
    "Box",
    "draw",
    "find_boxes",
    "fold",
    "line_boxes",
    "locate",
    "render_scale",
    "spans_in",
]

Box = tuple[float, float, float, float]  # left, bottom, right, top, in PDF points

MAX_SCALE = 2.0  # 144 dpi: small print stays readable
MAX_EDGE_PX = 2000  # a poster-sized page is scaled down to this, not rendered at MAX_SCALE
MIN_ANCHOR = 24  # folded characters a match must start with, so a few common words cannot anchor it
MIN_PIECE = 6  # folded characters of each later piece of a match
MAX_GAP = 160  # folded characters a match may skip on the page (a footnote mark, a heading between columns)
MAX_SKIP = 12  # folded characters of the sentence skipped before a match must anchor again
_CLOSING = frozenset(".,;:!?…)]}\"'”’»%")
_TINT = np.array([1.0, 0.84, 0.22])  # multiplied in: white paper turns amber, black ink stays black


def fold(text: str) -> tuple[str, list[int]]:
    """Letters and digits only, lower case and without accents, with each one's index in `text`.

    Spacing, punctuation, hyphens and line breaks carry no weight, so a
    sentence matches across a reflowed line, a line-break hyphen or a column
    break; ligatures are spelt out (NFKD).
    """
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            if ch.isalnum():
                chars.append(ch.lower())
                where.append(i)
            continue
        for c in unicodedata.normalize("NFKD", ch).casefold():
            if c.isalnum():
                chars.append(c)
                where.append(i)
    return "".join(chars), where


def locate(hay: str, needle: str) -> list[tuple[int, int]]:
    """Where `needle` runs in `hay` (both folded), as spans of `hay` in order; [] when it is not there.

    Exact first. Else piece by piece, each the longest run of the needle
    found at most MAX_GAP past the last piece, so a footnote mark or a running
    head in between does not lose the sentence, and a sentence that starts or
    ends on another page is found for the part that is here. The first piece
    must be MIN_ANCHOR long, so a few common words do not anchor a match (nor
    the first after MAX_SKIP unmatched characters); what comes before it is
    then matched backwards from it.
    """
    if not needle:
        return []
    at = hay.find(needle)
    if at >= 0:
        return [(at, at + len(needle))]
    if len(needle) < MIN_ANCHOR:
        return []
    spans, lead = _pieces(hay, needle, anchored=False)
    if spans and lead:  # the needle's opening, read backwards from the anchor
        start = spans[0][0]
        window = hay[max(0, start - MAX_GAP - lead) : start][::-1]
        back, _ = _pieces(window, needle[:lead][::-1], anchored=True)
        spans = [(start - b, start - a) for a, b in reversed(back)] + spans
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _pieces(hay: str, needle: str, anchored: bool) -> tuple[list[tuple[int, int]], int]:
    """The forward piecewise match of `locate`, and where in the needle its first piece starts.

    `anchored`: the match is already placed just before `hay` starts, so
    the first piece need only be MIN_PIECE long, within MAX_GAP.
    """
    spans: list[tuple[int, int]] = []
    t = lo = skipped = lead = 0
    while t < len(needle):
        placed = bool(spans) or anchored
        near = placed and skipped <= MAX_SKIP
        need = min(MIN_PIECE if near else MIN_ANCHOR, len(needle) - t)
        piece = _longest(hay, needle, t, lo, MAX_GAP if placed else None, need)
        if piece is None:
            if not near and len(needle) - t < MIN_ANCHOR:
                break
            t, skipped = t + 1, skipped + 1
            continue
        start, length = piece
        if not spans:
            lead = t
        spans.append((start, start + length))
        lo, t, skipped = start + length, t + length, 0
    return spans, lead


def _longest(hay: str, needle: str, t: int, lo: int, gap: int | None, need: int) -> tuple[int, int] | None:
    """(start, length) of the longest prefix of `needle[t:]` in `hay` starting in [lo, lo + gap]; None under `need`."""

    def find(length: int) -> int:
        end = len(hay) if gap is None else min(len(hay), lo + gap + length)
        return hay.find(needle[t : t + length], lo, end)

    if need <= 0 or find(need) < 0:
        return None
    good, bad = need, len(needle) - t + 1
    while bad - good > 1:
        mid = (good + bad) // 2
        if find(mid) >= 0:
            good = mid
        else:
            bad = mid
    return find(good), good


def spans_in(text: str, sentences: Iterable[str], within: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Character spans of `text` holding the sentences, preferring a match inside `within`."""
    hay, where = fold(text)
    out: list[tuple[int, int]] = []
    for sentence in _sentences(sentences):
        needle = fold(sentence)[0]
        found: list[tuple[int, int]] = []
        if within is not None:
            a, b = bisect.bisect_left(where, within[0]), bisect.bisect_left(where, within[1])
            found = [(x + a, y + a) for x, y in locate(hay[a:b], needle)]
        found = found or locate(hay, needle)
        out += [(where[x], _closed(text, where[y - 1] + 1)) for x, y in found]
    return _merged(text, out)


def _closed(text: str, end: int) -> int:
    """`end` moved past the punctuation that closes the words before it (folding dropped it)."""
    while end < len(text) and text[end] in _CLOSING:
        end += 1
    return end


def _sentences(texts: Iterable[str]) -> list[str]:
    """Each text's sentences: an answer may join a table's cells, or an item's title and text, into one."""
    return [text[a:b] for text in texts for a, b in split_spans(text)]


def _merged(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans, with overlapping ones and ones apart only by spaces or punctuation joined."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and (a <= out[-1][1] or not any(c.isalnum() for c in text[out[-1][1] : a])):
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


# --- on the page -------------------------------------------------------------------------


def find_boxes(page: Any, targets: list[str]) -> list[Box]:
    """One box per text line over the page characters that hold the targets."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range()
        if len(text) != count:  # the text view can drop or add characters: index by the character list itself
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count))
        hay, where = fold(text)
        chosen: set[int] = set()
        for sentence in _sentences(targets):
            for a, b in locate(hay, fold(sentence)[0]):
                chosen.update(range(where[a], _closed(text, where[b - 1] + 1)))
        boxes = (textpage.get_charbox(i, loose=True) for i in sorted(chosen) if not text[i].isspace())
        return [(left - 0.5, bottom, right + 0.5, top) for left, bottom, right, top in line_boxes(boxes)]
    finally:
        textpage.close()


def draw(page: Any, boxes: list[Box]) -> tuple[bytes, float, float | None]:
    """The page as PNG at a capped scale, each box tinted in (multiplied, so the text stays legible);
    with the scale and how far down the image (0-1) the first mark is, for a viewer to scroll to."""
    import pypdfium2.raw as pdfium_c

    scale = render_scale(*page.get_size())
    bitmap = page.render(scale=scale, rev_byteorder=True)
    try:
        pixels = np.array(bitmap.to_numpy()[..., :3], dtype=np.uint8)
    finally:
        bitmap.close()
    height, width = pixels.shape[:2]
    x, y = ctypes.c_int(), ctypes.c_int()
    first: float | None = None
    for left, bottom, right, top in boxes:
        corners = []
        for px, py in ((left, bottom), (right, top)):
            pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, width, height, 0, px, py, x, y)  # rotation and crop box included
            corners.append((x.value, y.value))
        (x0, y0), (x1, y1) = corners
        x0, x1 = sorted((max(0, min(width, x0)), max(0, min(width, x1))))
        y0, y1 = sorted((max(0, min(height, y0)), max(0, min(height, y1))))
        region = pixels[y0:y1, x0:x1]
        region[:] = (region * _TINT).astype(np.uint8)
        first = min(first, y0 / height) if first is not None else y0 / height
    return _png(pixels), scale, first


def line_boxes(boxes: Iterable[Box]) -> list[Box]:
    """Character boxes in reading order -> one box per text line.

    A character starts a new line when it does not sit beside the last one:
    higher or lower, back to the left, or far to the right (the next column
    on the same baseline).
    """
    lines: list[Box] = []
    for box in boxes:
        left, bottom, right, top = box
        if right <= left or top <= bottom:
            continue
        if lines:
            l0, b0, r0, t0 = lines[-1]
            height = max(t0 - b0, top - bottom)
            middle = (bottom + top) / 2
            if b0 - 0.1 * height <= middle <= t0 + 0.1 * height and r0 - height <= left <= r0 + 3 * height:
                lines[-1] = (min(l0, left), min(b0, bottom), max(r0, right), max(t0, top))
                continue
        lines.append(box)
    return lines


def render_scale(width: float, height: float) -> float:
    """Pixels per point: MAX_SCALE, less for a page whose longer edge would pass MAX_EDGE_PX."""
    return min(MAX_SCALE, MAX_EDGE_PX / max(width, height, 1.0))


def _png(pixels: np.ndarray) -> bytes:
    """An RGB array as PNG."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels[..., :3], dtype=np.uint8), "RGB").save(out, "PNG", compress_level=6)
    return out.getvalue()
