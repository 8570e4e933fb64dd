"""Which files the assistant reads, and finding them under folders.

Shared by the ingest and the HTTP client's upload (which walks folders as a
local ingest would), so neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assistant.models import FailedFile

__all__ = ["HTML_SUFFIXES", "SUPPORTED_SUFFIXES", "TEXT_SUFFIXES", "discover"]

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
SUPPORTED_SUFFIXES = frozenset({".pdf", ".docx"}) | TEXT_SUFFIXES | HTML_SUFFIXES
SKIPPED_NAMES = frozenset({"catalog.csv"})  # the corpus catalog of metadata overrides, not a document


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[FailedFile]]:
    """Supported files under the given files and folders, in a stable order."""
    files: list[Path] = []
    failed: list[FailedFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and _wanted(child, path):
                    files.append(child)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                failed.append(FailedFile(path=str(path), error=f"{path.name}: unsupported file type {path.suffix or '(none)'}"))
        else:
            failed.append(FailedFile(path=str(path), error=f"{path}: no such file or folder"))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, failed


def _wanted(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    if any(part.startswith(".") for part in rel.parts):
        return False
    if path.name in SKIPPED_NAMES or path.name.endswith(".meta.json"):
        return False
    return path.suffix.lower() in SUPPORTED_SUFFIXES
