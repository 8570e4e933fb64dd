"""One record per item, however often a report prints it.

An executive summary restates the recommendations (and lessons,
conclusions) that a chapter gives in full, sometimes numbered where the
chapter is not, sometimes under another part's heading ("Lessons learned
and recommendations" typing them all as lessons). A restatement is the same
record: the fuller printing, normally the later one in the chapter, is kept
with the other's pages in `also_pages`, and takes its number if it has none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.models import Record

__all__ = ["RESTATED", "merge_restatements"]

RESTATED = 0.6  # share of the shorter printing's word trigrams found in the other: the same item
_MIN_GRAMS = 4  # shorter items ("Accepted") say too little to be matched by their words


def _grams(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return frozenset(tuple(words[i : i + 3]) for i in range(len(words) - 2))


def merge_restatements(records: Sequence[Record]) -> list[Record]:
    """Records in document order with restatements folded into the printing they restate.

    A management response is never folded into a recommendation (it answers
    it, quoting it), nor the reverse; two items numbered differently are two.
    """
    grams = [_grams(r.text) for r in records]
    keep = [True] * len(records)
    merged = list(records)
    for later in range(len(records)):
        for earlier in range(later):
            if not keep[earlier] or not _same_item(records[earlier], records[later], grams[earlier], grams[later]):
                continue
            main, other = merged[later], merged[earlier]
            pages = sorted({*other.also_pages, *([other.page] if other.page is not None else []), *main.also_pages}
                           - {main.page})
            merged[later] = main.model_copy(update={"also_pages": pages, "number": main.number or other.number})
            keep[earlier] = False
    return [r for r, kept in zip(merged, keep) if kept]


def _same_item(a: Record, b: Record, ga: frozenset, gb: frozenset) -> bool:
    if (a.type == "management_response") != (b.type == "management_response"):
        return False
    if a.number and b.number and a.number != b.number:
        return False  # a matrix's items share their boilerplate, never their number
    if min(len(ga), len(gb)) < _MIN_GRAMS:
        return False
    return len(ga & gb) >= RESTATED * min(len(ga), len(gb))
