"""Evaluation records next to the index: stored at ingest, searched, exported.

Records live in the Chroma collection `<collection>_records` (the store's
client, `embedding_function=None`, vectors from our `Embedder`). They are
written inside the document's crash-safe transaction (registry pending ->
chunks -> records -> complete), deleted with the document and kept on a
move. An index built before records existed, or by an older extractor, is
brought up to date by ingest (`backfill`): the file is parsed again and its
records written, without re-embedding any chunk; `Document.records_version`
says which extractor a document's records come from.

Search is hybrid like passage search: cosine similarity over record vectors
plus BM25 over record text, fused as `dense + 0.5 * BM25 / best BM25`. The
records index is derived and rebuilt when the set of documents or records
changes.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import FilterError
from assistant.index.filters import Filters
from assistant.index.store import document_metadata
from assistant.models import RECORD_TYPES, Document, Record

RECORDS_VERSION = 1  # bump when extraction changes: ingest re-extracts older documents
MAX_K = 500
MAX_QUERY_CHARS = 2000
_NOT_FOR_RECORDS = {"section_type": "section_type", "criteria": "criterion"}
_TYPE_ALIASES = {
    "lessons": "lesson", "lessons_learned": "lesson", "lesson_learned": "lesson", "ll": "lesson",
    "good_practices": "good_practice", "practice": "good_practice", "gp": "good_practice",
    "recommendations": "recommendation", "rec": "recommendation",
    "management_responses": "management_response", "response": "management_response", "mr": "management_response",
}
LABELS = {"lesson": "Lesson learned", "good_practice": "Good practice",
          "recommendation": "Recommendation", "management_response": "Management response"}
CSV_FIELDS = ("id", "type", "number", "title", "text", "document_title", "source", "organisation",
              "countries", "year", "page", "section", "doc_id", "score")


def collection_name(settings) -> str:
    return f"{settings.collection}_records"


def check_type(value: Any) -> str | None:
    """A record type from what a user typed ("lessons", "good practice"); ValueError names the allowed ones."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"type must be text, one of: {', '.join(RECORD_TYPES)}")
    norm = "_".join(value.strip().lower().replace("-", " ").split())
    norm = _TYPE_ALIASES.get(norm, norm)
    if norm not in RECORD_TYPES:
        raise ValueError(f"unknown record type {value!r}; use one of: {', '.join(RECORD_TYPES)}")
    return norm


def check_k(k: Any) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be a whole number from 1 to {MAX_K}")
    return k


def record_filters(filters: Mapping | Filters | None) -> Filters:
    """`Filters` for records: the document keys; section and criterion do not apply to a record."""
    parsed = filters if isinstance(filters, Filters) else Filters.parse(filters)
    for field_name, key in _NOT_FOR_RECORDS.items():
        if field_name in parsed.equals:
            raise FilterError(f"filter {key!r} does not apply to records; filter by type= instead "
                              f"({', '.join(RECORD_TYPES)})")
    return parsed


# -- writing --------------------------------------------------------------------


@dataclass
class RecordBatch:
    """A document's records with their vectors, ready to write in its transaction."""

    records: list[Record]
    vectors: np.ndarray


def record_context(record: Record) -> str:
    """What a record vector describes: its kind, number and lead, its text, and the report it is from."""
    head = f"{LABELS[record.type]} {record.number or ''}".strip()
    lead = f"{record.title}. " if record.title and not record.text.startswith(record.title) else ""
    return f"{record.document_title}\n{head}: {lead}{record.text}"


def embed_records(embedder, records: list[Record]) -> RecordBatch:
    if not records:
        return RecordBatch([], np.zeros((0, 0), dtype=np.float32))
    return RecordBatch(records, embedder.embed([record_context(r) for r in records]))


def record_metadata(doc: Document, record: Record, position: int) -> dict[str, Any]:
    """Flat Chroma metadata: the document fields filters use (as on chunks) plus the record's own."""
    return document_metadata(
        doc,
        type=record.type,
        number=record.number,
        record_title=record.title,
        page=record.page,
        section=record.section,
        position=position,
    )


def write(store, doc: Document, batch: RecordBatch) -> None:
    """Replace a document's records (ids are deterministic, so a retried write is idempotent)."""
    store.records.delete(where={"doc_id": doc.doc_id})
    if not batch.records:
        return
    store.records.upsert(
        ids=[r.id for r in batch.records],
        embeddings=batch.vectors,
        documents=[r.text for r in batch.records],
        metadatas=[record_metadata(doc, r, n) for n, r in enumerate(batch.records)],
    )


def stamp(doc: Document, count: int) -> Document:
    """The document as registered once its records are written by this extractor."""
    return doc.model_copy(update={"records": count, "records_version": RECORDS_VERSION})


def backfill(store, embedder, settings, known: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Give complete documents extracted by no or an older extractor their records.

    Re-parses each file (chunks and their vectors are left alone). Returns
    (path, error) for files that could not be read; they are retried next run.
    """
    from assistant.index.store import COMPLETE
    from assistant.ingest.loaders import load, read
    from assistant.ingest.parsing import content_id
    from assistant.ingest.records import extract_records
    from assistant.ingest.sections import build_sections

    wanted = set(known) if known is not None else None
    failed: list[tuple[str, str]] = []
    got = store.docs.get(include=["documents", "metadatas", "embeddings"])
    for doc_id, text, meta, vector in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
        if meta.get("status") != COMPLETE or (wanted is not None and doc_id not in wanted):
            continue
        doc = Document.model_validate_json(text)
        if doc.records_version >= RECORDS_VERSION:
            continue
        path = Path(doc.path)
        if not path.is_file():
            continue  # moved or gone: ingest of its new place, or --prune, deals with it
        try:
            data = read(path, max_bytes=settings.max_file_mb * 1024 * 1024)
            if content_id(data) != doc_id:
                continue  # the file changed: the next ingest re-indexes it whole
            records = extract_records(doc, build_sections(load(path, data=data).blocks))
        except Exception as exc:  # a vanished or unreadable file keeps its old state
            failed.append((str(path), f"{path.name}: records not extracted: {exc}"))
            continue
        write(store, doc, embed_records(embedder, records))
        store.docs.update(  # the vector passed back: Chroma must never embed on its own
            ids=[doc_id], embeddings=[list(vector)], documents=[stamp(doc, len(records)).model_dump_json()],
            metadatas=[meta],
        )
    return failed


# -- search --------------------------------------------------------------------


class RecordIndex:
    """All records in memory (they are few), with a BM25 index; rebuilt when the store changes."""

    def __init__(self, store, embedder):
        self.store = store
        self.embedder = embedder
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._snapshot = _Snapshot([], [], np.zeros((0, 0), dtype=np.float32), None)

    def _fresh(self) -> None:
        from assistant.index.store import COMPLETE

        with self._lock:  # checked on every call (two cheap reads): writes show at once
            docs = frozenset(r["doc_id"] for r in self.store.registry() if r.get("status") == COMPLETE)
            key = (docs, self.store.records.count())
            if key != self._key:
                self._build(docs)
                self._key = key

    def _build(self, docs: frozenset[str]) -> None:
        import bm25s

        from assistant.index.snapshot import doc_tokens

        got = self.store.records.get(include=["documents", "metadatas", "embeddings"])
        rows = sorted(
            (m.get("source", ""), m["doc_id"], m.get("position", 0), i, t, m, e)
            for i, t, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
            if m.get("doc_id") in docs
        )
        records = [_record(i, t, m) for *_, i, t, m, _e in rows]
        metas = [m for *_, m, _e in rows]
        vectors = np.asarray([e for *_, e in rows], dtype=np.float32) if rows else np.zeros((0, 0), np.float32)
        corpus = [doc_tokens(f"{r.title or ''} {r.text}", m.get("language")) for r, m in zip(records, metas)]
        bm25 = None
        if any(corpus):
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        self._snapshot = _Snapshot(records, metas, vectors, bm25)  # one assignment: searches never see a mix

    def search(self, query: str | None = None, type: str | None = None,
               filters: Mapping | Filters | None = None, k: int = 50) -> list[Record]:
        rtype, k, parsed = check_type(type), check_k(k), record_filters(filters)
        text = _check_query(query)
        self._fresh()
        snap = self._snapshot
        records, metas = snap.records, snap.metas
        mask = np.fromiter(
            ((rtype is None or m.get("type") == rtype) and parsed.match(m) for m in metas), dtype=bool, count=len(metas)
        )
        if text is None:
            return [records[i].model_copy() for i in np.flatnonzero(mask)[:k]]
        if not mask.any():
            return []
        dense = snap.vectors @ self.embedder.embed_query(text)
        lexical = _lexical(snap, text, mask)
        fused = dense + (0.5 * lexical / lexical.max() if lexical.max() > 0 else 0.0)
        fused = np.where(mask, fused, -np.inf)
        top = np.argsort(-fused, kind="stable")[: min(k, int(mask.sum()))]
        return [records[i].model_copy(update={"score": round(float(fused[i]), 4)}) for i in top]


    def vectors(self, record_ids) -> dict[str, np.ndarray]:
        """The stored vectors of the given records (for comparing items across reports)."""
        snap = self._snapshot
        where = {r.id: i for i, r in enumerate(snap.records)}
        return {rid: snap.vectors[where[rid]] for rid in record_ids if rid in where}


@dataclass(frozen=True)
class _Snapshot:
    records: list[Record]
    metas: list[dict]
    vectors: np.ndarray
    bm25: Any


def _lexical(snap: _Snapshot, text: str, mask: np.ndarray) -> np.ndarray:
    from assistant.index.snapshot import query_tokens

    scores = np.zeros(len(snap.records), dtype=np.float32)
    if snap.bm25 is None:
        return scores
    tokens = [t for t in query_tokens(text) if t in snap.bm25.vocab_dict]
    if tokens:
        scores = np.asarray(snap.bm25.get_scores(tokens, weight_mask=mask), dtype=np.float32)
    return scores


def _check_query(query: Any) -> str | None:
    if query is None:
        return None
    if not isinstance(query, str):
        raise ValueError("query must be text")
    text = " ".join(query.split())
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    return text or None


def _record(record_id: str, text: str, meta: Mapping[str, Any]) -> Record:
    return Record(
        id=record_id, type=meta["type"], number=meta.get("number"), title=meta.get("record_title"), text=text,
        doc_id=meta["doc_id"], source=meta.get("source", ""), document_title=meta.get("title", ""),
        organisation=meta.get("organisation"), countries=list(meta.get("countries") or []), year=meta.get("year"),
        page=meta.get("page"), section=meta.get("section", ""),
    )


# -- export ------------------------------------------------------------------------


def _row(record: Record) -> dict[str, Any]:
    data = record.model_dump()
    data["countries"] = "; ".join(record.countries)
    return {f: "" if data.get(f) is None else data[f] for f in CSV_FIELDS}


def records_to_csv(records: Iterable[Record]) -> str:
    """CSV with a header row; countries joined by "; "."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(_row(record))
    return out.getvalue()


def records_from_csv(text: str) -> list[Record]:
    """The records a `records_to_csv` export holds (for re-import and round-trip checks)."""
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        values: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
        values["countries"] = [c for c in (row.get("countries") or "").split("; ") if c]
        for name in ("year", "page"):
            values[name] = int(values[name]) if values.get(name) is not None else None
        values["score"] = float(values["score"]) if values.get("score") is not None else 0.0
        for name in ("section", "document_title", "source"):
            values[name] = values.get(name) or ""
        out.append(Record(**values))
    return out


def records_to_xlsx(records: Iterable[Record], path: str | Path) -> Path:
    """An Excel workbook with one sheet of records and a bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Records"
    sheet.append(list(CSV_FIELDS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in records:
        row = _row(record)
        sheet.append([row[f] for f in CSV_FIELDS])
    widths = {"title": 40, "text": 80, "document_title": 40, "section": 40}
    for n, name in enumerate(CSV_FIELDS, 1):
        sheet.column_dimensions[sheet.cell(1, n).column_letter].width = widths.get(name, 14)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    path = Path(path)
    book.save(path)
    return path
