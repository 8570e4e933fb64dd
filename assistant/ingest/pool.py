"""Parse worker processes, each file parsed within its budget, and kept warm between ingests.

Every file is parsed in a worker (`python -m assistant.ingest.worker`), never
in the ingest's own process, because only a process can be bounded: the
worker caps its address space (`Limits.memory_bytes`), and the parent kills
it when a file runs past `Limits.timeout_s`. A file that breaks a limit,
or crashes the native parser, fails alone with the limit named; its worker
is replaced and the next file goes on. A subprocess rather than
`multiprocessing`, which would re-run an unguarded user script in the child.

Idle workers are kept for IDLE_SECONDS, so a server's uploads and a test
suite's many small ingests do not each pay a worker's start (about a second
of imports).
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import Cancelled, LoadError, ParseError
from assistant.ingest.prepare import Prepared

__all__ = ["IDLE_SECONDS", "POOL", "Outcome", "Worker", "WorkerGone"]

log = logging.getLogger(__name__)

IDLE_SECONDS = 60.0
_POLL = 0.2  # how often a wait for a reply looks at the clock and the cancel flag
_CRASH_SIGNALS = {signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGTRAP, signal.SIGILL}

Outcome = tuple[Prepared | BaseException, float, float | None]  # parse or error, seconds, the worker's peak MB


class WorkerGone(Exception):
    """The worker was dead before it got the file: the file is not to blame, another worker takes it."""


class Worker:
    """One worker process; `parse` sends it a file and waits for the reply within the file's budget."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])  # the child imports this same `assistant`
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.ingest.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.ready = False  # the worker said "ready": its imports are done

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def parse(self, path: Path, data: bytes, doc_id: str, settings: Settings,
              cancel: threading.Event | None = None) -> Outcome:
        """The file's parse or the error it failed with; raises `WorkerGone` if the worker was dead before it."""
        started = time.monotonic()
        limits = settings.limits
        if not self.ready:
            if self._wait(started + max(limits.timeout_s, 60), cancel) != "reply" or self._receive() != ("ready",):
                raise WorkerGone("the worker did not start")
            self.ready = True
        try:
            self._send((str(path), data, doc_id, settings))
        except OSError as exc:
            raise WorkerGone(str(exc)) from exc
        waited = self._wait(time.monotonic() + limits.timeout_s, cancel)
        seconds = time.monotonic() - started
        if waited == "cancelled":
            self.kill()
            return Cancelled(f"{path.name}: cancelled"), seconds, None
        if waited == "timeout":
            self.kill()
            return LoadError(path, f"parsing took longer than {limits.timeout_s:g} s, the per-file time limit "
                                   "(ASSISTANT_PARSE_TIMEOUT_S)"), seconds, None
        try:
            reply = self._receive()
        except (OSError, EOFError, pickle.UnpicklingError):
            return LoadError(path, self._stopped(limits.memory_bytes)), seconds, None
        kind, *rest = reply
        peak = rest[-1]
        if kind == "ok":
            return rest[0], seconds, peak
        if kind == "load":
            return LoadError(path, rest[0]), seconds, peak
        if kind == "memory":  # the worker exits after this: it may be in no state to parse more
            self.close()
            return LoadError(path, f"parsing needed more than {limits.memory_bytes / 2**20:,.0f} MB of memory, "
                                   "the per-file limit (ASSISTANT_PARSE_MEMORY_MB)"), seconds, peak
        return ParseError(rest[0], rest[1]), seconds, peak

    def _wait(self, deadline: float, cancel: threading.Event | None) -> str:
        """"reply" when the worker has written (or died), else "timeout" or "cancelled"."""
        while True:
            if cancel is not None and cancel.is_set():
                return "cancelled"
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            readable, _, _ = select.select([self.stdout], [], [], min(_POLL, left))
            if readable:
                return "reply"

    def _stopped(self, memory_bytes: int) -> str:
        code = self._exit()
        reason = f"the parser stopped on this file ({code})"
        if code.startswith("killed by signal") and int(code.rsplit(" ", 1)[1]) in _CRASH_SIGNALS:
            reason += f"; it may have run out of its {memory_bytes / 2**20:,.0f} MB (ASSISTANT_PARSE_MEMORY_MB)"
        return reason

    def _exit(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "no reply"
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"

    def kill(self) -> None:
        if self.alive:
            self.proc.kill()
        self.proc.wait()
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to stop (end of its input), killing it if it does not."""
        try:
            self.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def _send(self, message: Any) -> None:
        pickle.dump(message, self.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.stdin.flush()

    def _receive(self) -> Any:
        return pickle.load(self.stdout)


class _Pool:
    """Idle workers, handed out and given back; closed after IDLE_SECONDS unused, and at exit."""

    def __init__(self) -> None:
        self._idle: list[tuple[float, Worker]] = []
        self._lock = threading.Lock()
        self._reaper: threading.Timer | None = None

    def take(self) -> Worker:
        """An idle worker still alive, else a new one (which raises OSError where no process can start)."""
        with self._lock:
            while self._idle:
                _, worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.kill()
        return Worker()

    def give_back(self, worker: Worker) -> None:
        if not worker.alive:
            worker.kill()
            return
        with self._lock:
            self._idle.append((time.monotonic(), worker))
            if self._reaper is None:
                self._reaper = threading.Timer(IDLE_SECONDS, self._reap)
                self._reaper.daemon = True
                self._reaper.start()

    def _reap(self) -> None:
        with self._lock:
            self._reaper = None
            now = time.monotonic()
            stale = [w for t, w in self._idle if now - t >= IDLE_SECONDS]
            self._idle = [(t, w) for t, w in self._idle if now - t < IDLE_SECONDS]
            if self._idle:
                self._reaper = threading.Timer(IDLE_SECONDS, self._reap)
                self._reaper.daemon = True
                self._reaper.start()
        for worker in stale:
            worker.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            if self._reaper is not None:
                self._reaper.cancel()
                self._reaper = None
        for _, worker in idle:
            worker.close()


POOL = _Pool()
atexit.register(POOL.close)
