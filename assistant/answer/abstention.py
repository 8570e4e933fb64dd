"""Deciding when the corpus has no answer.

A threshold on raw similarity misfires: MiniLM gives 0.5 to a loosely
related passage and 0.45 to the right one phrased differently. Two signals
hold up better, measured on the dev questions' unanswerable items:
- a name the question turns on (Frontex, Kakuma, an agency's acronym) that
  appears nowhere in the corpus: no passage can be about it;
- neither the best sentence's meaning nor the question's rarer words match
  what was retrieved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.base import Scored
from assistant.index.snapshot import Snapshot
from assistant.index.tokens import STOPWORDS, query_terms, query_tokens
from assistant.models import Passage
from assistant.search.answer_types import MONEY, answer_pattern
from assistant.search.counting import TOKEN, CountOf
from assistant.search.focus import named_evaluation
from assistant.search.glossary import translated_forms
from assistant.search.intent import asked_parts, document_kinds

# Calibrated on the dev questions' unanswerable items (docs/experiments.md, "Answers").
MIN_SIMILARITY = 0.40
MIN_COVERAGE = 0.45

_WORD = re.compile(r"[^\W_][\w'’./-]*", re.UNICODE)
_GENERIC = frozenset(
    """what which who whom whose how why when where did does do is are was were the a an of in on for to
    and or evaluation evaluations report reports project programme program""".split()
)


@dataclass
class Evidence:
    similarity: float  # best sentence's cosine to the question
    coverage: float  # share of the question's term weight found in the retrieved passages
    unknown_names: list[str]  # names in the question found nowhere in the corpus
    searchable: bool = True  # a word or code to search for, not just stray digits or symbols
    missing: str = ""  # what the question asks of the report it names that the report does not have

    @classmethod
    def gather(cls, question: str, passages: list[Passage], scored: list[Scored], snapshot: Snapshot) -> Evidence:
        similarity = max((s.similarity for s in scored), default=0.0)
        weights = {forms: snapshot.term_weight(forms) for forms in query_terms(question)}
        seen: set[str] = set()
        for p in passages:
            seen.update(query_tokens(f"{p.title} {p.section} {p.text}"))  # both stemmings, as the question's
        total = sum(weights.values()) or 1.0
        # An English question's word is found in a French passage in French ("lesson": leçon, enseignement).
        coverage = sum(w for forms, w in weights.items() if forms & seen or translated_forms(forms) & seen) / total
        searchable = any(_searchable(form) for forms in weights for form in forms)
        return cls(similarity, coverage, unknown_names(question, snapshot), searchable,
                   missing_part(question, snapshot))


def _searchable(term: str) -> bool:
    """A word (two letters or more) or a code or number of three characters or more; not "1" or "2" from "½"."""
    return len(term) >= 3 or (len(term) >= 2 and any(c.isalpha() for c in term))


@dataclass
class Verdict:
    found: bool
    reason: str = ""


def judge(e: Evidence) -> Verdict:
    if not e.searchable:
        return Verdict(False, "The question has no words to search for.")
    if e.unknown_names:
        names = ", ".join(f"“{n}”" for n in e.unknown_names)
        return Verdict(False, f"No indexed document mentions {names}.")
    if e.missing:
        return Verdict(False, e.missing)
    if e.similarity < MIN_SIMILARITY and e.coverage < MIN_COVERAGE:
        return Verdict(False, "No passage matches the question closely enough.")
    return Verdict(True)


_PART_NAMES = {"recommendations": "recommendations", "lessons_learned": "lessons learned",
               "conclusions": "conclusions", "good_practices": "good practices"}


# The words a part goes by in a report's text, in the corpus's languages: a report that says
# "recommendation" anywhere may hold one under a heading that was not typed.
_PART_WORDS = {
    "recommendations": "recommendation recommandation recomendación",
    "conclusions": "conclusion",
    "lessons_learned": "lesson leçon enseignement lección",
    "good_practices": "practice pratique práctica",
}


def _words_for(part: str, doc_ids: list[str], snapshot: Snapshot) -> bool:
    words = [frozenset(query_tokens(w)) for w in _PART_WORDS.get(part, part).split()]
    return any(snapshot.spread(doc_id, forms) > 0 for doc_id in doc_ids for forms in words)


def missing_part(question: str, snapshot: Snapshot) -> str:
    """Why the question cannot be answered when it asks the report it names for something that report's
    evaluation does not have: a management response never published, the conclusions of terms of reference.

    Every document the words naming the report run through as they run through the report (its brief,
    its response) counts as part of the evaluation; one that names it in passing does not. A part is
    missing when no section of the evaluation is of its type and its text never names it.
    """
    evaluation = named_evaluation(snapshot, question)
    if evaluation is None:
        return ""
    named, members = evaluation
    outline = snapshot.outline()
    family_ids = sorted(members)
    family = [outline[doc_id] for doc_id in family_ids]
    title = outline[named].title or "the report the question names"
    if "management response" in document_kinds(question) and not any(
            d.kind == "management response" or "management_response" in d.section_types for d in family):
        return f"No management response to “{title}” is indexed."
    # Terms of reference describe an evaluation still to come: they speak of its recommendations and
    # conclusions in the future tense, so their words are no sign of having any.
    planned = all(d.kind == "terms of reference" for d in family)
    for part in asked_parts(question):
        if not any(part in d.section_types for d in family) and (
                planned or not _words_for(part, family_ids, snapshot)):
            return f"“{title}” has no {_PART_NAMES.get(part, part)}" + (
                ": it is the terms of reference of an evaluation to come." if planned else ".")
    return ""


def unknown_names(question: str, snapshot: Snapshot) -> list[str]:
    """Name-like words of the question (capitalised mid-sentence, acronyms,
    codes) that occur nowhere in the corpus."""
    out: list[str] = []
    for i, m in enumerate(_WORD.finditer(question)):
        word = m.group(0).strip("'’.-/")
        if len(word) < 3 or word.lower() in STOPWORDS or word.lower() in _GENERIC:
            continue
        starts_sentence = i == 0 or question[: m.start()].rstrip().endswith((".", "?", "!", ":"))
        name_like = (word[0].isupper() and not starts_sentence) or word.isupper() or any(c.isdigit() for c in word)
        if not name_like:
            continue
        if not any(snapshot.has_term(t) for t in query_tokens(word)):
            out.append(word)
    return out


def missing_figure(question: str, texts: list[str]) -> str:
    """Why a question asking for a count or a sum has no answer in these sentences (the named report's,
    when it names one): none holds a number next to what is counted, or a sum of money. A sentence on the
    topic without the figure ("the budget was increased five times") is no answer to "how much"."""
    wanted = answer_pattern(question, bound=True)
    if isinstance(wanted, CountOf):
        if not any(wanted.search(t) for t in texts):
            return "No passage found gives the number asked for."
    elif wanted is MONEY and not any(MONEY.search(t) for t in texts):
        return "No passage found gives the sum asked for."
    elif wanted is MONEY and asks_own_cost(question) and not any(_costed(t) for t in texts):
        return "No passage found gives the cost asked for."  # a programme's budget is not its evaluation's cost
    return ""


# "How much did the evaluation cost?", "... the KonTerra contract ... cost WFP?": what the evaluation itself
# cost, a figure reports seldom give and never as the programme's budget.
_OWN_COST = re.compile(
    r"\b(?:evaluation|contract|consultancy)\s+(?:[\w'’-]+\s+){0,2}?(?:cost|costs|fees?)\b"
    r"|\b(?:cost|fees?|price|budget)\s+(?:of|for)\s+(?:the\s+|this\s+|its\s+)?(?:[\w'’-]+\s+){0,3}?"
    r"(?:evaluation|contract|consultancy)\b",
    re.I,
)
_COST_WORDS = ("cost", "coût", "cout", "costo", "contract", "contrat", "contrato", "fee", "honorai", "price", "prix",
               "paid", "payé", "pagad", "spent", "expendit", "dépens", "depens", "gasto")


def asks_own_cost(question: str) -> bool:
    """"How much did the evaluation cost?": the evaluation's own cost, not the programme's budget."""
    return bool(_OWN_COST.search(question))


def _costed(text: str) -> bool:
    """A sum of money with a word of cost just before it or after it ("the contract cost USD 45,000"), or
    the evaluation's own budget ("the evaluation's budget was EUR 40,000")."""
    for m in MONEY.finditer(text):
        near = TOKEN.findall(text[: m.start()].lower())[-8:] + TOKEN.findall(text[m.end():].lower())[:4]
        if any(t.startswith(w) for t in near for w in _COST_WORDS):
            return True
        if any(t.startswith(("budget", "presupuesto")) for t in near) and \
                any(t.startswith(("evaluat", "évaluat", "evaluac")) for t in near):
            return True
    return False
