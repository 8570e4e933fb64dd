"""The question without the words that name its report: what it asks of that report.

Most questions name their report ("... the ILO final evaluation of the
Japan-funded responsible value chains programme in Asia"), and those words
weigh as much in the question's vector as what it asks: every passage of
that report matches them, so the report is found but a passage about the
programme in general beats the one that answers. The question is therefore
also embedded without the words found throughout the leading report, and
that focused vector scores the passages too (ranking.py).
"""

from __future__ import annotations

import re

from assistant.index.snapshot import Snapshot
from assistant.index.tokens import WORD, query_tokens, raw_tokens
from assistant.search.intent import LIST_WORDS
from assistant.search.lexical import bm25_scores, top_k

__all__ = ["FAMILY_SHARE", "LEAD_VOTE", "MIN_FOCUS_WORDS", "PERVASIVE", "evaluation_of", "focus_query", "leading_report",
           "named_evaluation", "named_family", "naming_words", "report_family", "report_naming"]

# The leading report is the one with the most BM25 score among the best LEAD_VOTE
# passages, not the owner of the single best passage: one stray passage of
# another report would decide otherwise.
LEAD_VOTE = 20
PERVASIVE = 0.3  # a word in this share of the leading report's chunks (title and headings count) names the report
FAMILY_SHARE = 0.8  # words naming a report run through a document this far (by rarity): it is of that evaluation
MIN_FOCUS_WORDS = 2  # fewer searchable words left ("Who filled in the for the of ?") say nothing of their own


def leading_report(snapshot: Snapshot, ranked: list[tuple[int, float]]) -> str:
    """The report with the most BM25 score among the best LEAD_VOTE passages: the one the query names."""
    votes: dict[str, float] = {}
    for row, score in ranked[:LEAD_VOTE]:
        doc_id = snapshot.metas[row].get("doc_id", "")
        votes[doc_id] = votes.get(doc_id, 0.0) + score
    return max(votes, key=votes.__getitem__, default="")  # ties: the report of the better passage


def focus_query(query: str, snapshot: Snapshot, doc_id: str) -> str:
    """The query without the words found throughout one document.

    "How many people were interviewed for the ILO final evaluation of the
    Japan-funded responsible value chains programme in Asia ...?" becomes "How
    many people were interviewed for the final evaluation of the in , and how
    many of them were women?" for the ILO report. The query itself when
    nothing would go, or fewer than MIN_FOCUS_WORDS searchable words would stay.
    """
    cut = [m.span() for m in _pervading(query, snapshot, doc_id)]
    if not cut:
        return query
    kept, start = [], 0
    for a, b in cut:
        kept.append(query[start:a])
        start = b
    kept.append(query[start:])
    focused = " ".join("".join(kept).split())
    words = sum(1 for m in WORD.finditer(focused) if query_tokens(m.group(0)))
    return focused if words >= MIN_FOCUS_WORDS else query


def _pervading(query: str, snapshot: Snapshot, doc_id: str) -> list[re.Match[str]]:
    """The query's words found throughout one document."""
    return [m for m in WORD.finditer(query)
            if (forms := query_tokens(m.group(0))) and snapshot.spread(doc_id, forms) >= PERVASIVE]


def named_evaluation(snapshot: Snapshot, question: str) -> tuple[str, set[str]] | None:
    """The report a question names and its evaluation's documents (it, its brief, its response), if it
    names one (see `report_naming`): the named report counts even where its naming words weigh nothing."""
    return evaluation_of(snapshot, report_naming(snapshot, question))


def evaluation_of(snapshot: Snapshot, naming: tuple[str, list[frozenset[str]]] | None) -> tuple[str, set[str]] | None:
    """`named_evaluation` from a `report_naming` already found (finding it scores the question with BM25)."""
    if naming is None:
        return None
    named, words = naming
    return named, report_family(snapshot, words) | {named}


def report_naming(snapshot: Snapshot, question: str) -> tuple[str, list[frozenset[str]]] | None:
    """The report a question names and the words that name it (each as its stemmed forms): words of the
    question's own, not a list question's, that pervade that report. "The ILO value chains project" names
    one; "recommendations" names none."""
    words = [m for m in WORD.finditer(question) if not set(raw_tokens(m.group(0))) <= LIST_WORDS]
    own = " ".join(m.group(0) for m in words)
    # Its names first ("the Guatemala CSP evaluation"): the topic's words ("procurement for social
    # programmes") may run through another report more than the named one. A name shared by several
    # reports ("WFP") only narrows the choice: the whole question picks among them.
    names = " ".join(m.group(0) for m in words if _name_like(question, m))
    whole = _lead(snapshot, own) if own else ""
    for text in dict.fromkeys(t for t in (names, own) if t):
        lead = whole if text == own else _lead(snapshot, text)
        naming = naming_words(own, snapshot, lead) if lead else []
        if naming and lead != whole and whole in report_family(snapshot, naming):
            lead, naming = whole, naming_words(own, snapshot, whole)
        if lead and naming:
            return lead, naming
    return None


def _lead(snapshot: Snapshot, text: str) -> str:
    return leading_report(snapshot, top_k(bm25_scores(snapshot, text), LEAD_VOTE))  # not the response matrix


def naming_words(question: str, snapshot: Snapshot, lead: str) -> list[frozenset[str]]:
    """The question's words that name the leading report (they pervade it), each as its stemmed forms;
    a list question's own words ("recommendations", "management response") name none."""
    words = (w for m in _pervading(question, snapshot, lead) for w in raw_tokens(m.group(0)))
    return [frozenset(query_tokens(w)) for w in dict.fromkeys(words) if w not in LIST_WORDS]


def named_family(question: str, snapshot: Snapshot, lead: str, focused: bool) -> set[str]:
    """The evaluation a search question names, if it names one: words of it pervade the leading report and
    either the rest of the question asks something of its own (`focused`) or a name among them is written
    as one ("ILO", "Haiti"); "gender" pervading a gender report does not name it."""
    words = _pervading(question, snapshot, lead)
    if not focused:
        words = [m for m in words if _name_like(question, m)]
    naming = [frozenset(query_tokens(w)) for w in dict.fromkeys(
        w for m in words for w in raw_tokens(m.group(0))) if w not in LIST_WORDS]
    return report_family(snapshot, naming) if naming else set()


def _name_like(question: str, m: re.Match[str]) -> bool:
    """Written as a name: an acronym, or capitalised inside the sentence."""
    word = m.group(0)
    return word.isupper() and len(word) >= 2 or (word[:1].isupper() and bool(question[: m.start()].strip()))


def report_family(snapshot: Snapshot, words: list[frozenset[str]]) -> set[str]:
    """The documents of the evaluation those words name: every document they run through as they run through
    the report (its brief, its response), not one that names it in passing (Snapshot.pervades)."""
    if not words:
        return set()
    return {doc_id for doc_id in snapshot.doc_ids() if snapshot.pervades(doc_id, words, PERVASIVE) >= FAMILY_SHARE}
