"""The extractive answerer: the reports' own sentences, each with its citation.

No language model runs here, so an answer is composed of retrieved
sentences, picked by how well they match the question (their contextual
vector, from ingest, and the question's words), and each followed by `[n]`
pointing at its passage. A question asking for recommendations, lessons or
good practices gets a list, grouped by report, saying how many of the
reports found support each point. When nothing relevant enough was
retrieved the answer says so and names the closest documents instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.answer.abstention import Evidence, judge
from assistant.index.snapshot import LexicalIndex, doc_tokens, query_terms, raw_tokens
from assistant.index.store import Store
from assistant.models import Answer, Passage, Record
from assistant.search.intent import answer_pattern, list_intent
from assistant.search.records import RecordIndex
from assistant.search.retriever import ANSWER_BONUS, Candidate, to_passage

MAX_SENTENCES = 3
# A sentence's score includes its passage's retrieval score (x 0.5, relative to
# the best passage) and the answer-type bonus retrieval uses: on the dev
# questions the answer's citations held the gold span 23/45 -> 29/45 times
# (0.3-1.0 alike: 27-28 without the bonus; 2.0 fell back to 25).
PASSAGE_WEIGHT = 0.5
MAX_LIST_ITEMS = 12
SUPPORT_SIMILARITY = 0.75  # two items from different reports make the same point

_ITEM_START = re.compile(
    r"^\s*(?:[-–—•▪●◦*]|\(?\d{1,2}[.)]|\(?[a-z][.)]|(?:recommendation|recommandation|lesson|LL|GP|good practice)\s*[-#]?\s*\d+\s*[:.)-]?)\s*",
    re.I,
)


@dataclass
class Scored:
    passage: Passage
    start: int
    end: int
    score: float
    similarity: float = 0.0
    vector: np.ndarray | None = None

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end].strip()


@dataclass
class Citations:
    """Numbers citations in order of first use, so `[n]` and the list agree."""

    passages: list[Passage] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def mark(self, passage: Passage) -> str:
        if passage.chunk_id not in self._index:
            self.passages.append(passage)
            self._index[passage.chunk_id] = len(self.passages)
        return f"[{self._index[passage.chunk_id]}]"


class ExtractiveAnswerer:
    def __init__(self, store: Store, lexical: LexicalIndex, records: RecordIndex | None = None):
        self.store = store
        self.lexical = lexical
        self.records = records

    def score_sentences(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> list[Scored]:
        """Every sentence of the passages, scored against the question."""
        sentences = self.lexical.sentences([p.chunk_id for p in passages])
        weights = {forms: self.lexical.term_weight(forms) for forms in query_terms(question)}
        total = sum(weights.values()) or 1.0
        top = max((p.score for p in passages), default=0.0)
        wanted = answer_pattern(question)
        out: list[Scored] = []
        for rank, p in enumerate(passages):
            # The passage's retrieval score carries what one sentence's vector cannot
            # (the question focused on its report, BM25, section intent).
            prior = 0.05 / (1 + rank) + PASSAGE_WEIGHT * (p.score - top)
            for start, end, vec in sentences.get(p.chunk_id, []):
                text = p.text[start:end]
                terms = set(doc_tokens(text, p.metadata.get("language")))
                overlap = sum(w for forms, w in weights.items() if forms & terms) / total
                similarity = float(vec @ qvec)
                bonus = ANSWER_BONUS if wanted is not None and wanted.search(text) else 0.0
                out.append(Scored(p, start, end, similarity + 0.5 * overlap + prior + bonus, similarity, vec))
        return out

    def answer(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> Answer:
        scored = self.score_sentences(question, qvec, passages)
        if not scored:
            return not_found(question, passages, "No passage matches the question.")
        verdict = judge(Evidence.gather(question, passages, scored, self.lexical))
        if not verdict.found:
            return not_found(question, passages, verdict.reason)
        kind = list_intent(question)
        if kind:
            items = record_items(self.records, self.lexical, question, kind, passages) if self.records else []
            if items:
                return record_list_answer(question, kind, items)
            return self._list_answer(question, kind, passages, scored)
        return self._short_answer(question, scored)

    def _short_answer(self, question: str, scored: list[Scored]) -> Answer:
        best = sorted(scored, key=lambda s: -s.score)
        top = best[0].score
        chosen: list[Scored] = []
        for s in best:
            if len(chosen) == MAX_SENTENCES or s.score < top - 0.15:
                break
            if len(s.text) < 25 or any(_same(s, c) for c in chosen):
                continue
            chosen.append(s)
        if not chosen:
            chosen = best[:1]
        # Read in document order within each passage, passages by best sentence.
        order = {id(s.passage): i for i, s in reversed(list(enumerate(chosen)))}
        chosen.sort(key=lambda s: (order[id(s.passage)], s.start))
        cites = Citations()
        parts = [f"{_sentence(s.text)} {cites.mark(s.passage)}" for s in chosen]
        return Answer(question=question, text=" ".join(parts), citations=cites.passages, found=True)

    def _list_answer(self, question: str, kind: str, passages: list[Passage], scored: list[Scored]) -> Answer:
        items = _items(passages, scored, kind)[:MAX_LIST_ITEMS]
        if not items:
            return self._short_answer(question, scored)
        return report_list(
            question,
            kind,
            [
                ListItem(s.passage.doc_id, _heading(s.passage.title or s.passage.source, s.passage), _sentence(s.text), s.passage, s.vector)
                for s in items
            ],
        )


@dataclass
class ListItem:
    doc_id: str
    heading: str  # the report's line above its items
    text: str
    passage: Passage  # what the item is cited to
    vector: np.ndarray  # compared across reports for support


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
            lines.append(f"- {item.text} {cites.mark(item.passage)}{note}")
    return Answer(question=question, text="\n".join(lines), citations=cites.passages, found=True)


def _heading(title: str, source) -> str:
    return f"**{title}** ({_org_year(source)})"


def _org_year(source) -> str:
    """"ILO, 2024" of anything with `organisation` and `year` (a Passage, a Record)."""
    return ", ".join(str(x) for x in (source.organisation, source.year) if x)


RECORD_SCORE_MARGIN = 0.25
RECORD_TYPE_OF = {
    "recommendations": "recommendation",
    "lessons_learned": "lesson",
    "good_practices": "good_practice",
    "management_response": "management_response",
}


def record_items(
    records: RecordIndex, lexical: LexicalIndex, question: str, kind: str, passages: list[Passage]
) -> list[tuple[Record, Passage, np.ndarray]]:
    """The numbered items of the asked-for type in the reports the search found, best match first.

    The reports are those of the retrieved passages of that type, so the
    user's filters (already applied to the search) hold for the list too.
    """
    rtype = RECORD_TYPE_OF.get(kind)
    docs = {p.doc_id for p in passages if p.section_type == kind}
    if rtype is None or not docs:
        return []
    found = [r for r in records.search(question, type=rtype, k=500) if r.doc_id in docs]
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
        chunk_id = lexical.locate(record.doc_id, record.text)
        rows = lexical.rows([chunk_id]) if chunk_id else {}
        if chunk_id in rows and record.id in vectors:
            passage = to_passage(Candidate(chunk_id, *rows[chunk_id]))
            items.append((record, passage, vectors[record.id]))
    return items


_LIST_WORDS = frozenset(
    """main key major important principal overall identified made given formulated proposed drawn learned learnt
    learning recommendation recommendations recommended lesson lessons good best practice practices management
    response responses evaluation evaluations evaluator evaluators report reports project projects programme
    programmes program list give show tell summarise summarize please all any
    quelles quels quel quelle principales principaux recommandation recommandations lecon lecons apprises tirees
    enseignement enseignements bonne bonnes pratique pratiques reponse reponses direction""".split()
)


def _topic_words(question: str) -> list[str]:
    """What a list question is about, beyond asking for the list."""
    return [w for w in raw_tokens(question) if w not in _LIST_WORDS]


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
                _heading(r.document_title or r.source, r),
                (f"**{r.number}** " if r.number else "") + _record_lead(r),
                passage,
                vector,
            )
            for r, passage, vector in items
        ],
    )


def _record_lead(record: Record, limit: int = 320) -> str:
    """An item as a list line: its bold lead if printed with one, else its opening, cut at a word."""
    text = _sentence(record.text)
    if record.title and not text.lower().startswith(record.title.lower()[:20]):
        text = f"{record.title}: {text}"  # e.g. a management response's "Accept"
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _items(passages: list[Passage], scored: list[Scored], kind: str | None) -> list[Scored]:
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
        lead = next((s for s in rows if len(_sentence(s.text)) >= 25 and not s.text.rstrip().endswith(":")), None)
        if lead is not None:
            items.append(Scored(lead.passage, lead.start, lead.end, max(r.score for r in rows), lead.similarity, lead.vector))
    return sorted(items, key=lambda s: -s.score)


def _same(a: Scored, b: Scored) -> bool:
    return a.text.lower() == b.text.lower()


def _sentence(text: str) -> str:
    """A sentence as it reads in an answer: list markers stripped, ending kept."""
    text = _ITEM_START.sub("", " ".join(text.split()), count=1)
    return text[:1].upper() + text[1:] if text else text


def not_found(question: str, passages: list[Passage], reason: str) -> Answer:
    names: list[str] = []
    for p in passages:
        label = p.title or p.source
        label = f"{label} ({_org_year(p)})"
        if label not in names:
            names.append(label)
    text = "I could not find an answer to this in the indexed documents."
    if reason:
        text += f" {reason}"
    if names:
        text += " The closest documents are: " + "; ".join(names[:3]) + "."
    return Answer(question=question, text=text, citations=[], found=False)
