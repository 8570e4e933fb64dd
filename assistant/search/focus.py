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

from assistant.index.snapshot import Snapshot
from assistant.index.tokens import WORD, query_tokens

__all__ = ["LEAD_VOTE", "MIN_FOCUS_WORDS", "PERVASIVE", "focus_query", "leading_report"]

# The leading report is the one with the most BM25 score among the best LEAD_VOTE
# passages, not the owner of the single best passage: one stray passage of
# another report would decide otherwise.
LEAD_VOTE = 20
PERVASIVE = 0.3  # a word in this share of the leading report's chunks (title and headings count) names the report
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
    cut = [
        m.span()
        for m in WORD.finditer(query)
        if (forms := query_tokens(m.group(0))) and snapshot.spread(doc_id, forms) >= PERVASIVE
    ]
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
