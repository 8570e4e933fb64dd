"""`eval-assistant`: the command line over the `Assistant` facade.

Every setting flag mirrors an `ASSISTANT_*` variable (see config.py). Exit
status: 0 success, 1 something failed (e.g. a file could not be ingested),
2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from .config import Settings

SETTING_FLAGS = {
    "--index": ("index_dir", "index folder (ASSISTANT_INDEX_DIR)"),
    "--corpus": ("corpus_dir", "corpus folder (ASSISTANT_CORPUS_DIR)"),
    "--embed-model": ("embed_model", "embedding model path or hub name (ASSISTANT_EMBED_MODEL)"),
    "--chroma-url": ("chroma_url", "Chroma server URL instead of the local index (ASSISTANT_CHROMA_URL)"),
    "--chunk-size": ("chunk_size", "chunk size in characters (ASSISTANT_CHUNK_SIZE)"),
    "--chunk-overlap": ("chunk_overlap", "chunk overlap in characters (ASSISTANT_CHUNK_OVERLAP)"),
}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    for flag, (dest, help_) in SETTING_FLAGS.items():
        kind = int if dest.startswith("chunk_") else str
        common.add_argument(flag, dest=dest, type=kind, default=None, help=help_)

    parser = argparse.ArgumentParser(prog="eval-assistant", description="Cited answers over evaluation reports.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="index files and folders (default: the corpus folder)")
    p.add_argument("paths", nargs="*", help="files or folders")
    p.add_argument("--prune", action="store_true", help="remove indexed documents whose files are gone")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("documents", parents=[common], help="list indexed documents")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("remove", parents=[common], help="delete a document and its chunks")
    p.add_argument("doc", help="document id, id prefix or file name")

    p = sub.add_parser("search", parents=[common], help="the passages that best match a query")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=10, help="how many passages (1-100)")
    p.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                   help="e.g. organisation=IOM, country=Haiti, year=2020-2024, kind=brief, section_type=lessons_learned")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", parents=[common], help="a cited answer from the indexed documents")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=6, help="how many passages to answer from")
    p.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(**{dest: getattr(args, dest) for dest, _ in SETTING_FLAGS.values()})
    except ValueError as exc:
        print(f"eval-assistant: {exc}", file=sys.stderr)
        return 2
    from .core import Assistant  # after settings: keeps `--help` fast

    assistant = Assistant(settings=settings)
    try:
        return COMMANDS[args.command](assistant, args)
    except ValueError as exc:  # bad query, filter or k: say what is wrong
        print(f"eval-assistant: {exc}", file=sys.stderr)
        return 2


def _ingest(assistant, args) -> int:
    bar = None if args.no_progress or args.json else _progress_bar()
    report = assistant.ingest(args.paths or None, prune=args.prune, progress=bar)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"removed {report.removed}, failed {len(report.failed)}; index: {report.documents} documents, "
            f"{report.pages} pages, {report.chunks} chunks ({report.seconds:.1f} s)"
        )
        for f in report.failed:
            print(f"  failed: {f.error}", file=sys.stderr)
    return 0 if report.ok else 1


def _progress_bar():
    """A tqdm bar over files, shown only on a terminal."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr)

    def update(name: str, done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(name[:40])
        bar.refresh()
        if done == total:
            bar.close()

    return update


def _documents(assistant, args) -> int:
    docs = assistant.documents()
    if args.json:
        print(json.dumps([d.model_dump() for d in docs], indent=2, ensure_ascii=False))
        return 0
    for d in docs:
        where = ", ".join(filter(None, [d.organisation, "; ".join(d.countries), str(d.year or "")]))
        print(f"{d.doc_id[:12]}  {d.source}\n    {d.title} ({where}) — {d.kind}, {d.language}, "
              f"{d.pages or '-'} pages, {d.chunks} chunks")
    print(f"{len(docs)} documents")
    return 0


def _remove(assistant, args) -> int:
    try:
        removed = assistant.remove(args.doc)
    except KeyError as exc:
        print(f"eval-assistant: {exc.args[0]}", file=sys.stderr)
        return 2
    if not removed:
        print(f"eval-assistant: no indexed document {args.doc!r}", file=sys.stderr)
        return 1
    print(f"removed {args.doc}")
    return 0


def _filters(pairs: list[str]) -> dict[str, list[str]]:
    """`--filter country=Haiti --filter country=Japan` -> {"country": ["Haiti", "Japan"]}."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--filter {pair!r}: expected KEY=VALUE")
        out.setdefault(key.strip(), []).append(value.strip())
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


def _search(assistant, args) -> int:
    passages = assistant.search(args.query, k=args.k, filters=_filters(args.filter))
    if args.json:
        print(json.dumps([p.model_dump() for p in passages], indent=2, ensure_ascii=False))
        return 0
    for n, p in enumerate(passages, 1):
        print(f"[{n}] {_where(p)}  (score {p.score:.4f})\n    {' '.join(p.text.split())[:400]}\n")
    if not passages:
        print("no passages")
    return 0


def _ask(assistant, args) -> int:
    answer = assistant.ask(args.question, k=args.k, filters=_filters(args.filter))
    if args.json:
        print(answer.model_dump_json(indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print()
        for n, p in enumerate(answer.citations, 1):
            print(f"[{n}] {_where(p)}")
    return 0


def _where(p) -> str:
    pages = "" if p.page is None else f", p. {p.page}" + (f"-{p.page_end}" if p.page_end and p.page_end != p.page else "")
    section = f" — {p.section}" if p.section else ""
    return f"{p.title or p.source} ({p.source}{pages}){section}"


COMMANDS = {
    "ingest": _ingest,
    "documents": _documents,
    "remove": _remove,
    "search": _search,
    "ask": _ask,
}
