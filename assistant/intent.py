"""What part of a report a question is about, read from its wording.

"What did the evaluation suggest ..." is answered in the recommendations,
"what lesson ..." in the lessons learned. Retrieval gives passages of those
section types a bonus; a question asking for a list of them ("what were the
recommendations") is answered as a list. English and French.
"""

from __future__ import annotations

import re

_TOPICS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"\b(?:recomm?[ae]nd\w*|suggest\w*|propos\w*|should|advis\w*|devrai\w*)\b", re.I),
     ("recommendations", "management_response")),
    (re.compile(r"\b(?:lessons?|learn\w*|le[cç]ons?|enseignements?)\b", re.I), ("lessons_learned",)),
    (re.compile(r"\b(?:good|best|promising) practices?\b|\bbonnes? pratiques?\b", re.I), ("good_practices",)),
    (re.compile(r"\bconclu\w*\b", re.I), ("conclusions",)),
    (re.compile(r"\bmanagement(?:'s)? response\b|\br[ée]ponse de la direction\b", re.I), ("management_response",)),
]
_LIST = re.compile(
    r"\b(?:recommendations|recommandations|lessons|le[cç]ons|enseignements|good practices|best practices"
    r"|bonnes pratiques|conclusions)\b",
    re.I,
)


def section_types(question: str) -> set[str]:
    """Section types the question points at (empty when it names none)."""
    return {t for pattern, types in _TOPICS if pattern.search(question) for t in types}


def list_intent(question: str) -> str | None:
    """The section type a question asks a list of ("what were the lessons ..."), if any."""
    m = _LIST.search(question)
    if not m:
        return None
    word = m.group(0).lower()
    if word.startswith("recomm"):
        return "recommendations"
    if word.startswith(("lesson", "leçon", "lecon", "enseignement")):
        return "lessons_learned"
    if word.endswith(("practices", "pratiques")):
        return "good_practices"
    return "conclusions"
