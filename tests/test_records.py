"""Evaluation records: extraction from the sample reports, storage with the
index, hybrid search, filters, export."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from assistant import Assistant
from assistant.cli import main as cli
from assistant.export import records_from_csv, records_to_csv, records_to_xlsx
from assistant.ingest.loaders import load
from assistant.ingest.records import extract_records
from assistant.ingest.sections import build_sections
from assistant.models import Block, Document

ILO = "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
AAP = "iom_aap_evaluation_report_2024.pdf"
HOA_MR = "iom_hoa_eu_joint_initiative_management_response_2023.pdf"


def _doc_id(assistant, source: str) -> str:
    return next(d.doc_id for d in assistant.documents() if d.source == source)


def _extract(blocks: list[Block]):
    doc = Document(doc_id="d", source="x.txt", path="x.txt", format="text")
    return extract_records(doc, build_sections(blocks))


def test_ilo_summary_gives_its_14_records(indexed):
    assistant, _ = indexed
    records = assistant.lessons(filters={"doc_id": _doc_id(assistant, ILO)}, k=500)
    assert [(r.type, r.number) for r in records] == (
        [("recommendation", str(n)) for n in range(1, 11)]
        + [("lesson", "LL-1"), ("lesson", "LL-2"), ("good_practice", "GP1"), ("good_practice", "GP2")]
    )
    by_number = {r.number: r for r in records}
    # the whole item, joined across the blank lines that cut it, without its marker or label
    assert by_number["1"].text.startswith("Continue the programmatic areas")
    assert by_number["1"].text.endswith("funded by METI for 2024-2026).")
    assert by_number["6"].text.endswith("still considered a relatively new area.")
    assert by_number["3"].title == "Enhance the regional cross-country sharing of experiences"
    assert by_number["LL-1"].text.startswith("The approval processes")
    assert by_number["LL-1"].text.endswith("availability of the tripartite constituents.")
    assert all(r.organisation == "ILO" and r.year == 2024 and r.source == ILO for r in records)
    assert all("RECOMMENDATIONS, LESSONS LEARNED AND GOOD PRACTICES" in r.section for r in records)
    assert len({r.id for r in records}) == 14


def test_iom_report_records_have_numbers_pages_and_no_junk(corpus_dir):
    parsed = load(corpus_dir / AAP)
    doc = Document(doc_id="aap", source=AAP, path=AAP, format="pdf")
    records = extract_records(doc, build_sections(parsed.blocks))
    main = [r for r in records if r.type == "recommendation" and r.section.startswith("4. RECOMMENDATIONS > Recommendation")]
    assert [r.number for r in main] == [str(n) for n in range(1, 10)]
    assert [r.page for r in main] == [37, 37, 37, 38, 38, 38, 39, 39, 40]
    assert main[0].text.startswith("The AAP team should clarify")  # the label "Recommendation 1:" is the number
    assert "• Map existing CFM systems." in main[7].text  # sub-actions stay with their recommendation
    assert "management response given to these recommendations" not in " ".join(r.text for r in records)  # the intro
    # the two case studies in the annex: Ethiopia (4 lessons, 9 recommendations), Türkiye (2 and 5)
    annex = [r for r in records if "CASE STUDIES" in r.section]
    assert [r.number for r in annex if r.type == "recommendation"] == [str(n) for n in range(1, 10)] + [str(n) for n in range(1, 6)]
    assert sum(r.type == "lesson" for r in annex) == 6
    assert len(records) == 29
    for r in records:
        assert len(r.text) >= 60 and not r.text.endswith("?") and "...." not in r.text
        assert r.page is not None and 37 <= r.page <= 60


def test_management_response_pairs_each_recommendation_with_its_status(indexed):
    assistant, _ = indexed
    records = assistant.lessons(filters={"doc_id": _doc_id(assistant, HOA_MR)}, k=500)
    recs = [r for r in records if r.type == "recommendation"]
    responses = [r for r in records if r.type == "management_response"]
    assert [r.number for r in recs] == [r.number for r in responses] == [str(n) for n in range(1, 8)]
    assert {r.title for r in responses} == {"Accepted"}
    assert not any("Do not complete this column" in r.text for r in responses)  # template text
    assert recs[0].text.startswith("Enhance efforts with national, regional, and local stakeholders")


def test_what_is_not_a_record():
    blocks = [
        Block(text="Table of contents", level=1),
        Block(text="4. Recommendations ........................ 37"),
        Block(text="Findings", level=1),
        Block(text="The evaluation makes a recommendation on funding, see Recommendation 2 below."),
        Block(text="Key recommendations", level=1),
        Block(text="The evaluation makes three recommendations:"),
        Block(text="1. Fund the hub for three more years."),
        Block(text="2. Train the focal points in every office."),
        Block(text="a) Publish the data"),  # another marker style: a sub-item of 2
        Block(text="The programme used its resources well."),  # after a compact list: another column
    ]
    records = _extract(blocks)
    assert [(r.type, r.number) for r in records] == [("recommendation", "1"), ("recommendation", "2")]
    assert records[1].text == "Train the focal points in every office.\na) Publish the data"


def test_lessons_filters_and_validation(indexed):
    assistant, _ = indexed
    lessons = assistant.lessons(type="lesson", filters={"organisation": "ILO"})
    assert [r.number for r in lessons] == ["LL-1", "LL-2"]
    assert [r.number for r in assistant.lessons(type="Good practices", filters={"organisation": "ILO"})] == ["GP1", "GP2"]
    haiti = assistant.lessons(filters={"country": "Haiti"}, k=500)
    assert haiti and all("Haiti" in r.countries for r in haiti)
    assert {r.type for r in haiti} == {"lesson", "recommendation", "management_response"}
    years = assistant.lessons(filters={"year": "2025-"}, k=500)
    assert years and all(r.year >= 2025 for r in years)
    assert len(assistant.lessons(k=3)) == 3
    everything = assistant.lessons(k=500)
    assert len(everything) > 100 and not any(r.source.startswith("unicef") for r in everything)
    with pytest.raises(ValueError, match="lesson, good_practice, recommendation, management_response"):
        assistant.lessons(type="finding")
    for bad in (0, 501, "5"):
        with pytest.raises(ValueError, match="k must be"):
            assistant.lessons(k=bad)
    with pytest.raises(ValueError, match="does not apply to records"):
        assistant.lessons(filters={"section_type": "findings"})
    with pytest.raises(ValueError, match="unknown filter"):
        assistant.lessons(filters={"colour": "red"})


def test_query_ranks_the_relevant_record_first(indexed):
    assistant, _ = indexed
    top = assistant.lessons("getting big events approved by governments is slow, so keep expectations realistic", k=5)
    assert (top[0].source, top[0].number) == (ILO, "LL-1")
    assert top[0].score >= top[1].score > 0
    top = assistant.lessons("hire women to answer the complaints hotline", type="recommendation", k=3)
    assert top[0].source == AAP and top[0].number == "6" and "female hotline operators" in top[0].text


def test_records_go_with_their_document_and_come_back_for_an_old_index(small_corpus, tmp_path):
    assistant = Assistant(index_dir=tmp_path / "index", corpus_dir=small_corpus)
    assistant.ingest([small_corpus])
    doc_id = _doc_id(assistant, ILO)
    assert len(assistant.lessons(filters={"doc_id": doc_id})) == 14
    assert assistant.document(doc_id).records == 14

    # an index built before records existed: no records, no records version
    doc = assistant.store.document(doc_id)
    assistant.store.records.delete(where={"doc_id": doc_id})
    got = assistant.store.docs.get(ids=[doc_id], include=["metadatas", "embeddings"])
    old = doc.model_copy(update={"records": 0, "records_version": 0})
    assistant.store.docs.update(ids=[doc_id], embeddings=[list(got["embeddings"][0])],
                                documents=[old.model_dump_json()], metadatas=got["metadatas"])
    chunks = assistant.store.count()
    report = assistant.ingest([small_corpus])
    assert report.unchanged == 3 and report.added == report.updated == 0 and report.failed == []
    assert assistant.store.count() == chunks
    assert len(assistant.lessons(filters={"doc_id": doc_id})) == 14
    assert assistant.document(doc_id).records_version >= 1

    assert assistant.remove(doc_id)
    assert assistant.store.records.get(where={"doc_id": doc_id})["ids"] == []
    assert assistant.lessons(filters={"doc_id": doc_id}) == []
    assert assistant.lessons(k=500)  # the other documents keep theirs


def test_csv_and_xlsx_exports_round_trip(indexed, tmp_path):
    assistant, _ = indexed
    records = assistant.lessons("gender equality strategy", k=20)
    text = records_to_csv(records)
    assert text.splitlines()[0].startswith("id,type,number,parent,title,text,")
    assert records_from_csv(text) == records
    path = records_to_xlsx(records, tmp_path / "records.xlsx")
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "type", "number") and len(rows) == len(records) + 1
    assert rows[1][0] == records[0].id and rows[1][5] == records[0].text


def test_cli_lessons(indexed, capsys):
    assistant, _ = indexed
    index = str(assistant.settings.index_dir)
    assert cli(["lessons", "--index", index, "--type", "lesson", "--filter", "organisation=ILO", "--csv"]) == 0
    rows = records_from_csv(capsys.readouterr().out)
    assert [r.number for r in rows] == ["LL-1", "LL-2"]
    assert cli(["lessons", "trade unions", "--index", index, "--k", "2"]) == 0
    assert "2 records" in capsys.readouterr().out
    assert cli(["lessons", "--index", index, "--type", "finding"]) == 2
    assert "use one of" in capsys.readouterr().err


# -- list answers built from records -------------------------------------------------


def _markers_valid(answer) -> bool:
    used = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    return used == set(range(1, len(answer.citations) + 1))


def test_list_question_answers_with_the_reports_numbered_items(indexed):
    a, _ = indexed
    answer = a.ask("What lessons were learned?", filters={"organisation": "ILO"})
    assert answer.found
    assert "**LL-1**" in answer.text and "**LL-2**" in answer.text
    assert _markers_valid(answer)
    assert answer.citations and all(c.organisation == "ILO" for c in answer.citations)
    # each item is cited to the passage it starts in
    lines = [line for line in answer.text.splitlines() if line.startswith("- ")]
    for line in lines:
        n = int(re.search(r"\[(\d+)\]", line).group(1))
        opening = re.sub(r"^- (\*\*[^*]+\*\* )?", "", line).split()[:6]
        flat = " ".join(answer.citations[n - 1].text.split())
        assert " ".join(opening) in flat, line


def test_general_list_question_draws_on_several_reports(indexed):
    a, _ = indexed
    answer = a.ask("What were the recommendations?")
    assert answer.found and _markers_valid(answer)
    assert len({c.doc_id for c in answer.citations}) >= 3
    assert answer.text.startswith("Recommendations from ")


def test_list_question_on_a_topic_keeps_the_items_on_it(indexed):
    a, _ = indexed
    answer = a.ask("What were the recommendations on gender equality?")
    items = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert items and _markers_valid(answer)
    assert all(re.search(r"gender|women|female", line, re.I) for line in items), items


def test_a_summary_restating_the_recommendations_gives_one_record_each():
    """The executive summary numbers them, the chapter gives them in full, unnumbered: one record per item,
    at the chapter's page, with the summary's number and page."""
    items = ["Consider and assess targeting other border zones in Mali and Niger, such as the south of the region.",
             "Develop a multi-year action plan for the border security framework, with detailed monitoring."]
    blocks = [Block(text="Executive summary", page=6, level=1), Block(text="Recommendations", page=6, level=2)]
    blocks += [b for n, text in enumerate(items, 1)
               for b in (Block(text=f"Recommendation {n}", page=6, level=3), Block(text=text, page=6))]
    blocks += [Block(text="5. Recommendations", page=40, level=1)]
    blocks += [Block(text=f"• {text} The evaluation found this to matter for the next phase.", page=40) for text in items]
    records = _extract(blocks)
    assert [(r.type, r.number, r.page, r.also_pages) for r in records] == [
        ("recommendation", "1", 40, [6]), ("recommendation", "2", 40, [6])]
    assert records[0].text.startswith("Consider and assess") and "next phase" in records[0].text


def test_matrix_items_sharing_their_boilerplate_stay_apart():
    blocks = []
    for n in (1, 2, 3):
        blocks += [Block(text=f"Evaluation recommendation {n}: (Time 0)", page=n, level=2),
                   Block(text=f"Strengthen area {'ABC'[n - 1]} of the project with the partners in the region.", page=n),
                   Block(text="Management response - accept (Time 1)", page=n),
                   Block(text="Key actions: (Time 1) Implementation monitoring status - open/completed: (Time 2)", page=n)]
    records = _extract(blocks)
    assert [r.number for r in records if r.type == "recommendation"] == ["1", "2", "3"]
    assert not any(r.also_pages for r in records)


def test_what_did_the_evaluation_recommend_on_a_topic_answers_with_that_reports_item(indexed):
    """The seed question: recommendation 6 of the ILO report (a Gender Equality Strategy), and that report only."""
    assistant, _ = indexed
    answer = assistant.ask("What did the evaluation recommend on gender in the ILO value chains project?")
    assert answer.found and "Gender Equality Strategy" in answer.text.split("\n- ")[1]
    assert "**6**" in answer.text and "from 1 report" in answer.text
    assert {p.source for p in answer.citations} == {ILO}


def test_a_table_with_bare_and_run_in_item_numbers_gives_each_item_at_its_page():
    """A recommendation table as text extraction leaves it: item numbers without a dot ("1 Enhance"), a
    number alone in its cell ("4") above its text, sub-items run into the line before ("... plan. 1.2.
    WFP to ..."), the other columns' cells between rows, and a row that starts on one page and whose
    items carry on to the next. Numbers out of order (a year, "17 schools") start nothing."""
    blocks = [Block(text="3.3. Recommendations", page=61, level=2),
              Block(text="1 Enhance resilience to external shocks through adaptive management.", page=61),
              Block(text="1.1. WFP should strengthen the institutional capacity of the agency through a capacity "
                         "building plan. 1.2. WFP to develop strategic planning for the school component, in "
                         "17 schools.", page=61),
              Block(text="Responsibility (one lead office/ entity)", page=61),
              Block(text="Operational WFP CO High", page=61),
              Block(text="synergies with other stakeholders in 2024. 2 Ensure the institutionalization of "
                         "monitoring and evaluation. 2.1. Finalize the terms of reference for the platform.", page=62),
              Block(text="4", page=62),  # 3 lost to the layout: 4 is out of order and stays a cell
              Block(text="3", page=62),
              Block(text="Secure sustainable long-term funding for the programme's operations.", page=62)]
    records = _extract(blocks)
    got = [(r.number, r.parent, r.page, r.text.split()[0]) for r in records if r.type == "recommendation"]
    assert got == [("1", None, 61, "Enhance"), ("1.1", "1", 61, "WFP"), ("1.2", "1", 61, "WFP"),
                   ("2", None, 62, "Ensure"), ("2.1", "2", 62, "Finalize"), ("3", None, 62, "Secure")]


def test_lettered_groups_that_count_from_one_again_number_their_items_and_responses():
    """A response matrix grouped A-F, each group's recommendations numbered from 1 and its responses
    labelled "Recommendation 2 accepted: ...": records A.1, B.1, B.2, and one response to each."""
    blocks = [Block(text="EVALUATION RECOMMENDATION A - COMMUNICATION", page=1, level=2),
              Block(text="1. Communication with beneficiaries should be reinforced in the transit centres.", page=1),
              Block(text="Management response (Accept/Partially Accept/Reject)", page=1, level=3),
              Block(text="Recommendation accepted. Audiovisual tools can be developed under new projects.", page=1),
              Block(text="EVALUATION RECOMMENDATION B - REINTEGRATION SUPPORT", page=2, level=2),
              Block(text="1. Explore the possibilities to ensure reintegration support in each country.", page=2),
              Block(text="2. Tie in the reintegration assistance with community stabilisation projects.", page=2),
              Block(text="Management response (Accept/Partially Accept/Reject)", page=2, level=3),
              Block(text="Recommendation 1 accepted: This recommendation depends fully on availability of funds.",
                    page=2),
              Block(text="Recommendation 2 partially accepted: Although feasible, this depends on other programmes.",
                    page=3)]
    records = _extract(blocks)
    assert [(r.type, r.number, r.page) for r in records] == [
        ("recommendation", "A.1", 1), ("management_response", "A.1", 1),
        ("recommendation", "B.1", 2), ("recommendation", "B.2", 2),
        ("management_response", "B.1", 2), ("management_response", "B.2", 3)]
    responses = [r for r in records if r.type == "management_response"]
    assert [r.title for r in responses] == ["Accepted", "Accepted", "Partially accepted"]
    assert responses[2].text.startswith("Although feasible")


def test_lettered_groups_that_go_on_counting_keep_the_numbers_and_a_repeated_table_header_splits_nothing():
    """A table of recommendations in groups A) and B) under "3.2 Recommendations", numbered 1, 1.1 then 2,
    2.1 across them, with its column headers repeated on each page: the items keep their numbers, and the
    headers (read as headings by the loader) neither close the section nor become records."""
    header = ["RECOMMENDATION LEAD RESPONSIBILITY", "OTHER CONTRIBUTING", "PRIORITY BY WHEN"]
    blocks = [Block(text="3. Conclusions and recommendations", page=69, level=1),
              Block(text="3.2. Recommendations", page=69, level=2),
              Block(text="The five recommendations below build on the positive results.", page=69)]
    for page, group, items in ((70, "A) STRATEGIC VISION", ["1 Prepare a fresh strategic vision for partnerships.",
                                                            "1.1 Advocate for clear commitment to growth."]),
                               (71, "B) INDIVIDUAL FUNDRAISING", ["2 Optimize the fundraising programme's results.",
                                                                 "2.1 Undertake a full reforecast of the targets."]),
                               (72, "PPR, STR, CAM", [])):
        blocks += [Block(text=group, page=page, level=1)] + [Block(text=h, page=page, level=1) for h in header]
        blocks += [Block(text=text, page=page) for text in items] + [Block(text="Strategic High Q3 2024", page=page)]
    records = _extract(blocks)
    assert [(r.number, r.parent, r.page) for r in records] == [
        ("1", None, 70), ("1.1", "1", 70), ("2", None, 71), ("2.1", "2", 71)]
    assert not any("RESPONSIBILITY" in r.text or "PRIORITY" in r.text for r in records)
