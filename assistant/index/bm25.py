"""One BM25 index, for passages and records alike.

k1 and b are Lucene's defaults: bm25s's k1 of 1.5 let a passage repeating
one of the question's words (a programme's name) outscore one holding more
of them (docs/experiments.md, "BM25 k1").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["BM25_B", "BM25_K1", "Bm25"]

BM25_K1, BM25_B = 1.2, 0.75


class Bm25:
    """BM25 scores of every row for a list of terms, and each term's document frequency."""

    def __init__(self, corpus: Sequence[Sequence[str]]):
        self.rows = len(corpus)
        df: dict[str, int] = {}
        for tokens in corpus:
            for t in set(tokens):
                df[t] = df.get(t, 0) + 1
        self.df = df
        self._index = None
        if any(corpus):
            import bm25s

            self._index = bm25s.BM25(k1=BM25_K1, b=BM25_B)
            self._index.index([list(tokens) for tokens in corpus], show_progress=False)

    def __contains__(self, term: str) -> bool:
        return self._index is not None and term in self._index.vocab_dict

    def scores(self, terms: Sequence[str], mask: np.ndarray | None = None) -> np.ndarray:
        """Every row's score (0 where `mask` is False); terms the index never saw are ignored."""
        known = [t for t in terms if t in self]
        if not known or self._index is None:
            return np.zeros(self.rows, dtype=np.float32)
        return np.asarray(self._index.get_scores(known, weight_mask=mask), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency; a term found nowhere weighs the most."""
        n, df = max(1, self.rows), self.df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))
