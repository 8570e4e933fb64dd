"""Loaders and clean-up, checked against the real corpus and crafted bad files."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import badfiles
import pytest
from pypdf import PdfReader

from assistant.errors import LoadError
from assistant.files import SUPPORTED_SUFFIXES
from assistant.ingest.cleaning import fix_text, join_lines, running_lines, split_long, vocabulary
from assistant.ingest.loaders import load

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MDS = CORPUS / "iom_migration_data_strategy_eval_case_study_asia_pacific_2025.pdf"
AAP_REPORT = CORPUS / "iom_aap_evaluation_report_2024.pdf"
AAP_BRIEF = CORPUS / "iom_aap_evaluation_brief_2024.pdf"
ILO = CORPUS / "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
WFP = CORPUS / "wfp_environmental_policy_evaluation_2024_summary.md"


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _headings(parsed) -> list[tuple[str, int | None, int]]:
    return [(b.text, b.page, b.level) for b in parsed.blocks if b.level]


def _block_with(parsed, phrase: str):
    key = _norm(phrase)
    hits = [b for b in parsed.blocks if key in _norm(b.text)]
    assert hits, f"no block contains {phrase!r}"
    return hits[0]


@pytest.fixture(scope="module")
def mds():
    return load(MDS)


@pytest.fixture(scope="module")
def aap_report():
    return load(AAP_REPORT)


# --- PDFs from the corpus ---------------------------------------------------------


def test_pdf_pages_match_pypdf(mds):
    """A sentence fragment from each page, as pypdf reads it, lies in a block of that page."""
    reader = PdfReader(MDS)
    assert mds.format == "pdf" and mds.page_count == len(reader.pages) == 12
    texts = [_norm(page.extract_text()) for page in reader.pages]
    checked = 0
    for index, page in enumerate(reader.pages):
        lines = [ln.strip() for ln in page.extract_text().splitlines() if len(ln.strip()) > 70]
        unique = [ln for ln in lines if sum(_norm(ln[10:50]) in t for t in texts) == 1]
        if not unique:
            continue
        fragment = unique[len(unique) // 2][10:50]
        assert _block_with(mds, fragment).page == index + 1, (index + 1, fragment)
        checked += 1
    assert checked >= 6
    assert all(b.page is not None for b in mds.blocks)


def test_pdf_outline_headings_sit_on_their_pages(mds):
    reader = PdfReader(MDS)
    outline = [(item.title, reader.get_destination_page_number(item) + 1) for item in reader.outline]
    found = {(_norm(text), page) for text, page, _ in _headings(mds)}
    for title, page in outline:
        assert (_norm(title), page) in found, title
    # in the flow: the heading comes right before the text that follows it on the page
    texts = [b.text for b in mds.blocks]
    i = texts.index("2. Development Timeline of the Asia-Pacific RDH (2020–2025)")
    assert mds.blocks[i + 1].level == 0 and mds.blocks[i + 1].page == 3


def test_pdf_without_outline_headings_from_fonts(aap_report):
    heads = {(text, page) for text, page, _ in _headings(aap_report)}
    for expected in [
        ("EXECUTIVE SUMMARY", 6),
        ("1. BACKGROUND", 9),
        ("Methodology", 11),
        ("Data Sources", 11),
        ("2. EVALUATION FINDINGS", 16),
        ("Effectiveness", 23),
        ("3. CONCLUSIONS", 34),
        ("4. RECOMMENDATIONS", 37),
        ("Lessons learned", 51),
        ("ANNEX G. TERMS OF REFERENCE", 84),
    ]:
        assert expected in heads, expected
    levels = {text: level for text, _, level in _headings(aap_report)}
    assert levels["1. BACKGROUND"] < levels["Methodology"] < levels["Data Sources"]
    # figure captions, bold findings and table cells are not headings
    texts = [text for text, _, _ in _headings(aap_report)]
    assert not any(t.startswith(("Figure", "Table", "Finding", "•")) for t in texts)
    assert len(texts) < 90


def test_pdf_loads_from_threads_alike(mds):
    """PDFium is not thread-safe: loads from several threads at once (API workers) are serialised, and equal."""
    with ThreadPoolExecutor(4) as pool:
        assert all(parsed == mds for parsed in pool.map(load, [MDS] * 4))
    assert mds.pdf_metadata["Lang"] == "en"


def test_pdf_text_artefacts_mended(aap_report):
    """PDFium's line-end hyphen marks, dropped spaces and superscript line breaks do not reach the text."""
    texts = [b.text for b in aap_report.blocks]
    assert not any(set(t) & set("\ufffe\x02\u200b\ufb01\ufb02") for t in texts)
    joined = " ".join(texts)
    assert "This report details the findings" in joined  # no gap between the words' text objects
    assert "in this area and included it" in joined  # the space object between them squeezed to nothing
    assert "affected populations (AAP),1 following findings" in joined  # footnote mark on a line of its own
    assert "taking account of, giving account to" in joined  # ac-/count hyphenated at a line end
    response = load(CORPUS / "iom_haiti_dr_binational_dialogue_management_response_2025.pdf").text
    assert "capacité d’influence" in response and "Nations -Unies" not in response  # pypdf's word splits


def test_pdf_word_by_word_spaces(tmp_path):
    parsed = load(badfiles.word_by_word_pdf(tmp_path / "words.pdf"))
    assert parsed.blocks[-2].text.endswith("The survey area and its people.")
    assert parsed.blocks[-1].text == "Affected populations (AAP),1 following findings."


def test_pdf_form_labels_are_not_headings():
    parsed = load(CORPUS / "iom_hoa_eu_joint_initiative_management_response_2023.pdf")
    heads = [text for text, _, _ in _headings(parsed)]
    assert heads.count("Evaluation recommendation 1:") == 1 and "Recommendation to:" not in heads


def test_pdf_running_headers_and_page_numbers_removed(aap_report):
    assert not any(re.fullmatch(r"\d{1,3}", b.text) for b in aap_report.blocks)
    page12 = [b.text for b in aap_report.blocks if b.page == 12]
    assert page12[0].startswith("a continuous examination of pertinent documents")


def test_pdf_paragraphs_are_paragraphs():
    brief = load(AAP_BRIEF)
    block = _block_with(brief, "Accountability to Affected Populations (AAP) is defined")
    assert "by taking account of, giving account to, and being held to account" in block.text  # ac-/count joined
    assert block.text.endswith("within the humanitarian response field.")
    assert "capacity-building material" in _block_with(brief, "Increase training opportunities").text
    heads = [text for text, _, _ in _headings(brief)]
    assert {"BACKGROUND", "KEY FINDINGS & CONCLUSIONS", "GOOD PRACTICES", "KEY RECOMMENDATIONS"} <= set(heads)
    assert heads.count("EVALUATION BRIEF") == 1  # the title, repeated atop page 2, is a running header there
    body = [b for b in brief.blocks if b.level == 0]
    assert max(len(b.text) for b in body) < 1500 and sum(len(b.text) > 150 for b in body) >= 15
    assert brief.pdf_metadata.get("Author") == "HARRIS Sarah Lynn"


# --- text and Markdown from the corpus -----------------------------------------------


def test_ilo_summary_sections():
    parsed = load(ILO)
    assert parsed.format == "text" and parsed.page_count is None
    assert all(b.page is None for b in parsed.blocks)
    heads = _headings(parsed)
    names = [text for text, _, _ in heads]
    expected = [
        "QUICK FACTS",
        "BACKGROUND & CONTEXT",
        "Summary of the project purpose, logic and structure",
        "Present situation of the project",
        "Purpose, scope and clients of the evaluation",
        "Methodology of evaluation",
        "MAIN FINDINGS & CONCLUSIONS",
        "RECOMMENDATIONS, LESSONS LEARNED AND GOOD PRACTICES",
        "Main Recommendations",
        "Main lessons learned and good practices",
    ]
    assert [n for n in names if n in expected] == expected
    level = dict((text, lvl) for text, _, lvl in heads)
    assert level["BACKGROUND & CONTEXT"] == level["MAIN FINDINGS & CONCLUSIONS"] < level["Methodology of evaluation"]
    texts = [b.text for b in parsed.blocks]
    # the body cell after a heading cell is its own block; the page-break split is mended
    method = texts[texts.index("Methodology of evaluation") + 1]
    assert method.startswith("The methodology includes") and "further includes a critical reflection" in method
    assert "<" not in "".join(texts) and "**" not in "".join(texts)
    lessons = texts[texts.index("Main lessons learned and good practices") + 1 :]
    assert lessons[0].startswith("LL-1 –") and "to be rather flexible" in lessons[0]
    assert any(t.startswith("GP2 –") for t in lessons)
    assert any(t.startswith("7) Enhance in any follow-up intervention") for t in texts)


def test_wfp_page_markers():
    parsed = load(WFP)
    assert parsed.format == "markdown" and parsed.page_count == 22
    assert parsed.blocks[0].page is None  # the file's own title, before any marker
    assert _block_with(parsed, "Conclusion 1: Rationale and approach").page == 9
    assert _block_with(parsed, "The social dimensions of sustainability have not been adequately").page == 10
    assert ("Acronyms", 22) in {(t, p) for t, p, _ in _headings(parsed)}
    assert not any("November 2024 | OEV/2023/017" in b.text for b in parsed.blocks)  # running footer
    assert not any("Recommendation Rationale Responsibility Deadline" in b.text for b in parsed.blocks)


# --- crafted files -------------------------------------------------------------------


def test_truncated_pdf(tmp_path):
    bad = badfiles.truncated_pdf(AAP_BRIEF, tmp_path / "cut.pdf")
    with pytest.raises(LoadError, match=r"cut\.pdf: truncated or corrupt PDF"):
        load(bad)


def test_encrypted_pdf_with_password(tmp_path):
    bad = badfiles.encrypted_pdf(AAP_BRIEF, tmp_path / "locked.pdf", user_password="s3cret")
    with pytest.raises(LoadError) as info:
        load(bad)
    assert str(info.value) == "locked.pdf: encrypted PDF (password required)"


def test_encrypted_pdf_with_empty_user_password_loads(tmp_path):
    ok = badfiles.encrypted_pdf(AAP_BRIEF, tmp_path / "owner_only.pdf", user_password="")
    parsed = load(ok)
    assert parsed.page_count == 2
    assert "KEY RECOMMENDATIONS" in [text for text, _, _ in _headings(parsed)]


@pytest.mark.parametrize("builder", [badfiles.blank_pdf, badfiles.image_only_pdf])
def test_pdf_without_text_layer(tmp_path, builder):
    bad = builder(tmp_path / "scan.pdf")
    with pytest.raises(LoadError, match=r"scan\.pdf: no text layer \(scanned\?\); OCR is not supported"):
        load(bad)


def test_crafted_pdf_header_footer_and_hyphenation(tmp_path):
    pages = [
        ["# Findings", "The evaluation found strong ownership and the recom-", "mendations were followed up.", ""]
        + [f"Paragraph line {i} of page {n} continues here" for i in range(3)]
        for n in range(1, 6)
    ]
    path = badfiles.text_pdf(tmp_path / "made.pdf", pages, header="Final evaluation of the Example Programme")
    parsed = load(path)
    texts = [b.text for b in parsed.blocks]
    assert not any("Example Programme" in t for t in texts)  # running header
    assert not any(re.fullmatch(r"\d+", t) for t in texts)  # page numbers
    assert [(b.text, b.page) for b in parsed.blocks if b.level] == [("Findings", n) for n in range(1, 6)]
    assert texts[1] == "The evaluation found strong ownership and the recommendations were followed up."
    assert [b.page for b in parsed.blocks] == [n for n in range(1, 6) for _ in range(3)]


def test_zero_byte_file(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(LoadError, match=r"empty\.pdf: empty file"):
        load(empty)


def test_size_limit(tmp_path):
    with pytest.raises(LoadError, match=r"too large"):
        load(AAP_BRIEF, max_bytes=1000)


def test_latin1_text(tmp_path):
    text = "RÉSUMÉ\n\nLa façon dont le projet a été géré.\n"
    path = badfiles.encoded_text(tmp_path / "fr.txt", text, "latin-1")
    parsed = load(path)
    assert [b.text for b in parsed.blocks] == ["RÉSUMÉ", "La façon dont le projet a été géré."]
    assert parsed.blocks[0].level == 1


def test_utf8_bom_text(tmp_path):
    path = badfiles.encoded_text(tmp_path / "bom.md", "# Leçons apprises\n\nÇa marche.\n", "utf-8-sig")
    parsed = load(path)
    assert [(b.text, b.level) for b in parsed.blocks] == [("Leçons apprises", 1), ("Ça marche.", 0)]


def test_undecodable_text(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(LoadError, match=r"noise\.txt: undecodable text"):
        load(path)


def test_file_lying_about_its_type(tmp_path):
    fake = tmp_path / "report.pdf"
    fake.write_text("<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>")
    with pytest.raises(LoadError, match=r"report\.pdf: not a PDF: no %PDF- header \(content looks like HTML\)"):
        load(fake)
    renamed = tmp_path / "report.txt"  # a real PDF under another name loads as a PDF
    renamed.write_bytes(AAP_BRIEF.read_bytes())
    assert load(renamed).format == "pdf"


def test_unsupported_types(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LoadError, match=r"data\.csv: unsupported file type '\.csv'"):
        load(tmp_path / "data.csv")
    image = tmp_path / "scan.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(LoadError, match="PNG image; OCR is not supported"):
        load(image)
    assert {".pdf", ".docx", ".txt", ".md", ".html"} <= SUPPORTED_SUFFIXES


def test_docx_headings_and_tables(tmp_path):
    parsed = load(badfiles.docx_with_headings(tmp_path / "report.docx"))
    assert parsed.format == "docx"
    assert [(b.text, b.level) for b in parsed.blocks] == [
        ("Final evaluation report", 1),
        ("Executive summary", 1),
        ("The programme reached most of its targets.", 0),
        ("Findings on effectiveness", 2),
        ("Effectiveness was rated satisfactory by most stakeholders.", 0),
        ("LESSONS LEARNED", 1),
        ("Start the baseline early.", 0),
        ("Criterion | Rating", 0),
        ("Relevance | Highly satisfactory", 0),
    ]


def test_html(tmp_path):
    parsed = load(badfiles.html_page(tmp_path / "page.html"))
    assert parsed.format == "html"
    assert [(b.text, b.level) for b in parsed.blocks] == [
        ("Mid-term evaluation", 1),
        ("The project improved access to water services.", 0),
        ("Recommendations", 2),
        ("Extend the pilot to two more districts.", 0),
        ("Fund maintenance.", 0),
        ("Criterion | Score", 0),
        ("Relevance | 4", 0),
    ]


# --- clean-up units ---------------------------------------------------------------------


def test_hyphenation_join_keeps_real_hyphens():
    vocab = vocabulary(["The recommendations and the follow-up were agreed."])
    assert join_lines(["the recom-", "mendations were"], vocab) == "the recommendations were"
    assert join_lines(["a follow-", "up mission"], vocab) == "a follow-up mission"
    assert join_lines(["well-", "being and capacity-", "building"]) == "well-being and capacity-building"
    assert join_lines(["the Asia-", "Pacific region, 2020-", "2025"]) == "the Asia-Pacific region, 2020-2025"
    assert join_lines(["imple-", "mentation"]) == "implementation"


def test_running_lines_and_page_numbers():
    pages = [
        [f"Final Evaluation of X {n}", f"Opening words {n}a", f"Body {n}b"]
        + ["A line every page repeats mid-page"]
        + [f"Body {n}c", "Seen twice at the foot" if n < 3 else f"Body {n}d", f"- {n} -"]
        for n in range(1, 11)
    ]
    drops = running_lines(pages)
    assert drops == [{0, 6}] * 10  # the running header and the page number, nothing else
    assert running_lines([["Title", "text"], ["Title", "more"]]) == [set(), set()]  # two pages prove nothing


def test_fix_text_repairs_mojibake_ligatures_and_space():
    assert fix_text("ﬁnal ﬂow  of\u00a0the cafÃ©\n report\u00ad") == "final flow of the café report"


def test_split_long_cuts_at_sentences():
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    pieces = split_long(text, limit=300)
    assert all(len(p) <= 300 for p in pieces) and all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == text


def test_a_numbered_line_that_runs_on_in_lower_case_is_no_heading(tmp_path):
    """In text and Markdown, "1.1. WFP should strengthen the capacity of the agency" whose sentence goes on
    in the next line is an item of a list, not the heading of a section; "2. Findings" stays one."""
    path = tmp_path / "table.md"
    path.write_text("2. Findings\n\nThe programme met most of its targets in the period.\n\n"
                    "1.1. WFP should strengthen the capacity of the agency\n"
                    "through a capacity building plan for two years.\n", encoding="utf-8")
    blocks = load(path).blocks
    assert [b.text for b in blocks if b.level] == ["2. Findings"]
    assert any(b.text.startswith("1.1. WFP should strengthen") and "two years" in b.text for b in blocks)



@pytest.mark.parametrize("line, heading", [("PPR, STR, CAM", False), ("WFP USA", False), ("CCS / SSTC", False),
                                           ("PART A", True), ("ANNEX B", True), ("KEY FINDINGS", True)])
def test_a_row_of_acronyms_is_a_table_cell_not_a_heading(line, heading):
    from assistant.ingest.loaders.headings import looks_like_heading

    assert looks_like_heading(line) is heading
