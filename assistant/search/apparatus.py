"""A report's apparatus: its bibliography, its lists of evaluation questions, its tables of contents.

Each repeats the words of almost any question about the report ("resources",
"efficiently", the project's name) without answering it: "Were project
activities implemented in the most efficient way?" is the question, a
reference list names every topic once, and a table of contents every heading. Such passages are ranked below the
report's prose unless the question asks about them.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["APPARATUS_PENALTY", "asks_about_apparatus", "is_apparatus"]

APPARATUS_PENALTY = 0.3  # as much as the named-report bonus: below the report's own prose on the same words

REFERENCE_SPACING = 150  # characters per reference in a list of them; prose with footnotes has one every 300 or more
_REFERENCE = re.compile(r"\((?:19|20)\d\d[a-z]?\)[.,]|\b(?:19|20)\d\d[a-z]?\.\s|\bet al\.|https?://|\bvol\.\s*\d")
_REFERENCE_SECTION = re.compile(r"\b(?:bibliograph\w*|(?<!terms of )references|(?<!termes de )références|referencias|works cited|"
                                r"documents? (?:consulted|reviewed)|documents? consultés|documentos consultados)\b", re.I)
_CONTENTS_LINE = re.compile(r"(?:\.\s?){4,}\s*\d+\s*$|…{2,}\s*\d+\s*$", re.M)  # "2.4. Efficiency ........ 28"
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_ABOUT = re.compile(r"\b(?:questions?|bibliograph\w*|references?|références?|sources?|literature|"
                    r"documents?\b.{0,20}\b(?:consulted|reviewed|consultés)|matri(?:x|ce)|instruments?|questionnaires?)\b",
                    re.I)


def asks_about_apparatus(question: str) -> bool:
    """"What questions did the evaluation ask?", "Which documents were reviewed?": the apparatus is the answer."""
    return bool(_ABOUT.search(question))


def is_apparatus(text: str, section: str = "") -> bool:
    """A reference list (by its heading, or six references or more, one every REFERENCE_SPACING characters),
    a list of questions (four or more, at least 60% of its sentences), or a table of contents (three or
    more dotted lines ending in a page number, at least 30% of its lines)."""
    return _is_apparatus(text, _REFERENCE_SECTION.search(section) is not None)


@lru_cache(maxsize=50_000)
def _is_apparatus(text: str, reference_section: bool) -> bool:
    if reference_section:
        return True
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if not sentences:
        return False
    references = len(_REFERENCE.findall(text))
    questions = sum(1 for s in sentences if s.rstrip().endswith("?"))
    contents = len(_CONTENTS_LINE.findall(text))
    if contents >= 3 and contents >= 0.3 * sum(1 for line in text.splitlines() if line.strip()):
        return True
    return (references >= 6 and references >= len(text) / REFERENCE_SPACING) or (questions >= 4 and questions >= 0.6 * len(sentences))
