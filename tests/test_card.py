"""The report card: one evaluation at a glance, every line the report's own words, cited to its page."""

from __future__ import annotations

import re

import pypdf
import pytest
from fastapi.testclient import TestClient

from assistant.answer.card import summary_request
from assistant.serve.app import create_app

ILO = "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
HOA_FINAL = "iom_hoa_eu_joint_initiative_final_evaluation_2023.pdf"
HOA_MR = "iom_hoa_eu_joint_initiative_management_response_2023.pdf"


def _doc(assistant, source):
    return next(d for d in assistant.documents() if d.source == source)


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def test_the_ilo_card_has_its_ten_recommendations_and_graded_findings(indexed, corpus_dir):
    assistant, _ = indexed
    card = assistant.card(_doc(assistant, ILO).doc_id)
    assert [r.number for r in card.records["recommendation"]] == [str(n) for n in range(1, 11)]
    assert {"lesson", "good_practice"} <= set(card.records)
    grades = {f.criterion: f.rating for f in card.findings}
    assert grades["effectiveness"] == "quite satisfactory" and grades["efficiency"] == "satisfactory"
    assert grades["coherence"] == "relatively high"
    assert {"relevance", "impact", "sustainability"} <= set(grades)
    text = _words((corpus_dir / ILO).read_text())
    for finding in card.findings:  # the report's own sentences, not paraphrases
        assert _words(finding.sentence) in text, finding.sentence
        assert finding.citation.source == ILO
    assert card.summary and _words(card.summary.split(". ")[0]) in text
    assert "Countries:" not in card.summary  # the fact sheet is not the summary's opening


def test_a_finding_is_cited_at_the_page_that_holds_it(indexed, corpus_dir):
    assistant, _ = indexed
    card = assistant.card(_doc(assistant, HOA_FINAL).doc_id)
    relevance = next(f for f in card.findings if f.criterion == "relevance")
    assert relevance.rating == "3.9/5"
    page = pypdf.PdfReader(str(corpus_dir / HOA_FINAL)).pages[relevance.citation.page - 1].extract_text()
    assert _words(relevance.sentence) in _words(page)
    kin = {r.kind for r in card.related}
    assert {"brief", "management response"} <= kin  # its brief and its management response are linked
    response = assistant.card(_doc(assistant, HOA_MR).doc_id)
    assert not response.summary and len(response.records["management_response"]) == 7


def test_summarise_in_the_chat_answers_with_the_card(indexed):
    assistant, _ = indexed
    answer = assistant.ask("Summarise the ILO value chains evaluation")
    assert answer.found and "Findings by criterion" in answer.text and "quite satisfactory" in answer.text
    assert {c.source for c in answer.citations} == {ILO}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == set(range(1, len(answer.citations) + 1))  # every line cited, every citation used
    # Named by its brief's words, the full report's card answers unless the brief is asked for.
    hoa = assistant.ask("Give me an overview of the EU-IOM Joint Initiative evaluation in the Horn of Africa")
    assert hoa.citations[0].source == HOA_FINAL, hoa.citations[0].source


@pytest.mark.parametrize("question, named", [
    ("Summarise the ILO value chains evaluation", "the ILO value chains evaluation"),
    ("Give me the gist of the AAP report?", "the AAP report"),
    ("Résume l'évaluation du projet Haïti", "l'évaluation du projet Haïti"),
    ("Summarise the lessons on gender from the AAP evaluation", None),  # a list question
    ("What were the main findings of the AAP evaluation?", None),
    ("Summary of data collection", None),
])
def test_which_questions_ask_for_a_card(question, named):
    assert summary_request(question) == named


def test_the_card_over_http(indexed):
    assistant, _ = indexed
    doc = _doc(assistant, ILO)
    with TestClient(create_app(assistant, ui=False)) as client:
        body = client.get(f"/api/documents/{doc.doc_id}/card").json()
        assert body["document"]["doc_id"] == doc.doc_id and len(body["records"]["recommendation"]) == 10
        assert client.get("/api/documents/not-a-document/card").status_code == 404
    keyed = create_app(assistant, settings=assistant.settings.with_(api_keys="card-key-0123456789abcdef"), ui=False)
    with TestClient(keyed) as client:
        assert client.get(f"/api/documents/{doc.doc_id}/card").status_code == 401
        assert client.get(f"/api/documents/{doc.doc_id}/card", headers={"X-API-Key": "wrong-key-0123456789"}).status_code == 401
        ok = client.get(f"/api/documents/{doc.doc_id}/card", headers={"X-API-Key": "card-key-0123456789abcdef"})
        assert ok.status_code == 200 and ok.json()["findings"]


def test_no_card_opens_with_boilerplate_or_grades_a_definition(indexed):
    """A brief's template ("This evaluation brief presents ...", "More details can be found in the full
    evaluation report") is not its summary; "Relevance is the extent to which ..." is not a finding."""
    assistant, _ = indexed
    boilerplate = re.compile(r"brief presents|More details can be found|note d.évaluation présente|"
                             r"De plus amples informations|opinions expressed|would like to thank", re.I)
    cards = [assistant.card(d.doc_id) for d in assistant.documents()]
    assert sum(1 for c in cards if c.summary) >= 8
    for card in cards:
        assert not boilerplate.search(card.summary), (card.document.source, card.summary[:120])
        for finding in card.findings:
            assert "extent to which" not in finding.sentence, finding.sentence
