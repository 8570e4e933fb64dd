"""Request and response bodies of the HTTP API.

The payloads (`Passage`, `Answer`'s citations, `Document`, `IngestReport`,
`Record`) are the very models the Python API returns, so the OpenAPI spec
documents the same shapes a local `Assistant` hands out.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.index.filters import MAX_VALUES
from assistant.models import Answer, Passage
from assistant.search.query import MAX_K, MAX_QUERY_CHARS

FilterValue = str | int | Annotated[list[str | int], Field(max_length=MAX_VALUES)]
HistoryTurn = str | list[str] | dict[str, Any]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored


class SearchRequest(_Body):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="What to look for.")
    k: int = Field(10, ge=1, le=MAX_K, description="How many passages.")
    filters: dict[str, FilterValue] | None = Field(
        None,
        max_length=20,
        description="Metadata filters, e.g. {\"organisation\": \"IOM\", \"country\": [\"Haiti\"], \"year\": \"2020-2024\"}.",
    )


class SearchResponse(BaseModel):
    query: str
    results: list[Passage]
    took_ms: float


class AskRequest(_Body):
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="The question.")
    k: int = Field(6, ge=1, le=MAX_K, description="How many passages to answer from.")
    filters: dict[str, FilterValue] | None = Field(None, max_length=20)
    history: list[HistoryTurn] | None = Field(
        None, description="Earlier questions, (question, answer) pairs or {role, content} messages."
    )
    stream: bool = Field(False, description="Server-sent events: `delta` pieces, then one `answer` event.")


class AskResponse(BaseModel):
    question: str
    answer: str = Field(description="The answer; every sentence ends with [n] pointing to citations[n-1].")
    citations: list[Passage]
    found: bool
    notice: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    took_ms: float

    @classmethod
    def of(cls, answer: Answer, took_ms: float) -> AskResponse:
        return cls(
            question=answer.question,
            answer=answer.text,
            citations=answer.citations,
            found=answer.found,
            notice=answer.notice,
            timings=answer.timings,
            took_ms=took_ms,
        )

    def to_answer(self) -> Answer:
        return Answer(
            question=self.question,
            text=self.answer,
            citations=self.citations,
            found=self.found,
            notice=self.notice,
            timings=self.timings,
        )


class Health(BaseModel):
    status: Literal["ok"]
    documents: int
    chunks: int
    version: str


class Removed(BaseModel):
    removed: str = Field(description="The id of the deleted document.")


class ErrorBody(BaseModel):
    detail: str | list[Any]


class FeedbackRequest(_Body):
    question: str = Field(min_length=1, max_length=2000, description="The question that was asked.")
    answer: dict[str, Any] = Field(description="The answer as `/api/ask` returned it (its `answer` text and `citations`).")
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000)


class FeedbackStored(BaseModel):
    id: str
