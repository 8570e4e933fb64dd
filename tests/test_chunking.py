"""Section-aware chunking: sizes, overlap, page spans, criteria, ids (sections made by hand)."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from assistant.ingest.chunking import chunk_sections
from assistant.ingest.sections import build_sections
from assistant.models import Block, Section

ILO_SUMMARY = Path(__file__).resolve().parent.parent / "corpus" / (
    "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
)
WORDS = (
    "project partners trained workers employers unions ministries budget outputs outcomes targets "
    "factories garment sector dialogue awareness compliance monitoring indicators committees"
).split()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(4, 30)) for _ in range(sentences))


def section(path: list[str], texts: list[str], pages: list[int | None] | None = None) -> Section:
    pages = pages or [1] * len(texts)
    return build_sections([Block(text=t, level=i + 1) for i, t in enumerate(path)] + [
        Block(text=t, page=pg) for t, pg in zip(texts, pages, strict=True)
    ])[0]


def long_sections(seed: int = 7) -> list[Section]:
    rng = random.Random(seed)
    return [
        section(["Findings", f"Part {n}"], [paragraph(rng, rng.randint(1, 12)) for _ in range(6)],
                [n, n, n, n + 1, n + 1, n + 2])
        for n in range(1, 6)
    ]


def tokens(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(("size", "overlap"), [(300, 50), (600, 100), (900, 150), (1400, 200), (2000, 300)])
def test_sizes_respected_and_whole_words_only(size, overlap):
    sections = long_sections()
    chunks = chunk_sections(sections, "doc", size=size, overlap=overlap)
    assert all(len(c.text) <= size for c in chunks)
    vocabulary = {w for s in sections for b in s.blocks for w in tokens(b.text)}
    assert all(set(tokens(c.text)) <= vocabulary for c in chunks)  # never a cut word
    # The budget is used, not just respected.
    mean = sum(len(c.text) for c in chunks) / len(chunks)
    assert mean > size * 0.5


def test_sizes_scale_with_parameter():
    sections = long_sections()
    counts = [len(chunk_sections(sections, "doc", size=s, overlap=s // 6)) for s in (300, 900, 2000)]
    assert counts[0] > counts[1] > counts[2]


def test_chunks_never_cross_sections():
    rng = random.Random(3)
    a = section(["Findings"], ["Alpha " + paragraph(rng, 10) for _ in range(4)])
    b = section(["Recommendations"], ["Beta " + paragraph(rng, 10) for _ in range(4)])
    chunks = chunk_sections([a, b], "doc", size=500, overlap=100)
    for chunk in chunks:
        own = {"Findings": "Alpha", "Recommendations": "Beta"}[chunk.section]
        other = {"Alpha", "Beta"} - {own}
        assert other.isdisjoint(tokens(chunk.text))
    types = [c.section_type for c in chunks]
    assert types == sorted(types, key=["findings", "recommendations"].index)


def test_overlong_paragraph_split_at_sentences_with_overlap():
    rng = random.Random(5)
    text = paragraph(rng, 40)
    chunks = chunk_sections([section(["Findings"], [text])], "doc", size=600, overlap=150)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.text.endswith(".")  # cut between sentences
        assert chunk.text in text
    for before, after in zip(chunks, chunks[1:]):
        start = text.index(after.text)
        end = text.index(before.text) + len(before.text)
        repeated = end - start
        assert 0 < repeated <= 2 * 150 and after.text[0].isupper()  # whole sentences, one long one at most
        assert after.text[:repeated] == before.text[-repeated:]


def test_overlap_is_whole_sentences_when_they_fit():
    sentences = [f"Sentence number {i} says the project trained some workers." for i in range(60)]
    chunks = chunk_sections([section(["Findings"], [" ".join(sentences)])], "doc", size=400, overlap=130)
    for before, after in zip(chunks, chunks[1:]):
        first = after.text.split(". ")[0] + "."
        assert first in before.text and after.text[0] == "S"
        carried = [s for s in sentences if s in after.text and s in before.text]
        assert 1 <= len(carried) <= 2 and sum(map(len, carried)) <= 130


def test_overlap_parameter_is_effective():
    sentences = " ".join(f"Sentence {i} says that the project trained workers." for i in range(200))
    repeated = []
    for overlap in (0, 100, 300):
        chunks = chunk_sections([section(["Findings"], [sentences])], "doc", size=900, overlap=overlap)
        repeated.append(sum(len(c.text) for c in chunks) + len(chunks) - 1 - len(sentences))
    assert repeated[0] == 0 < repeated[1] < repeated[2]


def test_zero_overlap_repeats_nothing():
    sentences = [f"Sentence {i} is here." for i in range(100)]
    chunks = chunk_sections([section(["Findings"], [" ".join(sentences)])], "doc", size=300, overlap=0)
    assert sum(len(c.text) for c in chunks) + len(chunks) - 1 == len(" ".join(sentences))


def test_whole_paragraphs_are_packed():
    paragraphs = [f"Paragraph {i} has a first sentence. And a second one about workers." for i in range(20)]
    chunks = chunk_sections([section(["Findings"], paragraphs)], "doc", size=500, overlap=0)
    for chunk in chunks:
        assert all(part in paragraphs for part in chunk.text.split("\n\n"))


def test_unsplittable_sentence_split_at_clauses_and_words():
    clause = "the project trained workers and employers in three countries"
    text = ", ".join([clause] * 30).capitalize() + "."
    url = "https://example.org/" + "x" * 400
    chunks = chunk_sections([section(["Findings"], [text, f"See {url} for details of the programme."])],
                            "doc", size=300, overlap=50)
    assert all(len(c.text) <= 300 or url in c.text for c in chunks)
    assert any(url in c.text for c in chunks)
    assert all(set(tokens(c.text)) <= set(tokens(text)) | {"See", url, "for", "details", "of", "the", "programme."}
               for c in chunks)


def test_page_spans_follow_the_blocks():
    rng = random.Random(11)
    pages = [3, 3, 4, 5]
    texts = [" ".join(re.sub(r"(\w+)", rf"\g<1>{page}", sentence(rng, 25)) for _ in range(4)) for page in pages]
    chunks = chunk_sections([section(["Findings"], texts, pages)], "doc", size=700, overlap=100)
    assert (chunks[0].page, chunks[-1].page_end) == (3, 5)
    for chunk in chunks:  # every word says its page, so the span is exactly that of the words
        spanned = {int(re.search(r"(\d+)\W*$", word)[1]) for word in tokens(chunk.text)}
        assert (chunk.page, chunk.page_end) == (min(spanned), max(spanned))


def test_page_broken_paragraph_is_rejoined_and_spans_both_pages():
    s = section(["Findings"], ["The evaluation found that conditions have been created which lay the basis for",
                               "the achievement of the objective through sustained interventions."], [6, 7])
    [chunk] = chunk_sections([s], "doc")
    assert chunk.text.count("\n") == 0 and "basis for the achievement" in chunk.text
    assert (chunk.page, chunk.page_end) == (6, 7)


def test_pageless_text_has_no_pages():
    [chunk] = chunk_sections([section(["Findings"], ["Text without pages at all."], [None])], "doc")
    assert chunk.page is None and chunk.page_end is None


def test_ids_are_deterministic_and_ordered():
    first = chunk_sections(long_sections(), "report-1", size=500, overlap=80)
    second = chunk_sections(long_sections(), "report-1", size=500, overlap=80)
    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]
    assert [c.chunk_id for c in first] == [f"report-1:{i:05d}" for i in range(len(first))]
    assert [c.index for c in first] == list(range(len(first)))
    assert all(c.doc_id == "report-1" for c in first)


def test_tiny_trailing_pieces_are_merged():
    rng = random.Random(2)
    for seed in range(30):
        rng.seed(seed)
        texts = [paragraph(rng, rng.randint(1, 6)) for _ in range(rng.randint(1, 5))] + ["It ended well."]
        chunks = chunk_sections([section(["Findings"], texts)], "doc", size=600, overlap=100)
        if len(chunks) > 1:
            fresh = [c.text for c in chunks]
            assert all(len(t) >= 150 for t in fresh), fresh


def test_short_sections_kept_empty_and_heading_only_dropped():
    sections = build_sections([
        Block(text="Recommendations", level=1),
        Block(text="Recommendation 1", level=2),
        Block(text="Extend the programme to Laos."),
        Block(text="Recommendation 2", level=2),
        Block(text="12"),  # a stray page number
        Block(text="Recommendation 3", level=2),
        Block(text="Recommendation 3"),  # the heading repeated as text
    ])
    sections.append(Section(path=["Empty"], blocks=[]))
    chunks = chunk_sections(sections, "doc")
    assert [(c.section, c.text) for c in chunks] == [
        ("Recommendations > Recommendation 1", "Extend the programme to Laos.")
    ]
    assert chunks[0].section_type == "recommendations"


def test_chunk_criteria_follow_their_own_paragraphs():
    rng = random.Random(9)
    texts = [
        "With respect to Relevance, the evaluation found a good fit. " + paragraph(rng, 6),
        "The Efficiency of Resource Usage was found to be satisfactory. " + paragraph(rng, 6),
        "In general, stakeholders were satisfied. " + paragraph(rng, 6),  # goes on with efficiency
        "Cross-Cutting Issues: with respect to gender, the programme had some impact. " + paragraph(rng, 6),
    ]
    s = section(["MAIN FINDINGS & CONCLUSIONS"], texts)
    chunks = chunk_sections([s], "doc", size=600, overlap=0)
    assert s.criteria == ["relevance", "efficiency"]
    expected = [["relevance"], ["efficiency"], ["efficiency"], []]  # a topic of its own ends the carried one
    for text, criteria in zip(texts, expected, strict=True):
        own = [c for c in chunks if c.text in text]
        assert own and all(c.criteria == criteria for c in own)
    heading = section(["Findings", "Sustainability"], [paragraph(rng, 20)])
    assert all(c.criteria == ["sustainability"] for c in chunk_sections([heading], "doc", size=400))


def test_text_has_no_heading_prefix():
    [chunk] = chunk_sections([section(["Findings", "Relevance"], ["The project fit the needs."])], "doc")
    assert chunk.text == "The project fit the needs."
    assert chunk.section == "Findings > Relevance"


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (300, 300), (300, -1)])
def test_bad_parameters_rejected(size, overlap):
    with pytest.raises(ValueError):
        chunk_sections([], "doc", size=size, overlap=overlap)


def test_fast_on_a_long_report():
    rng = random.Random(1)
    blocks = []
    for page in range(1, 143):  # about a 142-page report
        blocks.append(Block(text=f"Section {page}", level=1 + page % 3, page=page))
        blocks += [Block(text=paragraph(rng, rng.randint(1, 8)), page=page) for _ in range(5)]
    started = time.perf_counter()
    chunks = chunk_sections(build_sections(blocks), "doc")
    assert time.perf_counter() - started < 1.5
    assert sum(len(b.text) for b in blocks) > 300_000 and len(chunks) > 300


def test_real_ilo_summary_chunks():
    loaders = pytest.importorskip("assistant.ingest.loaders", reason="assistant.ingest.loaders is not importable yet")
    sections = build_sections(loaders.load(ILO_SUMMARY).blocks)
    chunks = chunk_sections(sections, "ilo", size=900, overlap=150)
    assert all(len(c.text) <= 900 for c in chunks)
    by_criterion = {c: [ch for ch in chunks if c in ch.criteria] for c in ("relevance", "efficiency", "sustainability")}
    assert all(by_criterion.values())
    assert any("METI programme had effectively responded" in ch.text for ch in by_criterion["relevance"])
    assert any("Expenditures until mid-April 2024" in ch.text for ch in by_criterion["efficiency"])
    lessons = [ch for ch in chunks if ch.section_type == "lessons_learned"]
    assert any("garment sector can act as an example" in ch.text for ch in lessons)
    assert not any(re.search(r"\bLL-2\b", ch.text) for ch in chunks if ch.section_type == "recommendations")
