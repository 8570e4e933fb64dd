"""What each vector describes: the text handed to the model for a passage, a document, a record.

A vector knows only the text it was given. A chunk that says "the programme
met 12 of 14 indicators" matches a question about the ILO programme only if
its text names the report and section; a record carries its report's title.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.models import RECORD_LABELS, Document, Record

__all__ = ["document_about", "document_context", "passage_context", "record_context"]


def passage_context(title: str, section: str, text: str) -> str:
    """A chunk's text under its document title and section path."""
    head = " | ".join(part for part in (title, section) if part)
    return f"{head}\n{text}" if head else text


def document_about(organisation: str | None, countries: Sequence[str]) -> str:
    """Who and where, in the words users name a report by whatever its language: "ILO; Bangladesh, Cambodia".

    Searched by BM25 with every chunk (index/snapshot.py), not embedded with it: in the vector it helped the
    design half and cost the holdout (docs/experiments.md, "Report metadata in the context").
    """
    return "; ".join(part for part in (organisation or "", ", ".join(countries)) if part)


def document_context(doc: Document) -> str:
    """A document as a whole, for finding documents by topic."""
    parts = [doc.title, doc.organisation or "", ", ".join(doc.countries), str(doc.year or ""), doc.kind]
    return " | ".join(p for p in parts if p)


def record_context(record: Record) -> str:
    """A record: its kind, number and lead, its text, and the report it is from."""
    head = f"{RECORD_LABELS[record.type]} {record.number or ''}".strip()
    lead = f"{record.title}. " if record.title and not record.text.startswith(record.title) else ""
    return f"{record.document_title}\n{head}: {lead}{record.text}"
