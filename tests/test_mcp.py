"""The MCP server (assistant/serve/mcp.py) through the SDK's own client, over both transports.

stdio: `python -m assistant mcp` spawned against the session's index.
Streamable HTTP: the whole app (`create_app`, web app included) on a real
uvicorn server in a thread, so its lifespan starts the MCP session manager
as `eval-assistant serve` does, with the key rules of `/api`.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import uvicorn
from fastapi.testclient import TestClient
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from assistant.models import DAC_CRITERIA, DOCUMENT_KINDS, Document, Record
from assistant.serve.app import create_app
from assistant.serve.mcp import Criterion, DocumentKind, DocumentList, LessonsResult
from assistant.serve.schemas import AskResponse, SearchResponse

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
KEY = "mcp-test-key-" + secrets.token_hex(12)
TOOLS = {"search", "ask", "lessons", "list_documents", "get_document"}
# WFP's environmental policy evaluation answers this best; the filter allows IOM's 2023 reports only.
QUERY = "environmental policy, climate and environmental safeguards"
FILTERS = {"organisation": "IOM", "year": "2023"}
QUESTION = "What did the evaluation recommend on accountability to affected populations?"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


async def _calls(client: Client) -> dict[str, Any]:
    """Every check's tool call, in one session (a stdio server loads the model once)."""
    async with client:
        out: dict[str, Any] = {"tools": (await client.list_tools()).tools}
        out["search"] = await client.call_tool("search", {"query": QUERY, "k": 5, "filters": FILTERS})
        out["ask"] = await client.call_tool("ask", {"question": QUESTION})
        out["lessons"] = await client.call_tool(
            "lessons", {"type": "recommendation", "filters": {"organisation": "IOM"}, "k": 100})
        out["list_documents"] = await client.call_tool("list_documents", {})
        out["get_document"] = await client.call_tool("get_document", {"doc": "iom_aap_evaluation_report_2024.pdf"})
        out["unknown_document"] = await client.call_tool("get_document", {"doc": "no-such-report.pdf"})
        out["backwards_years"] = await client.call_tool("search", {"query": QUERY, "filters": {"year": "2025-2020"}})
        out["unknown_filter"] = await client.call_tool("search", {"query": QUERY, "filters": {"colour": "red"}})
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(app) -> Iterator[str]:
    """The app on a real server in a thread, lifespan included, until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 180
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _http_client(url: str, headers: dict[str, str]) -> Client:
    return Client(streamable_http_client(url + "/mcp", http_client=httpx2.AsyncClient(headers=headers, timeout=120)))


@pytest.fixture(scope="module")
def keyed_url(indexed) -> Iterator[str]:
    """The whole app (web app too) with an API key configured."""
    assistant, _ = indexed
    with _serving(create_app(assistant, settings=assistant.settings.with_(api_keys=KEY), ui=True)) as url:
        yield url


@pytest.fixture(scope="module")
def over_stdio(indexed) -> dict[str, Any]:
    assistant, _ = indexed
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant", "mcp", "--index", str(assistant.settings.index_dir), "--corpus", str(CORPUS)],
        env=dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False"),
        cwd=ROOT,
    )
    return asyncio.run(_calls(Client(params)))


@pytest.fixture(scope="module")
def over_http(keyed_url) -> dict[str, Any]:
    return asyncio.run(_calls(_http_client(keyed_url, {"Authorization": f"Bearer {KEY}"})))


@pytest.fixture(params=["stdio", "http"])
def calls(request) -> dict[str, Any]:
    return request.getfixturevalue("over_stdio" if request.param == "stdio" else "over_http")


def test_the_five_tools_are_listed_with_typed_schemas(calls):
    tools = {t.name: t for t in calls["tools"]}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
        assert tool.annotations and tool.annotations.read_only_hint, tool.name
    filters = tools["search"].input_schema["$defs"]["SearchFilters"]
    assert {"organisation", "country", "year", "kind", "section_type", "criterion"} <= set(filters["properties"])
    assert filters["additionalProperties"] is False
    assert "section_type" not in tools["lessons"].input_schema["$defs"]["DocumentFilters"]["properties"]


def test_search_keeps_to_its_filters_and_cites(calls, indexed):
    assistant, _ = indexed
    docs = {d.doc_id: d for d in assistant.documents()}
    allowed = {i for i, d in docs.items() if d.organisation == "IOM" and d.year == 2023}
    assert allowed and allowed != set(docs)
    # Without the filter the query finds other reports: the filter has work to do.
    assert {p.doc_id for p in assistant.search(QUERY, k=5)} - allowed
    result = calls["search"]
    assert not result.is_error
    body = SearchResponse.model_validate(result.structured_content)
    assert body.results
    for p in body.results:
        assert p.doc_id in allowed and p.organisation == "IOM" and p.year == 2023
        assert p.title == docs[p.doc_id].title and p.source == docs[p.doc_id].source
        assert isinstance(p.page, int) and p.page >= 1  # the IOM reports are PDFs: every passage has a page
        assert p.text and p.chunk_id
    assert any(p.section for p in body.results)


def test_ask_answers_with_citations(calls, indexed):
    assistant, _ = indexed
    known = {d.doc_id for d in assistant.documents()}
    result = calls["ask"]
    assert not result.is_error
    body = AskResponse.model_validate(result.structured_content)
    assert body.found and body.citations
    marks = {int(n) for n in re.findall(r"\[(\d+)\]", body.answer)}
    assert marks and marks <= set(range(1, len(body.citations) + 1))
    for c in body.citations:
        assert c.doc_id in known and c.title and c.page is not None and c.organisation and c.year


def test_lessons_list_filtered_cited_records(calls):
    result = calls["lessons"]
    assert not result.is_error
    body = LessonsResult.model_validate(result.structured_content)
    assert body.count == len(body.records) > 0
    for r in body.records:
        assert isinstance(r, Record)
        assert r.type == "recommendation" and r.organisation == "IOM" and r.doc_id and r.document_title


def test_documents_are_listed_and_opened(calls, indexed):
    assistant, _ = indexed
    listed = DocumentList.model_validate(calls["list_documents"].structured_content).documents
    assert {d.doc_id for d in listed} == {d.doc_id for d in assistant.documents()}
    doc = Document.model_validate(calls["get_document"].structured_content)
    assert doc.source == "iom_aap_evaluation_report_2024.pdf" and doc.sections and doc.pages
    unknown = calls["unknown_document"]
    assert unknown.is_error and "no indexed document" in unknown.content[0].text


def test_bad_input_is_an_error_that_says_why(calls):
    backwards = calls["backwards_years"]
    assert backwards.is_error and "backwards" in backwards.content[0].text
    unknown = calls["unknown_filter"]
    assert unknown.is_error and "colour" in unknown.content[0].text


def test_http_search_is_the_assistants_own(over_http, indexed):
    assistant, _ = indexed
    body = SearchResponse.model_validate(over_http["search"].structured_content)
    assert [p.chunk_id for p in body.results] == [p.chunk_id for p in assistant.search(QUERY, k=5, filters=FILTERS)]


def _raised(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [e for inner in exc.exceptions for e in _raised(inner)]
    return [exc]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key-0123456789abcdef"},
                                     {"X-API-Key": "wrong-key-0123456789abcdef"}], ids=["no key", "bearer", "header"])
def test_http_refuses_a_missing_or_wrong_key(keyed_url, headers):
    response = httpx.post(keyed_url + "/mcp", json=INITIALIZE, headers={**ACCEPT, **headers}, timeout=30)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer" and "API key" in response.json()["detail"]

    async def connect() -> None:
        async with _http_client(keyed_url, headers):
            pass

    try:
        asyncio.run(connect())
    except Exception as exc:  # the SDK's task groups wrap what the transport raised
        assert any(isinstance(e, MCPError) for e in _raised(exc)), exc
    else:
        pytest.fail("the SDK client connected without a valid key")


def test_http_takes_the_key_in_either_header(keyed_url):
    async def names(headers: dict[str, str]) -> set[str]:
        async with _http_client(keyed_url, headers) as client:
            return {t.name for t in (await client.list_tools()).tools}

    assert asyncio.run(names({"X-API-Key": KEY})) == TOOLS
    assert asyncio.run(names({"Authorization": f"Bearer {KEY}"})) == TOOLS


def test_http_refuses_a_web_page_from_another_origin(keyed_url):
    headers = {**ACCEPT, "Authorization": f"Bearer {KEY}", "Origin": "http://evil.example"}
    assert httpx.post(keyed_url + "/mcp", json=INITIALIZE, headers=headers, timeout=30).status_code == 403
    headers.pop("Origin")
    assert httpx.post(keyed_url + "/mcp", json=INITIALIZE, headers=headers, timeout=30).status_code == 200


def test_http_reads_are_open_on_loopback_without_keys(indexed):
    assistant, _ = indexed

    async def documents(url: str) -> DocumentList:
        async with _http_client(url, {}) as client:
            return DocumentList.model_validate((await client.call_tool("list_documents", {})).structured_content)

    with _serving(create_app(assistant, settings=assistant.settings.with_(api_keys="", api_keys_file=""), ui=False)) as url:
        listed = asyncio.run(documents(url))
    assert len(listed.documents) == len(assistant.documents()) > 0


def test_the_endpoint_runs_with_the_app_lifespan_each_time(indexed):
    """Before the lifespan: 503. Each start of it (a manager runs only once) serves again."""
    assistant, _ = indexed
    app = create_app(assistant, settings=assistant.settings.with_(api_keys="", api_keys_file=""), ui=False)
    assert TestClient(app).post("/mcp", json=INITIALIZE, headers=ACCEPT).status_code == 503
    for _ in range(2):
        with TestClient(app) as client:
            response = client.post("/mcp", json=INITIALIZE, headers=ACCEPT)
            assert response.status_code == 200 and response.json()["result"]["serverInfo"]["name"] == "eval-assistant"
            assert client.get("/mcp", headers=ACCEPT).status_code == 405  # stateless: no stream to hold open


def test_the_schema_choices_are_the_filters_own():
    from typing import get_args

    assert set(get_args(DocumentKind)) == set(DOCUMENT_KINDS)
    assert set(get_args(Criterion)) == set(DAC_CRITERIA)
