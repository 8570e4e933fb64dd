"""Checks a file passes against its budget: what its compressed parts would expand to, how much text it has.

A 1.9 MB DOCX can hold 500 MB of XML, and a 522 KB PDF stream 512 MB of
spaces; the parsers would inflate them whole before reading a word. Both
are measured first, without holding the inflated bytes: a ZIP's central
directory declares every member's size (and Python's zipfile never inflates
a member past its declared size, so a lying header only fails its CRC), and
a PDF's Flate streams are inflated in bounded pieces and counted. The
worker's time and memory limits stay the backstop for what these miss.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from assistant.config import Limits
from assistant.errors import LoadError

__all__ = ["MAX_ZIP_MEMBERS", "check_pdf_streams", "check_zip", "too_much_text"]

MAX_ZIP_MEMBERS = 10_000  # a real DOCX has tens of parts; a zip of a million empty files is an attack
_PIECE = 1 << 22  # inflate 4 MB at a time: never more than that held at once
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_DICT_START = re.compile(rb"\d+\s+\d+\s+obj\b")
_LOOKBACK = 4096  # how far before `stream` its dictionary may start


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def check_zip(path: Path, archive: zipfile.ZipFile, kind: str, limits: Limits) -> None:
    """Refuse a ZIP-based file (DOCX) whose members would expand past the limit, before any is read."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise LoadError(path, f"{kind} holds {len(members):,} parts, over the limit of {MAX_ZIP_MEMBERS:,}")
    for m in members:  # deflate never grows data by more than a few bytes per 16 KB block
        if m.compress_size > m.file_size + m.file_size // 100 + 1024:
            raise LoadError(path, f"{kind} is malformed: its part {m.filename!r} declares {m.file_size:,} bytes but "
                                  f"holds {m.compress_size:,} compressed (a decompression bomb's disguise)")
    total = sum(m.file_size for m in members)
    if total > limits.max_inflated_bytes:
        raise LoadError(path, f"{kind} expands to {_mb(total)}, more than the {_mb(limits.max_inflated_bytes)} limit "
                              "on a file's inflated parts (ASSISTANT_MAX_INFLATED_MB)")


def check_pdf_streams(path: Path, data: bytes, limits: Limits) -> None:
    """Refuse a PDF whose Flate streams (page content, forms, fonts; not images) expand past the limit.

    Images are skipped: text extraction never decodes them, and a photo-heavy
    report legitimately holds gigabytes of pixels.
    """
    budget = limits.max_inflated_bytes
    total = 0
    for match in _STREAM.finditer(data):
        head = data[max(0, match.start() - _LOOKBACK) : match.start()]
        starts = list(_DICT_START.finditer(head))
        head = head[starts[-1].end() :] if starts else head
        if b"/FlateDecode" not in head and b"/Fl " not in head and b"/Fl]" not in head and b"/Fl/" not in head:
            continue
        if re.search(rb"/Subtype\s*/Image\b", head):
            continue
        total += _inflated_size(data, match.end(), budget - total)
        if total > budget:
            raise LoadError(path, f"PDF streams expand to more than {_mb(budget)} of page content "
                                  "(the limit on a file's inflated parts, ASSISTANT_MAX_INFLATED_MB)")


def _inflated_size(data: bytes, start: int, budget: int) -> int:
    """Bytes one zlib stream inflates to, counted up to just past `budget`; 0 if it is not valid zlib."""
    inflater = zlib.decompressobj()
    size, position = 0, start
    try:
        pending = data[position : position + _PIECE]
        position += len(pending)
        while pending and size <= budget:
            size += len(inflater.decompress(pending, _PIECE))
            if inflater.eof:
                break
            pending = inflater.unconsumed_tail or data[position : position + _PIECE]
            if not inflater.unconsumed_tail:
                position += len(pending)
    except zlib.error:
        return size  # a damaged stream: PDFium skips it too
    return size


def too_much_text(path: Path, chars: int, limits: Limits, *, at_least: bool = False) -> LoadError:
    """The refusal of a file with more text than a file may have."""
    amount = f"more than {chars:,}" if at_least else f"{chars:,}"
    return LoadError(path, f"{amount} characters of text, more than the limit of {limits.max_text_chars:,} "
                           "characters (ASSISTANT_MAX_TEXT_CHARS)")
