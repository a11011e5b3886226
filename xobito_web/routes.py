"""Plain HTTP routes beside the Reflex pages (mounted with `rx.App(api_transformer=...)`).

POST /{subdomain}/login      email, password, next -> the HttpOnly session cookie
POST /{subdomain}/logout     ends this browser's session, clears the cookie
POST /{subdomain}/reset-password, /set-password, /verify-email
                             token, password -> the password is set with a one-time link, the
                             person's other sessions end, and this browser is signed in (cookie)
GET  /{subdomain}/tickets/{ticket}/download?file={attachment_id}[&inline=1]

Sign-in and sign-out answer JSON to the page's script (`Accept: application/json`) and a 303
redirect to a plain form post (no script). They refuse requests from other sites (Origin /
Fetch Metadata), so another page cannot sign a visitor in or out.

The download serves one attachment to members of the thread only (docs/product.md
"Attachments", "Downloading files"): unknown workspace 404; signed out 303 to the sign-in page with the
way back; signed in but not allowed, unknown ticket, an attachment of another ticket or
workspace, a malformed id: 404, all alike; else the file with `Content-Disposition:
attachment` and a safe name (`inline` for jpg, png and gif previews when `inline=1`), the
stored type, `nosniff`, `private, no-store`. The storage folder itself is never served.

No reflex import here: the routes are plain Starlette over the services (tested with
Starlette's TestClient). Sync route functions run in Starlette's thread pool, so hashing and
database work never block the event loop.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from xobito_web import urls
from xobito_web.config import settings
from xobito_web.db import read_session, write_session
from xobito_web.services import accounts, attachments, auth, live, rate_limits, workspaces
from xobito_web.services.errors import InvalidInput, NotFound, SignInFailed, TooManyAttempts
from xobito_web.services.ids import parse_ref

_PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
MAX_FORM_BYTES = 16 * 1024  # an email, a password and a path


def download_url(subdomain: str, ref: str, attachment_id: int, inline: bool = False) -> str:
    return urls.download(subdomain, ref, attachment_id, inline)


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

    A second guard: CORS already shares answers with the public origin only (rxconfig); links,
    navigation and <img> previews send no Origin and are not CORS requests, so they are
    unaffected. Older browsers send no Fetch Metadata, but a cross-origin fetch carries Origin.
    """
    if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        return request.headers.get("sec-fetch-mode") == "cors" or "origin" in request.headers
    origin = request.headers.get("origin")
    return origin is not None and origin not in own_origins(request)


def own_origins(request: Request) -> set[str]:
    """The origins this app answers as: its configured public address and the one asked for."""
    base = urlsplit(settings.base_url)
    found = {f"{base.scheme}://{base.netloc}"}
    host = request.headers.get("host")
    if host:
        found.add(f"{request.url.scheme}://{host}")
    return found


def sent_by_this_site(request: Request) -> bool:
    """A state-changing request from one of our own pages (or from no page at all: a script).

    Browsers send Sec-Fetch-Site and Origin with every POST; another site cannot forge them.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    return origin is None or origin in own_origins(request)


def client_address_of(request: Request) -> str:
    """Who sent the request, through the configured number of trusted proxies."""
    return rate_limits.client_address(
        request.client.host if request.client else "",
        request.headers.getlist("x-forwarded-for"),
        settings.trusted_proxy_hops,
    )


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _secure(request: Request) -> bool:
    """Served over HTTPS: directly, by the public address, or as a trusted proxy says."""
    forwarded = request.headers.get("x-forwarded-proto", "") if settings.trusted_proxy_hops else ""
    return request.url.scheme == "https" or settings.base_url.startswith("https://") or forwarded == "https"


def _error(request: Request, status: int, code: str, message: str, field: str = "") -> Response:
    return JSONResponse(
        {"error": {"code": code, "message": message, "field": field}}, status_code=status, headers=_PRIVATE
    )


async def _small_form(request: Request) -> dict[str, str] | None:
    """The posted fields, or None when the body is too big to be a sign-in."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return None
    form = await request.form(max_files=0, max_fields=10)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def signed_in_response(request: Request, token: str, target: str) -> Response:
    """The answer that signs this browser in: the HttpOnly session cookie, and where to go next
    (JSON for the page's script, a 303 redirect for a plain form post)."""
    response: Response = JSONResponse({"next": target}) if _wants_json(request) else RedirectResponse(target, 303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# Which one-time link each page's form uses (services/accounts.py).
_LINK_PURPOSES = {
    urls.RESET_PASSWORD_PATH: accounts.RESET,
    urls.SET_PASSWORD_PATH: accounts.INVITATION,
    urls.VERIFY_EMAIL_PATH: accounts.VERIFICATION,
}


def build_api(database_url: str | None = None, storage_root: Path | None = None) -> Starlette:
    """The Starlette app with the HTTP routes; the database and storage root default to the
    settings (the tests point them elsewhere)."""

    async def sign_in(request: Request) -> Response:
        subdomain = request.path_params["subdomain"].lower()
        form = await _small_form(request)
        next_page = (form or {}).get("next", "")
        target = next_page if urls.is_own_page(subdomain, next_page) else urls.tickets(subdomain)

        def refuse(status: int, code: str, message: str, field: str = "") -> Response:
            if _wants_json(request):
                return _error(request, status, code, message, field)
            return RedirectResponse(urls.login(subdomain, next_page, error=code), status_code=303)

        if not sent_by_this_site(request):
            return refuse(403, "refused", auth.SIGN_IN_REFUSALS["refused"])
        if form is None:
            return refuse(413, "invalid", auth.SIGN_IN_REFUSALS["invalid"])

        def check() -> str:
            token, _user = auth.sign_in(
                subdomain,
                form.get("email", "")[:320],
                form.get("password", "")[: workspaces.PASSWORD_MAX_LENGTH + 1],
                client_address_of(request),
                database_url=database_url,
            )
            # This browser's previous session ends: its cookie is replaced, and a copy of the old
            # one (a shared computer, a stolen cookie) must not stay signed in.
            previous = request.cookies.get(auth.SESSION_COOKIE)
            if previous:
                with write_session(database_url) as session:
                    ended_user_id = auth.sign_out(session, previous)
                    if ended_user_id is not None:
                        live.announce_sessions_ended(session, ended_user_id)
            return token

        try:
            token = await run_in_threadpool(check)
        except NotFound:
            return refuse(404, "not_found", "There is no such workspace.")
        except InvalidInput as error:
            return refuse(422, "invalid", error.message, error.field)
        except TooManyAttempts as error:
            response = refuse(429, "throttled", error.message)
            response.headers["Retry-After"] = str(error.retry_after_seconds)
            return response
        except auth.AccountNotActive as error:
            return refuse(403, error.code, error.message)
        except SignInFailed as error:
            return refuse(401, "credentials", error.message)
        return signed_in_response(request, token, target)

    def link_route(path: str):
        purpose = _LINK_PURPOSES[path]

        async def use_link(request: Request) -> Response:
            """A password set with a one-time link; JSON only (the link's token lives in the page's
            address after '#', so only the page's script can send it)."""
            subdomain = request.path_params["subdomain"].lower()
            if not sent_by_this_site(request):
                return _error(request, 403, "refused", "Set your password from the link's own page.")
            form = await _small_form(request)
            if form is None:
                return _error(request, 413, "invalid", "Enter a new password.", "password")

            def use() -> str:
                token, _user = accounts.use_password_link(
                    subdomain,
                    purpose,
                    form.get("token", "")[: accounts.MAX_LINK_TOKEN_LENGTH + 1],
                    form.get("password", "")[: workspaces.PASSWORD_MAX_LENGTH + 1],
                    database_url=database_url,
                )
                return token

            try:
                token = await run_in_threadpool(use)
            except InvalidInput as error:
                return _error(request, 422, "invalid", error.message, error.field)
            except accounts.LinkNotUsable as error:
                return _error(request, 410, "link", error.message)
            return signed_in_response(request, token, urls.tickets(subdomain))

        return Route(path, use_link, methods=["POST"])

    def sign_out(request: Request) -> Response:
        subdomain = request.path_params["subdomain"].lower()
        login = urls.login(subdomain)
        if not sent_by_this_site(request):
            return _error(request, 403, "refused", "Sign out from the app's own page.")
        token = request.cookies.get(auth.SESSION_COOKIE)
        with write_session(database_url) as session:
            ended_user_id = auth.sign_out(session, token)
            if ended_user_id is not None:
                live.announce_sessions_ended(session, ended_user_id)
        response: Response = JSONResponse({"next": login}) if _wants_json(request) else RedirectResponse(login, 303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
        response.headers["Cache-Control"] = "no-store"
        return response

    def download(request: Request) -> Response:
        subdomain = request.path_params["subdomain"].lower()
        with read_session(database_url) as session:
            if workspaces.find_workspace(session, subdomain) is None:
                return _not_found()
            user = auth.resolve_session(session, request.cookies.get(auth.SESSION_COOKIE), subdomain)
            if user is None:
                back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(
                    urls.login(subdomain, back_to), status_code=303, headers={"Cache-Control": "no-store"}
                )
            if _from_another_site(request):
                return _not_found()
            number = parse_ref(request.path_params["ticket"])
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

    return Starlette(
        routes=[
            Route(urls.SIGN_IN_PATH, sign_in, methods=["POST"]),
            Route(urls.SIGN_OUT_PATH, sign_out, methods=["POST"]),
            *(link_route(path) for path in _LINK_PURPOSES),
            Route(urls.DOWNLOAD_PATH, download, methods=["GET"]),
        ]
    )
