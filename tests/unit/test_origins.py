"""The live connection's origin check: the public origin and the page's own host, nothing else."""

from __future__ import annotations

import pytest

from xobito_web.config import settings
from xobito_web.origins import requested_origin, socket_origin_allowed


def handshake(host: str, scheme: str = "ws", **headers: str) -> dict:
    """The environ python-engineio hands to the check for a WebSocket handshake."""
    return {"HTTP_HOST": host, "asgi.scope": {"type": "websocket", "scheme": scheme}, **headers}


def test_the_public_origin_is_allowed_whatever_host_the_request_names():
    assert socket_origin_allowed(settings.public_origin, handshake("10.0.0.5:3000"))


@pytest.mark.parametrize(
    ("origin", "environ"),
    [
        ("http://127.0.0.1:3000", handshake("127.0.0.1:3000")),
        ("http://LOCALHOST:3001", handshake("localhost:3001")),
        ("https://support.example.com", handshake("support.example.com", scheme="wss")),
        # Behind a proxy that ends TLS and says so.
        ("https://support.example.com", handshake("support.example.com", HTTP_X_FORWARDED_PROTO="https")),
        (
            "https://support.example.com",
            handshake("app:3000", HTTP_X_FORWARDED_HOST="support.example.com", HTTP_X_FORWARDED_PROTO="https"),
        ),
    ],
)
def test_a_page_of_the_host_itself_is_allowed(origin, environ):
    assert socket_origin_allowed(origin, environ)


@pytest.mark.parametrize(
    ("origin", "environ"),
    [
        ("https://evil.example", handshake("localhost:3000")),
        ("http://localhost:3001", handshake("localhost:3000")),  # another port is another site
        ("http://support.example.com", handshake("support.example.com", scheme="wss")),  # http page, https app
        ("null", handshake("localhost:3000")),  # sandboxed frames and file:// pages
    ],
)
def test_other_sites_are_refused(origin, environ):
    assert not socket_origin_allowed(origin, environ)


def test_the_requested_origin_maps_socket_schemes_to_page_schemes():
    assert requested_origin(handshake("Example.com:8443", scheme="wss")) == "https://example.com:8443"
    assert requested_origin(handshake("example.com", HTTP_X_FORWARDED_PROTO="https, http")) == "https://example.com"
