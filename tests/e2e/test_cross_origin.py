"""Another site's scripts cannot read the app's answers with the user's cookies, nor open its live
connection; the app's own pages can (against the running production app, over plain HTTP)."""

from __future__ import annotations

import base64
import os
import socket

import httpx
import pytest

FOREIGN = "https://evil.example"


def cors_paths(subdomain: str) -> list[tuple[str, str]]:
    """(method, path): the download route, Reflex's upload endpoint and its ping."""
    return [
        ("GET", f"/{subdomain}/tickets/TKT-000001/download?file=1"),
        ("POST", "/_upload"),
        ("GET", "/ping"),
    ]


def preflight(app, path: str, method: str, origin: str) -> httpx.Response:
    return httpx.options(
        app.url(path),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )


def plain_request(app, path: str, method: str, origin: str) -> httpx.Response:
    return httpx.request(method, app.url(path), headers={"Origin": origin}, follow_redirects=False)


@pytest.mark.parametrize("request_kind", [preflight, plain_request], ids=["preflight", "request"])
def test_another_site_gets_no_cors_permission(app, workspace, request_kind):
    for method, path in cors_paths(workspace.subdomain):
        response = request_kind(app, path, method, FOREIGN)
        assert "access-control-allow-origin" not in response.headers, (method, path, response.headers)


@pytest.mark.parametrize("request_kind", [preflight, plain_request], ids=["preflight", "request"])
def test_the_apps_own_origin_keeps_its_cors_permission(app, workspace, request_kind):
    for method, path in cors_paths(workspace.subdomain):
        response = request_kind(app, path, method, app.base_url)
        assert response.headers.get("access-control-allow-origin") == app.base_url, (method, path)
        assert response.headers.get("access-control-allow-credentials") == "true", (method, path)


def websocket_handshake_status(port: int, host: str, origin: str) -> int:
    """The HTTP status the live endpoint answers a browser's WebSocket handshake with."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_another_site_cannot_open_the_live_connection(app):
    assert websocket_handshake_status(app.port, f"localhost:{app.port}", FOREIGN) == 403
    # Nor by naming the app's host in its own origin on another port.
    assert websocket_handshake_status(app.port, f"localhost:{app.port}", "http://localhost:1") == 403


def test_the_apps_own_pages_open_the_live_connection_under_any_of_its_names(app):
    assert websocket_handshake_status(app.port, f"localhost:{app.port}", app.base_url) == 101
    loopback = f"127.0.0.1:{app.port}"
    assert websocket_handshake_status(app.port, loopback, f"http://{loopback}") == 101
