"""The UI's own logic without a browser: rendering of answers and sources,
filters from the dropdowns, the chat generator, and the feedback log."""

from __future__ import annotations

import json
import re
import shutil

import gradio as gr
import pytest

from assistant.errors import FeedbackError
from assistant.export import export_jsonl
from assistant.index.feedback import FeedbackLog
from assistant.index.filters import Filters
from assistant.models import Answer, Document, Passage, Record
from ui import render
from ui.chat import record_feedback, respond
from ui.choices import build_filters, choices_from, describe_filters
from ui.lessons import record_html, table_rows

ILO = "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"


def passage(n: int, text: str, **kw) -> Passage:
    base = dict(chunk_id=f"c{n}", doc_id=f"d{n}abc", source=f"doc{n}.pdf", title=f"Report {n}",
                organisation="IOM", year=2023, page=n + 1, section="Findings > Relevance", text=text)
    base.update(kw)
    return Passage(**base)


# --- rendering ---------------------------------------------------------------

def test_cited_sentences_short_and_list_answers():
    text = "Funding was inadequate. [1] Staff were consultants. [2] Both mattered. [1]"
    assert render.cited_sentences(text) == {
        1: ["Funding was inadequate.", "Both mattered."],
        2: ["Staff were consultants."],
    }
    listed = "Recommendations from 2 reports:\n\n**A** (IOM, 2023)\n- Train staff early. [1] (2 of 2 reports)\n- Fund the unit. [2]"
    assert render.cited_sentences(listed) == {1: ["Train staff early."], 2: ["Fund the unit."]}


def test_highlight_matches_reflowed_text_and_escapes_html():
    source = "Intro <b>bold</b>.\n2) resources allocated to central\nAAP functions were found to be inadequate. Tail."
    out = render.highlight(source, ["Resources allocated to central AAP functions were found to be inadequate."])
    assert "<mark>resources allocated to central\nAAP functions were found to be inadequate</mark>" in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out and "<b>" not in out
    # A sentence that is not in the passage (a paraphrase) is not marked.
    assert "<mark>" not in render.highlight(source, ["The money ran out quickly for everyone."])


def test_answer_html_ties_markers_to_source_cards():
    p1 = passage(1, "The unit was funded with earmarked funds. Resources were found to be inadequate.",
                 metadata={"also_in": ["brief.pdf"]})
    p2 = passage(2, "Staff were <ungraded> consultants.", organisation="ILO", year=2024, page=3, page_end=4)
    ans = Answer(question="q", text="Resources were found to be inadequate. [1] Staff were <ungraded> consultants. [2]",
                 citations=[p1, p2])
    out = render.answer_html(ans, anchor="t1")
    assert out.count('class="ea-cite"') == 2
    assert 'href="#t1-src-1"' in out and 'id="t1-src-1"' in out
    assert 'href="#t1-src-2"' in out and 'id="t1-src-2"' in out
    assert "Report 1" in out and "IOM · 2023 · p. 2" in out
    assert "ILO · 2024 · pp. 3–4" in out
    assert "Section: Findings &gt; Relevance" in out
    assert 'href="/api/documents/d1abc/file#page=2" target="_blank"' in out
    assert "<mark>Resources were found to be inadequate</mark>" in out
    assert "<ungraded>" not in out and "&lt;ungraded&gt;" in out
    assert "Also in: brief.pdf" in out


def test_citation_links_are_signed_when_api_keys_are_configured(tmp_path):
    from assistant import security
    from assistant.config import Settings

    ans = Answer(question="q", text="Staff were consultants. [1]", citations=[passage(1, "Staff were consultants.")])
    keyed = Settings.from_env(index_dir=tmp_path, api_keys="k-123")
    link = re.search(r'href="(/api/documents/d1abc/file[^"]*)"', render.answer_html(ans, settings=keyed)).group(1)
    assert "sig=" in link and link.endswith("#page=2")
    query = dict(pair.split("=") for pair in link.split("?")[1].split("#")[0].split("&"))
    assert security.valid_file_link(keyed, "d1abc", int(query["exp"]), query["sig"])
    assert not security.valid_file_link(keyed, "other-doc", int(query["exp"]), query["sig"])
    open_ = Settings.from_env(index_dir=tmp_path)
    assert 'href="/api/documents/d1abc/file#page=2"' in render.answer_html(ans, settings=open_)


def test_not_found_answer_is_marked_without_sources():
    ans = Answer(question="q", text="I could not find an answer. The closest documents are: A (IOM, 2023).", found=False)
    out = render.answer_html(ans)
    assert "Not found in the indexed documents" in out and "ea-notfound" in out
    assert "The closest documents are: A (IOM, 2023)." in out
    assert "ea-sources" not in out


def test_answer_body_renders_lists_and_bold():
    out = render.answer_body("Lessons from 1 report:\n\n**Report <1>**\n- One. [1]\n- Two. [1]")
    assert "<strong>Report &lt;1&gt;</strong>" in out
    assert out.count("<li>") == 2 and "<ul>" in out


def test_file_url_quotes_the_id():
    assert render.file_url("a/b c", 3) == "/api/documents/a%2Fb%20c/file#page=3"
    assert render.file_url("abc") == "/api/documents/abc/file"


# --- filters -----------------------------------------------------------------

def _doc(doc_id, org, year, countries, kind="final"):
    return Document(doc_id=doc_id, source=f"{doc_id}.pdf", path=f"/x/{doc_id}.pdf", format="pdf",
                    title=f"T {doc_id}", organisation=org, year=year, countries=countries, kind=kind)


def test_filter_choices_and_values_are_what_search_accepts():
    docs = [_doc("a", "IOM", 2023, ["Haiti"], "brief"), _doc("b", "ILO", 2024, ["Cambodia", "Viet Nam"]), _doc("c", None, None, [])]
    ch = choices_from(docs)
    assert ch.organisations == ["ILO", "IOM"] and ch.years == [2023, 2024]
    assert ch.countries == ["Cambodia", "Haiti", "Viet Nam"] and ch.kinds == ["brief", "final"]
    assert ("T a (IOM, 2023)", "a") in ch.documents
    raw = build_filters(["ILO"], ["Cambodia"], 2024, 2020, ["final"], ["b"])
    assert raw == {"organisation": ["ILO"], "country": ["Cambodia"], "kind": ["final"], "doc_id": ["b"], "year": "2020-2024"}
    parsed = Filters.parse(raw)
    assert parsed.year_min == 2020 and parsed.year_max == 2024
    assert parsed.match({"organisation": "ILO", "countries": ["Cambodia"], "kind": "final", "doc_id": "b", "year": 2024})
    assert not parsed.match({"organisation": "IOM", "countries": ["Cambodia"], "kind": "final", "doc_id": "b", "year": 2024})
    assert build_filters(None, [], None, None, [], None) == {}
    assert build_filters(year_from=2021) == {"year": "2021-"}
    assert describe_filters({"doc_id": ["b"], "organisation": ["ILO"]}, docs) == "Filtered by doc: T b; organisation: ILO"


# --- lessons table -----------------------------------------------------------

def test_lessons_rows_and_detail():
    r = Record(id="d:lesson:001", type="lesson", number="LL-1", title="Be flexible", text="x" * 400 + " <end>",
               doc_id="d1", source="s.pdf", document_title="Doc", organisation="ILO", countries=["Cambodia", "Viet Nam"],
               year=2024, page=7, section="Lessons")
    [row] = table_rows([r])
    assert row[:2] == ["Lesson learned", "LL-1"] and row[3:] == ["Doc", "ILO", "Cambodia, Viet Nam", 2024, 7]
    assert row[2].startswith("Be flexible: ") and row[2].endswith("…") and len(row[2]) <= 260
    detail = record_html(r)
    assert "&lt;end&gt;" in detail and "<end>" not in detail
    assert 'href="/api/documents/d1/file#page=7"' in detail and "Open page 7" in detail


# --- feedback ----------------------------------------------------------------

def test_feedback_log_round_trip_and_validation(tmp_path):
    log = FeedbackLog(tmp_path)
    ans = Answer(question="q", text="It was inadequate. [1]", citations=[passage(1, "It was inadequate.")])
    first = log.add("Was it adequate?", ans, "up")
    second = log.add("Was it adequate?", ans.model_dump(), "dislike", comment="  wrong page ")
    entries = log.entries()
    assert [e["id"] for e in entries] == [first, second]
    assert entries[0]["rating"] == "up" and entries[1]["rating"] == "down"
    assert entries[1]["comment"] == "wrong page"
    assert entries[0]["answer"] == "It was inadequate. [1]"
    assert entries[0]["citations"][0] == {"n": 1, "doc_id": "d1abc", "source": "doc1.pdf", "title": "Report 1",
                                          "page": 2, "section": "Findings > Relevance", "chunk_id": "c1"}
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", entries[0]["time"])
    # A torn last line (a crash mid-write) is skipped, not fatal.
    with open(log.path, "a") as fh:
        fh.write('{"id": "x", "rat')
    assert len(log.entries()) == 2
    lines = export_jsonl(log.entries()).splitlines()
    assert [json.loads(x)["id"] for x in lines] == [first, second]
    for bad, message in [
        (("Q", ans, "meh"), "rating must be 'up' or 'down'"),
        (("  ", ans, "up"), "needs the question"),
        (("Q", "just text", "up"), "answer must be an Answer"),
        (("Q", {"text": 3}, "up"), "answer is not an Answer: text"),
    ]:
        with pytest.raises(FeedbackError, match=message):
            log.add(*bad)
    with pytest.raises(FeedbackError, match="comment is longer"):
        log.add("Q", ans, "up", comment="x" * 3000)
    assert len(log.entries()) == 2


# --- against a real index ----------------------------------------------------

@pytest.fixture(scope="module")
def ilo_assistant(tmp_path_factory, corpus_dir):
    """An Assistant over the ILO summary alone (a few seconds to ingest)."""
    from assistant import Assistant

    base = tmp_path_factory.mktemp("ui-unit")
    (base / "corpus").mkdir()
    shutil.copy(corpus_dir / ILO, base / "corpus" / ILO)
    a = Assistant(index_dir=base / "index", corpus_dir=base / "corpus")
    a.ingest([base / "corpus"])
    return a


def _run(gen):
    steps = list(gen)
    return steps, steps[-1][2]


def test_respond_streams_then_renders_cited_answer(ilo_assistant):
    steps, turns = _run(respond(ilo_assistant, "What lessons were learned about multi-stakeholder events?", []))
    assert len(steps) >= 2 and "ea-pending" in steps[0][1][-1]["content"]
    [turn] = turns
    answer = Answer.model_validate(turn["answer"])
    assert answer.found and answer.citations
    html = turn["html"]
    assert html.count('class="ea-source"') == len(answer.citations)
    # Every cited sentence is highlighted in its source: the answer quotes the passage verbatim.
    assert html.count("<mark>") >= len(answer.citations)
    # The follow-up goes out with the history; a filter that excludes everything gives not-found.
    steps, turns = _run(respond(ilo_assistant, "and what about the garment sector?", turns))
    assert len(turns) == 2 and turns[1]["answer"]
    _, turns = _run(respond(ilo_assistant, "What lessons were learned?", [], ["IOM"], None, None, None, None, None))
    assert turns[0]["answer"]["found"] is False and "ea-notfound" in turns[0]["html"]
    assert "Filtered by organisation: IOM" in turns[0]["html"]


def test_respond_reports_bad_input(ilo_assistant):
    _, turns = _run(respond(ilo_assistant, "x" * 5000, []))
    assert "Could not answer" in turns[0]["html"] and turns[0]["answer"] is None


def test_like_and_dislike_reach_the_feedback_log(ilo_assistant):
    _, turns = _run(respond(ilo_assistant, "What were the recommendations on tripartite constituents?", []))
    before = len(ilo_assistant.feedback_log())
    status, path = record_feedback(ilo_assistant, turns, gr.LikeData(None, {"index": 1, "value": "", "liked": False}))
    assert "not helpful" in status
    entries = ilo_assistant.feedback_log()
    assert len(entries) == before + 1 and entries[-1]["rating"] == "down"
    assert entries[-1]["question"] == "What were the recommendations on tripartite constituents?"
    assert entries[-1]["citations"]
    assert open(path).read().count("\n") == before + 1
    # A vote on the user's own message is not an answer vote.
    status, _ = record_feedback(ilo_assistant, turns, gr.LikeData(None, {"index": 0, "value": "", "liked": True}))
    assert "answers only" in status and len(ilo_assistant.feedback_log()) == before + 1


def test_build_ui_over_a_real_index(ilo_assistant):
    from ui.app import build_ui

    demo = build_ui(ilo_assistant)
    labels = {getattr(b, "label", None) for b in demo.blocks.values()}
    for needed in ("Your question", "Organisation", "Country", "Year from", "Year to", "Document kind", "Document",
                   "Search records", "Type", "Records"):
        assert needed in labels


# --- library writes ----------------------------------------------------------

SAMPLE_MD = """# Final Evaluation of the Water Access Project in Malawi

Independent evaluation, 2022.

## Findings

The project improved access to safe drinking water for twelve thousand households in three districts.

## Lessons learned

1. Community ownership of the water points was the main reason they were kept in working order.
"""


def test_library_writes_follow_the_api_key_rule(tmp_path):
    from assistant import Assistant
    from ui.library import LibraryError, reindex_corpus, remove_document, upload_files

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = tmp_path / "water_malawi_2022.md"
    good.write_text(SAMPLE_MD)
    fake = tmp_path / "not_really.pdf"
    fake.write_text("plain text pretending to be a PDF")

    open_server = Assistant(index_dir=tmp_path / "index-open", corpus_dir=corpus, api_keys="", api_keys_file="")
    with pytest.raises(LibraryError, match="need an API key, and none is configured"):
        upload_files(open_server, None, [str(good)])

    key = "k" * 24
    a = Assistant(index_dir=tmp_path / "index", corpus_dir=corpus, api_keys=key, api_keys_file="")
    for wrong in (None, "", "x" * 24):
        with pytest.raises(LibraryError, match="type a valid API key"):
            upload_files(a, wrong, [str(good)])
        with pytest.raises(LibraryError, match="type a valid API key"):
            reindex_corpus(a, wrong)
    assert a.documents() == []
    with pytest.raises(LibraryError, match="choose one or more files"):
        upload_files(a, key, [])

    seen = []
    report = upload_files(a, key, [str(good), str(fake)], progress=lambda *args, **kw: seen.append((args, kw)))
    lines = report.splitlines()
    assert lines[0].startswith("- **water_malawi_2022.md**: 1 added") and "now has 1 document," in lines[0]
    assert lines[1].startswith("- **not_really.pdf**: refused:")
    assert [args[0] for args, _ in seen] == [(0, 2), (1, 2), (2, 2)]
    [doc] = a.documents()
    assert doc.source.startswith("water_malawi_2022")
    assert "Deleted" in remove_document(a, key, doc.doc_id)
    assert a.documents() == []
    with pytest.raises(LibraryError, match="choose the document"):
        remove_document(a, key, None)


def test_a_numbered_list_item_lights_up_in_its_passage_even_when_cut():
    line = "- **LL-1** The garment sector can act as an example and learning ground for other sectors of … [1] (1 of 2 reports)"
    cited = render.cited_sentences(line)
    assert cited == {1: ["The garment sector can act as an example and learning ground for other sectors of …"]}
    passage = "LL-1 – The garment sector can act as an example and learning ground for other economic (export) sectors."
    out = render.highlight(passage, cited[1])
    assert out.startswith("LL-1 – <mark>The garment sector can act as an example and learning ground for</mark>")


def test_exports_share_one_folder_and_stale_ones_are_removed(monkeypatch):
    """Download files go to one per-process folder, not a new /tmp directory per vote or search."""
    import os
    import time

    from ui import exports

    first, second = exports.export_folder(), exports.export_folder()
    assert first != second and first.parent == second.parent
    (first / "feedback.jsonl").write_text("{}")
    old = time.time() - exports.KEEP_SECONDS - 5
    os.utime(first, (old, old))
    exports.export_folder()
    assert not first.exists() and second.exists()
