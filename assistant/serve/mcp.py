"""The MCP server: the assistant's search, answers, lessons and library as tools for MCP clients.

One tool set, two transports: stdio (`eval-assistant mcp`, for a desktop
client or an agent that spawns the server) and streamable HTTP at `/mcp` on
the API server, behind the same key rules as `/api` (`security.refusal`).
Each tool is a thin wrapper over one `Assistant` method; inputs and outputs
are pydantic models (the API's own where it has them), so clients get
schemas and structured results carrying what is needed to cite a passage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from assistant import security
from assistant.config import Settings, version
from assistant.core import Assistant
from assistant.index.filters import MAX_VALUES
from assistant.models import Document, Record, RecordType, SectionType
from assistant.search.query import MAX_K, MAX_QUERY_CHARS, MAX_RECORDS
from assistant.serve.keys import refusal_response, scope_key
from assistant.serve.schemas import AskResponse, HistoryTurn, SearchResponse

__all__ = [
    "Criterion",
    "DocumentFilters",
    "DocumentKind",
    "DocumentList",
    "DocumentSummary",
    "LessonsResult",
    "McpHttp",
    "SearchFilters",
    "build_server",
    "run_stdio",
]

log = logging.getLogger("eval_assistant.mcp")

PATH = "/mcp"
BODY_LIMIT = 1024 * 1024  # as the API's JSON bodies
INSTRUCTIONS = (
    "Search evaluation reports (independent evaluations, briefs, management responses) and answer from them. "
    "Every passage, answer citation and record carries its document id, title, organisation, year, page and "
    "section: cite them. `ask` answers in the reports' own sentences; [n] in its answer is citations[n-1]."
)

# The values `Filters.parse` accepts (models.DOCUMENT_KINDS, models.DAC_CRITERIA), as types for the tool schemas.
DocumentKind = Literal["final", "mid-term", "country programme", "thematic", "meta-evaluation", "brief",
                       "management response", "terms of reference", "other"]
Criterion = Literal["relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability",
                    "validity_of_design"]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Values = Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_VALUES)]


class DocumentFilters(BaseModel):
    """Filters on a document's metadata: all that records (`lessons`) can be filtered on."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not silently ignored

    organisation: Values | None = Field(None, description="Publishing organisation, e.g. IOM, ILO, WFP, UNICEF.")
    country: Values | None = Field(None, description="Country the evaluation covers, e.g. Haiti.")
    year: int | Annotated[str, Field(max_length=20)] | None = Field(
        None, description="A year (2024) or a range: 2020-2024, 2020- or -2023.")
    kind: DocumentKind | Annotated[list[DocumentKind], Field(min_length=1)] | None = Field(
        None, description="Kind of evaluation document.")
    language: Values | None = Field(None, description="Language code, e.g. en, fr.")
    doc_id: Values | None = Field(None, description="Document id (as list_documents gives it).")
    source: Values | None = Field(None, description="File name.")

    def as_dict(self) -> dict[str, Any]:
        """The `filters` mapping `Assistant` methods take."""
        return self.model_dump(exclude_none=True)


class SearchFilters(DocumentFilters):
    """Document filters plus the passage-level ones: the section's type and the OECD/DAC criterion."""

    section_type: SectionType | Annotated[list[SectionType], Field(min_length=1)] | None = Field(
        None, description="Type of section, e.g. recommendations, lessons_learned, findings.")
    criterion: Criterion | Annotated[list[Criterion], Field(min_length=1)] | None = Field(
        None, description="OECD/DAC evaluation criterion the passage addresses.")


class DocumentSummary(BaseModel):
    """One indexed document without its section list, so the whole library fits a client's context."""

    doc_id: str
    source: str = Field(description="File name.")
    title: str
    organisation: str | None = None
    countries: list[str] = Field(default_factory=list)
    year: int | None = None
    kind: str
    language: str | None = None
    pages: int | None = None
    chunks: int = 0
    records: int = Field(0, description="Lessons, good practices, recommendations and management responses.")


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class LessonsResult(BaseModel):
    count: int
    records: list[Record]


Query = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def build_server(assistant: Assistant) -> MCPServer:
    """The five tools over one `Assistant`; the transports add nothing to them."""
    root = logging.getLogger()
    kept = root.level, list(root.handlers)
    server: MCPServer = MCPServer("eval-assistant", instructions=INSTRUCTIONS, version=version(), log_level="WARNING")
    root.setLevel(kept[0])  # MCPServer calls logging.basicConfig; logging is the host's to configure
    root.handlers[:] = kept[1]

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def search(
        query: Annotated[Query, Field(description="What to look for.")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="How many passages.")] = 10,
        filters: SearchFilters | None = None,
    ) -> SearchResponse:
        """The passages of the reports that best match a query, best first, each with its citation."""
        started = time.perf_counter()
        with _tool_errors():
            results = assistant.search(query, k=k, filters=filters.as_dict() if filters else None)
        return SearchResponse(query=query, results=results, took_ms=_ms(started))

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def ask(
        question: Annotated[Query, Field(description="The question.")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="How many passages to answer from.")] = 6,
        filters: SearchFilters | None = None,
        history: Annotated[list[HistoryTurn] | None, Field(
            max_length=50, description="Earlier questions, so a follow-up like 'and in Haiti?' keeps its subject.")] = None,
    ) -> AskResponse:
        """A short answer in the reports' own sentences; each [n] cites citations[n-1]; found=false when none answer."""
        started = time.perf_counter()
        with _tool_errors():
            answer = assistant.ask(question, k=k, filters=filters.as_dict() if filters else None, history=history)
        return AskResponse.of(answer, _ms(started))

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def lessons(
        query: Annotated[Query | None, Field(description="Search the records; omit to list them in report order.")] = None,
        type: Annotated[RecordType | None, Field(description="Only this type of record.")] = None,
        filters: DocumentFilters | None = None,
        k: Annotated[int, Field(ge=1, le=MAX_RECORDS, description="At most this many records.")] = 50,
    ) -> LessonsResult:
        """The reports' numbered lessons learned, good practices, recommendations and management responses."""
        with _tool_errors():
            records = assistant.lessons(query, type=type, filters=filters.as_dict() if filters else None, k=k)
        return LessonsResult(count=len(records), records=records)

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def list_documents() -> DocumentList:
        """Every indexed report with its metadata: what the other tools can search and filter on."""
        fields = set(DocumentSummary.model_fields)
        return DocumentList(documents=[DocumentSummary(**d.model_dump(include=fields)) for d in assistant.documents()])

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def get_document(
        doc: Annotated[str, Field(min_length=1, max_length=500, description="Document id, unique id prefix or file name.")],
    ) -> Document:
        """One report's metadata and its sections with their pages, to see what it covers and where."""
        try:
            found = assistant.document(doc)
        except KeyError as exc:  # an id prefix matching several documents
            raise ToolError(str(exc.args[0])) from None
        if found is None:
            raise ToolError(f"no indexed document {doc!r}; list_documents gives their ids")
        return found

    return server


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Bad input (a query, filter or k) reaches the client with its reason; the SDK hides other errors."""
    try:
        yield
    except ValueError as exc:
        raise ToolError(str(exc)) from None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def run_stdio(assistant: Assistant) -> None:
    """Serve the tools on stdin/stdout until the client closes them; the model loads meanwhile."""
    threading.Thread(target=_warm, args=(assistant,), name="warm-up", daemon=True).start()
    build_server(assistant).run("stdio")


def _warm(assistant: Assistant) -> None:
    """Load the model and the index now, so the first tool call does not wait for them."""
    try:
        assistant.search("evaluation findings and recommendations", k=1)
    except Exception:  # an empty or broken index must not stop the server; tool calls will say why
        log.exception("warm-up search failed")


class McpHttp:
    """ASGI endpoint at `/mcp`: the key rules of `/api`, then the SDK's streamable-HTTP session manager."""

    def __init__(self, assistant: Assistant, settings: Settings):
        self.server = build_server(assistant)
        self.settings = settings
        self.origins = {o.strip() for o in settings.cors_origins.split(",") if o.strip()}
        self._manager: StreamableHTTPSessionManager | None = None

    def route(self) -> Route:
        """The route to add to the app: exactly `/mcp`, every method (this endpoint answers each itself)."""
        return Route(PATH, endpoint=self, include_in_schema=False)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve requests while the app's lifespan lasts; a new manager each time (one runs only once)."""
        # Stateless JSON responses: no session to steal or leak, nothing held between requests.
        # Host checks are off: the server may listen on any address; keys and the Origin rule guard it.
        self.server.streamable_http_app(
            streamable_http_path=PATH, stateless_http=True, json_response=True, max_request_body_size=BODY_LIMIT,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin and origin not in self.origins:
            # A web page (or one behind DNS rebinding) may not drive the tools, as it may not call /api.
            await JSONResponse({"detail": "this origin may not call /mcp (see ASSISTANT_CORS_ORIGINS)"},
                               status_code=403)(scope, receive, send)
            return
        refused = security.refusal(self.settings, scope_key(scope), write=False)
        if refused:
            await refusal_response(refused)(scope, receive, send)
            return
        if scope["method"] == "GET":  # stateless: no stream for the server to speak first on (the spec's 405)
            await JSONResponse({"detail": "no server-sent event stream here: POST JSON-RPC requests"},
                               status_code=405, headers={"Allow": "POST, DELETE"})(scope, receive, send)
            return
        if self._manager is None:
            await JSONResponse({"detail": "the MCP endpoint is not running (the app's lifespan has not started)"},
                               status_code=503)(scope, receive, send)
            return
        await self._manager.handle_request(scope, receive, send)
