"""A prepared document's vectors: its chunks with their sentences, the document itself, its records."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.embed.context import document_context, passage_context, record_context
from assistant.embed.embedder import Embedder
from assistant.errors import Cancelled
from assistant.ingest.sentences import split_spans
from assistant.models import Chunk, Document, Record

__all__ = ["SLICE", "EmbeddedDocument", "embed_document", "embed_records"]

SLICE = 256  # chunks embedded between progress reports: about 8 s here


@dataclass
class EmbeddedDocument:
    """Everything the store writes for one document, vectors included."""

    doc: Document
    chunks: list[Chunk]
    spans: list[list[tuple[int, int]]]  # each chunk's sentences, as spans into its text
    vectors: np.ndarray
    sentence_vectors: list[np.ndarray]
    doc_vector: np.ndarray
    records: list[Record]
    record_vectors: np.ndarray


def embed_document(embedder: Embedder, doc: Document, chunks: list[Chunk], records: list[Record],
                   progress: Callable[[int, int], None] | None = None,
                   cancel: threading.Event | None = None) -> EmbeddedDocument:
    """Chunks are embedded with their title and section as context; sentence spans stay
    relative to the chunk text and are shifted only for the embedder.

    A SLICE of chunks at a time, so a long document reports `progress(done, total)`
    as it goes and stops (`Cancelled`) between slices once `cancel` is set.
    """
    texts = [passage_context(doc.title, c.section, c.text) for c in chunks]
    spans = [split_spans(c.text) for c in chunks]
    shifted = [
        [(a + len(t) - len(c.text), b + len(t) - len(c.text)) for a, b in sp] for t, c, sp in zip(texts, chunks, spans)
    ]
    parts: list[np.ndarray] = []
    sentence_vectors: list[np.ndarray] = []
    for start in range(0, len(texts), SLICE):
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"{doc.source}: cancelled while embedding")
        vectors, sentences = embedder.embed_with_sentences(texts[start : start + SLICE], shifted[start : start + SLICE])
        parts.append(vectors)
        sentence_vectors.extend(sentences)
        if progress is not None:
            progress(min(start + SLICE, len(texts)), len(texts))
    vectors = np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    doc_vector = embedder.embed([document_context(doc)])[0]
    return EmbeddedDocument(doc, chunks, spans, vectors, sentence_vectors, doc_vector, records,
                            embed_records(embedder, records))


def embed_records(embedder: Embedder, records: list[Record]) -> np.ndarray:
    if not records:
        return np.zeros((0, 0), dtype=np.float32)
    return embedder.embed([record_context(r) for r in records])
