"""Plain HTTP routes beside the Reflex pages (mounted with `rx.App(api_transformer=build_api())`).

GET /{subdomain}/tickets/{ticket}/download?file={attachment_id}[&inline=1]
    One attachment, to members of the thread only (docs/product.md "Attachments", "Downloading files"):
    - unknown workspace: 404;
    - signed out (no or invalid `xobito_session` cookie): 303 to /{subdomain}/login?next=…;
    - signed in but not allowed, unknown ticket, an attachment of another ticket or workspace,
      a malformed id: 404, all alike;
    - else the file, `Content-Disposition: attachment` with a safe name (`inline` for jpg, png
      and gif previews when `inline=1`), the stored type, `nosniff`, `private, no-store`.

The storage folder itself is never served. No reflex import here: the route is plain Starlette
over the services, so it is tested with Starlette's TestClient.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from xobito_web.db import read_session
from xobito_web.services import attachments, auth, tickets, workspaces
from xobito_web.services.errors import NotFound

# The cookie the sign-in page sets (state/session.py SESSION_COOKIE; a test keeps them equal).
SESSION_COOKIE = "xobito_session"
DOWNLOAD_PATH = "/{subdomain}/tickets/{ticket}/download"

_PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def download_url(subdomain: str, ref: str, attachment_id: int, inline: bool = False) -> str:
    """The address of one attachment, as the thread links to it."""
    url = f"/{quote(subdomain, safe='')}/tickets/{quote(ref, safe='')}/download?file={int(attachment_id)}"
    return url + "&inline=1" if inline else url


def content_disposition(disposition: str, name: str) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 / 5987)."""
    return f"{disposition}; filename=\"{_ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii_name(name: str) -> str:
    """A plain-ASCII stand-in for old clients: accents dropped, anything else odd replaced."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe = "".join(char if char.isalnum() or char in " .-_()" else "_" for char in folded).strip(" .")
    stem, dot, extension = safe.rpartition(".")
    if not dot or not stem.strip("_ "):  # nothing readable left before the extension
        original_extension = name.rpartition(".")[2] if "." in name else ""
        extension = "".join(char for char in original_extension if char.isascii() and char.isalnum())
        return f"{attachments.FALLBACK_STEM}.{extension}" if extension else attachments.FALLBACK_STEM
    return safe


def _not_found() -> Response:
    return PlainTextResponse("Not found.", status_code=404, headers=_PRIVATE)


def _from_another_site(request: Request) -> bool:
    """A script on another origin reading the file with the user's cookie (a CORS fetch).

    Reflex wraps every route in a permissive CORS middleware; links, navigation and <img>
    previews are not CORS requests and are unaffected.
    """
    return request.headers.get("sec-fetch-mode") == "cors" and request.headers.get("sec-fetch-site") not in (
        None,
        "same-origin",
    )


def build_api(database_url: str | None = None, storage_root: Path | None = None) -> Starlette:
    """The Starlette app with the download route; the database and storage root default to the
    settings (the tests point them elsewhere)."""

    def download(request: Request) -> Response:
        # A plain function: Starlette runs it in a worker thread (the database calls block).
        subdomain = request.path_params["subdomain"].lower()
        with read_session(database_url) as session:
            if workspaces.find_workspace(session, subdomain) is None:
                return _not_found()
            user = auth.resolve_session(session, request.cookies.get(SESSION_COOKIE), subdomain)
            if user is None:
                back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(
                    f"/{quote(subdomain, safe='')}/login?next={quote(back_to, safe='')}",
                    status_code=303,
                    headers={"Cache-Control": "no-store"},
                )
            if _from_another_site(request):
                return _not_found()
            number = tickets.parse_ref(request.path_params["ticket"])
            if number is None:
                return _not_found()
            try:
                record, path = attachments.get_attachment_for_download(
                    session, user, number, request.query_params.get("file", ""), storage_root
                )
            except NotFound:
                return _not_found()
        inline = request.query_params.get("inline") == "1" and record.is_image
        return FileResponse(
            path,
            media_type=record.content_type,
            headers={
                **_PRIVATE,
                "Content-Disposition": content_disposition("inline" if inline else "attachment", record.name),
            },
        )

    return Starlette(routes=[Route(DOWNLOAD_PATH, download, methods=["GET"])])
