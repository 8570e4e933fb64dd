"""Files in, chunks in the store out: incremental, per-file, resumable, each file within its budget.

A document is its content hash. Unchanged files cost a hash and a registry
look-up, never an embedding; a changed file's new version is committed before
the old one is deleted, so a crash never leaves a path with no document.
Each file succeeds or fails on its own, and nothing of a failed or
cancelled file is written.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.config import Settings
from assistant.embed.embedder import Embedder
from assistant.errors import Cancelled, LoadError, ParseError
from assistant.files import discover
from assistant.index.store import COMPLETE, Store
from assistant.ingest.backfill import backfill
from assistant.ingest.parsing import Parsed, Parser
from assistant.ingest.vectors import EmbeddedDocument, embed_document
from assistant.models import FailedFile, FileOutcome, IngestReport, Progress

__all__ = ["commit", "ingest"]


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder,
    settings: Settings,
    prune: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> IngestReport:
    """Index files and folders; `cancel` stops between files and embedding slices (raising `Cancelled`)."""
    started = time.perf_counter()
    store.recover()
    files, failed = discover(paths)
    report = IngestReport(failed=failed)
    report.files.extend(FileOutcome(path=f.path, outcome="failed", error=f.error) for f in failed)

    registry = [r for r in store.registry() if r.get("status") == COMPLETE]
    known = {r["doc_id"]: r for r in registry}
    by_path: dict[str, list[str]] = defaultdict(list)
    for r in registry:
        by_path[r["path"]].append(r["doc_id"])

    parser = Parser(files, settings, known, store.version, cancel=cancel)
    try:
        for n, path in enumerate(files):
            if progress:
                progress(path.name, n, len(files))
            began = time.perf_counter()

            def within(done: int, total: int, n: int = n, name: str = path.name) -> None:
                if progress:
                    progress(name, n + done / max(1, total), len(files))

            try:
                outcome = _ingest_file(path, store, embedder, parser, known, by_path, parser.take(path),
                                       within, cancel)
                error = None
            except Cancelled:
                raise
            except Exception as exc:  # one bad file must not stop the run
                report.failed.append(_failure(path, exc))
                outcome, error = "failed", report.failed[-1].error
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
            parse_seconds, peak = parser.stats.get(path, (None, None))
            report.files.append(FileOutcome(path=str(path), outcome=outcome, error=error,  # type: ignore[arg-type]
                                            seconds=round(time.perf_counter() - began, 3), parser_peak_mb=peak,
                                            parse_seconds=None if parse_seconds is None else round(parse_seconds, 3)))
    finally:
        parser.close()
    if progress:
        progress("", len(files), len(files))

    report.failed.extend(backfill(store, embedder, settings))  # indexes built before records

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


def _failure(path: Path, exc: Exception) -> FailedFile:
    if isinstance(exc, LoadError):
        return FailedFile(path=str(path), error=str(exc))
    name = exc.type_name if isinstance(exc, ParseError) else type(exc).__name__
    return FailedFile(path=str(path), error=f"{path.name}: {name}: {exc}")


def _ingest_file(path: Path, store: Store, embedder: Embedder, parser: Parser, known: dict,
                 by_path: dict[str, list[str]], ahead: Parsed, progress: Callable[[int, int], None],
                 cancel: threading.Event | None) -> str:
    """Embed and commit one file read and parsed by the `Parser`: "added", "updated" or "unchanged"."""
    data, doc_id, parsed = ahead
    key = str(path)
    older = [d for d in by_path.get(key, []) if d != doc_id]  # earlier versions of the same path

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

    # None: looked indexed when read ahead, but is not (or no longer) current
    doc, chunks, records = parsed if parsed is not None else parser.parse_now(path, data, doc_id)
    commit(embed_document(embedder, doc, chunks, records, progress, cancel), store, older)
    known[doc_id] = {"doc_id": doc_id, "path": key, "status": COMPLETE, "version": store.version}
    by_path[key] = [doc_id]
    for old in older:
        if old != doc_id:
            known.pop(old, None)
    return "updated" if older else "added"


def commit(e: EmbeddedDocument, store: Store, older: Iterable[str] = ()) -> None:
    """Write one document (pending, chunks, records, complete), then drop the versions it replaces."""
    store.begin(e.doc, e.doc_vector)
    store.add_chunks(e.doc, e.chunks, e.vectors, e.spans, e.sentence_vectors)
    store.write_records(e.doc, e.records, e.record_vectors)
    store.commit(e.doc)
    for old in older:
        if old != e.doc.doc_id:  # the same id: re-embedded in place, see _ingest_file
            store.remove(old)
