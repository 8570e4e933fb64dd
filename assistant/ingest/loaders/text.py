"""Plain text and Markdown.

Besides Markdown `#` headings, text exported from other tools carries its
headings in other clothes: `**BOLD**` lines, HTML fragments where a
`<p><b>heading</b></p>` cell and a body cell share one tab-separated line,
ALL-CAPS lines, numbered titles. `<!-- page N -->` markers, left by a PDF
extraction, give blocks their page; without them pages stay None.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.cleaning import ends_sentence, fix_text, join_lines, running_lines, strip_tags, vocabulary
from assistant.ingest.loaders import headings
from assistant.models import Block, ParsedFile

_PAGE_MARK = re.compile(r"<!--\s*page\s+(\d{1,5})\s*-->", re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^(\*\*|__)(?!\s)(.+?)(?<!\s)\1\s*:?\s*$")
_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$|^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HTML_FRAGMENT = re.compile(r"</?(?:p|b|strong|i|em|br|div|span|td|tr|h[1-6]|li|ul|ol)\b[^>]*>", re.I)
_HTML_UNIT_SPLIT = re.compile(r"</?(?:p|div|li|td|tr|ul|ol)\b[^>]*>|<br\s*/?>", re.I)
_HTML_BOLD = re.compile(r"^<(b|strong)\b[^>]*>(.+?)</\1>\s*:?$", re.I | re.S)
_HTML_HEADING = re.compile(r"^<h([1-6])\b[^>]*>(.+?)</h\1>$", re.I | re.S)
_MD_BULLET = re.compile(r"^\s*[-*+]\s+")
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]?\s+(?=[^\W\d_])|[a-z][.)]\s+|\(\w{1,3}\)\s+)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")


@dataclass
class _Item:
    kind: str  # heading | line | para | blank
    text: str = ""
    page: int | None = None
    style: str = ""  # headings: md1..md6, bold, numbered, item, known, caps; lines: "list" for an item start


def load_text(path: Path, text: str, *, markdown: bool = False) -> ParsedFile:
    pages = _split_pages(text)
    items = [item for page, lines in pages for item in _items(lines, page)]
    vocab = vocabulary(i.text for i in items)
    blocks = _assemble(items, vocab, _wrap_width(items))
    return ParsedFile(
        path=str(path),
        format="markdown" if markdown else "text",
        blocks=blocks,
        page_count=max((page for page, _ in pages if page is not None), default=None),
    )


def _split_pages(text: str) -> list[tuple[int | None, list[str]]]:
    """Cut at `<!-- page N -->` markers and drop running headers/footers across the pages."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = _PAGE_MARK.split(text)
    pages: list[tuple[int | None, list[str]]] = []
    if parts[0].strip():
        pages.append((None, _COMMENT.sub("", parts[0]).split("\n")))
    for number, body in zip(parts[1::2], parts[2::2]):
        pages.append((int(number), _COMMENT.sub("", body).split("\n")))
    numbered = [lines for page, lines in pages if page is not None]
    if len(numbered) >= 3:
        visible = [[j for j, line in enumerate(lines) if line.strip()] for lines in numbered]
        drops = running_lines([[lines[j] for j in idx] for lines, idx in zip(numbered, visible)])
        for lines, idx, drop in zip(numbered, visible, drops):
            doomed = {idx[k] for k in drop}
            lines[:] = [line for j, line in enumerate(lines) if j not in doomed]
    return pages


def _items(lines: list[str], page: int | None) -> list[_Item]:
    items: list[_Item] = []
    for n, raw in enumerate(lines):
        line = raw.rstrip()
        if not line.strip() or _RULE.match(line):
            items.append(_Item("blank", page=page))
        elif m := _MD_HEADING.match(line.strip()):
            items.append(_Item("heading", _inline(m.group(2)), page, f"md{len(m.group(1))}"))
        elif _HTML_FRAGMENT.search(line):
            items.extend(_html_cells(line, page))
        elif (m := _BOLD_LINE.match(line.strip())) and headings.looks_like_heading(_inline(m.group(2))):
            items.append(_Item("heading", _inline(m.group(2)), page, "bold"))
        elif (kind := headings.text_heading(_inline(line))) and _standalone(lines, n, kind):
            items.append(_Item("heading", _inline(line), page, kind))
        elif line.lstrip().startswith("|"):
            items.append(_Item("para", _inline(line.strip().strip("|").replace("|", " | ")), page))
        elif m := _MD_BULLET.match(line):
            items.append(_Item("line", line[m.end():], page, "list"))
        else:
            items.append(_Item("line", line, page, "list" if _LIST_MARK.match(line) else ""))
    return items


def _standalone(lines: list[str], n: int, kind: str) -> bool:
    """A heading does not open a wrapped sentence (next line in lower case): "1.1. WFP should strengthen the
    capacity of the SFCWA" / "through a capacity building plan ..." is a numbered item, and a section name
    with extra words a sentence about it. A bare section name ("Recommendations") stands whatever follows."""
    if kind == "known" and headings.is_known_section(_inline(lines[n]), max_tail=0):
        return True
    after = lines[n + 1].strip() if n + 1 < len(lines) else ""
    return not after[:1].islower()


def _html_cells(line: str, page: int | None) -> list[_Item]:
    """A line of HTML table cells: `<p><b>Heading</b></p>\\t<p>Body</p><p>More</p>`."""
    items: list[_Item] = [_Item("blank", page=page)]
    for cell in line.split("\t"):
        for unit in _HTML_UNIT_SPLIT.split(cell):
            unit = unit.strip()
            if not unit:
                continue
            if m := _HTML_HEADING.match(unit):
                items.append(_Item("heading", _inline(strip_tags(m.group(2))), page, f"md{m.group(1)}"))
            elif (m := _HTML_BOLD.match(unit)) and headings.looks_like_heading(strip_tags(m.group(2))):
                items.append(_Item("heading", _inline(strip_tags(m.group(2))), page, "bold"))
            else:
                items.append(_Item("para", _inline(strip_tags(unit)), page))
    items.append(_Item("blank", page=page))
    return items


def _inline(text: str) -> str:
    """Markdown inline markup off: links to their text, emphasis markers dropped."""
    text = _MD_LINK.sub(r"\1", text)
    for _ in range(2):  # nested emphasis: ***x*** or **a *b* c**
        text = _MD_EMPHASIS.sub(r"\2", text)
    return text.replace("\\*", "*").replace("`", "").strip()


def _wrap_width(items: list[_Item]) -> int | None:
    """The width text was hard-wrapped at, or None when each line is a whole paragraph."""
    lengths = sorted(len(i.text) for i in items if i.kind == "line")
    if len(lengths) < 5:
        return None
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    return p90 if p90 <= 100 else None


def _breaks(prev: str, item: _Item, wrap: int | None) -> bool:
    """Does `item` start a new paragraph after line `prev` within a run of non-blank lines?"""
    if item.style == "list" or headings.is_bullet(item.text) or headings.is_label(item.text):
        return True
    if headings.is_toc_line(prev):
        return True
    width = len(prev.rstrip())
    if ends_sentence(prev) and (wrap is None or width < 0.8 * wrap):
        return True
    short = width < (0.6 * wrap if wrap else 60)  # a line that stops early ends its paragraph
    return short and item.text.lstrip()[:1].isupper() and not prev.rstrip().endswith((",", "-", "–"))


def _assemble(items: list[_Item], vocab: Counter[str], wrap: int | None) -> list[Block]:
    top = min((int(i.style[2:]) for i in items if i.style.startswith("md")), default=1)
    blocks: list[Block] = []
    lines: list[str] = []
    page: int | None = None

    def flush() -> None:
        if lines:
            _add_body(blocks, _inline(join_lines(lines, vocab)), page, vocab)
            lines.clear()

    for item in items:
        if item.kind == "line":
            if lines and (item.page != page or _breaks(lines[-1], item, wrap)):
                flush()
            lines.append(item.text)
            page = item.page
            continue
        flush()
        if item.kind == "para":
            _add_body(blocks, item.text, item.page, vocab)
        elif item.kind == "heading":
            blocks.append(Block(text=fix_text(item.text), page=item.page, level=_level(item, top)))
    flush()
    return blocks


def _add_body(blocks: list[Block], text: str, page: int | None, vocab: Counter[str]) -> None:
    """Append a paragraph, or glue it to the previous one it visibly continues (a lower-case start)."""
    text = fix_text(text)
    if not text:
        return
    prev = blocks[-1] if blocks else None
    if prev and prev.level == 0 and prev.page == page and text[0].islower() and not ends_sentence(prev.text):
        blocks[-1] = Block(text=join_lines([prev.text, text], vocab), page=page)
    else:
        blocks.append(Block(text=text, page=page))


def _level(item: _Item, top: int) -> int:
    """Heading depth: Markdown's own, else ranked against the document's top Markdown level."""
    if item.style.startswith("md"):
        return int(item.style[2:])
    if item.style == "numbered":
        return top - 1 + headings.numbered_depth(item.text)
    if item.style in {"caps", "known"} or (item.style == "bold" and headings.is_all_caps(item.text)):
        return top
    return top + 1
