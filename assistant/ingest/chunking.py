"""Sections -> chunks: the passages that are embedded, retrieved and cited.

A chunk never leaves its section, so the section path, type and criteria it
carries are true of all of its text, and its page span is the pages of that
text. Whole paragraphs are packed up to `size` characters; a paragraph that
does not fit is cut between sentences, an overlong sentence between clauses
and then between words, never inside a word. Each chunk after the first of a
section starts with about `overlap` characters of whole sentences from the one
before (see `_Packer.overlap_units`), so a passage cut at a boundary keeps its
context. Leftovers shorter than a quarter of `size` are folded into a
neighbour, while a short section (one recommendation under its own heading)
stays a chunk of its own; sections with no words of their own are dropped.

A chunk's criteria are the heading path's plus those of the paragraph topics
its own text belongs to (see `structure.topic_spans`); the repeated overlap
does not count, since it was tagged on the chunk it came from.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from assistant.ingest.sections import clean, paragraphs, path_criteria, topic_spans
from assistant.ingest.sentences import split_spans
from assistant.models import DAC_CRITERIA, Chunk, Section

_WORD = re.compile(r"[^\W\d_]{2,}")
_SEPARATORS = ("", " ", "\n\n")  # indexed by `_sep`


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence (or a piece of an overlong one): the atom chunks are packed from."""

    text: str
    paragraph: int
    first_page: int | None
    last_page: int | None
    criteria: tuple[str, ...]


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut an overlong sentence at the last clause break past half-way, else the last space."""
    pieces = []
    while end - start > size:
        window = text[start : start + size + 1]
        clause = max(window.rfind(p, size // 2) for p in ("; ", ": ", ", "))
        if clause > 0:
            cut = clause + 1
        elif (space := window.rfind(" ")) > 0:
            cut = space
        else:  # one word longer than size: keep it whole
            space = text.find(" ", start + size, end)
            cut = (space if space > 0 else end) - start
        pieces.append((start, start + cut))
        start += cut
        while start < end and text[start] == " ":
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def _units(section: Section, size: int) -> list[_Unit]:
    groups = paragraphs([b for b in section.blocks if b.text.strip()])
    texts = [[" ".join(b.text.split()) for b in group] for group in groups]
    paragraph_texts = [" ".join(parts) for parts in texts]
    units = []
    for number, (group, parts, text, spans) in enumerate(
        zip(groups, texts, paragraph_texts, topic_spans(section.path, paragraph_texts), strict=True)
    ):
        starts = [0, *accumulate(len(t) + 1 for t in parts[:-1])]
        span_starts = [offset for offset, _ in spans]
        for sentence_start, sentence_end in split_spans(text):
            for a, b in _split_long(text, sentence_start, sentence_end, size):
                pages = [blk.page for blk in group[bisect_right(starts, a) - 1 : bisect_right(starts, b - 1)]
                         if blk.page is not None]
                topic = bisect_right(span_starts, a) - 1
                units.append(
                    _Unit(
                        text=text[a:b],
                        paragraph=number,
                        first_page=min(pages) if pages else None,
                        last_page=max(pages) if pages else None,
                        criteria=tuple(spans[topic][1]) if topic >= 0 else (),
                    )
                )
    return units


def _sep(units: Sequence[_Unit], i: int) -> int:
    """Length of the separator before unit i: a space in a paragraph, a blank line between."""
    if i == 0:
        return 0
    return 1 if units[i].paragraph == units[i - 1].paragraph else 2


def _join(units: Sequence[_Unit]) -> str:
    return "".join(_SEPARATORS[_sep(units, i)] + u.text for i, u in enumerate(units))


class _Packer:
    """Groups one section's units into contiguous ranges, one per chunk."""

    def __init__(self, units: list[_Unit], size: int, overlap: int) -> None:
        self.units, self.size, self.overlap = units, size, overlap
        self.prefix = [0]
        for i, unit in enumerate(units):
            self.prefix.append(self.prefix[-1] + _sep(units, i) + len(unit.text))

    def length(self, a: int, b: int) -> int:
        """Characters of units[a:b] joined."""
        return self.prefix[b] - self.prefix[a] - _sep(self.units, a)

    def overlap_units(self, a: int, b: int, room: int) -> list[_Unit]:
        """The whole sentences ending units[a:b] to repeat: about `overlap` characters, at most `room`.

        When the last sentence alone is longer than `overlap`, it is still
        repeated up to twice that: report sentences are long, and a cut
        sentence would open the next chunk mid-thought.
        """
        first = b
        while first > a and self.length(first - 1, b) <= self.overlap:
            first -= 1
        if first == b > a and self.length(b - 1, b) <= 2 * self.overlap:
            first = b - 1
        while first < b and self.length(first, b) > room:
            first += 1
        return self.units[first:b]

    def ranges(self) -> list[tuple[int, int]]:
        """Greedy packing, preferring to end at a paragraph break, then tiny leftovers settled."""
        units, size, n = self.units, self.size, len(self.units)
        ranges: list[tuple[int, int]] = []
        i = 0
        while i < n:
            budget = size
            if ranges and (repeat := self.overlap_units(ranges[-1][0], i, size)):
                budget -= len(_join(repeat)) + _sep(units, i)
            j = i + 1
            while j < n and self.length(i, j + 1) <= budget:
                j += 1
            if j < n and units[j].paragraph == units[j - 1].paragraph:
                k = j - 1
                while k > i and units[k - 1].paragraph == units[k].paragraph:
                    k -= 1
                end = k
                while end < n and units[end].paragraph == units[k].paragraph:
                    end += 1
                if k > i and self.length(i, k) >= size // 2 and self.length(k, end) <= size:
                    j = k
            ranges.append((i, j))
            i = j
        return self._settle(ranges)

    def chunks(self) -> list[tuple[list[_Unit], list[_Unit]]]:
        """(repeated overlap, own text) per chunk; the overlap is trimmed to keep within size."""
        ranges = self.ranges()
        out = []
        for k, (a, b) in enumerate(ranges):
            repeat: list[_Unit] = []
            if k:
                room = self.size - self.length(a, b) - _sep(self.units, a)
                repeat = self.overlap_units(ranges[k - 1][0], a, room)
            out.append((repeat, self.units[a:b]))
        return out

    def _settle(self, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Fold ranges shorter than size/4 into a neighbour, or take sentences from the previous one."""
        small, size = self.size // 4, self.size
        k = 0
        while k < len(ranges):
            a, b = ranges[k]
            if len(ranges) == 1 or self.length(a, b) >= small:
                k += 1
            elif k > 0 and self.length(ranges[k - 1][0], b) <= size:
                ranges[k - 1 : k + 1] = [(ranges[k - 1][0], b)]
            elif k + 1 < len(ranges) and self.length(a, ranges[k + 1][1]) <= size:
                ranges[k : k + 2] = [(a, ranges[k + 1][1])]
            else:
                if k > 0:
                    start = ranges[k - 1][0]
                    while a - 1 > start and self.length(a, b) < small and self.length(a - 1, b) <= size:
                        a -= 1
                    ranges[k - 1 : k + 1] = [(start, a), (a, b)]
                k += 1
        return ranges


def _meaningful(section: Section, units: Sequence[_Unit]) -> bool:
    """Has at least a few words of its own, beyond a repeated heading or a page number."""
    text = " ".join(u.text for u in units[:3])
    if section.path and len(units) == 1 and clean(text).casefold() == clean(section.path[-1]).casefold():
        return False
    return sum(1 for _ in zip(range(3), _WORD.finditer(text))) == 3


def chunk_sections(sections: Sequence[Section], doc_id: str, size: int = 900, overlap: int = 150) -> list[Chunk]:
    """Chunks of at most `size` characters (bar a single word longer than that), in document order.

    Ids are `{doc_id}:{index:05d}` over the document, so the same input always
    gives the same ids.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"need size > 0 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    chunks: list[Chunk] = []
    for section in sections:
        units = _units(section, size)
        if not units or not _meaningful(section, units):
            continue
        heading_criteria = path_criteria(section.path)
        for repeat, body in _Packer(units, size, overlap).chunks():
            pages = [p for u in repeat + body for p in (u.first_page, u.last_page) if p is not None]
            marks = _page_marks(repeat + body)
            criteria = {*heading_criteria, *(c for u in body for c in u.criteria)}
            index = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}:{index:05d}",
                    doc_id=doc_id,
                    index=index,
                    text=_join(repeat + body),
                    section=section.title,
                    section_type=section.type,
                    criteria=[c for c in DAC_CRITERIA if c in criteria],
                    page=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    page_marks=marks if len(marks) > 1 else [],
                )
            )
    return chunks


def _page_marks(units: Sequence[_Unit]) -> list[tuple[int, int]]:
    """(offset in the joined text, page) wherever a unit starts on another page than the one before."""
    marks: list[tuple[int, int]] = []
    offset = 0
    for i, unit in enumerate(units):
        offset += _sep(units, i)
        if unit.first_page is not None and (not marks or marks[-1][1] != unit.first_page):
            marks.append((offset, unit.first_page))
        offset += len(unit.text)
    return marks
