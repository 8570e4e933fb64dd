"""An answer as a stream of events: text pieces, then the final `Answer`.

A chat shows the answer as it is produced. The LLM answerer yields tokens
as the model writes them; the extractive answerer composes its answer at
once, so it is handed out a sentence (with its `[n]`) or a list line at a
time. The last event always carries the checked `Answer`, whose text is
authoritative: the LLM citation check may have removed markers the deltas
still showed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from assistant.answer.base import Answerer
from assistant.models import Answer, AnswerEvent, DeltaEvent, Passage, StreamEvent

# A sentence ends after its citation marker(s); list answers go a line at a time.
_PIECE = re.compile(r".+?(?:\[\d+\](?:\s*\[\d+\])*(?:\s*\(\d+ of \d+ reports\))?|$)(?:\s+|$)", re.S)


def pieces(text: str) -> list[str]:
    """Split an answer into display pieces that join back to exactly `text`."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        out.extend(m.group(0) for m in _PIECE.finditer(line) if m.group(0))
    return out


def fixed_events(answer: Answer) -> Iterator[StreamEvent]:
    """A ready answer as the same events: its pieces, then the answer."""
    for piece in pieces(answer.text):
        yield DeltaEvent(event="delta", text=piece)
    yield AnswerEvent(event="answer", answer=answer)


def answer_events(answerer: Answerer, question: str, qvec: np.ndarray, passages: list[Passage]) -> Iterator[StreamEvent]:
    """`delta` pieces, then one `answer` event with the checked `Answer`."""
    streamed = False
    answer: Answer | None = None
    for event in answerer.stream(question, qvec, passages):
        if isinstance(event, Answer):
            answer = event
            break
        if event:
            streamed = True
            yield DeltaEvent(event="delta", text=event)
    if answer is None:
        raise RuntimeError("answer stream ended without an answer")
    if not streamed:  # extractive, or an LLM that abstained or fell back before writing
        for piece in pieces(answer.text):
            yield DeltaEvent(event="delta", text=piece)
    yield AnswerEvent(event="answer", answer=answer)
