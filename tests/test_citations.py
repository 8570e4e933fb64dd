"""A citation names the page of the sentence it cites, not the page its passage starts on."""

from __future__ import annotations

import pytest
from badfiles import text_pdf

from assistant import Assistant
from assistant.answer.base import Citations, passage_page
from assistant.models import Passage, page_at

FILLER = [
    "The evaluation reviewed the county health programme over three years of implementation.",
    "Field visits covered twelve facilities and the county health management team.",
    "Interviews were held with nurses, clinical officers and community leaders.",
    "Documents reviewed included annual work plans and the results framework.",
]


@pytest.fixture(scope="module")
def two_page_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("citations")
    corpus = folder / "corpus"
    corpus.mkdir()
    page1 = ["# Final evaluation of the Kisumu county health programme", "", "# Findings", ""] + FILLER * 3
    page2 = [
        "Training went further than planned in the second year of the programme.",
        "The project trained 412 community health workers in Kisumu county against a target of 300.",
        "Refresher courses were held twice a year for all of them.",
    ]
    text_pdf(corpus / "kisumu_health_final_evaluation_2023.pdf", [page1, page2])
    assistant = Assistant(index_dir=folder / "index", corpus_dir=corpus)
    report = assistant.ingest([corpus])
    assert report.added == 1, report
    return assistant


def test_a_sentence_on_the_next_page_is_cited_at_that_page(two_page_report):
    assistant = two_page_report
    answer = assistant.ask("How many community health workers did the project train?")
    assert "412 community health workers" in answer.text
    cited = [p for p in answer.citations if "412 community health workers" in p.text]
    assert cited and all(p.page == p.page_end == 2 for p in cited)
    # The passage itself runs from page 1 to 2; as a search result it is cited where its matching sentence is.
    query = "How many community health workers did the project train?"
    spanning = [p for p in assistant.retriever.search(query, k=5) if (p.page, p.page_end) == (1, 2)]
    assert spanning and all(p.anchor is not None and "412" in p.text[p.anchor:] for p in spanning)
    found = {p.chunk_id: p for p in assistant.search(query, k=5)}
    assert all((found[p.chunk_id].page, found[p.chunk_id].page_end) == (2, 2) for p in spanning)


def test_page_marks_give_each_offset_its_page():
    marks = [[0, 7], [812, 8], [1500, 9]]
    assert [page_at(marks, at, 7) for at in (0, 811, 812, 1499, 1500, 4000)] == [7, 7, 8, 8, 9, 9]
    passage = Passage(chunk_id="d:00001", doc_id="d", source="r.pdf", text="x" * 2000, page=7, page_end=9,
                      metadata={"page_marks": marks})
    assert passage_page(passage, 900) == 8 and passage_page(passage, None) is None
    cites = Citations()
    assert (cites.mark(passage, 10), cites.mark(passage, 900), cites.mark(passage, 950)) == ("[1]", "[2]", "[2]")
    assert [(p.page, p.page_end) for p in cites.passages] == [(7, 7), (8, 8)]
