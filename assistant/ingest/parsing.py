"""Files read, hashed and parsed on every core, a window of files at a time, before they embed.

Parsing and embedding take turns rather than overlap. On 2 cores torch's
two threads keep both busy, and a file parsed on a thread beside them
stretched the embedding by about what the parse cost (the GIL, and an
intra-op thread losing its core), so the overlap saved nothing. Parsing a
window of files while the model is idle lets the parse use every core: this
process and worker processes (worker.py), each with its own GIL and
PDFium. On the sample corpus a window parsed in about half the time the
same files took on one core. A worker that dies on a file (PDFium is native
code) fails that file alone.

Only work that needs no store runs here; the caller commits files in order.
A file whose content is indexed already is read and hashed, never parsed.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings
from assistant.errors import LoadError, ParseError
from assistant.ingest.loaders import read
from assistant.ingest.prepare import Prepared, prepare
from assistant.models import content_id

log = logging.getLogger(__name__)

WINDOW_FILES = 16  # files read ahead per window ...
WINDOW_BYTES = 64 * 2**20  # ... and bytes: what a window holds in memory
WORKER_MIN_BYTES = 2**20  # smaller windows parse faster than a worker gets going (0.3 s to start, 0.6 s of first-use loading)
MAX_WORKERS = 3

# (bytes, content id, (document, chunks, records) or None when indexed already)
Parsed = tuple[bytes, str, Prepared | None]


class Parser:
    """Hands the ingest each file's bytes, content id and parse, in the ingest's order."""

    def __init__(self, files: list[Path], settings: Settings, known: dict, version: str, workers: int | None = None):
        self.files, self.settings, self.known, self.version = files, settings, known, version
        self.position = {path: i for i, path in enumerate(files)}
        self.done: dict[Path, Parsed | BaseException] = {}
        cores = os.cpu_count() or 1
        self.max_workers = min(MAX_WORKERS, cores - 1) if workers is None else workers
        self.workers: list[_Worker] = []
        self.queue: queue.Queue = queue.Queue()  # jobs, taken by this thread and the workers' threads alike
        self.pending = 0  # jobs queued and not finished
        self.finished = threading.Condition()

    def take(self, path: Path) -> Parsed:
        """This file's parse; raises what reading or parsing it raised."""
        if path not in self.done:
            self._window(self.position[path])
        got = self.done.pop(path)
        if isinstance(got, BaseException):
            raise got
        return got

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.workers = []

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
        """Every job, here and on the workers at once; the largest first, so all finish together."""
        self._start_workers(jobs)
        with self.finished:
            self.pending += len(jobs)
        for job in sorted(jobs, key=lambda job: -len(job[1])):
            self.queue.put(job)
        while True:  # until every job is done; a worker found dead puts its job back
            try:
                path, data, doc_id = self.queue.get_nowait()
            except queue.Empty:
                with self.finished:
                    if self.pending == 0:
                        return
                    self.finished.wait(timeout=0.1)
                continue
            self._finish(path, self._here(path, data, doc_id))

    def _finish(self, path: Path, result: Parsed | BaseException) -> None:
        with self.finished:
            self.done[path] = result
            self.pending -= 1
            self.finished.notify_all()

    def _here(self, path: Path, data: bytes, doc_id: str) -> Parsed | BaseException:
        try:
            return data, doc_id, prepare(path, data, doc_id, self.settings)
        except Exception as exc:  # raised when the ingest takes this file
            return exc

    def _start_workers(self, jobs: list) -> None:
        """Workers start on the first window worth them: two files or more, a megabyte or more."""
        for dead in [w for w in self.workers if not w.alive]:  # a fresh one takes its place
            dead.close()
            self.workers.remove(dead)
        if len(jobs) < 2 or sum(len(job[1]) for job in jobs) < WORKER_MIN_BYTES:
            return
        while len(self.workers) < self.max_workers:
            try:
                self.workers.append(_Worker(self.settings, self.queue, self._finish))
            except OSError as exc:  # no subprocess here: this thread parses alone
                log.warning("cannot start a parse worker (%s); parsing on one core", exc)
                self.max_workers = len(self.workers)


class _Worker:
    """One `python -m assistant.ingest.worker` process, and a thread feeding it jobs from the queue.

    The thread takes a job only once the process is ready, so a window that
    this process parses faster alone never waits for a worker to start.
    """

    def __init__(self, settings: Settings, jobs: queue.Queue, finish: Callable):
        package_root = str(Path(__file__).resolve().parents[2])  # the child imports this same `assistant`
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.ingest.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.jobs, self.finish = jobs, finish
        self.stopping, self.serving = False, True
        self.thread = threading.Thread(target=self._run, args=(settings,), name="parse-worker", daemon=True)
        self.thread.start()

    @property
    def alive(self) -> bool:
        return self.serving and self.proc.poll() is None

    def _run(self, settings: Settings) -> None:
        try:
            self._serve(settings)
        finally:
            self.serving = False

    def _serve(self, settings: Settings) -> None:
        try:
            self._send(settings)
            if self._receive() != ("ready",):
                return
        except (OSError, EOFError, pickle.UnpicklingError):
            return  # never took a job: the others parse them
        while not self.stopping:
            try:
                job = self.jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            path, data, doc_id = job
            try:
                self._send((str(path), data, doc_id))
            except OSError:  # it was gone before this file: another parser takes the file
                self.jobs.put(job)
                return
            except Exception as exc:
                self.finish(path, exc)
                return
            try:
                reply = self._receive()
            except (OSError, EOFError, pickle.UnpicklingError):
                self.finish(path, LoadError(path, f"the parser stopped on this file ({self._exit()})"))
                return
            except Exception as exc:  # whatever it is, the file gets it and the ingest does not wait forever
                self.finish(path, exc)
                return
            if reply[0] == "ok":
                self.finish(path, (data, doc_id, reply[1]))
            elif reply[0] == "load":
                self.finish(path, LoadError(path, reply[1]))
            else:
                self.finish(path, ParseError(reply[1], reply[2]))

    def close(self) -> None:
        self.stopping = True
        try:
            self.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(timeout=10)
        self.stdout.close()

    def _send(self, message) -> None:
        pickle.dump(message, self.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.stdin.flush()

    def _receive(self):
        return pickle.load(self.stdout)

    def _exit(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "no reply"
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"
