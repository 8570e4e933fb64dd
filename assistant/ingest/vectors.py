"""A prepared document's vectors: its chunks with their sentences, the document itself, its records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.embed.context import document_context, passage_context, record_context
from assistant.embed.embedder import Embedder
from assistant.ingest.sentences import split_spans
from assistant.models import Chunk, Document, Record

__all__ = ["EmbeddedDocument", "embed_document", "embed_records"]


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


def embed_document(embedder: Embedder, doc: Document, chunks: list[Chunk], records: list[Record]) -> EmbeddedDocument:
    """Chunks are embedded with their title and section as context; sentence spans stay
    relative to the chunk text and are shifted only for the embedder."""
    texts = [passage_context(doc.title, c.section, c.text) for c in chunks]
    spans = [split_spans(c.text) for c in chunks]
    shifted = [
        [(a + len(t) - len(c.text), b + len(t) - len(c.text)) for a, b in sp] for t, c, sp in zip(texts, chunks, spans)
    ]
    vectors, sentence_vectors = embedder.embed_with_sentences(texts, shifted)
    doc_vector = embedder.embed([document_context(doc)])[0]
    return EmbeddedDocument(doc, chunks, spans, vectors, sentence_vectors, doc_vector, records,
                            embed_records(embedder, records))


def embed_records(embedder: Embedder, records: list[Record]) -> np.ndarray:
    if not records:
        return np.zeros((0, 0), dtype=np.float32)
    return embedder.embed([record_context(r) for r in records])
