"""The HTTP API against a real server: `python -m assistant serve` in a subprocess.

The server gets its own index (never one this process has open) and an API
key; the session's documents are uploaded through the API itself with the
Python client, so upload, ingest and search are exercised end to end.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from badfiles import text_pdf
from hostile_files import docx_bomb

from assistant.clients.http import Client
from assistant.models import IngestReport, Passage

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
KEY = "test-key-" + hashlib.sha256(str(time.time()).encode()).hexdigest()[:16]
TXT = "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
PDF = "iom_aap_evaluation_brief_2024.pdf"
UPLOAD_MAX_MB = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    root: Path
    corpus: Path
    proc: subprocess.Popen
    seeded: IngestReport
    ready_s: float

    def http(self, key: str | None = KEY) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": key} if key else {}, timeout=120)


def start_server(root: Path, env_extra: dict[str, str], args: list[str] = ()) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    log = open(root / "server.log", "wb")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port), *args],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: {(root / 'server.log').read_text()[-3000:]}")
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return proc, url, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start in 120 s")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    corpus = root / "corpus"
    corpus.mkdir()
    env = {
        "ASSISTANT_INDEX_DIR": str(root / "index"),
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_API_KEYS": KEY,
        "ASSISTANT_UPLOAD_MAX_MB": str(UPLOAD_MAX_MB),
    }
    proc, url, ready = start_server(root, env)
    try:
        with Client(url, api_key=KEY) as client:
            seeded = client.ingest([CORPUS / TXT, CORPUS / PDF])
        yield Server(url, root, corpus, proc, seeded, ready)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def doc_count(server: Server) -> int:
    return httpx.get(server.url + "/api/health").json()["documents"]


# -- health, keys ---------------------------------------------------------


def test_server_starts_and_is_seeded_through_uploads(server):
    assert server.ready_s < 60, f"server took {server.ready_s:.1f} s to answer /api/health"
    assert server.seeded.added == 2 and not server.seeded.failed
    health = httpx.get(server.url + "/api/health").json()  # no key needed
    assert health["status"] == "ok" and health["documents"] == 2 and health["chunks"] > 10
    assert health["version"]
    stored = sorted(p.name for p in (server.corpus / "uploads").iterdir())
    assert stored == sorted([TXT, PDF])


def endpoints(doc_id: str) -> list[tuple[str, str, dict]]:
    return [
        ("POST", "/api/search", {"json": {"query": "gender"}}),
        ("POST", "/api/ask", {"json": {"question": "What was recommended?"}}),
        ("GET", "/api/documents", {}),
        ("GET", f"/api/documents/{doc_id}", {}),
        ("GET", f"/api/documents/{doc_id}/file", {}),
        ("GET", "/api/lessons", {}),
        ("POST", "/api/documents", {"files": {"file": ("x.txt", b"some text about gender")}}),
        ("DELETE", f"/api/documents/{doc_id}", {}),
    ]


def test_every_endpoint_but_health_needs_a_key(server):
    doc_id = server.http().get("/api/documents").json()[0]["doc_id"]
    for key in (None, "wrong-key-0123456789", KEY[:-1]):
        with server.http(key) as http:
            for method, path, kwargs in endpoints(doc_id):
                r = http.request(method, path, **kwargs)
                assert r.status_code == 401, (key, method, path, r.text)
                assert "API key" in r.json()["detail"] and KEY not in r.text
                assert r.headers["www-authenticate"] == "Bearer"
    assert doc_count(server) == 2  # nothing was uploaded or deleted


def test_a_key_opens_the_read_endpoints_either_header(server):
    doc_id = server.http().get("/api/documents").json()[0]["doc_id"]
    bearer = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    for http in (server.http(), bearer):
        for method, path, kwargs in endpoints(doc_id)[:5]:
            assert http.request(method, path, **kwargs).status_code == 200, (method, path)


def test_without_keys_configured_writes_are_refused(tmp_path):
    """403 with the remedy; reads stay open (in-process app over an empty index)."""
    from fastapi.testclient import TestClient

    from assistant import Assistant
    from assistant.serve.app import create_app

    app = create_app(Assistant(index_dir=tmp_path / "index", corpus_dir=tmp_path, api_keys=""), ui=False)
    with TestClient(app) as http:
        for method, path, kwargs in endpoints("abc")[6:]:
            r = http.request(method, path, headers={"X-API-Key": "anything-at-all-123"}, **kwargs)
            assert r.status_code == 403 and "ASSISTANT_API_KEYS" in r.json()["detail"], r.text
        assert http.post("/api/search", json={"query": "gender"}).json()["results"] == []
        assert http.get("/api/documents").json() == []
    assert not (tmp_path / "uploads").exists()


def test_serve_refuses_a_public_host_without_a_key(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), ASSISTANT_INDEX_DIR=str(tmp_path / "i"), ASSISTANT_API_KEYS="")
    env.pop("ASSISTANT_API_KEYS_FILE", None)
    done = subprocess.run([sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr and "--insecure" in done.stderr


# -- search and ask -------------------------------------------------------


def test_search_returns_passages_and_applies_filters(server):
    with server.http() as http:
        body = http.post("/api/search", json={"query": "human rights due diligence", "k": 3}).json()
        assert body["query"] == "human rights due diligence" and body["took_ms"] > 0
        results = [Passage.model_validate(p) for p in body["results"]]
        assert 1 <= len(results) <= 3 and results[0].source == TXT
        only_iom = http.post("/api/search", json={"query": "human rights due diligence", "filters": {"organisation": "IOM"}}).json()
        assert only_iom["results"] and {p["organisation"] for p in only_iom["results"]} == {"IOM"}


@pytest.mark.parametrize(
    "body, says",
    [
        ({"query": "   "}, "empty"),
        ({"query": "x" * 2001}, "2000"),
        ({"query": "gender", "k": 0}, "k"),
        ({"query": "gender", "k": 1000}, "k"),
        ({"query": "gender", "filters": {"colour": "red"}}, "unknown filter 'colour'"),
        ({"query": "gender", "filters": {"year": "last year"}}, "year"),
        ({"query": "gender", "filters": {"section_type": "poetry"}}, "poetry"),
        ({"query": "gender", "kk": 3}, "kk"),
        ({"quey": "gender"}, "query"),
    ],
)
def test_bad_input_is_a_422_that_says_what_is_wrong(server, body, says):
    r = server.http().post("/api/search", json=body)
    assert r.status_code == 422, r.text
    assert says in json.dumps(r.json()["detail"])
    assert "Traceback" not in r.text


def test_malformed_json_is_a_json_error(server):
    r = server.http().post("/api/search", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"


def test_ask_answers_with_citations(server):
    body = server.http().post("/api/ask", json={"question": "What is human rights due diligence in the value chains project?"}).json()
    assert body["found"] and "[1]" in body["answer"] and body["citations"] and body["took_ms"] > 0
    assert body["citations"][0]["source"] in (TXT, PDF)


def test_ask_streams_deltas_then_one_answer(server):
    events = []
    with server.http().stream("POST", "/api/ask", json={"question": "What did the AAP evaluation recommend?", "stream": True}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                events.append((event, json.loads(line[5:])))
    kinds = [e for e, _ in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1 and kinds.count("delta") >= 1
    answer = events[-1][1]
    assert "".join(d["text"] for e, d in events if e == "delta") == answer["answer"]
    assert answer["citations"] and answer["found"]


def test_ask_stream_refuses_bad_input_before_streaming(server):
    r = server.http().post("/api/ask", json={"question": "   ", "stream": True})
    assert r.status_code == 422 and r.json()["detail"] == "query is empty"


# -- documents -------------------------------------------------------------


def test_documents_by_id_prefix_or_file_name_and_404(server):
    with server.http() as http:
        docs = http.get("/api/documents").json()
        pdf = next(d for d in docs if d["source"] == PDF)
        for ref in (pdf["doc_id"], pdf["doc_id"][:8], PDF):
            got = http.get(f"/api/documents/{ref}")
            assert got.status_code == 200 and got.json()["doc_id"] == pdf["doc_id"]
            assert got.json()["sections"], "a document lists its sections"
        missing = http.get("/api/documents/no-such-document")
        assert missing.status_code == 404 and missing.json() == {"detail": "no indexed document 'no-such-document'"}
        assert http.get("/api/no/such/endpoint").status_code == 404


def test_original_file_is_served_inline(server):
    with server.http() as http:
        docs = {d["source"]: d for d in http.get("/api/documents").json()}
        r = http.get(f"/api/documents/{docs[PDF]['doc_id']}/file")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"].startswith("inline")
        assert r.content == (CORPUS / PDF).read_bytes()
        t = http.get(f"/api/documents/{docs[TXT]['doc_id']}/file")
        assert t.headers["content-type"].startswith("text/plain") and t.content == (CORPUS / TXT).read_bytes()
        # a request path never reaches the filesystem: only indexed documents are served
        assert http.get("/api/documents/..%2F..%2Fetc%2Fpasswd/file").status_code == 404


def test_upload_a_pdf_then_search_it_then_delete_it(server, tmp_path):
    pdf = text_pdf(tmp_path / "seaweed.pdf", [["# Findings", "", "The Zanzibar seaweed cooperative doubled its",
                                                 "members' incomes within two seasons of the project."]])
    with server.http() as http:
        r = http.post("/api/documents", files={"file": ("seaweed.pdf", pdf.read_bytes(), "application/pdf")})
        assert r.status_code == 200, r.text
        report = IngestReport.model_validate(r.json())
        assert report.added == 1 and report.documents == 3 and not report.failed
        hits = http.post("/api/search", json={"query": "Zanzibar seaweed cooperative incomes", "k": 3}).json()["results"]
        assert hits[0]["source"] == "seaweed.pdf" and hits[0]["page"] == 1
        assert (server.corpus / "uploads" / "seaweed.pdf").read_bytes() == pdf.read_bytes()

        again = http.post("/api/documents", files={"file": ("copy.pdf", pdf.read_bytes())})
        assert again.status_code == 200 and again.json()["unchanged"] == 1 and again.json()["documents"] == 3
        assert not (server.corpus / "uploads" / "copy.pdf").exists()

        gone = http.delete(f"/api/documents/{hits[0]['doc_id']}")
        assert gone.status_code == 200 and gone.json() == {"removed": hits[0]["doc_id"]}
        after = http.post("/api/search", json={"query": "Zanzibar seaweed cooperative incomes", "k": 3}).json()["results"]
        assert all(p["source"] != "seaweed.pdf" for p in after)
        assert http.delete(f"/api/documents/{hits[0]['doc_id']}").status_code == 404
    assert doc_count(server) == 2


@pytest.mark.parametrize(
    "name, data, status, says",
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntruncated garbage", 422, "broken.pdf"),
        ("report.pdf", b"<!DOCTYPE html><html><body>404 Not Found</body></html>", 415, "content is HTML"),
        ("notes.txt", (CORPUS / PDF).read_bytes(), 415, "content is a PDF"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 415, "unsupported file type .png"),
        ("empty.txt", b"", 422, "empty"),
        ("..", b"text", 422, "not a usable file name"),
        ("large.txt", b"a" * (UPLOAD_MAX_MB * 2**20 + 10), 413, "too large"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason_and_leave_no_trace(server, name, data, status, says):
    before = sorted(p.name for p in (server.corpus / "uploads").iterdir())
    r = server.http().post("/api/documents", files={"file": (name, data)})
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]
    assert sorted(p.name for p in (server.corpus / "uploads").iterdir()) == before
    assert doc_count(server) == 2


def test_upload_larger_than_the_body_limit_is_cut_off(server):
    r = server.http().post("/api/documents", files={"file": ("huge.txt", b"b" * (UPLOAD_MAX_MB + 1) * 2**20)})
    assert r.status_code == 413


def test_path_traversal_names_stay_in_the_uploads_folder_and_never_overwrite(server):
    texts = [b"The Lake Chad fisheries evaluation found fish stocks recovering in 2023.",
             b"The Lake Chad fisheries evaluation found cold storage lacking at landing sites."]
    ids = []
    with server.http() as http:
        for text in texts:
            r = http.post("/api/documents", files={"file": ("../../../../escape.txt", text)})
            assert r.status_code == 200 and r.json()["added"] == 1, r.text
        for p in (server.corpus / "uploads").iterdir():
            if p.name.startswith("escape"):
                ids.append(p.name)
        assert sorted(ids) == ["escape-2.txt", "escape.txt"]
        assert (server.corpus / "uploads" / "escape.txt").read_bytes() == texts[0]
        assert not (server.root / "escape.txt").exists() and not (server.root.parent / "escape.txt").exists()
        for name in ids:
            assert http.delete(f"/api/documents/{name}").status_code == 200
    assert doc_count(server) == 2
    assert not [name for name in _uploads(server) if name.startswith("escape")]  # a deleted upload's file goes too


def test_searches_keep_working_while_an_upload_ingests(server, tmp_path):
    lines = [f"Line {i}: the Mekong delta resilience programme trained {i} farmers in saline-tolerant rice."
             for i in range(40)]
    pdf = text_pdf(tmp_path / "mekong.pdf", [["# Findings", ""] + lines[j:j + 20] for j in range(0, 40, 20)])
    errors, counts = [], []
    done = threading.Event()

    def searcher():
        with server.http() as http:
            while not done.is_set():
                r = http.post("/api/search", json={"query": "human rights due diligence", "k": 5})
                if r.status_code != 200:
                    errors.append(r.text)
                else:
                    counts.append(len(r.json()["results"]))

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        r = server.http().post("/api/documents", files={"file": ("mekong.pdf", pdf.read_bytes())})
    finally:
        done.set()
        for t in threads:
            t.join(60)
    assert r.status_code == 200, r.text
    assert not errors and counts and all(n == 5 for n in counts)
    with server.http() as http:
        assert http.delete("/api/documents/mekong.pdf").status_code == 200


def _long_pdf(path: Path, pages: int = 60) -> Path:
    """A legitimate report of many pages: some seconds of parsing and embedding."""
    words = "the resilience programme trained farmers in saline-tolerant rice and water management".split()
    body = [[f"# Chapter {p}", ""] + [f"Line {i} of page {p}: " + " ".join(words[(i + p) % 5:]) + " in the delta."
                                      for i in range(40)] for p in range(pages)]
    return text_pdf(path, body)


def _uploads(server: Server) -> list[str]:
    return sorted(p.name for p in (server.corpus / "uploads").iterdir())


def test_a_docx_bomb_upload_is_refused_within_its_budget_and_leaves_nothing(server, tmp_path):
    """1.2 MB that inflate to 315 MB of XML: refused at once, from the ZIP directory, naming the limit."""
    bomb = docx_bomb(tmp_path / "minutes.docx", inflated_mb=315)
    before = _uploads(server)
    started = time.monotonic()
    r = server.http().post("/api/documents", files={"file": ("minutes.docx", bomb.read_bytes())})
    assert r.status_code == 422, r.text
    assert "expands to" in r.json()["detail"] and "ASSISTANT_MAX_INFLATED_MB" in r.json()["detail"]
    assert time.monotonic() - started < 30
    assert _uploads(server) == before and doc_count(server) == 2


def test_health_answers_within_a_second_while_an_upload_is_processed(server, tmp_path):
    pdf = _long_pdf(tmp_path / "delta.pdf")
    latencies: list[float] = []
    done = threading.Event()

    def poll():
        with httpx.Client(base_url=server.url, timeout=10) as http:
            while not done.is_set():
                started = time.perf_counter()
                assert http.get("/api/health").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.1)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        started = time.perf_counter()
        r = server.http().post("/api/documents", files={"file": ("delta.pdf", pdf.read_bytes())})
        took = time.perf_counter() - started
    finally:
        done.set()
        poller.join(30)
    assert r.status_code == 200 and r.json()["added"] == 1, r.text
    assert took > 1 and len(latencies) >= 5 and max(latencies) < 1.0, (took, max(latencies, default=None))
    with server.http() as http:
        assert http.delete("/api/documents/delta.pdf").status_code == 200


def test_a_client_that_disconnects_cancels_its_upload(server, tmp_path):
    """The upload is sent whole, then the connection dropped: the work stops, no file and no document stay."""
    pdf = _long_pdf(tmp_path / "gone.pdf", pages=40)
    request = httpx.Request("POST", server.url + "/api/documents", headers={"X-API-Key": KEY},
                            files={"file": ("gone.pdf", pdf.read_bytes())})
    body = request.read()
    head = (f"POST /api/documents HTTP/1.1\r\nHost: {request.url.netloc.decode()}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in request.headers.items() if k.lower() != "host") + "\r\n")
    before = _uploads(server)
    log = server.root / "server.log"
    seen = len(log.read_text().split("its work was cancelled"))
    with socket.create_connection((request.url.host, request.url.port)) as sock:
        sock.sendall(head.encode() + body)
        time.sleep(1.0)  # the server has the whole upload and is at work on it
    deadline = time.monotonic() + 60
    while len(log.read_text().split("its work was cancelled")) == seen and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(log.read_text().split("its work was cancelled")) > seen, log.read_text()[-2000:]
    assert doc_count(server) == 2
    assert _uploads(server) == before


# -- spec -------------------------------------------------------------------


def test_openapi_documents_the_shared_models(server):
    spec = httpx.get(server.url + "/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for name in ("Passage", "Document", "IngestReport", "Record", "SearchResponse", "AskResponse", "Health"):
        assert name in spec["components"]["schemas"], name
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    assert set(spec["paths"]) >= {"/api/health", "/api/search", "/api/ask", "/api/documents",
                                  "/api/documents/{doc_id}", "/api/documents/{doc_id}/file", "/api/lessons"}
    docs = httpx.get(server.url + "/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text
    assert "cdn." not in docs.text and "tiangolo.com" not in docs.text  # no asset from outside
    assert httpx.get(server.url + "/api/docs-assets/swagger-ui-bundle.js").status_code == 200
    with httpx.Client(base_url=server.url, timeout=60) as browser:  # with keys, the web app is behind sign-in
        assert browser.get("/", headers={"Accept": "text/html"}).headers["location"].startswith("/signin")
        signed = browser.post("/signin", data={"key": KEY, "next": "/"})
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        ui = browser.get("/")
        assert ui.status_code == 200 and "<html" in ui.text.lower()  # the Gradio app, mounted beside the API


@pytest.mark.skipif(shutil.which("schemathesis", path=str(Path(sys.executable).parent)) is None, reason="schemathesis not installed")
def test_schemathesis_finds_no_server_errors(server, tmp_path):
    """Fuzz every read endpoint from the spec (writes excluded: they would change the shared index)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run", server.url + "/api/openapi.json",
         "--checks", "not_a_server_error", "--max-examples", "25", "--phases", "examples,coverage,fuzzing",
         "--exclude-method", "DELETE", "--exclude-operation-id", "upload_api_documents_post",
         "--header", f"X-API-Key: {KEY}", "--seed", "1", "--no-color",
         "--generation-database", "none", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=400, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert doc_count(server) == 2


# -- the Python client and the langchain retriever, against the live server --


def test_client_has_the_assistants_methods_and_types(server):
    from assistant.models import Answer, Document

    with Client(server.url, api_key=KEY) as client:
        passages = client.search("human rights due diligence", k=4, filters={"organisation": "ILO"})
        assert 1 <= len(passages) <= 4 and all(isinstance(p, Passage) and p.organisation == "ILO" for p in passages)
        answer = client.ask("What did the AAP evaluation recommend?", history=[("What is AAP?", "Accountability.")])
        assert isinstance(answer, Answer) and answer.found and answer.citations and answer.question
        events = list(client.ask_stream("What did the AAP evaluation recommend?"))
        assert events[-1]["event"] == "answer" and isinstance(events[-1]["answer"], Answer)
        assert "".join(e["text"] for e in events[:-1]) == events[-1]["answer"].text
        docs = client.documents()
        assert {d.source for d in docs} == {TXT, PDF} and all(isinstance(d, Document) for d in docs)
        assert client.document(PDF).doc_id == next(d.doc_id for d in docs if d.source == PDF)
        assert client.document("no-such-doc") is None
        assert client.remove("no-such-doc") is False
        with pytest.raises(ValueError, match="unknown filter 'colour'"):
            client.search("gender", filters={"colour": "red"})
    with Client(server.url, api_key="not-the-key-000000") as stranger:
        with pytest.raises(PermissionError, match="API key"):
            stranger.search("gender")


def test_client_ingest_reports_refused_files_like_a_local_ingest(server, tmp_path):
    (tmp_path / "fake.pdf").write_bytes(b"<html><body>not a pdf</body></html>")
    (tmp_path / "notes.csv").write_text("a,b\n")
    with Client(server.url, api_key=KEY) as client:
        report = client.ingest([tmp_path])
    assert report.added == 0 and report.documents == 2
    assert [f.error for f in report.failed] == ["fake.pdf: the extension says pdf but the content is HTML"]


def test_langchain_retriever_in_a_chain_with_a_fake_chat_model(server):
    from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough

    from assistant.clients.langchain import EvalRetriever, format_passages

    with Client(server.url, api_key=KEY) as client:
        retriever = EvalRetriever(source=client, k=3, filters={"organisation": "IOM"})
        docs = retriever.invoke("What did the AAP evaluation recommend?")
        assert 1 <= len(docs) <= 3
        for d in docs:
            assert d.metadata["source"] == PDF and d.metadata["organisation"] == "IOM"
            assert d.metadata["page"] >= 1 and f"p. {d.metadata['page']}" in d.metadata["citation"]
            assert d.metadata["url"] == f"{server.url}/api/documents/{d.metadata['doc_id']}/file#page={d.metadata['page']}"
        assert len(retriever.invoke("recommendations", k=1)) == 1  # per-call override
        ilo = retriever.invoke("due diligence", filters={"organisation": "ILO"})
        assert ilo and {d.metadata["source"] for d in ilo} == {TXT}

        prompt = ChatPromptTemplate.from_messages([
            ("system", "Answer from the numbered passages and cite them like [1]."),
            ("human", "Passages:\n{context}\n\nQuestion: {question}"),
        ])
        chain = {"context": retriever | format_passages, "question": RunnablePassthrough()} | prompt | ParrotFakeChatModel() | StrOutputParser()
        echoed = chain.invoke("What did the AAP evaluation recommend?")  # the parrot echoes the prompt it was given
        assert echoed.startswith("Passages:\n[1] ") and docs[0].page_content in echoed
        assert echoed.rstrip().endswith("Question: What did the AAP evaluation recommend?")


def test_lessons_endpoint_and_client(server):
    with server.http() as http:
        r = http.get("/api/lessons", params={"type": "recommendation", "organisation": "IOM", "k": 5})
        assert r.status_code == 200, r.text
        records = r.json()
        assert 1 <= len(records) <= 5
        assert all(x["type"] == "recommendation" and x["organisation"] == "IOM" and x["source"] == PDF for x in records)
        assert http.get("/api/lessons", params={"type": "poem"}).status_code == 422
        bad = http.get("/api/lessons", params={"year": "soon"})
        assert bad.status_code == 422 and "year" in bad.json()["detail"]
    with Client(server.url, api_key=KEY) as client:
        found = client.lessons("complaints and feedback", type="recommendation", filters={"organisation": "IOM"}, k=3)
        assert found and found[0].score > 0
        assert all(f.type == "recommendation" and f.organisation == "IOM" for f in found)


def test_signed_file_links_open_one_file_without_a_key(server):
    """What a citation in the web app links to: a browser sends no key."""
    from assistant.config import Settings
    from assistant.security import file_link

    settings = Settings(api_keys=KEY)
    docs = {d["source"]: d["doc_id"] for d in server.http().get("/api/documents").json()}
    link = file_link(settings, docs[PDF], page=2)
    assert link.endswith("#page=2") and "sig=" in link
    r = httpx.get(server.url + link.split("#")[0])
    assert r.status_code == 200 and r.content == (CORPUS / PDF).read_bytes()

    path, query = link.split("#")[0].split("?")
    other = path.replace(docs[PDF], docs[TXT])
    assert httpx.get(f"{server.url}{other}?{query}").status_code == 401  # signed for another document
    tampered = query[:-1] + ("0" if query[-1] != "0" else "1")
    assert httpx.get(f"{server.url}{path}?{tampered}").status_code == 401
    expired = file_link(settings, docs[PDF], ttl=-5).split("#")[0]
    assert httpx.get(server.url + expired).status_code == 401
    assert httpx.get(server.url + file_link(Settings(api_keys="another-key-0123456789"), docs[PDF])).status_code == 401


def test_feedback_on_an_answer_is_stored_and_exported(server):
    with server.http() as http:
        asked = http.post("/api/ask", json={"question": "What is human rights due diligence in the value chains project?"}).json()
        question = "What is human rights due diligence in the value chains project?"
        r = http.post("/api/feedback", json={"question": question, "answer": asked, "rating": "down", "comment": "too long"})
        assert r.status_code == 200, r.text
        vote = r.json()["id"]
        log = http.get("/api/feedback").json()
        entry = next(e for e in log if e["id"] == vote)
        assert entry["rating"] == "down" and entry["answer"] == asked["answer"] and entry["comment"] == "too long"
        assert [c["doc_id"] for c in entry["citations"]] == [c["doc_id"] for c in asked["citations"]]
        bad = http.post("/api/feedback", json={"question": question, "answer": asked, "rating": "meh"})
        assert bad.status_code == 422
    assert httpx.post(server.url + "/api/feedback", json={"question": "q", "answer": {}, "rating": "up"}).status_code == 401
