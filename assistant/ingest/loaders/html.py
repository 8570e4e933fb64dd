"""HTML via BeautifulSoup.

h1-h6 are headings; p, li, table rows and other block elements are
paragraphs; loose text between blocks is kept too. Scripts, styles,
navigation and other page furniture are dropped before anything is read.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from assistant.ingest.cleaning import fix_text
from assistant.models import Block, ParsedFile

_DROP = ("script", "style", "nav", "noscript", "template", "svg", "iframe", "head", "button", "select")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LEAVES = {"p", "li", "dt", "dd", "blockquote", "pre", "figcaption", "caption", "address", "summary", "th", "td"}
_BLOCKS = _LEAVES | set(_HEADINGS) | {
    "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol", "dl", "table", "thead",
    "tbody", "tfoot", "tr", "figure", "details", "form", "fieldset", "body", "html", "hr",
}
_NESTED = sorted(_BLOCKS - {"td", "th"})  # a leaf holding one of these is walked, not flattened


def load_html(path: Path, text: str) -> ParsedFile:
    soup = BeautifulSoup(text, "lxml")
    title = fix_text(soup.title.get_text()) if soup.title else ""
    for tag in soup(_DROP):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup("br"):
        br.replace_with("\n")
    blocks: list[Block] = []
    _walk(soup.body or soup, blocks)
    if title and not any(b.level == 1 for b in blocks):
        blocks.insert(0, Block(text=title, level=1))
    return ParsedFile(path=str(path), format="html", blocks=blocks)


def _walk(root: Tag, blocks: list[Block]) -> None:
    """Emit the blocks under `root` in document order; inline runs between blocks form paragraphs.

    A stack, not recursion: a page of 100,000 nested `<div>`s is read like any other.
    """
    pending: list[str] = []

    def flush() -> None:
        if text := fix_text("".join(pending)):
            blocks.append(Block(text=text))
        pending.clear()

    stack = [iter(root.children)]
    while stack:
        child = next(stack[-1], None)
        if child is None:  # the end of a block element: its running text ends too
            stack.pop()
            flush()
        elif isinstance(child, NavigableString):
            pending.append(str(child))
        elif not isinstance(child, Tag):
            continue
        elif child.name in _HEADINGS:
            flush()
            if text := fix_text(child.get_text()):
                blocks.append(Block(text=text, level=_HEADINGS[child.name]))
        elif child.name == "tr":
            flush()
            cells = [fix_text(cell.get_text()) for cell in child.find_all(["td", "th"], recursive=False)]
            if row := " | ".join(c for c in cells if c):
                blocks.append(Block(text=row))
        elif child.name in _LEAVES and not child.find(_NESTED):
            flush()
            if text := fix_text(child.get_text()):
                blocks.append(Block(text=text))
        elif child.name in _BLOCKS:
            flush()
            stack.append(iter(child.children))
        else:  # inline element: part of the running paragraph
            pending.append(child.get_text())
