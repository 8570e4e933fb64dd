"""How headings nest: numbering first, then typography, and front matter never a parent.

A loader gives each heading a level (font size rank, Markdown depth, Word
outline level), and levels alone mislead on real reports: a contents page
or a list of abbreviations set as large as a chapter swallows every chapter
after it; "2.1" set in the chapters' font becomes a sibling of "2"; a
matrix's "Recommendation 7" set smaller than "Recommendation 6" becomes its
child. So, when a heading opens:

- front matter (contents, abbreviations, acknowledgements, lists of figures)
  closes: it is a leaf, never the parent of what follows;
- the cover (the first page of a paged document of more than a few pages,
  and the pages after it that repeat its headings: an inner title page) is
  never the parent of later pages: its title is the document's, shown apart;
- a numbered heading closes the open headings numbered in its scheme that
  do not contain it (1.4 closes before 2.1 opens) and stays under the one
  that does (2 holds 2.1, whatever their fonts); labelled items count as
  numbered ("Recommendation 6" closes before "Recommendation 7");
- otherwise a heading closes those at its level or deeper, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Outline", "is_front_matter", "number_of"]

COVER_MIN_PAGES = 5  # a brief's first page is its body; a report's first page is its cover

_FRONT = re.compile(
    r"^(?:(?:table\s+of\s+)?contents|sommaire|table\s+des\s+mati[eè]res|[ií]ndice|contenido"
    r"|list\s+of\s+(?:acronyms|abbreviations|figures|tables|boxes|graphs|charts|maps|annexes|illustrations)"
    r"|(?:acronyms|abbreviations)(?:\s+and\s+(?:acronyms|abbreviations))?|sigles(?:\s+et\s+abr[ée]viations)?"
    r"|acronymes|abr[ée]viations|siglas(?:\s+y\s+acr[óo]nimos)?|liste\s+des\s+(?:sigles|acronymes|figures|tableaux)"
    r"|acknowledg(?:e)?ments?|remerciements|agradecimientos|foreword|avant-propos|pr[ée]face|glossary|glossaire"
    r")\b",
    re.I,
)
_PLAIN = re.compile(
    r"^(?:(?i:chapter|section|part|chapitre|partie|cap[ií]tulo)\s+)?"
    r"(?P<num>\d{1,2}(?:\.\d{1,2})*|[A-Z](?:\.\d{1,2})*|(?=[IVX])X{0,2}(?:IX|IV|V?I{0,3}))[.)]?\s+\S"
)
_LABELLED = re.compile(
    r"^(?:evaluation\s+|key\s+)?(?P<kind>recommend|recommand|recomend|lesson|le[cç]on|conclusion|finding|constat"
    r"|good\s+practice|bonne\s+pratique|management\s+response)\w*(?:\s+learn(?:ed|t))?s?"
    r"\s*(?:n[°o]\.?\s*|#\s*)?(?P<num>\d{1,2}(?:\.\d{1,2})*)\b",
    re.I,
)
_KINDS = {"recommand": "recommend", "recomend": "recommend", "leçon": "lesson", "lecon": "lesson",
          "constat": "finding", "bonne pratique": "good practice"}


def is_front_matter(heading: str) -> bool:
    text = re.sub(r"^\s*(?:\d{1,2}[.)]?|[IVX]{1,4}[.)])\s+", "", heading.strip())
    return bool(_FRONT.match(text))


def number_of(heading: str) -> tuple[str, tuple[str, ...]] | None:
    """(scheme, parts) of a numbered or labelled heading: "2.1 Relevance" -> ("1", ("2", "1"));
    "A.2 Staff" -> ("A", ("A", "2")); "Recommendation 6:" -> ("recommend", ("6",)); else None."""
    text = heading.strip()
    if m := _LABELLED.match(text):
        kind = " ".join(m["kind"].lower().split())
        return _KINDS.get(kind, kind), tuple(m["num"].split("."))
    if m := _PLAIN.match(text):
        parts = tuple(m["num"].split("."))
        head = parts[0]
        scheme = "1" if head.isdigit() else "I" if re.fullmatch(r"[IVX]+", head) and len(head) > 1 else "A"
        return scheme, parts
    return None


@dataclass
class _Open:
    level: float
    text: str
    number: tuple[str, tuple[str, ...]] | None
    front: bool
    page: int | None
    nested: bool = False  # a lettered or numbered group opened inside another scheme's heading


class Outline:
    """The headings open above the current text, from the outermost."""

    def __init__(self, pages: int | None = None):
        self.cover = pages is not None and pages >= COVER_MIN_PAGES
        self.cover_last = 1  # the last page of the cover
        self.cover_titles: set[str] = set()
        self.stack: list[_Open] = []

    @property
    def path(self) -> list[str]:
        return [h.text for h in self.stack]

    def open(self, level: int, text: str, page: int | None = None) -> None:
        number = number_of(text)
        stack = [h for h in self.stack if not h.front]
        if self.cover and page is not None:
            key = re.sub(r"\W+", " ", text).strip().casefold()
            if page == 1:
                self.cover_titles.add(key)
            elif key in self.cover_titles and page == self.cover_last + 1:
                self.cover_last = page
            if page > self.cover_last:
                stack = [h for h in stack if h.page is None or h.page > self.cover_last]
        effective: float = level
        nested = False  # a group opened inside another scheme's heading, or the next group there
        if number is not None:
            scheme, parts = number
            sibling: _Open | None = None
            while stack and stack[-1].number is not None and stack[-1].number[0] == scheme \
                    and not _contains(stack[-1].number[1], parts):
                sibling = stack.pop()
            nested = sibling is not None and sibling.nested
            if stack and stack[-1].number is not None and stack[-1].number[0] == scheme:
                effective = max(level, stack[-1].level + 0.5)  # inside its parent number, whatever the font says
            elif nested and sibling is not None:
                effective = sibling.level  # "B)" where "A)" was: the group's place, whatever the font says
            elif _starts(parts) and any(h.number is not None and h.number[0] != scheme for h in stack):
                effective, nested = max(level, stack[-1].level + 0.5), True  # "A)" opening inside "3.2"
            else:
                while stack and stack[-1].level >= level:
                    stack.pop()
        else:
            while stack and stack[-1].level >= level:
                stack.pop()
        stack.append(_Open(effective, text, number, is_front_matter(text), page, nested))
        self.stack = stack

    def label(self, text: str) -> None:
        """A labelled item met in the body text ("Recommendation 7: ..." under a heading "Recommendation 6"):
        the open heading numbered in its scheme that does not contain it closes, as a heading would."""
        number = number_of(text)
        if number is None:
            return
        while self.stack and self.stack[-1].number is not None and self.stack[-1].number[0] == number[0] \
                and not _contains(self.stack[-1].number[1], number[1]):
            self.stack.pop()


def _starts(parts: tuple[str, ...]) -> bool:
    """The first number of a scheme: "A", "a", "1", "I", "i"."""
    return len(parts) == 1 and parts[0] in ("A", "a", "1", "I", "i")


def _contains(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    """Is `inner` numbered under `outer` ("2" holds "2.1" and "2.1.3", not "2" or "3.1")?"""
    return len(inner) > len(outer) and inner[: len(outer)] == outer
