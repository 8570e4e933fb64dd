"""The API key a request carries and the answer to a refused one, shared by every way in.

`/api`'s routes and the conversation routes take the key as a FastAPI
dependency (so the OpenAPI spec documents both headers); the ASGI guards
(uploads before their body is read, `/mcp`) read it from the raw headers.
All of them apply `security.refusal` and answer a refusal the same way.
"""

from __future__ import annotations

from fastapi import HTTPException, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import Scope

from assistant import security

__all__ = ["presented", "raise_refusal", "refusal_response", "scope_key"]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")

Refusal = tuple[int, str]


# async: a cheap check runs on the event loop, not as one more thread-pool hop per request
async def presented(
    bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
    header: str | None = Security(_header),
) -> str | None:
    """The key of a request to a route: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    return bearer.credentials if bearer else (header or None)


def scope_key(scope: Scope) -> str | None:
    """The key of a request seen by ASGI middleware, before any route runs."""
    headers = Headers(scope=scope)
    return security.presented_key(headers.get("authorization"), headers.get("x-api-key"))


def _challenge(status: int) -> dict[str, str] | None:
    return {"WWW-Authenticate": "Bearer"} if status == 401 else None


def raise_refusal(refused: Refusal | None) -> None:
    """In a route: a refused key becomes its HTTP error."""
    if refused:
        status, detail = refused
        raise HTTPException(status, detail, headers=_challenge(status))


def refusal_response(refused: Refusal) -> JSONResponse:
    """In middleware: the same refusal as a response of its own."""
    status, detail = refused
    return JSONResponse({"detail": detail}, status_code=status, headers=_challenge(status))
