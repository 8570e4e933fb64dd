"""A conversation as Markdown: each question, its answer, and the sources it cites.

Questions, titles and answers are untrusted text (reports are): every
character that could open a link, an image, raw HTML or code is escaped, so
the export renders as the text it holds and nothing else. The answer's own
`**bold**`, `- ` items and `[n]` markers are kept.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.index.conversations import Conversation, ConversationSummary, visible
from assistant.models import Passage

__all__ = ["export_filename", "to_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<])")
_MD_LINE_START = re.compile(r"^([#>=+-])")
_MD_ORDERED = re.compile(r"^(\d{1,9})([.)])")
_MARKER = re.compile(r"\\\[(\d{1,3})\\\](?![(\[:\\])")  # an answer's own [n]; never one that would open a link
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^\s*[-*•]\s+")


def to_markdown(conversation: Conversation) -> str:
    """Each question, its answer with `[n]` markers, and the sources they point to, written out."""
    n = len(conversation.turns)
    out = [f"# {_inline(conversation.title) or 'Untitled conversation'}", "",
           f"{n} question{'s' if n != 1 else ''}; started {_when(conversation.created)}, "
           f"last updated {_when(conversation.updated)}.", ""]
    for i, turn in enumerate(conversation.turns, start=1):
        out += [f"## {i}. {_inline(turn.question)}", ""]
        if turn.filters:
            scope = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                              for k, v in turn.filters.items())
            out += [f"*Filtered by {_inline(scope)}*", ""]
        if not turn.found:
            out += ["*Not found in the indexed documents.*", ""]
        out += [_block(turn.answer), ""]
        if turn.notice:
            out += [f"*{_inline(turn.notice)}*", ""]
        if turn.citations:
            out += ["Sources:", ""]
            out += [f"- [{k}] {_citation(p)}" for k, p in enumerate(turn.citations, start=1)]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def export_filename(conversation: Conversation | ConversationSummary) -> str:
    """A plain file name from the title: ASCII letters, digits and dashes."""
    ascii_title = unicodedata.normalize("NFKD", conversation.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_title).strip("-").lower()[:60].rstrip("-")
    return f"conversation-{slug or conversation.id[:8]}.md"


def _citation(p: Passage) -> str:
    parts = [f"**{_inline(p.title or p.source)}**"]
    parts += [_inline(str(x)) for x in (p.organisation, p.year) if x]
    if p.page:
        parts.append(f"pp. {p.page}–{p.page_end}" if p.page_end and p.page_end != p.page else f"p. {p.page}")
    if p.section:
        parts.append(f"section: {_inline(p.section)}")
    parts.append(f"file: {_inline(p.source)}")
    return ", ".join(parts)


def _block(text: str) -> str:
    """An answer's lines: its own `**bold**` and `- ` items kept, everything else literal."""
    lines = []
    for line in visible(text, keep_newlines=True).split("\n"):
        bullet = _BULLET.match(line)
        body = line[bullet.end():] if bullet else line.strip()
        pieces = _BOLD.split(body)  # odd pieces were between ** and **
        rendered = "".join(f"**{_escape(p)}**" if k % 2 else _escape(p) for k, p in enumerate(pieces))
        rendered = _MD_ORDERED.sub(r"\1\\\2", _MD_LINE_START.sub(r"\\\1", _MARKER.sub(r"[\1]", rendered)))
        lines.append("- " + rendered if bullet else rendered)
    return "\n".join(lines).strip("\n")


def _inline(text: str) -> str:
    """Untrusted text on one line, escaped."""
    return _escape(" ".join(visible(text).split()))


def _escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _when(stamp: str) -> str:
    return stamp[:16].replace("T", " ") + " UTC" if stamp else "?"
