"""Hybrid search: dense (Chroma) and lexical (BM25) fused, then de-duplicated.

Dense search understands paraphrase ("women's issues" ~ "gender equality");
BM25 catches the acronyms and codes this domain is full of (HRDD, IN/285);
the best sentence of a chunk finds a point made in one line of a long
passage. Scores are fused linearly, BM25 scaled by the best BM25 score of the
query: on the dev questions this beat reciprocal rank fusion at both chunk
sizes tried (MRR@10 0.55 vs 0.46 at 1200 characters, 0.47 vs 0.39 at 900).
The same report text often appears in a report and its brief: such
near-duplicates are shown once, naming every source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .embedding import Embedder
from .filters import Filters
from .intent import section_types
from .lexical import LexicalIndex, top_k
from .models import Passage
from .store import Store

CANDIDATES = 100
WEIGHTS = {"dense": 1.0, "lexical": 0.5, "sentence": 0.5}
# Bonus for passages in the section type the question points at ("suggest" ->
# recommendations): MRR@10 on the dev questions 0.55 -> 0.60 at 1200
# characters, 0.47 -> 0.49 at 900; see assistant/intent.py.
INTENT_BONUS = 0.2
MAX_QUERY_CHARS = 2000
MAX_K = 100


class QueryError(ValueError):
    """A query we will not run; the message says why."""


@dataclass
class Candidate:
    chunk_id: str
    text: str
    meta: dict[str, Any]
    dense_rank: int | None = None
    dense_score: float | None = None
    lexical_rank: int | None = None
    lexical_score: float | None = None
    sentence_rank: int | None = None
    sentence_score: float | None = None
    fused: float = 0.0
    duplicates: list[dict[str, Any]] = field(default_factory=list)


def check_query(query: str, k: int) -> str:
    if not isinstance(query, str):
        raise QueryError("query must be text")
    text = " ".join(query.split())
    if not text:
        raise QueryError("query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    if not re.search(r"\w", text):
        raise QueryError("query has no words to search for")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise QueryError(f"k must be a whole number from 1 to {MAX_K}")
    return text


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, lexical: LexicalIndex):
        self.store = store
        self.embedder = embedder
        self.lexical = lexical

    def candidates(self, query: str, filters: Filters, n: int = CANDIDATES) -> list[Candidate]:
        """Dense, lexical and sentence candidates with their fused score, best first."""
        vector = self.embedder.embed_query(query)
        where = filters.where()
        dense = self.store.query_ids(vector, n, where)
        bm25 = self.lexical.score_all(query, filters)
        ids = self.lexical.ids  # after score_all: it rebuilds a stale index first
        lexical = [(ids[row], score) for row, score in top_k(bm25, n)]

        # Texts and metadata come from the lexical index's copy, read from Chroma
        # only for chunks it does not know yet (indexed a moment ago elsewhere).
        wanted = {c for c, _ in dense} | {c for c, _ in lexical}
        rows = self.lexical.rows(wanted)
        missing = [c for c in wanted if c not in rows]
        rows.update({cid: (text, meta) for cid, text, meta in self.store.get_chunks(missing)})
        pool = {cid: Candidate(cid, *rows[cid]) for cid in wanted if cid in rows}
        best = self.lexical.best_sentence(list(pool), vector)
        # Every candidate gets both its exact scores, not only those that made a
        # list's top n: a passage ranked 120th by vectors but 3rd by words is
        # still close in meaning, and fusing a 0 for it pushed it out (same
        # dev-set figures; gold passages outside the top 100 moved up).
        for chunk_id, score in self.lexical.dense(list(pool), vector).items():
            pool[chunk_id].dense_score = score
        for rank, (chunk_id, score) in enumerate(dense):
            if chunk_id in pool:
                pool[chunk_id].dense_rank, pool[chunk_id].dense_score = rank, score
        for chunk_id, score in self.lexical.pick(bm25, list(pool)).items():
            pool[chunk_id].lexical_score = score
        for rank, (chunk_id, score) in enumerate(lexical):
            pool[chunk_id].lexical_rank, pool[chunk_id].lexical_score = rank, score
        for rank, (chunk_id, score) in enumerate(sorted(best.items(), key=lambda kv: -kv[1])):
            if chunk_id in pool:
                pool[chunk_id].sentence_rank, pool[chunk_id].sentence_score = rank, score
        top_lexical = max((c.lexical_score or 0.0 for c in pool.values()), default=0.0) or 1.0
        wanted_types = section_types(query)
        for cand in pool.values():  # a list a candidate is missing from adds nothing
            cand.fused = (
                WEIGHTS["dense"] * (cand.dense_score or 0.0)
                + WEIGHTS["lexical"] * (cand.lexical_score or 0.0) / top_lexical
                + WEIGHTS["sentence"] * (cand.sentence_score or 0.0)
                + (INTENT_BONUS if cand.meta.get("section_type") in wanted_types else 0.0)
            )
        return sorted(pool.values(), key=lambda c: -c.fused)

    def search(self, query: str, k: int = 10, filters: dict | Filters | None = None) -> list[Passage]:
        query = check_query(query, k)
        parsed = filters if isinstance(filters, Filters) else Filters.parse(filters)
        ranked = collapse_duplicates(self.candidates(query, parsed), keep=k)
        return [to_passage(c) for c in ranked[:k]]


@lru_cache(maxsize=8192)  # the same chunks head many rankings
def _shingles(text: str, n: int = 5) -> frozenset[int]:
    words = re.findall(r"\w+", text.lower())
    return frozenset(hash(tuple(words[i : i + n])) for i in range(max(1, len(words) - n + 1)))


def collapse_duplicates(cands: list[Candidate], keep: int = MAX_K, threshold: float = 0.6) -> list[Candidate]:
    """Keep the best of each group of near-identical passages; remember the others.

    Only the head of the ranking is compared (3 x keep): pairwise shingle
    comparison of every candidate would cost more than the search itself.
    """
    kept: list[tuple[Candidate, frozenset[int]]] = []
    for cand in cands[: max(3 * keep, 30)]:
        sh = _shingles(cand.text)
        for best, best_sh in kept:
            overlap = len(sh & best_sh) / max(1, min(len(sh), len(best_sh)))
            if overlap >= threshold:
                best.duplicates.append(_ref(cand))
                break
        else:
            kept.append((cand, sh))
    return [c for c, _ in kept]


def _ref(c: Candidate) -> dict[str, Any]:
    m = c.meta
    return {"chunk_id": c.chunk_id, "doc_id": m.get("doc_id"), "source": m.get("source"), "page": m.get("page")}


def to_passage(c: Candidate) -> Passage:
    m = c.meta
    extra = {
        key: m[key]
        for key in ("countries", "kind", "language", "criteria", "index")
        if key in m
    }
    extra.update(
        dense_score=c.dense_score,
        dense_rank=c.dense_rank,
        lexical_score=c.lexical_score,
        lexical_rank=c.lexical_rank,
        sentence_score=c.sentence_score,
        sentence_rank=c.sentence_rank,
    )
    if c.duplicates:
        extra["also_in"] = c.duplicates
    return Passage(
        chunk_id=c.chunk_id,
        doc_id=m.get("doc_id", ""),
        source=m.get("source", ""),
        title=m.get("title", ""),
        organisation=m.get("organisation"),
        year=m.get("year"),
        page=m.get("page"),
        page_end=m.get("page_end"),
        section=m.get("section", ""),
        section_type=m.get("section_type", "other"),
        text=c.text,
        score=round(float(c.fused), 6),
        metadata=extra,
    )
