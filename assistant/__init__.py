"""Evaluation Assistant: cited answers over evaluation reports."""

from assistant import config as _config  # noqa: F401  (switches off telemetry before anything else loads)

__all__ = ["Assistant", "Answer", "Chunk", "Document", "IngestReport", "Passage", "WouldBlock"]
__version__ = "0.1.0"

_HOMES = {"Assistant": "core", "WouldBlock": "embed.embedder", "Answer": "models", "Chunk": "models",
          "Document": "models", "IngestReport": "models", "Passage": "models"}


def __getattr__(name: str):
    """The public names, imported on first use: a parse worker (parse_worker.py) imports
    the package, and need not pay for the retrieval and answering modules."""
    if name in _HOMES:
        from importlib import import_module

        value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
