"""Signing in to the web app with an API key, checked again on every request.

With keys configured, the web app (everything outside `/api`, which checks
keys itself) is served only to a browser holding a session cookie. The
cookie names the key it was issued for by a fingerprint, and each request
checks that fingerprint against the keys configured now (the keys file is
re-read when it changes), so removing a key ends its sessions at once.
Before sign-in the server sends a plain sign-in page and nothing of the
library: no Gradio page, no configuration, no document list.
"""

from __future__ import annotations

import asyncio
import html
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant import security, sessions
from assistant.config import Settings
from assistant.sessions import COOKIE, SESSION_SECONDS

__all__ = ["COOKIE", "SignInGate"]

FAILED_SIGN_IN_DELAY = 1.0  # seconds a wrong key waits: guessing costs time
_OPEN = ("/api/", "/signin", "/signout")  # the API checks keys itself; the sign-in pages need none


class SignInGate:
    """ASGI middleware: the web app for signed-in browsers only, when keys are configured.

    With only the local key, the app stays open to read and the gate just
    signs a browser in (the link `serve` prints), which opens the writes.
    """

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        gated = security.keys_configured(self.settings)
        if not gated and (path not in ("/signin", "/signout") or not security.local_key(self.settings)):
            await self.app(scope, receive, send)
            return
        if path == "/signin" and scope["type"] == "http":
            await self._sign_in(scope, receive, send)
            return
        if path == "/signout" and scope["type"] == "http":
            response = RedirectResponse("/signin", status_code=303)
            response.delete_cookie(COOKIE, path="/")
            await response(scope, receive, send)
            return
        if path.startswith(_OPEN) or path in ("/api", "/mcp") or sessions.session_key(self.settings, _cookie(scope)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A page asks for sign-in; anything else (the app's own calls, assets) gets a plain 401."""
        request = Request(scope, receive)
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
        else:
            response = JSONResponse({"detail": "sign in first: /signin"}, status_code=401)
        await response(scope, receive, send)

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        target = _local(request.query_params.get("next", "/"))
        if request.method == "POST":
            form = parse_qs((await request.body())[:8192].decode("utf-8", "replace"))
            key = (form.get("key") or [""])[0].strip()
            target = _local((form.get("next") or [target])[0])
        elif "key" in request.query_params:  # the link `serve` prints, as Jupyter's token link
            key = request.query_params["key"].strip()
        else:
            await _page(target)(scope, receive, send)
            return
        if not security.accepted(self.settings, key):
            await asyncio.sleep(FAILED_SIGN_IN_DELAY)
            await _page(target, "That key is not valid.", status=401)(scope, receive, send)
            return
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, sessions.issue(key), max_age=SESSION_SECONDS, path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        await response(scope, receive, send)


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no session
                return None
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def _local(target: str) -> str:
    """Only a path on this server: `next=https://elsewhere` or `//elsewhere` would be an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _page(target: str, error: str = "", status: int = 200) -> HTMLResponse:
    note = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(status_code=status, headers={"Cache-Control": "no-store"}, content=f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - Evaluation Assistant</title>
<style>body{{font-family:"DejaVu Sans",system-ui,sans-serif;display:flex;justify-content:center;margin-top:12vh;
color:#1f2937}}form{{width:22rem;border:1px solid #d1d5db;border-radius:10px;padding:1.5rem}}
input{{width:100%;box-sizing:border-box;padding:.5rem;margin:.5rem 0 1rem;font-size:1rem}}
button{{padding:.5rem 1.2rem;font-size:1rem}}.error{{color:#b91c1c}}</style></head>
<body><form method="post" action="/signin"><h1>Evaluation Assistant</h1>
<label for="key">API key</label><input id="key" name="key" type="password" autocomplete="current-password" autofocus>
<input type="hidden" name="next" value="{html.escape(target)}">{note}<button type="submit">Sign in</button>
</form></body></html>""")
