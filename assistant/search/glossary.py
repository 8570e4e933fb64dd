"""English -> French and Spanish evaluation vocabulary, for English questions on French or Spanish reports.

The embedding model knows English only and BM25 matches words, so "How did the
project score on sustainability?" finds nothing of "En matière de durabilité
(66,7 %) ...". Evaluation reports share a small vocabulary (the OECD/DAC
criteria, the parts of a report, the words of development work and its
sectors), and its
equivalents are added to the lexical query for passages in that language (see
`translated_tokens`). General terms only, not taken from the dev questions'
answers; one table per language (glossaries/<language>.txt), the same English words in each.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from assistant.index.tokens import doc_tokens, fold, query_tokens, raw_tokens, stemmer

__all__ = ["TRANSLATED", "glossary", "translated_forms", "translated_tokens"]

TRANSLATED = ("fr", "es")  # the languages an English question's evaluation words are searched in


@lru_cache(maxsize=len(TRANSLATED))
def glossary(language: str) -> dict[str, tuple[str, ...]]:
    """English word -> its renderings in `language` (one of TRANSLATED)."""
    text = resources.files("assistant.search").joinpath("glossaries", f"{language}.txt").read_text("utf-8")
    lines = (line.split(":", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {en.strip(): tuple(renderings.split()) for en, renderings in lines}


@lru_cache(maxsize=len(TRANSLATED))
def _translations(language: str) -> dict[str, tuple[str, ...]]:
    """English stem -> the stems of its renderings in `language`."""
    en = stemmer("en").stemWord
    out: dict[str, list[str]] = {}
    for english, renderings in glossary(language).items():
        forms = out.setdefault(en(fold(english)), [])
        forms.extend(t for t in doc_tokens(" ".join(renderings), language) if t not in forms)
    return {k: tuple(v) for k, v in out.items()}


def translated_forms(forms: frozenset[str]) -> frozenset[str]:
    """The French and Spanish stems of an English word given as its stemmed forms (`tokens.query_terms`)."""
    return frozenset(f for language in TRANSLATED for form in forms for f in _translations(language).get(form, ()))


def translated_tokens(text: str, language: str) -> list[str]:
    """Stems in `language` of a query's English evaluation words, and of its own words where `query_tokens`
    does not stem in that language, those it does not already search for.

    Every rendering counts ("sustainability": durabilité, pérennité, ...):
    a passage using several of them is the more about it.
    """
    en, table, own = stemmer("en").stemWord, _translations(language), set(query_tokens(text))
    out = [f for t in raw_tokens(text) if t.isalpha() for f in table.get(en(t), ()) if f not in own]
    if language not in ("en", "fr"):  # the query's own words in that language too (query_tokens has two)
        out += [f for f in query_tokens(text, (language,)) if f not in own]
    return list(dict.fromkeys(out))
