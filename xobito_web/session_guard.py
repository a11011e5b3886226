"""The session cookie at the door: Reflex never sees the raw token, and a tab's client token is
never a credential on its own.

- The browser's session cookie is HttpOnly (set by routes.py). On the WebSocket handshake
  (`/_event`) this middleware replaces its value with its SHA-256, the same hash the session
  table stores, so the Reflex states (pickled to disk or Redis) only ever hold the hash.
- A Reflex tab is a client token. Each state remembers the session of the connection that uses
  it (state/session.py `SessionBinding`), and records here which session that is. An upload to
  `/_upload` names a client token in a header; it is accepted only with a session cookie of its
  own that is that same, still valid, session — and only when its declared size fits the
  largest message there can be, before a byte of the body is read.

Plain ASGI (no Reflex import): it wraps the whole app through `rx.App(api_transformer=...)`.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from xobito_web.config import settings
from xobito_web.db import read_session
from xobito_web.services import attachments, auth

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EVENT_PATH = "/_event"
UPLOAD_PATH = "/_upload"
# Ten files of 10 MB and the multipart framing around them: nothing bigger is a real message.
MAX_UPLOAD_BYTES = attachments.MAX_FILES * attachments.MAX_FILE_SIZE + 1024 * 1024
CLIENT_TOKEN_HEADER = b"reflex-client-token"


def session_token_from(cookie_header: str) -> str:
    """The session cookie's value in a Cookie header ("" when there is none)."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == auth.SESSION_COOKIE:
            return value.strip().strip('"')
    return ""


def _with_hashed_session(cookie_header: str) -> str:
    parts = []
    for part in cookie_header.split(";"):
        name, separator, value = part.strip().partition("=")
        if name == auth.SESSION_COOKIE and separator:
            value = auth.hash_token(value.strip().strip('"'))
        if name:
            parts.append(f"{name}{separator}{value}")
    return "; ".join(parts)


# --- Which session each client token belongs to --------------------------------------------


class LocalBindings:
    """One process: the latest binding of the most recent client tokens."""

    LIMIT = 100_000

    def __init__(self) -> None:
        self._bound: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def bind(self, client_token: str, session_hash: str) -> None:
        with self._lock:
            self._bound[client_token] = session_hash
            self._bound.move_to_end(client_token)
            while len(self._bound) > self.LIMIT:
                self._bound.popitem(last=False)

    def session_of(self, client_token: str) -> str:
        with self._lock:
            return self._bound.get(client_token, "")


class RedisBindings:
    """Several workers: the socket and the upload may reach different ones."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = "xobito:binding:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:16] + ":"
        self._lifetime = int(auth.SESSION_LIFETIME.total_seconds())

    def bind(self, client_token: str, session_hash: str) -> None:
        self._redis.set(self._prefix + client_token, session_hash, ex=self._lifetime)

    def session_of(self, client_token: str) -> str:
        found = self._redis.get(self._prefix + client_token)
        return found.decode() if found else ""  # type: ignore[union-attr]  # redis-py types sync results as maybe-awaitable


_bindings: LocalBindings | RedisBindings | None = None
_bindings_lock = threading.Lock()


def bindings() -> LocalBindings | RedisBindings:
    global _bindings
    with _bindings_lock:
        if _bindings is None:
            _bindings = RedisBindings(settings.redis_url) if settings.redis_url else LocalBindings()
        return _bindings


# --- The middleware -----------------------------------------------------------------------


class SessionGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and path.startswith(EVENT_PATH):
            scope = dict(scope)
            scope["headers"] = [
                (name, _with_hashed_session(value.decode("latin-1")).encode("latin-1") if name == b"cookie" else value)
                for name, value in scope.get("headers", [])
            ]
        elif scope["type"] == "http" and path.rstrip("/") == UPLOAD_PATH and scope.get("method") == "POST":
            refusal = await asyncio.to_thread(upload_refusal, scope.get("headers", []))
            if refusal is not None:
                await _plain_response(send, *refusal)
                return
        await self.app(scope, receive, send)


def upload_refusal(headers: list[tuple[bytes, bytes]]) -> tuple[int, str] | None:
    """Why an upload request is refused (status, text), or None to let it in."""
    found = {name.lower(): value.decode("latin-1") for name, value in headers}
    length = found.get(b"content-length", "")
    if not length.isdigit():
        return 411, "An upload must declare its length."
    if int(length) > MAX_UPLOAD_BYTES:
        return 413, "This upload is larger than any message may be."
    token = session_token_from(found.get(b"cookie", ""))
    client_token = found.get(CLIENT_TOKEN_HEADER, "")
    if not token or not client_token:
        return 403, "Sign in to upload files."
    session_hash = auth.hash_token(token)
    if bindings().session_of(client_token) != session_hash:
        return 403, "Sign in to upload files."
    with read_session() as session:
        if not auth.session_is_live(session, session_hash):
            return 403, "Sign in to upload files."
    return None


async def _plain_response(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def guard(app: ASGIApp) -> ASGIApp:
    """For `rx.App(api_transformer=[..., guard])`."""
    return SessionGuard(app)
