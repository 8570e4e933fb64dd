"""A report's bibliography, its lists of evaluation questions and its tables of contents are told from its prose."""

from __future__ import annotations

from assistant.search.apparatus import asks_about_apparatus, is_apparatus

BIBLIOGRAPHY = """ACLED. (2022). The Sahel Mid-Year Update: Persistent, Expanding, and Escalating Instability.
IOM. (2022). Integrated Border Stability Mechanism (IBSM): Concept Note. Draft.
OIM. (2021). Etude des Perceptions des Communautés Frontalières sur la Sécurité.
Camara, Y.-B., Diallo, A. T., & Bah, A. A. (2014). Analyse de situation des ressources humaines pour la santé.
World Bank (2019). Sahel Risk and Resilience Assessment. https://www.worldbank.org/sahel
UNHCR (2020). Mixed movements in the Sahel. Geneva."""

QUESTIONS = """- Were the funds mobilized for the project sufficient to carry out all the activities?
- To what extent have the mechanisms put in place made it possible to optimize the use of resources?
- Were project activities implemented in the most efficient way, compared with alternatives?
- How well were project resources used?
- To what extent did the project deliver its outputs on time?"""

PROSE = """The Efficiency of Resource Usage was found to be satisfactory (ILO, 2021). Expenditures until
mid-April 2024 amounted to almost 88% of the total budget. The budget category with the largest
expenditures in each country is Staff Costs. Were the resources enough? Most stakeholders thought so,
although the timeframe was short (see World Bank (2019). Sahel Risk Assessment)."""


def test_a_bibliography_and_a_list_of_questions_are_apparatus():
    assert is_apparatus(BIBLIOGRAPHY)
    assert is_apparatus(QUESTIONS)
    assert is_apparatus("Bail Carine, L. C. Analyse situationnelle.", "ANNEXES > 5. BIBLIOGRAPHY > Internal Documents")
    assert is_apparatus("IOM Migration Data Strategy.", "REFERENCES")


CONTENTS = """Acknowledgements ............................................................... i
1.1. EVALUATION FEATURES ........................................................ 1
2.4. EFFICIENCY ................................................................. 28
Annex 2. Timeline ............................................................... 56"""


def test_a_table_of_contents_is_apparatus():
    assert is_apparatus(CONTENTS, "Contents")
    assert is_apparatus("Cohérence externe …………… 17\nDurabilité …………… 19\nGenre …………… 21", "Table des matières")
    # one dotted line in prose is not a table of contents
    assert not is_apparatus("See the efficiency section ............ 28\n" + PROSE)


def test_prose_with_citations_or_a_question_is_not():
    assert not is_apparatus(PROSE, "MAIN FINDINGS & CONCLUSIONS")
    assert not is_apparatus("The evaluation answered five questions. " * 3, "ANNEX 1 - TERMS OF REFERENCES")


def test_a_question_about_the_apparatus_lifts_the_penalty():
    assert asks_about_apparatus("Which evaluation questions did the MIRAA III evaluation ask on efficiency?")
    assert asks_about_apparatus("Which documents were reviewed for the AAP evaluation?")
    assert not asks_about_apparatus("How efficiently were the resources of the Mali-Niger project used?")
