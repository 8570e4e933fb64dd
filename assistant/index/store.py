"""Chroma, local or remote: the chunks, the records and the document registry.

Every Chroma call lives here. Chroma is the source of truth; anything else
(the in-memory snapshot, the BM25 indexes) is derived from it. Chroma never
embeds: every collection is opened with
`embedding_function=None` and we always hand it vectors, because its default
embedding function downloads a model, which fails on an offline machine.

Crash safety without transactions: a document's registry record is written
as `pending` before its chunks and flipped to `complete` after them. A run
killed in between leaves a pending record, and `recover()` (called at the
start of every ingest) deletes it with whatever chunks it got. Chunk ids are
deterministic, so a half-written batch re-written later is an upsert, not a
duplicate.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence
from urllib.parse import urlparse

import numpy as np

from assistant.config import Settings
from assistant.index.packing import pack_sentences, unpack_sentences
from assistant.models import Chunk, Document, Record

PENDING, COMPLETE = "pending", "complete"
_BATCH = 500
# Bumped when what is stored per chunk changes: documents indexed under another
# layout, chunking or model are re-embedded by the next ingest.
LAYOUT = 3  # 3: chunks carry page marks, so a citation names the page of its sentence
# Chroma's local writer re-reads every write it has not yet persisted on each
# later write, so a call's cost grows with that backlog (up to its default of
# 1,000); persisting every 50 writes nearly halved the ingest's writes
# (docs/experiments.md, "Storage").
SYNC_THRESHOLD = 50
_HNSW = {"hnsw:space": "cosine", "hnsw:sync_threshold": SYNC_THRESHOLD}


def connect(settings: Settings):
    """A Chroma client: HTTP when a server URL is configured, else on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise ValueError(f"ASSISTANT_CHROMA_URL is not a URL: {settings.chroma_url!r}")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


class Store:
    def __init__(self, settings: Settings, client=None):
        self.settings = settings
        self.client = client if client is not None else connect(settings)
        self.chunks = self._collection(f"{settings.collection}_chunks")
        self.docs = self._collection(f"{settings.collection}_documents")
        self.version = index_version(settings)
        _drop_legacy(self.client, f"{settings.collection}_sentences")
        self.records = self._collection(f"{settings.collection}_records")  # lessons, recommendations, ...

    def _collection(self, name: str):
        collection = self.client.get_or_create_collection(name, embedding_function=None, metadata=_HNSW)
        hnsw = (collection.configuration or {}).get("hnsw") or {}
        if hnsw.get("sync_threshold", SYNC_THRESHOLD) != SYNC_THRESHOLD:  # made before SYNC_THRESHOLD
            collection.modify(configuration={"hnsw": {"sync_threshold": SYNC_THRESHOLD}})
        return collection

    # -- document registry -------------------------------------------------

    def documents(self, include_pending: bool = False) -> list[Document]:
        got = self.docs.get(include=["documents", "metadatas"])
        out = []
        for text, meta in zip(got["documents"], got["metadatas"]):
            if include_pending or meta.get("status") == COMPLETE:
                out.append(Document.model_validate_json(text))
        return sorted(out, key=lambda d: (d.source, d.doc_id))

    def registry(self) -> list[dict[str, Any]]:
        """Light view of the registry (id, path, status) without parsing documents."""
        got = self.docs.get(include=["metadatas"])
        return [dict(meta, doc_id=i) for i, meta in zip(got["ids"], got["metadatas"])]

    def document(self, doc_id: str) -> Document | None:
        got = self.docs.get(ids=[doc_id], include=["documents", "metadatas"])
        if not got["ids"] or got["metadatas"][0].get("status") != COMPLETE:
            return None
        return Document.model_validate_json(got["documents"][0])

    def _put_document(self, doc: Document, vector: np.ndarray, status: str) -> None:
        self.docs.upsert(
            ids=[doc.doc_id],
            embeddings=[vector.tolist()],
            documents=[doc.model_dump_json()],
            metadatas=[self._doc_metadata(doc, status)],
        )

    def _doc_metadata(self, doc: Document, status: str) -> dict[str, str]:
        return {"status": status, "path": doc.path, "source": doc.source, "version": self.version}

    def begin(self, doc: Document, vector: np.ndarray) -> None:
        self._put_document(doc, vector, PENDING)

    def commit(self, doc: Document) -> None:
        """Mark a document begun with `begin` complete: its status only, the record is written already."""
        self.docs.update(ids=[doc.doc_id], metadatas=[self._doc_metadata(doc, COMPLETE)])

    def rename(self, doc: Document) -> None:
        """Record that a known document now lives at another path.

        The vector is passed back in: an update with text and no vector would
        make Chroma embed the text with its downloading default.
        """
        got = self.docs.get(ids=[doc.doc_id], include=["metadatas", "embeddings"])
        if got["ids"]:
            self.docs.update(
                ids=[doc.doc_id],
                embeddings=[list(got["embeddings"][0])],
                documents=[doc.model_dump_json()],
                metadatas=[dict(got["metadatas"][0], path=doc.path, source=doc.source)],
            )
            for collection in (self.chunks, self.records):  # citations name the file as it is now
                rows = collection.get(where={"doc_id": doc.doc_id}, include=["metadatas"])
                if rows["ids"]:
                    collection.update(ids=rows["ids"], metadatas=[dict(m, source=doc.source) for m in rows["metadatas"]])

    def remove(self, doc_id: str) -> bool:
        """Delete a document's chunks, then its record (so a crash leaves it retryable)."""
        known = bool(self.docs.get(ids=[doc_id])["ids"])
        self.records.delete(where={"doc_id": doc_id})
        self.chunks.delete(where={"doc_id": doc_id})
        if known:
            self.docs.delete(ids=[doc_id])
        return known

    def recover(self) -> list[str]:
        """Drop what a killed run left half-written; returns the doc ids dropped."""
        dropped = [r["doc_id"] for r in self.registry() if r.get("status") != COMPLETE]
        for doc_id in dropped:
            self.remove(doc_id)
        return dropped

    # -- chunks ----------------------------------------------------------

    def add_chunks(
        self,
        doc: Document,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        sentence_spans: Sequence[Sequence[tuple[int, int]]],
        sentence_vectors: Sequence[np.ndarray],
    ) -> None:
        """Chunks, each carrying its sentences (spans into its text, with vectors).

        Sentence vectors ride in the chunk's metadata (packing.py) rather than
        in a collection of their own.
        """
        for start in range(0, len(chunks), _BATCH):
            batch = chunks[start : start + _BATCH]
            metas = [
                dict(chunk_metadata(doc, c), **pack_sentences(sentence_spans[start + i], sentence_vectors[start + i]))
                for i, c in enumerate(batch)
            ]
            self.chunks.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[start : start + len(batch)],  # numpy: no Python floats to convert
                documents=[c.text for c in batch],
                metadatas=metas,
            )

    def count(self) -> int:
        return self.chunks.count()

    # -- records (lessons, recommendations, ...) --------------------------

    def write_records(self, doc: Document, records: Sequence[Record], vectors: np.ndarray) -> None:
        """Replace a document's records (ids are deterministic, so a retried write is idempotent)."""
        self.records.delete(where={"doc_id": doc.doc_id})
        if not records:
            return
        self.records.upsert(
            ids=[r.id for r in records],
            embeddings=vectors,
            documents=[r.text for r in records],
            metadatas=[record_metadata(doc, r, n) for n, r in enumerate(records)],
        )

    def record_count(self) -> int:
        return self.records.count()

    def stored_records(self, doc_ids: frozenset[str]) -> tuple[list[Record], list[dict], np.ndarray]:
        """The records of the given documents with their metadata and vectors, in document, then item order."""
        got = self.records.get(include=["documents", "metadatas", "embeddings"])
        rows = sorted(
            (m.get("source", ""), m["doc_id"], m.get("position", 0), i, t, m, e)
            for i, t, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
            if m.get("doc_id") in doc_ids
        )
        records = [record_from_row(i, t, m) for *_, i, t, m, _e in rows]
        metas = [m for *_, m, _e in rows]
        vectors = np.asarray([e for *_, e in rows], dtype=np.float32) if rows else np.zeros((0, 0), np.float32)
        return records, metas, vectors

    def restamp(self, doc: Document) -> None:
        """Rewrite a complete document's registry entry (its record counts), keeping its vector.

        The vector is passed back in: an update with text and no vector would
        make Chroma embed the text with its downloading default.
        """
        got = self.docs.get(ids=[doc.doc_id], include=["metadatas", "embeddings"])
        if got["ids"]:
            self.docs.update(ids=[doc.doc_id], embeddings=[list(got["embeddings"][0])],
                             documents=[doc.model_dump_json()], metadatas=[got["metadatas"][0]])

    def get_chunks(self, ids: Sequence[str]) -> list[tuple[str, str, dict]]:
        if not ids:
            return []
        got = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        return list(zip(got["ids"], got["documents"], got["metadatas"]))

    def sentences_of(self, chunk_ids: Sequence[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """Each chunk's sentences as (start, end, vector), in text order."""
        return {cid: unpack_sentences(meta) for cid, _, meta in self.get_chunks(list(chunk_ids))}

    def query_ids(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity), without reading their text."""
        got = self.chunks.query(query_embeddings=[vector.tolist()], n_results=k, where=where or None, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]

    def iter_chunks(self, where: dict | None = None, batch: int = 2000) -> Iterable[tuple[str, str, dict]]:
        """Every stored chunk (id, text, metadata), paged so 100k chunks stay cheap."""
        for chunk_id, text, meta, _ in self.iter_chunks_with_vectors(where, batch, vectors=False):
            yield chunk_id, text, meta

    def iter_chunks_with_vectors(
        self, where: dict | None = None, batch: int = 2000, vectors: bool = True
    ) -> Iterable[tuple[str, str, dict, np.ndarray | None]]:
        include = ["documents", "metadatas"] + (["embeddings"] if vectors else [])
        offset = 0
        while True:
            got = self.chunks.get(where=where or None, limit=batch, offset=offset, include=include)
            if not got["ids"]:
                return
            vecs = got["embeddings"] if vectors else [None] * len(got["ids"])
            yield from zip(got["ids"], got["documents"], got["metadatas"], vecs)
            offset += len(got["ids"])


def document_metadata(doc: Document, **own: Any) -> dict[str, Any]:
    """Flat Chroma metadata: every document field a search may filter on, plus
    the stored item's own fields (a chunk's, a record's).

    Chroma rejects None and empty lists, so absent values are left out.
    """
    meta: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "source": doc.source,
        "title": doc.title,
        "organisation": doc.organisation,
        "countries": list(doc.countries),
        "year": doc.year,
        "kind": doc.kind,
        "language": doc.language,
        **own,
    }
    return {k: v for k, v in meta.items() if v is not None and v != []}


def chunk_metadata(doc: Document, chunk: Chunk) -> dict[str, Any]:
    return document_metadata(
        doc,
        index=chunk.index,
        section=chunk.section,
        section_type=chunk.section_type,
        criteria=list(chunk.criteria),
        page=chunk.page,
        page_end=chunk.page_end,
        page_marks=",".join(f"{a}:{p}" for a, p in chunk.page_marks) or None,
    )


def record_metadata(doc: Document, record: Record, position: int) -> dict[str, Any]:
    """Flat Chroma metadata: the document fields filters use (as on chunks) plus the record's own."""
    return document_metadata(
        doc,
        type=record.type,
        number=record.number,
        record_title=record.title,
        page=record.page,
        also_pages=list(record.also_pages),
        parent=record.parent,
        section=record.section,
        position=position,
    )


def record_from_row(record_id: str, text: str, meta: dict[str, Any]) -> Record:
    """A stored record back as a `Record` (the inverse of `record_metadata`)."""
    return Record(
        id=record_id, type=meta["type"], number=meta.get("number"), title=meta.get("record_title"), text=text,
        doc_id=meta["doc_id"], source=meta.get("source", ""), document_title=meta.get("title", ""),
        organisation=meta.get("organisation"), countries=list(meta.get("countries") or []), year=meta.get("year"),
        page=meta.get("page"), also_pages=list(meta.get("also_pages") or []), parent=meta.get("parent"),
        section=meta.get("section", ""),
    )


def index_version(settings: Settings) -> str:
    """What a stored chunk depends on: layout, chunking and embedding model."""
    return f"{LAYOUT}:{settings.chunk_size}:{settings.chunk_overlap}:{settings.model_name}"


def _drop_legacy(client, name: str) -> None:
    """Indexes of layout 1 kept sentences in a collection of their own."""
    try:
        client.delete_collection(name)
    except Exception:  # absent: nothing to drop
        pass
