"""Evidence for a citation: "show me where it says that".

A PDF citation is shown as its page, rendered, with the cited sentences
marked by semi-transparent boxes, one per text line (marks.py finds them);
any other format as the passage within its section's text, with the
sentences' character spans for the viewer to mark.

It lives with answering because it serves an answer's citations, reading
the stored chunk (index) and the original file the way ingest does. The
cost is bounded: the render scale is capped, rendered pages are kept in a
small LRU, and PDFium runs under the loaders' process-wide lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.answer.marks import Box, draw, find_boxes, fold, locate, spans_in
from assistant.index.store import Store
from assistant.ingest.sentences import split_spans
from assistant.models import Document, content_id, page_at

__all__ = ["CACHE_ENTRIES", "MAX_SENTENCE_CHARS", "MAX_SENTENCES", "Evidence", "EvidenceError", "PageImage",
           "PassageView"]

CACHE_ENTRIES = 24  # rendered pages kept (a few hundred KB each)
MAX_SENTENCES = 8
MAX_SENTENCE_CHARS = 3000
CONTEXT_CHUNKS = 4  # chunks of the section shown before and after a passage


class EvidenceError(ValueError):
    """Evidence that cannot be shown; `status` is the HTTP code it maps to, the message says why."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PageImage:
    """A rendered page and where its highlights are (`boxes`, in PDF points, one per text line)."""

    png: bytes
    page: int  # 1-based
    pages: int  # the document's page count
    scale: float  # pixels per PDF point
    boxes: tuple[Box, ...]
    mark_top: float | None = None  # how far down the image the first mark starts (0-1); None: nothing marked


class PassageView(BaseModel):
    """A passage within its section's text, for formats without pages (and as a text view of any)."""

    doc_id: str
    chunk_id: str
    source: str
    title: str = ""
    format: str
    section: str = ""
    page: int | None = None
    text: str  # the section's text around the passage
    passage: tuple[int, int]  # the passage's span in `text`
    highlights: list[tuple[int, int]]  # the cited sentences' spans in `text`; the passage's when none is found
    more_before: bool = False  # the section goes on before `text`
    more_after: bool = False


class Evidence:
    """Page images and passage views over one store; thread-safe."""

    def __init__(self, store: Store):
        self.store = store
        self._cache: OrderedDict[tuple, PageImage] = OrderedDict()
        self._lock = threading.Lock()
        self._hashes: dict[tuple[str, float, int], str] = {}

    def page_image(self, doc: Document, page: int, chunk_id: str | None = None,
                   sentences: Sequence[str] = ()) -> PageImage:
        """Page `page` of a PDF document, with the cited `sentences` of passage `chunk_id` marked.

        Without sentences (or when none of them is in the passage: a
        paraphrase) the passage's own text on that page is marked; a page
        where none of it is, as the next one, comes unmarked.
        """
        sentences = _checked(sentences)
        if doc.format != "pdf":
            raise EvidenceError(f"{doc.source} is a {doc.format} document, which has no pages to show; "
                                f"GET /api/documents/{doc.doc_id}/passages/<chunk_id> shows a passage in its section",
                                415)
        if page < 1 or (doc.pages and page > doc.pages):
            raise EvidenceError(_out_of_range(doc, page, doc.pages), 404)
        key = (doc.doc_id, page, chunk_id, tuple(sentences))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        targets = self._targets(self._chunk(doc, chunk_id), page, sentences) if chunk_id else list(sentences)
        image = self._render(doc, self._verified(doc), page, targets)
        with self._lock:
            self._cache[key] = image
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return image

    def passage_view(self, doc: Document, chunk_id: str, sentences: Sequence[str] = ()) -> PassageView:
        """The passage within its section's text (up to CONTEXT_CHUNKS chunks either side), sentences marked."""
        sentences = _checked(sentences)
        text, meta = self._chunk(doc, chunk_id)
        section = meta.get("section", "")
        rows = sorted(
            (m.get("index", 0), t) for _, t, m in self.store.iter_chunks(where={"$and": [
                {"doc_id": doc.doc_id}, {"section": section}]})
        )
        indexes = [i for i, _ in rows]
        at = indexes.index(meta.get("index", 0))
        first = last = at
        while first > 0 and indexes[first - 1] == indexes[first] - 1 and at - first < CONTEXT_CHUNKS:
            first -= 1
        while last + 1 < len(rows) and indexes[last + 1] == indexes[last] + 1 and last - at < CONTEXT_CHUNKS:
            last += 1
        joined, spans = _join([t for _, t in rows[first : last + 1]])
        passage = spans[at - first]
        highlights = spans_in(joined, sentences, within=passage) if sentences else []
        more_before = first > 0 and indexes[first - 1] == indexes[first] - 1
        more_after = last + 1 < len(rows) and indexes[last + 1] == indexes[last] + 1
        return PassageView(doc_id=doc.doc_id, chunk_id=chunk_id, source=doc.source, title=doc.title,
                           format=doc.format, section=section, page=meta.get("page"), text=joined,
                           passage=passage, highlights=highlights or [passage],
                           more_before=more_before, more_after=more_after)

    # -- inside ----------------------------------------------------------------------

    def _chunk(self, doc: Document, chunk_id: str) -> tuple[str, dict[str, Any]]:
        got = self.store.get_chunks([chunk_id])
        if not got or got[0][2].get("doc_id") != doc.doc_id:
            raise EvidenceError(f"no passage {chunk_id!r} in {doc.source}", 404)
        return got[0][1], got[0][2]

    @staticmethod
    def _targets(chunk: tuple[str, dict[str, Any]], page: int, sentences: list[str]) -> list[str]:
        """What to mark: the sentences found in the passage, else the passage's sentences on `page`."""
        text, meta = chunk
        if sentences:
            folded = fold(text)[0]
            inside = [s for s in sentences if locate(folded, fold(s)[0])]
            if inside:
                return inside
        marks = [[int(x) for x in mark.split(":")] for mark in meta["page_marks"].split(",")] \
            if meta.get("page_marks") else []
        first = meta.get("page")
        return [text[a:b] for a, b in split_spans(text)
                if (page_at(marks, a, first) or 0) <= page <= (page_at(marks, b - 1, first) or 0)]

    def _verified(self, doc: Document) -> Path:
        """The indexed file, if it still holds the indexed content (else the boxes would be wrong)."""
        path = Path(doc.path)  # from the index, never from a request
        try:
            stat = path.stat()
            key = (str(path), stat.st_mtime, stat.st_size)
            if key not in self._hashes:
                self._hashes[key] = content_id(path.read_bytes())
        except OSError:
            raise EvidenceError(f"{doc.source}: the file at its indexed location is gone; re-ingest it", 409) from None
        if self._hashes[key] != doc.doc_id:
            raise EvidenceError(f"{doc.source}: the file at its indexed location changed; re-ingest it", 409)
        return path

    def _render(self, doc: Document, path: Path, page: int, targets: list[str]) -> PageImage:
        import pypdfium2 as pdfium

        from assistant.ingest.loaders.pdf import PDFIUM_LOCK  # PDFium is not thread-safe: one lock process-wide

        with PDFIUM_LOCK:
            try:
                pdf = pdfium.PdfDocument(str(path))
            except pdfium.PdfiumError as exc:
                raise EvidenceError(f"{doc.source}: PDFium cannot open it now ({exc})", 409) from None
            try:
                if page > len(pdf):
                    raise EvidenceError(_out_of_range(doc, page, len(pdf)), 404)
                pdf_page = pdf[page - 1]
                try:
                    boxes = find_boxes(pdf_page, targets) if targets else []
                    png, scale, top = draw(pdf_page, boxes)
                finally:
                    pdf_page.close()
                return PageImage(png=png, page=page, pages=len(pdf), scale=scale, boxes=tuple(boxes), mark_top=top)
            finally:
                pdf.close()


def _join(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Consecutive chunks of a section as one text (each starts with the end of the one before: dropped),
    with each chunk's span in it."""
    joined, spans = "", []
    for text in texts:
        overlap = _overlap(joined, text)
        if not overlap and joined:
            joined += "\n\n"
        start = len(joined) - overlap
        joined += text[overlap:]
        spans.append((start, len(joined)))
    return joined, spans


def _overlap(before: str, after: str) -> int:
    """The length of the longest end of `before` that `after` starts with (the chunk overlap)."""
    probe = after[:40]
    if not before or not probe:
        return 0
    at = before.find(probe, max(0, len(before) - len(after)))
    while at >= 0:
        if after.startswith(before[at:]):
            return len(before) - at
        at = before.find(probe, at + 1)
    return 0


def _checked(sentences: Sequence[str]) -> list[str]:
    """The sentences to mark, within bounds: each is looked for piece by piece over a whole page."""
    sentences = [s for s in sentences if s and s.strip()]
    if len(sentences) > MAX_SENTENCES:
        raise EvidenceError(f"at most {MAX_SENTENCES} sentences to mark, got {len(sentences)}")
    if any(len(s) > MAX_SENTENCE_CHARS for s in sentences) or sum(map(len, sentences)) > 2 * MAX_SENTENCE_CHARS:
        raise EvidenceError(f"the sentences to mark are over {MAX_SENTENCE_CHARS} characters each "
                            f"or {2 * MAX_SENTENCE_CHARS} in all")
    return sentences


def _out_of_range(doc: Document, page: int, pages: int | None) -> str:
    return f"{doc.source} has no page {page}" + (f" (pages 1-{pages})" if pages else "")
