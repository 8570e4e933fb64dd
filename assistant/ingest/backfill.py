"""Records for documents indexed before records existed, or by an older extractor.

The file is parsed again and its records written, without re-embedding any
chunk; `Document.records_version` says which extractor a document's records
come from (`records.RECORDS_VERSION`).
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.embed.embedder import Embedder
from assistant.index.store import Store
from assistant.ingest.loaders import load, read
from assistant.ingest.records import RECORDS_VERSION, extract_records, stamp
from assistant.ingest.sections import build_sections
from assistant.ingest.vectors import embed_records
from assistant.models import FailedFile, content_id

__all__ = ["backfill"]


def backfill(store: Store, embedder: Embedder, settings: Settings) -> list[FailedFile]:
    """Give complete documents extracted by no or an older extractor their records.

    Returns the files that could not be read; they are retried next run.
    """
    failed: list[FailedFile] = []
    for doc in store.documents():
        if doc.records_version >= RECORDS_VERSION:
            continue
        path = Path(doc.path)
        if not path.is_file():
            continue  # moved or gone: ingest of its new place, or --prune, deals with it
        try:
            data = read(path, max_bytes=settings.max_file_mb * 1024 * 1024)
            if content_id(data) != doc.doc_id:
                continue  # the file changed: the next ingest re-indexes it whole
            records = extract_records(doc, build_sections(load(path, data=data).blocks))
        except Exception as exc:  # a vanished or unreadable file keeps its old state
            failed.append(FailedFile(path=str(path), error=f"{path.name}: records not extracted: {exc}"))
            continue
        store.write_records(doc, records, embed_records(embedder, records))
        store.restamp(stamp(doc, len(records)))
    return failed
