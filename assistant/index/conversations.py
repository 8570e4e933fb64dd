"""Saved chat conversations, kept in SQLite next to the index.

A conversation outlives the page that asked it and the server that answered
it: each question with its answer (text, and citations as `Answer` gives
them) is one row, written in one transaction. WAL lets reads go on while a
turn is written, and writers queue (`BEGIN IMMEDIATE`, a busy timeout), so
concurrent appends from threads or processes never lose or renumber a turn.

Every read and write is scoped to an owner: the fingerprint of the API key
that made it (`security.key_fingerprint`, never the key) or "local" when no
key is configured. Another owner's conversation is simply not there.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from assistant import security, sessions
from assistant.config import Settings
from assistant.errors import ConversationError
from assistant.models import Answer, Passage

__all__ = [
    "FILE_NAME",
    "LOCAL_OWNER",
    "MAX_TITLE",
    "Conversation",
    "ConversationStore",
    "ConversationSummary",
    "Turn",
    "clean_title",
    "make_turn",
    "owner_for",
    "visible",
]

FILE_NAME = "conversations.sqlite3"
LOCAL_OWNER = "local"  # the owner when no API key is configured: one user, this machine
MAX_TITLE = 120  # a line in a list, not a paragraph: longer titles are cut with "…"
MAX_QUESTION = 2000  # what a question may be (search.query.MAX_QUERY_CHARS)
MAX_ANSWER_CHARS = 100_000  # a long list answer is ~10k; more is not an answer
MAX_CITATIONS = 100  # passages an answer may cite (search.query.MAX_K)
MAX_TURNS = 1000  # per conversation: past that, a conversation is a log; start another
MAX_FILTER_CHARS = 10_000  # the filters a turn was asked with, as JSON
BUSY_TIMEOUT_S = 30  # how long a write waits for another process's write
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    created TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (conversation, seq)
);
"""

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class Turn(BaseModel):
    """One question and the answer it got; `[n]` in `answer` points to `citations[n-1]`."""

    question: str
    answer: str
    citations: list[Passage] = Field(default_factory=list)
    found: bool = True
    notice: str | None = None
    filters: dict[str, Any] = Field(default_factory=dict)
    created: str = ""  # ISO 8601, UTC

    def to_answer(self) -> Answer:
        """The turn as the `Answer` it was, to render or vote on again."""
        return Answer(question=self.question, text=self.answer, citations=self.citations, found=self.found,
                      notice=self.notice)


class ConversationSummary(BaseModel):
    """What a list of conversations shows: no turns, so listing stays cheap."""

    id: str
    title: str
    created: str
    updated: str
    turn_count: int = 0


class Conversation(BaseModel):
    id: str
    title: str  # the first question unless renamed; "" until a conversation started empty gets one
    owner: str  # the API key's fingerprint, or "local"
    created: str
    updated: str
    turns: list[Turn] = Field(default_factory=list)


def owner_for(settings: Settings, key: str | None) -> str:
    """Whose conversations a request with this (already accepted) key sees.

    The key's fingerprint, the very one a web-app session cookie names, so a
    key sees the same conversations over the API and in the browser; with no
    key configured, everything is "local".
    """
    if not security.keys_configured(settings):
        return LOCAL_OWNER
    if not key:
        raise ConversationError("conversations need the request's API key")
    return sessions.fingerprint(key)


def clean_title(text: str) -> str:
    """One short line: control and invisible characters (bidi overrides too) become spaces, runs of space one."""
    if not isinstance(text, str):
        raise ConversationError("a title must be text")
    line = " ".join(visible(text[: MAX_TITLE * 20]).split())
    if len(line) > MAX_TITLE:
        line = line[: MAX_TITLE - 1].rstrip() + "…"
    return line


def make_turn(question: str, answer: Answer | dict, filters: dict | None = None) -> Turn:
    """Check a turn before it is stored: a question, an answer (an `Answer`, or a dict as `/api/ask` returns it)."""
    if not isinstance(question, str) or not question.strip():
        raise ConversationError("a turn needs the question that was asked")
    if len(question) > MAX_QUESTION:
        raise ConversationError(f"question is longer than {MAX_QUESTION} characters")
    parsed = _answer(answer)
    if len(parsed.text) > MAX_ANSWER_CHARS:
        raise ConversationError(f"answer is longer than {MAX_ANSWER_CHARS} characters")
    if len(parsed.citations) > MAX_CITATIONS:
        raise ConversationError(f"an answer cites at most {MAX_CITATIONS} passages")
    if filters is not None and not isinstance(filters, dict):
        raise ConversationError("filters must be an object of key: value(s)")
    turn = Turn(question=question.strip(), answer=parsed.text, citations=parsed.citations, found=parsed.found,
                notice=parsed.notice, filters=dict(filters or {}), created=_now())
    if len(turn.model_dump_json(include={"filters"})) > MAX_FILTER_CHARS:
        raise ConversationError("the filters of a turn are too long")
    return turn


class ConversationStore:
    """The conversations of every owner, in `<folder>/conversations.sqlite3`.

    A connection per call: sqlite3 connections are not for sharing between
    threads, and opening one on a WAL database costs well under a millisecond.
    """

    def __init__(self, folder: str | Path):
        self.path = (Path(folder) / FILE_NAME).resolve()
        with _LOCKS_GUARD:  # one lock per file, however many stores point at it
            self._lock = _LOCKS.setdefault(self.path, threading.Lock())
        self._ready = False

    def create(self, owner: str, title: str | None = None, turn: Turn | None = None) -> Conversation:
        """A new conversation, empty or with its first turn; its title is the first question unless given."""
        _check_owner(owner)
        name = clean_title(title) if title is not None else (clean_title(turn.question) if turn else "")
        if title is not None and not name:
            raise ConversationError("a title needs some visible text")
        now = _now()
        cid = uuid.uuid4().hex
        with self._write() as db:
            db.execute("INSERT INTO conversations (id, owner, title, created, updated) VALUES (?, ?, ?, ?, ?)",
                       (cid, owner, name, now, now))
            if turn is not None:
                db.execute("INSERT INTO turns (conversation, seq, created, body) VALUES (?, 1, ?, ?)",
                           (cid, turn.created or now, turn.model_dump_json()))
        return Conversation(id=cid, title=name, owner=owner, created=now, updated=now,
                            turns=[turn] if turn is not None else [])

    def append(self, conversation_id: str, owner: str, turn: Turn) -> ConversationSummary | None:
        """Add a turn at the end; None when the owner has no such conversation."""
        _check_owner(owner)
        now = _now()
        with self._write() as db:
            if not _owned(db, conversation_id, owner):
                return None
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE conversation = ?",
                             (conversation_id,)).fetchone()[0]
            if seq > MAX_TURNS:
                raise ConversationError(f"a conversation holds at most {MAX_TURNS} turns; start a new one")
            db.execute("INSERT INTO turns (conversation, seq, created, body) VALUES (?, ?, ?, ?)",
                       (conversation_id, seq, turn.created or now, turn.model_dump_json()))
            db.execute("UPDATE conversations SET updated = ?, title = CASE WHEN title = '' THEN ? ELSE title END "
                       "WHERE id = ?", (now, clean_title(turn.question), conversation_id))
            return _summary(db, conversation_id)

    def list(self, owner: str) -> list[ConversationSummary]:
        """The owner's conversations, most recently updated first."""
        _check_owner(owner)
        with self._read() as db:
            rows = db.execute(_SUMMARY_SQL + " WHERE c.owner = ? ORDER BY c.updated DESC, c.rowid DESC",
                              (owner,)).fetchall()
        return [ConversationSummary(**dict(row)) for row in rows]

    def get(self, conversation_id: str, owner: str) -> Conversation | None:
        """One conversation with its turns in order; None when the owner has no such conversation."""
        _check_owner(owner)
        with self._read() as db:
            row = db.execute("SELECT id, owner, title, created, updated FROM conversations WHERE id = ? AND owner = ?",
                             (conversation_id, owner)).fetchone()
            if row is None:
                return None
            bodies = db.execute("SELECT body FROM turns WHERE conversation = ? ORDER BY seq",
                                (conversation_id,)).fetchall()
        return Conversation(**dict(row), turns=[Turn.model_validate_json(b["body"]) for b in bodies])

    def rename(self, conversation_id: str, owner: str, title: str) -> ConversationSummary | None:
        _check_owner(owner)
        name = clean_title(title)
        if not name:
            raise ConversationError("a title needs some visible text")
        with self._write() as db:
            if not _owned(db, conversation_id, owner):
                return None
            db.execute("UPDATE conversations SET title = ?, updated = ? WHERE id = ?", (name, _now(), conversation_id))
            return _summary(db, conversation_id)

    def delete(self, conversation_id: str, owner: str) -> bool:
        """Remove a conversation and its turns; False when the owner has no such conversation."""
        _check_owner(owner)
        with self._write() as db:
            gone = db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner))
            return gone.rowcount > 0

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)  # transactions are ours
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                self._init(db)
            yield db
        finally:
            db.close()

    def _init(self, db: sqlite3.Connection) -> None:
        with self._lock:
            db.execute("PRAGMA journal_mode = WAL")  # persistent: set once, kept by the file
            db.executescript(_SCHEMA)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConversationError(f"{self.path.name} was written by a newer version (schema {version})")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._ready = True

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One snapshot: a conversation and its turns as of the same moment."""
        with self._connect() as db:
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """All or nothing; this process's writers queue on a lock, other processes on SQLite's."""
        with self._connect() as db, self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


_SUMMARY_SQL = ("SELECT c.id, c.title, c.created, c.updated, "
                "(SELECT COUNT(*) FROM turns t WHERE t.conversation = c.id) AS turn_count FROM conversations c")


def _summary(db: sqlite3.Connection, conversation_id: str) -> ConversationSummary:
    row = db.execute(_SUMMARY_SQL + " WHERE c.id = ?", (conversation_id,)).fetchone()
    return ConversationSummary(**dict(row))


def _owned(db: sqlite3.Connection, conversation_id: str, owner: str) -> bool:
    return db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?",
                      (conversation_id, owner)).fetchone() is not None


def _check_owner(owner: str) -> None:
    if not isinstance(owner, str) or not owner or len(owner) > 128:
        raise ConversationError("a conversation's owner is a key fingerprint or 'local'")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _answer(answer: Any) -> Answer:
    if isinstance(answer, Answer):
        return answer
    if isinstance(answer, dict):
        data = dict(answer)
        if "text" not in data and isinstance(data.get("answer"), str):  # /api/ask names the text `answer`
            data["text"] = data.pop("answer")
        data.setdefault("question", "")
        try:
            return Answer.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise ConversationError(f"answer is not an Answer: {where}: {first['msg']}") from None
    raise ConversationError(f"answer must be an Answer or a dict, got {type(answer).__name__}")


def visible(text: str, keep_newlines: bool = False) -> str:
    """Control, format (zero-width, bidi override) and unassigned characters become spaces."""
    return "".join(ch if (keep_newlines and ch == "\n") or not unicodedata.category(ch).startswith("C") else " "
                   for ch in text)
