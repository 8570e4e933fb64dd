"""An uploaded file: checked, parsed within its budget, embedded, and only then saved and indexed.

An upload is untrusted: its name may climb out of the folder or collide
with another document's file, its extension may lie about its content, its
size is whatever the sender chose, and its content may be built to explode.
So the name is reduced to a safe base name, the type is sniffed from the
bytes and must agree with the extension, the size is capped, and the file
is parsed in a worker within its budget (pool.py) before anything touches
the disk. Only a file that parsed and embedded is written, atomically (temp
file, then `os.replace`) under `<corpus>/uploads/` with a suffix rather than
over an existing file, and committed under the write lock: a failed,
cancelled or abandoned upload leaves no file and no index change, and a
slow one holds no lock while it is parsed.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
import time
import unicodedata
import zipfile
from pathlib import Path
from typing import Literal

from assistant.config import Settings
from assistant.embed.embedder import Embedder
from assistant.errors import Cancelled, LoadError, ParseError, UploadError
from assistant.index.store import Store
from assistant.ingest.cleaning import decode, looks_binary
from assistant.ingest.parsing import Parser
from assistant.ingest.pipeline import commit
from assistant.ingest.vectors import embed_document
from assistant.models import FileOutcome, IngestReport, content_id

UPLOAD_FOLDER = "uploads"
MAX_NAME_CHARS = 120

# extension -> the content type it promises
EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".markdown": "text",
}
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S)


def safe_name(filename: str) -> str:
    """A plain base name: no folders, no traversal, only safe characters."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(c if c.isalnum() or c in "._-" else "_" for c in base)
    stem, dot, ext = re.sub(r"_{2,}", "_", base).rpartition(".")
    stem = stem.strip("._-")
    if not dot or not stem:
        raise UploadError(f"{filename!r}: not a usable file name (expected a name like report.pdf)")
    ext = "." + ext.lower()
    if ext not in EXTENSIONS:
        allowed = ", ".join(sorted(EXTENSIONS))
        raise UploadError(f"{filename!r}: unsupported file type {ext} (allowed: {allowed})", status=415)
    return stem[: MAX_NAME_CHARS - len(ext)] + ext


def sniff(data: bytes) -> str | None:
    """The type the bytes really are: pdf, docx, html, text, or None (something else)."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return "docx" if "word/document.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            return None
    if _HTML_START.match(data[:4096]):
        return "html"
    text = decode(data[:65536])
    if text.strip() and not looks_binary(text):
        return "text"
    return None


def check(filename: str, data: bytes, max_bytes: int) -> str:
    """Validate one upload; returns its safe name or raises `UploadError`."""
    name = safe_name(filename)
    if not data:
        raise UploadError(f"{name}: empty file (0 bytes)")
    if len(data) > max_bytes:
        raise UploadError(f"{name}: file too large ({len(data) / 2**20:.1f} MB > {max_bytes / 2**20:.0f} MB limit)", status=413)
    promised = EXTENSIONS[Path(name).suffix.lower()]
    actual = sniff(data)
    if actual != promised:
        what = {"pdf": "a PDF", "docx": "a Word document", "html": "HTML", "text": "plain text"}.get(actual or "", "not a supported format")
        raise UploadError(f"{name}: the extension says {promised} but the content is {what}", status=415)
    return name


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name-2`, `name-3`, ... when that file exists already."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


def write_atomic(folder: Path, name: str, data: bytes) -> Path:
    """Write under `folder` without ever exposing a partial file or replacing one."""
    folder.mkdir(parents=True, exist_ok=True)
    target = free_path(folder, name)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def add_upload(filename: str, data: bytes, store: Store, embedder: Embedder, settings: Settings,
               write_lock: threading.Lock, cancel: threading.Event | None = None) -> IngestReport:
    """Check, parse, embed, then save and commit one upload; raises `UploadError` with the reason."""
    started = time.perf_counter()
    name = check(filename, data, settings.upload_max_mb * 2**20)
    folder = Path(settings.corpus_dir) / UPLOAD_FOLDER
    doc_id = content_id(data)
    if store.document(doc_id) is not None:
        return _report(store, started, "unchanged")
    target = free_path(folder, name)
    parser = Parser([target], settings, {}, store.version, cancel=cancel)
    try:
        doc, chunks, records = parser.parse_now(target, data, doc_id)
    except (LoadError, ParseError) as exc:
        reason = exc.reason if isinstance(exc, LoadError) else f"{exc.type_name}: {exc}"
        raise UploadError(f"{name}: {reason}") from None
    finally:
        parser.close()
    embedded = embed_document(embedder, doc, chunks, records, cancel=cancel)
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"{name}: cancelled before it was saved")
    with write_lock:
        if store.document(doc_id) is not None:  # the same content, uploaded meanwhile
            return _report(store, started, "unchanged")
        path = write_atomic(folder, name, data)
        if path != target:  # another upload took the name meanwhile
            embedded.doc = doc.model_copy(update={"path": str(path), "source": path.name})
            embedded.records = [r.model_copy(update={"source": path.name}) for r in records]
        try:
            commit(embedded, store)
        except BaseException:
            store.remove(doc_id)
            path.unlink(missing_ok=True)
            raise
    return _report(store, started, "added", path)


def discard(path: Path, settings: Settings) -> bool:
    """Delete a file if it is an upload (under `<corpus>/uploads/`); True when it was."""
    folder = (Path(settings.corpus_dir) / UPLOAD_FOLDER).resolve()
    try:
        resolved = path.resolve()
    except OSError:
        return False
    if resolved.parent != folder or not resolved.is_file():
        return False
    resolved.unlink(missing_ok=True)
    return True


def _report(store: Store, started: float, outcome: Literal["added", "unchanged"], path: Path | None = None) -> IngestReport:
    docs = store.documents()
    seconds = round(time.perf_counter() - started, 3)
    report = IngestReport(documents=len(docs), chunks=store.count(), pages=sum(d.pages or 0 for d in docs), seconds=seconds)
    setattr(report, outcome, 1)
    if path is not None:
        report.files.append(FileOutcome(path=str(path), outcome=outcome, seconds=seconds))
    return report
