"""Evidence views: the cited sentence found and marked on its PDF page; the passage in its section otherwise.

The checks do not trust the code under test: PDFium is asked which text
lies inside each highlight box (`get_text_bounded`) and that text must hold
the cited sentence, and the rendered page must differ from an unmarked
render exactly inside the boxes.
"""

from __future__ import annotations

import io
import re
import shutil
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from assistant.answer import evidence as evidence_module
from assistant.answer.evidence import Evidence, EvidenceError
from assistant.answer.marks import MAX_EDGE_PX, fold, line_boxes, locate, render_scale
from assistant.ingest.sentences import split
from ui.render import cited_sentences, evidence_url

AAP_BRIEF = "iom_aap_evaluation_brief_2024.pdf"
MR_2023 = "iom_hoa_eu_joint_initiative_management_response_2023.pdf"
ILO = "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
WFP = "wfp_environmental_policy_evaluation_2024_summary.md"
# On page 2 of the AAP brief: three lines of the left column, with a line-break hyphen ("emergen-cy") ...
HYPHENATED = ("However, its focus on emergency operations leaves many unclear on the mandatory nature of AAP "
              "in non-emergency contexts.")
# ... and a sentence that runs from the foot of the left column to the head of the right one.
TWO_COLUMNS = ("These include a lack of full integration of AAP into the IOM project cycle, a lack of standard "
               "solutions and technical resources for the development and management of complaint and feedback "
               "mechanism (CFM) systems, a lack of technical resources and support to make full use of data "
               "gathered from affected people, and a lack of capacity to engage with other actors to promote "
               "“collective accountability”.")
KEY = "evidence-test-key-0123456789"


def norm(text: str) -> str:
    """Letters and digits only, lower case: how the test compares text (PDFium marks a line-end hyphen \\x02)."""
    return re.sub(r"[\W_]+", "", text.lower())


def text_in(path: str, page: int, boxes) -> str:
    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[page - 1].get_textpage()
        return "".join(textpage.get_text_bounded(*box) for box in boxes)
    finally:
        pdf.close()


def page_text(path: str, page: int) -> str:
    pdf = pdfium.PdfDocument(path)
    try:
        return pdf[page - 1].get_textpage().get_text_range()
    finally:
        pdf.close()


def chunk_with(assistant, source: str, words: str) -> tuple:
    """(document, chunk id, chunk text, metadata) of the chunk holding `words`."""
    doc = assistant.document(source)
    for chunk_id, text, meta in assistant.store.iter_chunks(where={"doc_id": doc.doc_id}):
        if norm(words) in norm(text):
            return doc, chunk_id, text, meta
    raise AssertionError(f"no chunk of {source} holds {words!r}")


# --- finding text by its letters ---------------------------------------------------


def test_locate_survives_hyphens_line_breaks_and_footnote_marks():
    page = "Intro.\r\nHowever, its focus on emergen\ufffecy operations leaves\r\nmany unclear on the man-\r\ndatory nature."
    hay, where = fold(page)
    [(a, b)] = locate(hay, fold("However, its focus on emergency operations leaves many unclear on the mandatory nature.")[0])
    assert page[where[a] : where[b - 1] + 1].startswith("However") and page[where[b - 1]] == "e"
    # A footnote mark inside, words left out: matched in pieces, the opening before the anchor included.
    marked = fold("The results were sustained12 beyond the end of the project in most of the districts.")[0]
    cited = fold("The results were sustained beyond the end of the project in most districts.")[0]
    spans = locate(marked, cited)
    assert len(spans) == 3 and "".join(marked[a:b] for a, b in spans) == cited
    assert locate(fold(marked)[0], fold("Nothing of this sentence is on the page at all, not a word.")[0]) == []
    # A few common words do not anchor a match of a longer sentence.
    assert locate(fold("The evaluation found gaps.")[0], fold("The evaluation found that funding was late in every country.")[0]) == []


def test_line_boxes_one_box_per_line_and_column():
    chars = [(x, 700, x + 5, 710) for x in range(50, 250, 5)]  # a line of the left column
    chars += [(x, 686, x + 5, 696) for x in range(50, 120, 5)]  # the next line
    chars += [(x, 780, x + 5, 790) for x in range(320, 400, 5)]  # the head of the right column
    boxes = line_boxes(chars)
    assert boxes == [(50, 700, 250, 710), (50, 686, 120, 696), (320, 780, 400, 790)]
    # The same baseline, but far to the right (the next column): another box.
    assert len(line_boxes([(50, 700, 55, 710), (300, 700, 305, 710)])) == 2


def test_render_scale_is_capped():
    assert render_scale(595, 842) == 2.0
    assert 5000 * render_scale(5000, 3000) <= MAX_EDGE_PX


# --- on the sample corpus ---------------------------------------------------------------


@pytest.mark.parametrize("question", ["Were the resources allocated to central AAP functions adequate?",
                                      "What were the main recommendations of the evaluations?"])
def test_cited_sentences_are_inside_their_highlight_boxes(indexed, question):
    assistant, _ = indexed
    answer = assistant.ask(question)
    used = cited_sentences(answer.text)
    checked = 0
    for n, passage in enumerate(answer.citations, start=1):
        doc = assistant.document(passage.doc_id)
        if doc.format != "pdf":
            continue
        image = assistant.page_image(doc.doc_id, passage.page, passage.chunk_id, used.get(n, []))
        assert image.boxes, f"nothing marked for citation [{n}] on {doc.source} p. {passage.page}"
        marked, on_page = norm(text_in(doc.path, passage.page, image.boxes)), norm(page_text(doc.path, passage.page))
        for sentence in (s for cited in used.get(n, []) for s in split(cited)):
            if norm(sentence) in on_page:  # an item's text may go on over the page: that part is not here
                assert norm(sentence) in marked, (doc.source, passage.page, sentence)
                checked += 1
    assert checked >= 1


def test_a_sentence_split_across_lines_gives_one_box_per_line(indexed):
    assistant, _ = indexed
    doc, chunk_id, _, _ = chunk_with(assistant, AAP_BRIEF, HYPHENATED)
    image = assistant.page_image(doc.doc_id, 2, chunk_id, [HYPHENATED])
    assert len(image.boxes) == 3
    assert norm(HYPHENATED) in norm(text_in(doc.path, 2, image.boxes))
    boxes = sorted(image.boxes, key=lambda b: -b[3])
    assert all(top - bottom < 16 for _, bottom, _, top in boxes)  # one line of 9 pt text each, not a block
    assert all(upper[1] >= lower[3] - 1 for upper, lower in zip(boxes, boxes[1:]))  # stacked, not overlapping


def test_a_sentence_across_two_columns(indexed):
    assistant, _ = indexed
    doc, chunk_id, _, _ = chunk_with(assistant, AAP_BRIEF, TWO_COLUMNS[:80])
    image = assistant.page_image(doc.doc_id, 2, chunk_id, [TWO_COLUMNS])
    width = pdfium.PdfDocument(doc.path)[1].get_size()[0]
    assert any(right < width / 2 for _, _, right, _ in image.boxes)
    assert any(left > width / 2 for left, _, _, _ in image.boxes)
    assert norm(TWO_COLUMNS) in norm(text_in(doc.path, 2, image.boxes))


def test_the_page_is_tinted_inside_the_boxes_and_nowhere_else(indexed):
    assistant, _ = indexed
    doc, chunk_id, _, _ = chunk_with(assistant, AAP_BRIEF, HYPHENATED)
    marked = assistant.page_image(doc.doc_id, 2, chunk_id, [HYPHENATED])
    plain = assistant.page_image(doc.doc_id, 2)
    assert not plain.boxes and marked.scale == plain.scale == 2.0
    a = np.asarray(Image.open(io.BytesIO(marked.png)).convert("RGB"), dtype=int)
    b = np.asarray(Image.open(io.BytesIO(plain.png)).convert("RGB"), dtype=int)
    height = pdfium.PdfDocument(doc.path)[1].get_size()[1]
    assert a.shape == b.shape and a.shape[0] == round(height * 2.0)
    changed = np.abs(a - b).sum(axis=2) > 0
    inside = np.zeros_like(changed)
    for left, bottom, right, top in marked.boxes:
        x0, x1 = int(left * 2.0), int(right * 2.0) + 1
        y0, y1 = int((height - top) * 2.0), int((height - bottom) * 2.0) + 1
        assert changed[y0:y1, x0:x1].mean() > 0.5  # the paper in the box is tinted
        inside[max(0, y0 - 1) : y1 + 1, max(0, x0 - 1) : x1 + 1] = True
    assert changed.any() and not (changed & ~inside).any()


def test_without_a_sentence_the_passage_on_that_page_is_marked(indexed):
    assistant, _ = indexed
    doc, chunk_id, text, meta = chunk_with(assistant, AAP_BRIEF, HYPHENATED)
    assert meta["page"] == meta.get("page_end", meta["page"]) == 2
    image = assistant.page_image(doc.doc_id, 2, chunk_id)
    marked = norm(text_in(doc.path, 2, image.boxes))
    assert norm(split(text)[0]) in marked and norm(split(text)[-1]) in marked
    assert assistant.page_image(doc.doc_id, 1, chunk_id).boxes == ()  # the passage is not on page 1


def test_a_paraphrase_marks_the_passage_instead(indexed):
    assistant, _ = indexed
    doc, chunk_id, text, _ = chunk_with(assistant, AAP_BRIEF, HYPHENATED)
    image = assistant.page_image(doc.doc_id, 2, chunk_id, ["The framework fits well but is read as emergencies only."])
    assert norm(split(text)[0]) in norm(text_in(doc.path, 2, image.boxes))


def test_pages_out_of_range_other_formats_and_unknown_passages_are_refused(indexed):
    assistant, _ = indexed
    doc, chunk_id, _, _ = chunk_with(assistant, AAP_BRIEF, HYPHENATED)
    _, ilo_chunk, _, _ = chunk_with(assistant, ILO, "garment sector")
    cases = [
        ((doc.doc_id, 0, chunk_id), 404, "no page 0"),
        ((doc.doc_id, doc.pages + 1, chunk_id), 404, f"pages 1-{doc.pages}"),
        ((assistant.document(ILO).doc_id, 1, ilo_chunk), 415, "no pages"),
        ((doc.doc_id, 2, f"{doc.doc_id}:99999"), 404, "no passage"),
        ((doc.doc_id, 2, ilo_chunk), 404, "no passage"),  # another document's passage
        (("no-such-document", 1, None), 404, "no indexed document"),
    ]
    for args, status, says in cases:
        with pytest.raises(EvidenceError, match=says) as info:
            assistant.page_image(*args)
        assert info.value.status == status
    for too_much, says in ((["one sentence here"] * 9, "at most 8 sentences"), (["x" * 2000] * 4, "in all")):
        with pytest.raises(EvidenceError, match=says) as info:
            assistant.page_image(doc.doc_id, 2, chunk_id, too_much)
        assert info.value.status == 422


def test_rendered_pages_are_kept_in_a_small_lru(indexed, monkeypatch):
    assistant, _ = indexed
    doc, chunk_id, _, _ = chunk_with(assistant, AAP_BRIEF, HYPHENATED)
    evidence = Evidence(assistant.store)
    monkeypatch.setattr(evidence_module, "CACHE_ENTRIES", 2)
    first = evidence.page_image(doc, 2, chunk_id)
    assert evidence.page_image(doc, 2, chunk_id) is first
    evidence.page_image(doc, 1, chunk_id)
    evidence.page_image(doc, 1)
    assert len(evidence._cache) == 2 and evidence.page_image(doc, 2, chunk_id) is not first


def test_a_file_changed_since_indexing_is_refused(indexed, tmp_path):
    assistant, _ = indexed
    doc = assistant.document(AAP_BRIEF)
    changed = tmp_path / AAP_BRIEF
    shutil.copy(doc.path, changed)
    with open(changed, "ab") as f:
        f.write(b"\n% appended\n")
    with pytest.raises(EvidenceError, match="changed") as info:
        Evidence(assistant.store).page_image(doc.model_copy(update={"path": str(changed)}), 2)
    assert info.value.status == 409


# --- formats without pages: the passage in its section -------------------------------


@pytest.mark.parametrize("source", [ILO, WFP])
def test_passage_view_shows_the_passage_in_its_section_with_the_sentence_marked(indexed, source):
    assistant, _ = indexed
    doc = assistant.document(source)
    rows = sorted(assistant.store.iter_chunks(where={"doc_id": doc.doc_id}), key=lambda r: r[2]["index"])
    sections = [r[2]["section"] for r in rows]
    chunk_id, text, meta = next(r for r in rows if sections.count(r[2]["section"]) >= 3 and r[2]["index"] != rows[0][2]["index"])
    sentence = max(split(text), key=len)
    view = assistant.passage_view(doc.doc_id, chunk_id, [sentence])
    a, b = view.passage
    assert view.text[a:b] == text and view.section == meta["section"] and len(view.text) > len(text)
    assert len(view.highlights) == 1
    x, y = view.highlights[0]
    assert a <= x < y <= b and norm(view.text[x:y]) == norm(sentence)
    # Overlapping chunks are joined, not repeated: the sentence is in the section text once.
    assert norm(view.text).count(norm(sentence)) == 1
    assert assistant.passage_view(doc.doc_id, chunk_id, ["Words that are not in it at all."]).highlights == [(a, b)]


# --- over HTTP ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(indexed):
    from assistant.serve.app import create_app

    assistant, _ = indexed
    settings = assistant.settings.with_(api_keys=KEY)
    with TestClient(create_app(assistant, settings=settings, ui=False)) as client:
        yield client, assistant, settings


def test_page_images_need_a_key_or_a_signed_link(api):
    client, assistant, settings = api
    doc, chunk_id, _, _ = chunk_with(assistant, AAP_BRIEF, TWO_COLUMNS[:80])
    url = f"/api/documents/{doc.doc_id}/pages/2.png"
    params = {"highlight": chunk_id, "sentence": TWO_COLUMNS}
    assert client.get(url, params=params).status_code == 401
    assert client.get(url, params=params, headers={"X-API-Key": "not-the-key-0123456789"}).status_code == 401
    r = client.get(url, params=params, headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.headers["x-page-count"] == "2" and int(r.headers["x-highlights"]) >= 2
    # The card's link carries the file link's signature: a browser opens it without a key, for that document only.
    passage = next(p for p in assistant.search(TWO_COLUMNS, k=10) if p.chunk_id == chunk_id)
    link = evidence_url(passage.model_copy(update={"page": 2}), [TWO_COLUMNS], settings)
    query = parse_qs(urlsplit(link).query)
    assert query["highlight"] == [chunk_id] and query["sentence"] == [TWO_COLUMNS] and "sig" in query
    signed = client.get(link)
    assert signed.status_code == 200 and signed.content == r.content
    other = assistant.document(MR_2023).doc_id
    assert client.get(link.replace(doc.doc_id, other, 1)).status_code == 401


def test_page_and_passage_errors_over_http(api):
    client, assistant, _ = api
    key = {"X-API-Key": KEY}
    doc, chunk_id, _, _ = chunk_with(assistant, AAP_BRIEF, HYPHENATED)
    ilo, ilo_chunk, _, _ = chunk_with(assistant, ILO, "garment sector")
    assert client.get(f"/api/documents/{doc.doc_id}/pages/3.png", headers=key).status_code == 404
    assert client.get(f"/api/documents/{doc.doc_id}/pages/0.png", headers=key).status_code == 404
    assert client.get(f"/api/documents/{doc.doc_id}/pages/two.png", headers=key).status_code == 422
    refused = client.get(f"/api/documents/{ilo.doc_id}/pages/1.png", headers=key)
    assert refused.status_code == 415 and "passages" in refused.json()["detail"]
    assert client.get(f"/api/documents/{doc.doc_id}/pages/2.png", params={"highlight": ilo_chunk}, headers=key).status_code == 404
    assert client.get(f"/api/documents/{ilo.doc_id}/passages/{ilo_chunk}").status_code == 401
    view = client.get(f"/api/documents/{ilo.doc_id}/passages/{ilo_chunk}", headers=key).json()
    a, b = view["passage"]
    assert norm("garment sector") in norm(view["text"][a:b]) and view["highlights"] == [[a, b]]
    assert client.get(f"/api/documents/{ilo.doc_id}/passages/{doc.doc_id}:00000", headers=key).status_code == 404
