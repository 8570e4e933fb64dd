"""The in-memory copy of the index: every chunk's text, metadata, vectors and sentences, and its BM25.

Chroma is the source of truth; this copy is a cache of it, rebuilt when
stale. Its freshness key is the set of complete documents in the registry,
so an ingest by another process or another machine (a shared Chroma
server) is noticed. Searches read it instead of Chroma: exact dense scans,
sentence similarities in one matrix product, BM25 over the same rows.
"""

from __future__ import annotations

import math
import re
import threading
import time
from typing import NamedTuple, Protocol

import numpy as np

from assistant.embed.context import document_about
from assistant.index.bm25 import Bm25
from assistant.index.filters import Filters
from assistant.index.packing import SENTENCE_KEYS, unpack_sentences
from assistant.index.store import COMPLETE, Store
from assistant.index.tokens import doc_tokens

__all__ = ["EXACT_DENSE_MAX", "FRESHNESS_SECONDS", "SPREAD_PRIOR", "DocOutline", "Marker", "Snapshot"]

# Up to this many chunks, dense search scans an in-memory float32 copy (77 MB at
# the limit) exactly; past it Chroma's HNSW index is faster than a full scan.
EXACT_DENSE_MAX = 50_000
FRESHNESS_SECONDS = 2.0  # how stale the copy may be before the registry is read again
SPREAD_PRIOR = 2  # chunks without the word added to a document's count when judging how far a word runs through it


class Marker(Protocol):
    """What a sentence holding the kind of answer asked for has in it: a compiled pattern or a name list."""

    @property
    def pattern(self) -> str: ...  # names it, for the cache

    def search(self, text: str, /) -> object: ...


class DocOutline(NamedTuple):
    title: str
    kind: str
    section_types: frozenset[str]


class Snapshot:
    """Every complete document's chunks in memory, row-aligned: ids, texts, metadata, vectors, sentences, BM25."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._key: frozenset[str] | None = None
        self._checked = 0.0
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.metas: list[dict] = []
        self.bm25 = Bm25([])
        self._row: dict[str, int] = {}
        self._by_doc: dict[str, list[int]] = {}
        self.languages: dict[str, np.ndarray] = {}  # language -> which rows are in it, for each one present
        self._doc_df: dict[str, dict[str, int]] = {}  # doc -> its chunks' document frequencies
        self._docs_with: dict[str, int] = {}  # term -> how many documents have it
        self._marks: dict[tuple[str, int], np.ndarray] = {}  # (pattern, row) -> which sentences match
        self._flat: dict[int, str] = {}
        self._vectors = np.zeros((0, 1), np.float32)  # every chunk's dense vector, row-aligned with ids
        self._last_mask: tuple | None = None
        # (spans, float16 vectors, per-chunk offsets): every chunk's sentences
        self._sentences = (np.zeros((0, 2), np.int32), np.zeros((0, 1), np.float16), np.zeros(1, np.int64))

    def invalidate(self) -> None:
        self._checked = 0.0

    def warm(self) -> bool:
        """Can a search run now without rebuilding? (Reads the registry at most
        every 2 s, like every other call; never rebuilds, never waits for one.)"""
        if self._checked_lately():
            return True
        if not self._lock.acquire(blocking=False):  # a rebuild is under way
            return False
        try:
            if self._indexed() != self._key:
                return False
            self._checked = time.monotonic()
            return True
        finally:
            self._lock.release()

    def refresh(self) -> None:
        """Rebuild if the registry's complete documents changed (looked at every FRESHNESS_SECONDS)."""
        if self._checked_lately():
            return
        with self._lock:
            key = self._indexed()
            if key != self._key:
                self._build(key)
            self._checked = time.monotonic()

    def _checked_lately(self) -> bool:
        return time.monotonic() - self._checked < FRESHNESS_SECONDS and self._key is not None

    def _indexed(self) -> frozenset[str]:
        """The documents completely indexed now: what the in-memory copy must hold."""
        return frozenset(r["doc_id"] for r in self.store.registry() if r.get("status") == COMPLETE)

    def _build(self, key: frozenset[str]) -> None:
        ids, texts, metas, corpus = [], [], [], []
        spans: list[tuple[int, int]] = []
        vecs: list[np.ndarray] = []
        offsets, chunk_vecs = [0], []
        for chunk_id, text, meta, vector in self.store.iter_chunks_with_vectors():
            if meta.get("doc_id") not in key:
                continue
            chunk_vecs.append(np.asarray(vector, dtype=np.float32))
            sents = unpack_sentences(meta, dtype=np.float16)  # decoded once, kept as one matrix
            meta = {k: v for k, v in meta.items() if k not in SENTENCE_KEYS}
            spans.extend((a, b) for a, b, _ in sents)
            vecs.extend(v for _, _, v in sents)
            offsets.append(len(spans))
            ids.append(chunk_id)
            texts.append(text)
            metas.append(meta)
            about = document_about(meta.get("organisation"), meta.get("countries") or ())
            context = f"{about} {meta.get('title', '')} {meta.get('section', '')} {text}"
            corpus.append(doc_tokens(context, meta.get("language")))
        doc_df: dict[str, dict[str, int]] = {}
        for tokens, meta in zip(corpus, metas):
            own = doc_df.setdefault(meta.get("doc_id", ""), {})
            for t in set(tokens):
                own[t] = own.get(t, 0) + 1
        vectors = np.vstack(chunk_vecs) if chunk_vecs else np.zeros((0, 1), dtype=np.float32)
        # float32 while small enough to scan whole (see `nearest`); float16 halves a big copy
        self._vectors = vectors if len(vectors) <= EXACT_DENSE_MAX else vectors.astype(np.float16)
        self._sentences = (
            np.asarray(spans, dtype=np.int32).reshape(-1, 2),
            np.vstack(vecs) if vecs else np.zeros((0, 1), dtype=np.float16),
            np.asarray(offsets, dtype=np.int64),
        )
        self.ids, self.texts, self.metas, self.bm25, self._key = ids, texts, metas, Bm25(corpus), key
        self._row = {chunk_id: i for i, chunk_id in enumerate(ids)}
        by_doc: dict[str, list[int]] = {}
        for i, meta in enumerate(metas):
            by_doc.setdefault(meta.get("doc_id", ""), []).append(i)
        self._by_doc = by_doc
        languages = np.array([m.get("language") or "" for m in metas], dtype=object)
        self.languages = {lang: rows for lang in set(languages) if lang and (rows := languages == lang).any()}
        self._doc_df = doc_df
        docs_with: dict[str, int] = {}
        for own in doc_df.values():
            for t in own:
                docs_with[t] = docs_with.get(t, 0) + 1
        self._docs_with = docs_with
        self._marks = {}
        self._flat = {}  # row -> its words, for locate(); filled as asked

    def rows(self, chunk_ids) -> dict[str, tuple[str, dict]]:
        """(text, metadata) of the given chunks that this index holds."""
        self.refresh()
        return {c: (self.texts[self._row[c]], self.metas[self._row[c]]) for c in chunk_ids if c in self._row}

    def locate(self, doc_id: str, text: str) -> str | None:
        """The chunk of a document where a piece of its text (e.g. a record) starts."""
        self.refresh()
        words = re.findall(r"\w+", text.lower())
        if not words:
            return None
        rows = self._by_doc.get(doc_id, [])
        flat, texts = self._flat, self.texts
        for i in rows:
            if i not in flat:
                flat[i] = " ".join(re.findall(r"\w+", texts[i].lower()))
        for size in (12, 6):  # a long opening first; a short one if a page break split the long one
            probe = " ".join(words[:size])
            for i in rows:
                if probe in flat[i]:
                    return self.ids[i]
        return None

    def sentences(self, chunk_ids) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """Each chunk's sentences as (start, end, vector), from the in-memory copy where it has them."""
        self.refresh()
        row, (spans, vecs, offsets) = self._row, self._sentences
        out, missing = {}, []
        for c in chunk_ids:
            if c not in row:
                missing.append(c)
                continue
            a, b = offsets[row[c]], offsets[row[c] + 1]
            out[c] = [(int(s), int(e), v) for (s, e), v in zip(spans[a:b], vecs[a:b].astype(np.float32))]
            if not out[c] and self.texts[row[c]].strip():  # stored without sentences: the chunk is one
                out[c] = [(0, len(self.texts[row[c]]), self._vectors[row[c]].astype(np.float32))]
        if missing:  # indexed a moment ago, by this or another process
            out.update(self.store.sentences_of(missing))
        return out

    def best_sentences(
        self, chunk_ids, vectors: list[np.ndarray], marked: Marker | None = None, bonus: float = 0.0
    ) -> list[dict[str, float]]:
        """Each chunk's best sentence similarity to each query vector, in one matrix product.

        With `marked`, sentences matching that pattern (the kind of answer the
        question asks for, see `answer_types.answer_pattern`) score `bonus` more.
        """
        self.refresh()
        row, (_, vecs, offsets) = self._row, self._sentences
        known = [c for c in chunk_ids if c in row]
        out: list[dict[str, float]] = [{} for _ in vectors]
        if known:
            rows = np.fromiter((row[c] for c in known), dtype=np.int64, count=len(known))
            starts, lengths = offsets[rows], offsets[rows + 1] - offsets[rows]
            has = lengths > 0
            known = [c for c, h in zip(known, has) if h]
            starts, lengths = starts[has], lengths[has]
        if known:
            # Every sentence row of every chunk, without a Python loop per chunk.
            bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            take = np.arange(int(lengths.sum())) + np.repeat(starts - bounds, lengths)
            sims = vecs[take].astype(np.float32) @ np.stack(vectors, axis=1).astype(np.float32)
            if marked is not None and bonus:
                sims += bonus * np.concatenate([self._marked(marked, row[c]) for c in known])[:, None]
            best = np.maximum.reduceat(sims, bounds, axis=0)
            out = [dict(zip(known, best[:, i].tolist())) for i in range(len(vectors))]
        rest = [c for c in chunk_ids if c not in row]
        for c, sents in self.store.sentences_of(rest).items() if rest else ():
            if sents:
                sims = np.stack([v for _, _, v in sents]) @ np.stack(vectors, axis=1)
                for i, best in enumerate(np.max(sims, axis=0).tolist()):
                    out[i][c] = float(best)
        return out

    def _marked(self, pattern: Marker, row: int) -> np.ndarray:
        """1.0 for each sentence of a row that the pattern finds something in, else 0.0 (cached)."""
        key = (pattern.pattern, row)
        hit = self._marks.get(key)
        if hit is None:
            spans, _, offsets = self._sentences
            text = self.texts[row]
            hit = np.array(
                [bool(pattern.search(text[a:b])) for a, b in spans[offsets[row] : offsets[row + 1]]], dtype=np.float32
            )
            self._marks[key] = hit
        return hit

    def marked_chunks(self, doc_ids, pattern: Marker) -> list[str]:
        """The chunks of these documents, in reading order, with a sentence the pattern finds something in."""
        self.refresh()
        return [chunk_id for doc_id in doc_ids for chunk_id in self.chunks_of(doc_id)
                if self._marked(pattern, self._row[chunk_id]).any()]

    def doc_ids(self) -> list[str]:
        self.refresh()
        return list(self._by_doc)

    def chunks_of(self, doc_id: str) -> list[str]:
        """A document's chunk ids in reading order."""
        self.refresh()
        rows = sorted(self._by_doc.get(doc_id, []), key=lambda i: self.metas[i].get("index", 0))
        return [self.ids[i] for i in rows]

    def title_of(self, doc_id: str) -> str:
        rows = self._by_doc.get(doc_id)
        return self.metas[rows[0]].get("title", "") if rows else ""

    def outline(self) -> dict[str, DocOutline]:
        """Each document's title, kind and the section types it has: what a question may ask of it."""
        self.refresh()
        out: dict[str, DocOutline] = {}
        for doc_id, rows in self._by_doc.items():
            meta = self.metas[rows[0]]
            types = frozenset(self.metas[i].get("section_type", "other") for i in rows)
            out[doc_id] = DocOutline(meta.get("title", ""), meta.get("kind", "other"), types)
        return out

    def pervades(self, doc_id: str, words: list[frozenset[str]], share: float) -> float:
        """How far the words (each as its stemmed forms) run through a document: each word counts by its
        spread up to `share` of the chunks, weighted by how few documents have it ("Mali-Niger" says which
        report, "IOM" does not). A word met once in passing counts for little."""
        self.refresh()
        docs = max(1, len(self._doc_df))
        weights = [(math.log((docs + 1) / (1 + max(self._docs_with.get(f, 0) for f in forms))), forms) for forms in words]
        total = sum(w for w, _ in weights)
        if total <= 0:
            return 0.0
        return sum(w * min(1.0, self.spread(doc_id, forms) / share) for w, forms in weights) / total

    def spread(self, doc_id: str, forms) -> float:
        """Share of a document's chunks (title and section included) holding a word, by its commonest form,
        counted as if SPREAD_PRIOR more chunks lacked it: in a brief of 9 chunks, "durabilité" in 3 is a
        topic, not a word running through the whole document."""
        self.refresh()
        df, n = self._doc_df.get(doc_id, {}), len(self._by_doc.get(doc_id, ()))
        return max((df.get(f, 0) for f in forms), default=0) / (n + SPREAD_PRIOR) if n else 0.0

    def has_term(self, token: str) -> bool:
        self.refresh()
        return token in self.bm25.df

    def term_weight(self, forms: frozenset[str]) -> float:
        """A query word's weight: the IDF of its most common form in the corpus."""
        return min(self.idf(f) for f in forms)

    def idf(self, token: str) -> float:
        """Inverse document frequency; a term found nowhere weighs the most."""
        self.refresh()
        return self.bm25.idf(token)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Which rows pass the filters (None: all); the last one is kept, as BM25 and
        dense search of one query ask for the same."""
        if not filters:
            return None
        key = (repr(filters), self._key, len(self.metas))
        last = self._last_mask
        if last is not None and last[0] == key:
            return last[1]
        metas = self.metas
        mask = np.fromiter((filters.match(m) for m in metas), dtype=bool, count=len(metas))
        self._last_mask = (key, mask)
        return mask

    def nearest(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]] | None:
        """The n chunks closest to the vector, by exact cosine over the in-memory copy.

        None when the copy is too big to scan (Chroma's HNSW index answers
        then) or is being swapped by a rebuild. On the sample corpus the scan
        is an order of magnitude faster than a Chroma query, and exact.
        """
        self.refresh()
        vectors, ids = self._vectors, self.ids
        if vectors.dtype != np.float32 or len(vectors) != len(ids) or not len(ids):
            return None
        sims = vectors @ np.asarray(vector, dtype=np.float32)
        mask = self.mask(filters)
        if mask is not None:
            if len(mask) != len(sims):
                return None
            sims = np.where(mask, sims, -np.inf)
        n = min(n, int(np.isfinite(sims).sum()))
        if n <= 0:
            return []
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(ids[i], float(sims[i])) for i in top]

    def pick(self, scores: np.ndarray, chunk_ids) -> dict[str, float]:
        """The entries of a whole-index score array (`search.lexical.bm25_scores`) for the given chunks (none if rebuilt since)."""
        row = self._row
        if len(scores) != len(row):
            return {}
        return {c: float(scores[row[c]]) for c in chunk_ids if c in row}

    def dense(self, chunk_ids, vector: np.ndarray) -> dict[str, float]:
        """Cosine similarity of the query to each chunk this index holds (vectors are normalised)."""
        self.refresh()
        row, vectors = self._row, self._vectors
        known = [c for c in chunk_ids if c in row]
        if not known:
            return {}
        sims = np.asarray(vectors[[row[c] for c in known]], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        return dict(zip(known, sims.tolist()))

