"""Which web origins may talk to the app with the user's cookies.

HTTP: Reflex's CORS middleware answers only the public origin (`cors_allowed_origins` in
rxconfig, from XOBITO_BASE_URL); a page on the app's own host needs no CORS at all.

The Socket.IO connection (`/_event`) is checked by python-engineio against an allow-list
before it is accepted. A plain list would refuse the app's own pages when they are opened under
another name than XOBITO_BASE_URL (127.0.0.1 instead of localhost, a second port, an internal
host name behind a proxy), so the check accepts the public origin and the origin of the host
the connection was sent to — which a page of another site cannot claim: the browser sets
`Origin` to that site and `Host` to ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xobito_web.config import settings

_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def requested_origin(environ: Mapping[str, Any]) -> str:
    """`scheme://host[:port]` the request was sent to (as a proxy in front reports it)."""
    scope = environ.get("asgi.scope") or {}
    forwarded_proto = str(environ.get("HTTP_X_FORWARDED_PROTO", "")).split(",")[0].strip().lower()
    scheme = _SCHEMES.get(forwarded_proto) or _SCHEMES.get(str(scope.get("scheme", "http")), "http")
    host = str(environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST", "")).split(",")[0].strip()
    return f"{scheme}://{host}".lower()


def socket_origin_allowed(origin: str | None, environ: Mapping[str, Any]) -> bool:
    """For engineio's `cors_allowed_origins` callable: the public origin or the host's own."""
    if not origin:  # not from a browser page (engineio only asks when the header is present)
        return True
    origin = origin.lower()
    return origin == settings.public_origin or origin == requested_origin(environ)
