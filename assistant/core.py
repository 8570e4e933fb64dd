"""The `Assistant` facade: the one surface the CLI, API, UI and client use.

It owns the settings, the store and the (lazily loaded) embedder, and
serialises writes so an upload can ingest while searches go on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.answer.base import Answerer, cited_at
from assistant.answer.card import build_card, card_answer, summary_request
from assistant.answer.evidence import Evidence, EvidenceError, PageImage, PassageView
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.llm import LLMAnswerer, make_chat_model
from assistant.answer.streaming import answer_events, fixed_events
from assistant.config import Settings
from assistant.embed.embedder import Embedder
from assistant.errors import ConversationError
from assistant.index.conversation_export import to_markdown
from assistant.index.conversations import LOCAL_OWNER, Conversation, ConversationStore, ConversationSummary, make_turn
from assistant.index.feedback import FeedbackLog
from assistant.index.filters import Filters
from assistant.index.snapshot import Snapshot
from assistant.index.store import Store
from assistant.ingest import uploads
from assistant.ingest.pipeline import ingest
from assistant.ingest.uploads import add_upload
from assistant.models import Answer, Document, IngestReport, Passage, Progress, Record, ReportCard, StreamEvent
from assistant.search.followup import contextualize
from assistant.search.intent import document_kinds, list_intent
from assistant.search.query import check_query
from assistant.search.ranking import kin_titles
from assistant.search.records import RecordIndex
from assistant.search.retriever import Retriever

__all__ = ["Assistant"]


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
        self.snapshot = Snapshot(self.store)
        self.retriever = Retriever(self.store, self.embedder, self.snapshot)
        self._records = RecordIndex(self.store, self.embedder)
        extractive = ExtractiveAnswerer(self.snapshot, self._records)
        chat_model = chat_model if chat_model is not None else make_chat_model(self.settings)
        self.answerer: Answerer = LLMAnswerer(chat_model, extractive) if chat_model is not None else extractive
        self._write_lock = threading.Lock()
        self._evidence = Evidence(self.store)

    def ingest(
        self,
        paths: Iterable[str | Path] | None = None,
        prune: bool = False,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """Index files and folders (default: the configured corpus folder); `cancel` stops it between files."""
        targets = list(paths) if paths is not None else [self.settings.corpus_dir]
        with self._write_lock:
            try:
                return ingest(targets, self.store, self.embedder, self.settings, prune=prune, progress=progress,
                              cancel=cancel)
            finally:
                self.snapshot.invalidate()

    def documents(self) -> list[Document]:
        return self.store.documents()

    def chunk_count(self) -> int:
        """Chunks in the index (every document's, complete or being written)."""
        return self.store.count()

    def document(self, doc_id: str) -> Document | None:
        return self.store.document(self._resolve(doc_id))

    def page_image(self, doc_id: str, page: int, chunk_id: str | None = None,
                   sentences: Sequence[str] = ()) -> PageImage:
        """Page `page` (1-based) of a PDF document as PNG, with the cited `sentences` of passage
        `chunk_id` marked (without sentences: the passage's text on that page), so a reader sees
        where it says that. Raises `EvidenceError` (a ValueError, `status` 404, 409, 415 or 422)."""
        return self._evidence.page_image(self._evidence_doc(doc_id), page, chunk_id, sentences)

    def passage_view(self, doc_id: str, chunk_id: str, sentences: Sequence[str] = ()) -> PassageView:
        """Passage `chunk_id` within its section's text, the cited `sentences` as character spans:
        the evidence of formats without pages. Raises `EvidenceError` like `page_image`."""
        return self._evidence.passage_view(self._evidence_doc(doc_id), chunk_id, sentences)

    def _evidence_doc(self, doc_id: str) -> Document:
        doc = self.document(doc_id)
        if doc is None:
            raise EvidenceError(f"no indexed document {doc_id!r}", 404)
        return doc

    def remove(self, doc_id: str) -> bool:
        """Delete a document (by id, unique id prefix or file name) and its chunks.

        An uploaded document's file goes too (the uploads folder is ours), so a
        re-index does not bring it back; a file elsewhere is the user's and stays.
        """
        with self._write_lock:
            try:
                resolved = self._resolve(doc_id)
                doc = self.store.document(resolved)
                removed = self.store.remove(resolved)
                if removed and doc is not None:
                    uploads.discard(Path(doc.path), self.settings)
                return removed
            finally:
                self.snapshot.invalidate()

    def feedback(self, question: str, answer: Answer | dict, rating: str, comment: str | None = None) -> str:
        """Store a like ("up") or dislike ("down") on an answer; returns the vote's id.

        Kept as JSON Lines under the index folder with the question, answer,
        citations and time; bad input raises `FeedbackError` (a ValueError).
        """
        return self._feedback_log().add(question, answer, rating, comment)

    def feedback_log(self) -> list[dict]:
        """Every stored vote, oldest first."""
        return self._feedback_log().entries()

    def _feedback_log(self) -> FeedbackLog:
        if getattr(self, "_feedback", None) is None:
            self._feedback = FeedbackLog(self.settings.index_dir)
        return self._feedback

    # Saved conversations (SQLite beside the index). `owner` scopes every call: an API
    # key's fingerprint (`conversations.owner_for`) or "local"; another owner's is not found.

    def conversations(self, owner: str = LOCAL_OWNER) -> list[ConversationSummary]:
        """The owner's saved conversations, most recently updated first."""
        return self._conversation_store().list(owner)

    def conversation(self, conversation_id: str, owner: str = LOCAL_OWNER) -> Conversation | None:
        """A saved conversation with its turns; None when the owner has none by that id."""
        return self._conversation_store().get(conversation_id, owner)

    def start_conversation(self, question: str | None = None, answer: Answer | dict | None = None,
                           owner: str = LOCAL_OWNER, title: str | None = None,
                           filters: dict | None = None) -> Conversation:
        """A new conversation, with a first turn when `answer` is given; titled by its first question unless `title`."""
        if question and answer is None:
            raise ConversationError("a first turn needs its answer as well as its question")
        turn = make_turn(question or "", answer, filters) if answer is not None else None
        return self._conversation_store().create(owner, title=title, turn=turn)

    def add_turn(self, conversation_id: str, question: str, answer: Answer | dict, owner: str = LOCAL_OWNER,
                 filters: dict | None = None) -> ConversationSummary | None:
        """Save a question and its answer at the end of a conversation; None when the owner has none by that id."""
        return self._conversation_store().append(conversation_id, owner, make_turn(question, answer, filters))

    def rename_conversation(self, conversation_id: str, title: str,
                            owner: str = LOCAL_OWNER) -> ConversationSummary | None:
        return self._conversation_store().rename(conversation_id, owner, title)

    def delete_conversation(self, conversation_id: str, owner: str = LOCAL_OWNER) -> bool:
        return self._conversation_store().delete(conversation_id, owner)

    def export_markdown(self, conversation_id: str, owner: str = LOCAL_OWNER) -> str | None:
        """The conversation as Markdown: questions, answers, and each citation written out."""
        conversation = self.conversation(conversation_id, owner)
        return to_markdown(conversation) if conversation is not None else None

    def _conversation_store(self) -> ConversationStore:
        if getattr(self, "_conversations", None) is None:
            self._conversations = ConversationStore(self.settings.index_dir)
        return self._conversations

    def add_file(self, filename: str, data: bytes, cancel: threading.Event | None = None) -> IngestReport:
        """Index an uploaded file and save it under `<corpus>/uploads/`.

        Raises `UploadError` (a ValueError) with the reason for a bad
        name, size or type, or a file the loader rejects or that breaks its
        parsing budget; then nothing is left on disk and the index is as it
        was. Content already indexed is not saved twice: the report says
        `unchanged`. Setting `cancel` (a client gone) stops it, leaving nothing.
        """
        try:
            return add_upload(filename, data, self.store, self.embedder, self.settings, self._write_lock, cancel)
        finally:
            self.snapshot.invalidate()

    def lessons(
        self, query: str | None = None, type: str | None = None, filters: dict | Filters | None = None, k: int = 50
    ) -> list[Record]:
        """Evaluation records (lessons, good practices, recommendations, management responses).

        Without a query: every match in document, then item order; with one:
        the best matches first (hybrid, `score` set). `type` is one of
        `RECORD_TYPES`; `filters` take the document keys of `search`; at most
        `k` (1-500) records. Bad input raises ValueError saying what is wrong.
        """
        return self._records.search(query, type=type, filters=filters, k=k)

    def search(
        self, query: str, k: int = 10, filters: dict | Filters | None = None, *, block: bool = True
    ) -> list[Passage]:
        """The k passages that best match the query, best first, citable.

        `block=False` raises `WouldBlock` instead of running the embedding
        model or rebuilding the index: a server answers warm queries at once
        and hands the rest to a worker thread. Each is cited at the page of its sentence closest to the query.
        """
        return [cited_at(p, p.anchor) for p in self.retriever.search(query, k=k, filters=filters, block=block)]

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
        for event in self.ask_stream(question, k=k, filters=filters, history=history):
            if event["event"] == "answer":
                return event["answer"]
        raise RuntimeError("the answer stream ended without an answer")

    def ask_stream(
        self,
        question: str,
        k: int = 6,
        filters: dict | Filters | None = None,
        history: list | None = None,
    ) -> Iterator[StreamEvent]:
        """`ask`, as events: `{"event": "delta", "text"}` pieces, then one
        `{"event": "answer", "answer": Answer}` whose text is authoritative.

        Bad input raises here, before the first event, so a server can still
        answer 422 instead of a broken stream.
        """
        started = time.perf_counter()
        question = check_query(question, k)
        parsed = filters if isinstance(filters, Filters) else Filters.parse(filters)
        query = contextualize(question, history)

        def events() -> Iterator[StreamEvent]:
            summarised = self._summarised(question, parsed)
            if summarised:  # "summarise the X evaluation": its report card
                yield from fixed_events(card_answer(question, self.card(summarised), self.snapshot))
                return
            passages = self._passages_for(question, query, k, parsed)
            retrieved = time.perf_counter()
            qvec = self.retriever.question_vectors(query, parsed)
            for event in answer_events(self.answerer, query, qvec, passages):
                if event["event"] == "answer":
                    answer = event["answer"]
                    answer.question = question
                    done = time.perf_counter()
                    answer.timings = {
                        "retrieve_ms": round((retrieved - started) * 1000, 1),
                        "answer_ms": round((done - retrieved) * 1000, 1),
                        "total_ms": round((done - started) * 1000, 1),
                    }
                yield event

        return events()

    def card(self, doc_id: str) -> ReportCard:
        """One report at a glance (answer/card.py): facts, summary, findings per criterion, records, kin."""
        resolved = self._resolve(doc_id)
        doc = self.store.document(resolved)
        if doc is None:
            raise KeyError(f"no document {doc_id!r}")
        records = self._records.search(None, filters={"doc_id": resolved}, k=500)
        return build_card(doc, self.snapshot, records, self.store.documents())

    def _summarised(self, question: str, filters: Filters) -> str | None:
        """The document a "summarise the X evaluation" question means: the best match for X, its full report
        rather than its brief or response unless the question names those."""
        named = summary_request(question)
        if named is None:
            return None
        found = self.retriever.search(named, k=10, filters=filters)
        if not found:
            return None
        first = found[0]
        kind = first.metadata.get("kind", "other")
        if kind in ("brief", "management response") and not document_kinds(question) & {"brief", "management response"}:
            fuller = [p for p in found if p.metadata.get("kind") not in ("brief", "management response")
                      and kin_titles(p.title, first.title)]
            first = fuller[0] if fuller else first
        return first.doc_id

    def _passages_for(self, question: str, query: str, k: int, filters: Filters) -> list[Passage]:
        """A list question ("what were the recommendations") searches that section type first."""
        kind = list_intent(question)
        if kind and "section_type" not in filters.equals:
            # 30: enough passages to reach every report with such a section, so a
            # list ("what were the recommendations") can draw on all of them
            typed = self.retriever.search(query, k=max(k, 30), filters=filters.narrowed(section_type=kind))
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
