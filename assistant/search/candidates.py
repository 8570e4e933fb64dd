"""A passage while it is ranked, and the `Passage` it becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.models import Passage

__all__ = ["Candidate", "to_passage"]


@dataclass
class Candidate:
    """A chunk with every score it got: its rank and score per list, and the fused score."""

    chunk_id: str
    text: str
    meta: dict[str, Any]
    dense_rank: int | None = None
    dense_score: float | None = None
    lexical_rank: int | None = None
    lexical_score: float | None = None
    sentence_rank: int | None = None
    sentence_score: float | None = None
    fused: float = 0.0
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # near-identical passages shown under this one

    def ref(self) -> dict[str, Any]:
        """Where a near-duplicate of another passage is, for its citation's "also in"."""
        m = self.meta
        return {"chunk_id": self.chunk_id, "doc_id": m.get("doc_id"), "source": m.get("source"), "page": m.get("page")}


def to_passage(c: Candidate) -> Passage:
    m = c.meta
    extra: dict[str, Any] = {key: m[key] for key in ("countries", "kind", "language", "criteria", "index") if key in m}
    if m.get("page_marks"):  # "offset:page,...": where the passage's text moves to another page
        extra["page_marks"] = [[int(x) for x in mark.split(":")] for mark in m["page_marks"].split(",")]
    extra.update(
        dense_score=c.dense_score,
        dense_rank=c.dense_rank,
        lexical_score=c.lexical_score,
        lexical_rank=c.lexical_rank,
        sentence_score=c.sentence_score,
        sentence_rank=c.sentence_rank,
    )
    if c.duplicates:
        extra["also_in"] = c.duplicates
    return Passage(
        chunk_id=c.chunk_id,
        doc_id=m.get("doc_id", ""),
        source=m.get("source", ""),
        title=m.get("title", ""),
        organisation=m.get("organisation"),
        year=m.get("year"),
        page=m.get("page"),
        page_end=m.get("page_end"),
        section=m.get("section", ""),
        section_type=m.get("section_type", "other"),
        text=c.text,
        score=round(float(c.fused), 6),
        metadata=extra,
    )
