"""Counts bound to what they count: "how many interviews" is answered by "52 interviews", not by "81 requests".

A sentence with any number in it is a weak sign of an answer to a "how many"
question: reports are full of numbers. The classic stronger sign is the
number next to the thing counted, the question's own noun ("How many people
were interviewed?" ... "interviews with 151 persons"), in any of the three
languages and spelled out or in digits.
"""

from __future__ import annotations

import re

from assistant.index.tokens import fold, query_tokens, stemmer
from assistant.search.glossary import TRANSLATED, translated_forms

__all__ = ["TOKEN", "CountOf", "counted"]

# "how many data requests did ...", "number of staff", "combien d'entretiens", "cuántas escuelas".
_ASKED = re.compile(
    r"\b(?:how many|number of|nombre d['’]|nombre de|combien d['’]|combien de|cu[aá]nt[oa]s)\s*"
    r"(?P<words>(?:[\w’'-]+\s+){0,2}[\w’'-]+)",
    re.I,
)
_STOP = frozenset(
    """did do does were was are is have has had will would could can the a an in of for to by at on with from
    were le la les des du de a ont sont est pour par dans en y el la los las del se han fueron
    times fois veces""".split()  # "how many times" counts occasions, named by no noun
)
# Things counted under several names. People: "how many people" is answered by "151 persons" or "214
# respondents", "how many returnees" by "428 beneficiaries" (whom a project serves are its beneficiaries).
# An evaluation's interviews and focus groups by their acronyms ("68 KIIs, 25 FGDs"); pupils as schoolchildren.
_KINDRED = [
    frozenset("""people persons person individuals respondents participants interviewees informants stakeholders
    beneficiaries migrants returnees refugees personnes repondants participants informateurs beneficiaires
    migrants rapatries retournes refugies personas participantes encuestados beneficiarios migrantes retornados
    refugiados""".split()),
    frozenset("interviews interview kiis kii entretiens entrevistas".split()),
    frozenset("fgds fgd focus groupes grupos".split()),
    frozenset("pupils students schoolchildren learners eleves etudiants alumnos estudiantes".split()),
]
_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
    un une deux trois quatre cinq sept huit neuf dix onze douze treize quatorze quinze seize vingt trente
    quarante cinquante soixante cent mille
    uno una dos tres cuatro cinco seis siete ocho nueve diez once doce quince veinte treinta cuarenta cincuenta
    cien ciento mil""".split()
)
TOKEN = re.compile(r"\d[\d,.]*|[^\W\d_]+")  # a number or a word, what a figure and its noun are made of
WINDOW = 4  # the counted noun follows its number within this many words ("161 data service requests")
# or comes just before it, alone or with one of these between: "staffing from 10 to three", "respondents (N=2271)"
_YEAR = re.compile(r"(?:19|20)\d\d")
_LINKS = frozenset("from of at was were is are n totalled totaling numbering de à a fue fueron".split())


def _key(word: str) -> str:
    """Enough of a word to meet its other forms: "interview" meets "interviews" and "interviewed"."""
    return word[: max(5, len(word) - 2)]


def counted(question: str) -> frozenset[str] | None:
    """The nouns a "how many" question counts, folded and cut to their common stem, and their French and
    Spanish stems marked "=" (a stem matched whole: "parties prenantes" gives "part", which must not meet
    "participants"); None if it counts nothing."""
    m = _ASKED.search(question)
    if m is None:
        return None
    words: list[str] = []
    for word in TOKEN.findall(fold(m["words"])):
        if word in _STOP or word.isdigit():
            break
        words.append(word)
    if not words:
        return None
    keys = {_key(w) for w in words}
    for kin in _KINDRED:
        if kin.intersection(words):
            keys |= {_key(w) for w in kin}
    for word in words:  # counted in a French report: "women" as "26 femmes" (glossary.py)
        keys |= {"=" + f for f in translated_forms(frozenset(query_tokens(word)))}
    return frozenset(keys)


class CountOf:
    """A sentence where a number is followed, within a few words, by one of the counted nouns (a `Marker`)."""

    def __init__(self, keys: frozenset[str]):
        self.keys = keys
        self.pattern = "count:" + ",".join(sorted(keys))

    def search(self, text: str) -> bool:
        found = list(TOKEN.finditer(text))
        tokens = [fold(m.group(0)) for m in found]
        for i, token in enumerate(tokens):
            if token[0].isdigit() and (_footnote(text, found, i) or _share(text, found, i)):
                continue
            if token[0].isdigit() or token in _NUMBER_WORDS:
                before = [] if _YEAR.fullmatch(token) else tokens[max(0, i - 2) : i]  # "staff in 2024": no count
                before = before[:1] if before and before[-1] in _LINKS else before[-1:]
                if any(self._counts(t) for t in tokens[i + 1 : i + 1 + WINDOW] + before):
                    return True
        return False

    def _counts(self, token: str) -> bool:
        """The token is one of the counted nouns: by its start, or by its whole French or Spanish stem."""
        return any(token.startswith(k) for k in self.keys if k[0] != "=") or bool(
            self.keys & {"=" + stemmer(language).stemWord(token) for language in TRANSLATED})


def _footnote(text: str, found: list[re.Match[str]], i: int) -> bool:
    """A note's or an item's number, not a count: a bare number between the start of a sentence or a
    capitalised word and a capitalised word ("157 JI-HoA Stakeholder Survey.", "Djibouti 153 Interviews
    with ..."); "with 151 Syrian refugees" and "Fifty two (52) Interviews" are counts."""
    after = found[i + 1].group(0) if i + 1 < len(found) else ""
    before = found[i - 1].group(0) if i > 0 else ""
    between = text[found[i - 1].end() : found[i].start()] if i > 0 else ""
    return after[:1].isupper() and (not before or before[:1].isupper() and "(" not in between)


def _share(text: str, found: list[re.Match[str]], i: int) -> bool:
    """A percentage, not a count: "30% of women", "40 per cent of respondents"."""
    after = found[i + 1].group(0).lower() if i + 1 < len(found) else ""
    return text[found[i].end() :].lstrip().startswith("%") or after in ("per", "percent", "pour", "por")
