"""A PDF's lines -> paragraphs and headings: the layout rules, with no PDFium in them.

pdf.py reads each page's lines with their font size, boldness and baseline;
this module decides what a human reader sees: running headers and footers
to drop, where a paragraph ends (a vertical gap, a font change, a list
item), and which paragraphs are headings and how deep (the outline when
the file has a usable one, else font sizes ranked, then body-size rules).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from assistant.ingest.cleaning import ends_sentence, is_page_number, running_lines
from assistant.ingest.loaders import headings

__all__ = [
    "JOIN",
    "Line",
    "body_size",
    "drop_running",
    "heading_levels",
    "mend_joins",
    "paragraphs",
    "pitches",
    "place_outline",
]

JOIN = "\u200b"  # marks a seamless join of two text objects inside a word, for `mend_joins` to decide
_JOINED = re.compile(f"([^\\W\\d_]*){JOIN}(?=([^\\W\\d_]*))")
_PREFIXES = frozenset("un re in de co dis pre non sub".split())  # `un|necessary` is one word, though `UN` is one too
_VOUCHED = {"known", "numbered", "item"}  # text rules strong enough to overrule a mixed or italic style
_LIST_START = re.compile(r"^\s*(?:[•▪■□◦○●➢►✓✔→*–-]\s|\(?[a-z0-9]{1,2}[.)]\s|\d{1,2}\.\d{1,2}\.?\s+(?=[^\W\d_]))")


@dataclass
class Line:
    """One line of a page as PDFium set it: its text and dominant style, and what the layout rules made of it."""

    text: str
    page: int  # 1-based
    size: float
    bold: bool
    y: float | None  # baseline
    italic: bool = False
    table: bool = False  # holds a column gap: a table row or a multi-column strip
    mark: int = -1  # outline entry placed on this line
    level: int = 0


def mend_joins(pages: list[list[Line]], vocab: Counter[str]) -> None:
    """Split a seamless join into two words where the document writes both but never the whole (`area|and`)."""
    marked = [line for lines in pages for line in lines if JOIN in line.text]
    joined = Counter((m.group(1) + m.group(2)).lower() for line in marked for m in _JOINED.finditer(line.text))

    def mend(match: re.Match) -> str:
        left, right = match.group(1), match.group(2)
        whole = (left + right).lower()
        if vocab[whole] > joined[whole] or (left.lower() in _PREFIXES and len(right) > 3):
            return left
        return f"{left} " if all(len(half) > 1 and vocab[half.lower()] > 1 for half in (left, right)) else left

    for line in marked:
        line.text = _JOINED.sub(mend, line.text)


def body_size(pages: list[list[Line]]) -> float:
    """The font size carrying most characters: the body text."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def drop_running(pages: list[list[Line]], boxes: list[tuple[float, float]], body: float) -> list[list[Line]]:
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


def pitches(pages: list[list[Line]]) -> dict[float, float]:
    """Usual baseline-to-baseline distance per font size: the yardstick for paragraph gaps."""
    gaps: dict[float, list[float]] = defaultdict(list)
    for lines in pages:
        for a, b in zip(lines, lines[1:]):
            if a.y is not None and b.y is not None and a.size == b.size and 0.8 * a.size < a.y - b.y < 2.5 * a.size:
                gaps[a.size].append(a.y - b.y)
    return {size: statistics.median(values) for size, values in gaps.items() if len(values) >= 3}


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def place_outline(entries: list[tuple[str, int, int]], pages: list[list[Line]]) -> bool:
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
            pages[p].insert(0, Line(title, p + 1, 0.0, False, None, mark=n, level=level))
    return True


def _find_title(target: str, lines: list[Line]) -> list[int]:
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


def paragraphs(lines: list[Line], pitch: dict[float, float], body: float) -> list[list[Line]]:
    """Group a page's lines into paragraphs at gaps, font changes, list items and short lines."""
    widths = sorted(len(line.text.strip()) for line in lines if len(line.text.strip()) > 20)
    full = widths[int(0.8 * (len(widths) - 1))] if widths else 80  # characters in a full-width line
    paragraphs: list[list[Line]] = []
    for line in lines:
        if paragraphs and not _breaks(paragraphs[-1][-1], line, pitch, full, body):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return paragraphs


def _breaks(prev: Line, line: Line, pitch: dict[float, float], full: int, body: float) -> bool:
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


def heading_levels(paragraphs: list[list[Line]], body: float) -> dict[int, int]:
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
        # Italic display text is a quote or a caption, unless it names a part of the report ("RECOMMENDATIONS").
        italic_quote = par[0].italic and headings.text_heading(texts[i]) not in _VOUCHED
        if size >= body + 0.4 and not italic_quote and not tabular[i]:
            ok = headings.looks_like_heading(texts[i], max_words=30, allow_period=size >= body + 2)
            styles[(size, par[0].bold)].append(ok)
            if ok:
                big[i] = size
    good_styles = {style for style, oks in styles.items() if sum(oks) >= 0.5 * len(oks)}
    big = {
        i: size
        for i, size in big.items()
        if (size, paragraphs[i][0].bold) in good_styles or headings.text_heading(texts[i]) in _VOUCHED
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


def _tabular(paragraphs: list[list[Line]], i: int) -> bool:
    """A table row, or a paragraph between two on its page (a cell, a figure label): never a heading."""

    def row(j: int) -> bool:
        return 0 <= j < len(paragraphs) and paragraphs[j][0].page == paragraphs[i][0].page and any(
            line.table for line in paragraphs[j]
        )

    return row(i) or (row(i - 1) and row(i + 1))


