"""Records for documents indexed before records existed, or by an older extractor.

The file is parsed again (in a worker, within its budget) and its records
written, without re-embedding any chunk; `Document.records_version` says
which extractor a document's records come from (`records.RECORDS_VERSION`).
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.embed.embedder import Embedder
from assistant.index.store import Store
from assistant.ingest.parsing import Parser
from assistant.ingest.records import RECORDS_VERSION, stamp
from assistant.ingest.vectors import embed_records
from assistant.models import FailedFile

__all__ = ["backfill"]


def backfill(store: Store, embedder: Embedder, settings: Settings) -> list[FailedFile]:
    """Give complete documents extracted by no or an older extractor their records.

    Returns the files that could not be read; they are retried next run.
    """
    stale = [d for d in store.documents() if d.records_version < RECORDS_VERSION and Path(d.path).is_file()]
    if not stale:  # moved or gone files: ingest of their new place, or --prune, deals with them
        return []
    failed: list[FailedFile] = []
    parser = Parser([Path(d.path) for d in stale], settings, {}, store.version)
    try:
        for doc in stale:
            path = Path(doc.path)
            try:
                _, doc_id, parsed = parser.take(path)
            except Exception as exc:  # a vanished or unreadable file keeps its old state
                failed.append(FailedFile(path=str(path), error=f"{path.name}: records not extracted: {exc}"))
                continue
            if doc_id != doc.doc_id or parsed is None:
                continue  # the file changed: the next ingest re-indexes it whole
            records = parsed[2]
            store.write_records(doc, records, embed_records(embedder, records))
            store.restamp(stamp(doc, len(records)))
    finally:
        parser.close()
    return failed
