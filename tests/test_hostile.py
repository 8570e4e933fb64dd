"""Hostile files in one folder beside good ones: each is indexed or fails on its own, with its limit named,
in bounded time, and the rest of the folder goes on. The files are generated (hostile_files.py)."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import hostile_files as hf
import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.ingest.loaders import load
from assistant.models import content_id

GOOD = "iom_aap_evaluation_brief_2024.pdf"


@pytest.fixture(scope="module")
def hostile_ingest(tmp_path_factory):
    """One ingest of a folder of hostile files and two good ones; the assistant and the files by name."""
    base = tmp_path_factory.mktemp("hostile")
    folder = base / "corpus"
    made = {spec.name: spec for spec in hf.build(folder, names=[
        "docx_bomb.docx", "docx_bomb_lying_sizes.docx", "billion_laughs.docx", "xxe.docx", "pdf_flate_bomb.pdf",
        "deep_nesting.pdf", "zero_pages.pdf", "pages_loop.pdf", "deep_divs.html", "one_line_10mb.txt",
        "nul_bytes.txt", "-starts-with-dash.txt", "new\nline.txt",
    ])}
    shutil.copy(Path(__file__).resolve().parent.parent / "corpus" / GOOD, folder / GOOD)
    settings = dataclasses.replace(Settings(), index_dir=base / "index", corpus_dir=folder, max_text_chars=2_000_000)
    assistant = Assistant(settings=settings)
    started = time.monotonic()
    report = assistant.ingest([folder])
    return assistant, report, made, time.monotonic() - started


def _outcomes(report):
    return {Path(f.path).name: f for f in report.files}


def test_every_file_is_indexed_or_fails_with_its_name_and_reason(hostile_ingest):
    assistant, report, made, seconds = hostile_ingest
    files = _outcomes(report)
    assert set(files) == set(made) | {GOOD}
    for name, outcome in files.items():
        if outcome.outcome == "failed":
            assert outcome.error and outcome.error.startswith(name), (name, outcome.error)
            assert "Success" not in outcome.error  # PDFium's "success" on a bad page tree is not a reason
        assert outcome.seconds < 60, (name, outcome.seconds)
    for name, spec in made.items():
        assert files[name].outcome == ("failed" if spec.expected == "failed" else "added"), (name, files[name])
    assert files[GOOD].outcome == "added"
    assert assistant.search("accountability to affected populations", k=3)[0].source == GOOD
    assert seconds < 240


def test_bombs_fail_fast_naming_the_limit(hostile_ingest):
    _, report, _, _ = hostile_ingest
    files = _outcomes(report)
    assert "expands to 501 MB, more than the 200 MB limit" in files["docx_bomb.docx"].error
    assert "ASSISTANT_MAX_INFLATED_MB" in files["docx_bomb.docx"].error
    assert "declares 65,536 bytes" in files["docx_bomb_lying_sizes.docx"].error
    assert "PDF streams expand to more than 200 MB" in files["pdf_flate_bomb.pdf"].error
    assert "limit of 2,000,000 characters (ASSISTANT_MAX_TEXT_CHARS)" in files["one_line_10mb.txt"].error
    for name in ("docx_bomb.docx", "docx_bomb_lying_sizes.docx", "pdf_flate_bomb.pdf", "one_line_10mb.txt"):
        assert files[name].parse_seconds is None or files[name].parse_seconds < 10, (name, files[name])
        assert files[name].parser_peak_mb is None or files[name].parser_peak_mb < 400, (name, files[name])


def test_entities_are_never_expanded_nor_files_read(hostile_ingest):
    assistant, report, made, _ = hostile_ingest
    files = _outcomes(report)
    assert files["billion_laughs.docx"].outcome == "failed"
    texts = " ".join(t for _, t, _ in assistant.store.iter_chunks())
    assert made["xxe.docx"].absent and made["xxe.docx"].absent not in texts
    assert "lollollollol" not in texts


def test_deep_nesting_is_read_not_a_crash(hostile_ingest):
    assistant, report, made, _ = hostile_ingest
    files = _outcomes(report)
    assert files["deep_divs.html"].outcome == "added"
    assert files["deep_nesting.pdf"].outcome == "added"
    for name in ("deep_divs.html", "deep_nesting.pdf"):
        top = assistant.search(made[name].probe, k=3)
        assert any(p.source == name for p in top), name


def test_names_of_any_shape_are_indexed(hostile_ingest):
    _, report, _, _ = hostile_ingest
    files = _outcomes(report)
    assert files["-starts-with-dash.txt"].outcome == "added" and files["new\nline.txt"].outcome == "added"


def test_a_flate_bomb_costs_seconds_not_minutes(tmp_path):
    bomb = hf.pdf_flate_bomb(tmp_path / "bomb.pdf", inflated_mb=512)
    assert bomb.stat().st_size < 1_000_000
    started = time.monotonic()
    with pytest.raises(Exception, match="PDF streams expand"):
        load(bomb, data=bomb.read_bytes())
    assert time.monotonic() - started < 5


def test_a_text_over_the_limit_is_refused_before_it_is_decoded(tmp_path):
    big = hf.text_big(tmp_path / "dump.txt", size_mb=25)
    limits = Settings(max_text_chars=1_000_000).limits
    started = time.monotonic()
    with pytest.raises(Exception, match=r"25 MB of text, more than the limit of 1,000,000 characters"):
        load(big, data=big.read_bytes(), limits=limits)
    assert time.monotonic() - started < 2
    assert content_id(big.read_bytes())  # the file itself is fine to hash


def test_pdfiums_error_on_one_file_does_not_name_the_next(tmp_path):
    """PDFium keeps its last error code: an encrypted file's must not make the next corrupt one 'encrypted'."""
    encrypted = hf.pdf_encrypted(tmp_path / "locked.pdf")
    empty = hf.pdf_zero_pages(tmp_path / "zero.pdf")
    with pytest.raises(Exception, match="encrypted PDF"):
        load(encrypted, data=encrypted.read_bytes())
    with pytest.raises(Exception, match=r"^zero.pdf: corrupt PDF \((its page tree is empty|its structure could not)"):
        load(empty, data=empty.read_bytes())
