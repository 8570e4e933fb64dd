"""The records that cross module lines.

Loaders emit `Block`s, structure turns them into `Section`s, chunking into
`Chunk`s; the store keeps `Chunk`s and `Document`s; retrieval returns
`Passage`s and answering an `Answer`. Pydantic models so the HTTP API can
serve the very same shapes the Python API returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field

SECTION_TYPES = (
    "summary",
    "background",
    "methodology",
    "findings",
    "conclusions",
    "recommendations",
    "lessons_learned",
    "good_practices",
    "management_response",
    "annex",
    "other",
)
SectionType = Literal[
    "summary",
    "background",
    "methodology",
    "findings",
    "conclusions",
    "recommendations",
    "lessons_learned",
    "good_practices",
    "management_response",
    "annex",
    "other",
]

DAC_CRITERIA = (
    "relevance",
    "coherence",
    "effectiveness",
    "efficiency",
    "impact",
    "sustainability",
    "validity_of_design",
)

DOCUMENT_KINDS = (
    "final",
    "mid-term",
    "country programme",
    "thematic",
    "meta-evaluation",
    "brief",
    "management response",
    "terms of reference",
    "other",
)


class Block(BaseModel):
    """One paragraph or heading as a loader found it.

    `level` 0 is body text; 1, 2, ... are heading depths. `page` is 1-based,
    None for formats without pages.
    """

    text: str
    page: int | None = None
    level: int = 0


class ParsedFile(BaseModel):
    """What a loader hands on: the file's text as ordered blocks."""

    path: str
    format: str  # pdf, text, markdown, docx, html
    blocks: list[Block]
    page_count: int | None = None
    pdf_metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


class Section(BaseModel):
    """A run of body text under one heading path."""

    path: list[str]
    type: SectionType = "other"
    criteria: list[str] = Field(default_factory=list)
    blocks: list[Block] = Field(default_factory=list)

    @property
    def title(self) -> str:
        return " > ".join(self.path)


class DocumentMetadata(BaseModel):
    """What we know about a document as a whole; every chunk carries a copy."""

    title: str = ""
    organisation: str | None = None
    countries: list[str] = Field(default_factory=list)
    year: int | None = None
    kind: str = "other"
    language: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class Chunk(BaseModel):
    chunk_id: str
    doc_id: str
    index: int
    text: str
    section: str = ""  # "A > B > C"
    section_type: SectionType = "other"
    criteria: list[str] = Field(default_factory=list)
    page: int | None = None
    page_end: int | None = None
    # Where the text moves to another page: (character offset, page) from the start, when it spans pages;
    # a cited sentence's page is the last mark at or before its start (`page_at`).
    page_marks: list[tuple[int, int]] = Field(default_factory=list)


def page_at(marks: Sequence[Sequence[int]], offset: int, default: int | None) -> int | None:
    """The page holding the character at `offset` of a text with these page marks."""
    page = default
    for start, number in marks:
        if start > offset:
            break
        page = number
    return page


class SectionInfo(BaseModel):
    """A section as listed on a document: where it is and what it is."""

    title: str
    type: SectionType = "other"
    page: int | None = None
    page_end: int | None = None
    chunks: int = 0


class Document(DocumentMetadata):
    doc_id: str
    source: str  # file name
    path: str  # where it was ingested from
    format: str
    pages: int | None = None
    chunks: int = 0
    sections: list[SectionInfo] = Field(default_factory=list)
    size_bytes: int = 0
    ingested_at: str = ""
    records: int = 0  # evaluation records extracted (lessons, recommendations, ...)
    records_version: int = 0  # the extractor that made them; 0: none yet (ingest backfills)


class FailedFile(BaseModel):
    path: str
    error: str


class FileOutcome(BaseModel):
    """What one file of an ingest came to, and what it cost."""

    path: str
    outcome: Literal["added", "updated", "unchanged", "failed"]
    error: str | None = None
    seconds: float = 0.0  # parse (as waited for), embed and write
    parse_seconds: float | None = None  # in its worker; None when not parsed (unchanged)
    parser_peak_mb: float | None = None  # the worker's peak resident memory on this file


class IngestReport(BaseModel):
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[FailedFile] = Field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    pages: int = 0
    seconds: float = 0.0
    files: list[FileOutcome] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class Passage(BaseModel):
    """A retrieved chunk with everything needed to cite it."""

    chunk_id: str
    doc_id: str
    source: str
    title: str = ""
    organisation: str | None = None
    year: int | None = None
    page: int | None = None
    page_end: int | None = None
    section: str = ""
    section_type: str = "other"
    text: str
    score: float = 0.0
    # Offset in `text` of the sentence that best matches the query: a search result is cited at its page.
    anchor: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Answer(BaseModel):
    question: str
    text: str
    citations: list[Passage] = Field(default_factory=list)
    found: bool = True
    timings: dict[str, float] = Field(default_factory=dict)
    notice: str | None = None


RECORD_TYPES = ("lesson", "good_practice", "recommendation", "management_response")
RecordType = Literal["lesson", "good_practice", "recommendation", "management_response"]
RECORD_LABELS = {"lesson": "Lesson learned", "good_practice": "Good practice",
                 "recommendation": "Recommendation", "management_response": "Management response"}
RECORD_HEADINGS = {"lesson": "Lessons learned", "good_practice": "Good practices",
                   "recommendation": "Recommendations", "management_response": "Management responses"}


class Record(BaseModel):
    """One lesson, good practice, recommendation or management response item,
    as printed in a report: what donors filter, cite and export."""

    id: str  # f"{doc_id}:{type}:{ordinal:03d}", stable across re-ingests of the same file
    type: RecordType
    number: str | None = None  # as printed: "LL-1", "GP2", "7"
    title: str | None = None  # the bold lead, when there is one
    text: str
    doc_id: str
    source: str
    document_title: str = ""
    organisation: str | None = None
    countries: list[str] = Field(default_factory=list)
    year: int | None = None
    page: int | None = None
    also_pages: list[int] = Field(default_factory=list)  # where the report restates it (an executive summary)
    parent: str | None = None  # a sub-item's parent number: "1" for recommendation "1.1"
    section: str = ""
    score: float = 0.0


class Finding(BaseModel):
    """What a report found on one DAC criterion: its own sentence, cited, and the rating it gives, if any."""

    criterion: str
    sentence: str
    rating: str | None = None  # as printed: "quite satisfactory", "relatively high"
    citation: Passage


class RelatedDocument(BaseModel):
    """A report's kin in the library: its brief, its management response, the full report of a summary."""

    doc_id: str
    title: str
    kind: str = "other"
    year: int | None = None


class ReportCard(BaseModel):
    """One evaluation at a glance: its facts, summary opening, findings per criterion and records."""

    document: Document
    summary: str = ""
    summary_citation: Passage | None = None
    findings: list[Finding] = Field(default_factory=list)
    records: dict[str, list[Record]] = Field(default_factory=dict)  # by type, in RECORD_TYPES order
    related: list[RelatedDocument] = Field(default_factory=list)


class DeltaEvent(TypedDict):
    """A piece of an answer as it is produced; the pieces join to the answer's text."""

    event: Literal["delta"]
    text: str


class AnswerEvent(TypedDict):
    """The last event of a stream: the checked answer, whose text is authoritative."""

    event: Literal["answer"]
    answer: Answer


StreamEvent = DeltaEvent | AnswerEvent

Progress = Callable[[str, float, int], None]  # (file name, files done (a fraction within a file), files total)


def content_id(data: bytes) -> str:
    """A document's id: its content's hash, so an unchanged file is known at a glance."""
    return hashlib.sha256(data).hexdigest()[:24]
