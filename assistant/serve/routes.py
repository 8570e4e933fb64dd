"""The `/api` endpoints: a thin adapter over `Assistant`.

Every route calls one of its methods and returns the same pydantic models,
so the OpenAPI spec documents what the Python API returns. Most routes are
plain `def`s, run in the threadpool, so a search never waits on the event
loop while an upload ingests; a warm search runs on the loop itself.

Keys (see security.py): uploads and deletes always need one, so with no key
configured they are refused (403); with keys configured every endpoint but
`/api/health` needs one (401).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse

from assistant import security
from assistant.answer.evidence import EvidenceError, PassageView
from assistant.config import Settings, version
from assistant.core import Assistant
from assistant.errors import UploadError, WouldBlock
from assistant.index.feedback import FeedbackEntry
from assistant.models import Document, IngestReport, Record, RecordType, ReportCard, StreamEvent, content_id
from assistant.serve.keys import presented, raise_refusal
from assistant.serve.schemas import (
    AskRequest,
    AskResponse,
    ErrorBody,
    FeedbackRequest,
    FeedbackStored,
    Health,
    Removed,
    SearchRequest,
    SearchResponse,
)

__all__ = ["MULTIPART_OVERHEAD", "router"]

log = logging.getLogger("eval_assistant.api")
T = TypeVar("T")

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}


MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file
DISCONNECT_POLL = 0.5  # seconds between looks at whether an uploading client is still there


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or wrong API key"},
    422: {"model": ErrorBody, "description": "Bad input; the detail says what is wrong"},
}


def router(assistant: Assistant, settings: Settings) -> APIRouter:
    """Every `/api` endpoint over one `Assistant`, with the key rules of `security.refusal`."""
    # async: cheap checks run on the event loop, not as two more thread-pool hops per request
    async def read_access(key: str | None = Depends(presented)) -> None:
        raise_refusal(security.refusal(settings, key, write=False))

    async def write_access(key: str | None = Depends(presented)) -> None:
        raise_refusal(security.refusal(settings, key, write=True))

    r = APIRouter()
    read = [Depends(read_access)]
    write = [Depends(write_access)]

    @r.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        return Health(status="ok", documents=len(assistant.documents()), chunks=assistant.chunk_count(), version=version())

    @r.post("/search", response_model=SearchResponse, dependencies=read, responses=ERRORS, tags=["retrieval"])
    async def search(body: SearchRequest) -> SearchResponse:
        # A warm search (query vectors cached, index built) takes ~3 ms: run it
        # here, not through a worker thread, whose hand-off and GIL ping-pong
        # cost more than the search (docs/experiments.md, "Server concurrency").
        # A filtered search tests every chunk's metadata: a worker thread's job.
        started = time.perf_counter()
        try:
            if body.filters:
                raise WouldBlock("filters are checked off the event loop")
            results = assistant.search(body.query, k=body.k, block=False)
        except WouldBlock:  # the model, a rebuild or a filter scan would hold up every other request
            results = await run_in_threadpool(assistant.search, body.query, k=body.k, filters=body.filters)
        return SearchResponse(query=body.query, results=results, took_ms=_ms(started))

    @r.post(
        "/ask",
        response_model=AskResponse,
        dependencies=read,
        tags=["retrieval"],
        responses={**ERRORS, 200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                                   "description": "JSON, or with `stream: true` server-sent events: "
                                                  "`delta` events `{\"text\"}`, then one `answer` event (this JSON)."}},
    )
    def ask(body: AskRequest):
        started = time.perf_counter()
        if body.stream:
            events = assistant.ask_stream(body.question, k=body.k, filters=body.filters, history=body.history)
            return StreamingResponse(
                _sse(events, started), media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        answer = assistant.ask(body.question, k=body.k, filters=body.filters, history=body.history)
        return AskResponse.of(answer, _ms(started))

    @r.get("/documents", response_model=list[Document], dependencies=read, responses=ERRORS, tags=["documents"])
    def documents() -> list[Document]:
        return assistant.documents()

    @r.get("/documents/{doc_id}", response_model=Document, dependencies=read,
           responses={**ERRORS, 404: {"model": ErrorBody}}, tags=["documents"])
    def document(doc_id: str) -> Document:
        return _known(assistant, doc_id)

    @r.get("/documents/{doc_id}/card", response_model=ReportCard, dependencies=read,
           responses={**ERRORS, 404: {"model": ErrorBody}}, tags=["documents"])
    def document_card(doc_id: str) -> ReportCard:
        """One report at a glance: facts, summary opening, findings per DAC criterion, records, kin; all cited."""
        doc = _known(assistant, doc_id)
        return assistant.card(doc.doc_id)

    @r.get("/documents/{doc_id}/file", tags=["documents"],
           responses={**ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody},
                      200: {"description": "The original file, inline (a PDF opens at `#page=N`)."}})
    def document_file(
        doc_id: str,
        key: str | None = Depends(presented),
        exp: int | None = Query(None, description="expiry of a signed link (`security.file_link`)"),
        sig: str | None = Query(None, description="signature of a signed link: opens this file without a key"),
    ):
        doc = _opened(assistant, settings, doc_id, key, exp, sig)
        path = Path(doc.path)  # from the index, never from the request
        if not _same_file(path, doc):
            raise HTTPException(409, f"{doc.source}: the file at its indexed location is gone or changed; re-ingest it")
        headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
        return FileResponse(path, media_type=MEDIA_TYPES.get(doc.format, "application/octet-stream"),
                            filename=doc.source, content_disposition_type="inline", headers=headers)

    # Evidence views: the same key rule as the file, whose signed link opens them too (they show that file).
    @r.get("/documents/{doc_id}/pages/{page}.png", tags=["documents"], response_class=Response,
           responses={**ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}, 415: {"model": ErrorBody},
                      200: {"content": {"image/png": {}}, "description": "The page with the cited text marked; "
                            "headers `X-Page-Count`, `X-Highlights` (boxes drawn) and `X-Highlight-Top` "
                            "(how far down the first one is, 0-1)."}})
    def page_image(
        doc_id: str,
        page: int,
        highlight: str | None = Query(None, max_length=200, description="chunk id of the cited passage"),
        sentence: list[str] | None = Query(None, description="cited sentence(s) to mark (default: the passage)"),
        key: str | None = Depends(presented),
        exp: int | None = Query(None, description="expiry of a signed file link"),
        sig: str | None = Query(None, description="signature of a signed file link"),
    ) -> Response:
        doc = _opened(assistant, settings, doc_id, key, exp, sig)
        image = _evidence(assistant.page_image, doc.doc_id, page, highlight, sentence or ())
        headers = {"X-Page-Count": str(image.pages), "X-Highlights": str(len(image.boxes)),
                   "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
        if image.mark_top is not None:
            headers["X-Highlight-Top"] = f"{image.mark_top:.4f}"
        return Response(image.png, media_type="image/png", headers=headers)

    @r.get("/documents/{doc_id}/passages/{chunk_id}", response_model=PassageView, tags=["documents"],
           responses={**ERRORS, 404: {"model": ErrorBody}})
    def passage_view(
        doc_id: str,
        chunk_id: str,
        sentence: list[str] | None = Query(None, description="cited sentence(s) to mark (default: the passage)"),
        key: str | None = Depends(presented),
        exp: int | None = Query(None, description="expiry of a signed file link"),
        sig: str | None = Query(None, description="signature of a signed file link"),
    ) -> PassageView:
        doc = _opened(assistant, settings, doc_id, key, exp, sig)
        return _evidence(assistant.passage_view, doc.doc_id, chunk_id, sentence or ())

    @r.post("/documents", response_model=IngestReport, dependencies=write, tags=["documents"],
            max_body_size=settings.upload_max_mb * 1024 * 1024 + MULTIPART_OVERHEAD,
            responses={**ERRORS, 403: {"model": ErrorBody}, 413: {"model": ErrorBody}, 415: {"model": ErrorBody}})
    async def upload(request: Request,
                     file: UploadFile = File(description="PDF, DOCX, HTML, text or Markdown")) -> IngestReport:
        # Parsed and embedded on worker threads (and a parse worker process), watched from here:
        # a client that goes away cancels the work, and nothing of it is kept.
        data = await run_in_threadpool(_read_limited, file, settings.upload_max_mb * 1024 * 1024)
        cancel = threading.Event()
        work = asyncio.ensure_future(run_in_threadpool(assistant.add_file, file.filename or "", data, cancel))
        while not work.done():
            await asyncio.wait({work}, timeout=DISCONNECT_POLL)
            if not work.done() and await request.is_disconnected():
                cancel.set()
        return work.result()

    @r.delete("/documents/{doc_id}", response_model=Removed, dependencies=write, tags=["documents"],
              responses={**ERRORS, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}})
    def remove(doc_id: str) -> Removed:
        doc = _known(assistant, doc_id)
        if not assistant.remove(doc.doc_id):
            raise HTTPException(404, f"no indexed document {doc_id!r}")
        return Removed(removed=doc.doc_id)

    @r.get("/lessons", response_model=list[Record], dependencies=read,
           responses={**ERRORS, 501: {"model": ErrorBody}}, tags=["records"])
    def lessons(
        query: str | None = Query(None, max_length=2000),
        type: RecordType | None = None,
        k: int = Query(50, ge=1, le=500),
        organisation: list[str] | None = Query(None),
        country: list[str] | None = Query(None),
        year: str | None = Query(None, description="2024, 2020-2024 or 2020-"),
        kind: list[str] | None = Query(None),
        language: list[str] | None = Query(None),
        doc_id: list[str] | None = Query(None),
        source: list[str] | None = Query(None),
    ) -> list[Record]:
        if not hasattr(assistant, "lessons"):
            raise HTTPException(501, "lessons are not available in this version")
        given = dict(organisation=organisation, country=country, year=year, kind=kind,
                     language=language, doc_id=doc_id, source=source)
        filters = {key: value for key, value in given.items() if value}
        return assistant.lessons(query=query, type=type, filters=filters or None, k=k)

    @r.post("/feedback", response_model=FeedbackStored, dependencies=read, responses=ERRORS, tags=["feedback"])
    def feedback(body: FeedbackRequest) -> FeedbackStored:
        answer = dict(body.answer)
        answer.setdefault("question", body.question)
        answer.setdefault("text", answer.pop("answer", ""))  # /api/ask names the text `answer`
        return FeedbackStored(id=assistant.feedback(body.question, answer, body.rating, body.comment))

    @r.get("/feedback", response_model=list[FeedbackEntry], dependencies=read, responses=ERRORS, tags=["feedback"])
    def feedback_log() -> list[dict]:
        return assistant.feedback_log()

    return r


def _evidence(method: Callable[..., T], *args: Any) -> T:
    """An evidence view, its refusal as the HTTP status it names (404 page or passage, 409, 415 not a PDF)."""
    try:
        return method(*args)
    except EvidenceError as exc:
        raise HTTPException(exc.status, str(exc)) from None


def _opened(assistant, settings: Settings, doc_id: str, key: str | None, exp: int | None, sig: str | None) -> Document:
    """A document a request may read from (its file, page images, passages): a valid signed link opens it,
    else the key rules for reading apply."""
    if not security.valid_file_link(settings, doc_id, exp, sig):
        raise_refusal(security.refusal(settings, key, write=False))
    return _known(assistant, doc_id)


def _known(assistant, doc_id: str) -> Document:
    try:
        doc = assistant.document(doc_id)
    except KeyError as exc:  # an id prefix matching several documents
        raise HTTPException(422, str(exc.args[0])) from None
    if doc is None:
        raise HTTPException(404, f"no indexed document {doc_id!r}")
    return doc


_hash_cache: dict[tuple[str, float, int], str] = {}


def _same_file(path: Path, doc: Document) -> bool:
    """Is the file at the indexed path still the content that was indexed?"""
    try:
        stat = path.stat()
    except OSError:
        return False
    key = (str(path), stat.st_mtime, stat.st_size)
    if key not in _hash_cache:
        _hash_cache[key] = content_id(path.read_bytes())
    return _hash_cache[key] == doc.doc_id


def _read_limited(file: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes, stopping as soon as it passes the limit."""
    parts, size = [], 0
    while chunk := file.file.read(1024 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise UploadError(f"{file.filename}: file too large (over the {max_bytes / 2**20:.0f} MB limit)", status=413)
        parts.append(chunk)
    return b"".join(parts)


def _sse(events: Iterator[StreamEvent], started: float) -> Iterator[str]:
    """Server-sent events: `delta` pieces, then the `answer` (or an `error`)."""
    try:
        for event in events:
            if event["event"] == "delta":
                yield f"event: delta\ndata: {json.dumps({'text': event['text']}, ensure_ascii=False)}\n\n"
            else:
                body = AskResponse.of(event["answer"], _ms(started))
                yield f"event: answer\ndata: {body.model_dump_json()}\n\n"
    except Exception as exc:  # the 200 is sent already: report in-band, without a traceback
        log.error("streamed answer failed: %s", type(exc).__name__, exc_info=exc)
        detail = str(exc) if isinstance(exc, ValueError) else f"internal error ({type(exc).__name__})"
        yield f"event: error\ndata: {json.dumps({'detail': detail})}\n\n"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
