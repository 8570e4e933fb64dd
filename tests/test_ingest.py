"""Ingest: the sample corpus, incremental runs, replacement, pruning, removal."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import badfiles
import pypdf

from assistant import Assistant
from assistant.cli import main as cli
from assistant.ingest.sentences import split


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def test_sample_corpus_is_indexed_whole(indexed, corpus_dir):
    assistant, report = indexed
    files = sorted(p.name for p in corpus_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    assert report.failed == []
    assert report.added == len(files) == 11
    docs = assistant.documents()
    assert sorted(d.source for d in docs) == files
    assert report.chunks == assistant.store.count() == sum(d.chunks for d in docs)
    for d in docs:
        assert d.chunks > 0 and d.title and d.sections
        if d.format == "pdf":
            assert d.pages and d.pages >= 2
    assert report.pages == sum(d.pages or 0 for d in docs)


def test_every_stored_chunk_carries_document_metadata(indexed):
    assistant, _ = indexed
    docs = {d.doc_id: d for d in assistant.documents()}
    seen = 0
    for _, text, meta in assistant.store.iter_chunks():
        doc = docs[meta["doc_id"]]
        assert meta["source"] == doc.source and meta["title"] == doc.title
        assert meta.get("organisation") == doc.organisation
        assert meta.get("year") == doc.year and meta["kind"] == doc.kind
        assert meta["section_type"] and text.strip()
        if doc.pages:
            assert 1 <= meta["page"] <= meta["page_end"] <= doc.pages
        seen += 1
    assert seen == sum(d.chunks for d in docs.values())


def test_chunk_pages_match_the_pdf(indexed, corpus_dir):
    """A chunk's text really is on the pages it claims (checked with pypdf itself)."""
    assistant, _ = indexed
    name = "iom_aap_evaluation_report_2024.pdf"
    pages = [_norm(p.extract_text() or "") for p in pypdf.PdfReader(corpus_dir / name).pages]
    chunks = list(assistant.store.iter_chunks(where={"source": name}))
    assert len(chunks) > 50
    checked = contiguous = 0
    for _, text, meta in chunks[::5]:
        span = "".join(pages[meta["page"] - 1 : meta["page_end"]])
        for sentence in split(text):
            words = [_norm(w) for w in re.findall(r"[^\W\d_]{4,}", sentence)][:6]
            if len(words) < 3:
                continue
            # Every word is on the claimed pages; the sentence's opening reads the same there,
            # except where a table or diagram is read in another order by pypdf.
            assert all(w in span for w in words), (meta["page"], meta["page_end"], sentence[:80])
            contiguous += _norm(sentence)[:20] in span
            checked += 1
    assert contiguous >= 0.9 * checked
    assert checked >= 50


def test_unchanged_reingest_embeds_nothing(indexed, corpus_dir):
    assistant, first = indexed
    before_embedded = assistant.embedder.texts_embedded
    before_chunks = assistant.store.count()
    again = assistant.ingest([corpus_dir])
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 11, 0)
    assert assistant.embedder.texts_embedded == before_embedded
    assert again.chunks == before_chunks == first.chunks


def test_changed_file_replaces_its_chunks(small_corpus, tmp_path):
    a = Assistant(index_dir=tmp_path / "index", corpus_dir=small_corpus)
    first = a.ingest([small_corpus])
    assert first.added == 3 and first.ok
    txt = small_corpus / "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
    old = next(d for d in a.documents() if d.source == txt.name)
    txt.write_text(txt.read_text(encoding="utf-8") + "\n\nAddendum: a zebra-crossing note added later.\n", encoding="utf-8")

    second = a.ingest([small_corpus])
    assert (second.added, second.updated, second.unchanged) == (0, 1, 2)
    new = next(d for d in a.documents() if d.source == txt.name)
    assert new.doc_id != old.doc_id and len(a.documents()) == 3
    assert list(a.store.iter_chunks(where={"doc_id": old.doc_id})) == []
    texts = [t for _, t, _ in a.store.iter_chunks(where={"doc_id": new.doc_id})]
    assert len(texts) == new.chunks and any("zebra-crossing" in t for t in texts)
    assert a.store.count() == sum(d.chunks for d in a.documents())


def test_moved_file_keeps_its_chunks_and_prune_removes_gone_files(small_corpus, tmp_path):
    a = Assistant(index_dir=tmp_path / "index", corpus_dir=small_corpus)
    a.ingest([small_corpus])
    embedded = a.embedder.texts_embedded
    brief = small_corpus / "iom_aap_evaluation_brief_2024.pdf"
    moved = small_corpus / "sub" / "aap_brief.pdf"
    moved.parent.mkdir()
    shutil.move(brief, moved)
    report = a.ingest([small_corpus])
    assert report.unchanged == 3 and a.embedder.texts_embedded == embedded
    assert any(d.path == str(moved.resolve()) and d.source == "aap_brief.pdf" for d in a.documents())
    assert {m["source"] for _, _, m in a.store.iter_chunks(where={"source": "aap_brief.pdf"})} == {"aap_brief.pdf"}
    assert not list(a.store.iter_chunks(where={"source": brief.name}))

    (small_corpus / "iom_hoa_eu_joint_initiative_learning_brief_2023.pdf").unlink()
    kept = a.ingest([small_corpus])
    assert kept.removed == 0 and kept.documents == 3  # no --prune: nothing is dropped
    pruned = a.ingest([small_corpus], prune=True)
    assert pruned.removed == 1 and pruned.documents == 2
    assert a.store.count() == sum(d.chunks for d in a.documents())


def test_cli_documents_remove_and_json_summary(small_corpus, tmp_path, capsys):
    index = str(tmp_path / "index")
    assert cli(["ingest", str(small_corpus), "--index", index, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) == {"added", "updated", "unchanged", "removed", "failed", "documents", "chunks", "pages", "seconds",
                            "files"}
    assert {f["outcome"] for f in summary["files"]} == {"added"} and len(summary["files"]) == 3
    assert all(f["parse_seconds"] > 0 and f["parser_peak_mb"] > 0 for f in summary["files"])
    assert summary["added"] == 3 and summary["failed"] == []

    assert cli(["documents", "--index", index, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {d["source"] for d in listed} == {p.name for p in small_corpus.iterdir()}

    assert cli(["remove", "iom_aap_evaluation_brief_2024.pdf", "--index", index]) == 0
    capsys.readouterr()
    assert cli(["remove", "iom_aap_evaluation_brief_2024.pdf", "--index", index]) == 1
    assert "no indexed document" in capsys.readouterr().err
    assert cli(["documents", "--index", index, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_bad_files_are_reported_and_the_rest_goes_on(small_corpus, tmp_path, corpus_dir, capsys):
    index = str(tmp_path / "index")
    assert cli(["ingest", str(small_corpus), "--index", index, "--no-progress"]) == 0
    before = Assistant(index_dir=index).documents()
    capsys.readouterr()

    source = corpus_dir / "iom_aap_evaluation_brief_2024.pdf"
    bad = small_corpus / "bad"
    bad.mkdir()
    badfiles.truncated_pdf(source, bad / "truncated.pdf")
    badfiles.encrypted_pdf(source, bad / "locked.pdf", user_password="s3cret")
    badfiles.image_only_pdf(bad / "scanned.pdf")
    (bad / "empty.txt").write_bytes(b"")
    (bad / "fake.pdf").write_text("<html><body>404 not found</body></html>")
    badfiles.encoded_text(bad / "latin1.txt", "Évaluation à mi-parcours\n\nLa coopération française a été évaluée en 2023.", "latin-1")

    code = cli(["ingest", str(small_corpus), "--index", index, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    reasons = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert set(reasons) == {"truncated.pdf", "locked.pdf", "scanned.pdf", "empty.txt", "fake.pdf"}
    for name, error in reasons.items():
        assert error.startswith(name), error  # every message names its file
    assert "encrypted" in reasons["locked.pdf"] and "text layer" in reasons["scanned.pdf"]
    assert "empty" in reasons["empty.txt"]
    assert report["added"] == 1 and report["unchanged"] == 3  # the Latin-1 file, and nothing lost

    after = Assistant(index_dir=index)
    assert {d.doc_id for d in before} < {d.doc_id for d in after.documents()}
    latin = next(d for d in after.documents() if d.source == "latin1.txt")
    texts = [t for _, t, _ in after.store.iter_chunks(where={"doc_id": latin.doc_id})]
    assert any("coopération française a été évaluée" in t for t in texts)
