"""Text clean-up shared by every loader.

Extracted text arrives with the scars of its format: mojibake and ligatures,
words hyphenated across line breaks, running headers and page numbers, HTML
tags, odd encodings. These helpers repair that, so each loader only has to
know its own format.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import ftfy

_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, explain=False)
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]{0,2000}|!--.*?--)>", re.S)
_WORD = re.compile(r"[^\W\d_]+(?:[-\u2010][^\W\d_]+)*")
_TERMINAL = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+(?=[\"'“«(]?[A-ZÀ-Ý0-9])")


def fix_text(text: str) -> str:
    """Repair mojibake and ligatures (ftfy), drop invisible characters, squeeze spaces."""
    text = ftfy.fix_text(text, _FTFY) if not text.isascii() else text
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def strip_tags(text: str) -> str:
    """Remove HTML tags and decode entities; a tag becomes a space so words stay apart."""
    return html.unescape(_TAG.sub(" ", text))


def decode(data: bytes) -> str:
    """Decode text bytes: BOMs first, then strict UTF-8, then Windows-1252 / Latin-1.

    Latin-1 can decode any byte string, so callers must judge whether the
    result is text at all (see `looks_binary`).
    """
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def looks_binary(text: str) -> bool:
    """True when decoded 'text' is mostly control characters: a binary file."""
    sample = text[:8192]
    if not sample:
        return False
    controls = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\n\r\f") or c == "\ufffd")
    return "\x00" in sample or controls / len(sample) > 0.05


def ends_sentence(text: str) -> bool:
    """Does the text end a sentence or a clause that closes a paragraph (. ! ? : ; …)?"""
    return bool(_TERMINAL.search(text.rstrip()))


# --- hyphenation -----------------------------------------------------------

# Second halves and first halves of compounds whose hyphen is real even when
# it falls at a line break (`follow-\nup` is `follow-up`, not `followup`).
_COMPOUND_TAIL = frozenset(
    "up down out in off over based led level term making building specific oriented "
    "sensitive focused wide scale owned driven free friendly income cutting being like "
    "sharing bound related responsive centred centered sized long run date border "
    "country time year month week day".split()
)
_COMPOUND_HEAD = frozenset("non self cross well long short mid high low much multi".split())


def vocabulary(texts: Iterable[str]) -> Counter[str]:
    """Lower-cased words of a document, hyphenated compounds kept whole.

    Used to decide line-break hyphens by the document's own usage: if the
    document writes `recommendations` elsewhere, `recom-\\nmendations` joins.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w.lower() for w in _WORD.findall(text))
    return counts


def _join_hyphen(left: str, right: str, vocab: Counter[str]) -> bool:
    """True when `left-` + `right` is one word split by hyphenation."""
    head = re.search(r"[^\W\d_]+$", left)
    tail = re.match(r"[^\W\d_]+", right)
    if not head or not tail:
        return False
    a, b = head.group().lower(), tail.group().lower()
    if vocab[a + b]:
        return True
    if vocab[f"{a}-{b}"] or b in _COMPOUND_TAIL or a in _COMPOUND_HEAD:
        return False
    return True


def join_lines(lines: Sequence[str], vocab: Counter[str] | None = None) -> str:
    """Join the lines of one paragraph, mending words hyphenated at line ends."""
    vocab = vocab if vocab is not None else Counter()
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("\u00ad"):
            out = out[:-1] + line
        elif re.search(r"[^\W\d_][-\u2010]$", out) and line[0].islower():
            out = out[:-1] + line if _join_hyphen(out[:-1], line, vocab) else out + line
        elif re.search(r"\w[-\u2010]$", out) and line[0].isalnum():
            out += line  # Asia-\nPacific, 2020-\n2025
        else:
            out += " " + line
    return out


# --- running headers, footers, page numbers ---------------------------------

_ROMAN = r"(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})"
_PAGE_TOKEN = re.compile(rf"^(?:\d{{1,3}}|{_ROMAN})$", re.I)
_PAGE_NUMBER = re.compile(
    rf"^[\s\-–—|•·]*(?:(?:page|p\.|pág\.?|seite)\s*)?(?:\d{{1,4}}|{_ROMAN})"
    rf"(?:\s*(?:/|of|de|sur|von)\s*\d{{1,4}})?[\s\-–—|•·]*$",
    re.I,
)
_EDGE_SEP = re.compile(r"^[\s|\-–—•·]+|[\s|\-–—•·]+$")


def is_page_number(line: str) -> bool:
    """A bare page number: `12`, `- 12 -`, `Page 3 of 10`, `xiv`."""
    stripped = line.strip()
    return bool(stripped) and bool(_PAGE_NUMBER.match(stripped))


def _running_key(line: str) -> str:
    """A line with its page number (first or last token) removed, for comparing pages."""
    words = line.lower().split()
    if len(words) > 1 and _PAGE_TOKEN.match(words[-1]):
        words = words[:-1]
    if len(words) > 1 and _PAGE_TOKEN.match(words[0]):
        words = words[1:]
    return _EDGE_SEP.sub("", " ".join(words))


def running_lines(
    pages: Sequence[Sequence[str]],
    edges: Sequence[Sequence[bool]] | None = None,
    keep: Sequence[Sequence[bool]] | None = None,
) -> list[set[int]]:
    """Indices, per page, of running headers/footers and bare page numbers.

    A running line sits in a page's edge zone (by default its first or last
    three lines) and repeats there, page number aside, on at least three
    pages and a tenth of them. One found at the edge of half the pages or
    more also goes where it strays mid-page, as extraction order sometimes
    buries a footer. `keep` marks lines never to drop (e.g. big-font headings).
    """
    if edges is None:
        edges = [[j < 3 or j >= len(lines) - 3 for j in range(len(lines))] for lines in pages]
    keys = [[_running_key(line) for line in lines] for lines in pages]
    seen_edge: Counter[str] = Counter()
    for page_keys, page_edges in zip(keys, edges):
        seen_edge.update({k for k, e in zip(page_keys, page_edges) if k and e})
    n = len(pages)
    edge_min, any_min = max(3, 0.1 * n), max(4, 0.5 * n)
    drop: list[set[int]] = []
    for i, lines in enumerate(pages):
        page_drop = set()
        for j, line in enumerate(lines):
            if keep is not None and keep[i][j]:
                continue
            key, edge = keys[i][j], edges[i][j]
            if (
                (edge and is_page_number(line))
                or (edge and key and seen_edge[key] >= edge_min)
                or (key and seen_edge[key] >= any_min)
            ):
                page_drop.add(j)
        drop.append(page_drop)
    return drop


# --- block sizes -------------------------------------------------------------


def split_long(text: str, limit: int = 1500) -> list[str]:
    """Cut an over-long paragraph at sentence ends into pieces of about `limit / 2` to `limit`.

    Table dumps and layout accidents can glue a whole page into one
    paragraph; the chunker wants paragraph-sized blocks to pack.
    """
    if len(text) <= limit:
        return [text]
    sentences = _SENTENCE_END.split(text)
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        if len(sentence) > limit:  # no sentence end in sight: cut at spaces, by index (a copy per cut is quadratic)
            if current:
                pieces.append(current)
                current = ""
            start = 0
            while len(sentence) - start > limit:
                cut = sentence.rfind(" ", start + limit // 2, start + limit)
                cut = cut if cut > start else start + limit
                pieces.append(sentence[start:cut].strip())
                start = cut
                while start < len(sentence) and sentence[start] == " ":
                    start += 1
            sentence = sentence[start:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return [p for p in pieces if p]
