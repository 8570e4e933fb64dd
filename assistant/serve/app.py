"""The HTTP server: the retrieval API under `/api` (routes.py), the Gradio web app at `/`.

Errors are JSON `{"detail": ...}`, never a stack trace. The API docs are
served from packaged assets, so nothing is fetched from a CDN.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import security
from assistant.config import Settings, version
from assistant.core import Assistant
from assistant.errors import Cancelled, UploadError
from assistant.serve.conversations import conversations_router
from assistant.serve.keys import refusal_response, scope_key
from assistant.serve.mcp import McpHttp
from assistant.serve.routes import router
from assistant.serve.signin import SignInGate

__all__ = ["create_app"]

log = logging.getLogger("eval_assistant.api")

JSON_BODY_LIMIT = 1024 * 1024
MAX_ERRORS_SHOWN = 10  # validation errors listed in a 422; the rest are counted


def create_app(assistant: Assistant | None = None, settings: Settings | None = None, ui: bool = True) -> FastAPI:
    """The app; `ui=False` serves the API alone (no Gradio import)."""
    if assistant is None:
        assistant = Assistant(settings=settings)
    settings = settings or assistant.settings
    security.check_keys(settings)
    # Models load while Gradio imports and the UI is built; start-up waits for both.
    started = time.perf_counter()
    warming = threading.Thread(target=_warm, args=(assistant,), name="warm-up", daemon=True)
    warming.start()
    mcp_http = McpHttp(assistant, settings)  # the MCP tools at /mcp (serve/mcp.py), served while the app runs

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_in_threadpool(warming.join)
        log.info("ready %.1f s after create_app", time.perf_counter() - started)
        async with mcp_http.running():
            yield

    app = _Server(
        title="Evaluation Assistant API",
        version=version(),
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
    app.add_middleware(SignInGate, settings=settings)
    # Starlette's CORS policy, present even with no origin allowed: Gradio's own
    # then stands aside (it lets any localhost origin in, with credentials).
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=bool(origins),
                       allow_methods=["GET", "POST", "PATCH", "DELETE"], allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    app.include_router(router(assistant, settings), prefix="/api")
    app.include_router(conversations_router(assistant, settings), prefix="/api")
    app.router.routes.append(mcp_http.route())
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
    local = bool(swagger_ui_path and (Path(swagger_ui_path) / "swagger-ui-bundle.js").is_file())
    if local:
        app.mount("/api/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs():
        title, spec = f"{app.title} - docs", app.openapi_url or "/api/openapi.json"
        if not local:
            return get_swagger_ui_html(openapi_url=spec, title=title)
        return get_swagger_ui_html(openapi_url=spec, title=title, swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/api/docs-assets/swagger-ui.css", swagger_favicon_url="")


def _warm(assistant: Assistant) -> None:
    """Load the embedding model, the lexical index and Chroma before the first request."""
    try:
        assistant.search("evaluation findings and recommendations", k=1)
    except Exception:  # an empty or broken index must not stop the server; requests will say why
        log.exception("warm-up search failed")


def _mount_ui(app: FastAPI, assistant: Assistant, settings: Settings) -> None:
    import gradio as gr

    from ui.app import build_ui

    # With keys configured, SignInGate serves the web app to signed-in browsers only.
    gr.mount_gradio_app(app, build_ui(assistant), path="/")


class _Server(FastAPI):
    """FastAPI whose outermost layer turns plain-text API errors into the JSON every other error is.

    The request-size limit answers 413 before any of our middleware or
    handlers run, as plain text; clients of `/api` are promised JSON.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return _JsonErrors(super().build_middleware_stack())


class _JsonErrors:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api"):
            await self.app(scope, receive, send)
            return
        held: dict[str, Message] = {}
        body: list[bytes] = []

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                types = [v for k, v in message.get("headers", []) if k.lower() == b"content-type"]
                if message["status"] >= 400 and not any(t.startswith(b"application/json") for t in types):
                    held["start"] = message
                    return
            elif "start" in held and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                status = held["start"]["status"]
                text = b"".join(body).decode("utf-8", "replace").strip() or HTTPStatus(status).phrase
                payload = json.dumps({"detail": text[:500]}).encode()
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(payload)).encode())]})
                await send({"type": "http.response.body", "body": payload})
                return
            await send(message)

        await self.app(scope, receive, rewrite)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        """What is wrong and where, never the input itself (a 100k-character query is not echoed)."""
        errors = exc.errors()
        shown = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))[:300], "type": e.get("type", "")}
                 for e in errors[:MAX_ERRORS_SHOWN]]
        if len(errors) > MAX_ERRORS_SHOWN:
            shown.append({"loc": [], "msg": f"and {len(errors) - MAX_ERRORS_SHOWN} more errors", "type": "more"})
        return JSONResponse({"detail": shown}, status_code=422)

    @app.exception_handler(Cancelled)
    async def cancelled(request: Request, exc: Cancelled):
        log.warning("%s %s: the client went away; its work was cancelled", request.method, request.url.path)
        return JSONResponse({"detail": "cancelled: the client went away"}, status_code=499)

    @app.exception_handler(ValueError)  # QueryError, FilterError, UploadError, FeedbackError...
    async def bad_input(request: Request, exc: ValueError):
        status = exc.status if isinstance(exc, UploadError) else 422
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the server log"}, status_code=500)


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
            refused = security.refusal(self.settings, scope_key(scope), write=True)
            if refused:
                await refusal_response(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)


