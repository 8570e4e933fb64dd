"""HTML for answers and their sources: the only place the UI writes markup.

An answer's `[n]` markers become small badges that link to source card n,
right under the answer; each card names the document, organisation, year,
page and section, shows the passage with the sentence(s) the answer took
from it highlighted, and links to the original file at that page. Every
string that came from a document is escaped here: reports are untrusted
text.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable
from urllib.parse import quote, urlencode

from assistant import security
from assistant.models import Answer, Passage

MARKER = re.compile(r"\[(\d{1,3})\]")
_SUPPORT_NOTE = re.compile(r"^\s*\(\d+ of \d+ reports?\)\s*")
_NUMBER = re.compile(r"^\*\*[^*]{1,24}\*\*\s+")  # a record's printed number, "**LL-1** "
_BULLET = re.compile(r"^\s*(?:[-*•]\s+)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_WORD = re.compile(r"\w+", re.UNICODE)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_URL_SENTENCES, _URL_SENTENCE_CHARS = 4, 1000  # an evidence link stays well under servers' URL limits


def file_url(doc_id: str, page: int | None = None, settings=None) -> str:
    """Where the original file is served (the API), at a page when known.

    With `settings`, the link is signed when API keys are configured: a
    browser following a link sends no key.
    """
    if settings is not None:
        return security.file_link(settings, doc_id, int(page) if page else None)
    url = f"/api/documents/{quote(doc_id, safe='')}/file"
    return f"{url}#page={int(page)}" if page else url


def evidence_url(p: Passage, sentences: Iterable[str] = (), settings=None) -> str:
    """What "View on page" opens (ui/evidence.py shows it in a panel): a PDF's page as an image
    with the cited sentences marked, else the passage within its section as JSON.

    The sentences ride in the query, so the few longest are cut; with API
    keys configured it carries the file link's signature (a browser sends no key).
    """
    doc = quote(p.doc_id, safe="")
    if p.page and p.source.lower().endswith(".pdf"):
        path, query = f"/api/documents/{doc}/pages/{int(p.page)}.png", [("highlight", p.chunk_id)]
    else:
        path, query = f"/api/documents/{doc}/passages/{quote(p.chunk_id, safe='')}", []
    query += [("sentence", s[:_URL_SENTENCE_CHARS]) for s in list(sentences)[:_URL_SENTENCES]]
    if settings is not None and security.keys_configured(settings):
        expires = int(time.time()) + security.LINK_TTL_SECONDS
        query += [("exp", str(expires)), ("sig", security.file_signature(settings, p.doc_id, expires))]
    return f"{path}?{urlencode(query)}" if query else path


def cited_sentences(text: str) -> dict[int, list[str]]:
    """For each marker number, the answer text it follows.

    The extractive answerer writes "Sentence. [1] Next one. [2]" and list
    lines "- Item. [3] (2 of 3 reports)"; the words before a marker, back to
    the previous marker or line start, are what that source supports.
    """
    out: dict[int, list[str]] = {}
    prev_end = 0
    last = ""
    for m in MARKER.finditer(text):
        segment = text[prev_end : m.start()].split("\n")[-1]
        segment = _NUMBER.sub("", _BULLET.sub("", _SUPPORT_NOTE.sub("", segment)).strip())
        if segment:
            last = segment
        if last:
            bucket = out.setdefault(int(m.group(1)), [])
            if last not in bucket:
                bucket.append(last)
        prev_end = m.end()
    return out


def highlight(passage: str, sentences: Iterable[str]) -> str:
    """The passage, escaped, with each sentence found in it wrapped in <mark>.

    Matching is on the words in order, ignoring spacing, case and the list
    marker the answerer strips, so a sentence reflowed across lines in the
    source still lights up. A sentence not in the passage (an LLM's
    paraphrase) is simply not marked.
    """
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        words = _WORD.findall(sentence)
        if len(words) < 3:
            continue
        # A list item may run past its passage's end: then its opening is marked.
        for run in (words, words[:12]):
            m = re.search(r"\W+".join(re.escape(w) for w in run), passage, re.IGNORECASE)
            if m:
                spans.append((m.start(), m.end()))
                break
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(html.escape(passage[pos:start]))
        out.append(f"<mark>{html.escape(passage[start:end])}</mark>")
        pos = end
    out.append(html.escape(passage[pos:]))
    return "".join(out)


def answer_body(text: str, anchor: str = "") -> str:
    """The answer text with HTML escaped, **bold** kept and markers as badges."""
    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)

    def badge(m: re.Match) -> str:
        n = m.group(1)
        target = f"#{anchor}-src-{n}" if anchor else f"#src-{n}"
        return f'<a class="ea-cite" href="{target}" title="Source {n}">[{n}]</a>'

    return _blocks(MARKER.sub(badge, escaped))


def _blocks(text: str) -> str:
    """Lines to HTML: runs of "- item" lines become a list, others paragraphs."""
    out: list[str] = []
    items: list[str] = []
    for line in text.split("\n"):
        if _BULLET.match(line):
            items.append(f"<li>{_BULLET.sub('', line, count=1)}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if line.strip():
            out.append(f"<p>{line}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "".join(out)


def _where(p: Passage) -> str:
    if p.page and p.page_end and p.page_end != p.page:
        return f"pp. {p.page}–{p.page_end}"
    return f"p. {p.page}" if p.page else ""


def _tidy(text: str) -> str:
    """The passage as shown: runs of blank lines (page furniture removed at ingest) become one."""
    return _BLANK_LINES.sub("\n\n", text.strip())


def source_card(n: int, p: Passage, sentences: list[str], anchor: str = "", settings=None) -> str:
    title = html.escape(p.title or p.source)
    facts = [html.escape(str(x)) for x in (p.organisation, p.year) if x]
    where = _where(p)
    meta = " · ".join(facts + ([where] if where else []))
    section = f'<div class="ea-section">Section: {html.escape(p.section)}</div>' if p.section else ""
    link_label = f"Open page {p.page} ↗" if p.page else "Open document ↗"
    also = p.metadata.get("also_in") if isinstance(p.metadata, dict) else None
    also_html = ""
    if also:
        names = also if isinstance(also, list) else [also]
        also_html = f'<div class="ea-also">Also in: {html.escape(", ".join(str(x) for x in names))}</div>'
    ident = f"{anchor}-src-{n}" if anchor else f"src-{n}"
    return (
        f'<div class="ea-source" id="{ident}" data-source="{n}" data-doc="{html.escape(p.doc_id)}" '
        f'data-page="{p.page or ""}">'
        f'<div class="ea-source-head"><span class="ea-num">[{n}]</span> '
        f'<span class="ea-title">{title}</span></div>'
        f'<div class="ea-meta">{meta} · <span class="ea-file">{html.escape(p.source)}</span></div>'
        f"{section}"
        f'<blockquote class="ea-passage">{highlight(_tidy(p.text), sentences)}</blockquote>'
        f"{also_html}"
        f'<a class="ea-open" href="{file_url(p.doc_id, p.page, settings)}" target="_blank" rel="noopener">{link_label}</a>'
        f'<a class="ea-view" href="{html.escape(evidence_url(p, sentences, settings))}" target="_blank" '
        f'rel="noopener">View on page</a>'
        "</div>"
    )


def sources_panel(answer: Answer, anchor: str = "", settings=None) -> str:
    if not answer.citations:
        return ""
    used = cited_sentences(answer.text)
    cards = "".join(
        source_card(n, p, used.get(n, []), anchor, settings) for n, p in enumerate(answer.citations, start=1)
    )
    count = len(answer.citations)
    return (
        f'<details class="ea-sources" open><summary>Sources ({count})</summary>'
        f"{cards}</details>"
    )


def answer_html(answer: Answer, anchor: str = "", settings=None) -> str:
    """A whole chat reply: the answer (or a marked not-found notice) and its sources."""
    notice = f'<div class="ea-notice">{html.escape(answer.notice)}</div>' if answer.notice else ""
    if not answer.found:
        return (
            '<div class="ea-notfound"><div class="ea-notfound-label">Not found in the indexed documents</div>'
            f"<div>{answer_body(answer.text)}</div></div>{notice}"
        )
    body = answer_body(answer.text, anchor)
    return f'<div class="ea-answer">{body}</div>{notice}{sources_panel(answer, anchor, settings)}'


def streaming_html(text: str) -> str:
    """The answer so far, while it is still being produced."""
    body = answer_body(text) if text else "<p>Searching the reports…</p>"
    return f'<div class="ea-answer ea-pending">{body}</div>'


def error_html(message: str) -> str:
    return f'<div class="ea-error"><strong>Could not answer:</strong> {html.escape(message)}</div>'
