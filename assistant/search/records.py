"""Searching the evaluation records: lessons, good practices, recommendations, management responses.

Records are few (hundreds per report library), so all of them sit in memory
with their vectors and a BM25 index, rebuilt when the set of documents or
records in the store changes. A query is ranked like a passage search
(`ranking.hybrid`: cosine plus BM25 scaled by the query's best); without a
query the records come in document, then item order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.index.bm25 import Bm25
from assistant.index.filters import Filters
from assistant.index.store import COMPLETE, Store
from assistant.index.tokens import doc_tokens, query_tokens
from assistant.models import Record
from assistant.search.query import check_record_k, check_record_query, check_record_type, record_filters
from assistant.search.ranking import hybrid

__all__ = ["RecordIndex"]


@dataclass(frozen=True)
class _Snapshot:
    records: list[Record]
    metas: list[dict]
    vectors: np.ndarray
    bm25: Bm25


class RecordIndex:
    """All records in memory, with a BM25 index; rebuilt when the store changes."""

    def __init__(self, store: Store, embedder: Embedder):
        self.store = store
        self.embedder = embedder
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._snapshot = _Snapshot([], [], np.zeros((0, 0), dtype=np.float32), Bm25([]))

    def _fresh(self) -> _Snapshot:
        with self._lock:  # checked on every call (two cheap reads): writes show at once
            docs = frozenset(r["doc_id"] for r in self.store.registry() if r.get("status") == COMPLETE)
            key = (docs, self.store.record_count())
            if key != self._key:
                records, metas, vectors = self.store.stored_records(docs)
                corpus = [doc_tokens(f"{r.title or ''} {r.text}", m.get("language")) for r, m in zip(records, metas)]
                self._snapshot = _Snapshot(records, metas, vectors, Bm25(corpus))  # one assignment: no search sees a mix
                self._key = key
            return self._snapshot

    def search(self, query: str | None = None, type: str | None = None,
               filters: Mapping | Filters | None = None, k: int = 50) -> list[Record]:
        """Records of a type matching the filters: the best matches first, or all in order without a query."""
        rtype, k, parsed = check_record_type(type), check_record_k(k), record_filters(filters)
        text = check_record_query(query)
        snap = self._fresh()
        records, metas = snap.records, snap.metas
        mask = np.fromiter(
            ((rtype is None or m.get("type") == rtype) and parsed.match(m) for m in metas), dtype=bool, count=len(metas)
        )
        if text is None:
            return [records[i].model_copy() for i in np.flatnonzero(mask)[:k]]
        if not mask.any():
            return []
        lexical = snap.bm25.scores(query_tokens(text), mask)
        fused = hybrid(snap.vectors @ self.embedder.embed_query(text), lexical, float(lexical.max()) or 1.0)
        fused = np.where(mask, fused, -np.inf)
        top = np.argsort(-fused, kind="stable")[: min(k, int(mask.sum()))]
        return [records[i].model_copy(update={"score": round(float(fused[i]), 4)}) for i in top]

    def vectors(self, record_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of the given records (for comparing items across reports)."""
        snap = self._snapshot
        where = {r.id: i for i, r in enumerate(snap.records)}
        return {rid: snap.vectors[where[rid]] for rid in record_ids if rid in where}
