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

from .abstention import Evidence, judge
from .intent import list_intent
from .lexical import LexicalIndex, doc_tokens, query_tokens
from .models import Answer, Passage
from .store import Store

MAX_SENTENCES = 3
MAX_LIST_ITEMS = 12
SUPPORT_SIMILARITY = 0.75  # two items from different reports make the same point

_ITEM_START = re.compile(
    r"^\s*(?:[-•▪●◦*]|\(?\d{1,2}[.)]|\(?[a-z][.)]|(?:recommendation|recommandation|lesson|LL|GP|good practice)\s*[-#]?\s*\d+\s*[:.)-]?)\s*",
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
    def __init__(self, store: Store, lexical: LexicalIndex):
        self.store = store
        self.lexical = lexical

    def score_sentences(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> list[Scored]:
        """Every sentence of the passages, scored against the question."""
        sentences = self.store.sentences_of([p.chunk_id for p in passages])
        q_terms = set(query_tokens(question))
        weights = {t: self.lexical.idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        out: list[Scored] = []
        for rank, p in enumerate(passages):
            prior = 0.05 / (1 + rank)
            for start, end, vec in sentences.get(p.chunk_id, []):
                terms = set(doc_tokens(p.text[start:end], p.metadata.get("language")))
                overlap = sum(w for t, w in weights.items() if t in terms) / total
                similarity = float(vec @ qvec)
                out.append(Scored(p, start, end, similarity + 0.5 * overlap + prior, similarity, vec))
        return out

    def answer(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> Answer:
        scored = self.score_sentences(question, qvec, passages)
        verdict = judge(Evidence.gather(question, passages, scored, self.lexical))
        if not verdict.found:
            return not_found(question, passages, verdict.reason)
        if list_intent(question):
            return self._list_answer(question, qvec, passages, scored)
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

    def _list_answer(self, question: str, qvec: np.ndarray, passages: list[Passage], scored: list[Scored]) -> Answer:
        kind = list_intent(question)
        items = _items(passages, scored, kind)[:MAX_LIST_ITEMS]
        if not items:
            return self._short_answer(question, scored)
        reports = {s.passage.doc_id for s in items}
        cites = Citations()
        by_doc: dict[str, list[Scored]] = {}
        for s in items:
            by_doc.setdefault(s.passage.doc_id, []).append(s)
        label = (kind or "points").replace("_", " ")
        lines = [f"{label.capitalize()} from {len(reports)} report{'s' if len(reports) > 1 else ''}:"]
        for doc_items in by_doc.values():
            p = doc_items[0].passage
            lines.append("")
            lines.append(f"**{p.title or p.source}** ({', '.join(str(x) for x in (p.organisation, p.year) if x)})")
            for s in doc_items:
                support = 1 + sum(
                    1
                    for other_doc, other_items in by_doc.items()
                    if other_doc != s.passage.doc_id
                    and any(float(s.vector @ o.vector) >= SUPPORT_SIMILARITY for o in other_items)
                )
                note = f" ({support} of {len(reports)} reports)" if len(reports) > 1 else ""
                lines.append(f"- {_sentence(s.text)} {cites.mark(s.passage)}{note}")
        return Answer(question=question, text="\n".join(lines), citations=cites.passages, found=True)


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
        label = f"{label} ({', '.join(str(x) for x in (p.organisation, p.year) if x)})"
        if label not in names:
            names.append(label)
    text = "I could not find an answer to this in the indexed documents."
    if reason:
        text += f" {reason}"
    if names:
        text += " The closest documents are: " + "; ".join(names[:3]) + "."
    return Answer(question=question, text=text, citations=[], found=False)
