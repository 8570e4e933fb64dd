"""The HTTP server: the retrieval API under `/api`, the Gradio UI at `/`.

A thin adapter over `Assistant`: every route calls one of its methods and
returns the same pydantic models, so the OpenAPI spec (`/api/openapi.json`,
docs at `/api/docs`) documents what the Python API returns. Routes are plain
`def`s, run in the threadpool, so a search never waits on the event loop
while an upload ingests (the Assistant serialises writes itself).

Keys (see security.py): uploads and deletes always need one, so with no key
configured they are refused (403); with keys configured every endpoint but
`/api/health` needs one (401). Errors are JSON `{"detail": ...}`, never a
stack trace.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Query, Request, Security, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from assistant import security
from assistant.config import Settings
from assistant.errors import UploadError, WouldBlock
from assistant.index.feedback import FeedbackEntry
from assistant.ingest.parsing import content_id
from assistant.models import Document, IngestReport, Record, RecordType
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

log = logging.getLogger("eval_assistant.api")

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file
JSON_BODY_LIMIT = 1024 * 1024
ERRORS = {
    401: {"model": ErrorBody, "description": "Missing or wrong API key"},
    422: {"model": ErrorBody, "description": "Bad input; the detail says what is wrong"},
}

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("eval-assistant")
    except PackageNotFoundError:  # running from a plain checkout
        from assistant import __version__

        return __version__


def create_app(assistant=None, settings: Settings | None = None, ui: bool = True) -> FastAPI:
    """The app; `ui=False` serves the API alone (no Gradio import)."""
    if assistant is None:
        from assistant.core import Assistant

        assistant = Assistant(settings=settings)
    settings = settings or assistant.settings
    security.check_keys(settings)
    # Models load while Gradio imports and the UI is built; start-up waits for both.
    started = time.perf_counter()
    warming = threading.Thread(target=_warm, args=(assistant,), name="warm-up", daemon=True)
    warming.start()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_in_threadpool(warming.join)
        log.info("ready %.1f s after create_app", time.perf_counter() - started)
        yield

    app = FastAPI(
        title="Evaluation Assistant API",
        version=_version(),
        description="Cited retrieval and answers over evaluation reports.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by _docs, from local assets
        redoc_url=None,
        lifespan=lifespan,
        max_body_size=JSON_BODY_LIMIT,
    )
    app.state.assistant = assistant
    app.state.settings = settings
    _error_handlers(app)
    app.add_middleware(WriteGuard, settings=settings)
    app.include_router(_router(assistant, settings), prefix="/api")
    _docs(app)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def no_such_endpoint(rest: str):
        raise HTTPException(404, f"no endpoint /api/{rest}; see /api/docs")

    if ui:
        _mount_ui(app, assistant, settings)
    else:
        app.add_api_route("/", lambda: RedirectResponse("/api/docs"), include_in_schema=False)
    return app


def _docs(app: FastAPI) -> None:
    """Swagger UI at /api/docs from the packaged `swagger-ui-bundle-v2` assets.

    FastAPI's default page loads its script and styles from a CDN and its
    icon from fastapi.tiangolo.com; this server reaches nothing outside.
    """
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - a dependency; fall back to the CDN page
        swagger_ui_path = None
    assets = {}
    if swagger_ui_path and (Path(swagger_ui_path) / "swagger-ui-bundle.js").is_file():
        app.mount("/api/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
        assets = {"swagger_js_url": "/api/docs-assets/swagger-ui-bundle.js",
                  "swagger_css_url": "/api/docs-assets/swagger-ui.css", "swagger_favicon_url": ""}

    @app.get("/api/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - docs", **assets)


def _warm(assistant) -> None:
    """Load the embedding model, the lexical index and Chroma before the first request."""
    try:
        assistant.search("evaluation findings and recommendations", k=1)
    except Exception:  # an empty or broken index must not stop the server; requests will say why
        log.exception("warm-up search failed")


def _mount_ui(app: FastAPI, assistant, settings: Settings) -> None:
    import gradio as gr

    from ui.app import build_ui

    auth = None
    if security.keys_configured(settings):  # the UI reads the same index: same keys (any user name, key as password)
        auth = lambda _user, password: security.valid_key(settings, password)  # noqa: E731
    gr.mount_gradio_app(app, build_ui(assistant), path="/", auth=auth,
                        auth_message="Sign in with any user name and an API key as the password.")


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValueError)  # QueryError, FilterError, UploadError, FeedbackError...
    async def bad_input(request: Request, exc: ValueError):
        status = exc.status if isinstance(exc, UploadError) else 422
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the server log"}, status_code=500)


def _router(assistant, settings: Settings) -> APIRouter:
    # async: cheap checks run on the event loop, not as two more thread-pool hops per request
    async def presented(
        bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
        header: str | None = Security(_header),
    ) -> str | None:
        return bearer.credentials if bearer else (header or None)

    async def read_access(key: str | None = Depends(presented)) -> None:
        _raise(security.refusal(settings, key, write=False))

    async def write_access(key: str | None = Depends(presented)) -> None:
        _raise(security.refusal(settings, key, write=True))

    r = APIRouter()
    read = [Depends(read_access)]
    write = [Depends(write_access)]

    @r.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        return Health(status="ok", documents=len(assistant.documents()), chunks=assistant.store.count(), version=_version())

    @r.post("/search", response_model=SearchResponse, dependencies=read, responses=ERRORS, tags=["retrieval"])
    async def search(body: SearchRequest) -> SearchResponse:
        # A warm search (query vectors cached, index built) takes ~3 ms: run it
        # here, not through a worker thread, whose hand-off and GIL ping-pong
        # cost more than the search. 20 clients: 131-151 -> 199-237 searches/s,
        # p50 ~130 -> ~75 ms, p95 ~150 -> ~140 ms (a single-thread executor
        # instead: fair, but 135/s, p50 150 ms).
        started = time.perf_counter()
        try:
            results = assistant.search(body.query, k=body.k, filters=body.filters, block=False)
        except WouldBlock:  # the model or a rebuild would hold up every other request
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

    @r.get("/documents/{doc_id}/file", tags=["documents"],
           responses={**ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody},
                      200: {"description": "The original file, inline (a PDF opens at `#page=N`)."}})
    def document_file(
        doc_id: str,
        key: str | None = Depends(presented),
        exp: int | None = Query(None, description="expiry of a signed link (`security.file_link`)"),
        sig: str | None = Query(None, description="signature of a signed link: opens this file without a key"),
    ):
        if not security.valid_file_link(settings, doc_id, exp, sig):
            _raise(security.refusal(settings, key, write=False))
        doc = _known(assistant, doc_id)
        path = Path(doc.path)  # from the index, never from the request
        if not _same_file(path, doc):
            raise HTTPException(409, f"{doc.source}: the file at its indexed location is gone or changed; re-ingest it")
        headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
        return FileResponse(path, media_type=MEDIA_TYPES.get(doc.format, "application/octet-stream"),
                            filename=doc.source, content_disposition_type="inline", headers=headers)

    @r.post("/documents", response_model=IngestReport, dependencies=write, tags=["documents"],
            max_body_size=settings.upload_max_mb * 1024 * 1024 + MULTIPART_OVERHEAD,
            responses={**ERRORS, 403: {"model": ErrorBody}, 413: {"model": ErrorBody}, 415: {"model": ErrorBody}})
    def upload(file: UploadFile = File(description="PDF, DOCX, HTML, text or Markdown")) -> IngestReport:
        data = _read_limited(file, settings.upload_max_mb * 1024 * 1024)
        return assistant.add_file(file.filename or "", data)

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


def _raise(refused: tuple[int, str] | None) -> None:
    if refused:
        status, detail = refused
        raise HTTPException(status, detail, headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


class WriteGuard:
    """Refuses an unauthorised upload or delete before its body is read.

    FastAPI parses a request body before running dependencies; without this
    an anonymous client could make the server spool a 50 MB upload just to
    be told 401. The route dependencies apply the same rule (and document it).
    """

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("POST", "DELETE") and scope["path"].startswith("/api/documents"):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            key = security.presented_key(headers.get("authorization"), headers.get("x-api-key"))
            refused = security.refusal(self.settings, key, write=True)
            if refused:
                extra = {"WWW-Authenticate": "Bearer"} if refused[0] == 401 else None
                await JSONResponse({"detail": refused[1]}, status_code=refused[0], headers=extra)(scope, receive, send)
                return
        await self.app(scope, receive, send)


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


def _sse(events: Iterator[dict], started: float) -> Iterator[str]:
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
