"""A query's BM25 side: its own words stemmed every way, and its English evaluation words in French and Spanish.

An English question on a French report shares few words with it; its
evaluation words ("sustainability", "findings") are also searched in French
(glossary.py), on French passages only: an English passage with "formation"
is not about training. Spanish likewise.
"""

from __future__ import annotations

import numpy as np

from assistant.index.filters import Filters
from assistant.index.snapshot import Snapshot
from assistant.index.tokens import query_tokens
from assistant.search.glossary import TRANSLATED, translated_tokens

__all__ = ["TRANSLATED_WEIGHT", "bm25_scores", "top_k"]

TRANSLATED_WEIGHT = 1.0  # the translated terms count as much as the question's own words (0.5-1.0 alike)


def bm25_scores(snapshot: Snapshot, query: str, filters: Filters | None = None) -> np.ndarray:
    """The BM25 score of every row of the snapshot (0 where filtered out): exact scores for any candidate."""
    snapshot.refresh()
    bm25, languages = snapshot.bm25, snapshot.languages  # one build's: a rebuild swaps both after
    mask = snapshot.mask(filters)
    scores = bm25.scores(query_tokens(query), mask)
    for language in TRANSLATED:
        own = languages.get(language)
        extra = translated_tokens(query, language) if own is not None else []
        if extra and own is not None and len(own) == bm25.rows:
            scores = scores + TRANSLATED_WEIGHT * bm25.scores(extra, own if mask is None else own & mask)
    return scores


def top_k(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, score) of the k best positive scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
