"""Web-app sessions: a signed cookie that names the key it was issued for.

The cookie holds a fingerprint of the key, never the key, and is signed
with a secret of this server process, so a restart signs everyone out.
It lives on the ground floor because both the sign-in gate (serve/) and
the web app's write buttons (ui/) must read it, and ui/ sits below serve/.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from assistant import security
from assistant.config import Settings

__all__ = ["COOKIE", "SESSION_SECONDS", "browser_key", "fingerprint", "issue", "session_key"]

COOKIE = "ea_session"
SESSION_SECONDS = 12 * 3600  # a working day; then sign in again
_SECRET = secrets.token_bytes(32)  # per process: a restart ends every session


def fingerprint(key: str) -> str:
    """A key's stand-in: enough to tell keys apart, useless to sign in with."""
    return hashlib.sha256(b"eval-assistant session\0" + key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def issue(key: str) -> str:
    expires = int(time.time()) + SESSION_SECONDS
    body = f"{fingerprint(key)}.{expires}"
    return f"{body}.{_sign(body)}"


def session_key(settings: Settings, cookie: str | None) -> str | None:
    """The key a valid session cookie was issued for, if that key is still accepted.

    Checked against the keys accepted now (the keys file is re-read when it
    changes), so removing a key ends its sessions at once.
    """
    if not cookie or cookie.count(".") != 2:
        return None
    body, _, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature, _sign(body)):
        return None
    stated, _, expires = body.partition(".")
    if not expires.isdigit() or int(expires) < time.time():
        return None
    found = None
    for key in security.accepted_keys(settings):  # no early exit
        if hmac.compare_digest(stated, fingerprint(key)):
            found = key
    return found


def browser_key(settings: Settings, request: Any) -> str | None:
    """The key a browser's request is signed in with: its session cookie's, checked as `session_key` does
    (`request`: anything with a `cookies` mapping, as a Gradio or Starlette request has)."""
    cookies = getattr(request, "cookies", None) if request is not None else None
    return session_key(settings, cookies.get(COOKIE) if cookies else None)


def _sign(body: str) -> str:
    return hmac.new(_SECRET, body.encode(), hashlib.sha256).hexdigest()
