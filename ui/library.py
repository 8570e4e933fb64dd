"""The library tab: what is indexed, and (with a key when one is set) changing it.

Upload goes through `Assistant.add_file` (which checks size, type and name),
delete through `Assistant.remove`, re-index through `Assistant.ingest(prune=
True)`. Who may write is decided by the rule the HTTP API applies,
`assistant.security.refusal(settings, key, write=True)`: writes need a
configured API key, typed in the key field or carried by the browser's
sign-in session (which is how the local key of `serve` opens them); with no
key at all they are refused here as they are over HTTP, so the page is
never a way round the API's policy.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import security, sessions
from assistant.models import Document, IngestReport

from .card import card_html
from .choices import doc_label
from .render import file_url

HEADERS = ["Title", "Organisation", "Countries", "Year", "Kind", "Lang.", "Pages", "Chunks", "Records", "Sections"]


class LibraryError(ValueError):
    """A library change refused or impossible; the message says why."""


# The API's refusals (HTTP status -> reason), worded for someone at the page rather than a client.
UI_REASONS = {
    401: "type a valid API key in the API key field to change the library",
    403: "uploads, deletes and re-indexing need an API key, and none is configured on the server "
    "(ASSISTANT_API_KEYS or ASSISTANT_API_KEYS_FILE)",
}


LOCAL_REASON = "open the sign-in link that `eval-assistant serve` printed when it started, then try again"


def write_refusal(assistant, key: str | None) -> str | None:
    """Why a write with this key is refused (the API's rule), or None."""
    refused = security.refusal(assistant.settings, (key or "").strip() or None, write=True)
    if not refused:
        return None
    if refused[0] == 403 and security.local_key(assistant.settings):
        return LOCAL_REASON
    return UI_REASONS.get(refused[0], refused[1])


def request_key(assistant, typed: str | None, request: gr.Request | None) -> str | None:
    """The key a write from the page carries: the one typed, else the browser's signed-in session's."""
    if typed and typed.strip():
        return typed.strip()
    return sessions.browser_key(assistant.settings, request)


def check_key(assistant, key: str | None) -> None:
    reason = write_refusal(assistant, key)
    if reason:
        raise LibraryError(reason)


def upload_files(assistant, key: str | None, paths: list[str] | str | None, progress=None) -> str:
    """Add uploaded files one by one through `Assistant.add_file`; a report line per file."""
    check_key(assistant, key)
    if not paths:
        raise LibraryError("choose one or more files to upload first")
    paths = paths if isinstance(paths, list) else [paths]
    lines = []
    for i, path in enumerate(paths):
        name = Path(path).name
        if progress is not None:
            progress((i, len(paths)), desc=f"Indexing {name}", unit="files")
        try:
            report = assistant.add_file(name, Path(path).read_bytes())
            lines.append(f"- **{name}**: {report_text(report)}")
        except ValueError as exc:  # UploadError: wrong type, too large, unreadable...
            lines.append(f"- **{name}**: refused: {exc}")
    if progress is not None:
        progress((len(paths), len(paths)), desc="Done", unit="files")
    return "\n".join(lines)


def remove_document(assistant, key: str | None, doc_id: str | None) -> str:
    check_key(assistant, key)
    if not doc_id:
        raise LibraryError("choose the document to delete first")
    name = next((doc_label(d) for d in assistant.documents() if d.doc_id == doc_id), doc_id)
    try:
        removed = assistant.remove(doc_id)
    except KeyError as exc:
        raise LibraryError(str(exc.args[0])) from None
    return f"Deleted **{name}**." if removed else f"**{name}** was not in the index."


def reindex_corpus(assistant, key: str | None) -> str:
    check_key(assistant, key)
    return "Re-index: " + report_text(assistant.ingest(prune=True))


def table_rows(documents: list[Document]) -> list[list[Any]]:
    rows = []
    for d in documents:
        rows.append(
            [
                d.title or d.source,
                d.organisation or "",
                ", ".join(d.countries),
                d.year or "",
                d.kind,
                d.language or "",
                d.pages or "",
                d.chunks,
                d.records,
                len(d.sections),
            ]
        )
    return rows


def sorted_docs(documents: list[Document]) -> list[Document]:
    return sorted(documents, key=lambda d: ((d.organisation or "").lower(), -(d.year or 0), d.title.lower()))


def document_html(d: Document, settings=None) -> str:
    """One document in full: metadata, and its sections with pages and chunks."""
    facts = [x for x in (d.organisation, ", ".join(d.countries), d.year, d.kind, d.language) if x]
    rows = "".join(
        f"<tr><td>{html.escape(s.title or '(untitled)')}</td><td>{html.escape(s.type.replace('_', ' '))}</td>"
        f"<td>{_pages(s.page, s.page_end)}</td><td>{s.chunks}</td>"
        f"<td>{_page_link(d.doc_id, s.page, settings)}</td></tr>"
        for s in d.sections
    )
    sections = (
        "<table class='ea-sections'><thead><tr><th>Section</th><th>Type</th><th>Pages</th>"
        f"<th>Chunks</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<div class='ea-hint'>No sections recorded.</div>"
    )
    return (
        f'<div class="ea-source" data-doc="{html.escape(d.doc_id)}">'
        f'<div class="ea-source-head"><span class="ea-title">{html.escape(d.title or d.source)}</span></div>'
        f'<div class="ea-meta">{html.escape(" · ".join(str(f) for f in facts))}</div>'
        f'<div class="ea-meta">{html.escape(d.source)} · {d.pages or "?"} pages · {d.chunks} chunks · '
        f'{d.records} records · {d.size_bytes // 1024} KB · id <code>{html.escape(d.doc_id[:12])}</code></div>'
        f'<a class="ea-open" href="{file_url(d.doc_id, None, settings)}" target="_blank" rel="noopener">Open file ↗</a>'
        f"{sections}</div>"
    )


def _pages(start: int | None, end: int | None) -> str:
    if not start:
        return ""
    return f"{start}–{end}" if end and end != start else str(start)


def _page_link(doc_id: str, page: int | None, settings=None) -> str:
    if not page:
        return ""
    return f'<a href="{file_url(doc_id, page, settings)}" target="_blank" rel="noopener">open ↗</a>'


def report_text(report: IngestReport) -> str:
    parts = [f"{n} {label}" for n, label in ((report.added, "added"), (report.updated, "updated"),
                                             (report.unchanged, "unchanged"), (report.removed, "removed")) if n]
    line = ", ".join(parts) or "nothing changed"
    line += f"; the library now has {_n(report.documents, 'document')}, {_n(report.pages, 'page')}, {_n(report.chunks, 'chunk')}."
    for f in report.failed:
        line += f"\n- **{Path(f.path).name}**: {f.error}"
    return line


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def build_library_tab(demo: gr.Blocks, assistant) -> None:
    docs_state = gr.State([])
    needs_key = security.keys_configured(assistant.settings)
    # Switched off only when no key can open it: none configured and no local key to sign in with.
    closed = write_refusal(assistant, None) if not needs_key and not security.local_key(assistant.settings) else None
    summary = gr.Markdown("", elem_id="ea-lib-summary")
    table = gr.Dataframe(
        headers=HEADERS,
        datatype=["str", "str", "str", "number", "str", "str", "number", "number", "number", "number"],
        column_widths=["28%", "11%", "15%", "6%", "8%", "6%", "6%", "6%", "7%", "7%"],
        wrap=True,
        interactive=False,
        max_height=480,
        label="Indexed documents (select one for its sections)",
        elem_id="ea-lib-table",
    )
    detail = gr.HTML("", elem_id="ea-lib-detail")
    gr.Markdown("### Manage the library")
    if closed:
        gr.Markdown(f"Changes are switched off: {closed}.", elem_id="ea-lib-closed")
    with gr.Row(equal_height=False, elem_classes=["ea-manage"]):
        with gr.Column(scale=2, min_width=300, elem_classes=["ea-side"]):
            key = gr.Textbox(
                label="API key",
                type="password",
                visible=needs_key,
                info="Needed to upload, delete or re-index, unless this browser is signed in.",
                elem_id="ea-lib-key",
            )
            files = gr.File(
                label="Add documents (PDF, Word, HTML, text, Markdown)",
                file_count="multiple",
                file_types=[".pdf", ".docx", ".html", ".htm", ".txt", ".md"],
                height=150,
                elem_id="ea-lib-files",
                interactive=not closed,
            )
            upload = gr.Button("Upload and index", variant="primary", elem_id="ea-lib-upload", interactive=not closed)
        with gr.Column(scale=1, min_width=260, elem_classes=["ea-side"]):
            remove_pick = gr.Dropdown([], label="Document to delete", elem_id="ea-lib-remove-pick", interactive=not closed)
            remove = gr.Button("Delete document", variant="stop", elem_id="ea-lib-remove", interactive=not closed)
            reindex = gr.Button("Re-index the corpus folder", elem_id="ea-lib-reindex", interactive=not closed)
        with gr.Column(scale=2, min_width=300):
            status = gr.Markdown("", label="Result", elem_id="ea-lib-status")

    def refresh():
        documents = sorted_docs(assistant.documents())
        pages = sum(d.pages or 0 for d in documents)
        chunks = sum(d.chunks for d in documents)
        text = f"**{_n(len(documents), 'document')}** · {_n(pages, 'page')} · {_n(chunks, 'chunk')}"
        text += f" · {_n(sum(d.records for d in documents), 'evaluation record')}"
        return (
            table_rows(documents),
            documents,
            text,
            gr.update(choices=[(doc_label(d), d.doc_id) for d in documents], value=None),
        )

    listing = [table, docs_state, summary, remove_pick]

    def guarded(action):
        def run(*args, **kwargs):
            try:
                return action(*args, **kwargs)
            except LibraryError as exc:
                message = str(exc)
                raise gr.Error(message[:1].upper() + message[1:]) from None

        return run

    def do_upload(key_value, paths, request: gr.Request, progress=gr.Progress()):
        key_value = request_key(assistant, key_value, request)
        return guarded(upload_files)(assistant, key_value, paths, progress), None

    def do_remove(key_value, doc_id, request: gr.Request):
        return guarded(remove_document)(assistant, request_key(assistant, key_value, request), doc_id)

    def do_reindex(key_value, request: gr.Request, progress=gr.Progress()):
        progress(0, desc="Re-indexing the corpus folder")
        return guarded(reindex_corpus)(assistant, request_key(assistant, key_value, request))

    def pick(documents: list[Document], evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if row is None or row >= len(documents):
            return gr.skip()
        d = documents[row]
        d = d if isinstance(d, Document) else Document.model_validate(d)
        try:
            card = card_html(assistant.card(d.doc_id), assistant.settings)
        except KeyError:  # removed since the table was drawn
            card = ""
        return card + document_html(d, assistant.settings)

    upload.click(do_upload, [key, files], [status, files]).then(refresh, None, listing)
    remove.click(do_remove, [key, remove_pick], [status]).then(refresh, None, listing)
    reindex.click(do_reindex, [key], [status]).then(refresh, None, listing)
    table.select(pick, [docs_state], [detail])
    demo.load(refresh, None, listing)
