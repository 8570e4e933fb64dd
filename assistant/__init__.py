"""Evaluation Assistant: cited answers over evaluation reports."""

from . import config as _config  # noqa: F401  (switches off telemetry before anything else loads)
from .core import Assistant
from .embedding import WouldBlock
from .models import Answer, Chunk, Document, IngestReport, Passage

__all__ = ["Assistant", "Answer", "Chunk", "Document", "IngestReport", "Passage", "WouldBlock"]
__version__ = "0.1.0"
