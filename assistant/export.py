"""What users take away: records as CSV or an Excel sheet, feedback as JSON Lines.

The same files come out of the CLI (`lessons --csv`) and the web app's
export buttons, so a donor's spreadsheet does not depend on where it was made.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.models import Record

__all__ = ["CSV_FIELDS", "export_jsonl", "records_from_csv", "records_to_csv", "records_to_xlsx"]

CSV_FIELDS = ("id", "type", "number", "parent", "title", "text", "document_title", "source", "organisation",
              "countries", "year", "page", "also_pages", "section", "doc_id", "score")


def _row(record: Record) -> dict[str, Any]:
    data = record.model_dump()
    data["countries"] = "; ".join(record.countries)
    data["also_pages"] = "; ".join(str(p) for p in record.also_pages)
    return {f: "" if data.get(f) is None else data[f] for f in CSV_FIELDS}


def records_to_csv(records: Iterable[Record]) -> str:
    """CSV with a header row; countries and also_pages joined by "; "."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(_row(record))
    return out.getvalue()


def records_from_csv(text: str) -> list[Record]:
    """The records a `records_to_csv` export holds (for re-import and round-trip checks)."""
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        values: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
        values["countries"] = [c for c in (row.get("countries") or "").split("; ") if c]
        values["also_pages"] = [int(p) for p in (row.get("also_pages") or "").split("; ") if p]
        for name in ("year", "page"):
            values[name] = int(values[name]) if values.get(name) is not None else None
        values["score"] = float(values["score"]) if values.get("score") is not None else 0.0
        for name in ("section", "document_title", "source"):
            values[name] = values.get(name) or ""
        out.append(Record(**values))
    return out


def records_to_xlsx(records: Iterable[Record], path: str | Path) -> Path:
    """An Excel workbook with one sheet of records and a bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Records"
    sheet.append(list(CSV_FIELDS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in records:
        row = _row(record)
        sheet.append([row[f] for f in CSV_FIELDS])
    widths = {"title": 40, "text": 80, "document_title": 40, "section": 40}
    for n, name in enumerate(CSV_FIELDS, 1):
        sheet.column_dimensions[sheet.cell(1, n).column_letter].width = widths.get(name, 14)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    path = Path(path)
    book.save(path)
    return path


def export_jsonl(entries: list[dict]) -> str:
    """The log as JSON Lines text, for a download."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
