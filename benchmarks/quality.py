"""Retrieval quality: our retriever against a naive LangChain baseline, same corpus, same run.

    python benchmarks/quality.py [--set sample|v2|short|all] [--shared DIR]
                                 [--corpus DIR [DIR ...] --questions FILE]
                                 [--chunk-size N --chunk-overlap N] [--json out.json]
                                 [--skip-baseline | --skip-ours] [--verbose]

Sets (common.question_set): `sample` (default) is corpus/ with
benchmarks/dev_questions.jsonl; `v2` is corpus_v2/ with questions_v2.jsonl
from the shared folder (--shared, else $EVAL_BENCH_SHARED, else
../shared/bench); `short` ingests corpus/ and corpus_v2/ into one index and
asks benchmarks/short_questions.jsonl; `all` runs the three in turn, each on
its own fresh indexes. --corpus/--questions run any folder(s) and question file.

The baseline is what a tutorial would build (PyPDFLoader/TextLoader, 1000/200
recursive splitter, Chroma, top 10) with the same MiniLM, so the difference
measures our parsing, chunking and ranking rather than the embedding model.
Both indexes live in temporary folders; nothing under index/ is touched.

Every metric is printed overall and per half (benchmarks/halves.json): a
question counts in the half of its gold document; an unanswerable one in the
half or halves halves.json lists for it. `answer first` is ours only: the
answer's first cited sentence (its text up to the first [n]) holds the gold
span and that citation is from the gold file.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import (
    HALVES,
    SET_NAMES,
    Halves,
    Question,
    QuestionSet,
    contains_span,
    load_questions,
    machine_load,
    model_path,
    percentile,
    question_set,
    revision,
    table,
)
from langchain_core.embeddings import Embeddings

K = 10
HIT_KS = (1, 3, 5, 10)
KINDS = ("fact", "finding", "lesson", "recommendation", "conclusion", "french")  # printed first, then any other kind
_FIRST_MARK = re.compile(r"\[(\d+)\]")


@dataclass
class Result:
    """One retrieved passage, reduced to what scoring needs (either system's shape fits)."""

    source: str  # file name
    page: int | None  # 1-based; None for page-less text
    page_end: int | None
    text: str

    def on_gold_page(self, q: Question) -> bool:
        if not q.pages or self.source != q.doc or self.page is None:
            return False
        last = self.page_end or self.page
        return any(self.page <= g <= last for g in q.pages)

    def cites_gold_page(self, q: Question) -> bool:
        """Strict: the page a citation shows (where the passage starts) is a gold page."""
        return bool(q.pages) and self.source == q.doc and self.page in (q.pages or [])


@dataclass
class Reply:
    """What scoring needs of an answer: found or not, its text, the file of each citation [1], [2], ..."""

    found: bool
    text: str
    cited: list[str]

    def first(self) -> tuple[str, str | None]:
        """The answer up to its first citation mark, and the file that mark cites."""
        m = _FIRST_MARK.search(self.text)
        if not m:
            return self.text, None
        n = int(m.group(1))
        return self.text[: m.start()], self.cited[n - 1] if 0 < n <= len(self.cited) else None


@dataclass
class System:
    """A built index: how to search it, optionally how to answer with it, and what building cost."""

    name: str
    search: Callable[[str], list[Result]]
    ask: Callable[[str], Reply] | None
    ingest_seconds: float
    chunks: dict[str, list[str]]  # file name -> the text of every chunk indexed from it
    never_abstains: bool = False  # a plain vector search always returns something


# -- the two systems ---------------------------------------------------------


def build_ours(corpora: list[Path], workdir: Path, chunk_size: int | None, chunk_overlap: int | None) -> System:
    from assistant import Assistant

    if not hasattr(Assistant, "search"):
        raise SystemExit("Assistant.search does not exist yet: run with --skip-ours")
    a = Assistant(index_dir=workdir / "ours", corpus_dir=corpora[0], chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    _ = a.embedder.model  # load outside the timing, as the baseline's model is
    started = time.perf_counter()
    report = a.ingest(list(corpora))
    seconds = time.perf_counter() - started
    for failed in report.failed:
        print(f"warning: ours could not ingest {failed.path}: {failed.error}")

    def search(query: str) -> list[Result]:
        return [Result(p.source, p.page, p.page_end, p.text) for p in a.search(query, k=K)]

    def ask(query: str) -> Reply:
        answer = a.ask(query)
        return Reply(answer.found, answer.text, [p.source for p in answer.citations])

    chunks = defaultdict(list)
    for _, text, meta in a.store.iter_chunks():
        chunks[meta["source"]].append(text)
    return System("ours", search, ask if hasattr(a, "ask") else None, seconds, chunks)


class MiniLMEmbeddings(Embeddings):
    """The LangChain `Embeddings` interface over our MiniLM (langchain-huggingface is not installed)."""

    def __init__(self):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_path(), device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def build_baseline(corpora: list[Path], workdir: Path) -> System:
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    with warnings.catch_warnings():  # langchain-community announces its own sunset on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.document_loaders import PyPDFLoader, TextLoader

    embeddings = MiniLMEmbeddings()
    started = time.perf_counter()
    pages = []
    for path in sorted(p for corpus in corpora for p in corpus.rglob("*")):
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            pages += PyPDFLoader(str(path)).load()
        elif suffix in (".txt", ".md"):
            pages += TextLoader(str(path), encoding="utf-8").load()
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(pages)
    db = Chroma.from_documents(chunks, embeddings, collection_name="baseline", persist_directory=str(workdir / "baseline"))
    seconds = time.perf_counter() - started

    def search(query: str) -> list[Result]:
        out = []
        for doc in db.similarity_search(query, k=K):
            page = doc.metadata["page"] + 1 if "page" in doc.metadata else None  # PyPDFLoader counts from 0
            out.append(Result(Path(doc.metadata["source"]).name, page, page, doc.page_content))
        return out

    by_source = defaultdict(list)
    for chunk in chunks:
        by_source[Path(chunk.metadata["source"]).name].append(chunk.page_content)
    return System("baseline", search, None, seconds, by_source, never_abstains=True)


# -- scoring -----------------------------------------------------------------


def run(system: System, questions: list[Question]) -> list[dict]:
    """Every question through search (and ask): rank of the first hit, pages, latency.

    `span_indexed` says whether any chunk of the gold file holds the span at
    all: a miss without it is a parsing or chunking loss, not a ranking one.
    """
    system.search(questions[0].question)  # warm-up: first-call costs are not latency
    if system.ask:
        system.ask(questions[0].question)
    rows = []
    for q in questions:
        started = time.perf_counter()
        results = system.search(q.question)
        search_ms = (time.perf_counter() - started) * 1000
        row = {"id": q.id, "kind": q.kind, "search_ms": search_ms, "rank": None, "top": None}
        if results:
            top = results[0]
            row["top"] = {"source": top.source, "page": top.page, "page_end": top.page_end, "text": top.text}
        if q.answerable:
            row["span_indexed"] = any(contains_span(t, q.answer) for t in system.chunks.get(q.doc, []))
            row["rank"] = next(
                (n for n, r in enumerate(results, 1) if r.source == q.doc and contains_span(r.text, q.answer)), None
            )
            if q.pages:
                row["page_top1"] = bool(results) and results[0].on_gold_page(q)
                if row["rank"]:
                    hit = results[row["rank"] - 1]
                    row["page_first_hit"] = hit.on_gold_page(q)
                    row["page_first_hit_start"] = hit.cites_gold_page(q)
                    row["first_hit_pages"] = [hit.page, hit.page_end]
        if system.ask:
            started = time.perf_counter()
            reply = system.ask(q.question)
            row["ask_ms"] = (time.perf_counter() - started) * 1000
            row["found"] = reply.found
            row["answer"] = reply.text
            if q.answerable:
                first, source = reply.first()
                row["answer_first"] = reply.found and source == q.doc and contains_span(first, q.answer)
                row["answer_holds"] = reply.found and q.doc in reply.cited and contains_span(reply.text, q.answer)
        rows.append(row)
    return rows


def summarise(system: System, questions: list[Question], rows: list[dict]) -> dict:
    answerable = [r for q, r in zip(questions, rows) if q.answerable]
    unanswerable = [r for q, r in zip(questions, rows) if not q.answerable]
    ranks = [r["rank"] for r in answerable]
    out = {"span_indexed": _mean([r["span_indexed"] for r in answerable])}
    out.update({f"hit@{k}": _mean([bool(x and x <= k) for x in ranks]) for k in HIT_KS})
    out["mrr@10"] = _mean([1 / x if x else 0.0 for x in ranks])
    out["page@1"] = _mean([r["page_top1"] for r in answerable if "page_top1" in r])
    out["page_first_hit"] = _mean([r["page_first_hit"] for r in answerable if "page_first_hit" in r])
    out["page_first_hit_n"] = sum("page_first_hit" in r for r in answerable)
    out["page_first_hit_start"] = _mean([r["page_first_hit_start"] for r in answerable if "page_first_hit_start" in r])
    for name in ("search", "ask"):
        times = [r[f"{name}_ms"] for r in rows if f"{name}_ms" in r]
        out[f"{name}_p50_ms"] = percentile(times, 50) if times else None
        out[f"{name}_p95_ms"] = percentile(times, 95) if times else None
    if system.ask:
        out["abstained_unanswerable"] = sum(not r["found"] for r in unanswerable)
        out["abstained_answerable"] = sum(not r["found"] for r in answerable)
        out["answer_first"] = _mean([r["answer_first"] for r in answerable])
        out["answer_holds"] = _mean([r["answer_holds"] for r in answerable])
    elif system.never_abstains:
        out["abstained_unanswerable"] = out["abstained_answerable"] = 0
    by_kind = defaultdict(list)
    for r in answerable:
        by_kind[r["kind"]].append(bool(r["rank"] and r["rank"] <= 5))
    out["hit@5_by_kind"] = {kind: _mean(hits) for kind, hits in by_kind.items()}
    chunks = sum(len(texts) for texts in system.chunks.values())
    out.update(ingest_seconds=system.ingest_seconds, chunks=chunks, answerable=len(answerable), unanswerable=len(unanswerable))
    return out


def _mean(values: list) -> float | None:
    return sum(values) / len(values) if values else None


# -- printing ----------------------------------------------------------------


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def report(summaries: dict[str, dict], questions: list[Question]) -> str:
    names = list(summaries)
    n_ans = sum(q.answerable for q in questions)
    n_un = len(questions) - n_ans

    def row(label, key, digits=2):
        return [label] + [_fmt(summaries[n][key], digits) for n in names]

    rows = [row("gold span in some chunk", "span_indexed")]  # the ceiling for hit@k
    rows += [row(f"hit@{k}", f"hit@{k}") for k in HIT_KS]
    rows.append(row("MRR@10", "mrr@10"))
    rows.append(row("page acc, top-1 passage", "page@1"))
    rows.append(["page acc, first hit"] + [f"{_fmt(summaries[n]['page_first_hit'])} (n={summaries[n]['page_first_hit_n']})" for n in names])
    rows.append(row("page acc, first hit, start page", "page_first_hit_start"))
    rows.append(["abstained, unanswerable"] + [_abstained(summaries[n], "abstained_unanswerable", n_un) for n in names])
    rows.append(["abstained, answerable (wrong)"] + [_abstained(summaries[n], "abstained_answerable", n_ans) for n in names])
    rows.append(["answer first: 1st sentence holds span"] + [_fmt(summaries[n].get("answer_first")) for n in names])
    rows.append(["answer holds span (any sentence)"] + [_fmt(summaries[n].get("answer_holds")) for n in names])
    for name in ("search", "ask"):
        rows.append(row(f"{name} p50 ms", f"{name}_p50_ms", 0))
        rows.append(row(f"{name} p95 ms", f"{name}_p95_ms", 0))
    rows.append(row("ingest s", "ingest_seconds", 1))
    rows.append(row("chunks", "chunks"))
    title = f"{len(questions)} questions ({n_ans} answerable, {n_un} unanswerable), k={K}"
    main = table(["metric"] + names, rows)

    counts = defaultdict(int)
    for q in questions:
        counts[q.kind] += q.answerable
    kinds_seen = [k for k in KINDS if counts[k]] + sorted(k for k in counts if counts[k] and k not in KINDS)
    kind_rows = [[kind, counts[kind]] + [_fmt(summaries[n]["hit@5_by_kind"].get(kind)) for n in names] for kind in kinds_seen]
    kinds = table(["hit@5 by kind", "n"] + names, kind_rows)
    return f"{title}\n\n{main}\n\n{kinds}"


def _abstained(summary: dict, key: str, total: int) -> str:
    return "n/a" if key not in summary else f"{summary[key]}/{total}"


def explain(questions: list[Question], results: dict[str, list[dict]]) -> str:
    """Each question's rank per system, and the top passage of every miss, for a human to judge the matcher."""
    lines = []
    for n, q in enumerate(questions):
        ranks = "  ".join(f"{name}={rows[n]['rank'] or '-'}" for name, rows in results.items())
        lines.append(f"{q.id} [{q.kind}] {ranks}  {q.question}")
        if not q.answerable:
            continue
        lines.append(f"    gold: {q.doc} p{q.pages}: {q.answer!r}")
        for name, rows in results.items():
            if not rows[n]["span_indexed"]:
                lines.append(f"    {name}: the gold span is in none of its chunks")
        for name, rows in results.items():
            top = rows[n]["top"]
            if rows[n]["rank"] is None and top:
                text = " ".join(top["text"].split())[:300]
                lines.append(f"    {name} top: {top['source']} p{top['page']}-{top['page_end']}: {text}")
    return "\n".join(lines)


HALF_ROWS = (
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("MRR@10", "mrr@10"), ("page acc, top-1 passage", "page@1"),
    ("page acc, first hit", "page_first_hit"), ("page acc, first hit, start page", "page_first_hit_start"),
    ("answer first", "answer_first"),
)


def split_by_half(questions: list[Question], results: dict[str, list[dict]], halves: Halves):
    """(half, its questions, each system's rows for them), for each half that has questions."""
    out = []
    for half in Halves.NAMES:
        picked = [n for n, q in enumerate(questions) if half in halves.of_question(q)]
        if picked:
            out.append((half, [questions[n] for n in picked], {s: [rows[n] for n in picked] for s, rows in results.items()}))
    return out


def half_report(systems: list[System], questions: list[Question], results: dict[str, list[dict]], halves: Halves) -> tuple[str, dict]:
    """The main measures per half, one column per system and half."""
    parts = split_by_half(questions, results, halves)
    summaries = {half: {s.name: summarise(s, qs, rows[s.name]) for s in systems} for half, qs, rows in parts}
    header, cols = ["per half"], []
    for s in systems:
        for half, qs, _ in parts:
            n_ans = sum(q.answerable for q in qs)
            header.append(f"{s.name}: {half} ({n_ans}+{len(qs) - n_ans})")
            cols.append((half, s.name, n_ans, len(qs) - n_ans))
    body = [[label] + [_fmt(summaries[h][name].get(key)) for h, name, _, _ in cols] for label, key in HALF_ROWS]
    body.append(["abstained, unanswerable"] + [_abstained(summaries[h][name], "abstained_unanswerable", u) for h, name, _, u in cols])
    body.append(["abstained, answerable (wrong)"] + [_abstained(summaries[h][name], "abstained_answerable", a) for h, name, a, _ in cols])
    unplaced = [q.id for q in questions if not halves.of_question(q)]
    note = f"\nnot in either half (gold file not in halves.json): {', '.join(unplaced)}" if unplaced else ""
    return table(header, body) + note, summaries


def run_set(qset: QuestionSet, args, halves: Halves) -> dict:
    """Build both systems on the set's folders, ask its questions, print and return everything."""
    questions = load_questions(qset.questions)
    folders = ", ".join(str(c) for c in qset.corpora)
    print(f"\n== set {qset.name}: {folders}; questions {qset.questions}", flush=True)
    systems: list[System] = []
    with tempfile.TemporaryDirectory(prefix="quality-") as tmp:
        if not args.skip_ours:
            systems.append(build_ours(list(qset.corpora), Path(tmp), args.chunk_size, args.chunk_overlap))
        if not args.skip_baseline:
            systems.append(build_baseline(list(qset.corpora), Path(tmp)))
        results = {s.name: run(s, questions) for s in systems}
    summaries = {s.name: summarise(s, questions, results[s.name]) for s in systems}
    if args.verbose:
        print(explain(questions, results), end="\n\n")
    print(report(summaries, questions))
    halves_text, half_summaries = half_report(systems, questions, results, halves)
    print("\n" + halves_text, flush=True)
    return {
        "set": qset.name,
        "corpus": [str(c) for c in qset.corpora],
        "questions": str(qset.questions),
        "chunk_size": args.chunk_size,
        "chunk_overlap": args.chunk_overlap,
        "summary": summaries,
        "halves": half_summaries,
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=(*SET_NAMES, "all"), help="a named corpus + question set (default: sample)")
    parser.add_argument("--shared", type=Path, help="folder with corpus_v2/, questions_v2.jsonl (default: $EVAL_BENCH_SHARED or ../shared/bench)")
    parser.add_argument("--corpus", type=Path, nargs="+", help="folder(s) to ingest, all into one index (instead of --set)")
    parser.add_argument("--questions", type=Path, help="question file, dev_questions.jsonl's format (instead of --set)")
    parser.add_argument("--halves", type=Path, default=HALVES, help="the document halves (default: benchmarks/halves.json)")
    parser.add_argument("--chunk-size", type=int, help="our chunk size (the baseline stays at 1000/200)")
    parser.add_argument("--chunk-overlap", type=int)
    parser.add_argument("--json", type=Path, help="write metrics and per-question results here")
    skip = parser.add_mutually_exclusive_group()
    skip.add_argument("--skip-baseline", action="store_true")
    skip.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true", help="per-question ranks and the top passage of misses")
    args = parser.parse_args(argv)

    if args.set and (args.corpus or args.questions):
        parser.error("--set and --corpus/--questions exclude each other")
    if args.corpus or args.questions:
        sample = question_set("sample")
        sets = [QuestionSet("custom", tuple(args.corpus or sample.corpora), args.questions or sample.questions)]
    else:
        names = SET_NAMES if args.set == "all" else (args.set or "sample",)
        sets = [question_set(name, args.shared) for name in names]
    halves = Halves(args.halves)
    print(machine_load())
    print(f"code: {revision()}")
    payloads = [run_set(qset, args, halves) for qset in sets]
    if args.json:
        payload = payloads[0] if len(payloads) == 1 else {"sets": {p["set"]: p for p in payloads}}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
