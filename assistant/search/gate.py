"""Searches under load: one ranking at a time, in arrival order, with single-threaded BLAS.

A server's worker threads ranking at once only fight over the GIL and BLAS
threads; one at a time, in order, served twice the searches per second
(docs/experiments.md, "Server concurrency").
"""

from __future__ import annotations

import threading
from collections import deque
from functools import lru_cache

__all__ = ["FairGate", "single_threaded_blas"]


@lru_cache(maxsize=1)
def single_threaded_blas() -> None:
    """numpy's BLAS threads spin between the small products a search makes, and the
    spinning starves a server's other threads. Process-wide; torch keeps its own threads."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class FairGate:
    """A semaphore that lets waiters in in arrival order (threading's lets a newcomer barge in)."""

    def __init__(self, slots: int):
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # the leaver hands its slot straight to the longest waiter

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1
