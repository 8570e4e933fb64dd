"""Files in, chunks in the store out: incremental, per-file, resumable.

A document is its content hash. Unchanged files cost a hash and a registry
look-up, never an embedding; a changed file's new version is committed before
the old one is deleted, so a crash never leaves a path with no document.
Each file succeeds or fails on its own.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.embed.embedder import Embedder, passage_context
from assistant.errors import LoadError, ParseError
from assistant.index.store import COMPLETE, Store
from assistant.ingest.chunking import chunk_sections
from assistant.ingest.loaders import SUPPORTED_SUFFIXES, load
from assistant.ingest.metadata import extract_metadata
from assistant.ingest.parsing import Parser
from assistant.ingest.records import extract_records
from assistant.ingest.sections import build_sections
from assistant.ingest.sentences import split_spans
from assistant.models import Chunk, Document, FailedFile, IngestReport, SectionInfo
from assistant.search import records as records_store

SKIPPED_NAMES = {"catalog.csv"}

Progress = Callable[[str, int, int], None]  # (file name, files done, files total)


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[FailedFile]]:
    """Supported files under the given files and folders, in a stable order."""
    files: list[Path] = []
    failed: list[FailedFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and _wanted(child, path):
                    files.append(child)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                failed.append(FailedFile(path=str(path), error=f"{path.name}: unsupported file type {path.suffix or '(none)'}"))
        else:
            failed.append(FailedFile(path=str(path), error=f"{path}: no such file or folder"))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, failed


def _wanted(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    if any(part.startswith(".") for part in rel.parts):
        return False
    if path.name in SKIPPED_NAMES or path.name.endswith(".meta.json"):
        return False
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def prepare(
    path: Path, data: bytes, doc_id: str, settings: Settings, records_out: list | None = None
) -> tuple[Document, list[Chunk]]:
    """Parse, describe and chunk one file's bytes; raises LoadError on bad input.

    `records_out`: a list to receive the document's evaluation records.
    """
    parsed = load(path, data=data)
    meta = extract_metadata(parsed, corpus_root=settings.corpus_dir)
    sections = build_sections(parsed.blocks)
    chunks = chunk_sections(sections, doc_id, size=settings.chunk_size, overlap=settings.chunk_overlap)
    if not chunks:
        raise LoadError(path, "no text to index")
    doc = Document(
        **meta.model_dump(),
        doc_id=doc_id,
        source=path.name,
        path=str(path),
        format=parsed.format,
        pages=parsed.page_count,
        chunks=len(chunks),
        sections=_section_infos(chunks),
        size_bytes=len(data),
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if records_out is not None:
        records_out.extend(extract_records(doc, sections))
        doc = records_store.stamp(doc, len(records_out))
    return doc, chunks


def _section_infos(chunks: list[Chunk]) -> list[SectionInfo]:
    infos: dict[str, SectionInfo] = {}
    for c in chunks:
        info = infos.get(c.section)
        if info is None:
            infos[c.section] = SectionInfo(title=c.section, type=c.section_type, page=c.page, page_end=c.page_end, chunks=1)
            continue
        info.chunks += 1
        if c.page_end is not None:
            info.page_end = max(info.page_end or c.page_end, c.page_end)
    return list(infos.values())


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder,
    settings: Settings,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    store.recover()
    files, failed = discover(paths)
    report = IngestReport(failed=failed)

    registry = [r for r in store.registry() if r.get("status") == COMPLETE]
    known = {r["doc_id"]: r for r in registry}
    by_path: dict[str, list[str]] = defaultdict(list)
    for r in registry:
        by_path[r["path"]].append(r["doc_id"])

    parser = Parser(files, settings, known, store.version)
    try:
        for n, path in enumerate(files):
            if progress:
                progress(path.name, n, len(files))
            try:
                embedded = _embed_file(path, store, embedder, settings, known, by_path, parser.take(path))
                if isinstance(embedded, str):
                    outcome = embedded
                else:
                    outcome = _write(embedded, store)
                    known[embedded.doc.doc_id] = {"doc_id": embedded.doc.doc_id, "path": str(path), "status": COMPLETE, "version": store.version}
                    by_path[str(path)] = [embedded.doc.doc_id]
                    for old in embedded.older:
                        if old != embedded.doc.doc_id:
                            known.pop(old, None)
            except Exception as exc:  # one bad file must not stop the run
                report.failed.append(_failure(path, exc))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
    finally:
        parser.close()
    if progress:
        progress("", len(files), len(files))

    for path_, error in records_store.backfill(store, embedder, settings):  # indexes built before records
        report.failed.append(FailedFile(path=path_, error=error))

    if prune:
        for doc_id, record in list(known.items()):
            if not Path(record["path"]).exists():
                store.remove(doc_id)
                report.removed += 1

    docs = store.documents()
    report.documents = len(docs)
    report.chunks = store.count()
    report.pages = sum(d.pages or 0 for d in docs)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


@dataclass
class _Embedded:
    doc: Document
    chunks: list[Chunk]
    spans: list[list[tuple[int, int]]]
    vectors: np.ndarray
    sentence_vectors: list[np.ndarray]
    doc_vector: np.ndarray
    older: list[str]  # earlier versions of the same path, removed once this one is committed
    records: records_store.RecordBatch | None = None  # lessons, recommendations, ... (records.py)


def _failure(path: Path, exc: Exception) -> FailedFile:
    if isinstance(exc, LoadError):
        return FailedFile(path=str(path), error=str(exc))
    name = exc.type_name if isinstance(exc, ParseError) else type(exc).__name__
    return FailedFile(path=str(path), error=f"{path.name}: {name}: {exc}")


def _embed_file(path, store, embedder, settings, known, by_path, ahead) -> _Embedded | str:
    """Embed one file read and parsed by the `Parser`; "unchanged" when its content is indexed already."""
    data, doc_id, parsed = ahead
    key = str(path)
    older = [d for d in by_path.get(key, []) if d != doc_id]

    restale = doc_id in known and known[doc_id].get("version") != store.version
    if restale:  # indexed under another layout, chunking or model: embed it again
        store.remove(doc_id)
        del known[doc_id]
        older.append(doc_id)  # reported as updated

    if doc_id in known:
        previous = known[doc_id]["path"]
        if previous != key and not Path(previous).exists():
            doc = store.document(doc_id)
            if doc is not None:  # the file moved: keep its chunks, note the new place
                store.rename(doc.model_copy(update={"path": key, "source": path.name}))
                known[doc_id]["path"] = key
        for old in older:  # a crash after commit, before the old version went
            store.remove(old)
        return "unchanged"

    if parsed is None:  # looked indexed when read ahead, but is not (or no longer) current
        found: list = []
        doc, chunks = prepare(path, data, doc_id, settings, records_out=found)
    else:
        doc, chunks, found = parsed
    # Embedded with title and section as context; sentence spans are kept
    # relative to the chunk text, shifted only for the embedder.
    texts = [passage_context(doc.title, c.section, c.text) for c in chunks]
    spans = [split_spans(c.text) for c in chunks]
    shifted = [[(a + len(t) - len(c.text), b + len(t) - len(c.text)) for a, b in sp] for t, c, sp in zip(texts, chunks, spans)]
    vectors, sentence_vectors = embedder.embed_with_sentences(texts, shifted)
    doc_vector = embedder.embed([document_context(doc)])[0]

    return _Embedded(doc, chunks, spans, vectors, sentence_vectors, doc_vector, older, records_store.embed_records(embedder, found))


def _write(e: _Embedded, store: Store) -> str:
    """Commit one document, then drop the versions it replaces: added or updated."""
    store.begin(e.doc, e.doc_vector)
    store.add_chunks(e.doc, e.chunks, e.vectors, e.spans, e.sentence_vectors)
    if e.records is not None:
        records_store.write(store, e.doc, e.records)
    store.commit(e.doc)
    for old in e.older:
        if old != e.doc.doc_id:  # the same id: re-embedded in place, see _embed_file
            store.remove(old)
    return "updated" if e.older else "added"


def document_context(doc: Document) -> str:
    """What a document-level vector describes: for finding documents by topic."""
    parts = [doc.title, doc.organisation or "", ", ".join(doc.countries), str(doc.year or ""), doc.kind]
    return " | ".join(p for p in parts if p)
