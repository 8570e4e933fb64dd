"""API keys: where they come from and how a presented key is checked.

Keys come from `ASSISTANT_API_KEYS` (comma-separated) and/or
`ASSISTANT_API_KEYS_FILE` (one key per line, `#` comments). The file is
re-read when it changes, so a key can be revoked without a restart. With
none configured, `serve` on a loopback address makes a *local key*
(`local.key` beside the index, owner-only): it opens writes only, so the
person who started the server can change the library through the sign-in
link it prints, while reads stay open on this machine as before. A
presented key is compared with every configured key in constant time
(`hmac.compare_digest`), and keys are never logged or echoed. Citation links
to a document's file carry an expiring signature instead (`file_link`),
since a browser following a link sends no key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import stat as stat_mode
import threading
import time
from pathlib import Path
from urllib.parse import quote

from assistant.config import Settings
from assistant.errors import KeyConfigError

MIN_KEY_CHARS = 16
LINK_TTL_SECONDS = 24 * 3600
LOCAL_KEY_FILE = "local.key"

_cache_lock = threading.Lock()
_file_cache: dict[str, tuple[float, int, tuple[str, ...]]] = {}


def configured_keys(settings: Settings) -> tuple[str, ...]:
    """Every configured key, from the variable and the keys file."""
    keys = [k.strip() for k in settings.api_keys.split(",") if k.strip()]
    if settings.api_keys_file:
        keys.extend(_file_keys(Path(settings.api_keys_file)))
    return tuple(dict.fromkeys(keys))


def _file_keys(path: Path) -> tuple[str, ...]:
    try:
        stat = path.stat()
    except OSError as exc:
        raise KeyConfigError(f"ASSISTANT_API_KEYS_FILE={str(path)!r}: cannot read it ({exc.strerror or exc})") from None
    with _cache_lock:
        cached = _file_cache.get(str(path))
        if cached and cached[:2] == (stat.st_mtime, stat.st_size):
            return cached[2]
    lines = path.read_text(encoding="utf-8").splitlines()
    keys = tuple(line.strip() for line in lines if line.strip() and not line.strip().startswith("#"))
    with _cache_lock:
        _file_cache[str(path)] = (stat.st_mtime, stat.st_size, keys)
    return keys


def check_keys(settings: Settings) -> None:
    """Refuse unusable key settings at start-up, with the reason (never the key)."""
    for n, key in enumerate(configured_keys(settings), 1):
        if len(key) < MIN_KEY_CHARS:
            raise KeyConfigError(f"API key #{n} is {len(key)} characters; use at least {MIN_KEY_CHARS}")


def keys_configured(settings: Settings) -> bool:
    return bool(configured_keys(settings))


def valid_key(settings: Settings, presented: str | None) -> bool:
    """True when `presented` equals a configured key (constant-time comparison)."""
    return _matches(presented, configured_keys(settings))


def local_key_path(settings: Settings) -> Path:
    return Path(settings.index_dir) / LOCAL_KEY_FILE


def ensure_local_key(settings: Settings) -> str:
    """The local key, made on first use: random, written owner-only (0600) with O_EXCL,
    so no other account on the machine can read it and a planted file is not trusted."""
    path = local_key_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = local_key(settings)
        if key is None:
            raise KeyConfigError(f"{path}: not a usable local key (owner-only file of one line, "
                                 f"at least {MIN_KEY_CHARS} characters); remove it to make a new one") from None
        return key
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key


def local_key(settings: Settings) -> str | None:
    """The local key when one was made and no key is configured, else None.

    A file that others can read or write, or that another account owns, is
    ignored: it may have been copied or planted.
    """
    if not settings.local_key or keys_configured(settings):
        return None
    path = local_key_path(settings)
    try:
        info = path.lstat()
        if not stat_mode.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.getuid():
            return None
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return key if len(key) >= MIN_KEY_CHARS and "\n" not in key else None


def accepted_keys(settings: Settings) -> tuple[str, ...]:
    """Keys that may sign in to the web app: the configured ones, or else the local key."""
    configured = configured_keys(settings)
    if configured:
        return configured
    local = local_key(settings)
    return (local,) if local else ()


def accepted(settings: Settings, presented: str | None) -> bool:
    """May this key sign in to the web app (a configured key, or else the local key)?"""
    return _matches(presented, accepted_keys(settings))


def _matches(presented: str | None, keys: tuple[str, ...]) -> bool:
    if not presented:
        return False
    candidate = presented.encode("utf-8", "surrogateescape")
    matched = False
    for key in keys:  # no early exit: timing says nothing about which key
        matched |= hmac.compare_digest(candidate, key.encode("utf-8"))
    return matched


def refusal(settings: Settings, presented: str | None, write: bool) -> tuple[int, str] | None:
    """(HTTP status, reason) when a request with this key may not go on, else None.

    Writes always need a key, so with none configured they are refused (403)
    unless they carry the local key; with keys configured, any request needs
    a valid one (401).
    """
    if not keys_configured(settings):
        if write and not _matches(presented, accepted_keys(settings)):
            if local_key(settings):
                return 403, ("uploads and deletes need the local key: open the sign-in link `eval-assistant serve` "
                             f"printed, or send the key in {local_key_path(settings)}")
            return 403, "uploads and deletes need an API key: configure ASSISTANT_API_KEYS or ASSISTANT_API_KEYS_FILE"
        return None
    if not valid_key(settings, presented):
        return 401, "missing or invalid API key (send Authorization: Bearer <key> or X-API-Key: <key>)"
    return None


def _link_key(settings: Settings) -> bytes:
    """The secret file links are signed with, derived from the configured keys
    (so revoking every key also revokes every link)."""
    material = "\0".join(sorted(configured_keys(settings)))
    return hashlib.sha256(b"eval-assistant file links\0" + material.encode("utf-8")).digest()


def file_signature(settings: Settings, doc_id: str, expires: int) -> str:
    return hmac.new(_link_key(settings), f"{doc_id}\0{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def file_link(settings: Settings, doc_id: str, page: int | None = None, ttl: int = LINK_TTL_SECONDS) -> str:
    """The path to a document's original file, for a citation a browser opens.

    A browser following a link sends no API key, so with keys configured the
    link carries an expiring signature for this one document instead.
    """
    url = f"/api/documents/{quote(doc_id, safe='')}/file"
    if keys_configured(settings):
        expires = int(time.time()) + ttl
        url += f"?exp={expires}&sig={file_signature(settings, doc_id, expires)}"
    return url + (f"#page={page}" if page else "")


def valid_file_link(settings: Settings, doc_id: str, expires: int | None, signature: str | None) -> bool:
    if not signature or expires is None or expires < time.time() or not keys_configured(settings):
        return False
    return hmac.compare_digest(signature.encode("utf-8", "surrogateescape"), file_signature(settings, doc_id, expires).encode())


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    return None


def is_loopback(host: str) -> bool:
    """Is binding to `host` reachable from this machine only?"""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
