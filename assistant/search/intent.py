"""What part of a report, or which of its documents, a question is about, read from its wording.

"What did the evaluation suggest ..." is answered in the recommendations,
"what lesson ..." in the lessons learned. Retrieval gives passages of those
section types a bonus; a question asking for a list of them ("what were the
recommendations") is answered as a list; "according to the brief" names the
document. English and French. The kind of answer a question wants ("how
many", "who led") is read in answer_types.py.
"""

from __future__ import annotations

import re

_TOPICS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"\b(?:recomm?[ae]nd\w*|suggest\w*|propos\w*|should|advis\w*|devrai\w*)\b"
                r"|\b(?:evaluation|evaluators?|report)\b.{0,80}?\b(?:(?:ask|urge|invite)(?:s|d|ed)?\b.{1,60}?\bto\b"
                r"|call(?:s|ed)? (?:on|for)\b)", re.I),
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
    """Section types the question points at (empty when it names none); a question asking what management
    answered ("did IOM accept ...", see `document_kinds`) points at the responses."""
    types = {t for pattern, types in _TOPICS if pattern.search(question) for t in types}
    return types | {"management_response"} if "management response" in document_kinds(question) else types


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
    if word.startswith("recomm"):  # "how did IOM respond to the recommendations": the responses
        return "management_response" if "management response" in document_kinds(question) else "recommendations"
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
# Management, or the organisation by its acronym, answering: "did IOM fully accept ...", "what did IOM commit
# to", "how did IOM respond to the ... recommendations" (not "did WFP respond to the floods").
_ANSWERER = r"\b(?:[Mm]anagement(?:'s|’s)?|[A-Z]{2,}|[Tt]he organi[sz]ation) (?:\w+ly )?"
_RESPONDS = (_ANSWERER + r"(?:[Cc]ommit\w*|[Aa]ccept\w*|[Aa]gree\w*|[Rr]eject\w*|[Pp]ledge\w*)\b"
             r"|\b[Mm]anagement(?:'s|’s)? (?:\w+ly )?[Rr]espon\w*|"
             + _ANSWERER + r"[Rr]espond\w* to\b.{0,60}\b(?:[Rr]ecommendation|[Ee]valuation|[Rr]eview)")
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("management response", re.compile(
        _RESPONDS + r"|\b(?:in|by) (?:its|their|the organi[sz]ation's) response to\b|\br[ée]ponse de la direction\b"
        r"|\brecommendations? (?:was|were) (?:\w+ ){0,2}?(?:accepted|rejected)\b")),
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


# The words a list question is made of, beyond its topic ("what were the main recommendations of the ...").
LIST_WORDS = frozenset(
    """main key major important principal overall identified made given formulated proposed drawn learned learnt
    learning recommend recommends recommendation recommendations recommended suggest suggested advise advised
    lesson lessons good best practice practices management
    response responses respond responded accept accepted partially reject rejected
    evaluation evaluations evaluator evaluators report reports project projects programme
    programmes program list give show tell summarise summarize please all any
    quelles quels quel quelle principales principaux recommandation recommandations lecon lecons apprises tirees
    enseignement enseignements bonne bonnes pratique pratiques reponse reponses direction""".split()
)


_CONCLUDE = re.compile(r"\b(?:conclu\w*)\b", re.I)
_RECOMMEND = re.compile(r"\brecomm?[ae]nd(?:ed|s)?\b", re.I)


def asked_parts(question: str) -> set[str]:
    """The parts of a report a question asks for by name, or by "recommend" and "conclude": what it must have."""
    parts = {kind} if _LIST.search(question) and (kind := list_intent(question)) else set()
    if _RECOMMEND.search(question):
        parts.add("recommendations")
    if _CONCLUDE.search(question):
        parts.add("conclusions")
    return parts
