"""What kind of answer a question wants, and the sentences that hold one.

Classic answer-type matching in question answering, read from the wording:
"how many ..." is answered by a sentence with a quantity in it, "when ..." by
one with a date, "who led the evaluation" by a credit (a role next to a name),
"why" by a reason. Each type is a `Marker`: retrieval gives the best sentence
holding one a bonus, and the extractive answer prefers (for a count, a sum or
a place, requires) a sentence holding one. English, French and Spanish.
"""

from __future__ import annotations

import re

from assistant.index.snapshot import Marker
from assistant.ingest.entities import find_places
from assistant.search.counting import CountOf, counted

__all__ = ["BUDGET_LINE", "DATE", "DURATION", "EVALUATOR", "FUNDER", "GRADE", "LEADER", "MANAGER", "MONEY", "PARTIAL",
           "PLACE", "QUANTITY", "REASON", "REJECTED", "RESPONDENT", "STANCE", "Credits", "answer_pattern"]


# "How many people were interviewed" is answered by "interviews with 151 persons (69 female)".
_QUANTITY_QUESTION = re.compile(
    r"\b(?:how (?:many|much|big|large|long|well funded)|what (?:share|percentage|proportion|fraction|number|amount|size)"
    r"|number of|combien|quel(?:le)? (?:part|pourcentage|montant|nombre))\b",
    re.I,
)
# "What was the budget of ..." by "a budget of USD 6.8 million", not by "from 1 April 2022".
_MONEY_QUESTION = re.compile(
    r"\b(?:what|quel(?:le)?) (?:was|is|were|are|était|est|étaient) (?:the |le |la |l['’])?(?:[\w'’-]+ ){0,3}?"
    r"(?:budget|cost|funding|value|amount|montant|coût|financement)\b"
    r"|\bhow much (?:money|funding)\b|\bhow much did\b.*\b(?:cost|give|raise|spend|receive|contribute|pay)\b",
    re.I,
)
MONEY = re.compile(
    r"(?:USD|US\$|EUR|CHF|GBP|CAD|FCFA|XOF|\$|€|£)\s?\d"
    r"|\((?:USD|EUR|CHF|GBP|CAD|FCFA|XOF|[A-Z]{2,3}\$)\)\s?(?!(?:19|20)\d\d\b)\d"  # "(CAD$) 2,749,046", not "(USD) 2019"
    r"|\d[\d,.\u00a0\u202f ]*\s?(?:million|billion|thousand|millions|milliards?|mille|millones|mil|m|bn|k)?\s?"
    r"(?:de\s+|d['’])?(?:USD|EUR|CHF|GBP|CAD|FCFA|XOF|dollars?|d[óo]lares|euros?|francs?)\b",
    re.I,
)



class _BudgetLine:
    """A sum of money with its budget or funding word just before it: "Budget : USD 3 000 000", "Total
    Confirmed Funding: (CAD$) 2,749,046", "financed ... with an amount of USD 6.8 million" (a `Marker`);
    not "the estimated cost per migrant is around 15.00 euro per day"."""

    pattern = "<budget line>"
    _word = re.compile(r"\b(?:budget\w*|fund\w*|financ\w*|montant|presupuesto)\b", re.I)  # not "cost per migrant"

    def search(self, text: str) -> bool:
        return any(self._word.search(text[max(0, m.start() - 60) : m.start()]) for m in MONEY.finditer(text))


BUDGET_LINE = _BudgetLine()
# "Which countries did the programme cover?" by "implemented in Bangladesh, Cambodia, Japan and Viet Nam".
_PLACE_QUESTION = re.compile(
    r"\b(?:which|what|in which) (?:countr(?:y|ies)|regions?)\b|^\W*where\b|\b(?:quels?|quelles?|dans quels?) pays\b",
    re.I,
)
# "How long should repayments be deferred?" by "un différé d'au moins trois (3) mois", not by "trois (3) villes".
_DURATION_QUESTION = re.compile(r"^\W*how long\b|\bcombien de temps\b|\bcu[aá]nto tiempo\b|\bfor how many (?:days|weeks|months|years)\b",
                                re.I)
DURATION = re.compile(
    r"(?:\d[\d.,]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen|twenty|thirty|un|une|deux|trois"
    r"|quatre|cinq|six|sept|huit|neuf|dix|douze|dix-huit|vingt|trente|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve"
    r"|diez|doce))\s*(?:\(\d+\)\s*)?(?:days?|weeks?|months?|years?|jours?|semaines?|mois|ans?|années?|días?|semanas?"
    r"|mes(?:es)?|años?)\b",
    re.I,
)
# "How good is the policy?", "How relevant was the project?" by a grade: "is of moderately good quality",
# "was found highly relevant", "remains largely satisfactory".
_GRADE_QUESTION = re.compile(r"^\W*how (?:good|well|relevant|effective|efficient|sustainable|coherent|satisfactory"
                             r"|successful|strong|weak)\b", re.I)
GRADE = re.compile(
    r"\b(?:is|was|were|are|be|been|remains?|remained|rated(?: as)?|found(?: to be)?|considered|judged|assessed as)\s+"
    r"(?:of\s+)?(?:(?:highly|moderately|quite|relatively|very|largely|partially|partly|fully|generally|mostly|rather"
    r"|not|only)\s+)?(?:satisfactory|unsatisfactory|good|poor|high|low|strong|weak|relevant|effective|efficient"
    r"|sustainable|coherent|successful|adequate|limited|modest|mixed)\b",
    re.I,
)
# "Why couldn't the evaluator visit Gao?" by "Security restrictions hindered ...", "due to ...", "because ...".
_REASON_QUESTION = re.compile(r"^\W*(?:why|pourquoi|¿?por qu[ée])\b", re.I)
REASON = re.compile(
    r"\b(?:because|due to|owing to|as a result of|caused by|since|given that|hinder\w*|prevent\w*|restrict\w*"
    r"|limit\w* by|reasons?|attributed to|stem\w* from|parce que|en raison d[eu']|à cause d[eu']|du fait d[eu']|(?:dû|dûs|dûe|dûes|due|dues) (?:à|aux?)\b"
    r"|car\b|faute d[e']|porque|debido a|a causa de|por falta de|dado que)",
    re.I,
)
_TIME_QUESTION = re.compile(r"^\W*(?:when|quand)\b|\b(?:what|which) (?:year|month|date|day)|\bby when\b", re.I)
# A quantity: a percentage, a sum of money, "12 out of 14", or a count of something
# ("151 persons", "3,000 non-active staff"); a bare year is not one, nor a footnote's or an item's number
# before a capital ("296 ILO (2021).", "16 This finding ...").
QUANTITY = re.compile(
    r"\d[\d,.\u00a0\u202f ]*\s?(?:%|per ?cent|pour ?cent|percent)"
    r"|(?:USD|EUR|US\$|\$|€|£|CHF)\s?\d"
    r"|\d[\d,.]*\s?(?:million|billion|thousand|millions|milliards?|mille|m\b|bn\b)"
    r"|\b(?:out of|sur)\s+\d"
    r"|(?<![\w.])(?!(?:19|20)\d\d\b)\d{1,3}(?:[,\u00a0\u202f ]\d{3})*(?:\.\d+)?\s+\(?(?-i:[a-zà-ÿ])[\w-]*",
    re.I,
)
DATE = re.compile(
    r"\b(?:19|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b"
    r"|\b(?:month|mois|year|année|week|semaine)s?\s+\d",
    re.I,
)


# "Why did IOM reject ...?", "Did management accept ...?" by "Partially accepted. The initial phase ..." or
# "This recommendation is rejected because ...": the response's stance, not the recommendation it answers.
_STANCE_QUESTION = re.compile(r"\b(?:reject\w*|accept\w*|agree\w*|disagree\w*|rejet\w*|rechaz\w*|acept\w*)\b", re.I)
STANCE = re.compile(
    r"\b(?:accepted|rejected|agreed|disagreed|acceptée?s?|rejetée?s?|aceptada?s?|rechazada?s?)\b"
    r"|\b(?:partially|partiellement|parcialmente) accept|\baccept(?:ed)? in part\b",
    re.I,
)
# "Which recommendation did IOM reject?", "... only partially accepted?": that stance, not any.
_REJECT_QUESTION = re.compile(r"\b(?:reject\w*|rejet\w*|rechaz\w*|disagree\w*)", re.I)
REJECTED = re.compile(r"\b(?:rejected|disagreed|not accepted|rejetée?s?|non acceptée?s?|rechazada?s?)\b", re.I)
_PARTIAL_QUESTION = re.compile(r"\b(?:partial\w*|partly|in part|partiel\w*|parcial\w*)", re.I)
PARTIAL = re.compile(r"\b(?:partially|partly|partiellement|parcialmente)\b|\baccept(?:ed)? in part\b", re.I)


# "Who evaluated ...?", "Who led the evaluation team?" by the report's credits ("Team Leader – Katrina Rojas",
# "developed by the evaluation team of PPMI Group"); "Who funded ...?" by "funded by the Dutch Government".
_AGENT_QUESTION = re.compile(
    r"^\W*(?:who|qui|quién(?:es)?)\s+(?:[\w'’-]+\s+){0,5}?(?:evaluat(?:ed|es|e|ing)\b|led|leads?|lead|conduct\w*|carr\w* out|wr[io]te\w*"
    r"|manag(?:es|ed|e|ing)\b|commission(?:s|ed)?\b|prepar\w*|dirig\w*|réalis\w*|men[ée]\w*|condu\w*|évalu[ée]\b"
    r"|realiz\w*|gestion(?:ne|na|a)\w*)",
    re.I,
)
# A name: capitalised words, two or more ("Katrina Rojas", "PPMI Group", "Célestin SIKUBE TAKAMGNO"), or one
# capitalised inside ("KonTerra"); a lone acronym ("IOM") is the commissioning agency more often than not.
_NAME_WORD = r"[A-ZÀ-Ý][\w'’.-]*"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:(?:de|da|van|von|del|dos|du)\s+)?{_NAME_WORD})+|[A-Z][a-z]+[A-Z]\w*")
_GENERIC = re.compile(r"(?:The|This|These|In|La|Le|Les|El|Los|Las|Un|Une|A)\s")
_BEFORE_NAME = re.compile(r"^(?:\(\w{1,2}\))?[\s:–—,(-]*(?:(?:of|the|de|du|des|del|la|el|group|groupe|firm)\s+)*")


class Credits:
    """A credit for one role: its title or "conducted by" next to a name ("Team Leader – Katrina Rojas",
    "developed by the evaluation team of PPMI Group", "Melissa Andrade Costa (Lead eval.)"), not "led by a
    small AAP unit" or "the evaluation team's assessment". A `Marker`."""

    def __init__(self, role: str, cues: str):
        self.pattern = f"<credits:{role}>"
        self._cues = re.compile(cues, re.I)

    def search(self, text: str) -> bool:
        for m in self._cues.finditer(text):
            after = text[m.end() : m.end() + 80]
            after = after[_BEFORE_NAME.match(after).end():]  # type: ignore[union-attr]
            name = _NAME.match(after)
            if name and not _GENERIC.match(name.group(0) + " "):
                return True
            before = re.search(rf"({_NAME.pattern})[\s(,–-]*$", text[max(0, m.start() - 80) : m.start()])
            if before and not _GENERIC.match(before.group(1) + " "):
                return True
        return False


# Who led the team, who evaluated, who managed or commissioned the evaluation: three credits a report gives.
# "led by" alone is mostly the project's ("growth led by WFP USA"): the team or the evaluation is led.
LEADER = Credits("leader", r"\b(?:team lead\w*|lead(?:ing)? eval\w*|chef d['’]équipe"
                           r"|(?:team|evaluation|équipe|évaluation)\s+(?:was\s+|a\s+été\s+)?(?:led by|dirigée? par)"
                           r"|jefe de(?:l)? equipo|coordinador(?:a)? de(?:l)? equipo)")
EVALUATOR = Credits("evaluator", r"\b(?:team lead\w*|lead(?:ing)? eval\w*|evaluators?\b|evaluation team|consultants?\b"
                                 r"|(?:conducted|carried out|prepared|undertaken|developed|written) by|chef d['’]équipe"
                                 r"|évaluat(?:eur|rice)s?|équipe d['’]évaluation|réalisée? par|menée? par|conduite? par"
                                 r"|equipo de evaluación|evaluador(?:es|a)?|realizad[oa] por)")
MANAGER = Credits("manager", r"\b(?:evaluation (?:manager|officer)|(?:managed|commissioned) by|commandée? par"
                             r"|gérée? par|gestionnaire de l['’]évaluation|a cargo de|oficial de evaluación"
                             r"|gestor(?:a)? de la evaluación|encargad[oa] de la evaluación)")
# Who filled in a management response: "Person or entity responsible for completing the management response
# matrix: Laura BOUCSEIN, Programme Coordinator".
RESPONDENT = Credits("respondent", r"\b(?:responsible for (?:completing|preparing)[^:\n]{0,80}:|(?:completed|filled(?: in)?|signed)"
                                   r" by|(?:MR|response) coordinator\W*|responsable de (?:remplir|compléter|la réponse))")
_RESPONDENT_QUESTION = re.compile(
    r"^\W*(?:who|qui|quién)\b.{0,40}?\b(?:fill\w*|complet\w*|responsible|sign\w*|coordinat\w*|rempli\w*|respons\w*)"
    r"\b.{0,30}?\b(?:management|response|réponse|matri\w*)", re.I)
_LEAD_VERB = re.compile(r"\b(?:led|leads?|heads?|headed|dirig\w*)\b", re.I)
_MANAGE_VERB = re.compile(r"\b(?:manag(?:es|ed|e|ing)|commission(?:s|ed)?|gestion(?:ne|na|a)\w*|gér\w*|encarg\w*)\b",
                          re.I)
_EVALUATION = re.compile(r"\b(?:evaluat|évalu|evalua)", re.I)
_FUNDER_QUESTION = re.compile(r"^\W*(?:who|qui|quién)\b.{0,40}?\b(?:fund\w*|financ\w*|donor|bailleur)", re.I)
FUNDER = re.compile(
    r"\b(?:funded|financed|supported|sponsored|co-?financed) by\b|\bdonors?\b|\bfinancée? par\b|\bbailleurs?\b"
    r"|\bfinanciad[oa] por\b|\bdonantes?\b",
    re.I,
)


class _Places:
    """Countries and regions, in any of the three languages' spellings (ingest/entities.py): a name list,
    not a regular expression, as a pattern of a thousand names would be slow."""

    pattern = "<places>"

    def search(self, text: str) -> bool:
        return bool(find_places(text))


PLACE = _Places()


def answer_pattern(question: str, bound: bool = False) -> Marker | None:
    """What a sentence answering the question has in it (a sum of money, a quantity, a date, a funder, the
    evaluation's authors, a response's stance, a place), if the question says.

    `bound`: a count must stand next to what the question counts ("52 interviews"), as the answer's own
    sentence does. Passages are ranked by any quantity: the counted thing may be named a few sentences
    away, or in another word ("returnees" counted as "beneficiaries")."""
    if _MONEY_QUESTION.search(question):
        return MONEY
    if _DURATION_QUESTION.search(question):
        return DURATION
    if _QUANTITY_QUESTION.search(question):
        nouns = counted(question) if bound else None
        return CountOf(nouns) if nouns else QUANTITY
    if _TIME_QUESTION.search(question):
        return DATE
    if _FUNDER_QUESTION.search(question):
        return FUNDER
    if _RESPONDENT_QUESTION.search(question):
        return RESPONDENT
    if _AGENT_QUESTION.search(question) and _EVALUATION.search(question):
        return LEADER if _LEAD_VERB.search(question) else MANAGER if _MANAGE_VERB.search(question) else EVALUATOR
    if _STANCE_QUESTION.search(question):
        return REJECTED if _REJECT_QUESTION.search(question) else PARTIAL if _PARTIAL_QUESTION.search(question) \
            else STANCE
    if _PLACE_QUESTION.search(question):
        return PLACE
    if _GRADE_QUESTION.search(question):
        return GRADE
    if _REASON_QUESTION.search(question):
        return REASON
    return None
