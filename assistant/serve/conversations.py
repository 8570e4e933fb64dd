"""`/api/conversations`: saved conversations over HTTP, one owner per API key.

A thin adapter over the `Assistant`'s conversation methods. Keys follow the
rest of `/api` (`security.refusal`): with keys configured, no or a wrong key
is a 401. The owner is the key's fingerprint (`conversations.owner_for`), the
same one a web-app session names, so a key sees the conversations it saved
in the browser too; another key's conversation is a 404, never a 403, so ids
say nothing about whether they exist. With no key configured, every caller
is the one local owner, as in the web app.

Turns are a sub-resource: `POST /conversations` starts one (optionally with
its first turn), `POST /conversations/{id}/turns` appends to it; a client
can post the body `/api/ask` returned as the turn.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from assistant import security
from assistant.config import Settings
from assistant.core import Assistant
from assistant.index.conversation_export import export_filename
from assistant.index.conversations import (
    MAX_CITATIONS,
    MAX_QUESTION,
    MAX_TITLE,
    Conversation,
    ConversationSummary,
    owner_for,
)
from assistant.models import Answer, Passage
from assistant.serve.keys import presented, raise_refusal
from assistant.serve.schemas import ErrorBody

__all__ = ["NewConversation", "Rename", "TurnIn", "conversations_router"]

T = TypeVar("T")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or wrong API key"},
    404: {"model": ErrorBody, "description": "No conversation of this key by that id"},
    422: {"model": ErrorBody, "description": "Bad input; the detail says what is wrong"},
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored


class TurnIn(_Body):
    """A question and the answer it got, as `/api/ask` returns it (its extra fields are accepted)."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    answer: str = Field(description="The answer text; [n] points to citations[n-1].")
    citations: list[Passage] = Field(default_factory=list, max_length=MAX_CITATIONS)
    found: bool = True
    notice: str | None = None
    filters: dict[str, Any] | None = Field(None, max_length=20, description="The filters it was asked with.")
    timings: dict[str, float] | None = Field(None, description="Accepted from /api/ask's response; not stored.")
    took_ms: float | None = Field(None, description="Accepted from /api/ask's response; not stored.")

    def to_answer(self) -> Answer:
        return Answer(question=self.question, text=self.answer, citations=self.citations, found=self.found,
                      notice=self.notice)


class NewConversation(_Body):
    title: str | None = Field(None, max_length=10_000, description=f"Default: the first question (cut to {MAX_TITLE}).")
    turn: TurnIn | None = Field(None, description="The first question and its answer.")


class Rename(_Body):
    title: str = Field(min_length=1, max_length=10_000, description=f"Cut to {MAX_TITLE} characters, on one line.")


class Deleted(BaseModel):
    deleted: str = Field(description="The id of the deleted conversation.")


def conversations_router(assistant: Assistant, settings: Settings) -> APIRouter:
    """The conversation endpoints over one `Assistant`; mounted under `/api`."""

    async def owner(key: str | None = Depends(presented)) -> str:
        raise_refusal(security.refusal(settings, key, write=False))
        return owner_for(settings, key)

    r = APIRouter(tags=["conversations"], responses=ERRORS)

    @r.get("/conversations", response_model=list[ConversationSummary])
    def listing(who: str = Depends(owner)) -> list[ConversationSummary]:
        """This key's conversations, most recently updated first."""
        return assistant.conversations(who)

    @r.post("/conversations", response_model=Conversation, status_code=201)
    def start(body: NewConversation, who: str = Depends(owner)) -> Conversation:
        turn = body.turn
        if turn is None:
            return assistant.start_conversation(owner=who, title=body.title)
        return assistant.start_conversation(turn.question, turn.to_answer(), owner=who, title=body.title,
                                            filters=turn.filters)

    @r.get("/conversations/{conversation_id}", response_model=Conversation)
    def read(conversation_id: str, who: str = Depends(owner)) -> Conversation:
        return _found(assistant.conversation(conversation_id, who), conversation_id)

    @r.post("/conversations/{conversation_id}/turns", response_model=ConversationSummary, status_code=201)
    def append(conversation_id: str, body: TurnIn, who: str = Depends(owner)) -> ConversationSummary:
        """Add a question and its answer at the end."""
        summary = assistant.add_turn(conversation_id, body.question, body.to_answer(), owner=who,
                                     filters=body.filters)
        return _found(summary, conversation_id)

    @r.patch("/conversations/{conversation_id}", response_model=ConversationSummary)
    def rename(conversation_id: str, body: Rename, who: str = Depends(owner)) -> ConversationSummary:
        return _found(assistant.rename_conversation(conversation_id, body.title, owner=who), conversation_id)

    @r.delete("/conversations/{conversation_id}", response_model=Deleted)
    def delete(conversation_id: str, who: str = Depends(owner)) -> Deleted:
        if not assistant.delete_conversation(conversation_id, owner=who):
            raise HTTPException(404, "no such conversation")
        return Deleted(deleted=conversation_id)

    @r.get("/conversations/{conversation_id}/export",
           responses={200: {"content": {"text/markdown": {}}, "description": "The conversation as Markdown."}})
    def export(conversation_id: str, who: str = Depends(owner)) -> Response:
        """Each question, its answer and its citations (title, organisation, year, page, section), as a download."""
        conversation = _found(assistant.conversation(conversation_id, who), conversation_id)
        text = assistant.export_markdown(conversation.id, who) or ""
        return Response(text, media_type="text/markdown; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{export_filename(conversation)}"',
            "X-Content-Type-Options": "nosniff",
        })

    return r


def _found(value: T | None, conversation_id: str) -> T:
    if value is None:  # not there, or another key's: the same answer, so ids reveal nothing
        raise HTTPException(404, "no such conversation")
    return value
