"""Sentence splitting for report prose, English and French.

Evaluation reports are full of "e.g.", "No. 3", "3.2", "U.S.", "Mr." and
numbered lists; a naive split on ". " cuts them. This splitter returns
character spans so a caller can highlight the sentence in its passage.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    """e.g i.e etc vs cf al approx est fig figs no nos nr p pp para paras vol ed eds art sect ch
    mr mrs ms dr prof st jr sr inc ltd co corp dept gov govt int intl min max jan feb mar apr jun jul aug sep sept oct
    nov dec u.s u.k u.n m. mme mlle env n° ann annex ref refs op resp""".split()
)
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)|\n\s*\n|\n(?=\s*(?:[-•▪●◦*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s)")


def split_spans(text: str, min_chars: int = 2) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        end = m.end()
        if m.group(0).startswith((".", "!", "?", "…")) and not _real_end(text, m.start(), end):
            continue
        _push(text, start, end, spans, min_chars)
        start = end
    _push(text, start, len(text), spans, min_chars)
    return spans


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in split_spans(text)]


def _real_end(text: str, dot: int, end: int) -> bool:
    """False for dots that end abbreviations, initials or numbers, not sentences."""
    word = re.search(r"([\w.]+)$", text[max(0, dot - 40) : dot])
    token = word.group(1).lower() if word else ""
    if token in ABBREVIATIONS or token.rstrip(".") in ABBREVIATIONS:
        return False
    if len(token) == 1 and token.isalpha() and text[dot] == ".":  # an initial: "J. Smith"
        return False
    nxt = text[end:].lstrip()[:1]
    if nxt and (nxt.islower() or nxt in ",;:"):  # "... approx. 3 weeks", "(p. 4)"
        return False
    return True


def _push(text: str, a: int, b: int, spans: list[tuple[int, int]], min_chars: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b - a >= min_chars:
        spans.append((a, b))
