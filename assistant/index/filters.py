"""Search filters: validated once, applied to both dense and lexical search.

Users write `{"organisation": "IOM", "country": "Haiti", "year": "2023-2025"}`;
`Filters.parse` checks keys and values and compiles them to a Chroma `where`
clause and to an in-memory predicate over the same chunk metadata, so both
retrievers see exactly the same subset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from assistant.models import DAC_CRITERIA, DOCUMENT_KINDS, SECTION_TYPES
from assistant.errors import FilterError

# user-facing key -> (metadata field, is a list field)
FIELDS: dict[str, tuple[str, bool]] = {
    "organisation": ("organisation", False),
    "country": ("countries", True),
    "year": ("year", False),
    "kind": ("kind", False),
    "section_type": ("section_type", False),
    "criterion": ("criteria", True),
    "language": ("language", False),
    "doc_id": ("doc_id", False),
    "source": ("source", False),
}
ALIASES = {
    "organization": "organisation",
    "org": "organisation",
    "countries": "country",
    "document_kind": "kind",
    "type": "kind",
    "section": "section_type",
    "criteria": "criterion",
    "dac": "criterion",
    "lang": "language",
    "document": "doc_id",
    "doc": "doc_id",
    "file": "source",
}
_CHOICES = {"section_type": SECTION_TYPES, "criterion": DAC_CRITERIA, "kind": DOCUMENT_KINDS}
MAX_VALUES = 100  # per filter: a search for any of 90,000 sources is a denial of service, not a question
_YEAR_RANGE = re.compile(r"^\s*(\d{4})?\s*(?:-|\.\.|–|to)\s*(\d{4})?\s*$")


@dataclass(frozen=True)
class Filters:
    equals: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # field -> any of these values
    year_min: int | None = None
    year_max: int | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> "Filters":
        if not raw:
            return cls()
        if not isinstance(raw, Mapping):
            raise FilterError("filters must be an object of key: value")
        equals: dict[str, tuple[Any, ...]] = {}
        year_min = year_max = None
        for key, value in raw.items():
            name = ALIASES.get(str(key).lower(), str(key).lower())
            if name not in FIELDS:
                allowed = ", ".join(sorted(FIELDS))
                raise FilterError(f"unknown filter {key!r}; use one of: {allowed}")
            if value is None or value == "" or value == []:
                continue
            if name == "year":
                year_min, year_max = _years(value)
                continue
            values = tuple(value) if isinstance(value, (list, tuple, set)) else (value,)
            if len(values) > MAX_VALUES:
                raise FilterError(f"filter {key!r}: {len(values):,} values; at most {MAX_VALUES} per filter")
            clean = tuple(_check(name, v) for v in values)
            equals[FIELDS[name][0]] = clean
        return cls(equals, year_min, year_max)

    def __bool__(self) -> bool:
        return bool(self.equals) or self.year_min is not None or self.year_max is not None

    def narrowed(self, **fields_values: Any) -> "Filters":
        """These filters plus more exact-match conditions (metadata field -> value)."""
        equals = dict(self.equals)
        equals.update({k: (v,) for k, v in fields_values.items()})
        return Filters(equals, self.year_min, self.year_max)

    def where(self) -> dict | None:
        """The Chroma `where` clause."""
        clauses: list[dict] = []
        for fname, values in self.equals.items():
            is_list = fname in ("countries", "criteria")
            op = "$contains" if is_list else "$eq"
            options = [{fname: {op: v}} for v in values]
            clauses.append(options[0] if len(options) == 1 else {"$or": options})
        if self.year_min is not None:
            clauses.append({"year": {"$gte": self.year_min}})
        if self.year_max is not None:
            clauses.append({"year": {"$lte": self.year_max}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def match(self, meta: Mapping[str, Any]) -> bool:
        """The same test in Python, for the lexical index and records."""
        for fname, values in self.equals.items():
            have = meta.get(fname)
            if isinstance(have, (list, tuple)):
                if not any(v in have for v in values):
                    return False
            elif have not in values:
                return False
        year = meta.get("year")
        if self.year_min is not None and (year is None or year < self.year_min):
            return False
        if self.year_max is not None and (year is None or year > self.year_max):
            return False
        return True


def _check(name: str, value: Any) -> Any:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise FilterError(f"filter {name!r}: expected text, got {type(value).__name__}")
    text = str(value).strip()
    if not text or len(text) > 200:
        raise FilterError(f"filter {name!r}: value must be 1 to 200 characters")
    choices = _CHOICES.get(name)
    if choices:
        norm = text.lower().replace(" ", "_") if name != "kind" else text.lower()
        if norm not in choices:
            raise FilterError(f"filter {name!r}: {text!r} is not one of {', '.join(choices)}")
        return norm
    if name == "language":
        return text.lower()
    return text


def _years(value: Any) -> tuple[int | None, int | None]:
    """2024, "2024", "2020-2024", "2020-", [2020, 2024] or {"gte": 2020, "lte": 2024}; never backwards."""
    low, high = _year_bounds(value)
    if low is not None and high is not None and low > high:
        raise FilterError(f"filter 'year': {value!r} runs backwards; write {high}-{low}")
    return low, high


def _year_bounds(value: Any) -> tuple[int | None, int | None]:
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int):
            return value, value
        if isinstance(value, Mapping):
            low = value.get("gte", value.get("from", value.get("min")))
            high = value.get("lte", value.get("to", value.get("max")))
            return (int(low) if low is not None else None, int(high) if high is not None else None)
        if isinstance(value, (list, tuple)) and len(value) == 2:
            low, high = value
            return (int(low) if low is not None else None, int(high) if high is not None else None)
        text = str(value)
        if text.strip().isdigit():
            return int(text), int(text)
        m = _YEAR_RANGE.match(text)
        if m and (m.group(1) or m.group(2)):
            return (int(m.group(1)) if m.group(1) else None, int(m.group(2)) if m.group(2) else None)
    except (TypeError, ValueError):
        pass
    raise FilterError(f"filter 'year': {value!r} is not a year or a range like 2020-2024")
