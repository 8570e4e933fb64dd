"""Real processes and services: kill -9 mid-ingest, and a real Chroma server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.index.packing import unpack_sentences

ROOT = Path(__file__).resolve().parent.parent


def _consistent(a: Assistant) -> dict[str, int]:
    """The index invariants: no orphan, missing or duplicate chunk; returns chunks per document."""
    docs = {d.doc_id: d for d in a.documents()}
    assert all(r["status"] == "complete" for r in a.store.registry())
    per_doc = Counter()
    seen = set()
    for chunk_id, text, meta in a.store.iter_chunks():
        assert meta["doc_id"] in docs, f"orphan chunk {chunk_id}"
        assert chunk_id not in seen
        seen.add(chunk_id)
        per_doc[meta["doc_id"]] += 1
        assert chunk_id == f"{meta['doc_id']}:{meta['index']:05d}"
        sentences = unpack_sentences(meta)  # every chunk carries its sentences, whole
        assert sentences and all(0 <= s < e <= len(text) for s, e, _ in sentences), chunk_id
    for doc_id, doc in docs.items():
        assert per_doc[doc_id] == doc.chunks, doc.source
    return {docs[d].source: n for d, n in per_doc.items()}


def _ingest_process(corpus: Path, index: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(corpus), "--index", str(index), "--no-progress"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_kill_9_during_ingest_then_clean_rerun(tmp_path, corpus_copy):
    corpus = corpus_copy(
        "iom_hoa_eu_joint_initiative_final_evaluation_2023.pdf",
        "iom_aap_evaluation_report_2024.pdf",
        "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt",
    )
    index = tmp_path / "index"

    # Kill at two different moments, both while the run is still working
    # (model load takes a few seconds, these files take over 20 s to embed);
    # the second run starts from the first one's leftovers.
    for delay in (8.0, 11.0):
        proc = _ingest_process(corpus, index)
        time.sleep(delay)
        assert proc.poll() is None, "the ingest finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    final = _ingest_process(corpus, index)
    _, err = final.communicate(timeout=600)
    assert final.returncode == 0, err.decode()[-2000:]

    resumed = Assistant(index_dir=index, corpus_dir=corpus)
    counts = _consistent(resumed)
    assert sorted(counts) == sorted(p.name for p in corpus.iterdir())

    clean = Assistant(index_dir=tmp_path / "clean", corpus_dir=corpus)
    clean.ingest([corpus])
    assert counts == _consistent(clean)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path):
    chroma = Path(sys.executable).parent / "chroma"
    port = _free_port()
    proc = subprocess.Popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "chroma")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert proc.poll() is None, "chroma server exited"
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start in 60 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def test_ingest_against_a_real_chroma_server(chroma_server, small_corpus, tmp_path):
    a = Assistant(index_dir=tmp_path / "unused", corpus_dir=small_corpus, chroma_url=chroma_server)
    report = a.ingest([small_corpus])
    assert report.ok and report.added == 3
    assert not (tmp_path / "unused").exists()  # nothing written locally
    counts = _consistent(a)

    # A second client (another machine, say) sees the same index and re-ingests nothing.
    b = Assistant(index_dir=tmp_path / "unused", corpus_dir=small_corpus, chroma_url=chroma_server)
    again = b.ingest([small_corpus])
    assert again.unchanged == 3 and b.embedder.texts_embedded == 0
    assert _consistent(b) == counts


def test_an_index_from_before_the_sync_threshold_is_brought_to_it(tmp_path):
    """Collections made with Chroma's default (persist every 1,000 writes) are switched over, data kept."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.config import Settings
    from assistant.index.store import SYNC_THRESHOLD, Store

    settings = Settings(index_dir=tmp_path / "index")
    old = chromadb.PersistentClient(path=str(settings.index_dir), settings=ChromaSettings(anonymized_telemetry=False))
    made = old.get_or_create_collection(f"{settings.collection}_chunks", embedding_function=None, metadata={"hnsw:space": "cosine"})
    made.add(ids=["a"], embeddings=[[1.0, 0.0, 0.0]], documents=["kept"])
    assert made.configuration["hnsw"]["sync_threshold"] != SYNC_THRESHOLD

    store = Store(settings, client=old)
    for collection in (store.chunks, store.docs, store.records):
        assert collection.configuration["hnsw"]["sync_threshold"] == SYNC_THRESHOLD
        assert collection.configuration["hnsw"]["space"] == "cosine"
    assert store.get_chunks(["a"]) == [("a", "kept", None)]
