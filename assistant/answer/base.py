"""What every answerer shares: the `Answerer` interface, scored sentences, citation numbering, the refusal.

An answer is trusted only as far as its citations go: every sentence ends
with `[n]` pointing at the passage it comes from, and when the corpus has
no answer the answerer says so and names the closest documents instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.models import Answer, Passage, page_at

__all__ = ["Answerer", "Citations", "Scored", "cited_at", "not_found", "org_year", "sentence"]


@runtime_checkable
class Answerer(Protocol):
    """Passages in, a cited answer out: the extractive answerer, or one through a chat model."""

    def answer(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> Answer:
        """The whole answer at once."""
        ...

    def stream(self, question: str, qvec: np.ndarray, passages: list[Passage]) -> Iterator[str | Answer]:
        """Text pieces as they are produced (none when composed at once), then the checked `Answer`."""
        ...


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
    similarity: float  # the sentence vector's cosine to the question
    vector: np.ndarray

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end].strip()


@dataclass
class Citations:
    """Numbers citations in order of first use, so `[n]` and the list agree.

    A citation names the page of what it cites: given the offset of the cited
    sentence in its passage, the passage is cited at that sentence's page (a
    passage running from page 7 onto page 8 cites a sentence of page 8 as
    page 8), and two sentences of one passage on two pages are two citations.
    """

    passages: list[Passage] = field(default_factory=list)
    _index: dict[tuple[str, int | None], int] = field(default_factory=dict)

    def mark(self, passage: Passage, at: int | None = None) -> str:
        page = passage_page(passage, at)
        key = (passage.chunk_id, page)
        if key not in self._index:
            self.passages.append(cited_at(passage, at))
            self._index[key] = len(self.passages)
        return f"[{self._index[key]}]"


def cited_at(passage: Passage, at: int | None) -> Passage:
    """The passage as cited for its text at offset `at`: at that text's page when it can be told."""
    page = passage_page(passage, at)
    return passage if page is None else passage.model_copy(update={"page": page, "page_end": page})


def passage_page(passage: Passage, at: int | None) -> int | None:
    """The page of the text at offset `at` of a passage; None when it cannot be told from the passage's span."""
    if at is None or passage.page is None:
        return None
    if passage.page_end in (None, passage.page):
        return passage.page
    marks = passage.metadata.get("page_marks") or []
    return page_at(marks, at, passage.page) if marks else None


def sentence(text: str) -> str:
    """A sentence as it reads in an answer: list markers stripped, ending kept."""
    text = _ITEM_START.sub("", " ".join(text.split()), count=1)
    return text[:1].upper() + text[1:] if text else text


def org_year(source) -> str:
    """"ILO, 2024" of anything with `organisation` and `year` (a Passage, a Record)."""
    return ", ".join(str(x) for x in (source.organisation, source.year) if x)


def not_found(question: str, passages: list[Passage], reason: str) -> Answer:
    names: list[str] = []
    for p in passages:
        label = p.title or p.source
        label = f"{label} ({org_year(p)})"
        if label not in names:
            names.append(label)
    text = "I could not find an answer to this in the indexed documents."
    if reason:
        text += f" {reason}"
    if names:
        text += " The closest documents are: " + "; ".join(names[:3]) + "."
    return Answer(question=question, text=text, citations=[], found=False)
