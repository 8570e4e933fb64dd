"""The API's building blocks without a server: keys, upload checks, answer streaming."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from assistant import security
from assistant.answer.streaming import answer_events, pieces
from assistant.config import Settings
from assistant.ingest import uploads
from assistant.models import Answer, Passage

ROOT = Path(__file__).resolve().parent.parent

# -- keys -------------------------------------------------------------------


def test_keys_from_the_variable_and_a_file(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# team keys\nfile-key-aaaaaaaaaaaa\n\n  spaced-key-bbbbbbbbbb  \n")
    settings = Settings(api_keys="env-key-cccccccccccc, ,other-key-dddddddddd", api_keys_file=str(keys))
    assert security.configured_keys(settings) == (
        "env-key-cccccccccccc", "other-key-dddddddddd", "file-key-aaaaaaaaaaaa", "spaced-key-bbbbbbbbbb")
    assert security.valid_key(settings, "spaced-key-bbbbbbbbbb")
    assert not security.valid_key(settings, "spaced-key-bbbbbbbbb")
    assert not security.valid_key(settings, None) and not security.valid_key(settings, "")
    keys.write_text("rotated-key-eeeeeeeeee\n")  # re-read when the file changes: revocation without restart
    assert not security.valid_key(settings, "file-key-aaaaaaaaaaaa")
    assert security.valid_key(settings, "rotated-key-eeeeeeeeee")


def test_key_settings_that_cannot_work_are_refused(tmp_path):
    with pytest.raises(security.KeyConfigError, match="cannot read it"):
        security.keys_configured(Settings(api_keys_file=str(tmp_path / "missing")))
    with pytest.raises(security.KeyConfigError, match="at least 16") as err:
        security.check_keys(Settings(api_keys="short"))
    assert "short" not in str(err.value)  # a key is never echoed


def test_refusal_rules():
    none, some = Settings(), Settings(api_keys="a-key-of-enough-length")
    assert security.refusal(none, None, write=False) is None
    assert security.refusal(none, "anything", write=True)[0] == 403
    assert security.refusal(some, None, write=False)[0] == 401
    assert security.refusal(some, "a-key-of-enough-length", write=True) is None
    assert security.presented_key("Bearer  abc ", None) == "abc"
    assert security.presented_key("Basic abc", "xyz") == "xyz"
    assert security.presented_key(None, None) is None


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_loopback_hosts(host, loopback):
    assert security.is_loopback(host) is loopback


# -- upload checks ----------------------------------------------------------


@pytest.mark.parametrize(
    "name, safe",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/evil.PDF", "evil.pdf"),
        ("..\\..\\windows\\evil.txt", "evil.txt"),
        ("My Report (final).docx", "My_Report_final.docx"),
        ("a;rm -rf ~.txt", "a_rm_-rf.txt"),
        ("évaluation.md", "évaluation.md"),
        (".hidden.txt", "hidden.txt"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_safe_names(name, safe):
    assert uploads.safe_name(name) == safe


@pytest.mark.parametrize("name", ["", "..", "/", ".pdf", "noextension"])
def test_unusable_names(name):
    with pytest.raises(uploads.UploadError, match="not a usable file name"):
        uploads.safe_name(name)


def _docx_bytes(with_document: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml" if with_document else "other.xml", "<w:document/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"%PDF-1.7\n...", "pdf"),
        (_docx_bytes(), "docx"),
        (_docx_bytes(with_document=False), None),
        (b"  <!DOCTYPE html><html><body>x</body></html>", "html"),
        (b"<?xml version='1.0'?>\n<html xmlns='x'><body/></html>", "html"),
        ("Résumé d'évaluation".encode(), "text"),
        ("Résumé d'évaluation".encode("latin-1"), "text"),
        (b"# Title\n\nSome *markdown*.", "text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", None),
        (b"\x00\x01\x02\x03" * 100, None),
    ],
)
def test_type_is_sniffed_from_content(data, kind):
    assert uploads.sniff(data) == kind


def test_check_wants_the_extension_and_content_to_agree():
    assert uploads.check("a.md", b"# Heading\ntext", 100) == "a.md"
    with pytest.raises(uploads.UploadError, match="extension says docx but the content is not a supported format"):
        uploads.check("a.docx", _docx_bytes(with_document=False), 10_000)
    with pytest.raises(uploads.UploadError, match="too large") as err:
        uploads.check("a.txt", b"x" * 101, 100)
    assert err.value.status == 413


def test_atomic_write_never_overwrites(tmp_path):
    first = uploads.write_atomic(tmp_path / "up", "a.txt", b"one")
    second = uploads.write_atomic(tmp_path / "up", "a.txt", b"two")
    assert (first.name, second.name) == ("a.txt", "a-2.txt")
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == ["a-2.txt", "a.txt"]  # no temp files left


# -- streaming ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "First point. [1] Second point, longer. [2] Third [1] [3]",
        "Recommendations from 2 reports:\n\n**Report** (IOM, 2024)\n- Do this. [1] (2 of 2 reports)\n- And that. [2]",
        "I could not find an answer to this in the indexed documents.",
        "",
    ],
)
def test_pieces_join_back_to_the_text(text):
    parts = pieces(text)
    assert "".join(parts) == text
    if text.count("[") > 1:
        assert len(parts) > 1


class _StreamingAnswerer:
    """Yields pieces then an Answer whose text differs (a marker removed), as the LLM check does."""

    def stream(self, question, qvec, passages):
        yield "Gender was mainstreamed [1] "
        yield "and budgets grew [7]."
        yield Answer(question=question, text="Gender was mainstreamed [1] and budgets grew.", citations=passages[:1])


class _SilentAnswerer(_StreamingAnswerer):
    def stream(self, question, qvec, passages):
        yield Answer(question=question, text="No answer here. The closest documents are: X.", found=False)


def _passage() -> Passage:
    return Passage(chunk_id="c:1", doc_id="d", source="s.pdf", text="Gender was mainstreamed.")


def test_answer_events_stream_deltas_and_end_with_the_checked_answer():
    events = list(answer_events(_StreamingAnswerer(), "q", None, [_passage()]))
    assert [e["event"] for e in events] == ["delta", "delta", "answer"]
    assert events[-1]["answer"].text == "Gender was mainstreamed [1] and budgets grew."


def test_an_answer_without_deltas_is_still_streamed_in_pieces():
    events = list(answer_events(_SilentAnswerer(), "q", None, [_passage()]))
    assert events[-1]["event"] == "answer"
    assert "".join(e["text"] for e in events[:-1]) == events[-1]["answer"].text


def test_ask_stream_with_an_llm_answerer(indexed):
    """Tokens from the model as deltas; the final answer has the invented marker removed."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.answer.llm import LLMAnswerer

    assistant, _ = indexed
    extractive = assistant.answerer
    reply = "The evaluation recommended systematic complaint and feedback mechanisms [1] and more staff [42]."
    assistant.answerer = LLMAnswerer(GenericFakeChatModel(messages=iter([AIMessage(content=reply)])), extractive)
    try:
        events = list(assistant.ask_stream("What did the evaluation recommend on accountability to affected populations?"))
    finally:
        assistant.answerer = extractive
    deltas = [e["text"] for e in events if e["event"] == "delta"]
    answer = events[-1]["answer"]
    assert len(deltas) > 5 and "".join(deltas) == reply
    assert answer.text == "The evaluation recommended systematic complaint and feedback mechanisms [1] and more staff."
    assert len(answer.citations) == 1 and answer.timings["total_ms"] > 0


def test_ask_stream_checks_input_before_the_first_event(indexed):
    assistant, _ = indexed
    with pytest.raises(ValueError, match="query is empty"):
        assistant.ask_stream("  ")  # raises on the call, not on the first next()
    with pytest.raises(ValueError, match="unknown filter"):
        assistant.ask_stream("gender", filters={"colour": "red"})


# -- serve ------------------------------------------------------------------


def _serve(monkeypatch, tmp_path, *args: str) -> tuple[int, list[dict]]:
    """Run `eval-assistant serve` with uvicorn and the app stubbed out; returns the uvicorn calls."""
    import torch
    import uvicorn

    import assistant.serve.app

    calls: list[dict] = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: calls.append({"torch_threads": n}))
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setattr(assistant.serve.app, "create_app", lambda a, ui=True: "app")
    monkeypatch.delenv("ASSISTANT_API_KEYS", raising=False)
    monkeypatch.delenv("ASSISTANT_API_KEYS_FILE", raising=False)
    from assistant.cli import main

    status = main(["serve", "--index", str(tmp_path / "index"), *args])
    return status, calls


def test_serve_on_a_public_host_needs_a_key_or_insecure(monkeypatch, tmp_path, capsys):
    status, calls = _serve(monkeypatch, tmp_path, "--host", "0.0.0.0")
    assert status == 2 and not calls and "refusing to serve on 0.0.0.0" in capsys.readouterr().err

    status, calls = _serve(monkeypatch, tmp_path, "--host", "0.0.0.0", "--insecure", "--port", "8123")
    err = capsys.readouterr().err
    assert status == 0 and calls[0] == {"torch_threads": 1}
    assert calls[1]["host"] == "0.0.0.0" and calls[1]["port"] == 8123
    assert "\033[31mWARNING" in err and "no API key" in err
    assert not (tmp_path / "index" / "local.key").exists() and "signin" not in err  # beyond loopback: no local key

    keys = tmp_path / "keys"
    keys.write_text("a-team-key-0123456789\n")
    status, calls = _serve(monkeypatch, tmp_path, "--host", "0.0.0.0", "--api-keys-file", str(keys))
    assert status == 0 and calls and "WARNING" not in capsys.readouterr().err

    status, calls = _serve(monkeypatch, tmp_path)  # loopback: no key needed, and a sign-in link for writes
    assert status == 0 and calls[1]["host"] == "127.0.0.1" and calls[1]["port"] == 7860
    key = (tmp_path / "index" / "local.key").read_text().strip()
    assert f"http://127.0.0.1:7860/signin?key={key}" in capsys.readouterr().err


def test_file_links_are_plain_without_keys_and_signed_with_them():
    assert security.file_link(Settings(), "abc", page=4) == "/api/documents/abc/file#page=4"
    signed = Settings(api_keys="a-key-of-enough-length")
    link = security.file_link(signed, "abc")
    exp, sig = (part.split("=")[1] for part in link.split("?")[1].split("&"))
    assert security.valid_file_link(signed, "abc", int(exp), sig)
    assert not security.valid_file_link(signed, "abd", int(exp), sig)
    assert not security.valid_file_link(Settings(api_keys="rotated-key-0123456789"), "abc", int(exp), sig)
    assert not security.valid_file_link(Settings(), "abc", int(exp), sig)  # no keys: nothing to sign with
