"""Evaluation Assistant: cited answers over evaluation reports.

The public surface: `Assistant` (local) and `Client` (a remote server) offer
the same methods (`Service`), returning the same models. Names load on first
use, so a parse worker importing the package does not pay for search.
"""

from assistant import config as _config  # switches off telemetry before anything else loads

__version__ = _config.VERSION

__all__ = [
    "Answer",
    "Assistant",
    "Chunk",
    "Client",
    "Document",
    "IngestReport",
    "Passage",
    "Record",
    "Service",
    "Settings",
    "WouldBlock",
]

_HOMES = {
    "Assistant": "assistant.core",
    "Client": "assistant.clients.http",
    "Service": "assistant.service",
    "Settings": "assistant.config",
    "WouldBlock": "assistant.errors",
    "Answer": "assistant.models",
    "Chunk": "assistant.models",
    "Document": "assistant.models",
    "IngestReport": "assistant.models",
    "Passage": "assistant.models",
    "Record": "assistant.models",
}


def __getattr__(name: str) -> object:
    if name in _HOMES:
        from importlib import import_module

        value = getattr(import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
