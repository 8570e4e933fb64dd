"""The `Assistant` facade: the one surface the CLI, API, UI and client use.

It owns the settings, the store and the (lazily loaded) embedder, and
serialises writes so an upload can ingest while searches go on.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Iterable

from .answer import ExtractiveAnswerer
from .config import Settings
from .embedding import Embedder
from .filters import Filters
from .followup import contextualize
from .intent import list_intent
from .ingest import Progress, ingest
from .lexical import LexicalIndex
from .llm import LLMAnswerer, make_chat_model
from .models import Answer, Document, IngestReport, Passage
from .retrieval import Retriever, check_query
from .store import Store


class Assistant:
    def __init__(
        self,
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        chat_model: Any | None = None,
        **overrides,
    ):
        """`chat_model`: a langchain chat model to answer with (default: the
        configured `ASSISTANT_LLM`, else the extractive answerer)."""
        base = settings or Settings.from_env()
        if index_dir is not None:
            overrides["index_dir"] = Path(index_dir)
        self.settings = base.with_(**overrides)
        self.store = Store(self.settings)
        self.embedder = Embedder(self.settings.model_name, batch_size=self.settings.embed_batch)
        self.lexical = LexicalIndex(self.store)
        self.retriever = Retriever(self.store, self.embedder, self.lexical)
        extractive = ExtractiveAnswerer(self.store, self.lexical)
        chat_model = chat_model if chat_model is not None else make_chat_model(self.settings)
        self.answerer = LLMAnswerer(chat_model, extractive) if chat_model is not None else extractive
        self._write_lock = threading.Lock()

    def ingest(
        self,
        paths: Iterable[str | Path] | None = None,
        prune: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Index files and folders (default: the configured corpus folder)."""
        targets = list(paths) if paths is not None else [self.settings.corpus_dir]
        with self._write_lock:
            try:
                return ingest(targets, self.store, self.embedder, self.settings, prune=prune, progress=progress)
            finally:
                self.lexical.invalidate()

    def documents(self) -> list[Document]:
        return self.store.documents()

    def document(self, doc_id: str) -> Document | None:
        return self.store.document(self._resolve(doc_id))

    def remove(self, doc_id: str) -> bool:
        """Delete a document (by id, unique id prefix or file name) and its chunks."""
        with self._write_lock:
            try:
                return self.store.remove(self._resolve(doc_id))
            finally:
                self.lexical.invalidate()

    def search(self, query: str, k: int = 10, filters: dict | Filters | None = None) -> list[Passage]:
        """The k passages that best match the query, best first, citable."""
        return self.retriever.search(query, k=k, filters=filters)

    def ask(
        self,
        question: str,
        k: int = 6,
        filters: dict | Filters | None = None,
        history: list | None = None,
    ) -> Answer:
        """A short answer in the reports' own words, every sentence cited.

        `history` (earlier questions, (question, answer) pairs or chat
        messages) lets a follow-up like "and in Cambodia?" keep its subject.
        """
        started = time.perf_counter()
        question = check_query(question, k)
        parsed = filters if isinstance(filters, Filters) else Filters.parse(filters)
        query = contextualize(question, history)
        passages = self._passages_for(question, query, k, parsed)
        retrieved = time.perf_counter()
        qvec = self.embedder.embed_query(query)
        answer = self.answerer.answer(query, qvec, passages)
        answer.question = question
        done = time.perf_counter()
        answer.timings = {
            "retrieve_ms": round((retrieved - started) * 1000, 1),
            "answer_ms": round((done - retrieved) * 1000, 1),
            "total_ms": round((done - started) * 1000, 1),
        }
        return answer

    def _passages_for(self, question: str, query: str, k: int, filters: Filters) -> list[Passage]:
        """A list question ("what were the recommendations") searches that section type first."""
        kind = list_intent(question)
        if kind and "section_type" not in filters.equals:
            typed = self.retriever.search(query, k=max(k, 10), filters=filters.narrowed(section_type=kind))
            if typed:
                return typed
        return self.retriever.search(query, k=k, filters=filters)

    def _resolve(self, ref: str) -> str:
        """Accept what a user will type: an id, an id prefix, or the file name."""
        docs = self.store.documents()
        exact = [d.doc_id for d in docs if ref in (d.doc_id, d.source, d.path)]
        if exact:
            return exact[0]
        prefixed = [d.doc_id for d in docs if d.doc_id.startswith(ref)]
        if len(prefixed) == 1:
            return prefixed[0]
        if len(prefixed) > 1:
            raise KeyError(f"{ref!r} matches {len(prefixed)} documents; give more of the id")
        return ref
