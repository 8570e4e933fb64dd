"""Files read, hashed and parsed on every core, a window of files at a time, before they embed.

Parsing and embedding take turns rather than overlap. On 2 cores torch's
two threads keep both busy, and a file parsed beside them stretched the
embedding by about what the parse cost, so the overlap saved nothing.
Parsing a window of files while the model is idle lets the parse use every
core, one worker process each (pool.py), each file within its budget.

Only work that needs no store runs here; the caller commits files in order.
A file whose content is indexed already is read and hashed, never parsed.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path

from assistant.config import Settings
from assistant.errors import Cancelled, LoadError
from assistant.ingest.loaders import read
from assistant.ingest.pool import POOL, Worker, WorkerGone
from assistant.ingest.prepare import Prepared, prepare
from assistant.models import content_id

__all__ = ["MAX_WORKERS", "Parsed", "Parser"]

log = logging.getLogger(__name__)

WINDOW_FILES = 16  # files read ahead per window ...
WINDOW_BYTES = 64 * 2**20  # ... and bytes: what a window holds in memory
MAX_WORKERS = 3

# (bytes, content id, (document, chunks, records) or None when indexed already)
Parsed = tuple[bytes, str, Prepared | None]


class Parser:
    """Hands the ingest each file's bytes, content id and parse, in the ingest's order.

    `stats[path]` holds each parsed file's (seconds, the worker's peak MB).
    Setting `cancel` stops the work: waiting calls raise `Cancelled`.
    """

    def __init__(self, files: list[Path], settings: Settings, known: dict, version: str,
                 workers: int | None = None, cancel: threading.Event | None = None):
        self.files, self.settings, self.known, self.version = files, settings, known, version
        self.position = {path: i for i, path in enumerate(files)}
        self.done: dict[Path, Parsed | BaseException] = {}
        self.stats: dict[Path, tuple[float, float | None]] = {}
        self.max_workers = min(MAX_WORKERS, os.cpu_count() or 1) if workers is None else workers
        self.cancel = cancel or threading.Event()
        self.queue: queue.Queue = queue.Queue()  # jobs, taken by the workers' threads
        self.threads: list[threading.Thread] = []
        self.pending = 0  # jobs queued and not finished
        self.finished = threading.Condition()
        self.closed = False

    def take(self, path: Path) -> Parsed:
        """This file's parse; raises what reading or parsing it raised."""
        if path not in self.done:
            self._window(self.position[path])
        got = self.done.pop(path)
        if isinstance(got, BaseException):
            raise got
        return got

    def parse_now(self, path: Path, data: bytes, doc_id: str) -> Prepared:
        """One file parsed at once (within its budget), outside the windows; raises what parsing raised."""
        self._parse([(path, data, doc_id)])
        got = self.done.pop(path)
        if isinstance(got, BaseException):
            raise got
        assert got[2] is not None
        return got[2]

    def close(self) -> None:
        """Stop the serving threads; their workers go back to the pool (or die, if cancelled)."""
        with self.finished:
            self.closed = True
            self.finished.notify_all()
        for thread in self.threads:
            thread.join(timeout=30)
        self.threads = []

    def _window(self, start: int) -> None:
        jobs: list[tuple[Path, bytes, str]] = []
        held = 0
        for path in self.files[start:]:
            if len(jobs) >= WINDOW_FILES or held >= WINDOW_BYTES:
                break
            if path in self.done:
                continue
            try:
                data = read(path, max_bytes=self.settings.max_file_mb * 2**20)
            except LoadError as exc:
                self.done[path] = exc
                continue
            held += len(data)
            doc_id = content_id(data)
            record = self.known.get(doc_id)
            if record is not None and record.get("version") == self.version:
                self.done[path] = (data, doc_id, None)
            else:
                jobs.append((path, data, doc_id))
        self._parse(jobs)

    def _parse(self, jobs: list[tuple[Path, bytes, str]]) -> None:
        """Every job on the workers at once, the largest first, so all finish together."""
        if not jobs:
            return
        with self.finished:
            self.pending += len(jobs)
        for job in sorted(jobs, key=lambda job: -len(job[1])):
            self.queue.put(job)
        while len(self.threads) < min(self.max_workers, self.pending):
            thread = threading.Thread(target=self._serve, name="parse-feeder", daemon=True)
            self.threads.append(thread)
            thread.start()
        with self.finished:
            while self.pending:
                if self.cancel.is_set():
                    raise Cancelled("the ingest was cancelled")
                self.finished.wait(timeout=0.2)

    def _finish(self, path: Path, result: Parsed | BaseException, stats: tuple[float, float | None]) -> None:
        with self.finished:
            self.done[path] = result
            self.stats[path] = stats
            self.pending -= 1
            self.finished.notify_all()

    def _serve(self) -> None:
        """One worker's feeder: jobs from the queue to the worker, a fresh worker after one is lost."""
        worker: Worker | None = None
        try:
            while not self.closed and not self.cancel.is_set():
                try:
                    path, data, doc_id = self.queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                if worker is None or not worker.alive:
                    worker = self._worker()
                if worker is None:  # no process can start here: parse in this process, without a budget
                    self._finish(path, *self._here(path, data, doc_id))
                    continue
                try:
                    result, seconds, peak = worker.parse(path, data, doc_id, self.settings, self.cancel)
                except WorkerGone:  # dead before it saw the file: the file goes back for a fresh worker
                    worker.kill()
                    worker = None
                    self.queue.put((path, data, doc_id))
                    continue
                parsed: Parsed | BaseException = result if isinstance(result, BaseException) else (data, doc_id, result)
                self._finish(path, parsed, (seconds, peak))
        finally:
            if worker is not None:
                if self.cancel.is_set():
                    worker.kill()
                else:
                    POOL.give_back(worker)

    def _worker(self) -> Worker | None:
        try:
            return POOL.take()
        except OSError as exc:
            log.warning("cannot start a parse worker (%s); parsing in this process, without a budget", exc)
            return None

    def _here(self, path: Path, data: bytes, doc_id: str) -> tuple[Parsed | BaseException, tuple[float, None]]:
        started = time.monotonic()
        try:
            result: Parsed | BaseException = (data, doc_id, prepare(path, data, doc_id, self.settings))
        except Exception as exc:  # raised when the ingest takes this file
            result = exc
        return result, (time.monotonic() - started, None)
