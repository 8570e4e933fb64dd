"""A child process that parses files for an ingest (see parsing.py).

Run as `python -m assistant.ingest.worker`. It reads pickled jobs on stdin
and writes pickled results on what was its stdout; its own stdout is sent
to stderr, so a stray print in a library cannot corrupt a result.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from pathlib import Path

from assistant.errors import LoadError


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes our stdin
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    jobs = sys.stdin.buffer
    settings = pickle.load(jobs)

    from assistant.ingest.prepare import prepare  # after the settings: a worker that never gets a job starts fast

    _send(results, ("ready",))
    while True:
        try:
            path, data, doc_id = pickle.load(jobs)
        except EOFError:
            return
        reply: tuple
        try:
            reply = ("ok", prepare(Path(path), data, doc_id, settings))
        except LoadError as exc:
            reply = ("load", exc.reason)
        except Exception as exc:  # reported against the file, like a parse in the parent
            reply = ("error", type(exc).__name__, str(exc))
        _send(results, reply)


def _send(stream, message) -> None:
    pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


if __name__ == "__main__":
    main()
