"""Search and ask latency as the index grows to 100k chunks (synthetic scale-up).

    python benchmarks/scale.py [--sizes 10000,50000,100000] [--questions FILE] [--json out.json]

Embedding 100k real chunks would take about 40 minutes on 2 cores, and what
is measured here is search, not ingest: so the sample corpus is ingested once
for real, then its documents are cloned straight into the store until the
index holds each size. A clone keeps the layout of the real thing (same
metadata, text with its numbers changed and a clone marker word, chunk and
sentence vectors with a little noise, so the HNSW graph and BM25 see distinct
rows). Each row then times every dev question through `search` and `ask`
warm, as a user would see them, with the lexical index rebuild after the
growth timed apart.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DEFAULT_CORPUS, DEFAULT_QUESTIONS, load_questions, machine_load, percentile, table


def clone_corpus(a, copy: int, rng: np.random.Generator) -> int:
    """Write one distinct copy of every real document; returns chunks written."""
    from assistant.index.store import unpack_sentences
    from assistant.models import Chunk

    written = 0
    for doc in [d for d in a.documents() if "-clone-" not in d.doc_id]:
        rows = a.store.chunks.get(where={"doc_id": doc.doc_id}, include=["documents", "metadatas", "embeddings"])
        clone_id = f"{doc.doc_id[:16]}-clone-{copy:05d}"
        clone = doc.model_copy(update={"doc_id": clone_id, "source": f"clone{copy}_{doc.source}"})
        chunks, vectors, spans, svecs = [], [], [], []
        for text, meta, vec in zip(rows["documents"], rows["metadatas"], rows["embeddings"]):
            new_text = _vary(text, copy)
            shift = len(new_text) - len(text)  # the marker word is prepended
            sents = unpack_sentences(meta)
            chunks.append(
                Chunk(
                    chunk_id=f"{clone_id}:{meta['index']:05d}",
                    doc_id=clone_id,
                    index=meta["index"],
                    text=new_text,
                    section=meta.get("section", ""),
                    section_type=meta.get("section_type", "other"),
                    criteria=meta.get("criteria", []),
                    page=meta.get("page"),
                    page_end=meta.get("page_end"),
                )
            )
            vectors.append(_jitter(np.asarray(vec, dtype=np.float32), rng))
            spans.append([(s + shift, e + shift) for s, e, _ in sents])
            svecs.append(np.stack([_jitter(v, rng) for _, _, v in sents]) if sents else np.zeros((0, len(vec))))
        doc_vector = _jitter(np.asarray(vectors[0]), rng)
        a.store.begin(clone, doc_vector)
        a.store.add_chunks(clone, chunks, np.stack(vectors), spans, svecs)
        a.store.commit(clone, doc_vector)
        written += len(chunks)
    return written


def _vary(text: str, copy: int) -> str:
    """Distinct text of the same shape: numbers shifted, a marker word in front."""
    shifted = re.sub(r"\d+", lambda m: str(int(m.group()) + copy), text)
    return f"clone{copy} {shifted}"


def _jitter(vec: np.ndarray, rng: np.random.Generator, sigma: float = 0.02) -> np.ndarray:
    v = vec + rng.normal(0, sigma, vec.shape).astype(np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


def time_queries(a, questions) -> dict:
    """Every question's search, then its ask (which reuses the query vector, as it would live)."""
    search_ms, ask_ms = [], []
    a.search("warm-up question on evaluation findings")
    a.embedder._queries.clear()  # each row embeds every question afresh, as the first row did
    for q in questions:
        started = time.perf_counter()
        a.search(q.question, k=10)
        search_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        a.ask(q.question)
        ask_ms.append((time.perf_counter() - started) * 1000)
    return {
        "search_p50": percentile(search_ms, 50),
        "search_p95": percentile(search_ms, 95),
        "ask_p50": percentile(ask_ms, 50),
        "ask_p95": percentile(ask_ms, 95),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--sizes", default="10000,50000,100000", help="chunk counts to grow to, comma-separated")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    from assistant import Assistant

    print(machine_load())
    questions = load_questions(args.questions)
    rng = np.random.default_rng(0)
    random.seed(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as index:
        a = Assistant(index_dir=index, corpus_dir=args.corpus)
        a.ingest([args.corpus])
        chunks, copy = a.store.count(), 0
        targets = [chunks] + [s for s in sizes if s > chunks]
        for target in targets:
            grow_started = time.perf_counter()
            while chunks < target:
                copy += 1
                chunks += clone_corpus(a, copy, rng)
            grow_seconds = time.perf_counter() - grow_started
            started = time.perf_counter()
            a.lexical.invalidate()
            a.lexical.rows([])  # rebuilds the BM25 index and the in-memory chunk copy
            rebuild_seconds = time.perf_counter() - started
            row = {"chunks": chunks, "write_s": grow_seconds, "lexical_rebuild_s": rebuild_seconds}
            row.update(time_queries(a, questions))
            row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows.append(row)
            print(f"  {chunks} chunks: search p50 {row['search_p50']:.0f} ms", file=sys.stderr, flush=True)

    header = ["chunks", "search p50 ms", "search p95 ms", "ask p50 ms", "ask p95 ms", "BM25 rebuild s", "peak MB"]
    print(
        table(
            header,
            [
                [
                    r["chunks"],
                    f"{r['search_p50']:.0f}",
                    f"{r['search_p95']:.0f}",
                    f"{r['ask_p50']:.0f}",
                    f"{r['ask_p95']:.0f}",
                    f"{r['lexical_rebuild_s']:.1f}",
                    f"{r['peak_rss_mb']:.0f}",
                ]
                for r in rows
            ],
        )
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
