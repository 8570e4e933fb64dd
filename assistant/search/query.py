"""The checks every query passes before any work: passages and records alike.

Bad input raises a `ValueError` (`QueryError`, `FilterError`) whose message
says what is wrong, so the CLI prints it and the API answers 422.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from assistant.errors import FilterError, QueryError
from assistant.index.filters import Filters
from assistant.models import RECORD_TYPES

__all__ = [
    "MAX_K",
    "MAX_QUERY_CHARS",
    "MAX_RECORDS",
    "check_query",
    "check_record_k",
    "check_record_query",
    "check_record_type",
    "record_filters",
]

MAX_QUERY_CHARS = 2000  # a question, not a document: longer texts are pasted by mistake
MAX_K = 100  # passages per search
MAX_RECORDS = 500  # records per list: every record of a large library's reports on one page
_NOT_FOR_RECORDS = {"section_type": "section_type", "criteria": "criterion"}
_TYPE_ALIASES = {
    "lessons": "lesson", "lessons_learned": "lesson", "lesson_learned": "lesson", "ll": "lesson",
    "good_practices": "good_practice", "practice": "good_practice", "gp": "good_practice",
    "recommendations": "recommendation", "rec": "recommendation",
    "management_responses": "management_response", "response": "management_response", "mr": "management_response",
}


def _clean(query: Any) -> str:
    """The query's words, spaces squeezed; refused when it is not text or too long."""
    if not isinstance(query, str):
        raise QueryError("query must be text")
    text = " ".join(query.split())
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    return text


def check_query(query: Any, k: Any) -> str:
    """A passage search's query and k."""
    text = _clean(query)
    if not text:
        raise QueryError("query is empty")
    if not re.search(r"\w", text):
        raise QueryError("query has no words to search for")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise QueryError(f"k must be a whole number from 1 to {MAX_K}")
    return text


def check_record_query(query: Any) -> str | None:
    """A record search's query; None (list every record) when there is none."""
    if query is None:
        return None
    return _clean(query) or None


def check_record_type(value: Any) -> str | None:
    """A record type from what a user typed ("lessons", "good practice"); ValueError names the allowed ones."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise QueryError(f"type must be text, one of: {', '.join(RECORD_TYPES)}")
    norm = "_".join(value.strip().lower().replace("-", " ").split())
    norm = _TYPE_ALIASES.get(norm, norm)
    if norm not in RECORD_TYPES:
        raise QueryError(f"unknown record type {value!r}; use one of: {', '.join(RECORD_TYPES)}")
    return norm


def check_record_k(k: Any) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_RECORDS:
        raise QueryError(f"k must be a whole number from 1 to {MAX_RECORDS}")
    return k


def record_filters(filters: Mapping | Filters | None) -> Filters:
    """`Filters` for records: the document keys; section and criterion do not apply to a record."""
    parsed = filters if isinstance(filters, Filters) else Filters.parse(filters)
    for field_name, key in _NOT_FOR_RECORDS.items():
        if field_name in parsed.equals:
            raise FilterError(f"filter {key!r} does not apply to records; filter by type= instead "
                              f"({', '.join(RECORD_TYPES)})")
    return parsed
