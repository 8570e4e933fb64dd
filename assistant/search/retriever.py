"""Hybrid search: a query -> the passages that answer it, best first, citable.

Dense search understands paraphrase ("women's issues" ~ "gender equality");
BM25 catches the acronyms and codes this domain is full of (HRDD, IN/285);
the best sentence of a chunk finds a point made in one line of a long
passage; the focused question (focus.py) finds what the question asks of
the report it names. Candidates from both lists get every score exactly,
are fused (ranking.py), and near-duplicates are shown once (dedupe.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.errors import WouldBlock
from assistant.index.filters import Filters
from assistant.index.snapshot import Snapshot
from assistant.index.store import Store
from assistant.models import Passage
from assistant.search.answer_types import answer_pattern
from assistant.search.candidates import Candidate, to_passage
from assistant.search.dedupe import collapse_duplicates
from assistant.search.focus import focus_query, leading_report, named_family, report_naming
from assistant.search.gate import FairGate, single_threaded_blas
from assistant.search.lexical import bm25_scores, top_k
from assistant.search.query import check_query
from assistant.search.ranking import ANSWER_BONUS, fuse

__all__ = ["CANDIDATES", "Retriever"]

CANDIDATES = 100  # from each list, dense and BM25: enough that a passage either list likes is scored


@dataclass
class _Query:
    """What ranking needs of a query, computed before it waits for the gate."""

    text: str
    bm25: np.ndarray
    lexical: list[tuple[str, float]]
    vector: np.ndarray
    focus_vector: np.ndarray
    named_title: str = ""  # the title of the report the question names, when it names one (focus.py)
    named_docs: frozenset[str] = frozenset()  # that report's evaluation: it, its brief, its response


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, snapshot: Snapshot):
        self.store = store
        self.embedder = embedder
        self.snapshot = snapshot
        self._gate = FairGate(1)  # one ranking at a time, in arrival order (gate.py)
        single_threaded_blas()

    def search(
        self, query: str, k: int = 10, filters: dict | Filters | None = None, block: bool = True
    ) -> list[Passage]:
        """`block=False`: raise `WouldBlock` rather than embed the query or rebuild the index."""
        query = check_query(query, k)
        parsed = filters if isinstance(filters, Filters) else Filters.parse(filters)
        if not block and not self.snapshot.warm():
            raise WouldBlock("the in-memory index needs a rebuild")
        prepared = self._prepare(query, parsed, block=block)  # outside the gate: waiting queries embed in one batch
        with self._gate:
            ranked = collapse_duplicates(self._rank(prepared, parsed), keep=k)
            return self._anchored([to_passage(c) for c in ranked[:k]], prepared)

    def question_vectors(self, query: str, filters: Filters | None = None) -> np.ndarray:
        """Two rows: the question, and the mean of it and its focused form (focus.py). Sentences are ranked by
        the second, for what the question asks of its report rather than the report's name ("the ILO
        evaluation" is in every sentence of it); whether any sentence matches at all is judged by either."""
        q = self._prepare(check_query(query, 1), filters or Filters())
        return np.stack([q.vector, _mixed(q)])

    def _anchored(self, passages: list[Passage], q: _Query) -> list[Passage]:
        """Each passage with the offset of its sentence closest to the question (by the vector the answerer
        ranks sentences by): a passage that starts on page 7 and answers on page 8 is cited at page 8."""
        mixed = _mixed(q)
        sentences = self.snapshot.sentences([p.chunk_id for p in passages])
        for p in passages:
            rows = sentences.get(p.chunk_id)
            if rows:
                p.anchor = max(rows, key=lambda row: float(mixed @ row[2]))[0]
        return passages

    def _prepare(self, query: str, filters: Filters, n: int = CANDIDATES, block: bool = True) -> _Query:
        """BM25 scores, then the question and its focused form embedded in one batch.

        The leading report is BM25's, known before any embedding, so both
        texts go to the model together (no slower than one text alone).
        """
        bm25 = bm25_scores(self.snapshot, query, filters)
        ranked = top_k(bm25, n)
        ids = self.snapshot.ids  # after scoring: it rebuilds a stale copy first
        lexical = [(ids[row], score) for row, score in ranked]
        naming = report_naming(self.snapshot, query)
        lead = naming[0] if naming else leading_report(self.snapshot, ranked) if ranked else ""
        focus = focus_query(query, self.snapshot, lead) if lead else query
        vector, focus_vector = self.embedder.embed_queries([query, focus], block=block)
        family = frozenset(named_family(query, self.snapshot, lead, focus != query)) if lead else frozenset()
        named = self.snapshot.title_of(lead) if focus != query else ""
        return _Query(query, bm25, lexical, vector, focus_vector, named, family)

    def _rank(self, q: _Query, filters: Filters, n: int = CANDIDATES) -> list[Candidate]:
        """Dense, lexical and sentence candidates with their fused score, best first."""
        snapshot, vector = self.snapshot, q.vector
        dense = snapshot.nearest(vector, n, filters)
        if dense is None:
            dense = self.store.query_ids(vector, n, filters.where())
        # Texts and metadata come from the in-memory copy, read from Chroma
        # only for chunks it does not know yet (indexed a moment ago elsewhere).
        wanted = {c for c, _ in dense} | {c for c, _ in q.lexical}
        rows = snapshot.rows(wanted)
        missing = [c for c in wanted if c not in rows]
        rows.update({cid: (text, meta) for cid, text, meta in self.store.get_chunks(missing)})
        pool = {cid: Candidate(cid, *rows[cid]) for cid in wanted if cid in rows}
        best, focus_best = snapshot.best_sentences(
            list(pool), [vector, q.focus_vector], answer_pattern(q.text), ANSWER_BONUS
        )
        # Every candidate gets both its exact scores, not only those that made a
        # list's top n: a passage ranked 120th by vectors but 3rd by words is
        # still close in meaning, and fusing a 0 for it pushed it out.
        for chunk_id, score in snapshot.dense(list(pool), vector).items():
            pool[chunk_id].dense_score = score
        for rank, (chunk_id, score) in enumerate(dense):
            if chunk_id in pool:
                pool[chunk_id].dense_rank, pool[chunk_id].dense_score = rank, score
        for chunk_id, score in snapshot.pick(q.bm25, list(pool)).items():
            pool[chunk_id].lexical_score = score
        for rank, (chunk_id, score) in enumerate(q.lexical):
            if chunk_id in pool:
                pool[chunk_id].lexical_rank, pool[chunk_id].lexical_score = rank, score
        for rank, (chunk_id, score) in enumerate(sorted(best.items(), key=lambda kv: -kv[1])):
            if chunk_id in pool:
                pool[chunk_id].sentence_rank, pool[chunk_id].sentence_score = rank, score
        return fuse(pool, q.text, snapshot.dense(list(pool), q.focus_vector), focus_best, q.named_title, q.named_docs)


def _mixed(q: _Query) -> np.ndarray:
    both = q.vector + q.focus_vector
    return both / (float(np.linalg.norm(both)) or 1.0)
