"""Each chunk's sentences (spans and vectors) packed into its flat Chroma metadata.

Sentence vectors ride with their chunk rather than in a collection of their
own: they are only ever scored for candidate chunks, and a second HNSW index
of every sentence cost a third of the ingest time for no retrieval gain.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["SENTENCE_KEYS", "pack_sentences", "unpack_sentences"]

def pack_sentences(spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> dict[str, str]:
    """Sentence spans and int8 vectors as two metadata strings (Chroma metadata is flat).

    Each vector is stored as one float16 scale and its int8 components: half
    the bytes of float16, and Chroma's time to store these strings grows with
    their size. Cosine to the float vector stays above 0.9999 (docs/experiments.md, "Storage").
    """
    if not len(spans):
        return {}
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(spans), -1)
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127
    codes = np.rint(vectors / scales[:, None]).astype(np.int8)
    return {
        "sent_spans": ",".join(f"{a}:{b}" for a, b in spans),
        "sent_q8": base64.b64encode(scales.astype(np.float16).tobytes() + codes.tobytes()).decode("ascii"),
    }


def unpack_sentences(meta: dict[str, Any], dtype=np.float32) -> list[tuple[int, int, np.ndarray]]:
    """Spans and vectors, from `sent_q8` or the float16 `sent_vecs` of indexes built before it."""
    if not meta.get("sent_spans"):
        return []
    spans = [tuple(int(x) for x in pair.split(":")) for pair in meta["sent_spans"].split(",")]
    if "sent_q8" in meta:
        raw = base64.b64decode(meta["sent_q8"])
        scales = np.frombuffer(raw, dtype=np.float16, count=len(spans)).astype(np.float32)
        codes = np.frombuffer(raw, dtype=np.int8, offset=2 * len(spans)).reshape(len(spans), -1)
        vecs = (codes * scales[:, None]).astype(dtype)
    else:
        vecs = np.frombuffer(base64.b64decode(meta["sent_vecs"]), dtype=np.float16).reshape(len(spans), -1)
        vecs = vecs.astype(dtype)
    return [(a, b, vecs[i]) for i, (a, b) in enumerate(spans)]


SENTENCE_KEYS = ("sent_spans", "sent_q8", "sent_vecs")
