"""The compiled frontend's documents and cache headers (xobito_web/frontend_serving.py)."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

from xobito_web.frontend_serving import FrontendServing

MANIFEST = {
    "entry": {"module": "/assets/entry.client-A.js", "imports": [], "css": []},
    "routes": {
        "root": {"id": "root", "path": "", "module": "/assets/root-R.js", "imports": ["/assets/shared-S.js"]},
        "routes/$[subdomain].[tickets]._index": {
            "id": "routes/$[subdomain].[tickets]._index",
            "path": ":subdomain/tickets",
            "module": "/assets/list-L.js",
            "imports": ["/assets/shared-S.js", "/assets/checkbox-C.js"],
        },
        "routes/$[subdomain].[tickets].$[ticket]._index": {
            "id": "routes/$[subdomain].[tickets].$[ticket]._index",
            "path": ":subdomain/tickets/:ticket",
            "module": "/assets/thread-T.js",
            "imports": ["/assets/text-area-X.js"],
        },
        "routes/$[subdomain].[tickets].[new]._index": {
            "id": "routes/$[subdomain].[tickets].[new]._index",
            "path": ":subdomain/tickets/new",
            "module": "/assets/new-N.js",
            "imports": [],
        },
        "routes/_index": {"id": "routes/_index", "path": "", "index": True, "module": "/assets/index-I.js"},
    },
}

FALLBACK = """<!DOCTYPE html><html><head><link rel="modulepreload" href="/assets/root-R.js"/>\
<link rel="modulepreload" href="/assets/shared-S.js"/></head><body><div>loading</div>\
<script type="module" async="">import "/assets/manifest-M.js";
import * as route0 from "/assets/root-R.js";
  window.__reactRouterRouteModules = {"root":route0};
import("/assets/entry.client-A.js");</script></body></html>"""


def build(tmp_path: Path) -> Path:
    client = tmp_path / "build" / "client"
    (client / "assets").mkdir(parents=True)
    (client / "__spa-fallback.html").write_text(FALLBACK)
    (client / "assets" / "manifest-M.js").write_text(f"window.__reactRouterManifest={json.dumps(MANIFEST)};")
    return client


def call(
    app, path: str, method: str = "GET", headers: dict[str, str] | None = None, query: str = ""
) -> tuple[int, dict, bytes]:
    sent: list[dict] = []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
    }

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], {name.decode(): value.decode() for name, value in start["headers"]}, body


async def reflex_app(scope, receive, send):
    """Stands in for Reflex's static files: 200, a body, no Cache-Control."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"from reflex " + scope["path"].encode()})


def test_a_page_address_gets_its_routes_code_named_in_the_document(tmp_path):
    app = FrontendServing(reflex_app, build(tmp_path))

    status, headers, body = call(app, "/acme/tickets")

    html = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert '<link rel="modulepreload" href="/assets/list-L.js"/>' in html
    assert '<link rel="modulepreload" href="/assets/checkbox-C.js"/>' in html
    assert html.count('href="/assets/shared-S.js"') == 1  # already named by the fallback
    assert "/assets/thread-T.js" not in html  # another page's code is not loaded here
    assert 'import * as route1 from "/assets/list-L.js";' in html
    assert '{"root":route0,"routes/$[subdomain].[tickets]._index":route1}' in html
    assert headers["cache-control"] == "no-cache"


def test_the_most_specific_route_wins_and_other_addresses_pass_through(tmp_path):
    app = FrontendServing(reflex_app, build(tmp_path))

    assert "/assets/new-N.js" in call(app, "/acme/tickets/new")[2].decode()
    assert "/assets/thread-T.js" in call(app, "/acme/tickets/T-12")[2].decode()
    for path in ("/acme/tickets/T-12/download", "/acme/api/v1/tickets", "/_upload", "/", "/favicon.ico"):
        assert call(app, path)[2] == b"from reflex " + path.encode(), path
    assert call(app, "/acme/tickets", method="POST")[2] == b"from reflex /acme/tickets"


def test_documents_are_revalidated_and_compressed(tmp_path):
    app = FrontendServing(reflex_app, build(tmp_path))
    _status, headers, body = call(app, "/acme/tickets")

    assert call(app, "/acme/tickets", headers={"If-None-Match": headers["etag"]})[0] == 304
    _status, zipped_headers, zipped = call(app, "/acme/tickets", headers={"Accept-Encoding": "gzip, br"})
    assert zipped_headers["content-encoding"] == "gzip" and gzip.decompress(zipped) == body


def test_hashed_assets_are_cached_for_good_and_nothing_changes_without_a_build(tmp_path):
    app = FrontendServing(reflex_app, build(tmp_path))
    assert call(app, "/assets/list-L.js")[0] == 200
    _status, headers, body = call(app, "/assets/list-L.js")
    assert headers["cache-control"] == "public, max-age=31536000, immutable" and body.startswith(b"from reflex")

    no_build = FrontendServing(reflex_app, tmp_path / "missing")
    _status, headers, body = call(no_build, "/acme/tickets")
    assert body == b"from reflex /acme/tickets" and "cache-control" not in headers


def test_each_page_document_sent_is_told_to_the_hook_with_its_address_and_cookie(tmp_path):
    """The hook starts the page's data read (state/prefetch.py); it never costs the document."""
    told: list[tuple[str, str, str]] = []
    app = FrontendServing(reflex_app, build(tmp_path), on_document=lambda *request: told.append(request))
    call(app, "/acme/tickets", query="status=all&q=invoice", headers={"Cookie": "xobito_session=abc; theme=x"})
    call(app, "/acme/tickets/T-12", headers={"If-None-Match": "anything"})
    for path in ("/assets/list-L.js", "/_event", "/favicon.ico"):
        call(app, path, headers={"Cookie": "xobito_session=abc"})
    call(app, "/acme/tickets", method="HEAD")
    assert told == [
        ("/acme/tickets", "status=all&q=invoice", "xobito_session=abc; theme=x"),
        ("/acme/tickets/T-12", "", ""),
    ]

    def broken(*_request):
        raise RuntimeError("the hook failed")

    status, _headers, body = call(
        FrontendServing(reflex_app, build(tmp_path / "again"), on_document=broken), "/acme/tickets"
    )
    assert status == 200 and b"/assets/list-L.js" in body
