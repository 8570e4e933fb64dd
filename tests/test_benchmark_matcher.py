"""The benchmark's span matcher: lenient about what extraction and chunking do to text, strict about content."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "benchmark_common", Path(__file__).resolve().parent.parent / "benchmarks" / "common.py"
)
common = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)  # dataclasses look themselves up there
_spec.loader.exec_module(common)
contains_span = common.contains_span

SPAN = "as per 31 December 2023 12 out of 14 indicators are fully/mostly met (86%)"


def test_exact_span_inside_a_longer_passage():
    passage = f"The programme performed well. {SPAN}. The remaining two were partly met."
    assert contains_span(passage, SPAN)


def test_case_spacing_and_punctuation_do_not_matter():
    passage = "AS PER 31 December 2023   12 out of 14 indicators\nare fully / mostly met ( 86 % )"
    assert contains_span(passage, SPAN)


def test_span_cut_by_a_chunk_edge_counts_when_most_of_it_survives():
    words = SPAN.split()
    head = " ".join(words[: int(len(words) * 0.7)])  # the chunk ends here; the rest is in the next one
    tail = " ".join(words[int(len(words) * 0.3) :])
    assert contains_span(f"Earlier text about the programme. {head}", SPAN)
    assert contains_span(f"{tail} Later text.", SPAN)


def test_a_small_piece_of_the_span_is_not_enough():
    words = SPAN.split()
    assert not contains_span("Earlier text. " + " ".join(words[:5]), SPAN)


def test_line_end_hyphenation_and_soft_hyphens_are_joined():
    span = "environment-related inputs are not included in IN/285"
    assert contains_span("the environ-\nment-related inputs are not in-\ncluded in IN/285.", span)
    assert contains_span("environ\u00adment-related inputs are not in\u00adcluded in IN/285", span)
    assert contains_span("environment- related inputs are not included in IN/285", span)


def test_quotes_dashes_and_ligatures_are_unified():
    span = "a \"HRDD-Day\" was proposed (mirroring national 'OSH-DAY' and 'Human Rights Day')"
    passage = "a \u201cHRDD\u2011Day\u201d was proposed (mirroring national \u2018OSH\u2013DAY\u2019 and \u2018Human Rights Day\u2019)"
    assert contains_span(passage, span)
    assert contains_span("the ﬁnancial top-up", "the financial top-up")


def test_near_miss_with_other_figures_does_not_match():
    passage = "as per 31 December 2022 10 out of 14 indicators were partially met (71%)"
    assert not contains_span(passage, SPAN)


def test_same_words_scattered_do_not_match():
    span = "women received micro-business assistance sooner than men"
    passage = "men and women received assistance; micro-business support came sooner for some than for men"
    assert not contains_span(passage, span)


def test_short_spans_must_appear_whole():
    assert contains_span("The initial budget was EUR 25 million in 2017.", "EUR 25 million")
    assert not contains_span("The initial budget was EUR 25 billion in 2017.", "EUR 25 million")


def test_empty_span_never_matches():
    assert not contains_span("anything at all", "")
