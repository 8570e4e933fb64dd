"""BM25 over the chunks, derived from the store and rebuilt when stale.

Chroma is the source of truth; this index is a cache of it. Its freshness
key is the set of complete documents in the registry, so an ingest by another
process or another machine (a shared Chroma server) is noticed and the index
rebuilt. Acronyms and codes (HRDD, IN/285, RT.1354) survive tokenisation, and
words are stemmed per the chunk's language (English or French); a query is
stemmed both ways so it meets either.
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from functools import lru_cache

import numpy as np

from .filters import Filters
from .store import COMPLETE, Store

_WORD = re.compile(r"[\w]+(?:[./-][\w]+)*", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it its
    of on or our so such than that the their them then there these they this those to was were what when where which
    while who whom why will with would should may might must not no nor also about after before between during
    over under up down out more most other some any each all both few many much very s t just only own same too
    le la les un une des du de d l et en est sont au aux ce ces cette qui que quoi dont où ou par pour sur dans
    avec sans se sa son ses leur leurs il elle ils elles on nous vous pas ne plus été être a ont fait""".split()
)
FRESHNESS_SECONDS = 2.0


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@lru_cache(maxsize=4)
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer("french" if language == "fr" else "english")


def raw_tokens(text: str) -> list[str]:
    """Words and codes, case-folded and accent-folded; stopwords dropped.

    A code like `IN/285` or `RT.1354` is kept whole and also split, so both
    `IN/285` and `285` find it.
    """
    out: list[str] = []
    for match in _WORD.finditer(_fold(text)):
        word = match.group(0)
        if any(sep in word for sep in "./-"):
            out.append(word)
            out.extend(p for p in re.split(r"[./-]", word) if p and p not in STOPWORDS)
        elif word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            out.append(word)
    return out


def doc_tokens(text: str, language: str | None) -> list[str]:
    stem = _stemmer("fr" if language == "fr" else "en").stemWord
    return [t if not t.isalpha() else stem(t) for t in raw_tokens(text)]


def query_tokens(text: str) -> list[str]:
    en, fr = _stemmer("en").stemWord, _stemmer("fr").stemWord
    out: list[str] = []
    for t in raw_tokens(text):
        forms = {t} if not t.isalpha() else {en(t), fr(t)}
        out.extend(sorted(forms))
    return out


class LexicalIndex:
    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._key: frozenset[str] | None = None
        self._checked = 0.0
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.metas: list[dict] = []
        self._bm25 = None
        self._df: dict[str, int] = {}
        self._row: dict[str, int] = {}

    def invalidate(self) -> None:
        self._checked = 0.0

    def _fresh(self) -> None:
        if time.monotonic() - self._checked < FRESHNESS_SECONDS and self._key is not None:
            return
        with self._lock:
            key = frozenset(r["doc_id"] for r in self.store.registry() if r.get("status") == COMPLETE)
            if key != self._key:
                self._build(key)
            self._checked = time.monotonic()

    def _build(self, key: frozenset[str]) -> None:
        import bm25s

        ids, texts, metas, corpus = [], [], [], []
        for chunk_id, text, meta in self.store.iter_chunks():
            if meta.get("doc_id") not in key:
                continue
            ids.append(chunk_id)
            texts.append(text)
            metas.append(meta)
            context = f"{meta.get('title', '')} {meta.get('section', '')} {text}"
            corpus.append(doc_tokens(context, meta.get("language")))
        df: dict[str, int] = {}
        for tokens in corpus:
            for t in set(tokens):
                df[t] = df.get(t, 0) + 1
        bm25 = None
        if corpus:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        self.ids, self.texts, self.metas, self._bm25, self._df, self._key = ids, texts, metas, bm25, df, key
        self._row = {chunk_id: i for i, chunk_id in enumerate(ids)}

    def rows(self, chunk_ids) -> dict[str, tuple[str, dict]]:
        """(text, metadata) of the given chunks that this index holds."""
        self._fresh()
        return {c: (self.texts[self._row[c]], self.metas[self._row[c]]) for c in chunk_ids if c in self._row}

    def has_term(self, token: str) -> bool:
        self._fresh()
        return token in self._df

    def idf(self, token: str) -> float:
        """Inverse document frequency; a term found nowhere weighs the most."""
        self._fresh()
        n = max(1, len(self.ids))
        return math.log(1 + (n - self._df.get(token, 0) + 0.5) / (self._df.get(token, 0) + 0.5))

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """Top-k (row, score) pairs; rows index `ids`, `texts`, `metas`."""
        self._fresh()
        bm25 = self._bm25
        if bm25 is None:
            return []
        vocab = bm25.vocab_dict
        tokens = [t for t in query_tokens(query) if t in vocab]
        if not tokens:
            return []
        mask = None
        if filters:
            mask = np.fromiter((filters.match(m) for m in self.metas), dtype=bool, count=len(self.metas))
        scores = bm25.get_scores(tokens, weight_mask=mask)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
