"""The help page's form routes and the JSON API, as plain Starlette routes over the services.

POST /{subdomain}/tickets/{ticket}/reply     multipart `body` + `files`: the reply (help page)
POST /{subdomain}/tickets/{ticket}/close     closes the ticket (help page)
     A browser form post is answered with a 303 to the ticket; a request that accepts
     application/json gets the API's JSON answer.
/{subdomain}/api/v1/…                        the JSON API (xobito_web/openapi.py describes it)

Every change calls the same service the screens call (tickets.post_reply, close_ticket,
create_ticket, assignment.assign_ticket / take_ticket) in one write_session(), so the rules,
the emails queued and the live updates are the same whichever way a change comes in. Blocking
work (database, hashing, Redis, file checks) runs in Starlette's thread pool.

Who is asking: a personal API token (`Authorization: Bearer xob_…`, never from a cookie), or
the browser's session cookie, accepted only from this site's own pages (Origin /
Sec-Fetch-Site). Changes refuse requests from another site, and a cookie-authenticated change
must carry the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`; csrf.py).
Requests are counted per client address and per token or person (request_limits.py) and
refused with 429 and Retry-After past the limits; the services' own per-person caps apply too.

Bodies: a message's files are streamed part by part into the attachments' staging
(attachments.stage_chunk_stream), so a file is refused at its 10 MB + 1st byte and an 11th
file at its first chunk; a declared length larger than any message can be is refused before a
byte is read (413), as on /_upload (session_guard.MAX_UPLOAD_BYTES).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from xobito_web import config, csrf, request_limits, urls
from xobito_web.db import read_session, write_session
from xobito_web.models import Role
from xobito_web.openapi import openapi_document
from xobito_web.routes import build_api, client_address_of, sent_by_this_site
from xobito_web.services import api_tokens, assignment, attachments, auth, rate_limits, tickets, workspaces
from xobito_web.services.attachments import AttachmentRecord, StagedFile
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import (
    FileTooLarge,
    FileTypeRefused,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    ServiceError,
)
from xobito_web.services.ids import as_id, parse_ref
from xobito_web.session_guard import MAX_UPLOAD_BYTES

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

log = logging.getLogger(__name__)

_PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
MAX_SMALL_BODY = 64 * 1024  # JSON and urlencoded bodies: a message of 2000 characters and more
MAX_TEXT_FIELD = 16 * 1024  # one text part of a multipart body
MAX_PARTS = 40  # text fields and files of one multipart body

# What the API calls the services' form fields.
API_FIELDS = {"attachments": "files", "department": "department_id", "assignee": "assignee_id"}

UNAUTHORIZED = "Sign in, or send a personal API token as Authorization: Bearer …."
BAD_TOKEN = "This API token is not valid: it was revoked, or it belongs to another workspace or person."
FROM_ANOTHER_SITE = "This request came from another site and was refused."
CSRF_MISSING = "This form has expired or did not come from this site. Reload the page and send it again."
NO_SUCH_WORKSPACE = "There is no such workspace."
BAD_CURSOR = "This page link is not valid. Start again from the first page."
TOKENS_NEED_A_SESSION = "Create API tokens while signed in (your profile page), not with another token."
UNEXPECTED = "Something went wrong on our side. Nothing was changed; try again in a moment."
BODY_TOO_LARGE = "This request is larger than any message may be."


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, field: str = "", headers: dict[str, str] | None = None, **extra
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}
        self.extra = extra


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers={**_PRIVATE, **(headers or {})})


def error_response(error: ApiError) -> JSONResponse:
    body = {"code": error.code, "message": error.message, "field": error.field, **error.extra}
    return json_response({"error": body}, error.status, error.headers)


def from_service(error: ServiceError) -> ApiError:
    """The HTTP answer to a service's refusal; the message is the one the screens show."""
    if isinstance(error, RateLimited):
        return ApiError(429, "rate_limited", error.message, headers={"Retry-After": str(error.retry_after_seconds)})
    if isinstance(error, NotFound):
        return ApiError(404, "not_found", "Not found.")
    if isinstance(error, Forbidden):
        return ApiError(403, "forbidden", error.message)
    field_name = API_FIELDS.get(getattr(error, "field", ""), getattr(error, "field", ""))
    if isinstance(error, FileTooLarge):
        return ApiError(413, "too_large", error.message, field_name)
    if isinstance(error, FileTypeRefused):
        return ApiError(415, "unsupported_file_type", error.message, field_name)
    if isinstance(error, InvalidInput):
        return ApiError(422, "invalid", error.message, field_name)
    return ApiError(409, "conflict", error.message)


# --- Who is asking ----------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    user: CurrentUser
    token_id: int | None  # None: the browser's session cookie
    session_hash: str = ""  # the cookie's hash (for its CSRF token)

    @property
    def rate_key(self) -> str:
        return f"token:{self.token_id}" if self.token_id is not None else f"user:{self.user.user_id}"


def _bearer(request: Request) -> str | None:
    """The token of an Authorization: Bearer header; "" when the header is something else."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


Read = Callable[[Request, Session, "Caller"], Response]


def _identify(request: Request, database_url: str | None, read: Read | None = None) -> tuple[Caller, Response | None]:
    """Blocking (a worker thread): resolve the token or the cookie, one query when it succeeds,
    count the request, then run `read` (a GET's work) in the same read transaction."""
    subdomain = request.path_params["subdomain"].lower()
    _limit(request_limits.wait_seconds(_address_key(request), config.settings.api_address_requests_per_minute))
    bearer = _bearer(request)
    token_user: api_tokens.TokenUser | None = None
    cookie = ""
    with read_session(database_url) as session:
        if bearer is not None:
            token_user = api_tokens.authenticate(session, bearer, subdomain)
            user = token_user.user if token_user else None
        else:
            cookie = request.cookies.get(auth.SESSION_COOKIE, "")
            # Another site's page can make the browser send the cookie: not a credential then.
            user = auth.resolve_session(session, cookie, subdomain) if cookie and sent_by_this_site(request) else None
        if user is None:
            if workspaces.find_workspace(session, subdomain) is None:
                raise ApiError(404, "not_found", NO_SUCH_WORKSPACE)
            if bearer is not None:
                challenge = 'Bearer error="invalid_token"'
                raise ApiError(401, "unauthorized", BAD_TOKEN, headers={"WWW-Authenticate": challenge})
            raise ApiError(401, "unauthorized", UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
        if token_user is not None:
            caller = Caller(user, token_user.token_id)
        else:
            caller = Caller(user, None, auth.hash_token(cookie))
        _limit(request_limits.wait_seconds(caller.rate_key, config.settings.api_requests_per_minute))
        answer = read(request, session, caller) if read is not None else None
    if token_user is not None and api_tokens.use_is_worth_recording(token_user):
        with write_session(database_url) as session:
            api_tokens.record_use(session, token_user.token_id)
    return caller, answer


def _address_key(request: Request) -> str:
    return "address:" + rate_limits.throttle_address(client_address_of(request))


def _limit(wait: int) -> None:
    if wait:
        raise ApiError(429, "rate_limited", request_limits.message(wait), headers={"Retry-After": str(wait)})


def _refuse_other_sites(request: Request) -> None:
    if not sent_by_this_site(request):
        raise ApiError(403, "refused", FROM_ANOTHER_SITE)


def _check_csrf(caller: Caller, presented: str | None) -> None:
    """A change made with the cookie must carry the session's CSRF token; a token needs none."""
    if caller.token_id is None and not csrf.is_valid(caller.session_hash, presented):
        raise ApiError(403, "csrf", CSRF_MISSING, "csrf_token")


def _check_csrf_when_known(caller: Caller, request: Request, fields: dict[str, str], final: bool) -> None:
    """Before the files: refuse a wrong token at once, wait for one sent after them."""
    presented = request.headers.get(csrf.HEADER) or fields.get(csrf.FIELD)
    if final or presented:
        _check_csrf(caller, presented)


# --- Reading bodies -----------------------------------------------------------------------


@dataclass
class _FileChunk:
    """What attachments.stage_chunk_stream reads (the shape of Reflex's upload chunks)."""

    filename: str
    offset: int
    data: bytes


@dataclass
class _Multipart:
    """python-multipart's callbacks, collecting text fields and queueing file chunks."""

    fields: dict[str, str] = field(default_factory=dict)
    chunks: list[_FileChunk] = field(default_factory=list)
    parts: int = 0
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _header_field: bytes = b""
    _header_value: bytes = b""
    _name: str = ""
    _filename: str | None = None
    _offset: int = 0
    _text: bytearray = field(default_factory=bytearray)

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ApiError(413, "too_large", "This form has too many parts.")
        self._headers, self._header_field, self._header_value = {}, b"", b""
        self._name, self._filename, self._offset, self._text = "", None, 0, bytearray()

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._filename = filename.decode("utf-8", "replace") if filename is not None else None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if end <= start:  # nothing: an empty first chunk would read as the start of another file
            return
        if self._filename is None:
            self._text += data[start:end]
            if len(self._text) > MAX_TEXT_FIELD:
                raise ApiError(413, "too_large", f"The field {self._name!r} is too long.", self._name)
        elif self._filename:  # an empty file input of a browser form sends filename=""
            self.chunks.append(_FileChunk(self._filename, self._offset, bytes(data[start:end])))
            self._offset += end - start

    def _part_end(self) -> None:
        if self._filename is None:
            self.fields.setdefault(self._name, self._text.decode("utf-8", "replace"))
        elif self._filename and self._offset == 0:  # an empty file: staging refuses it by name
            self.chunks.append(_FileChunk(self._filename, 0, b""))


def _declared_length(request: Request) -> int | None:
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


async def _small_body(request: Request) -> bytes:
    declared = _declared_length(request)
    if declared is not None and declared > MAX_SMALL_BODY:
        raise ApiError(413, "too_large", BODY_TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SMALL_BODY:
            raise ApiError(413, "too_large", BODY_TOO_LARGE)
    return bytes(body)


def _text_fields(raw: dict[str, Any]) -> dict[str, str]:
    """JSON values as the form fields they stand for (numbers as digits, null as empty)."""
    fields = {}
    for name, value in raw.items():
        if value is None:
            fields[name] = ""
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            fields[name] = str(value)
        else:
            raise ApiError(422, "invalid", f"The field {name!r} must be a string.", name)
    return fields


async def read_fields(request: Request) -> dict[str, str]:
    """A JSON object or an urlencoded form of text fields (no files); an empty body is no fields."""
    media, _options = parse_options_header(request.headers.get("content-type", ""))
    if media == b"multipart/form-data":  # a browser form with enctype="multipart/form-data"
        declared = _declared_length(request)
        if declared is None or declared > MAX_SMALL_BODY:
            raise ApiError(413, "too_large", BODY_TOO_LARGE)
        try:
            form = await request.form(max_files=0, max_fields=MAX_PARTS)
        except MultiPartException as error:
            raise ApiError(400, "bad_request", f"The form could not be read: {error.message}") from None
        return {name: value for name, value in form.items() if isinstance(value, str)}
    body = await _small_body(request)
    if not body.strip():
        return {}
    if media == b"application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if media == b"application/json":
        try:
            raw = json.loads(body)
        except ValueError:
            raise ApiError(400, "bad_request", "The body is not valid JSON.") from None
        if not isinstance(raw, dict):
            raise ApiError(400, "bad_request", "The body must be a JSON object.")
        return _text_fields(raw)
    raise ApiError(415, "unsupported_media_type", "Send the fields as application/json or a form.")


FieldCheck = Callable[[dict[str, str], bool], None]


async def read_message(request: Request, check: FieldCheck) -> tuple[dict[str, str], list[StagedFile]]:
    """The text fields and the staged files of a message (multipart, JSON or urlencoded).

    `check(fields, final)` runs with the fields sent before the first file (final False: check
    what is there) and with all of them at the end (final True), so a message that fails anyway
    is refused before its files arrive. The caller owns the staged files: discard() them after.
    """
    media, options = parse_options_header(request.headers.get("content-type", ""))
    if media != b"multipart/form-data":
        fields = await read_fields(request)
        check(fields, True)
        return fields, []
    boundary = options.get(b"boundary")
    if not boundary:
        raise ApiError(400, "bad_request", "The multipart body has no boundary.")
    declared = _declared_length(request)
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        raise ApiError(413, "too_large", BODY_TOO_LARGE)
    form = _Multipart()
    parser = MultipartParser(boundary, form.callbacks())
    checked = False

    async def file_chunks() -> AsyncIterator[_FileChunk]:
        nonlocal checked
        received = 0
        async for data in request.stream():
            received += len(data)
            if received > MAX_UPLOAD_BYTES:
                raise ApiError(413, "too_large", BODY_TOO_LARGE)
            try:
                parser.write(data)
            except MultipartParseError:
                raise ApiError(400, "bad_request", "The multipart body is malformed.") from None
            if form.chunks and not checked:
                checked = True
                await run_in_threadpool(check, dict(form.fields), False)
            while form.chunks:
                yield form.chunks.pop(0)
        parser.finalize()
        while form.chunks:
            yield form.chunks.pop(0)

    staged = await attachments.stage_chunk_stream(file_chunks())
    try:
        check(form.fields, True)
    except BaseException:
        attachments.discard(staged)
        raise
    return form.fields, staged


# --- JSON shapes --------------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _attachment(subdomain: str, ref: str, file: AttachmentRecord) -> dict[str, Any]:
    return {
        "id": file.id,
        "name": file.name,
        "size": file.size,
        "content_type": file.content_type,
        "download_url": urls.download(subdomain, ref, file.id),
    }


def _message(subdomain: str, ref: str, message: tickets.MessageRecord) -> dict[str, Any]:
    return {
        "id": message.id,
        "author_name": message.author_name,
        "author_role": message.author_role,
        "is_team": message.is_team,
        "is_internal": message.is_internal,
        "body": message.body,
        "created_at": _time(message.created_at),
        "attachments": [_attachment(subdomain, ref, file) for file in message.attachments],
    }


def _row(subdomain: str, row: tickets.TicketRow) -> dict[str, Any]:
    return {
        "ref": row.ref,
        "number": row.number,
        "subject": row.subject,
        "department": row.department,
        "priority": row.priority,
        "status": row.status,
        "waiting_on": row.waiting_on,
        "customer_name": row.customer_name,
        "assignee_name": row.assignee_name,
        "created_at": _time(row.created_at),
        "last_reply_at": _time(row.last_reply_at),
        "url": urls.ticket(subdomain, row.ref),
    }


def _view(subdomain: str, view: tickets.TicketView) -> dict[str, Any]:
    return {
        "ref": view.ref,
        "number": view.number,
        "subject": view.subject,
        "department_id": view.department_id,
        "department": view.department,
        "priority": view.priority,
        "status": view.status,
        "waiting_on": view.waiting_on,
        "customer_name": view.customer_name,
        "assignee_name": view.assignee_name,
        "created_at": _time(view.created_at),
        "last_reply_at": _time(view.last_reply_at),
        "url": urls.ticket(subdomain, view.ref),
        "can_reply": view.can_reply,
        "can_close": view.can_close,
        "messages": [_message(subdomain, view.ref, message) for message in view.messages],
    }


def _changed(subdomain: str, changed: tickets.TicketChanged) -> dict[str, Any]:
    return {
        "ref": changed.ref,
        "status": changed.status,
        "department": changed.department,
        "assignee_name": changed.assignee_name,
        "url": urls.ticket(subdomain, changed.ref),
        "message": _message(subdomain, changed.ref, changed.message) if changed.message else None,
    }


def _token(record: api_tokens.TokenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "prefix": record.prefix,
        "owner_name": record.owner_name,
        "owner_email": record.owner_email,
        "created_at": _time(record.created_at),
        "last_used_at": _time(record.last_used_at) if record.last_used_at else None,
    }


# --- The list's query ---------------------------------------------------------------------


def _values(request: Request, name: str) -> list[str]:
    """`?status=open,answered` and `?status=open&status=answered` alike."""
    return [part.strip().lower() for value in request.query_params.getlist(name) for part in value.split(",")]


def _known(request: Request, name: str, allowed: tuple[str, ...], label: str) -> tuple[str, ...]:
    values = [value for value in _values(request, name) if value]
    for value in values:
        if value not in allowed:
            choices = ", ".join(allowed)
            raise ApiError(422, "invalid", f"Unknown {label} {value[:20]!r}. Use one of: {choices}.", name)
    return tuple(dict.fromkeys(values))


def list_filter(request: Request) -> tuple[tickets.TicketFilter, str | None, int]:
    """The list's filters, search, cursor and page size from the query; bad values refused."""
    statuses: tuple[str, ...] = tickets.DEFAULT_STATUSES
    if "status" in request.query_params:
        chosen = _known(request, "status", (*tickets.STATUSES, "all"), "status")
        statuses = () if "all" in chosen or not chosen else chosen
    priorities = _known(request, "priority", tickets.PRIORITIES, "priority")
    departments = []
    for value in _values(request, "department_id"):
        department_id = as_id(value)
        if department_id is None:
            raise ApiError(422, "invalid", "department_id must be a department's id.", "department_id")
        departments.append(department_id)
    search = request.query_params.get("q", "")
    if len(search) > tickets.MAX_SEARCH_LENGTH:
        message = f"The search must be at most {tickets.MAX_SEARCH_LENGTH} characters."
        raise ApiError(422, "invalid", message, "q")
    mine = request.query_params.get("mine", "").lower()
    if mine not in ("", "0", "1", "true", "false"):
        raise ApiError(422, "invalid", "mine must be true or false.", "mine")
    after = request.query_params.get("after") or None
    if after is not None and not tickets.is_valid_cursor(after):
        raise ApiError(400, "invalid_cursor", BAD_CURSOR, "after")
    limit_text = request.query_params.get("limit", str(tickets.PAGE_SIZE))
    limit = as_id(limit_text)
    if limit is None or limit > tickets.MAX_PAGE_SIZE:
        raise ApiError(422, "invalid", f"limit must be a number from 1 to {tickets.MAX_PAGE_SIZE}.", "limit")
    filters = tickets.TicketFilter(
        statuses=statuses,
        priorities=priorities,
        department_ids=tuple(departments),
        search=search,
        assigned_to_me=mine in ("1", "true"),
    )
    return filters, after, limit


# --- The routes -----------------------------------------------------------------------------

Handler = Callable[[Request, Caller], Awaitable[Response]]


def _number(request: Request) -> int:
    number = parse_ref(request.path_params.get("ticket", ""))
    if number is None:
        raise ApiError(404, "not_found", "Not found.")
    return number


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def build_api_routes(database_url: str | None = None) -> list[Route]:
    """The routes; the database defaults to the settings' (the tests point it elsewhere)."""

    def in_transaction(work: Callable[[Any], Any]) -> Awaitable[Any]:
        def run() -> Any:
            with write_session(database_url) as session:
                return work(session)

        return run_in_threadpool(run)

    def api(handler: Handler | None = None, changes: bool = False, read: Read | None = None):
        """JSON in, JSON out; every refusal as {"error": {...}} with its status. A `read` (GET)
        runs whole in one worker thread and one read transaction with the authentication."""

        async def endpoint(request: Request) -> Response:
            try:
                if changes:
                    _refuse_other_sites(request)
                caller, answer = await run_in_threadpool(_identify, request, database_url, read)
                if answer is not None:
                    return answer
                assert handler is not None
                return await handler(request, caller)
            except ApiError as error:
                return error_response(error)
            except ServiceError as error:
                return error_response(from_service(error))
            except Exception:
                log.exception("API request failed: %s %s", request.method, request.url.path)
                return error_response(ApiError(500, "internal", UNEXPECTED))

        return endpoint

    def form_route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """The help page's routes: JSON for a script that asks for it, else a browser's answers
        (303 to the ticket; the sign-in page when signed out; the message as text on refusal)."""
        as_json = api(handler, changes=True)

        async def endpoint(request: Request) -> Response:
            response = await as_json(request)
            if _wants_json(request):
                return response
            subdomain = request.path_params["subdomain"].lower()
            ticket_page = urls.ticket(subdomain, request.path_params["ticket"])
            if response.status_code < 300:
                return RedirectResponse(ticket_page, status_code=303, headers={"Cache-Control": "no-store"})
            error = json.loads(bytes(response.body))["error"]
            if response.status_code == 401:
                return RedirectResponse(urls.login(subdomain, ticket_page), 303, headers={"Cache-Control": "no-store"})
            headers = {key: value for key, value in response.headers.items() if key.lower() == "retry-after"}
            return PlainTextResponse(error["message"], response.status_code, headers={**_PRIVATE, **headers})

        return endpoint

    # --- tickets

    def list_tickets(request: Request, session: Session, caller: Caller) -> Response:
        filters, after, limit = list_filter(request)
        page = tickets.list_tickets(session, caller.user, filters, after, limit)
        subdomain = caller.user.subdomain
        next_url = None
        if page.next_cursor:
            following = request.url.include_query_params(after=page.next_cursor)
            next_url = f"{following.path}?{following.query}"
        payload = {"tickets": [_row(subdomain, row) for row in page.rows], "next_cursor": page.next_cursor}
        return json_response({**payload, "next_url": next_url})

    def get_ticket(request: Request, session: Session, caller: Caller) -> Response:
        view = tickets.get_ticket(session, caller.user, _number(request))
        return json_response(_view(caller.user.subdomain, view))

    async def create_ticket(request: Request, caller: Caller) -> Response:
        if caller.user.role != Role.CUSTOMER:
            raise Forbidden(tickets.ONLY_CUSTOMERS_OPEN)

        def early_checks(fields: dict[str, str], final: bool) -> None:
            _check_csrf_when_known(caller, request, fields, final)
            if not final and not {"subject", "department_id", "body"} <= fields.keys():
                return  # the rest comes after the files
            errors = tickets.new_ticket_errors(
                fields.get("subject", ""),
                fields.get("department_id", ""),
                fields.get("priority", ""),
                fields.get("body", ""),
            )
            if errors:
                by_field = {API_FIELDS.get(name, name): message for name, message in errors.items()}
                name, message = next(iter(by_field.items()))
                raise ApiError(422, "invalid", message, name, fields=by_field)

        fields, staged = await read_message(request, early_checks)
        try:
            created = await in_transaction(
                lambda session: tickets.create_ticket(
                    session,
                    caller.user,
                    fields.get("subject", ""),
                    fields.get("department_id", ""),
                    fields.get("priority", ""),
                    fields.get("body", ""),
                    attachments=staged,
                )
            )
        finally:
            attachments.discard(staged)
        location = urls.api_ticket(caller.user.subdomain, created.ref)
        return json_response(_changed(caller.user.subdomain, created), 201, {"Location": location})

    async def post_reply(request: Request, caller: Caller) -> Response:
        number = _number(request)

        def early_checks(fields: dict[str, str], final: bool) -> None:
            _check_csrf_when_known(caller, request, fields, final)
            if "body" in fields:
                tickets.check_message(fields["body"])

        fields, staged = await read_message(request, early_checks)
        try:
            replied = await in_transaction(
                lambda session: tickets.post_reply(
                    session, caller.user, number, fields.get("body", ""), attachments=staged
                )
            )
        finally:
            attachments.discard(staged)
        return json_response(_changed(caller.user.subdomain, replied), 201)

    async def close_ticket(request: Request, caller: Caller) -> Response:
        number = _number(request)
        fields = await read_fields(request)
        _check_csrf(caller, request.headers.get(csrf.HEADER) or fields.get(csrf.FIELD))
        closed = await in_transaction(lambda session: tickets.close_ticket(session, caller.user, number))
        return json_response(_changed(caller.user.subdomain, closed))

    async def assign(request: Request, caller: Caller) -> Response:
        number = _number(request)
        fields = await read_fields(request)
        _check_csrf(caller, request.headers.get(csrf.HEADER) or fields.get(csrf.FIELD))
        department_id = fields.get("department_id") or None
        assignee_id = fields.get("assignee_id") or None
        changed = await in_transaction(
            lambda session: assignment.assign_ticket(session, caller.user, number, department_id, assignee_id)
        )
        return json_response(_changed(caller.user.subdomain, changed))

    async def take(request: Request, caller: Caller) -> Response:
        number = _number(request)
        fields = await read_fields(request)
        _check_csrf(caller, request.headers.get(csrf.HEADER) or fields.get(csrf.FIELD))
        changed = await in_transaction(lambda session: assignment.take_ticket(session, caller.user, number))
        return json_response(_changed(caller.user.subdomain, changed))

    # --- who am I, tokens

    def me(request: Request, session: Session, caller: Caller) -> Response:
        user = caller.user
        payload = {
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "workspace": {"subdomain": user.subdomain, "name": user.workspace_name},
            "authenticated_by": "session" if caller.token_id is None else "token",
            "csrf_token": csrf.token_for(caller.session_hash) if caller.token_id is None else None,
        }
        return json_response(payload)

    def list_tokens(request: Request, session: Session, caller: Caller) -> Response:
        scope = request.query_params.get("scope", "own")
        if scope not in ("own", "workspace"):
            raise ApiError(422, "invalid", "scope must be own or workspace.", "scope")
        if scope == "workspace" and not caller.user.is_admin:
            raise ApiError(403, "forbidden", "Only admins see every token of the workspace.", "scope")
        lister = api_tokens.list_workspace_tokens if scope == "workspace" else api_tokens.list_own_tokens
        records = lister(session, caller.user)
        return json_response({"tokens": [_token(record) for record in records]})

    async def create_token(request: Request, caller: Caller) -> Response:
        if caller.token_id is not None:
            raise ApiError(403, "forbidden", TOKENS_NEED_A_SESSION)
        fields = await read_fields(request)
        _check_csrf(caller, request.headers.get(csrf.HEADER) or fields.get(csrf.FIELD))
        created = await in_transaction(
            lambda session: api_tokens.create_token(session, caller.user, fields.get("name", ""))
        )
        return json_response({**_token(created.record), "token": created.token}, 201)

    async def revoke_token(request: Request, caller: Caller) -> Response:
        token_id = request.path_params["token_id"]
        _check_csrf(caller, request.headers.get(csrf.HEADER))
        await in_transaction(lambda session: api_tokens.revoke_token(session, caller.user, token_id))
        return Response(status_code=204, headers=_PRIVATE)

    async def openapi(request: Request) -> Response:
        return json_response(openapi_document(), headers={"Cache-Control": "public, max-age=300"})

    return [
        Route(urls.REPLY_PATH, form_route(post_reply), methods=["POST"]),
        Route(urls.CLOSE_PATH, form_route(close_ticket), methods=["POST"]),
        Route(urls.API_OPENAPI_PATH, openapi, methods=["GET"]),
        Route(urls.API_ME_PATH, api(read=me), methods=["GET"]),
        Route(urls.API_TICKETS_PATH, api(read=list_tickets), methods=["GET"]),
        Route(urls.API_TICKETS_PATH, api(create_ticket, changes=True), methods=["POST"]),
        Route(urls.API_TICKET_PATH, api(read=get_ticket), methods=["GET"]),
        Route(urls.API_REPLIES_PATH, api(post_reply, changes=True), methods=["POST"]),
        Route(urls.API_CLOSE_PATH, api(close_ticket, changes=True), methods=["POST"]),
        Route(urls.API_ASSIGN_PATH, api(assign, changes=True), methods=["POST"]),
        Route(urls.API_TAKE_PATH, api(take, changes=True), methods=["POST"]),
        Route(urls.API_TOKENS_PATH, api(read=list_tokens), methods=["GET"]),
        Route(urls.API_TOKENS_PATH, api(create_token, changes=True), methods=["POST"]),
        Route(urls.API_TOKEN_PATH, api(revoke_token, changes=True), methods=["DELETE"]),
    ]


def build_http_app(database_url: str | None = None, storage_root: Path | None = None) -> Starlette:
    """Every plain HTTP route: routes.py's sign-in, sign-out and download, and these."""
    return Starlette(routes=[*build_api(database_url, storage_root).routes, *build_api_routes(database_url)])
