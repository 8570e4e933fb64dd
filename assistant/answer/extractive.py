"""The extractive answerer: the reports' own sentences, each with its citation.

No language model runs here, so an answer is composed of retrieved
sentences, picked by how well they match the question (their contextual
vector, from ingest, and the question's words), and each followed by `[n]`
pointing at its passage. List questions get a list (lists.py). When nothing
relevant enough was retrieved the answer says so (abstention.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from assistant.answer.abstention import Evidence, asks_own_cost, judge, missing_figure
from assistant.answer.base import Citations, Scored, not_found, sentence
from assistant.answer.lists import (
    MAX_LIST_ITEMS,
    ListItem,
    list_items,
    record_items,
    record_list_answer,
    report_heading,
    report_list,
)
from assistant.index.snapshot import Marker, Snapshot
from assistant.index.tokens import doc_tokens, query_terms
from assistant.models import Answer, Passage
from assistant.search.answer_types import BUDGET_LINE, MONEY, PLACE, Credits, answer_pattern
from assistant.search.candidates import Candidate, to_passage
from assistant.search.counting import CountOf
from assistant.search.focus import PERVASIVE, evaluation_of, report_family, report_naming
from assistant.search.intent import document_kinds, list_intent, section_types
from assistant.search.ranking import ANSWER_BONUS
from assistant.search.records import RecordIndex

__all__ = ["ExtractiveAnswerer"]

MAX_SENTENCES = 3
# A sentence's score includes its passage's retrieval score (x 0.5, relative to
# the best passage): it carries what one sentence's vector cannot.
PASSAGE_WEIGHT = 0.5
# A sentence of the part the question asks about ("what did it recommend ..."): its passage's own intent
# bonus is halved by PASSAGE_WEIGHT, and a finding that restates the topic would outrank the recommendation.
SECTION_BONUS = 0.1
CLOSE_TO_BEST = 0.15  # sentences scoring within this of the best join the answer
LABEL_CHARS = 100  # a label before a figure ("Total Confirmed Funding:") is short and ends in no full stop
LOOKED_UP = 8  # an evaluation's first passages with credits (or a budget line) in them, looked up beside those retrieved
MIN_SENTENCE_CHARS = 25  # shorter "sentences" are headings, labels or list stubs
# A footnote run into the text: "157 JI-HoA Stakeholder Survey.", "12 Interview with a stakeholder from Sudan.",
# "1 “Emergency preparedness policy: ...” (WFP/EB.2/2017/4-B/Rev.1)." (a source: a dated code, a link)
_NOTE = re.compile(r"\d{1,3}\s+[“\"‘(]?[A-Z](?:[^.;:]{0,60}\.?|.{0,200}(?:\([^()]*(?:19|20)\d\d[^()]*\)|https?://\S+)\.?)")
# One of the report's questions, numbered, its question mark lost to the layout: "2 What results has WFP
# achieved in the area of emergency preparedness (within and"
_ASKED = re.compile(r"(?:\d{1,2}(?:\.\d{1,2})*[.)]?|EQ\s?\d+[.:]?|[-•▪])\s+(?:What|How|To what extent|Which|Why|Did|Does|Do|Is|Are|Has"
                    r"|Have|Were|Was|Quel\w*|Comment|Dans quelle mesure|Qu['’]|Qué|Cómo|En qué medida|Cuál\w*)\b")


class ExtractiveAnswerer:
    def __init__(self, snapshot: Snapshot, records: RecordIndex | None = None):
        self.snapshot = snapshot
        self.records = records

    def score_sentences(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> list[Scored]:
        """Every sentence of the passages, scored against the question (`qvec`: one vector, or the rows of
        `Retriever.question_vectors`: ranked by the last, matched by any)."""
        sentences = self.snapshot.sentences([p.chunk_id for p in passages])
        weights = {forms: self.snapshot.term_weight(forms) for forms in query_terms(question)}
        total = sum(weights.values()) or 1.0
        top = max((p.score for p in passages), default=0.0)
        wanted = answer_pattern(question, bound=True)
        parts = section_types(question)
        out: list[Scored] = []
        own: dict[str, dict[frozenset[str], float]] = {}
        for rank, p in enumerate(passages):
            if p.doc_id not in own:  # words found throughout the report name it; they do not pick its sentence
                own[p.doc_id] = {f: w for f, w in weights.items() if self.snapshot.spread(p.doc_id, f) < PERVASIVE}
            terms_weight = own[p.doc_id]
            # The passage's retrieval score carries what one sentence's vector cannot
            # (the question focused on its report, BM25, section intent).
            prior = 0.05 / (1 + rank) + PASSAGE_WEIGHT * (p.score - top)
            if p.section_type in parts:
                prior += SECTION_BONUS
            for start, end, vec in sentences.get(p.chunk_id, []):
                text = p.text[start:end]
                terms = set(doc_tokens(text, p.metadata.get("language")))
                overlap = sum(w for forms, w in terms_weight.items() if forms & terms) / total
                sims = np.atleast_1d(qvec @ vec)  # one row per question vector (Retriever.question_vectors)
                similarity, ranking = float(sims.max()), float(sims[-1])
                bonus = ANSWER_BONUS if wanted is not None and wanted.search(text) else 0.0
                out.append(Scored(p, start, end, ranking + 0.5 * overlap + prior + bonus, similarity, vec))
        return out

    def stream(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> Iterator[str | Answer]:
        """The answer is composed at once: no pieces before it (streaming.py cuts it for display)."""
        yield self.answer(question, qvec, passages)

    def answer(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> Answer:
        scored = self.score_sentences(question, qvec, passages)
        if not scored:
            return not_found(question, passages, "No passage matches the question.")
        verdict = judge(Evidence.gather(question, passages, scored, self.snapshot))
        if not verdict.found:
            return not_found(question, passages, verdict.reason)
        naming = report_naming(self.snapshot, question)  # once: finding it scores the question with BM25, twice
        scored = self._of_named_report(question, scored, naming)
        kind = list_intent(question)
        if kind:
            items = record_items(self.records, self.snapshot, question, kind, passages) if self.records else []
            if items:
                return record_list_answer(question, kind, items)
            return self._list_answer(question, kind, passages, scored)
        wanted = answer_pattern(question)
        evaluation = evaluation_of(self.snapshot, naming) if wanted is MONEY or isinstance(wanted, Credits) else None
        if wanted is MONEY and not asks_own_cost(question):  # "what was the budget": the facts box has it
            scored = scored + self._looked_up(question, qvec, scored, BUDGET_LINE, evaluation)
        missing = missing_figure(question, [s.text for s in scored])
        if missing:
            return not_found(question, passages, missing)
        if isinstance(wanted, Credits):
            # "Who led the X evaluation?": X's credits, not prose with "led by" in it
            credits = [s for s in scored if evaluation and s.passage.doc_id in evaluation[1] and wanted.search(s.text)]
            scored = credits + self._looked_up(question, qvec, scored, wanted, evaluation) or scored
        return self._short_answer(question, scored)

    def _looked_up(self, question: str, qvec: np.ndarray, scored: list[Scored], marker: Marker,
                   named: tuple[str, set[str]] | None) -> list[Scored]:
        """The sentences the marker finds in the named evaluation's documents (`named`: the report and its
        evaluation's documents), beside those retrieved: the credits of a cover page ("Team Leader – Katrina
        Rojas") or a facts box ("Budget : USD 3 000 000") seldom rank among the passages retrieved. The
        named report's first, in reading order, up to LOOKED_UP passages."""
        if named is None:
            return []
        family = sorted(named[1], key=lambda d: d != named[0])
        seen = {s.passage.chunk_id for s in scored}
        ids = [c for c in self.snapshot.marked_chunks(family, marker)[:LOOKED_UP] if c not in seen]
        top = max((s.passage.score for s in scored), default=0.0)
        found = [to_passage(Candidate(cid, text, meta, fused=top)) for cid, (text, meta) in self.snapshot.rows(ids).items()]
        return [s for s in self.score_sentences(question, qvec, found) if marker.search(s.text)]

    def _of_named_report(self, question: str, scored: list[Scored],
                         naming: tuple[str, list[frozenset[str]]] | None) -> list[Scored]:
        """A question that names a report ("... for the ILO evaluation?", `naming`: see focus.report_naming)
        is answered from that report's evaluation (it, its brief, its response), when any of it was
        retrieved: another report's sentence on the same topic is not the answer."""
        family = report_family(self.snapshot, naming[1]) if naming else set()
        own = [s for s in scored if s.passage.doc_id in family] or scored
        # "..., says the brief?", "what did management commit to": from that document, when it was retrieved
        kinds = document_kinds(question) - {"final"}  # a final evaluation is how most questions name a report
        return [s for s in own if s.passage.metadata.get("kind") in kinds] or own

    def _short_answer(self, question: str, scored: list[Scored]) -> Answer:
        # A heading or a footnote ("296 ILO (2021).", "157 JI-HoA Stakeholder Survey.") is no answer, nor is a
        # question the report asks ("How good is the policy?", "Please explain your answer?"), and their scores
        # set no bar. A "how many" or "how much" question is answered by a sentence with the figure in it.
        wanted = answer_pattern(question, bound=True)
        best = sorted(scored, key=lambda s: -s.score)
        if wanted is not None:  # "$ 100,000" alone on its line: with its label, "Montant total du financement"
            best = [self._with_label(s) if len(s.text) < MIN_SENTENCE_CHARS and wanted.search(s.text) else s
                    for s in best]
        full = [s for s in best if len(s.text) >= MIN_SENTENCE_CHARS and not s.text.endswith("?")
                and not _NOTE.fullmatch(s.text) and not _ASKED.match(s.text)]
        if wanted is not None and (isinstance(wanted, CountOf) or wanted in (MONEY, PLACE)):
            full = [s for s in full if wanted.search(s.text)] or full
        top = (full or best)[0].score
        chosen: list[Scored] = []
        for s in full:
            if len(chosen) == MAX_SENTENCES or s.score < top - CLOSE_TO_BEST:
                break
            if any(_same(s, c) for c in chosen):
                continue
            chosen.append(s)
        if not chosen:
            chosen = best[:1]
        chosen = [self._with_value(s) for s in chosen]
        # The best sentence first: it is the answer; the rest in document order within each passage,
        # passages by best sentence.
        order = {id(s.passage): i for i, s in reversed(list(enumerate(chosen)))}
        chosen = chosen[:1] + sorted(chosen[1:], key=lambda s: (order[id(s.passage)], s.start))
        cites = Citations()
        parts = [f"{sentence(s.text)} {cites.mark(s.passage, s.start)}" for s in chosen]
        return Answer(question=question, text=" ".join(parts), citations=cites.passages, found=True)

    def _with_value(self, s: Scored) -> Scored:
        """A label ("Person or entity responsible for completing the matrix:") with the line it introduces
        ("DAVID MARQUES, MRRM PROJECT MANAGER"): alone it answers nothing."""
        if not s.text.endswith(":"):
            return s
        following = [end for start, end in self._spans(s) if start >= s.end]
        return replace(s, end=following[0]) if following else s

    def _with_label(self, s: Scored) -> Scored:
        """A figure alone on its line ("$ 100,000") with the label before it ("Montant total du financement
        confirmé"), as a form or a table prints them: the label says what the figure is."""
        before = [start for start, end in self._spans(s) if end <= s.start]
        if not before:
            return s
        label = s.passage.text[before[-1] : s.start].strip()
        return replace(s, start=before[-1]) if len(label) <= LABEL_CHARS and not label.endswith(".") else s

    def _spans(self, s: Scored) -> list[tuple[int, int]]:
        """The (start, end) of every sentence of the scored sentence's passage, as ingest split it."""
        return [(start, end) for start, end, _ in self.snapshot.sentences([s.passage.chunk_id]).get(s.passage.chunk_id, [])]

    def _list_answer(self, question: str, kind: str, passages: list[Passage], scored: list[Scored]) -> Answer:
        items = list_items(passages, scored, kind)[:MAX_LIST_ITEMS]
        if not items:
            return self._short_answer(question, scored)
        return report_list(
            question,
            kind,
            [
                ListItem(s.passage.doc_id, report_heading(s.passage.title or s.passage.source, s.passage),
                         sentence(s.text), s.passage, s.vector, s.start)
                for s in items
            ],
        )


def _same(a: Scored, b: Scored) -> bool:
    return a.text.lower() == b.text.lower()
