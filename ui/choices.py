"""Filter choices from what is indexed, and filter values back to `filters=`.

Dropdowns offer only values that exist in the index, so a filter can never
be a typo; the dict they produce uses the keys of `assistant/filters.py`,
which validates it again (the UI adds no rules of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.models import Document


@dataclass
class Choices:
    organisations: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    documents: list[tuple[str, str]] = field(default_factory=list)  # (label, doc_id)


def doc_label(d: Document) -> str:
    facts = ", ".join(str(x) for x in (d.organisation, d.year) if x)
    title = d.title or d.source
    return f"{title} ({facts})" if facts else title


def choices_from(documents: Iterable[Document]) -> Choices:
    docs = list(documents)
    return Choices(
        organisations=sorted({d.organisation for d in docs if d.organisation}),
        countries=sorted({c for d in docs for c in d.countries if c}),
        years=sorted({d.year for d in docs if d.year}),
        kinds=sorted({d.kind for d in docs if d.kind}),
        documents=sorted(((doc_label(d), d.doc_id) for d in docs), key=lambda x: x[0].lower()),
    )


def year_range(year_from: Any, year_to: Any) -> str | None:
    """Two year pickers as the filter's range syntax ("2020-2024", "2020-", "-2024")."""
    low = int(year_from) if year_from not in (None, "") else None
    high = int(year_to) if year_to not in (None, "") else None
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        low, high = high, low
    return f"{low or ''}-{high or ''}"


def build_filters(
    organisation: Any = None,
    country: Any = None,
    year_from: Any = None,
    year_to: Any = None,
    kind: Any = None,
    doc_id: Any = None,
) -> dict[str, Any]:
    """Only the filters that are set; empty dict means search everything."""
    out: dict[str, Any] = {}
    for key, value in (("organisation", organisation), ("country", country), ("kind", kind), ("doc_id", doc_id)):
        values = [v for v in (value if isinstance(value, (list, tuple)) else [value]) if v not in (None, "")]
        if values:
            out[key] = values
    years = year_range(year_from, year_to)
    if years:
        out["year"] = years
    return out


def describe_filters(filters: dict[str, Any], documents: Iterable[Document] = ()) -> str:
    """A one-line reminder of what the answer was restricted to."""
    if not filters:
        return ""
    names = {d.doc_id: d.title or d.source for d in documents}
    parts = []
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if key == "doc_id":
            values = [names.get(v, v) for v in values]
        parts.append(f"{key.replace('_id', '')}: {', '.join(str(v) for v in values)}")
    return "Filtered by " + "; ".join(parts)
