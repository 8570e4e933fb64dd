"""Load test of the HTTP API: concurrent searches and asks, then searches during an upload.

    .venv/bin/python benchmarks/load.py                       # starts its own server on a temp index of corpus/
    .venv/bin/python benchmarks/load.py --index index         # ... on a temp copy of an existing index
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:7860 --api-key KEY
    .venv/bin/python benchmarks/load.py --clients 20 --searches 50 --asks 10 --json load.json

Phases: (1) N clients x M searches, (2) N clients x A asks, each client one
HTTP connection, questions from `dev_questions.jsonl` (each client starting
at a different one; with `--unique` also a search phase where every query
text is new, so none hits the query-vector cache; the other phases send
each distinct request once, untimed, before they start); throughput, client-side
p50/p95/p99 latency and errors per phase. (3) Mixed: clients keep searching
while one generated PDF is uploaded and ingested; every search must succeed
and return every passage it returned before the upload (or a passage of
the new document in its place): "lost" counts the ones that did not. The
uploaded document is deleted afterwards. A self-started server also reports
start-up to first answer (process start to the first `/api/ask` response).
The machine may be shared: the load average is printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from common import DEFAULT_CORPUS, DEFAULT_QUESTIONS, ROOT, load_questions


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def summarise(name: str, latencies: list[float], errors: list[str], seconds: float) -> dict:
    return {
        "phase": name,
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": round(seconds, 2),
        "throughput_rps": round((len(latencies) + len(errors)) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else float("nan"),
    }


def run_phase(name: str, url: str, headers: dict, clients: int, per_client: int, path: str, bodies: list[dict],
              unique: bool = False) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            for i in range(per_client):
                # Clients start at different questions, as real users would
                # (with one start they moved in lockstep, all asking the same).
                body = dict(bodies[(i + n * len(bodies) // clients) % len(bodies)])
                if unique:  # defeat the query-vector cache: every request embeds
                    key = "query" if "query" in body else "question"
                    body[key] = f"{body[key]} (client {n} request {i})"
                started = time.perf_counter()
                try:
                    r = http.post(path, json=body)
                    ok, detail = r.status_code == 200, f"{r.status_code} {r.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                took = (time.perf_counter() - started) * 1000
                with lock:
                    (latencies.append(took) if ok else errors.append(detail))

    if not unique:  # warm: each distinct request once, untimed, so the phase measures repeats
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            for body in bodies:
                http.post(path, json=body)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return summarise(name, latencies, errors, time.perf_counter() - started)


def mixed_phase(url: str, headers: dict, clients: int, queries: list[str], workdir: Path) -> dict:
    """Searches go on while an upload ingests; none may fail or lose a passage."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = workdir / f"load-{secrets.token_hex(4)}.pdf"
    c = canvas.Canvas(str(pdf), pagesize=A4)
    for page in range(6):  # a few pages, so the ingest takes a while
        y = 780
        for line in range(45):
            c.drawString(60, y, f"Page {page + 1}, line {line}: the Tonle Sap fisheries programme reached {line * 7} households.")
            y -= 16
        c.showPage()
    c.save()

    http = httpx.Client(base_url=url, headers=headers, timeout=300)
    baseline = {q: {p["chunk_id"] for p in http.post("/api/search", json={"query": q, "k": 5}).json()["results"]} for q in queries}
    latencies: list[float] = []
    errors: list[str] = []
    seen: list[tuple[str, set[str], int]] = []  # (query, chunk ids, how many from the new document)
    lock = threading.Lock()
    done = threading.Event()
    upload: dict = {}

    def uploader() -> None:
        started = time.perf_counter()
        with open(pdf, "rb") as f:
            r = http.post("/api/documents", files={"file": (pdf.name, f, "application/pdf")})
        upload.update(status=r.status_code, seconds=round(time.perf_counter() - started, 2), body=r.json())
        done.set()

    def searcher(n: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as h:
            i = n
            while not done.is_set():
                q = queries[i % len(queries)]
                i += 1
                started = time.perf_counter()
                try:
                    r = h.post("/api/search", json={"query": q, "k": 5})
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                took = (time.perf_counter() - started) * 1000
                if r.status_code != 200:
                    with lock:
                        errors.append(f"{r.status_code} {r.text[:120]}")
                    continue
                got = r.json()["results"]
                ids = {p["chunk_id"] for p in got}
                new = sum(1 for p in got if p["source"] == pdf.name)
                with lock:
                    latencies.append(took)
                    seen.append((q, ids, new))

    started = time.perf_counter()
    threads = [threading.Thread(target=searcher, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    uploader()
    for t in threads:
        t.join()
    result = summarise("search during upload", latencies, errors, time.perf_counter() - started)
    # Adding a document shifts BM25 statistics, so a near-tie may legitimately swap:
    # a passage is lost when it ranked before AND after the upload but was missing
    # from a result without a passage of the new document taking its place.
    after = {q: {p["chunk_id"] for p in http.post("/api/search", json={"query": q, "k": 5}).json()["results"]} for q in queries}
    lost = sum(max(0, len((baseline[q] & after[q]) - ids) - new) for q, ids, new in seen)
    short = sum(1 for q, ids, new in seen if len(ids) < len(baseline[q]))
    result.update(lost=lost, short_results=short, upload_status=upload["status"], upload_seconds=upload["seconds"])
    if upload["status"] == 200:
        doc = next((d for d in http.get("/api/documents").json() if d["source"] == pdf.name), None)
        if doc:
            http.delete(f"/api/documents/{doc['doc_id']}")
    else:
        result["upload_error"] = upload["body"]
    http.close()
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, index: Path | None, corpus: Path, key: str) -> tuple[subprocess.Popen, str, float, float]:
    """A server on a temp index (a copy of `index`, or `corpus` ingested); (process, url, ready s, first answer s)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), ASSISTANT_API_KEYS=key,
               ASSISTANT_INDEX_DIR=str(workdir / "index"), ASSISTANT_CORPUS_DIR=str(workdir / "corpus"))
    (workdir / "corpus").mkdir()
    if index is not None:
        shutil.copytree(index, workdir / "index")
    else:
        print(f"ingesting {corpus} into a temp index ...", flush=True)
        subprocess.run([sys.executable, "-m", "assistant", "ingest", str(corpus), "--no-progress"], env=env, check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(workdir / "server.log", "wb")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    ready = None
    while time.perf_counter() - started < 180:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(workdir / 'server.log').read_text()[-2000:]}")
        try:
            if ready is None and httpx.get(url + "/api/health", timeout=2).status_code == 200:
                ready = time.perf_counter() - started
            if ready is not None:
                r = httpx.post(url + "/api/ask", json={"question": "What were the main recommendations?"},
                               headers={"X-API-Key": key}, timeout=60)
                if r.status_code == 200:
                    return proc, url, ready, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not answer within 180 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--api-key", default=os.environ.get("ASSISTANT_API_KEY"), help="key for --url (uploads need one)")
    parser.add_argument("--index", type=Path, help="an existing index to copy for the self-started server")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="ingested when no --index is given")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--searches", type=int, default=50, help="per client")
    parser.add_argument("--asks", type=int, default=10, help="per client")
    parser.add_argument("--unique", action="store_true",
                        help="also a search phase where every query is new (no query-vector cache hits)")
    parser.add_argument("--no-mixed", action="store_true", help="skip the search-during-upload phase")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)", flush=True)
    questions = [q.question for q in load_questions(DEFAULT_QUESTIONS)]
    results: dict = {"clients": args.clients, "loadavg_start": os.getloadavg()}
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    proc = None
    try:
        if args.url:
            url, key = args.url.rstrip("/"), args.api_key
        else:
            key = secrets.token_urlsafe(24)
            proc, url, ready, first = start_server(workdir, args.index, args.corpus, key)
            results.update(startup_ready_s=round(ready, 2), startup_to_first_answer_s=round(first, 2))
            print(f"server ready in {ready:.1f} s, first answer {first:.1f} s after start", flush=True)
        headers = {"X-API-Key": key} if key else {}
        health = httpx.get(url + "/api/health", timeout=10).json()
        results["index"] = health
        print(f"{url}: {health['documents']} documents, {health['chunks']} chunks", flush=True)
        phases = [run_phase("search", url, headers, args.clients, args.searches, "/api/search",
                            [{"query": q, "k": 10} for q in questions])]
        print(_row(phases[-1]), flush=True)
        if args.unique:
            phases.append(run_phase("search (uncached)", url, headers, args.clients, args.searches, "/api/search",
                                    [{"query": q, "k": 10} for q in questions], unique=True))
            print(_row(phases[-1]), flush=True)
        if args.asks:
            phases.append(run_phase("ask", url, headers, args.clients, args.asks, "/api/ask",
                                    [{"question": q} for q in questions]))
            print(_row(phases[-1]), flush=True)
        if not args.no_mixed:
            if not key:
                print("mixed phase skipped: uploads need --api-key")
            else:
                phases.append(mixed_phase(url, headers, min(args.clients, 8), questions[:10], workdir))
                print(_row(phases[-1]) + f", lost {phases[-1]['lost']}, upload {phases[-1]['upload_status']} "
                      f"in {phases[-1]['upload_seconds']} s, short results {phases[-1]['short_results']}", flush=True)
        results["phases"] = phases
        results["loadavg_end"] = os.getloadavg()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    failed = any(p["errors"] or p.get("lost") or p.get("short_results") for p in results["phases"])
    return 1 if failed else 0


def _row(p: dict) -> str:
    return (f"{p['phase']:>22}: {p['requests']} requests, {p['errors']} errors, {p['throughput_rps']} req/s, "
            f"p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms, p99 {p['p99_ms']} ms")


if __name__ == "__main__":
    sys.exit(main())
