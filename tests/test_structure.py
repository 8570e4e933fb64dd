"""Headings -> section paths, types and DAC criteria (blocks made by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.sections import build_sections, classify_section, detect_criteria, paragraphs, topic_spans
from assistant.models import Block

ILO_SUMMARY = Path(__file__).resolve().parent.parent / "corpus" / (
    "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
)


def h(text: str, level: int = 1, page: int | None = 1) -> Block:
    return Block(text=text, level=level, page=page)


def p(text: str, page: int | None = 1) -> Block:
    return Block(text=text, page=page)


def test_heading_stack_gives_paths_and_drops_heading_only_runs():
    sections = build_sections(
        [
            p("Cover text before any heading."),
            h("1. Introduction"),
            h("1.1 Context", 2),
            p("The country context."),
            h("1.2 Scope", 2),
            h("1.2.1 Geographic scope", 3),
            p("Four countries."),
            h("2. Findings"),
            p("Findings overview."),
            h("2.1 Relevance", 3),  # a skipped level still nests under the last shallower heading
            p("Relevant."),
            h("Annex 3"),
            h("Interview list", 2),
            p("List of persons met."),
        ]
    )
    assert [s.path for s in sections] == [
        [],
        ["1. Introduction", "1.1 Context"],
        ["1. Introduction", "1.2 Scope", "1.2.1 Geographic scope"],
        ["2. Findings"],
        ["2. Findings", "2.1 Relevance"],
        ["Annex 3", "Interview list"],
    ]
    assert [s.type for s in sections] == ["other", "background", "methodology", "findings", "findings", "annex"]
    assert sections[1].title == "1. Introduction > 1.1 Context"


def test_heading_markup_is_cleaned_and_runaway_headings_truncated():
    [section] = build_sections([h("**BACKGROUND & CONTEXT**"), h("word " * 100, 2), p("Body.")])
    assert section.path[0] == "BACKGROUND & CONTEXT"
    assert len(section.path[1]) <= 151 and section.path[1].endswith("…")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["Executive summary"], "summary"),
        (["Résumé exécutif"], "summary"),
        (["RÉSUMÉ D’ÉVALUATION"], "summary"),
        (["Introduction"], "background"),
        (["Context"], "background"),
        (["Contexte"], "background"),
        (["Project description"], "background"),
        (["BACKGROUND & CONTEXT"], "background"),
        (["Methodology"], "methodology"),
        (["Méthodologie"], "methodology"),
        (["Evaluation approach"], "methodology"),
        (["Limitations"], "methodology"),
        (["Scope of the evaluation"], "methodology"),
        (["Key findings"], "findings"),
        (["Constatations"], "findings"),
        (["Résultats"], "findings"),
        (["Conclusions"], "conclusions"),
        (["Recommendations"], "recommendations"),
        (["Recommandations"], "recommendations"),
        (["Recommendation 3"], "recommendations"),
        (["Lessons learned"], "lessons_learned"),
        (["Lessons"], "lessons_learned"),
        (["LL-1"], "lessons_learned"),
        (["Leçons apprises"], "lessons_learned"),
        (["Enseignements tirés"], "lessons_learned"),
        (["Good practices"], "good_practices"),
        (["Emerging good practice"], "good_practices"),
        (["GP1"], "good_practices"),
        (["Bonnes pratiques"], "good_practices"),
        (["Management response"], "management_response"),
        (["Management Response Matrix"], "management_response"),
        (["Réponse de la direction"], "management_response"),
        (["Annex 3"], "annex"),
        (["Annexe 2 : Liste des personnes rencontrées"], "annex"),
        (["Acknowledgements"], "other"),
    ],
)
def test_classification_english_and_french(path, expected):
    assert classify_section(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["Annex 3", "Interview list"], "annex"),  # nothing said: inherited
        (["MAIN FINDINGS & CONCLUSIONS", "Effectiveness"], "findings"),  # first named wins
        (["Conclusions and recommendations"], "conclusions"),
        (["RECOMMENDATIONS, LESSONS LEARNED AND GOOD PRACTICES", "LL-2"], "lessons_learned"),  # nearest wins
        (["Executive summary", "Key findings"], "findings"),
        (["Annex 2", "Lessons learned template"], "lessons_learned"),  # evaluative products escape annexes
        (["Annex 1: Terms of reference", "Background"], "annex"),  # a ToR's own background does not
        (["3. Effectiveness"], "findings"),  # a bare criterion heading means findings ...
        (["Conclusions", "Effectiveness"], "conclusions"),  # ... unless an ancestor says otherwise
        (["2.1 EQ1: How good is the policy?"], "findings"),
        (["Summary of the project purpose, logic and structure"], "background"),  # not an executive summary
        (["4. RECOMMENDATIONS", "ANNEX G. TERMS OF REFERENCE", "EVALUATION CONTEXT"], "annex"),
        (["Evaluation of the project", "PROJECT SUMMARY"], "background"),
    ],
)
def test_classification_inheritance_and_precedence(path, expected):
    assert classify_section(path) == expected


def test_criteria_from_heading_are_inherited_by_subsections():
    sections = build_sections(
        [h("Findings"), h("Relevance and coherence", 2), h("Alignment", 3), p("Aligned with national plans.")]
    )
    assert sections[0].criteria == ["relevance", "coherence"]
    assert detect_criteria("Efficacité et efficience", heading=True) == ["effectiveness", "efficiency"]
    assert detect_criteria("4.6 Validity of design", heading=True) == ["validity_of_design"]
    assert detect_criteria("Impact evaluation of the project", heading=True) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("With respect to the first evaluation criteria, **Relevance**, the Evaluation found a fit.", "relevance"),
        ("On the **Validity of Design**, it was found that the LogFrame formed a well-balanced design.",
         "validity_of_design"),
        ("The **Coherence** of the programme is relatively high since it is embedded.", "coherence"),
        ("Overall, the Effectiveness of the programme was found to be quite satisfactory.", "effectiveness"),
        ("The ***Efficiency of Resource Usage*** was found to be satisfactory.", "efficiency"),
        ("With respect to Impact Orientation, it was found that a longer intervention is needed.", "impact"),
        ("Sustainability: several results are expected to last.", "sustainability"),
        ("The Exit or Sustainability Plan of the programme is based on Better Work.", "sustainability"),
        ("En termes de pertinence (75 %), le projet a répondu aux priorités.", "relevance"),
        ("La cohérence avec d’autres initiatives est satisfaisante.", "coherence"),
        ("S’agissant de la durabilité, les acquis commencent à être institutionnalisés.", "sustainability"),
        ("Quant à la viabilité, elle reste fragile.", "sustainability"),
    ],
)
def test_criteria_from_lead_sentence(text, expected):
    assert detect_criteria(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "The programme was relevant to national priorities and had a visible impact on workers.",
        "Nevertheless, important inroads have been made towards impact, and awareness has grown.",
        "Trainings were delivered in four countries. Participants said they improved the sustainability of practices.",
        "Put the programme on the map with a high-level Sustainability Workshop in Japan in the coming months.",
        "Overall, the Management Arrangements were relatively effectively organized by the ILO.",
        "L’évaluation révèle des résultats positifs, bien qu’une implication locale eût renforcé son impact.",
        "The IMPACT study was the first impact evaluation of the programme.",  # a name, not the criterion
        "Evaluation criteria: Relevance, coherence, effectiveness, efficiency and sustainability.",  # a list
        "sustainability and the development of the 2017 policy:",  # a fragment cut by the layout
        "7.2 Cost-effectiveness of the programme was high.",
    ],
)
def test_no_criteria_from_passing_mentions(text):
    assert detect_criteria(text) == []


def test_section_criteria_collect_paragraph_leads():
    [section] = build_sections(
        [
            h("MAIN FINDINGS & CONCLUSIONS"),
            p("The conclusions are analysed according to the OECD/DAC criteria."),
            p("With respect to the first evaluation criteria, Relevance, the evaluation found a good fit."),
            p("The Efficiency of Resource Usage was found to be satisfactory; the impact was not assessed."),
        ]
    )
    assert section.type == "findings"
    assert section.criteria == ["relevance", "efficiency"]


def test_labelled_items_open_their_own_sections():
    sections = build_sections(
        [
            h("RECOMMENDATIONS, LESSONS LEARNED AND GOOD PRACTICES"),
            h("Main Recommendations", 2),
            p("1) Continue capacity building."),
            p("**LL-1** – The approval processes of large events can take a considerable amount of time, so it is"),
            p("advisable to manage the expectations.", page=2),
            p("**LL-2** – The garment sector can act as an example.", page=2),
            p("**GP1**– It has been shown to be a Good Practice to embed the programme.", page=2),
            p("Recommendation 3: Extend the programme to Laos.", page=2),
        ]
    )
    assert [(s.path[-1], s.type) for s in sections] == [
        ("Main Recommendations", "recommendations"),
        ("LL-1", "lessons_learned"),
        ("LL-2", "lessons_learned"),
        ("GP1", "good_practices"),
        ("Recommendation 3", "recommendations"),
    ]
    assert len(sections[1].blocks) == 2  # the page-broken continuation stays with LL-1
    assert sections[1].path[:2] == ["RECOMMENDATIONS, LESSONS LEARNED AND GOOD PRACTICES", "Main Recommendations"]


def test_topic_carries_into_following_paragraphs_until_a_new_one_opens():
    texts = [
        "Overall, the Effectiveness of the programme was found to be quite satisfactory.",  # sets it
        "In general, many stakeholders underlined the quality of the advisory work.",  # carries it on
        "15 IOM (2022). The Impact of COVID-19 on migrants.",  # a footnote: neither sets nor ends it
        "Figure 3. Coherence of tools across offices",  # a caption: likewise
        "The programme also faced delays in two countries.",  # still effectiveness
        "With respect to the ultimate objective, conditions were created.",  # a topic of its own ends it
        "Stakeholders were positive.",
        "With respect to Sustainability, results are expected to last; the Efficiency was fine.",
        "Pour l’efficience, le projet a bien utilisé ses ressources. La cohérence est satisfaisante.",
        "Le projet a adopté une approche inclusive.",  # after several criteria, none is carried
    ]
    sections = build_sections([h("Findings")] + [p(t) for t in texts])
    spans = topic_spans(sections[0].path, texts)
    assert [sorted({c for _, cs in s for c in cs}) for s in spans] == [
        ["effectiveness"], ["effectiveness"], [], [], ["effectiveness"], [], [], ["sustainability"],
        ["coherence", "efficiency"], [],
    ]
    assert spans[8] == [(0, ["efficiency"]), (texts[8].index("La cohérence"), ["coherence"])]
    assert topic_spans(["TABLE OF CONTENTS"], ["Relevance ______ 16"]) == [[]]


def test_labels_in_response_matrices_and_numbered_findings():
    sections = build_sections(
        [
            h("MANAGEMENT RESPONSE MATRIX"),
            p("Evaluation recommandation # 1: (Time 0) : Le PNUD et l’OIM devraient renforcer la contextualisation."),
            p("Management response - accept (Time 1) Key actions:"),
            p("1. Intégrer des éléments de diagnostic participatif."),
            p("Finding 1.1. The framework is consistent with United Nations guidance."),
            p("2 Recommendation 2: WFP leadership should ensure that safeguards are applied."),
        ]
    )
    assert [(s.path[-1], s.type) for s in sections] == [
        ("Evaluation recommandation # 1", "recommendations"),
        ("Management response", "management_response"),
        ("Finding 1.1", "findings"),
        ("Recommendation 2", "recommendations"),
    ]


def test_page_broken_paragraphs_are_rejoined_but_new_sentences_are_not():
    blocks = [p("The evaluation found that the METI programme had"), p("effectively responded.", 2), p("Next one.", 2)]
    assert [len(group) for group in paragraphs(blocks)] == [2, 1]


def test_real_ilo_summary_types_and_criteria():
    loaders = pytest.importorskip("assistant.ingest.loaders", reason="assistant.ingest.loaders is not importable yet")
    sections = build_sections(loaders.load(ILO_SUMMARY).blocks)
    by_type: dict[str, list] = {}
    for section in sections:
        by_type.setdefault(section.type, []).append(section)
    findings = [s for s in by_type["findings"] if "FINDINGS" in s.title]
    assert findings, [s.title for s in sections]
    criteria = {c for s in findings for c in s.criteria}
    assert {"relevance", "validity_of_design", "coherence", "effectiveness", "efficiency", "impact",
            "sustainability"} <= criteria
    assert any("BACKGROUND" in s.title.upper() for s in by_type["background"])
    recommendations = " ".join(b.text for s in by_type["recommendations"] for b in s.blocks)
    assert "HRDD-Day" in recommendations and "electronics sector in Viet Nam" in recommendations
    lessons = {s.path[-1]: s for s in by_type["lessons_learned"]}
    practices = {s.path[-1]: s for s in by_type["good_practices"]}
    assert {"LL-1", "LL-2"} <= set(lessons) and {"GP1", "GP2"} <= set(practices)
    assert "garment sector" in " ".join(b.text for b in lessons["LL-2"].blocks)


def test_numbering_and_front_matter_decide_the_tree_not_fonts():
    """An abbreviations list set larger than the chapters, a cover, an inner title page, and "2." in
    the font of "1.4": the tree is rooted at the chapters, and 2.1 sits under 2, never under 1.4."""
    text = "Body text of this part of the report, long enough to be a paragraph of its own."
    blocks = [
        Block(text="Water for Growth Programme", page=1, level=1),
        Block(text="Final Evaluation Report", page=1, level=3),
        Block(text="Water for Growth Programme", page=2, level=2),
        Block(text="External evaluation", page=2, level=3),
        Block(text="Acknowledgements", page=3, level=2),
        Block(text="We thank the programme staff for their help with the field work and data.", page=3),
        Block(text="List of abbreviations", page=4, level=1),
        Block(text="IOM International Organization for Migration", page=4),
        Block(text="1. Introduction", page=5, level=2),
        Block(text=text, page=5),
        Block(text="1.4 Scope", page=6, level=3),
        Block(text=text, page=6),
        Block(text="2. Findings", page=7, level=3),
        Block(text=text, page=7),
        Block(text="2.1 Relevance", page=7, level=3),
        Block(text=text, page=8),
        Block(text="Bologna", page=8, level=4),
        Block(text=text, page=8),
    ]
    paths = [s.path for s in build_sections(blocks)]
    body = paths[paths.index(["1. Introduction"]):]
    assert body == [["1. Introduction"], ["1. Introduction", "1.4 Scope"], ["2. Findings"],
                    ["2. Findings", "2.1 Relevance"], ["2. Findings", "2.1 Relevance", "Bologna"]]
    assert ["List of abbreviations"] in paths and ["Acknowledgements"] in paths


def test_a_labelled_item_closes_the_heading_of_the_item_before():
    """A matrix whose "Recommendation 6:" is a heading but 7 and 8 are body labels: 7 is not under 6."""
    blocks = [
        Block(text="Evaluation recommendation 6:", page=4, level=1),
        Block(text="Recommendation to: the project team, in the next phase of the programme.", page=4),
        Block(text="Evaluation recommendation 7: To strengthen the communication with partners.", page=5),
        Block(text="Evaluation recommendation 8: To develop a robust monitoring system.", page=5),
    ]
    paths = [s.path for s in build_sections(blocks)]
    assert paths == [["Evaluation recommendation 6:"], ["Evaluation recommendation 7"], ["Evaluation recommendation 8"]]


def test_a_lettered_group_opening_inside_a_numbered_section_stays_in_it():
    """"A)" and "B)" set in the chapters' font inside "3.2 Recommendations" are its groups, not chapters;
    "4. Annexes" closes them all."""
    text = "Body text of this part of the report, long enough to be a paragraph of its own."
    blocks = [Block(text="3. Conclusions and recommendations", page=1, level=1), Block(text=text, page=1),
              Block(text="3.2 Recommendations", page=1, level=2), Block(text=text, page=1),
              Block(text="A) Strategic vision", page=2, level=1), Block(text=text, page=2),
              Block(text="B) Individual fundraising", page=3, level=1), Block(text=text, page=3),
              Block(text="4. Annexes", page=4, level=1), Block(text=text, page=4)]
    paths = [s.path for s in build_sections(blocks)]
    assert paths == [["3. Conclusions and recommendations"],
                     ["3. Conclusions and recommendations", "3.2 Recommendations"],
                     ["3. Conclusions and recommendations", "3.2 Recommendations", "A) Strategic vision"],
                     ["3. Conclusions and recommendations", "3.2 Recommendations", "B) Individual fundraising"],
                     ["4. Annexes"]]
    assert [classify_section(p) for p in paths[2:4]] == ["recommendations", "recommendations"]
