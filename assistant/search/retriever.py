"""Hybrid search: dense (Chroma) and lexical (BM25) fused, then de-duplicated.

Dense search understands paraphrase ("women's issues" ~ "gender equality");
BM25 catches the acronyms and codes this domain is full of (HRDD, IN/285);
the best sentence of a chunk finds a point made in one line of a long
passage. Scores are fused linearly, BM25 scaled by the best BM25 score of the
query: on the dev questions this beat reciprocal rank fusion at both chunk
sizes tried (MRR@10 0.55 vs 0.46 at 1200 characters, 0.47 vs 0.39 at 900).
The same report text often appears in a report and its brief: such
near-duplicates are shown once, naming every source.

Most questions name their report ("... the ILO final evaluation of the
Japan-funded responsible value chains programme in Asia"), and those words
weigh as much in the question's vector as what it asks: every passage of that
report matches them, so the report is found but a passage about the
programme in general beats the one that answers. The question is therefore
also embedded without the words found throughout the leading report (see
`focus_query`), and that focused vector scores the passages too.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.errors import QueryError, WouldBlock
from assistant.index.filters import Filters
from assistant.index.snapshot import _WORD, LexicalIndex, query_tokens, raw_tokens, top_k
from assistant.index.store import Store
from assistant.ingest.sections import detect_criteria
from assistant.models import Passage
from assistant.search.intent import answer_pattern, document_kinds, section_types

CANDIDATES = 100
WEIGHTS = {"dense": 1.0, "lexical": 0.5, "sentence": 0.5}
# Bonus for passages in the section type the question points at ("suggest" ->
# recommendations): MRR@10 on the dev questions 0.55 -> 0.60 at 1200
# characters, 0.47 -> 0.49 at 900; see assistant/intent.py.
INTENT_BONUS = 0.2
# The focused question's passage and best-sentence similarity, added to the
# fused score; a word is dropped from it when it is in at least PERVASIVE of
# the leading report's chunks (its title and section headings count). Dev
# questions (45 answerable): hit@1 0.44 -> 0.53, hit@3 0.73 -> 0.78, MRR@10
# 0.60 -> 0.65 (13 gold passages up, 4 down); shares 0.2-0.5 and weights
# 0.25-0.5 all gave MRR 0.64-0.66. Re-embedding the focused text matters:
# pooling the question's own token vectors without those words gave 0.59-0.61,
# and BM25 on the focused words lost (0.61). Costs about 4 ms of search time
# (a batch of two texts instead of one).
FOCUS_WEIGHTS = {"dense": 0.5, "sentence": 0.5}
PERVASIVE = 0.3
# The leading report is the one with the most BM25 score among the top
# LEAD_VOTE passages, not the owner of the single best passage: one stray
# passage of another report (a WFP paragraph for a question about the IOM
# accountability evaluation) decides otherwise for 12 of the 50 dev
# questions, and the focus then drops the wrong report's words. A focus with
# fewer than MIN_FOCUS_WORDS searchable words left ("Who filled in the for the
# of ?") says nothing of its own: the question itself is used then. Together
# (dev questions, 45 answerable): hit@1 0.53 -> 0.56, hit@3 0.78 -> 0.80,
# hit@5 0.82 -> 0.84, MRR@10 0.66 -> 0.675 (3 gold passages up, 1 down; 20 and
# 50 alike, 5 and 10 one down more).
LEAD_VOTE = 20
MIN_FOCUS_WORDS = 2
# Added to a sentence's similarity when it holds the kind of answer the
# question asks for, a quantity for "how many/how much", a date for "when"
# (intent.answer_pattern). Dev questions: MRR@10 0.60 -> 0.62 alone, 0.65 ->
# 0.66 with the focused question, hit@5 0.80 -> 0.82, hit@10 0.87 -> 0.89;
# 0.1-0.3 alike.
ANSWER_BONUS = 0.2
# Added to passages of the document kind the question names ("according to
# the learning brief", "what did management commit to"; intent.document_kinds):
# a report, its brief and its management response share their wording, and
# only the question says which one it asks about. Dev questions (45
# answerable), bonus 0 / 0.2 / 0.3 / 0.5 / 0.6 / 1.0: MRR@10 0.678 / 0.696 /
# 0.699 / 0.704 / 0.719 / 0.719, hit@1 0.56 / 0.58 / 0.58 / 0.58 / 0.60 / 0.60,
# hit@5 0.84 / 0.84 / 0.84 / 0.87 / 0.87 / 0.87; at 1.0 one more answerable
# question is wrongly abstained. A named kind acts almost as a filter, as a
# reader who names the brief means it; so it is kept to the family of the
# reports the best KIND_NEAR passages come from (`same_family`): given to
# every brief, "... the Haiti project, according to the final evaluation"
# answered from another project's final evaluation, and a management
# response question about a report that has none from another report's.
# Dev scores are the same for KIND_NEAR 3-20 and with no limit.
KIND_BONUS = 0.6
KIND_NEAR = 10
FAMILY_OVERLAP = 0.5
# Bonus for passages about the DAC criterion the question names
# ("sustainability"), from the criteria ingest tags them with in either
# language: where an English question meets a French report, the one signal
# that does not depend on words. Alone it moved no dev question; with the
# French terms of lexical.TRANSLATED_WEIGHT see the figures there (0.1-0.3
# alike, 0.05 too little).
CRITERION_BONUS = 0.2
MAX_QUERY_CHARS = 2000
MAX_K = 100


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


@lru_cache(maxsize=1)
def _single_threaded_blas() -> None:
    """numpy's BLAS threads spin between the small products a search makes:
    measured, 4.7 ms of wall time cost 9.1 ms of CPU (5.5 / 5.5 ms with one
    thread), and the spinning starves a server's other threads. Process-wide;
    torch keeps its own threads for embedding."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class FairGate:
    """A semaphore that lets waiters in in arrival order (threading's lets a newcomer barge in)."""

    def __init__(self, slots: int):
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # the leaver hands its slot straight to the longest waiter

    def __exit__(self, *exc) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, lexical: LexicalIndex):
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        # One ranking at a time, in arrival order. A server's 20 worker threads
        # ranking at once only fight over the GIL and BLAS threads: measured in
        # one process, 20 threads did 90 searches/s (p95 416 ms) ungated, 101-117/s
        # with two at a time, 192-216/s (p95 123-137 ms) with one.
        self._gate = FairGate(1)
        _single_threaded_blas()

    def search(
        self, query: str, k: int = 10, filters: dict | Filters | None = None, block: bool = True
    ) -> list[Passage]:
        """`block=False`: raise `WouldBlock` rather than embed the query or rebuild the index."""
        query = check_query(query, k)
        parsed = filters if isinstance(filters, Filters) else Filters.parse(filters)
        if not block and not self.lexical.warm():
            raise WouldBlock("the lexical index needs a rebuild")
        prepared = self._prepare(query, parsed, block=block)  # outside the gate: waiting queries embed in one batch
        with self._gate:
            ranked = collapse_duplicates(self._rank(prepared, parsed), keep=k)
            return [to_passage(c) for c in ranked[:k]]

    def _prepare(self, query: str, filters: Filters, n: int = CANDIDATES, block: bool = True) -> _Query:
        """BM25 scores, then the question and its focused form embedded in one batch.

        The leading report is BM25's, known before any embedding, so both
        texts go to the model together (no slower than one text alone).
        """
        bm25 = self.lexical.score_all(query, filters)
        ranked = top_k(bm25, n)
        ids = self.lexical.ids  # after score_all: it rebuilds a stale index first
        lexical = [(ids[row], score) for row, score in ranked]
        focus = focus_query(query, self.lexical, leading_report(self.lexical, ranked)) if ranked else query
        vector, focus_vector = self.embedder.embed_queries([query, focus], block=block)
        return _Query(query, bm25, lexical, vector, focus_vector)

    def _rank(self, q: _Query, filters: Filters, n: int = CANDIDATES) -> list[Candidate]:
        """Dense, lexical and sentence candidates with their fused score, best first."""
        vector, bm25, lexical = q.vector, q.bm25, q.lexical
        dense = self.lexical.nearest(vector, n, filters)
        if dense is None:
            dense = self.store.query_ids(vector, n, filters.where())
        # Texts and metadata come from the lexical index's copy, read from Chroma
        # only for chunks it does not know yet (indexed a moment ago elsewhere).
        wanted = {c for c, _ in dense} | {c for c, _ in lexical}
        rows = self.lexical.rows(wanted)
        missing = [c for c in wanted if c not in rows]
        rows.update({cid: (text, meta) for cid, text, meta in self.store.get_chunks(missing)})
        pool = {cid: Candidate(cid, *rows[cid]) for cid in wanted if cid in rows}
        best, focus_best = self.lexical.best_sentences(
            list(pool), [vector, q.focus_vector], answer_pattern(q.text), ANSWER_BONUS
        )
        focus_dense = self.lexical.dense(list(pool), q.focus_vector)
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
            if chunk_id in pool:
                pool[chunk_id].lexical_rank, pool[chunk_id].lexical_score = rank, score
        for rank, (chunk_id, score) in enumerate(sorted(best.items(), key=lambda kv: -kv[1])):
            if chunk_id in pool:
                pool[chunk_id].sentence_rank, pool[chunk_id].sentence_score = rank, score
        top_lexical = max((c.lexical_score or 0.0 for c in pool.values()), default=0.0) or 1.0
        wanted_types = section_types(q.text)
        wanted_kinds = document_kinds(q.text)
        named = set(detect_criteria(q.text, heading=True))
        for cand in pool.values():  # a list a candidate is missing from adds nothing
            cand.fused = (
                WEIGHTS["dense"] * (cand.dense_score or 0.0)
                + WEIGHTS["lexical"] * (cand.lexical_score or 0.0) / top_lexical
                + WEIGHTS["sentence"] * (cand.sentence_score or 0.0)
                + FOCUS_WEIGHTS["dense"] * focus_dense.get(cand.chunk_id, 0.0)
                + FOCUS_WEIGHTS["sentence"] * focus_best.get(cand.chunk_id, 0.0)
                + (INTENT_BONUS if cand.meta.get("section_type") in wanted_types else 0.0)
                + (CRITERION_BONUS if named.intersection(cand.meta.get("criteria") or ()) else 0.0)
            )
        ranked = sorted(pool.values(), key=lambda c: (-c.fused, c.chunk_id))  # ties: same order every run
        if wanted_kinds:
            related = same_family(ranked, KIND_NEAR)
            for cand in ranked:
                if cand.meta.get("kind") in wanted_kinds and cand.meta.get("title", "") in related:
                    cand.fused += KIND_BONUS
            ranked.sort(key=lambda c: (-c.fused, c.chunk_id))
        return ranked


@dataclass
class _Query:
    """What ranking needs of a query, computed before it waits for the gate."""

    text: str
    bm25: np.ndarray
    lexical: list[tuple[str, float]]
    vector: np.ndarray
    focus_vector: np.ndarray


@lru_cache(maxsize=4096)
def _title_words(title: str) -> frozenset[str]:
    return frozenset(raw_tokens(title))


def same_family(ranked: list[Candidate], near: int) -> set[str]:
    """Titles of the documents the best `near` passages come from, and of their kin.

    A report, its brief and its management response carry nearly the same
    title ("Final Evaluation of/for the EU-IOM Joint Initiative ..."): titles
    sharing at least FAMILY_OVERLAP of their words (Jaccard) are one family.
    """
    seeds = {_title_words(c.meta.get("title", "")) for c in ranked[:near]}

    def kin(words: frozenset[str]) -> bool:
        return any(len(words & seed) >= FAMILY_OVERLAP * max(1, len(words | seed)) for seed in seeds)

    return {title for title in {c.meta.get("title", "") for c in ranked} if kin(_title_words(title))}


def leading_report(lexical: LexicalIndex, ranked: list[tuple[int, float]]) -> str:
    """The report with the most BM25 score among the best LEAD_VOTE passages: the one the query names."""
    votes: dict[str, float] = {}
    for row, score in ranked[:LEAD_VOTE]:
        doc_id = lexical.metas[row].get("doc_id", "")
        votes[doc_id] = votes.get(doc_id, 0.0) + score
    return max(votes, key=votes.__getitem__, default="")  # ties: the report of the better passage


def focus_query(query: str, lexical: LexicalIndex, doc_id: str) -> str:
    """The query without the words found throughout one document: what it asks of that document.

    "How many people were interviewed for the ILO final evaluation of the
    Japan-funded responsible value chains programme in Asia ...?" becomes "How
    many people were interviewed for the final evaluation of the in , and how
    many of them were women?" for the ILO report. The query itself when
    nothing would go, or fewer than MIN_FOCUS_WORDS searchable words would stay.
    """
    cut = [
        m.span()
        for m in _WORD.finditer(query)
        if (forms := query_tokens(m.group(0))) and lexical.spread(doc_id, forms) >= PERVASIVE
    ]
    if not cut:
        return query
    kept, start = [], 0
    for a, b in cut:
        kept.append(query[start:a])
        start = b
    kept.append(query[start:])
    focused = " ".join("".join(kept).split())
    words = sum(1 for m in _WORD.finditer(focused) if query_tokens(m.group(0)))
    return focused if words >= MIN_FOCUS_WORDS else query


@lru_cache(maxsize=8192)  # the same chunks head many rankings
def _shingles(text: str, n: int = 5) -> np.ndarray:
    """The text's distinct word 5-gram hashes."""
    words = re.findall(r"\w+", text.lower())
    hashes = (hash(tuple(words[i : i + n])) for i in range(max(1, len(words) - n + 1)))
    return np.unique(np.fromiter(hashes, dtype=np.int64))


def overlaps(texts: list[str]) -> np.ndarray:
    """Pairwise shingle containment (shared / the smaller set), for all pairs in one matrix product.

    A loop of set intersections over the 30 x 30 pairs of a ranking's head
    cost 2.7 ms a search; this costs a fraction of that.
    """
    sets = [_shingles(t) for t in texts]
    sizes = np.array([len(s) for s in sets])
    _, column = np.unique(np.concatenate(sets), return_inverse=True)
    incidence = np.zeros((len(sets), int(column.max()) + 1), dtype=np.float32)
    incidence[np.repeat(np.arange(len(sets)), sizes), column] = 1.0
    return (incidence @ incidence.T) / np.maximum(1, np.minimum.outer(sizes, sizes))


def collapse_duplicates(cands: list[Candidate], keep: int = MAX_K, threshold: float = 0.6) -> list[Candidate]:
    """Keep the best of each group of near-identical passages; remember the others.

    Only the head of the ranking is compared (3 x keep): pairwise comparison
    of every candidate would cost more than the search itself.
    """
    head = cands[: max(3 * keep, 30)]
    if not head:
        return []
    same = (overlaps([c.text for c in head]) >= threshold).tolist()
    kept: list[int] = []
    for i, cand in enumerate(head):
        first = next((j for j in kept if same[i][j]), None)
        if first is None:
            kept.append(i)
        else:
            head[first].duplicates.append(_ref(cand))
    return [head[i] for i in kept]


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
