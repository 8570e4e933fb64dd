"""How text becomes index terms, for passages, records and queries alike.

Acronyms and codes (HRDD, IN/285, RT.1354) survive tokenisation; words are
case- and accent-folded, stopwords dropped, and stemmed per the text's
language (English, French or Spanish). A query does not know which language
it will meet, so its words are stemmed every way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["LANGUAGES", "STOPWORDS", "WORD", "doc_tokens", "fold", "query_terms", "query_tokens", "raw_tokens", "stemmer"]

WORD = re.compile(r"[\w]+(?:[./-][\w]+)*", re.UNICODE)  # a word, or a code with inner . / -
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it its
    of on or our so such than that the their them then there these they this those to was were what when where which
    while who whom why will with would should may might must not no nor also about after before between during
    over under up down out more most other some any each all both few many much very s t just only own same too
    le la les un une des du de d l et en est sont au aux ce ces cette qui que quoi dont où ou par pour sur dans
    avec sans se sa son ses leur leurs il elle ils elles on nous vous pas ne plus été être a ont fait
    el los las del al y e o u con por para su sus es fue son se lo una uno unos unas como pero más muy ya
    entre sobre sin este esta estos estas ese esa han ha ser está están también hasta desde cuando""".split()
)
LANGUAGES = {"en": "english", "fr": "french", "es": "spanish"}  # the stemmers of the languages indexed as such


def fold(text: str) -> str:
    """Lower case without accents: "Évaluation" and "evaluation" are one term."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@lru_cache(maxsize=4)
def stemmer(language: str):
    """The Snowball stemmer of a language: English for any language not in LANGUAGES."""
    import Stemmer

    return Stemmer.Stemmer(LANGUAGES.get(language, "english"))


def raw_tokens(text: str) -> list[str]:
    """Words and codes, case-folded and accent-folded; stopwords dropped.

    A code like `IN/285` or `RT.1354` is kept whole and also split, so both
    `IN/285` and `285` find it.
    """
    out: list[str] = []
    for match in WORD.finditer(fold(text)):
        word = match.group(0)
        if any(sep in word for sep in "./-"):
            out.append(word)
            out.extend(p for p in re.split(r"[./-]", word) if p and p not in STOPWORDS)
        elif word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            out.append(word)
    return out


def doc_tokens(text: str, language: str | None) -> list[str]:
    """A passage's or record's terms, stemmed in its own language."""
    stem = stemmer(language or "en").stemWord
    return [t if not t.isalpha() else stem(t) for t in raw_tokens(text)]


def query_tokens(text: str, languages: tuple[str, ...] = ("en", "fr")) -> list[str]:
    """A query's BM25 terms, each word stemmed in English and French (it may meet either). Another
    language's stems are searched on that language's passages only (search/lexical.py): each extra form
    of a word that matches counts the word again."""
    return [form for forms in _word_forms(text, languages) for form in sorted(forms)]


def query_terms(text: str) -> list[frozenset[str]]:
    """Each distinct word of a query as the set of its stemmed forms, in every language of LANGUAGES.

    Counting forms separately would weigh an English word's never-seen French
    stem ("identified") as a rare term missing from every passage.
    """
    return list(dict.fromkeys(_word_forms(text, tuple(LANGUAGES))))


def _word_forms(text: str, languages: tuple[str, ...]) -> list[frozenset[str]]:
    stems = [stemmer(language).stemWord for language in languages]
    return [frozenset({t}) if not t.isalpha() else frozenset(stem(t) for stem in stems) for t in raw_tokens(text)]
