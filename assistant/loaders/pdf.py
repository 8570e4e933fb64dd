"""PDF via pypdf, page by page.

pypdf's text visitor hands over every text run with its font and position,
so each extracted line knows its font size, boldness and baseline. That is
what turns a page of lines into paragraphs (a vertical gap, a font change)
and finds the headings of documents without bookmarks (a larger or bold
font whose lines read like titles). When the file has an outline it is the
authority: each bookmark is placed on the line of its page that carries the
title, so the heading sits at the right place in the flow.
"""

from __future__ import annotations

import io
import logging
import math
import os
import pickle
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import NamedTuple

from pypdf import PdfReader
from pypdf.errors import DependencyError

from ..cleaning import ends_sentence, fix_text, is_page_number, join_lines, running_lines, vocabulary
from ..models import Block, ParsedFile
from . import LoadError, headings

log = logging.getLogger(__name__)

_META_KEYS = ("Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|[-,]bd\b|extrab", re.I)
_ITALIC_NAME = re.compile(r"italic|oblique|[-,]it\b", re.I)
_LIST_START = re.compile(r"^\s*(?:[•▪■□◦○●➢►✓✔→*–-]\s|\(?[a-z0-9]{1,2}[.)]\s)")
_MIN_TEXT_PER_PAGE = 10  # alphanumeric characters; below this a PDF is a scan
_PARALLEL_MIN_PAGES = 24  # below this, starting a worker costs more than it saves


class _Run(NamedTuple):
    text: str
    size: float
    bold: bool
    italic: bool
    x: float
    y: float


@dataclass
class _Line:
    text: str
    page: int  # 1-based
    size: float
    bold: bool
    y: float | None
    italic: bool = False
    table: bool = False  # holds a column gap: a table row or a multi-column strip
    mark: int = -1  # outline entry placed on this line
    level: int = 0


def load_pdf(path: Path, data: bytes) -> ParsedFile:
    reader = _open(path, data)
    pages, boxes = _extract(path, reader)
    text_chars = sum(c.isalnum() for lines in pages for line in lines for c in line.text)
    if text_chars < _MIN_TEXT_PER_PAGE * len(pages):
        raise LoadError(path, "no text layer (scanned?); OCR is not supported")
    body = _body_size(pages)
    pages = _drop_running(pages, boxes, body)
    vocab = vocabulary(line.text for lines in pages for line in lines)
    pitch = _pitches(pages)
    outline = _place_outline(_outline(reader), pages)
    paragraphs = [par for lines in pages for par in _paragraphs(lines, pitch, body)]
    if outline:
        levels = {i: par[0].level for i, par in enumerate(paragraphs) if par[0].level}
    else:
        levels = _heading_levels(paragraphs, body)
    blocks: list[Block] = []
    for i, par in enumerate(paragraphs):
        if text := fix_text(join_lines([line.text for line in par], vocab)):
            blocks.append(Block(text=text, page=par[0].page, level=levels.get(i, 0)))
    return ParsedFile(
        path=str(path), format="pdf", blocks=blocks, page_count=len(pages), pdf_metadata=_metadata(reader)
    )


def _open(path: Path, data: bytes) -> PdfReader:
    """Open and, when needed, decrypt with the empty password; name what is wrong."""
    tail = data[-2048:].rstrip(b"\x00\r\n\t \x0c")
    if b"%%EOF" not in tail[-1024:]:
        raise LoadError(path, "truncated or corrupt PDF (no %%EOF end marker)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise LoadError(path, "encrypted PDF (password required)")
            except (DependencyError, NotImplementedError) as exc:
                raise LoadError(path, f"encrypted PDF (unsupported encryption: {exc})") from exc
        if len(reader.pages) == 0:
            raise LoadError(path, "corrupt PDF (no pages)")
    except LoadError:
        raise
    except Exception as exc:  # pypdf raises many types on broken files
        raise LoadError(path, f"corrupt PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc
    return reader


def _metadata(reader: PdfReader) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        info = reader.metadata or {}
        for key in _META_KEYS:
            value = info.get("/" + key)
            if value is not None and str(value).strip():
                out[key] = fix_text(str(value))
        lang = reader.trailer["/Root"].get("/Lang")
        if lang:
            out["Lang"] = str(lang)
    except Exception as exc:  # metadata is a bonus; a broken info dict must not fail the load
        log.debug("PDF metadata unreadable: %s", exc)
    return out


# --- extraction ----------------------------------------------------------------


def _extract(path: Path, reader: PdfReader) -> tuple[list[list[_Line]], list[tuple[float, float]]]:
    """Every page's lines and vertical extent; big files are shared with helper processes.

    pypdf is pure Python and content-stream parsing dominates: a 100-page
    report takes several seconds on one core. When cores are idle, pages are
    dealt out in turn to `python -m assistant.loaders.pdf` helpers (a fresh
    interpreter: no fork of a threaded server, no re-run of the caller's
    main script) while this process takes its own share; a share a helper
    fails to deliver is extracted here, so the result never depends on them.
    """
    n = len(reader.pages)
    step = _helper_count(n) + 1
    children = {k: _start_helper(path, k, step) for k in range(1, step)}
    results = _extract_pages(reader, range(0, n, step))
    for k, child in children.items():
        share = _collect_helper(child, timeout=30 + n)
        results += share if share is not None else _extract_pages(reader, range(k, n, step))
    results.sort(key=lambda r: r[0])
    if all(lines is None for _, lines, _ in results):
        raise LoadError(path, "corrupt PDF (no page could be read)")
    if failed := [index + 1 for index, lines, _ in results if lines is None]:
        log.warning("%s: unreadable pages skipped: %s", path.name, failed)
    return [[_Line(*row) for row in lines or []] for _, lines, _ in results], [box for _, _, box in results]


_Share = list[tuple[int, "list[tuple] | None", tuple[float, float]]]  # (page index, line rows or None, (bottom, top))


def _helper_count(pages: int) -> int:
    """Helpers worth starting: none for short files or when the other cores are busy.

    A helper costs half a second of start-up and only pays on an idle core;
    on a loaded machine it would just compete with the work it is meant to
    relieve (the embedding model, another ingest).
    """
    if pages < _PARALLEL_MIN_PAGES:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        idle = round(cpus - os.getloadavg()[0])
    except OSError:  # no load average on this platform
        idle = 1
    return max(0, min(idle, cpus - 1, 3))


def _extract_pages(reader: PdfReader, indices: range) -> _Share:
    out: _Share = []
    for index in indices:
        page = reader.pages[index]
        try:
            rows = [astuple(line) for line in _page_lines(page, index + 1)]
            out.append((index, rows, (float(page.mediabox.bottom), float(page.mediabox.top))))
        except Exception as exc:  # one broken page should not lose the document
            log.debug("page %d unreadable: %s", index + 1, exc)
            out.append((index, None, (0.0, 0.0)))
    return out


def _start_helper(path: Path, start: int, step: int) -> subprocess.Popen | None:
    root = str(Path(__file__).resolve().parents[2])  # the directory holding the `assistant` package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", __name__, str(path), str(start), str(step)]
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    except OSError as exc:
        log.debug("no helper process (%s)", exc)
        return None


def _collect_helper(child: subprocess.Popen | None, timeout: float) -> _Share | None:
    if child is None:
        return None
    try:
        out, _ = child.communicate(timeout=timeout)
        return pickle.loads(out) if child.returncode == 0 else None
    except Exception as exc:  # timeout, crash, garbled output: fall back to extracting here
        log.debug("helper failed: %s", exc)
        child.kill()
        child.communicate()
        return None


def _page_lines(page, number: int) -> list[_Line]:
    """The page's lines as pypdf orders them, each with its dominant style and baseline."""
    runs: list[_Run] = []
    styles: dict[int, tuple[bool, bool]] = {}

    def visit(text: str, cm, tm, font, size) -> None:
        if not text:
            return
        m = _multiply(tm, cm)
        if id(font) not in styles:
            styles[id(font)] = _font_style(font)
        bold, italic = styles[id(font)]
        runs.append(_Run(text, size * math.hypot(m[2], m[3]), bold, italic, m[4], m[5]))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    current: list[_Run] = []
    for run in runs:
        for k, part in enumerate(run.text.split("\n")):
            if k:
                lines.append(_make_line(current, number))
                current = []
            if part:
                current.append(run._replace(text=part))
    lines.append(_make_line(current, number))
    return [line for line in lines if line.text.strip()]


def _make_line(runs: list[_Run], page: int) -> _Line:
    text = "".join(r.text for r in runs)
    inked = [r for r in runs if r.text.strip()]
    if not inked:
        return _Line(text, page, 0.0, False, None)
    sizes: Counter[float] = Counter()
    bold = italic = 0
    for r in inked:
        n = len(r.text.strip())
        sizes[round(r.size * 2) / 2] += n
        bold += n if r.bold else 0
        italic += n if r.italic else 0
    half = sum(sizes.values()) / 2
    table = any(  # a gap of several em between runs on one baseline: table columns
        b.x - (a.x + 0.5 * a.size * len(a.text)) > 2.5 * a.size and abs(b.y - a.y) < 0.5 * a.size
        for a, b in zip(inked, inked[1:])
    )
    return _Line(text, page, sizes.most_common(1)[0][0], bold > half, inked[0].y, italic > half, table)


def _multiply(m, n):
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )


def _font_style(font) -> tuple[bool, bool]:
    """(bold, italic) from the font's name, or its descriptor's weight and flags."""
    if not font:
        return False, False
    try:
        name = str(font.get("/BaseFont", ""))
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        flags = int(descriptor.get("/Flags", 0))
        bold = bool(_BOLD_NAME.search(name)) or float(descriptor.get("/FontWeight", 0)) >= 600 or bool(flags & 1 << 18)
        return bold, bool(_ITALIC_NAME.search(name)) or bool(flags & 1 << 6)
    except Exception:  # odd font dictionaries: treat as regular
        return False, False


# --- page furniture ------------------------------------------------------------


def _body_size(pages: list[list[_Line]]) -> float:
    """The font size carrying most characters: the body text."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _drop_running(pages: list[list[_Line]], boxes: list[tuple[float, float]], body: float) -> list[list[_Line]]:
    """Remove running headers/footers and page numbers; never a line set larger than the body.

    The edge zone is the top and bottom margin band of the page by baseline
    (10% of the height, at least an inch); stream order says little, as Word
    writes the footer first.
    """
    edges = []
    for lines, (bottom, top) in zip(pages, boxes):
        band = max(0.1 * (top - bottom), 72.0)
        edges.append([line.y is not None and not bottom + band < line.y < top - band for line in lines])
    keep = [[line.size >= body + 0.4 and not is_page_number(line.text) for line in lines] for lines in pages]
    drops = running_lines([[line.text for line in lines] for lines in pages], edges, keep)
    return [[line for j, line in enumerate(lines) if j not in drop] for lines, drop in zip(pages, drops)]


def _pitches(pages: list[list[_Line]]) -> dict[float, float]:
    """Usual baseline-to-baseline distance per font size: the yardstick for paragraph gaps."""
    gaps: dict[float, list[float]] = defaultdict(list)
    for lines in pages:
        for a, b in zip(lines, lines[1:]):
            if a.y is not None and b.y is not None and a.size == b.size and 0.8 * a.size < a.y - b.y < 2.5 * a.size:
                gaps[a.size].append(a.y - b.y)
    return {size: statistics.median(values) for size, values in gaps.items() if len(values) >= 3}


# --- outline ---------------------------------------------------------------------


def _outline(reader: PdfReader) -> list[tuple[str, int, int]]:
    """Bookmarks as (title, level, 1-based page), in document order."""
    entries: list[tuple[str, int, int]] = []

    def walk(items, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                index = reader.get_destination_page_number(item)
            except Exception:
                continue
            title = fix_text(str(getattr(item, "title", "") or ""))
            if title and index is not None and index >= 0:
                entries.append((title, depth + 1, index + 1))

    try:
        walk(reader.outline, 0)
    except Exception as exc:  # a broken outline is no reason to fail; fall back to text
        log.debug("PDF outline unreadable: %s", exc)
        return []
    return entries


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _place_outline(entries: list[tuple[str, int, int]], pages: list[list[_Line]]) -> bool:
    """Mark the lines carrying each bookmark's title; True if the outline is usable.

    A usable outline has three entries or more and most of them found in the
    text. A bookmark whose title is not on its page becomes a heading line at
    the top of that page.
    """
    if len(entries) < 3:
        return False
    found: list[tuple[int, int, int, list[int]]] = []  # entry, page index, level, line indices
    for n, (title, level, page) in enumerate(entries):
        target = _norm(title)
        for p in (page - 1, page, page - 2):
            if 0 <= p < len(pages) and (hit := _find_title(target, pages[p])):
                found.append((n, p, level, hit))
                break
        else:
            found.append((n, page - 1, level, []))
    if sum(1 for f in found if f[3]) < 0.5 * len(entries):
        return False
    for n, p, level, hit in found:
        if p >= len(pages):
            continue
        if hit:
            for j in hit:
                pages[p][j].mark, pages[p][j].level = n, level
        else:
            title = entries[n][0]
            pages[p].insert(0, _Line(title, p + 1, 0.0, False, None, mark=n, level=level))
    return True


def _find_title(target: str, lines: list[_Line]) -> list[int]:
    """Indices of the consecutive lines (up to four) whose text is the title."""
    for i, line in enumerate(lines):
        if line.mark >= 0:
            continue
        acc = ""
        for j in range(i, min(i + 4, len(lines))):
            acc += _norm(lines[j].text)
            if acc == target or (acc.startswith(target) and len(acc) - len(target) <= 4):
                return list(range(i, j + 1))
            if not acc or not target.startswith(acc):
                break
    return []


# --- paragraphs and headings ---------------------------------------------------------


def _paragraphs(lines: list[_Line], pitch: dict[float, float], body: float) -> list[list[_Line]]:
    """Group a page's lines into paragraphs at gaps, font changes, list items and short lines."""
    widths = sorted(len(line.text.strip()) for line in lines if len(line.text.strip()) > 20)
    full = widths[int(0.8 * (len(widths) - 1))] if widths else 80  # characters in a full-width line
    paragraphs: list[list[_Line]] = []
    for line in lines:
        if paragraphs and not _breaks(paragraphs[-1][-1], line, pitch, full, body):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return paragraphs


def _breaks(prev: _Line, line: _Line, pitch: dict[float, float], full: int, body: float) -> bool:
    if prev.mark != line.mark:
        return True
    if line.mark >= 0:  # one bookmark's title, even across lines
        return False
    if abs(prev.size - line.size) >= 0.5:
        return True
    text, before = line.text.strip(), prev.text.strip()
    flows_on = text[:1].islower() and not ends_sentence(before)
    short = min(len(text), len(before)) < 0.75 * full
    if prev.bold != line.bold and not flows_on and (short or (line.bold and ends_sentence(before))):
        return True  # a bold title or a paragraph opening in bold; a bold lead-in sentence stays
    if _LIST_START.match(text) or headings.is_bullet(text) or headings.is_label(text) or headings.is_toc_line(before):
        return True
    if prev.y is not None and line.y is not None:
        dy = prev.y - line.y
        if dy < -0.5 * line.size:  # moved up: next column or a float; keep a sentence that flows on
            return not flows_on
        if dy > 1.3 * pitch.get(line.size, 1.25 * line.size):
            return True
    if line.size >= body + 0.4 and not before.endswith((".", "!", "?")):
        return False  # a display title running on after a colon: "Building foundations:"
    return ends_sentence(before) and len(before) < 0.75 * full


def _heading_levels(paragraphs: list[list[_Line]], body: float) -> dict[int, int]:
    """Which paragraphs are headings, and how deep: rank by font size, body-size rules last.

    A paragraph set larger than the body is a heading when it reads like one
    and its style mostly holds such lines (so chart labels in a big font do
    not count). At body size only bold text the text rules vouch for
    (numbered, known section, item title, ALL CAPS) qualifies.
    """
    texts = [" ".join(line.text.strip() for line in par) for par in paragraphs]
    styles: dict[tuple[float, bool], list[bool]] = defaultdict(list)
    big: dict[int, float] = {}
    for i, par in enumerate(paragraphs):
        size = par[0].size
        if size >= body + 0.4 and not par[0].italic and not any(line.table for line in par):
            ok = headings.looks_like_heading(texts[i], max_words=30, allow_period=size >= body + 2)
            styles[(size, par[0].bold)].append(ok)
            if ok:
                big[i] = size
    good_styles = {style for style, oks in styles.items() if sum(oks) >= 0.5 * len(oks)}
    vouched = {"known", "numbered", "item"}  # text rules strong enough to overrule a mixed style
    big = {
        i: size
        for i, size in big.items()
        if (size, paragraphs[i][0].bold) in good_styles or headings.text_heading(texts[i]) in vouched
    }
    ranks = {size: rank + 1 for rank, size in enumerate(sorted(set(big.values()), reverse=True))}
    levels = {i: ranks[size] for i, size in big.items()}
    for i, par in enumerate(paragraphs):
        if i in levels or len(par) > 2 or abs(par[0].size - body) >= 0.4 or any(line.table for line in par):
            continue
        kind = headings.text_heading(texts[i])
        if kind and (par[0].bold or (kind == "known" and headings.is_all_caps(texts[i]))):
            levels[i] = len(ranks) + 1
    return levels


if __name__ == "__main__":  # helper: python -m assistant.loaders.pdf FILE START STEP
    _reader = PdfReader(sys.argv[1])
    if _reader.is_encrypted:
        _reader.decrypt("")
    _start, _step = int(sys.argv[2]), int(sys.argv[3])
    pickle.dump(_extract_pages(_reader, range(_start, len(_reader.pages), _step)), sys.stdout.buffer)
