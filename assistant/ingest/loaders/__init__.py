"""Loaders: a file in, its text as ordered `Block`s out.

The format is decided by the bytes, not the name: `%PDF-` is a PDF, a zip
holding `word/document.xml` is a DOCX, markup that opens like HTML is HTML.
The suffix is only a hint, and a file whose suffix promises a binary format
its content does not have (a `.pdf` that is really an HTML error page, a
common failed download) is refused with a clear error rather than indexed
as what it happens to be. A real PDF or DOCX under another name loads.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from assistant.config import Limits
from assistant.errors import LoadError
from assistant.files import HTML_SUFFIXES, TEXT_SUFFIXES
from assistant.ingest.cleaning import decode, looks_binary, split_long
from assistant.ingest.loaders.guards import check_zip, too_much_text
from assistant.models import Block, ParsedFile

_MAGIC = {  # binary formats we recognise only to refuse them by name
    b"\xd0\xcf\x11\xe0": "legacy Office file (.doc/.xls/.ppt); save it as .docx or PDF",
    b"\x89PNG": "PNG image; OCR is not supported",
    b"\xff\xd8\xff": "JPEG image; OCR is not supported",
    b"GIF8": "GIF image; OCR is not supported",
    b"II*\x00": "TIFF image; OCR is not supported",
    b"MM\x00*": "TIFF image; OCR is not supported",
    b"{\\rtf": "RTF document; save it as .docx or PDF",
    b"\x1f\x8b": "gzip archive",
}


def read(path: str | Path, max_bytes: int | None = None) -> bytes:
    """A file's bytes, refusing empty, oversized and unreadable files with a `LoadError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise LoadError(path, f"file too large ({size / 2**20:.1f} MB > {max_bytes / 2**20:.1f} MB limit)")
        if size == 0:
            raise LoadError(path, "empty file (0 bytes)")
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from exc


def load(path: str | Path, max_bytes: int | None = None, data: bytes | None = None,
         limits: Limits | None = None) -> ParsedFile:
    """Parse one file into blocks; raises `LoadError` for anything unreadable or over `limits`.

    `data`: the file's bytes when the caller has read them already (ingest
    hashes them first), so the file is not read twice.
    """
    path = Path(path)
    limits = limits or Limits()
    if data is None:
        data = read(path, max_bytes)
    parsed = _dispatch(path, data, limits)  # format modules import lazily: pypdfium2, bs4, docx load only when needed
    chars = sum(len(b.text) for b in parsed.blocks)
    if chars > limits.max_text_chars:
        raise too_much_text(path, chars, limits)
    blocks = _finish(parsed.blocks)
    if not blocks:
        raise LoadError(path, "no text found")
    return parsed.model_copy(update={"blocks": blocks})


def _dispatch(path: Path, data: bytes, limits: Limits) -> ParsedFile:
    suffix = path.suffix.lower()
    if data.lstrip()[:5] == b"%PDF-" or (suffix == ".pdf" and b"%PDF-" in data[:1024]):  # junk may precede it
        from assistant.ingest.loaders.pdf import load_pdf

        return load_pdf(path, data, limits)
    if data.startswith(b"PK\x03\x04"):
        return _load_zip(path, data, limits)
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise LoadError(path, f"unsupported file type: {what}")
    if suffix == ".pdf":
        raise LoadError(path, f"not a PDF: no %PDF- header (content looks like {_kind_of(data)})")
    if suffix == ".docx":
        raise LoadError(path, f"not a DOCX: not a zip archive (content looks like {_kind_of(data)})")
    if suffix and suffix not in TEXT_SUFFIXES | HTML_SUFFIXES:
        raise LoadError(path, f"unsupported file type '{suffix}'")
    markup = 4 if suffix in HTML_SUFFIXES else 1  # HTML may carry three times its text in tags
    if len(data) > 4 * markup * limits.max_text_chars:  # more text than allowed whatever the encoding: not decoded
        raise LoadError(path, f"{len(data) / 2**20:,.0f} MB of text, more than the limit of "
                              f"{limits.max_text_chars:,} characters (ASSISTANT_MAX_TEXT_CHARS)")
    text = decode(data)
    if looks_binary(text):
        raise LoadError(path, "undecodable text (binary content)")
    html = suffix in HTML_SUFFIXES or _is_html(text)
    if len(text) > (4 if html else 1) * limits.max_text_chars:
        raise too_much_text(path, len(text), limits)
    if html:
        from assistant.ingest.loaders.html import load_html

        return load_html(path, text)
    from assistant.ingest.loaders.text import load_text

    return load_text(path, text, markdown=suffix in {".md", ".markdown"})


def _load_zip(path: Path, data: bytes, limits: Limits) -> ParsedFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise LoadError(path, f"corrupt or truncated zip/DOCX ({exc})") from exc
    names = set(archive.namelist())
    if "word/document.xml" not in names:
        kind = "spreadsheet (.xlsx)" if "xl/workbook.xml" in names else "zip archive"
        raise LoadError(path, f"unsupported file type: {kind}, not a .docx")
    check_zip(path, archive, "DOCX", limits)
    from assistant.ingest.loaders.docx import load_docx

    return load_docx(path, data)


def _is_html(text: str) -> bool:
    """A whole HTML page, not text that merely contains tags."""
    head = text[:4096].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<html" in head and ("<head" in head or "<body" in head))


def _kind_of(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        return "binary data"
    return "HTML" if _is_html(decode(data[:4096])) else "text"


def _finish(blocks: list[Block]) -> list[Block]:
    """Drop empty blocks and cut over-long paragraphs to a packable size."""
    out: list[Block] = []
    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.level:
            out.append(block.model_copy(update={"text": text}))
            continue
        out.extend(Block(text=piece, page=block.page) for piece in split_long(text))
    return out


__all__ = ["load", "read"]
