"""A document as the metadata rules read it: its pages, cover, front pages and labelled fields.

Evaluation reports say what they are on the cover and in a few labelled
fields ("Countries:", "Commissioned by:", "Final report date:"), so those
are found once here, running headers and footers left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.models import Block, ParsedFile

__all__ = ["Front", "field_values", "fields", "is_field", "read_front", "unique", "words"]

FRONT_PAGES = 3


CHARS_PER_PAGE = 3000  # how much of a page-less text counts as "a page"


MAX_PAGE_LINES = 100  # a page of front matter is never longer; bounds the work on one huge text block


FIELD_WORDS_RE = re.compile(  # what the label of a cover or fact-sheet field talks about
    r"type|date|year|année|fecha|evaluat|évaluat|author|auteur|commission|command|managed|géré|manager|countr|pays|"
    r"país|geograph|géograph|budget|donor|donat|donante|period|périod|code|version|title|titre|título|visit|name|"
    r"\bnom\b|contact|office|bureau|symbol|timing|key ?words|address|adresse|coordinator|responsible|project|projet|"
    r"proyecto|gender|marker|criteria|critères|objective|purpose|\bbut\b|methodolog|méthodolog|scope|location|"
    r"publication|consultant",
    re.I,
)


@dataclass
class Front:
    path: Path
    blocks: list[Block]
    pages: list[str]  # text per page (per CHARS_PER_PAGE for page-less formats)
    cover: list[str]  # lines of the first page, headers and footers left out
    front: list[str]  # lines of the first FRONT_PAGES pages
    fields: list[tuple[str, str]]  # (label, value) from the front
    page_count: int | None
    pdf_metadata: dict[str, str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def read_front(parsed: ParsedFile) -> Front:
    blocks = [Block(text=_clean(b.text), page=b.page, level=b.level) for b in parsed.blocks]
    blocks = [b for b in blocks if b.text.strip()]
    running: set[str] = set()
    if any(b.page for b in blocks):
        first = min(b.page for b in blocks if b.page)
        by_page: dict[int, list[str]] = {}
        for b in blocks:
            by_page.setdefault(b.page or first, []).append(b.text)
        pages = ["\n".join(by_page[p]) for p in sorted(by_page)]
        running = _running_lines(pages)
    else:
        pages, current = [], ""
        for b in blocks:
            current += b.text + "\n"
            if len(current) >= CHARS_PER_PAGE:
                pages.append(current)
                current = ""
        pages += [current] if current else []
    cover = [line.strip() for line in pages[0].splitlines()[:MAX_PAGE_LINES] if line.strip() not in running] if pages else []
    front = [line.strip() for page in pages[:FRONT_PAGES] for line in page.splitlines()[:MAX_PAGE_LINES]]
    metadata = {k.lstrip("/"): str(v) for k, v in parsed.pdf_metadata.items()}
    return Front(Path(parsed.path), blocks, pages, cover, front, fields(front), parsed.page_count, metadata)


def _clean(text: str) -> str:
    """Normalise what loaders leave behind: decomposed accents, markup, odd spaces."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"<!--.*?-->|<[^>]+>", " ", text, flags=re.S)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # markdown links
    text = re.sub(r"[*_`]{1,3}|^\s*#+\s*", "", text, flags=re.M)
    return re.sub(r"[ \t\u00a0\u2000-\u200b]+", " ", text)


def _running_lines(pages: list[str]) -> set[str]:
    """Headers and footers: lines repeated on most pages are never the title."""
    seen = Counter(line.strip() for page in pages for line in set(page.splitlines()) if line.strip())
    return {line for line, n in seen.items() if len(pages) >= 3 and n >= len(pages) / 2}


def fields(lines: list[str]) -> list[tuple[str, str]]:
    """Labelled fields ("Countries: Bangladesh, ..."), several to a line when a loader joined them."""
    out = []
    for i, line in enumerate(lines):
        labels = _labels(line)
        for j, (_, end, name) in enumerate(labels):
            last = j + 1 == len(labels)
            value = line[end : len(line) if last else labels[j + 1][0]].strip()
            for nxt in lines[i + 1 : i + 4] if last else ():  # a value wrapped onto the next lines
                open_ended = value.count("(") > value.count(")") or value.endswith((",", " and", " et", " of", " de"))
                if not value or not (nxt[:1].islower() or open_ended) or _labels(nxt):
                    break
                value += " " + nxt
            out.append((name.lower(), value))
    return out


def _labels(line: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of each field label in a line: the shortest capitalised run of up to
    eight words before a colon that names a field ("Date du rapport final", "Commissioned by")."""
    found = []
    for colon in re.finditer(r"\s?:(?=\s|$)", line):
        for start in [m.start() for m in re.finditer(r"\S+", line[: colon.start()])][::-1][:8]:
            label = line[start : colon.start()].strip()
            if label[:1].isupper() and FIELD_WORDS_RE.search(label):
                found.append((start, colon.end(), label))
                break
    return found


def is_field(line: str) -> bool:
    return any(start == 0 for start, _, _ in _labels(line))


def field_values(doc: Front, label_pattern: str) -> list[str]:
    return [v for label, v in doc.fields if v and re.search(label_pattern, label, re.I)]


def words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w’'-]*", text)


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
