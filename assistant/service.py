"""What a local `Assistant` and a remote `Client` both offer: code written against
`Service` switches between them by changing one line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from assistant.models import Answer, Document, IngestReport, Passage, Progress, Record, ReportCard, StreamEvent

__all__ = ["Service"]


@runtime_checkable
class Service(Protocol):
    def search(self, query: str, k: int = 10, filters: dict[str, Any] | None = None) -> list[Passage]:
        """The k passages that best match the query, best first, citable."""
        ...

    def ask(self, question: str, k: int = 6, filters: dict[str, Any] | None = None,
            history: list | None = None) -> Answer:
        """A short answer in the reports' own words, every sentence cited."""
        ...

    def ask_stream(self, question: str, k: int = 6, filters: dict[str, Any] | None = None,
                   history: list | None = None) -> Iterator[StreamEvent]:
        """`ask` as events: text pieces, then the answer."""
        ...

    def lessons(self, query: str | None = None, type: str | None = None,
                filters: dict[str, Any] | None = None, k: int = 50) -> list[Record]:
        """Lessons, good practices, recommendations and management responses."""
        ...

    def documents(self) -> list[Document]:
        ...

    def document(self, doc_id: str) -> Document | None:
        ...

    def card(self, doc_id: str) -> ReportCard:
        """One report at a glance: facts, summary, findings per DAC criterion, records; KeyError when unknown."""
        ...

    def ingest(self, paths: Iterable[str | Path] | None = None, prune: bool = False,
               progress: Progress | None = None) -> IngestReport:
        ...

    def remove(self, doc_id: str) -> bool:
        ...
