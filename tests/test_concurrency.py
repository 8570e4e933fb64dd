"""Concurrent searches: query vectors are batched across threads, rankings queue in order,
and near-duplicate collapsing still finds what the plain pairwise test finds."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embed.embedder import Embedder
from assistant.search.candidates import Candidate
from assistant.search.dedupe import _shingles, collapse_duplicates, overlaps
from assistant.search.gate import FairGate

QUERIES = [f"What did the evaluation find about topic number {i}?" for i in range(12)]


@pytest.fixture(scope="module")
def embedder():
    return Embedder(Settings.from_env().model_name)


def test_concurrent_queries_share_batches_and_get_their_own_vectors(embedder):
    alone = {q: embedder.embed([q])[0] for q in QUERIES}
    batches: list[int] = []
    plain = embedder.embed

    def slow_embed(texts):  # slow enough that the other threads queue up behind the first batch
        batches.append(len(texts))
        time.sleep(0.05)
        return plain(texts)

    embedder.embed = slow_embed
    try:
        start = threading.Barrier(len(QUERIES))

        def ask(q):
            start.wait()
            return q, embedder.embed_query(q)

        with ThreadPoolExecutor(len(QUERIES)) as pool:
            got = dict(pool.map(ask, QUERIES))
    finally:
        del embedder.embed
    assert sum(batches) == len(QUERIES)  # each query embedded once
    assert len(batches) < len(QUERIES)  # ... and some of them together
    for q in QUERIES:
        assert np.abs(got[q] - alone[q]).max() < 1e-4, q
    calls = len(batches)
    embedder.embed = slow_embed
    try:
        embedder.embed_queries(QUERIES[:3])  # cached now: no model call
    finally:
        del embedder.embed
    assert len(batches) == calls


def test_an_embedding_error_reaches_every_waiter_and_the_next_call_works(embedder):
    def broken(texts):
        time.sleep(0.05)
        raise RuntimeError("model exploded")

    embedder.embed = broken
    try:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(embedder.embed_query, f"never embedded {i}") for i in range(4)]
        for f in futures:
            with pytest.raises(RuntimeError, match="model exploded"):
                f.result()
    finally:
        del embedder.embed
    assert embedder.embed_query("never embedded 0").shape == (embedder.dimension,)


def test_the_gate_lets_waiters_in_in_arrival_order():
    gate, order, entered = FairGate(1), [], threading.Event()

    def holder():
        with gate:
            entered.set()
            time.sleep(0.2)

    def waiter(i):
        with gate:
            order.append(i)

    first = threading.Thread(target=holder)
    first.start()
    entered.wait()
    threads = []
    for i in range(6):
        t = threading.Thread(target=waiter, args=(i,))
        t.start()
        threads.append(t)
        time.sleep(0.02)  # arrive one after another
    for t in [first, *threads]:
        t.join()
    assert order == list(range(6))


def _cand(i, text, source):
    return Candidate(f"c{i}", text, {"doc_id": source, "source": source, "page": i})


PARA = ("The programme strengthened the capacity of labour inspectors to detect forced labour in the "
        "fishing sector and trained 240 inspectors in three provinces over two years. ")


def test_near_duplicates_collapse_into_the_best_one_naming_the_others():
    cands = [
        _cand(1, PARA * 3, "report.pdf"),
        _cand(2, "An unrelated passage on budget execution and procurement delays in the second phase. " * 3, "report.pdf"),
        _cand(3, PARA * 2 + "Brief: see the full report.", "brief.pdf"),  # the same text in the brief
    ]
    kept = collapse_duplicates(cands, keep=10)
    assert [c.chunk_id for c in kept] == ["c1", "c2"]
    assert [d["source"] for d in kept[0].duplicates] == ["brief.pdf"]


def test_overlap_matrix_equals_the_pairwise_set_test():
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(60)]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(5, 80)))) for _ in range(15)]
    texts.append(texts[3] + " tail words here")
    m = overlaps(texts)
    for i, a in enumerate(texts):
        for j, b in enumerate(texts):
            sa, sb = set(_shingles(a).tolist()), set(_shingles(b).tolist())
            assert m[i, j] == pytest.approx(len(sa & sb) / max(1, min(len(sa), len(sb))))
    assert m[3, 15] >= 0.6


def test_exact_in_memory_dense_search_agrees_with_chromas(indexed):
    """The sample corpus is small enough to scan: the scan and Chroma's HNSW find the same chunks."""
    from assistant.index.filters import Filters

    a, _ = indexed
    for query, filters in [("forced labour in the fishing sector", None), ("gender equality", {"organisation": "ILO"})]:
        parsed = Filters.parse(filters)
        vector = a.embedder.embed_query(query)
        scanned = a.snapshot.nearest(vector, 20, parsed)
        assert scanned is not None and len(scanned) == 20
        chroma = a.store.query_ids(vector, 20, parsed.where())
        # HNSW is approximate, the scan exact: never a worse score at any rank, mostly the same chunks
        for (_, exact), (_, approx) in zip(scanned, chroma):
            assert exact >= approx - 1e-4
        assert len({c for c, _ in scanned[:10]} & {c for c, _ in chroma[:10]}) >= 8
        found = dict(scanned)
        for chunk_id, approx in chroma[:10]:
            if chunk_id in found:
                assert abs(found[chunk_id] - approx) < 1e-4
        if filters:
            rows = a.snapshot.rows([c for c, _ in scanned])
            assert all(meta["organisation"] == "ILO" for _, meta in rows.values())


def test_search_falls_back_to_chroma_when_the_copy_is_too_big_to_scan(indexed, monkeypatch):
    import assistant.index.snapshot as snapshot_module
    from assistant.search.retriever import Retriever

    a, _ = indexed
    query = "What did the evaluation recommend on social dialogue?"
    scanned = [p.chunk_id for p in a.search(query, k=5)]
    monkeypatch.setattr(snapshot_module, "EXACT_DENSE_MAX", 10)
    big = snapshot_module.Snapshot(a.store)  # built past the limit: float16 copy, no scan
    assert big.nearest(a.embedder.embed_query(query), 5) is None
    assert [p.chunk_id for p in Retriever(a.store, a.embedder, big).search(query, k=5)] == scanned


def test_a_non_blocking_search_refuses_slow_work_and_agrees_when_warm(indexed):
    """`block=False` (what the server runs on its event loop) never runs the model or a rebuild."""
    from assistant import WouldBlock

    a, _ = indexed
    query = "Which unit coordinates accountability to affected populations in IOM? (non-blocking test)"
    with pytest.raises(WouldBlock):
        a.search(query, block=False)  # never embedded
    blocking = [p.chunk_id for p in a.search(query)]
    assert [p.chunk_id for p in a.search(query, block=False)] == blocking  # warm now
    a.snapshot._key = frozenset()  # as if another process had changed the documents
    a.snapshot.invalidate()
    try:
        with pytest.raises(WouldBlock):
            a.search(query, block=False)
    finally:
        assert [p.chunk_id for p in a.search(query)] == blocking  # the blocking call rebuilds
