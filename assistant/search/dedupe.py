"""Near-identical passages shown once: a report and its brief often print the same text.

The best of each group is kept and names the others (`Candidate.duplicates`),
so a citation can say where else the text appears.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from assistant.search.candidates import Candidate

__all__ = ["collapse_duplicates", "overlaps"]

SAME_TEXT = 0.6  # shingle containment from which two passages are one text


@lru_cache(maxsize=8192)  # the same chunks head many rankings
def _shingles(text: str, n: int = 5) -> np.ndarray:
    """The text's distinct word 5-gram hashes."""
    words = re.findall(r"\w+", text.lower())
    hashes = (hash(tuple(words[i : i + n])) for i in range(max(1, len(words) - n + 1)))
    return np.unique(np.fromiter(hashes, dtype=np.int64))


def overlaps(texts: list[str]) -> np.ndarray:
    """Pairwise shingle containment (shared / the smaller set), for all pairs in one matrix product."""
    sets = [_shingles(t) for t in texts]
    sizes = np.array([len(s) for s in sets])
    _, column = np.unique(np.concatenate(sets), return_inverse=True)
    incidence = np.zeros((len(sets), int(column.max()) + 1), dtype=np.float32)
    incidence[np.repeat(np.arange(len(sets)), sizes), column] = 1.0
    return (incidence @ incidence.T) / np.maximum(1, np.minimum.outer(sizes, sizes))


def collapse_duplicates(cands: list[Candidate], keep: int, threshold: float = SAME_TEXT) -> list[Candidate]:
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
            head[first].duplicates.append(cand.ref())
    return [head[i] for i in kept]
