"""The errors that cross module lines, in one place to catch them.

Bad input is a `ValueError` whose message says what is wrong, so the CLI
prints it and the HTTP API answers 422 without knowing every kind.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "Cancelled",
    "ConversationError",
    "FeedbackError",
    "FilterError",
    "KeyConfigError",
    "LoadError",
    "ParseError",
    "QueryError",
    "UploadError",
    "WouldBlock",
]


class LoadError(Exception):
    """A file that cannot be loaded; `str()` names the file and the reason."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{Path(path).name}: {reason}")


class ParseError(Exception):
    """An unexpected error from parsing in a worker, under the name of the exception raised there."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name


class QueryError(ValueError):
    """A query we will not run; the message says why."""


class FilterError(ValueError):
    """A filter key or value we cannot apply; the message says which and why."""


class UploadError(ValueError):
    """An upload we refuse; the message says why. `status` is the HTTP code it maps to."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


class FeedbackError(ValueError):
    """A vote we cannot store; the message says why."""


class ConversationError(ValueError):
    """A conversation or turn we cannot store; the message says why."""


class KeyConfigError(ValueError):
    """The configured keys are unusable (missing file, key too short)."""


class WouldBlock(RuntimeError):
    """Raised by calls told not to block when they would run slow work (the
    model, an index rebuild): a server then sends them to a worker thread."""


class Cancelled(Exception):
    """Work stopped because its caller went away (a client that disconnected); nothing was written."""
