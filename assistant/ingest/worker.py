"""A child process that parses files for an ingest (see pool.py), each within its memory limit.

Run as `python -m assistant.ingest.worker`. It reads pickled jobs on stdin
and writes pickled results on what was its stdout; its own stdout is sent
to stderr, so a stray print in a library cannot corrupt a result. Each job
sets the process's address-space limit to the file's budget; an allocation
past it raises MemoryError here (reported, then the worker exits, as it may
be in no state to go on) or crashes native code (the parent reports that).
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import sys
from pathlib import Path
from typing import Any, BinaryIO


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes our stdin
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    jobs = sys.stdin.buffer

    from assistant.errors import LoadError
    from assistant.ingest.prepare import prepare  # before "ready": a pooled worker is warm when a job comes

    _send(results, ("ready",))
    while True:
        try:
            path, data, doc_id, settings = pickle.load(jobs)
        except EOFError:
            return
        _limit_memory(settings.limits.memory_bytes)
        _reset_peak()
        reply: tuple[Any, ...]
        try:
            reply = ("ok", prepare(Path(path), data, doc_id, settings))
        except LoadError as exc:
            reply = ("load", exc.reason)
        except MemoryError:
            del data
            _limit_memory(resource.RLIM_INFINITY)  # room to report it
            _send(results, ("memory", _peak_mb()))
            return
        except RecursionError:
            reply = ("load", "structure nested too deeply to read")
        except Exception as exc:  # reported against the file, like a parse in the parent
            reply = ("error", type(exc).__name__, str(exc))
        del data
        _send(results, (*reply, _peak_mb()))


def _limit_memory(limit: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and (limit == resource.RLIM_INFINITY or limit > hard):
        limit = hard
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _reset_peak() -> None:
    """Start the peak-memory count afresh for this file (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_mb() -> float | None:
    """This process's peak resident memory since the job began, in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _send(stream: BinaryIO, message: Any) -> None:
    pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


if __name__ == "__main__":
    main()
