"""One file's bytes -> its document, chunks and records: everything that needs no model and no store.

This is what a parse worker runs (worker.py) and what the ingest runs when
it parses here; nothing in it touches the index, so a file that fails here
leaves no trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from assistant.config import Settings
from assistant.errors import LoadError
from assistant.ingest.chunking import chunk_sections
from assistant.ingest.loaders import load
from assistant.ingest.metadata import extract_metadata
from assistant.ingest.records import extract_records, stamp
from assistant.ingest.sections import build_sections
from assistant.models import Chunk, Document, Record, SectionInfo

__all__ = ["Prepared", "prepare"]

Prepared = tuple[Document, list[Chunk], list[Record]]


def prepare(path: Path, data: bytes, doc_id: str, settings: Settings) -> Prepared:
    """Parse, describe and chunk one file's bytes, and find its records; raises LoadError on bad input."""
    parsed = load(path, data=data, limits=settings.limits)
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
    records = extract_records(doc, sections)
    return stamp(doc, len(records)), chunks, records


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
