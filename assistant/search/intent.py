"""What part of a report a question is about, read from its wording.

"What did the evaluation suggest ..." is answered in the recommendations,
"what lesson ..." in the lessons learned. Retrieval gives passages of those
section types a bonus; a question asking for a list of them ("what were the
recommendations") is answered as a list. English and French.

The kind of answer a question wants is read the same way (classic answer-type
matching in question answering): "how many ..." is answered by a sentence
with a quantity in it, "when ..." by one with a date.
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


# "What did the evaluation recommend on gender?", "what was learned about ...": the report's own items on it.
_ITEM_VERB = re.compile(
    r"\b(?:what|which)\b.{0,60}?\b(?:(?P<rec>recommend(?:ed|s)?|suggest(?:ed|s)?|advis(?:ed|es?))"
    r"|(?P<les>learn(?:ed|t)))\b|\bqu['’]a-t-(?:il|elle) (?:recommand|propos)é\b",
    re.I,
)


def list_intent(question: str) -> str | None:
    """The section type a question asks a list of ("what were the lessons ...", "what did it recommend
    on gender"), if any: answered with the report's own items."""
    m = _LIST.search(question)
    if not m:
        verb = _ITEM_VERB.search(question)
        if verb is None:
            return None
        return "lessons_learned" if verb["les"] else "recommendations"
    word = m.group(0).lower()
    if word.startswith("recomm"):
        return "recommendations"
    if word.startswith(("lesson", "leçon", "lecon", "enseignement")):
        return "lessons_learned"
    if word.endswith(("practices", "pratiques")):
        return "good_practices"
    return "conclusions"


# The document a question names by its kind: "according to the learning brief",
# "what did management commit to", "in its response to the ... evaluation".
# A report, its brief and its management response share their words, so
# only the question says which one it asks about. A final evaluation is named
# in most questions only as the report's name ("the ILO final evaluation of
# ..."), so it counts only when no other kind is named.
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("management response", re.compile(
        r"\bmanagement(?:'s|’s)? (?:response|commit\w*|accept\w*|agree\w*|reject\w*|pledge\w*)"
        r"|\b(?:in|by) (?:its|their|the organi[sz]ation's) response to\b|\br[ée]ponse de la direction\b", re.I)),
    ("brief", re.compile(r"\b(?:evaluation|learning|policy) brief\b|\bthe brief\b|\b(?:note|résumé) d['’]évaluation\b",
                         re.I)),
    ("terms of reference", re.compile(r"\bterms of reference\b|\bToR\b|\btermes de référence\b")),
    ("mid-term", re.compile(r"\bmid-?term\b|\bmi-parcours\b", re.I)),
]
_FINAL = re.compile(r"\bfinal (?:independent |external )?evaluation\b|\bévaluation finale\b", re.I)


def document_kinds(question: str) -> set[str]:
    """Document kinds (metadata `kind`) the question names; empty when it names none."""
    kinds = {kind for kind, pattern in _KINDS if pattern.search(question)}
    if not kinds and _FINAL.search(question):
        kinds.add("final")
    return kinds


# "How many people were interviewed" is answered by "interviews with 151 persons (69 female)".
_QUANTITY_QUESTION = re.compile(
    r"\b(?:how (?:many|much|big|large|long)|what (?:share|percentage|proportion|fraction|number|amount|size)"
    r"|number of|combien|quel(?:le)? (?:part|pourcentage|montant|nombre))\b",
    re.I,
)
_TIME_QUESTION = re.compile(r"^\W*(?:when|quand)\b|\b(?:what|which) (?:year|month|date|day)|\bby when\b", re.I)
# A quantity: a percentage, a sum of money, "12 out of 14", or a count of something
# ("151 persons", "3,000 non-active staff"); a bare year is not one.
QUANTITY = re.compile(
    r"\d[\d,.\u00a0\u202f ]*\s?(?:%|per ?cent|pour ?cent|percent)"
    r"|(?:USD|EUR|US\$|\$|€|£|CHF)\s?\d"
    r"|\d[\d,.]*\s?(?:million|billion|thousand|millions|milliards?|mille|m\b|bn\b)"
    r"|\b(?:out of|sur)\s+\d"
    r"|(?<![\w.])(?!(?:19|20)\d\d\b)\d{1,3}(?:[,\u00a0\u202f ]\d{3})*(?:\.\d+)?\s+\(?[a-zà-ÿ][\w-]*",
    re.I,
)
DATE = re.compile(
    r"\b(?:19|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b"
    r"|\b(?:month|mois|year|année|week|semaine)s?\s+\d",
    re.I,
)


def answer_pattern(question: str) -> re.Pattern[str] | None:
    """What a sentence answering the question has in it (a quantity, a date), if the question says."""
    if _QUANTITY_QUESTION.search(question):
        return QUANTITY
    if _TIME_QUESTION.search(question):
        return DATE
    return None
