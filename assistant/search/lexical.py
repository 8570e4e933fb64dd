"""A query's BM25 side: its own words stemmed both ways, and its English evaluation words in French.

An English question on a French report shares few words with it; its
evaluation words ("sustainability", "findings") are also searched in French
(glossary.py), on French passages only: an English passage with "formation"
is not about training.
"""

from __future__ import annotations

import numpy as np

from assistant.index.filters import Filters
from assistant.index.snapshot import Snapshot
from assistant.index.tokens import query_tokens
from assistant.search.glossary import translated_tokens

__all__ = ["TRANSLATED_WEIGHT", "bm25_scores", "top_k"]

TRANSLATED_WEIGHT = 1.0  # the French terms count as much as the question's own words (0.5-1.0 alike)


def bm25_scores(snapshot: Snapshot, query: str, filters: Filters | None = None) -> np.ndarray:
    """The BM25 score of every row of the snapshot (0 where filtered out): exact scores for any candidate."""
    snapshot.refresh()
    bm25, french = snapshot.bm25, snapshot.french  # one build's: a rebuild swaps both after
    mask = snapshot.mask(filters)
    scores = bm25.scores(query_tokens(query), mask)
    extra = translated_tokens(query) if french is not None else []
    if extra and french is not None and len(french) == bm25.rows:
        rows = french if mask is None else french & mask
        scores = scores + TRANSLATED_WEIGHT * bm25.scores(extra, rows)
    return scores


def top_k(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, score) of the k best positive scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
