"""`eval-assistant`: the command line over the `Assistant` facade.

Every setting flag mirrors an `ASSISTANT_*` variable (see config.py). Exit
status: 0 success, 1 something failed (e.g. a file could not be ingested),
2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from assistant.config import Settings

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

    p = sub.add_parser("lessons", parents=[common],
                       help="evaluation records: lessons, good practices, recommendations, management responses")
    p.add_argument("query", nargs="?", default=None, help="search the records (default: list them in report order)")
    p.add_argument("--type", default=None, help="lesson, good_practice, recommendation or management_response")
    p.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                   help="e.g. organisation=IOM, country=Haiti, year=2020-2024, doc_id=...")
    p.add_argument("--k", type=int, default=50, help="at most this many records (1-500)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="CSV with a header row")
    out.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", parents=[common], help="a cited answer from the indexed documents")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=6, help="how many passages to answer from")
    p.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true")

    sub.add_parser("mcp", parents=[common], help="serve the MCP tools (search, ask, lessons, documents) over stdio")

    p = sub.add_parser("serve", parents=[common], help="run the HTTP API (/api) and the web app (/)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--insecure", action="store_true", help="allow a non-loopback host with no API key configured")
    p.add_argument("--no-ui", action="store_true", help="serve the API only")
    p.add_argument("--api-keys-file", dest="api_keys_file", default=None,
                   help="file with one API key per line (ASSISTANT_API_KEYS_FILE; keys themselves: ASSISTANT_API_KEYS)")
    p.add_argument("--upload-max-mb", dest="upload_max_mb", type=int, default=None,
                   help="upload size limit in MB (ASSISTANT_UPLOAD_MAX_MB, default 50)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(
            **{dest: getattr(args, dest) for dest, _ in SETTING_FLAGS.values()},
            **{dest: getattr(args, dest, None) for dest in SERVE_SETTINGS},
        )
    except ValueError as exc:
        print(f"eval-assistant: {exc}", file=sys.stderr)
        return 2
    from assistant.core import Assistant  # after settings: keeps `--help` fast

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


def _filters(pairs: list[str]) -> dict[str, str | list[str]]:
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


def _lessons(assistant, args) -> int:
    from assistant.export import records_to_csv
    from assistant.models import RECORD_LABELS

    records = assistant.lessons(args.query, type=args.type, filters=_filters(args.filter), k=args.k)
    if args.csv:
        sys.stdout.write(records_to_csv(records))
        return 0
    if args.json:
        print(json.dumps([r.model_dump() for r in records], indent=2, ensure_ascii=False))
        return 0
    for r in records:
        head = f"{RECORD_LABELS[r.type]} {r.number or ''}".strip()
        page = f", p. {r.page}" if r.page is not None else ""
        score = f"  (score {r.score:.3f})" if args.query else ""
        print(f"{head}: {r.title or ''}\n    {r.document_title or r.source} ({r.source}{page}){score}\n"
              f"    {' '.join(r.text.split())[:400]}\n")
    print(f"{len(records)} records")
    return 0


def _where(p) -> str:
    pages = "" if p.page is None else f", p. {p.page}" + (f"-{p.page_end}" if p.page_end and p.page_end != p.page else "")
    section = f" — {p.section}" if p.section else ""
    return f"{p.title or p.source} ({p.source}{pages}){section}"


SERVE_SETTINGS = ("api_keys_file", "upload_max_mb")


def _print_sign_in(settings, host: str, port: int) -> None:
    """Local-first, as Jupyter: the person who started the server gets a link that opens the writes."""
    from urllib.parse import quote

    from assistant.security import ensure_local_key, local_key_path

    key = ensure_local_key(settings)
    where = f"[{host.strip('[]')}]" if ":" in host else host
    print(f"To upload, delete or re-index from the web app, open this sign-in link:\n"
          f"    http://{where}:{port}/signin?key={quote(key, safe='')}\n"
          f"(the key is kept owner-only in {local_key_path(settings)}; API clients send it as X-API-Key)",
          file=sys.stderr, flush=True)


def _serve(assistant, args) -> int:
    """Refuses to expose an unkeyed server beyond this machine unless told to."""
    from assistant.security import is_loopback, keys_configured

    if not is_loopback(args.host) and not keys_configured(assistant.settings):
        if not args.insecure:
            print(f"eval-assistant: refusing to serve on {args.host} with no API key configured; set "
                  "ASSISTANT_API_KEYS or ASSISTANT_API_KEYS_FILE, or pass --insecure", file=sys.stderr)
            return 2
        print(f"\033[31mWARNING: serving on {args.host} with no API key: anyone who can reach it can read "
              "every indexed document (uploads and deletes stay refused).\033[0m", file=sys.stderr)
    if is_loopback(args.host) and not keys_configured(assistant.settings) and assistant.settings.local_key:
        _print_sign_in(assistant.settings, args.host, args.port)
    import torch
    import uvicorn

    from assistant.serve.app import create_app

    # One torch thread per request: requests run side by side in the threadpool,
    # and two intra-op threads per query on two busy cores slowed every query (docs/experiments.md).
    torch.set_num_threads(1)
    app = create_app(assistant, ui=not args.no_ui)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=5)
    return 0


def _mcp(assistant, args) -> int:
    """stdout carries the protocol: everything else this process says goes to stderr."""
    from assistant.serve.mcp import run_stdio

    run_stdio(assistant)
    return 0


COMMANDS = {
    "ingest": _ingest,
    "documents": _documents,
    "remove": _remove,
    "search": _search,
    "ask": _ask,
    "lessons": _lessons,
    "serve": _serve,
    "mcp": _mcp,
}
