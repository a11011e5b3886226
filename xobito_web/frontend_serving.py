"""How the compiled frontend reaches the browser: no second round trip, no revalidation.

Reflex serves every page with a dynamic route (all of ours: `/{subdomain}/...`) from one
`__spa-fallback.html` that names only the root's code; the browser learns which page it is on
only after that code has run, and then fetches the page's own module and its imports — a
second round trip before the page can even ask for its data. And it serves the hashed assets
with no Cache-Control, so a tab that loads the app again asks about each file (a 304 each).

This wrapper, around the whole app (plain ASGI, no Reflex import):
- answers a page address with that route's own document: the fallback plus modulepreload
  links for the route's module and its imports (from React Router's manifest in the build), and
  the route's module among the ones the document loads at once;
- marks `/assets/*` (file names carry their content's hash) `immutable` for a year, and the
  documents `no-cache` (always revalidated: a new build is seen at once);
- tells a hook of each page document it sent (the app starts that page's data read there:
  state/prefetch.py).

Everything else passes through untouched; without a build (development) it does nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
log = logging.getLogger(__name__)

ASSETS_PREFIX = "/assets/"
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
FALLBACK = "__spa-fallback.html"
_MANIFEST = re.compile(r'import "(/assets/manifest-[^"]+\.js)";')
_ROUTE_MODULES = re.compile(r"window\.__reactRouterRouteModules = \{\"root\":route0\};")


@dataclass(frozen=True)
class Document:
    body: bytes
    gzipped: bytes
    etag: bytes


@dataclass(frozen=True)
class RouteDocument:
    pattern: re.Pattern[str]
    document: Document


def _document(html: str) -> Document:
    body = html.encode()
    return Document(body, gzip.compress(body, 6), b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"')


def _pattern(path: str) -> re.Pattern[str]:
    """React Router's `:subdomain/tickets/:ticket` as a regular expression for a request path."""
    parts = [("[^/]+" if part.startswith(":") else re.escape(part)) for part in path.strip("/").split("/") if part]
    return re.compile("^/" + "/".join(parts) + "/?$")


def _specificity(path: str) -> tuple[int, int]:
    parts = [part for part in path.strip("/").split("/") if part]
    return (-sum(not part.startswith(":") for part in parts), -len(parts))


def route_documents(client_dir: Path) -> list[RouteDocument]:
    """One document per dynamic route of the build in `client_dir`, most specific route first."""
    fallback = (client_dir / FALLBACK).read_text()
    found = _MANIFEST.search(fallback)
    if found is None or _ROUTE_MODULES.search(fallback) is None:
        return []  # a Reflex whose fallback looks different: serve it as it is
    manifest_js = (client_dir / found.group(1).lstrip("/")).read_text().strip()
    manifest = json.loads(manifest_js.removeprefix("window.__reactRouterManifest=").rstrip(";"))
    already = set(re.findall(r'href="([^"]+)"', fallback))
    documents = []
    for route_id, route in manifest["routes"].items():
        path = route.get("path") or ""
        if route_id == "root" or ":" not in path:
            continue  # static routes have prerendered documents of their own
        modules = [route["module"], *route.get("imports", [])]
        links = "".join(
            f'<link rel="modulepreload" href="{module}"/>' for module in dict.fromkeys(modules) if module not in already
        )
        html = fallback.replace("</head>", links + "</head>", 1)
        modules_line = (
            f"window.__reactRouterRouteModules = {{{json.dumps('root')}:route0,{json.dumps(route_id)}:route1}};"
        )
        html = _ROUTE_MODULES.sub(
            modules_line.replace("\\", "\\\\"),  # taken as is: no backslash escapes in a replacement
            html,
            count=1,
        )
        html = html.replace(
            "import * as route0 from",
            f"import * as route1 from {json.dumps(route['module'])};\nimport * as route0 from",
            1,
        )
        documents.append((path, RouteDocument(_pattern(path), _document(html))))
    documents.sort(key=lambda item: _specificity(item[0]))
    return [document for _path, document in documents]


def _client_dir() -> Path | None:
    web = os.environ.get("REFLEX_WEB_WORKDIR")
    if not web:
        return None
    client = Path(web) / "build" / "client"
    return client if (client / FALLBACK).is_file() else None


# Told of each page document once it is sent: (path, query string, Cookie header).
DocumentHook = Callable[[str, str, str], None]


class FrontendServing:
    def __init__(self, app: ASGIApp, client_dir: Path | None = None, on_document: DocumentHook | None = None):
        self.app = app
        self._client_dir = client_dir
        self._documents: list[RouteDocument] | None = None
        self._on_document = on_document

    def documents(self) -> list[RouteDocument]:
        if self._documents is None:
            client = self._client_dir or _client_dir()
            try:
                self._documents = route_documents(client) if client else []
            except (OSError, ValueError, KeyError):
                self._documents = []
        return self._documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(ASSETS_PREFIX):
            await self.app(scope, receive, _with_cache_control(send, IMMUTABLE))
            return
        if not path.startswith("/_"):
            for route in self.documents():
                if route.pattern.match(path):
                    await _send_document(scope, send, route.document)
                    if scope["method"] == "GET":
                        self._tell(path, scope)  # after: the document itself waits for nothing
                    return
        await self.app(scope, receive, send)

    def _tell(self, path: str, scope: Scope) -> None:
        if self._on_document is None:
            return
        cookie = b"; ".join(value for name, value in scope.get("headers") or [] if name == b"cookie")
        try:
            self._on_document(path, scope.get("query_string", b"").decode("latin-1"), cookie.decode("latin-1"))
        except Exception:
            log.exception("the document hook failed for %s", path)


def _with_cache_control(send: Send, value: bytes) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            headers = [(name, v) for name, v in message.get("headers", []) if name.lower() != b"cache-control"]
            message = {**message, "headers": [*headers, (b"cache-control", value)]}
        await send(message)

    return sending


async def _send_document(scope: Scope, send: Send, document: Document) -> None:
    headers = dict(scope.get("headers") or [])
    if headers.get(b"if-none-match") == document.etag:
        await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", document.etag)]})
        await send({"type": "http.response.body", "body": b""})
        return
    zipped = b"gzip" in headers.get(b"accept-encoding", b"")
    body = document.gzipped if zipped else document.body
    response_headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", REVALIDATE),
        (b"etag", document.etag),
        (b"vary", b"Accept-Encoding"),
    ]
    if zipped:
        response_headers.append((b"content-encoding", b"gzip"))
    await send({"type": "http.response.start", "status": 200, "headers": response_headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def frontend_serving(on_document: DocumentHook | None = None) -> Callable[[ASGIApp], ASGIApp]:
    """For `rx.App(api_transformer=[..., frontend_serving(hook)])`."""
    return lambda app: FrontendServing(app, on_document=on_document)
