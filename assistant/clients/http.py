"""A Python client for the HTTP API with the `Assistant`'s methods and types.

`Client("http://host:7860", api_key=...)` has the same `search`, `ask`,
`ask_stream`, `documents`, `document`, `ingest`, `remove` and `lessons` as a
local `Assistant`, returning the same pydantic models, so code can switch
between local and remote by changing one line. Errors map the same way too:
bad input raises `ValueError` with the server's message, a refused key
`PermissionError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from assistant.files import discover
from assistant.models import (
    Answer,
    AnswerEvent,
    DeltaEvent,
    Document,
    FailedFile,
    IngestReport,
    Passage,
    Progress,
    Record,
    ReportCard,
    StreamEvent,
)
from assistant.serve.schemas import AskResponse, SearchResponse


class ClientError(RuntimeError):
    """The server failed or answered something unexpected; `status` is the HTTP status."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class Client:
    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 120.0, transport=None):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- retrieval -------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._json("GET", "/api/health")

    def search(self, query: str, k: int = 10, filters: dict | None = None) -> list[Passage]:
        body = self._json("POST", "/api/search", json={"query": query, "k": k, "filters": filters})
        return SearchResponse.model_validate(body).results

    def ask(self, question: str, k: int = 6, filters: dict | None = None, history: list | None = None) -> Answer:
        body = self._json("POST", "/api/ask", json=_ask_body(question, k, filters, history, stream=False))
        return AskResponse.model_validate(body).to_answer()

    def ask_stream(
        self, question: str, k: int = 6, filters: dict | None = None, history: list | None = None
    ) -> Iterator[StreamEvent]:
        """The `Assistant.ask_stream` events, read from the server's SSE stream."""
        body = _ask_body(question, k, filters, history, stream=True)
        with self._http.stream("POST", "/api/ask", json=body) as response:
            if response.status_code != 200:
                response.read()
                _raise_for(response)
            for event, data in _sse_events(response.iter_lines()):
                if event == "delta":
                    yield DeltaEvent(event="delta", text=data["text"])
                elif event == "answer":
                    yield AnswerEvent(event="answer", answer=AskResponse.model_validate(data).to_answer())
                elif event == "error":
                    raise ClientError(500, data.get("detail", "stream failed"))

    def lessons(self, query: str | None = None, type: str | None = None, filters: dict | None = None, k: int = 50) -> list[Record]:
        params: list[tuple[str, Any]] = [("k", k)]
        if query:
            params.append(("query", query))
        if type:
            params.append(("type", type))
        for key, value in (filters or {}).items():
            for v in value if isinstance(value, (list, tuple, set)) else [value]:
                params.append((key, v))
        return [Record.model_validate(r) for r in self._json("GET", "/api/lessons", params=params)]

    # -- documents -------------------------------------------------------

    def documents(self) -> list[Document]:
        return [Document.model_validate(d) for d in self._json("GET", "/api/documents")]

    def document(self, doc_id: str) -> Document | None:
        response = self._http.get(f"/api/documents/{_segment(doc_id)}")
        if response.status_code == 404:
            return None
        return Document.model_validate(_checked(response))

    def card(self, doc_id: str) -> ReportCard:
        response = self._http.get(f"/api/documents/{_segment(doc_id)}/card")
        if response.status_code == 404:
            raise KeyError(f"no document {doc_id!r}")
        return ReportCard.model_validate(_checked(response))

    def remove(self, doc_id: str) -> bool:
        response = self._http.delete(f"/api/documents/{_segment(doc_id)}")
        if response.status_code == 404:
            return False
        _checked(response)
        return True

    def ingest(self, paths: Iterable[str | Path] | None = None, prune: bool = False, progress: Progress | None = None) -> IngestReport:
        """Upload files (folders are walked as a local ingest would) and sum the server's reports.

        A file the server refuses is listed in `failed` with its reason, like
        a local ingest; a refused key raises `PermissionError`.
        """
        if paths is None:
            raise ValueError("give the files or folders to upload: a remote server has no local corpus folder")
        if prune:
            raise ValueError("prune is not available over HTTP; remove documents by id instead")
        files, failed = discover(paths)
        total = IngestReport(failed=failed)
        for n, path in enumerate(files):
            if progress:
                progress(path.name, n, len(files))
            with open(path, "rb") as f:
                response = self._http.post("/api/documents", files={"file": (path.name, f)})
            if response.status_code in (400, 413, 415, 422):
                total.failed.append(FailedFile(path=str(path), error=_detail(response)))
                continue
            report = IngestReport.model_validate(_checked(response))
            for field in ("added", "updated", "unchanged", "removed"):
                setattr(total, field, getattr(total, field) + getattr(report, field))
            total.failed.extend(report.failed)
            total.seconds += report.seconds
        if progress:
            progress("", len(files), len(files))
        health = self.health()
        total.documents, total.chunks = health["documents"], health["chunks"]
        total.pages = sum(d.pages or 0 for d in self.documents())
        return total

    # -- plumbing --------------------------------------------------------

    def _json(self, method: str, url: str, **kwargs) -> Any:
        return _checked(self._http.request(method, url, **kwargs))


def _ask_body(question, k, filters, history, stream: bool) -> dict:
    return {"question": question, "k": k, "filters": filters, "history": _plain(history), "stream": stream}


def _plain(history: list | None) -> list | None:
    """History turns as JSON: tuples become lists, `Answer`s their text."""
    if history is None:
        return None
    out = []
    for turn in history:
        if isinstance(turn, (list, tuple)):
            out.append([t.text if isinstance(t, Answer) else str(t) for t in turn])
        else:
            out.append(turn)
    return out


def _segment(doc_id: str) -> str:
    from urllib.parse import quote

    return quote(doc_id, safe="")


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(f"{'.'.join(str(x) for x in d.get('loc', []))}: {d.get('msg')}" for d in detail)
    return str(detail or response.text[:200] or response.reason_phrase)


def _raise_for(response: httpx.Response) -> None:
    detail = _detail(response)
    if response.status_code in (401, 403):
        raise PermissionError(detail)
    if response.status_code in (400, 413, 415, 422):
        raise ValueError(detail)
    raise ClientError(response.status_code, detail)


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        _raise_for(response)
    try:
        return response.json()
    except ValueError:
        raise ClientError(response.status_code, f"not JSON: {response.text[:200]!r}") from None


def _sse_events(lines: Iterable[str]) -> Iterator[tuple[str, dict]]:
    """(event, data) pairs from `text/event-stream` lines."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", list[str]()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield event, json.loads("\n".join(data))
