"""Parsing in worker processes: the same result as in this process, and a dead worker fails one file only."""

from __future__ import annotations

import queue
import threading

import pytest
from badfiles import truncated_pdf

from assistant.config import Settings
from assistant.errors import LoadError
from assistant.ingest import parsing
from assistant.ingest.parsing import Parser, _Worker
from assistant.ingest.prepare import prepare
from assistant.models import content_id

NAMES = [
    "iom_hoa_eu_joint_initiative_learning_brief_2023.pdf",
    "iom_haiti_dr_binational_dialogue_management_response_2025.pdf",
    "iom_aap_evaluation_brief_2024.pdf",
    "iom_migration_data_strategy_eval_case_study_asia_pacific_2025.pdf",
    "wfp_environmental_policy_evaluation_2024_summary.md",
]


class _Results:
    def __init__(self):
        self.got: dict = {}
        self.cond = threading.Condition()

    def finish(self, path, result):
        with self.cond:
            self.got[path] = result
            self.cond.notify_all()

    def wait(self, path, timeout=120):
        with self.cond:
            assert self.cond.wait_for(lambda: path in self.got, timeout), f"no result for {path.name}"
            return self.got[path]


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
    results = _Results()
    jobs: queue.Queue = queue.Queue()
    w = _Worker(Settings(), jobs, results.finish)
    yield w, jobs, results
    w.close()


def test_a_worker_parses_as_this_process_does(corpus_dir, worker):
    w, jobs, results = worker
    settings = Settings()
    for name in NAMES:
        path = corpus_dir / name
        data = path.read_bytes()
        jobs.put((path, data, content_id(data)))
    for name in NAMES:
        path = corpus_dir / name
        data, doc_id, parsed = results.wait(path)
        assert doc_id == content_id(path.read_bytes())
        _same(parsed, _here(path, settings))


def test_a_bad_file_in_a_worker_fails_as_it_would_here(corpus_dir, tmp_path, worker):
    w, jobs, results = worker
    bad = truncated_pdf(corpus_dir / NAMES[0], tmp_path / "cut.pdf")
    data = bad.read_bytes()
    with pytest.raises(LoadError) as here:
        prepare(bad, data, content_id(data), Settings())
    jobs.put((bad, data, content_id(data)))
    there = results.wait(bad)
    assert isinstance(there, LoadError) and str(there) == str(here.value)
    assert str(there).startswith("cut.pdf: ")


def test_a_worker_that_dies_on_a_file_fails_that_file(corpus_dir, worker):
    w, jobs, results = worker
    first, second = corpus_dir / NAMES[0], corpus_dir / NAMES[1]
    send = w._send

    def send_then_die(message):  # the file reaches the worker, which dies on it, as in a PDFium crash
        send(message)
        if isinstance(message, tuple) and message[0] == str(second):
            w.proc.kill()
            w.proc.wait()

    w._send = send_then_die
    data = first.read_bytes()
    jobs.put((first, data, content_id(data)))
    assert not isinstance(results.wait(first), BaseException)
    data = second.read_bytes()
    jobs.put((second, data, content_id(data)))
    failed = results.wait(second)
    assert isinstance(failed, LoadError)
    assert str(failed) == f"{second.name}: the parser stopped on this file (killed by signal 9)"
    assert not w.alive


def test_a_worker_found_dead_hands_its_file_back(corpus_dir, worker):
    w, jobs, results = worker
    first, second = corpus_dir / NAMES[0], corpus_dir / NAMES[1]
    data = first.read_bytes()
    jobs.put((first, data, content_id(data)))
    assert not isinstance(results.wait(first), BaseException)
    w.proc.kill()  # between files
    w.proc.wait()
    job = (second, second.read_bytes(), "id")
    jobs.put(job)
    w.thread.join(timeout=30)
    assert not w.thread.is_alive() and second not in results.got
    assert jobs.get_nowait() == job  # back in the queue, for the others to parse


def test_the_parser_hands_back_every_file_in_order_with_workers(corpus_dir, tmp_path):
    settings = Settings()
    bad = truncated_pdf(corpus_dir / NAMES[1], tmp_path / "cut.pdf")
    files = [corpus_dir / n for n in NAMES] + [bad, tmp_path / "gone.pdf"]
    indexed = content_id(files[0].read_bytes())
    parser = Parser(files, settings, {indexed: {"version": "v1"}}, "v1", workers=1)
    try:
        data, doc_id, parsed = parser.take(files[0])
        assert doc_id == indexed and parsed is None  # indexed already: hashed, not parsed
        workers = list(parser.workers)
        assert len(workers) == 1  # more than a megabyte to parse: a worker helped
        for path in files[1:-2]:
            data, doc_id, parsed = parser.take(path)
            _same(parsed, _here(path, settings))
        with pytest.raises(LoadError, match="^cut.pdf: "):
            parser.take(bad)
        with pytest.raises(LoadError, match="^gone.pdf: cannot read file"):
            parser.take(tmp_path / "gone.pdf")
    finally:
        parser.close()
    assert all(w.proc.poll() == 0 for w in workers)  # told to stop, they exited cleanly


def test_a_worker_gone_between_files_costs_no_file(corpus_dir, monkeypatch):
    """Killed between windows (say, by the OOM killer): the next files are parsed elsewhere, none fails."""
    monkeypatch.setattr(parsing, "WINDOW_FILES", 2)
    monkeypatch.setattr(parsing, "WORKER_MIN_BYTES", 0)
    settings = Settings()
    files = [corpus_dir / n for n in NAMES]
    parser = Parser(files, settings, {}, "v1", workers=1)
    try:
        parser.take(files[0])
        first = parser.workers[0]
        first.proc.kill()
        first.proc.wait()
        for path in files[1:]:
            _same(parser.take(path)[2], _here(path, settings))
        assert first not in parser.workers and len(parser.workers) == 1  # replaced by a fresh one
    finally:
        parser.close()
