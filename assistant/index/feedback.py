"""Like / dislike on answers, kept as JSON Lines under the index folder.

One line per vote, appended and flushed under a lock, so the log survives a
crash mid-write (a torn last line is skipped on read, never fatal) and can be
exported as-is. Each entry keeps the question, the answer text and its
citations (where each claim came from), so a reviewer can judge the vote
without re-running the question against a corpus that may have changed.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.models import Answer
from assistant.errors import FeedbackError

FILE_NAME = "feedback.jsonl"
MAX_COMMENT = 2000
MAX_QUESTION = 2000
RATINGS = ("up", "down")
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_ALIASES = {"like": "up", "liked": "up", "+1": "up", "dislike": "down", "disliked": "down", "-1": "down"}


class CitedSource(BaseModel):
    """What a citation pointed at when the vote was cast."""

    n: int
    doc_id: str
    source: str
    title: str = ""
    page: int | None = None
    section: str = ""
    chunk_id: str = ""


class FeedbackEntry(BaseModel):
    id: str
    time: str  # ISO 8601, UTC
    rating: Literal["up", "down"]
    question: str
    answer: str
    found: bool = True
    citations: list[CitedSource] = Field(default_factory=list)
    comment: str | None = None


class FeedbackLog:
    def __init__(self, folder: str | Path):
        self.path = (Path(folder) / FILE_NAME).resolve()
        with _LOCKS_GUARD:  # one lock per file, however many logs point at it
            self._lock = _LOCKS.setdefault(self.path, threading.Lock())

    def add(self, question: str, answer: Answer | dict, rating: str, comment: str | None = None) -> str:
        """Append one vote; returns its id."""
        entry = make_entry(question, answer, rating, comment)
        line = entry.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
        return entry.id

    def entries(self) -> list[dict]:
        """Every stored vote, oldest first; a torn or foreign line is skipped."""
        if not self.path.exists():
            return []
        out: list[dict] = []
        with open(self.path, encoding="utf-8") as fh:
            for raw in fh:
                try:
                    out.append(FeedbackEntry.model_validate_json(raw).model_dump())
                except ValidationError:
                    continue
        return out


def make_entry(question: str, answer: Answer | dict, rating: str, comment: str | None = None) -> FeedbackEntry:
    """Validate a vote: a non-empty question, an answer, up or down, a short comment."""
    if not isinstance(question, str) or not question.strip():
        raise FeedbackError("feedback needs the question that was asked")
    if len(question) > MAX_QUESTION:
        raise FeedbackError(f"question is longer than {MAX_QUESTION} characters")
    norm = _ALIASES.get(str(rating).strip().lower(), str(rating).strip().lower())
    if norm not in RATINGS:
        raise FeedbackError(f"rating must be 'up' or 'down', got {rating!r}")
    if comment is not None and not isinstance(comment, str):
        raise FeedbackError("comment must be text")
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT:
        raise FeedbackError(f"comment is longer than {MAX_COMMENT} characters")
    parsed = _answer(answer)
    return FeedbackEntry(
        id=uuid.uuid4().hex,
        time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        rating="up" if norm == "up" else "down",
        question=question.strip(),
        answer=parsed.text,
        found=parsed.found,
        citations=[
            CitedSource(
                n=i,
                doc_id=p.doc_id,
                source=p.source,
                title=p.title,
                page=p.page,
                section=p.section,
                chunk_id=p.chunk_id,
            )
            for i, p in enumerate(parsed.citations, start=1)
        ],
        comment=comment,
    )


def _answer(answer: Any) -> Answer:
    if isinstance(answer, Answer):
        return answer
    if isinstance(answer, dict):
        try:
            return Answer.model_validate({"question": "", **answer})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise FeedbackError(f"answer is not an Answer: {where}: {first['msg']}") from None
    raise FeedbackError(f"answer must be an Answer or a dict, got {type(answer).__name__}")


