"""Parsing in worker processes: the same result as in this process, each file within its budget,
and a worker lost on a file fails that file only."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from badfiles import truncated_pdf

from assistant.config import Settings
from assistant.errors import Cancelled, LoadError
from assistant.ingest import parsing
from assistant.ingest.parsing import Parser
from assistant.ingest.pool import POOL, Worker, WorkerGone
from assistant.ingest.prepare import prepare
from assistant.models import content_id

NAMES = [
    "iom_hoa_eu_joint_initiative_learning_brief_2023.pdf",
    "iom_haiti_dr_binational_dialogue_management_response_2025.pdf",
    "iom_aap_evaluation_brief_2024.pdf",
    "iom_migration_data_strategy_eval_case_study_asia_pacific_2025.pdf",
    "wfp_environmental_policy_evaluation_2024_summary.md",
]


def _here(path, settings):
    data = path.read_bytes()
    return prepare(path, data, content_id(data), settings)


def _same(a, b):
    (doc_a, chunks_a, records_a), (doc_b, chunks_b, records_b) = a, b
    assert doc_a.model_dump(exclude={"ingested_at"}) == doc_b.model_dump(exclude={"ingested_at"})
    assert chunks_a == chunks_b
    assert records_a == records_b


@pytest.fixture()
def worker():
    w = Worker()
    yield w
    w.kill()


def _job(path):
    data = path.read_bytes()
    return path, data, content_id(data)


def test_a_worker_parses_as_this_process_does(corpus_dir, worker):
    settings = Settings()
    for name in NAMES:
        path = corpus_dir / name
        parsed, seconds, peak = worker.parse(*_job(path), settings)
        _same(parsed, _here(path, settings))
        assert seconds > 0 and peak is not None and 20 < peak < 1024  # the worker's own peak, in MB


def test_a_bad_file_in_a_worker_fails_as_it_would_here(corpus_dir, tmp_path, worker):
    bad = truncated_pdf(corpus_dir / NAMES[0], tmp_path / "cut.pdf")
    with pytest.raises(LoadError) as here:
        _here(bad, Settings())
    there, _, _ = worker.parse(*_job(bad), Settings())
    assert isinstance(there, LoadError) and str(there) == str(here.value)
    assert str(there).startswith("cut.pdf: ")
    assert worker.alive  # a refused file costs the worker nothing


def test_a_worker_that_dies_on_a_file_fails_that_file(corpus_dir, worker):
    first, second = corpus_dir / NAMES[0], corpus_dir / NAMES[1]
    assert not isinstance(worker.parse(*_job(first), Settings())[0], BaseException)
    send = worker._send

    def send_then_die(message):  # the file reaches the worker, which dies on it, as in a PDFium crash
        send(message)
        worker.proc.kill()
        worker.proc.wait()

    worker._send = send_then_die
    failed, _, _ = worker.parse(*_job(second), Settings())
    assert isinstance(failed, LoadError)
    assert str(failed) == f"{second.name}: the parser stopped on this file (killed by signal 9)"
    assert not worker.alive


def test_a_worker_dead_before_a_file_does_not_fail_it(corpus_dir, worker):
    assert not isinstance(worker.parse(*_job(corpus_dir / NAMES[0]), Settings())[0], BaseException)
    worker.proc.kill()  # between files
    worker.proc.wait()
    with pytest.raises(WorkerGone):  # the file never reached it: another worker takes it
        worker.parse(*_job(corpus_dir / NAMES[1]), Settings())


def test_a_file_over_its_time_is_stopped_and_named(corpus_dir, worker, monkeypatch):
    slow = dataclasses.replace(Settings(), parse_timeout_s=1)
    big = corpus_dir / "iom_aap_evaluation_report_2024.pdf"  # takes more than a second to parse
    started = time.monotonic()
    failed, seconds, _ = worker.parse(*_job(big), slow)
    assert time.monotonic() - started < 10
    assert isinstance(failed, LoadError)
    assert "longer than 1 s, the per-file time limit (ASSISTANT_PARSE_TIMEOUT_S)" in str(failed)
    assert not worker.alive  # killed; the pool never hands it out again


def test_a_file_over_its_memory_fails_and_costs_only_that_file(corpus_dir, tmp_path):
    """A worker whose parse outgrows its address-space limit fails the file; the next file parses."""
    text = tmp_path / "wide.txt"
    text.write_text(("Findings on the water project were positive in every district visited. " * 40 + "\n\n") * 1700)
    tight = dataclasses.replace(Settings(), parse_memory_mb=130)  # a worker idles at about 50 MB; this text needs 200
    parser = Parser([text, corpus_dir / NAMES[4]], tight, {}, "v1", workers=1)
    try:
        with pytest.raises(LoadError, match=r"more than 130 MB of memory, the per-file limit \(ASSISTANT_PARSE_MEMORY_MB\)"):
            parser.take(text)
        _same(parser.take(corpus_dir / NAMES[4])[2], _here(corpus_dir / NAMES[4], tight))
    finally:
        parser.close()


def test_the_parser_hands_back_every_file_in_order(corpus_dir, tmp_path):
    settings = Settings()
    bad = truncated_pdf(corpus_dir / NAMES[1], tmp_path / "cut.pdf")
    files = [corpus_dir / n for n in NAMES] + [bad, tmp_path / "gone.pdf"]
    indexed = content_id(files[0].read_bytes())
    parser = Parser(files, settings, {indexed: {"version": "v1"}}, "v1", workers=2)
    try:
        data, doc_id, parsed = parser.take(files[0])
        assert doc_id == indexed and parsed is None  # indexed already: hashed, not parsed
        for path in files[1:-2]:
            data, doc_id, parsed = parser.take(path)
            _same(parsed, _here(path, settings))
            seconds, peak = parser.stats[path]
            assert seconds > 0 and peak is not None
        with pytest.raises(LoadError, match="^cut.pdf: "):
            parser.take(bad)
        with pytest.raises(LoadError, match="^gone.pdf: cannot read file"):
            parser.take(tmp_path / "gone.pdf")
    finally:
        parser.close()


def test_a_worker_gone_between_files_costs_no_file(corpus_dir, monkeypatch):
    """Killed between windows (say, by the OOM killer): the next files are parsed by a fresh worker, none fails."""
    monkeypatch.setattr(parsing, "WINDOW_FILES", 2)
    POOL.close()
    settings = Settings()
    files = [corpus_dir / n for n in NAMES]
    parser = Parser(files, settings, {}, "v1", workers=1)
    killed = []
    try:
        parser.take(files[0])
        for proc in _worker_processes():
            proc.kill()
            killed.append(proc)
        for path in files[1:]:
            _same(parser.take(path)[2], _here(path, settings))
    finally:
        parser.close()
    assert killed


def test_cancelling_stops_the_parse_at_once(corpus_dir):
    cancel = threading.Event()
    big = corpus_dir / "iom_aap_evaluation_report_2024.pdf"
    parser = Parser([big], Settings(), {}, "v1", workers=1, cancel=cancel)
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    try:
        with pytest.raises(Cancelled):
            parser.take(big)
    finally:
        parser.close()
    assert time.monotonic() - started < 5


def _worker_processes():
    """The live worker processes of this test process (children running assistant.ingest.worker)."""
    import os
    import signal
    from pathlib import Path

    class _Proc:
        def __init__(self, pid):
            self.pid = pid

        def kill(self):
            os.kill(self.pid, signal.SIGKILL)

    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
        if ppid == me and b"assistant.ingest.worker" in cmdline:
            found.append(_Proc(int(entry.name)))
    return found
