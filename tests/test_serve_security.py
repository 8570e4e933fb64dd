"""The server's edges, as a security review tried them: sign-in, revocation, leaks, CORS, error bodies, filters."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.serve.app import create_app

KEY = "review-key-0123456789abcdef"
OTHER = "second-key-0123456789abcdef"


@pytest.fixture()
def keyed(tmp_path):
    """An app over an empty index whose keys come from a file, so a key can be removed while it runs."""
    keys = tmp_path / "keys.txt"
    keys.write_text(f"{KEY}\n{OTHER}\n")
    assistant = Assistant(index_dir=tmp_path / "index", corpus_dir=tmp_path, api_keys_file=str(keys))
    with TestClient(create_app(assistant, ui=False), follow_redirects=False) as client:
        yield client, keys


def _sign_in(client, key):
    return client.post("/signin", data={"key": key, "next": "/"})


def test_a_sign_in_ends_when_its_key_is_revoked(keyed):
    client, keys = keyed
    assert client.get("/", headers={"Accept": "text/html"}).headers["location"].startswith("/signin")
    assert _sign_in(client, KEY).status_code == 303
    assert client.get("/").status_code == 307  # through the gate: the API-only app redirects to its docs
    time.sleep(0.01)
    keys.write_text(f"# {KEY} revoked\n{OTHER}\n")
    refused = client.get("/", headers={"Accept": "text/html"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/signin")
    assert client.get("/gradio_api/info").status_code == 401
    assert _sign_in(client, OTHER).status_code == 303  # the other key still signs in
    assert client.get("/").status_code == 307


def test_a_wrong_key_or_a_forged_cookie_gets_nothing(keyed):
    client, _ = keyed
    started = time.monotonic()
    wrong = _sign_in(client, "not-a-key-0123456789")
    assert wrong.status_code == 401 and "not valid" in wrong.text and time.monotonic() - started >= 0.9
    assert "ea_session" not in wrong.cookies
    client.cookies.set("ea_session", "0" * 32 + ".9999999999." + "0" * 64)
    assert client.get("/config").status_code == 401
    assert client.post("/signin", data={"key": KEY, "next": "https://evil.example/"}).headers["location"] == "/"


def test_nothing_of_the_library_before_sign_in(indexed):
    """Without a session the web app sends a sign-in page and 401s: no id, title or organisation of the index."""
    assistant, _ = indexed
    app = create_app(assistant, settings=assistant.settings.with_(api_keys=KEY), ui=True)
    docs = assistant.documents()
    secrets = {d.doc_id for d in docs} | {d.title for d in docs if d.title} | {d.source for d in docs}
    with TestClient(app, follow_redirects=True) as client:
        for path in ("/", "/config", "/gradio_api/info", "/info", "/gradio_api/openapi.json", "/?view=api",
                     "/gradio_api/queue/status", "/theme.css"):
            body = client.get(path, headers={"Accept": "text/html"}).text
            leaked = [s for s in secrets if s in body]
            assert not leaked, (path, leaked[:3])
        page = client.get("/", headers={"Accept": "text/html"})
        assert page.url.path == "/signin" and "API key" in page.text
        assert client.post("/signin", data={"key": KEY, "next": "/"}).url.path == "/"
        assert any(d.title in client.get("/config").text for d in docs)  # signed in: the app and its choices


def test_no_other_origin_gets_credentialed_cors(tmp_path):
    assistant = Assistant(index_dir=tmp_path / "index", corpus_dir=tmp_path)
    with TestClient(create_app(assistant, ui=True)) as client:
        for origin in ("http://localhost:9999", "http://127.0.0.1:1", "https://evil.example"):
            pre = client.options("/api/search", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
            assert "access-control-allow-origin" not in pre.headers
            got = client.get("/api/health", headers={"Origin": origin})
            assert "access-control-allow-origin" not in got.headers
            assert "access-control-allow-credentials" not in client.get("/", headers={"Origin": origin}).headers
    allowed = Assistant(index_dir=tmp_path / "index", corpus_dir=tmp_path, cors_origins="https://portal.example")
    with TestClient(create_app(allowed, ui=False)) as client:
        got = client.get("/api/health", headers={"Origin": "https://portal.example"})
        assert got.headers["access-control-allow-origin"] == "https://portal.example"


def test_api_errors_are_short_json(keyed):
    client, _ = keyed
    auth = {"Authorization": f"Bearer {KEY}"}
    long = client.post("/api/search", json={"query": "x" * 100_000}, headers=auth)
    assert long.status_code == 422 and len(long.content) < 1000 and "xxxxx" not in long.text
    big = client.post("/api/search", content=b'{"query": "' + b"x" * 1_100_000 + b'"}',
                      headers={**auth, "Content-Type": "application/json"})
    assert big.status_code == 413 and big.headers["content-type"] == "application/json" and big.json()["detail"]
    backwards = client.post("/api/search", json={"query": "gender", "filters": {"year": "2025-2020"}}, headers=auth)
    assert backwards.status_code == 422 and "backwards" in backwards.json()["detail"]
    started = time.monotonic()
    many = client.post("/api/search", json={"query": "gender", "filters": {"source": [f"s{i}" for i in range(90_000)]}},
                       headers=auth)
    assert many.status_code == 422 and time.monotonic() - started < 2 and len(many.content) < 2000
    listed = client.get("/api/lessons", params=[("source", f"s{i}") for i in range(150)], headers=auth)
    assert listed.status_code == 422 and "at most 100" in listed.json()["detail"]


# --- the local key: `serve` on loopback with no key configured ---------------------


def test_the_local_key_is_owner_only_kept_and_opens_writes_only(tmp_path):
    from assistant import security
    from assistant.config import Settings
    from assistant.errors import KeyConfigError

    settings = Settings(index_dir=tmp_path / "index")
    assert security.local_key(settings) is None  # none made yet: writes refused as before
    assert security.refusal(settings, None, write=True)[0] == 403
    key = security.ensure_local_key(settings)
    path = security.local_key_path(settings)
    assert path.stat().st_mode & 0o777 == 0o600 and len(key) >= security.MIN_KEY_CHARS
    assert security.ensure_local_key(settings) == key  # kept across restarts
    assert security.refusal(settings, key, write=True) is None
    assert security.refusal(settings, None, write=False) is None  # reads stay open on this machine
    refused = security.refusal(settings, "not-the-local-key-0123456789", write=True)
    assert refused[0] == 403 and "sign-in link" in refused[1]
    # With keys configured the local key opens nothing.
    keyed = settings.with_(api_keys="a-team-key-0123456789")
    assert security.refusal(keyed, key, write=True)[0] == 401
    assert security.refusal(keyed, key, write=False)[0] == 401
    # Switched off, it is not honoured.
    assert security.refusal(settings.with_(local_key=False), key, write=True)[0] == 403
    # A key file others can read is not trusted, and `serve` says so rather than using it.
    path.chmod(0o644)
    assert security.local_key(settings) is None
    assert security.refusal(settings, key, write=True)[0] == 403
    with pytest.raises(KeyConfigError, match="owner-only"):
        security.ensure_local_key(settings)


def test_the_sign_in_link_signs_in_with_the_local_key(tmp_path):
    from assistant import security, sessions

    assistant = Assistant(index_dir=tmp_path / "index", corpus_dir=tmp_path)
    with TestClient(create_app(assistant, ui=False), follow_redirects=False) as client:
        assert client.get("/signin?key=anything-0123456789").status_code != 303  # no local key: no sign-in at all
        key = security.ensure_local_key(assistant.settings)
        assert client.get("/").status_code == 307  # reads need no sign-in
        started = time.monotonic()
        wrong = client.get("/signin?key=not-the-key-0123456789")
        assert wrong.status_code == 401 and time.monotonic() - started >= 0.9 and "ea_session" not in wrong.cookies
        signed = client.get(f"/signin?key={key}&next=/somewhere")
        assert signed.status_code == 303 and signed.headers["location"] == "/somewhere"
        cookie = signed.cookies["ea_session"]
        assert key not in cookie and sessions.session_key(assistant.settings, cookie) == key
        # Deleting the key file ends the session: a new key is a new owner.
        security.local_key_path(assistant.settings).unlink()
        assert sessions.session_key(assistant.settings, cookie) is None
        # The API takes the local key as any key for writes.
        key = security.ensure_local_key(assistant.settings)
        assert client.delete("/api/documents/nothing-here").status_code == 403
        assert client.delete("/api/documents/nothing-here", headers={"X-API-Key": key}).status_code == 404
