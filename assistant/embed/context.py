"""What each vector describes: the text handed to the model for a passage, a document, a record.

A vector knows only the text it was given. A chunk that says "the programme
met 12 of 14 indicators" matches a question about the ILO programme only if
its text names the report and section; a record carries its report's title.
"""

from __future__ import annotations

from assistant.models import RECORD_LABELS, Document, Record

__all__ = ["document_context", "passage_context", "record_context"]


def passage_context(title: str, section: str, text: str) -> str:
    """A chunk's text under its document title and section path."""
    head = " | ".join(part for part in (title, section) if part)
    return f"{head}\n{text}" if head else text


def document_context(doc: Document) -> str:
    """A document as a whole, for finding documents by topic."""
    parts = [doc.title, doc.organisation or "", ", ".join(doc.countries), str(doc.year or ""), doc.kind]
    return " | ".join(p for p in parts if p)


def record_context(record: Record) -> str:
    """A record: its kind, number and lead, its text, and the report it is from."""
    head = f"{RECORD_LABELS[record.type]} {record.number or ''}".strip()
    lead = f"{record.title}. " if record.title and not record.text.startswith(record.title) else ""
    return f"{record.document_title}\n{head}: {lead}{record.text}"
