"""List answers: "what were the recommendations?" answered item by item, grouped by report.

A question asking for recommendations, lessons or good practices gets the
items the reports themselves number (records, see search/records.py), each
cited to the passage it starts in; without records, each passage of the
asked-for type gives its lead sentence. Items from different reports that
make the same point count as support for each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.answer.base import Citations, Scored, org_year, sentence
from assistant.index.snapshot import Snapshot
from assistant.index.tokens import raw_tokens
from assistant.models import Answer, Passage, Record
from assistant.search.candidates import Candidate, to_passage
from assistant.search.focus import named_evaluation
from assistant.search.intent import LIST_WORDS
from assistant.search.records import RecordIndex

__all__ = [
    "MAX_LIST_ITEMS", "ListItem", "list_items", "record_items", "record_list_answer", "record_passage", "report_heading",
    "report_list",
]

MAX_LIST_ITEMS = 12
SUPPORT_SIMILARITY = 0.75  # two items from different reports make the same point
MIN_ITEM_CHARS = 25  # shorter leads are headings or stubs ("the following activities:")
RECORD_SCORE_MARGIN = 0.25  # "recommendations on gender": the items within this of the best match
RECORD_TYPE_OF = {
    "recommendations": "recommendation",
    "lessons_learned": "lesson",
    "good_practices": "good_practice",
    "management_response": "management_response",
}


@dataclass
class ListItem:
    doc_id: str
    heading: str  # the report's line above its items
    text: str
    passage: Passage  # what the item is cited to
    vector: np.ndarray  # compared across reports for support
    at: int | None = None  # where in the passage the item starts, for its page


def report_list(question: str, kind: str, items: list[ListItem]) -> Answer:
    """Items grouped by report, each cited, with how many of the reports make the same point."""
    cites = Citations()
    by_doc: dict[str, list[ListItem]] = {}
    for item in items:
        by_doc.setdefault(item.doc_id, []).append(item)
    n = len(by_doc)
    lines = [f"{kind.replace('_', ' ').capitalize()} from {n} report{'s' if n > 1 else ''}:"]
    for doc_items in by_doc.values():
        lines += ["", doc_items[0].heading]
        for item in doc_items:
            support = 1 + sum(
                1
                for other_doc, others in by_doc.items()
                if other_doc != item.doc_id and any(float(item.vector @ o.vector) >= SUPPORT_SIMILARITY for o in others)
            )
            note = f" ({support} of {n} reports)" if n > 1 else ""
            lines.append(f"- {item.text} {cites.mark(item.passage, item.at)}{note}")
    return Answer(question=question, text="\n".join(lines), citations=cites.passages, found=True)


def report_heading(title: str, source) -> str:
    return f"**{title}** ({org_year(source)})"


def record_items(
    records: RecordIndex, snapshot: Snapshot, question: str, kind: str, passages: list[Passage]
) -> list[tuple[Record, Passage, np.ndarray]]:
    """The numbered items of the asked-for type in the reports the search found, best match first.

    The reports are those of the retrieved passages of that type, so the
    user's filters (already applied to the search) hold for the list too.
    """
    rtype = RECORD_TYPE_OF.get(kind)
    docs = {p.doc_id for p in passages if p.section_type == kind}
    if rtype is None or not docs:
        return []
    found = records.search(question, type=rtype, k=500)
    evaluation = named_evaluation(snapshot, question)
    # "What lessons did the Haiti border project teach?": that evaluation's items only (its report, brief
    # or response), when it has any, though the search found other reports' sections of that type first.
    family = evaluation[1] if evaluation else set()
    if any(r.doc_id in family for r in found):
        docs = family
    found = [r for r in found if r.doc_id in docs]
    if found and _topic_words(question):  # "recommendations on gender": the items on it
        found = [r for r in found if r.score >= found[0].score - RECORD_SCORE_MARGIN][:MAX_LIST_ITEMS]
    else:  # "what were the recommendations?": a few from each report, in the reports' order
        per_report = max(2, MAX_LIST_ITEMS // max(1, len({r.doc_id for r in found})))
        taken: dict[str, int] = {}
        kept = []
        for r in sorted(found, key=lambda r: r.id):  # ids run in document, then item order
            if taken.get(r.doc_id, 0) < per_report:
                taken[r.doc_id] = taken.get(r.doc_id, 0) + 1
                kept.append(r)
        order = {d: n for n, d in enumerate(dict.fromkeys(r.doc_id for r in found))}  # best report first
        found = sorted(kept, key=lambda r: order[r.doc_id])[:MAX_LIST_ITEMS]
    vectors = records.vectors([r.id for r in found])
    items = []
    for record in found:
        passage = record_passage(snapshot, record) if record.id in vectors else None
        if passage is not None:
            items.append((record, passage, vectors[record.id]))
    return items


def record_passage(snapshot: Snapshot, record: Record) -> Passage | None:
    """The passage a record starts in, cited at the record's own page (where it starts)."""
    chunk_id = snapshot.locate(record.doc_id, record.text)
    rows = snapshot.rows([chunk_id]) if chunk_id else {}
    if chunk_id is None or chunk_id not in rows:
        return None
    passage = to_passage(Candidate(chunk_id, *rows[chunk_id]))
    if record.page is not None and passage.page is not None and \
            passage.page <= record.page <= (passage.page_end or passage.page):
        passage = passage.model_copy(update={"page": record.page, "page_end": record.page})
    return passage


def _topic_words(question: str) -> list[str]:
    """What a list question is about, beyond asking for the list."""
    return [w for w in raw_tokens(question) if w not in LIST_WORDS]


def record_list_answer(question: str, kind: str, items: list[tuple[Record, Passage, np.ndarray]]) -> Answer:
    """A list question answered with the items the reports themselves number.

    Records (see records.py) are whole items as printed ("LL-1", "GP2",
    "Recommendation 7"), so the list shows each once, with its number, rather
    than the lead sentence of whichever passages were retrieved. Each item is
    cited to the passage it starts in; items from different reports that make
    the same point count as support for each other.
    """
    return report_list(
        question,
        kind,
        [
            ListItem(
                r.doc_id,
                report_heading(r.document_title or r.source, r),
                (f"**{r.number}** " if r.number else "") + _record_lead(r),
                passage,
                vector,
            )
            for r, passage, vector in items
        ],
    )


def _record_lead(record: Record, limit: int = 320) -> str:
    """An item as a list line: its bold lead if printed with one, else its opening, cut at a word."""
    text = sentence(record.text)
    if record.title and not text.lower().startswith(record.title.lower()[:20]):
        text = f"{record.title}: {text}"  # e.g. a management response's "Accept"
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def list_items(passages: list[Passage], scored: list[Scored], kind: str | None) -> list[Scored]:
    """One item per passage of the asked-for type: its lead, as printed.

    A recommendation or lesson states its point first; the sentence that
    best matches the question is often a detail ("the following activities
    should be considered:"), so the item is the passage's first real
    sentence, and passages rank by their best sentence.
    """
    by_chunk: dict[str, list[Scored]] = {}
    for s in scored:
        if kind is None or s.passage.section_type == kind:
            by_chunk.setdefault(s.passage.chunk_id, []).append(s)
    items = []
    for rows in by_chunk.values():
        rows.sort(key=lambda s: s.start)
        lead = next((s for s in rows if len(sentence(s.text)) >= MIN_ITEM_CHARS and not s.text.rstrip().endswith(":")), None)
        if lead is not None:
            items.append(Scored(lead.passage, lead.start, lead.end, max(r.score for r in rows), lead.similarity, lead.vector))
    return sorted(items, key=lambda s: -s.score)
