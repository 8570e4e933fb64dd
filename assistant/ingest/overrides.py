"""Metadata corrections without code: a `<file>.meta.json` sidecar beats a `catalog.csv` row
at the corpus root, which beats the automatic guess."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.ingest.entities import canonical_country
from assistant.models import DOCUMENT_KINDS, DocumentMetadata

__all__ = ["apply_overrides", "load_sidecar_overrides"]


def load_sidecar_overrides(path: str | Path, corpus_root: str | Path | None = None) -> dict[str, Any]:
    """The hand-written metadata of one file: its `catalog.csv` row, updated by its `.meta.json` sidecar.

    The sidecar is `<file>.meta.json` (`report.pdf.meta.json`) or `<stem>.meta.json` next to the file.
    The catalog is `<corpus_root>/catalog.csv`, its `file` (or `filename`) column holding the path
    relative to the root or the bare file name; countries are separated by `;`. Keys that are not
    DocumentMetadata fields are kept and end up in `extra`. Raises ValueError naming the file when
    either is malformed.
    """
    path = Path(path)
    overrides: dict[str, Any] = {}
    if corpus_root is not None and (Path(corpus_root) / "catalog.csv").is_file():
        overrides.update(_catalog_row(Path(corpus_root) / "catalog.csv", path, Path(corpus_root)))
    for sidecar in (path.with_name(path.name + ".meta.json"), path.with_suffix(".meta.json")):
        if sidecar.is_file():
            try:
                data = json.loads(sidecar.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{sidecar}: not valid JSON metadata ({exc})") from exc
            if not isinstance(data, dict):
                raise ValueError(f"{sidecar}: expected a JSON object of metadata fields")
            overrides.update(_normalise(data, sidecar))
            break
    return overrides


def apply_overrides(meta: DocumentMetadata, overrides: dict[str, Any]) -> DocumentMetadata:
    """`meta` with the overridden fields replaced; keys that are not fields go to `extra`."""
    known = DocumentMetadata.model_fields
    fields = {k: v for k, v in overrides.items() if k in known and k != "extra"}
    extra = {**meta.extra, **overrides.get("extra", {}), **{k: v for k, v in overrides.items() if k not in known}}
    return meta.model_copy(update={**fields, "extra": extra})


def _catalog_row(catalog: Path, path: Path, root: Path) -> dict[str, Any]:
    try:
        with catalog.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"{catalog}: unreadable catalog ({exc})") from exc
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = path.name
    for row in rows:
        key = (row.get("file") or row.get("filename") or "").strip().replace("\\", "/")
        if key and key in (relative, path.name):
            values = {k.strip(): v.strip() for k, v in row.items() if k and k not in ("file", "filename") and v and v.strip()}
            return _normalise(values, catalog)
    return {}


def _normalise(data: dict[str, Any], source: Path) -> dict[str, Any]:
    """Override values checked and typed like the automatic ones: countries a UN-spelled list, year an int."""
    out = dict(data)
    if "organization" in out:
        out["organisation"] = out.pop("organization")
    if "countries" in out:
        items = out["countries"].split(";") if isinstance(out["countries"], str) else out["countries"]
        if not isinstance(items, list):
            raise ValueError(f"{source}: countries must be a list or a ';'-separated string")
        out["countries"] = [canonical_country(str(c).strip()) for c in items if str(c).strip()]
    if "kind" in out and out["kind"] not in DOCUMENT_KINDS:
        raise ValueError(f"{source}: kind must be one of {', '.join(DOCUMENT_KINDS)}, not {out['kind']!r}")
    fields = {k: v for k, v in out.items() if k in DocumentMetadata.model_fields}
    try:
        checked = DocumentMetadata(**fields)
    except ValidationError as exc:
        raise ValueError(f"{source}: bad metadata value ({exc})") from None
    return {**out, **{k: getattr(checked, k) for k in fields}}
