"""Saved conversations: the SQLite store, its Markdown export, `/api/conversations` and the web app's helpers.

The store is checked as a user of it would break it: another owner asking
for a conversation, the file reopened, many threads and two processes
appending at once, hostile titles and answers. The export is rendered with a
real Markdown renderer (HTML allowed, the dangerous setting) and the result
must hold no tag, link or image that the text did not earn.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from assistant import Assistant, sessions
from assistant.config import Settings
from assistant.errors import ConversationError
from assistant.index.conversation_export import export_filename, to_markdown
from assistant.index.conversations import (
    FILE_NAME,
    LOCAL_OWNER,
    MAX_TITLE,
    ConversationStore,
    make_turn,
    owner_for,
)
from assistant.models import Answer, Passage
from assistant.serve.app import create_app
from ui.conversations import open_turns, owner_of, save_last_turn

ROOT = Path(__file__).resolve().parent.parent
KEY_A = "conversation-key-a-0123456789"
KEY_B = "conversation-key-b-0123456789"


def passage(n: int = 1, **kw) -> Passage:
    base = dict(chunk_id=f"c{n}", doc_id=f"d{n}", source=f"report{n}.pdf", title=f"Evaluation report {n}",
                organisation="IOM", year=2024, page=n + 1, section="Findings > Efficiency",
                text="Resources allocated to central functions were found to be inadequate.")
    return Passage(**{**base, **kw})


def answer(text: str = "Resources were found to be inadequate. [1]", **kw) -> Answer:
    return Answer(question="q", text=text, citations=kw.pop("citations", [passage()]), **kw)


# --- the store ----------------------------------------------------------------


def test_create_append_list_rename_delete(tmp_path):
    store = ConversationStore(tmp_path)
    first = store.create("local", turn=make_turn("  Were the  resources adequate?\n", answer()))
    assert first.title == "Were the resources adequate?" and first.owner == "local"
    assert [t.question for t in first.turns] == ["Were the  resources adequate?"]
    summary = store.append(first.id, "local", make_turn("And the staff?", answer("Staff were consultants. [1]"),
                                                        filters={"organisation": ["IOM"]}))
    assert summary is not None and summary.turn_count == 2 and summary.updated >= first.updated
    empty = store.create("local")  # an empty one takes its first question as title when it gets one
    assert empty.title == "" and empty.turns == []
    assert [c.id for c in store.list("local")] == [empty.id, first.id]  # most recently updated first
    store.append(empty.id, "local", make_turn("What did the evaluation recommend?", answer()))
    assert [c.id for c in store.list("local")] == [empty.id, first.id]
    assert store.list("local")[0].title == "What did the evaluation recommend?"

    got = store.get(first.id, "local")
    assert got is not None and [t.answer for t in got.turns] == [
        "Resources were found to be inadequate. [1]", "Staff were consultants. [1]"]
    assert got.turns[1].filters == {"organisation": ["IOM"]}
    cited = got.turns[0].citations[0]
    assert (cited.title, cited.organisation, cited.year, cited.page, cited.section) == (
        "Evaluation report 1", "IOM", 2024, 2, "Findings > Efficiency")
    assert got.turns[0].to_answer().citations == [passage()]

    renamed = store.rename(first.id, "local", "  Resources\tand staff ")
    assert renamed is not None and renamed.title == "Resources and staff"
    with pytest.raises(ConversationError, match="visible text"):
        store.rename(first.id, "local", " \n\u200b ")
    assert store.delete(first.id, "local") is True
    assert store.get(first.id, "local") is None and store.delete(first.id, "local") is False
    assert store.append(first.id, "local", make_turn("Again?", answer())) is None
    assert [c.id for c in store.list("local")] == [empty.id]
    with sqlite3.connect(tmp_path / FILE_NAME) as db:  # its turns went with it
        assert db.execute("SELECT COUNT(*) FROM turns WHERE conversation = ?", (first.id,)).fetchone()[0] == 0


def test_each_owner_sees_only_its_own(tmp_path):
    store = ConversationStore(tmp_path)
    a = store.create("owner-a", turn=make_turn("A's question", answer()))
    b = store.create("owner-b", turn=make_turn("B's question", answer()))
    assert [c.id for c in store.list("owner-a")] == [a.id]
    assert [c.id for c in store.list("owner-b")] == [b.id]
    assert store.get(a.id, "owner-b") is None
    assert store.append(a.id, "owner-b", make_turn("sneak in", answer())) is None
    assert store.rename(a.id, "owner-b", "taken over") is None
    assert store.delete(a.id, "owner-b") is False
    kept = store.get(a.id, "owner-a")
    assert kept is not None and kept.title == "A's question" and len(kept.turns) == 1
    with pytest.raises(ConversationError):
        store.list("")


def test_conversations_survive_reopening_the_file(tmp_path):
    made = ConversationStore(tmp_path).create("local", turn=make_turn("Does it survive?", answer()))
    del made
    again = ConversationStore(tmp_path)
    [summary] = again.list("local")
    conversation = again.get(summary.id, "local")
    assert conversation is not None and conversation.turns[0].question == "Does it survive?"
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_appends_lose_no_turn(tmp_path):
    """Eight threads, each with its own store object on the same file, append at once: every turn is kept, once."""
    cid = ConversationStore(tmp_path).create("local").id
    threads_n, per_thread = 8, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def work(n: int) -> None:
        store = ConversationStore(tmp_path)
        start.wait()
        try:
            for i in range(per_thread):
                assert store.append(cid, "local", make_turn(f"thread {n} turn {i}", answer())) is not None
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    conversation = ConversationStore(tmp_path).get(cid, "local")
    assert conversation is not None
    questions = [t.question for t in conversation.turns]
    assert sorted(questions) == sorted(f"thread {n} turn {i}" for n in range(threads_n) for i in range(per_thread))
    for n in range(threads_n):  # each thread's turns in the order it wrote them
        mine = [q for q in questions if q.startswith(f"thread {n} ")]
        assert mine == [f"thread {n} turn {i}" for i in range(per_thread)]


def test_two_processes_append_to_one_file(tmp_path):
    """Across processes SQLite's own lock does the queueing (the threading lock cannot)."""
    cid = ConversationStore(tmp_path).create("local").id
    script = (
        "import sys\nfrom assistant.index.conversations import ConversationStore, make_turn\n"
        "from assistant.models import Answer\n"
        "s = ConversationStore(sys.argv[1])\n"
        "for i in range(25):\n"
        "    assert s.append(sys.argv[2], 'local', make_turn(f'{sys.argv[3]} {i}', Answer(question='', text='x')))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), cid, name], cwd=ROOT)
             for name in ("left", "right")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    conversation = ConversationStore(tmp_path).get(cid, "local")
    assert conversation is not None and len(conversation.turns) == 50
    assert {t.question for t in conversation.turns} == {f"{s} {i}" for s in ("left", "right") for i in range(25)}


def test_hostile_titles_are_cut_to_one_clean_line(tmp_path):
    store = ConversationStore(tmp_path)
    huge = "Why " + "very " * 200_000 + "long?"
    c = store.create("local", title=huge)
    assert len(c.title) <= MAX_TITLE and c.title.endswith("…") and c.title.startswith("Why very")
    sneaky = store.rename(c.id, "local", "Budget\u202e\u200b\nline\x00two\r\n# heading")
    assert sneaky is not None and sneaky.title == "Budget line two # heading"
    from_question = store.create("local", turn=make_turn("Q" * 2000, answer()))
    assert len(from_question.title) == MAX_TITLE and from_question.title.endswith("…")
    assert store.get(from_question.id, "local").turns[0].question == "Q" * 2000  # the question itself is kept
    with pytest.raises(ConversationError, match="longer than"):
        make_turn("Q" * 2001, answer())


def test_make_turn_checks_what_it_stores():
    with pytest.raises(ConversationError, match="question"):
        make_turn("  ", answer())
    with pytest.raises(ConversationError, match="Answer or a dict"):
        make_turn("q", "just text")  # type: ignore[arg-type]
    with pytest.raises(ConversationError, match="answer is not an Answer: citations"):
        make_turn("q", {"answer": "x", "citations": [{"no": "passage"}]})
    with pytest.raises(ConversationError, match="at most 100"):
        make_turn("q", answer(citations=[passage(i) for i in range(101)]))
    with pytest.raises(ConversationError, match="longer than"):
        make_turn("q", answer("x" * 100_001))
    with pytest.raises(ConversationError, match="filters"):
        make_turn("q", answer(), filters={"organisation": ["x" * 20_000]})
    # /api/ask's own shape: the text under `answer`
    turn = make_turn("q", {"answer": "Text. [1]", "citations": [passage().model_dump()], "found": False})
    assert turn.answer == "Text. [1]" and turn.found is False and turn.citations == [passage()]


# --- Markdown export ----------------------------------------------------------


def test_markdown_export_writes_out_each_turn_and_its_citations(tmp_path):
    store = ConversationStore(tmp_path)
    two = passage(2, organisation="ILO", year=2023, page=4, page_end=5, section="Lessons learned")
    c = store.create("local", turn=make_turn("Were the resources adequate?", answer(
        "**LL-1** Funding was short. [1]\n- Staff were consultants. [2]", citations=[passage(), two]),
        filters={"organisation": ["IOM", "ILO"]}))
    store.append(c.id, "local", make_turn("Anything on climate?", answer("No answer here.", citations=[],
                                                                         found=False, notice="Closest: report 1")))
    md = to_markdown(store.get(c.id, "local"))
    assert md.startswith("# Were the resources adequate?\n")
    assert "## 1. Were the resources adequate?" in md and "## 2. Anything on climate?" in md
    assert "**LL-1** Funding was short. [1]" in md and "- Staff were consultants. [2]" in md
    assert "- [1] **Evaluation report 1**, IOM, 2024, p. 2, section: Findings > Efficiency, file: report1.pdf" in md
    assert "- [2] **Evaluation report 2**, ILO, 2023, pp. 4–5, section: Lessons learned, file: report2.pdf" in md
    assert "*Filtered by organisation: IOM, ILO*" in md
    assert "*Not found in the indexed documents.*" in md and "*Closest: report 1*" in md
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    assert "<strong>LL-1</strong>" in html and "<li>Staff were consultants. [2]</li>" in html
    assert export_filename(store.get(c.id, "local")) == "conversation-were-the-resources-adequate.md"


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    "![pixel](https://tracker.example/p.png)",
    "<https://evil.example/autolink>",
    "[1]: javascript:alert(1)",
    "`code` and <iframe src=//evil.example>",
]


def test_markdown_export_escapes_hostile_text(tmp_path):
    """Questions, titles, answers and report metadata are untrusted: rendered, they stay text."""
    store = ConversationStore(tmp_path)
    nasty = " ".join(HOSTILE)
    cited = passage(title=nasty, organisation="<b>Org</b>", section="[s](javascript:x)", source="<x>.pdf")
    body = "\n".join(HOSTILE) + "\n# Fake heading\n> quoted\n1. numbered\n" + "Text [1](javascript:alert(1)) [1]"
    c = store.create("local", title="\n# Injected heading\n" + nasty, turn=make_turn(
        "Q " + nasty + "\n\n## 99. fake turn", answer(body, citations=[cited], notice=nasty)))
    md = to_markdown(store.get(c.id, "local"))
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    for tag in ("<script", "<img", "<iframe", "<a ", "<code", "<h1>Fake", "<blockquote", "<ol"):
        assert tag not in html, (tag, html)
    assert html.count("<h1>") == 1 and html.count("<h2>") == 1  # the title's and the one turn's
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    assert "[click me](javascript:alert(1))" in html and "Text [1](javascript:alert(1)) [1]" in html
    assert "\x00" not in md and "\u202e" not in md


# --- owners -------------------------------------------------------------------


def test_owner_is_a_fingerprint_of_the_key_or_local(tmp_path):
    open_settings = Settings.from_env(index_dir=tmp_path, api_keys="", api_keys_file="")
    keyed = open_settings.with_(api_keys=f"{KEY_A},{KEY_B}")
    assert owner_for(open_settings, None) == owner_for(open_settings, KEY_A) == LOCAL_OWNER
    a, b = owner_for(keyed, KEY_A), owner_for(keyed, KEY_B)
    assert a != b and KEY_A not in a and a == sessions.fingerprint(KEY_A)  # what a session cookie names
    with pytest.raises(ConversationError):
        owner_for(keyed, None)
    # The web app: the owner comes from the browser's session cookie, checked, never from the page.
    signed_in = gr.Request(cookies={sessions.COOKIE: sessions.issue(KEY_A)})
    forged = gr.Request(cookies={sessions.COOKIE: sessions.fingerprint(KEY_B) + ".9999999999." + "0" * 64})
    assert owner_of(SimpleNamespace(settings=keyed), signed_in) == a
    assert owner_of(SimpleNamespace(settings=keyed), forged) is None
    assert owner_of(SimpleNamespace(settings=keyed), gr.Request(cookies={})) is None
    assert owner_of(SimpleNamespace(settings=open_settings), None) == LOCAL_OWNER


# --- the HTTP API and the web app's helpers, over one Assistant ------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One Assistant over an empty index; an app with two keys and one with none, sharing its conversations."""
    root = tmp_path_factory.mktemp("conversations")
    assistant = Assistant(index_dir=root / "index", corpus_dir=root, api_keys="", api_keys_file="")
    keyed = create_app(assistant, settings=assistant.settings.with_(api_keys=f"{KEY_A},{KEY_B}"), ui=False)
    return assistant, TestClient(keyed), TestClient(create_app(assistant, ui=False)), root / "index"


def ask_response(question: str) -> dict:
    """A turn as a client holds it after `POST /api/ask` (extra fields included)."""
    return {"question": question, "answer": "Resources were found to be inadequate. [1]",
            "citations": [passage().model_dump()], "found": True, "notice": None,
            "timings": {"total_ms": 12.0}, "took_ms": 13.0}


def test_api_refuses_no_key_and_a_wrong_key(served):
    _, keyed, _, _ = served
    cid = keyed.post("/api/conversations", json={"turn": ask_response("Q?")},
                     headers={"X-API-Key": KEY_A}).json()["id"]
    calls = [("get", "/api/conversations", None), ("post", "/api/conversations", {"title": "x"}),
             ("get", f"/api/conversations/{cid}", None), ("patch", f"/api/conversations/{cid}", {"title": "x"}),
             ("post", f"/api/conversations/{cid}/turns", ask_response("more")),
             ("get", f"/api/conversations/{cid}/export", None), ("delete", f"/api/conversations/{cid}", None)]
    for headers in ({}, {"X-API-Key": "wrong-key-0123456789abc"}, {"Authorization": "Bearer wrong-key-0123456789"}):
        for method, path, body in calls:
            response = keyed.request(method.upper(), path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
    assert keyed.get(f"/api/conversations/{cid}", headers={"X-API-Key": KEY_A}).status_code == 200  # untouched


def test_api_round_trip_with_a_valid_key(served):
    _, keyed, _, index = served
    a = {"X-API-Key": KEY_A}
    made = keyed.post("/api/conversations", json={"turn": ask_response("Were the resources adequate?")}, headers=a)
    assert made.status_code == 201
    body = made.json()
    cid = body["id"]
    assert body["title"] == "Were the resources adequate?" and len(body["turns"]) == 1
    assert body["owner"] == sessions.fingerprint(KEY_A) and KEY_A not in body["owner"]
    appended = keyed.post(f"/api/conversations/{cid}/turns", json=ask_response("And the staff?"),
                          headers={"Authorization": f"Bearer {KEY_A}"})
    assert appended.status_code == 201 and appended.json()["turn_count"] == 2
    listed = keyed.get("/api/conversations", headers=a).json()
    assert listed[0]["id"] == cid and {"id", "title", "updated"} <= set(listed[0])
    full = keyed.get(f"/api/conversations/{cid}", headers=a).json()
    assert [t["question"] for t in full["turns"]] == ["Were the resources adequate?", "And the staff?"]
    assert full["turns"][0]["citations"][0]["title"] == "Evaluation report 1"
    renamed = keyed.patch(f"/api/conversations/{cid}", json={"title": "Resources"}, headers=a)
    assert renamed.status_code == 200 and renamed.json()["title"] == "Resources"
    exported = keyed.get(f"/api/conversations/{cid}/export", headers=a)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/markdown")
    assert 'filename="conversation-resources.md"' in exported.headers["content-disposition"]
    assert exported.text.startswith("# Resources\n") and "## 2. And the staff?" in exported.text
    assert "**Evaluation report 1**, IOM, 2024, p. 2, section: Findings > Efficiency" in exported.text
    # Bad input: 422 saying what is wrong, nothing stored.
    for bad in ({"turn": {**ask_response("x"), "question": ""}}, {"titel": "typo"}, {"turn": {"question": "q"}}):
        assert keyed.post("/api/conversations", json=bad, headers=a).status_code == 422, bad
    assert keyed.patch(f"/api/conversations/{cid}", json={"title": " \u200b "}, headers=a).status_code == 422
    assert len(keyed.get("/api/conversations", headers=a).json()) == len(listed)
    assert keyed.delete(f"/api/conversations/{cid}", headers=a).json() == {"deleted": cid}
    assert keyed.get(f"/api/conversations/{cid}", headers=a).status_code == 404
    assert KEY_A.encode() not in (index / FILE_NAME).read_bytes()  # the owner column holds the fingerprint only


def test_api_another_keys_conversation_is_not_found(served):
    _, keyed, _, _ = served
    cid = keyed.post("/api/conversations", json={"turn": ask_response("A's own question")},
                     headers={"X-API-Key": KEY_A}).json()["id"]
    b = {"X-API-Key": KEY_B}
    assert cid not in [c["id"] for c in keyed.get("/api/conversations", headers=b).json()]
    for method, path, body in [("GET", f"/api/conversations/{cid}", None),
                               ("PATCH", f"/api/conversations/{cid}", {"title": "mine now"}),
                               ("POST", f"/api/conversations/{cid}/turns", ask_response("sneak")),
                               ("GET", f"/api/conversations/{cid}/export", None),
                               ("DELETE", f"/api/conversations/{cid}", None),
                               ("GET", "/api/conversations/no-such-id", None)]:
        response = keyed.request(method, path, json=body, headers=b)
        assert response.status_code == 404 and response.json() == {"detail": "no such conversation"}, (method, path)
    kept = keyed.get(f"/api/conversations/{cid}", headers={"X-API-Key": KEY_A}).json()
    assert kept["title"] == "A's own question" and len(kept["turns"]) == 1


def test_api_without_keys_everyone_is_local(served):
    assistant, keyed, open_app, _ = served
    made = open_app.post("/api/conversations", json={"title": "Local notes"})
    assert made.status_code == 201 and made.json()["owner"] == LOCAL_OWNER and made.json()["turns"] == []
    cid = made.json()["id"]
    assert cid in [c["id"] for c in open_app.get("/api/conversations").json()]
    # a key sent to a server with none configured changes nothing: still the local owner
    assert cid in [c["id"] for c in open_app.get("/api/conversations", headers={"X-API-Key": KEY_A}).json()]
    assert assistant.conversation(cid) is not None  # the Python API's default owner is "local" too
    assert keyed.get(f"/api/conversations/{cid}", headers={"X-API-Key": KEY_A}).status_code == 404


def test_web_app_saves_each_answer_and_reopens_it(served):
    """The chat's save and reopen steps, without a browser (tests/test_conversations_e2e.py has one)."""
    assistant, _, _, _ = served
    owner = owner_for(assistant.settings.with_(api_keys=KEY_B), KEY_B)
    first = {"question": "Were the resources adequate?", "html": "<p>…</p>", "answer": answer().model_dump(),
             "filters": {"organisation": ["IOM"]}}
    turns, cid, status = save_last_turn(assistant, [first], None, owner)
    assert cid and status == "" and turns[-1]["saved"] is True
    assert save_last_turn(assistant, turns, cid, owner) == (turns, cid, "")  # saved once, not twice
    second = {"question": "And staff?", "html": "", "answer": answer("Staff were consultants. [1]").model_dump()}
    turns, same, _ = save_last_turn(assistant, turns + [second], cid, owner)
    assert same == cid and len(assistant.conversation(cid, owner).turns) == 2
    failed = {"question": "x" * 5000, "html": "error", "answer": None}  # an error reply is not saved
    assert save_last_turn(assistant, turns + [failed], cid, owner)[0][-1] is failed
    assert save_last_turn(assistant, turns + [second], cid, None)[2] == "Sign in to keep conversations."
    assistant.delete_conversation(cid, owner)  # deleted in another tab: the next answer starts a new one
    _, fresh, _ = save_last_turn(assistant, [{**second}], cid, owner)
    assert fresh != cid and len(assistant.conversation(fresh, owner).turns) == 1

    saved = assistant.start_conversation("Q?", answer(), owner=owner, filters={"organisation": ["IOM"]})
    seen = []
    reopened = open_turns(saved, lambda a, f, anchor: seen.append((a, f, anchor)) or f"<div>{a.text}</div>")
    assert reopened == [{"question": "Q?", "html": "<div>Resources were found to be inadequate. [1]</div>",
                         "answer": answer().model_copy(update={"question": "Q?"}).model_dump(),
                         "filters": {"organisation": ["IOM"]}, "saved": True}]
    assert seen[0][0].citations == [passage()] and seen[0][2] == "t1"
