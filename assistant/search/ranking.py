"""How the candidates' scores become one: weights, fusion and the bonuses a question earns.

Scores are fused linearly, BM25 scaled by the query's best BM25 score (it
beat reciprocal rank fusion at every chunk size tried). The bonuses add
what the question says of where its answer lies: a part of the report
("suggest" -> recommendations), a kind of document ("according to the
brief"), a DAC criterion. The figures behind each constant are in
docs/experiments.md ("Fusion", "The focused question", "Bonuses").
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

import numpy as np

from assistant.index.tokens import raw_tokens
from assistant.ingest.sections import detect_criteria
from assistant.search.apparatus import APPARATUS_PENALTY, asks_about_apparatus, is_apparatus
from assistant.search.candidates import Candidate
from assistant.search.intent import document_kinds, section_types

__all__ = [
    "ANSWER_BONUS",
    "CRITERION_BONUS",
    "FAMILY_OVERLAP",
    "FOCUS_WEIGHTS",
    "INTENT_BONUS",
    "KIND_BONUS",
    "KIND_NEAR",
    "NAMED_BONUS",
    "WEIGHTS",
    "fuse",
    "hybrid",
    "kin_titles",
    "same_family",
]

WEIGHTS = {"dense": 1.0, "lexical": 0.5, "sentence": 0.5}  # passage cosine, scaled BM25, best-sentence cosine
FOCUS_WEIGHTS = {"dense": 0.5, "sentence": 0.5}  # the focused question's passage and best-sentence cosine (focus.py)
INTENT_BONUS = 0.2  # a passage in the part of the report the question points at (intent.section_types)
ANSWER_BONUS = 0.2  # a sentence holding the kind of answer asked for: a quantity, a date (answer_types.answer_pattern)
# A passage of the document kind the question names ("according to the learning brief"):
# a report, its brief and its response share their wording, and only the question says
# which it means. It acts almost as a filter, so it is kept to the family of the reports
# the best KIND_NEAR passages come from, or another project's brief would win.
KIND_BONUS = 0.6
KIND_NEAR = 10
FAMILY_OVERLAP = 0.5  # titles sharing this share of their words (Jaccard) are one family
CRITERION_BONUS = 0.2  # a passage tagged with the DAC criterion the question names, in either language
# A passage of the evaluation the question names ("... for the ILO evaluation?"): another report's
# passage on the same topic is not the answer (focus.report_family).
NAMED_BONUS = 0.3

Score = TypeVar("Score", float, np.ndarray)


def hybrid(dense: Score, lexical: Score, best_lexical: float) -> Score:
    """Dense and BM25 fused: cosine plus half the BM25 score relative to the query's best."""
    return WEIGHTS["dense"] * dense + WEIGHTS["lexical"] * lexical / best_lexical


def fuse(pool: dict[str, Candidate], question: str, focus_dense: dict[str, float],
         focus_best: dict[str, float], named_title: str = "", named_docs: frozenset[str] = frozenset()
         ) -> list[Candidate]:
    """Every candidate's fused score, best first (ties in id order, the same every run).

    A document kind the question names ("according to the final evaluation") is sought in the family of
    the report it names (`named_title`), else of the best passages. A passage of that report's evaluation
    (`named_docs`) scores NAMED_BONUS more."""
    top_lexical = max((c.lexical_score or 0.0 for c in pool.values()), default=0.0) or 1.0
    wanted_types = section_types(question)
    named = set(detect_criteria(question, heading=True))
    apparatus_penalty = 0.0 if asks_about_apparatus(question) else APPARATUS_PENALTY
    for cand in pool.values():  # a list a candidate is missing from adds nothing
        cand.fused = (
            hybrid(cand.dense_score or 0.0, cand.lexical_score or 0.0, top_lexical)
            + WEIGHTS["sentence"] * (cand.sentence_score or 0.0)
            + FOCUS_WEIGHTS["dense"] * focus_dense.get(cand.chunk_id, 0.0)
            + FOCUS_WEIGHTS["sentence"] * focus_best.get(cand.chunk_id, 0.0)
            + (INTENT_BONUS if cand.meta.get("section_type") in wanted_types else 0.0)
            + (CRITERION_BONUS if named.intersection(cand.meta.get("criteria") or ()) else 0.0)
            + (NAMED_BONUS if cand.meta.get("doc_id") in named_docs else 0.0)
            - (apparatus_penalty if is_apparatus(cand.text, cand.meta.get("section", "")) else 0.0)
        )
    ranked = sorted(pool.values(), key=lambda c: (-c.fused, c.chunk_id))
    wanted_kinds = document_kinds(question)
    if wanted_kinds:
        related = same_family(ranked, KIND_NEAR, named_title)
        for cand in ranked:
            if cand.meta.get("kind") in wanted_kinds and (cand.meta.get("title", "") in related
                                                          or cand.meta.get("doc_id") in named_docs):
                cand.fused += KIND_BONUS
        ranked.sort(key=lambda c: (-c.fused, c.chunk_id))
    return ranked


@lru_cache(maxsize=4096)
def _title_words(title: str) -> frozenset[str]:
    return frozenset(raw_tokens(title))


def kin_titles(a: str, b: str) -> bool:
    """Two documents of one evaluation: a report and its brief or response share half their title words."""
    wa, wb = _title_words(a), _title_words(b)
    return bool(wa and wb) and len(wa & wb) >= FAMILY_OVERLAP * len(wa | wb)


def same_family(ranked: list[Candidate], near: int, seed_title: str = "") -> set[str]:
    """Titles of `seed_title`'s document, or else of those the best `near` passages come from, and of their kin.

    A report, its brief and its management response carry nearly the same
    title ("Final Evaluation of/for the EU-IOM Joint Initiative ..."): titles
    sharing at least FAMILY_OVERLAP of their words (Jaccard) are one family.
    """
    seeds = {_title_words(seed_title)} if seed_title else {_title_words(c.meta.get("title", "")) for c in ranked[:near]}

    def kin(words: frozenset[str]) -> bool:
        return any(len(words & seed) >= FAMILY_OVERLAP * max(1, len(words | seed)) for seed in seeds)

    return {title for title in {c.meta.get("title", "") for c in ranked} if kin(_title_words(title))}
