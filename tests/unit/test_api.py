"""The help page's reply/close routes and the JSON API (issue 16), over HTTP with Starlette's
TestClient: who may see and change what, every bad input the screens refuse, CSRF and other
sites, request limits, and that a change queues the same emails and live update as the screens'.
Every API answer is checked against the OpenAPI description (tests/unit/api_client.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import update
from sqlmodel import col, select
from starlette.routing import Route

from tests.conftest import PASSWORD
from tests.unit import samples
from tests.unit.api_client import CheckedClient
from xobito_web import config, csrf, request_limits, urls
from xobito_web.api import build_http_app
from xobito_web.db import read_session, write_session
from xobito_web.models import ApiToken, Attachment, OutboxEmail, Reply, Ticket, User
from xobito_web.services import api_tokens, attachments, auth, live, tickets
from xobito_web.services.auth import SESSION_COOKIE, CurrentUser

pytestmark = pytest.mark.usefixtures("storage", "api_settings")

OWN_SITE = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
JSON_ACCEPT = {"Accept": "application/json"}


@pytest.fixture
def api_settings(monkeypatch):
    """A known CSRF key, and fresh request counters for every test."""
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, secret_key="test-secret"))
    monkeypatch.setattr(request_limits, "_counter", request_limits.LocalCounter())


def set_limits(monkeypatch, **values) -> None:
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, **values))


def token_of(world, user: CurrentUser, name: str = "script") -> str:
    with write_session(world.url) as session:
        return api_tokens.create_token(session, user, name).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_user(world, user: CurrentUser) -> tuple[CheckedClient, dict[str, str]]:
    return CheckedClient(world.url), bearer(token_of(world, user))


def signed_in_browser(world, user: CurrentUser) -> tuple[CheckedClient, str]:
    """A browser with the user's session cookie, and that session's CSRF token."""
    client = CheckedClient(world.url)
    token, _user = auth.sign_in(user.subdomain, user.email, PASSWORD, database_url=world.url)
    client.cookies.set(SESSION_COOKIE, token)
    return client, csrf.token_for(auth.hash_token(token))


def open_ticket(world, customer: CurrentUser | None = None, department: str = "Support", subject="Printer on fire"):
    customer = customer or world.customer
    departments = (
        world.departments if customer.workspace_id == world.customer.workspace_id else world.foreign_departments
    )
    with write_session(world.url) as session:
        return tickets.create_ticket(
            session, customer, subject, departments[department], "high", "The printer smokes a lot."
        )


def replies_of(world, ref: str) -> list[Reply]:
    number = int(ref.split("-")[1])
    with read_session(world.url) as session:
        return list(
            session.exec(
                select(Reply)
                .join(Ticket, col(Ticket.id) == col(Reply.ticket_id))
                .where(Ticket.number == number, Ticket.workspace_id == world.customer.workspace_id)
            ).all()
        )


def ticket_id_of(world, ref: str) -> int:
    with read_session(world.url) as session:
        return session.exec(
            select(Ticket.id).where(
                Ticket.number == int(ref.split("-")[1]), Ticket.workspace_id == world.customer.workspace_id
            )
        ).one()


def outbox(world) -> list[OutboxEmail]:
    with read_session(world.url) as session:
        return list(session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all())


def status_of(world, ref: str, workspace_id: int | None = None) -> str:
    number = int(ref.split("-")[1])
    with read_session(world.url) as session:
        return session.exec(
            select(Ticket.status).where(
                Ticket.number == number, Ticket.workspace_id == (workspace_id or world.customer.workspace_id)
            )
        ).one()


def error_of(response) -> dict:
    return response.json()["error"]


def api(path: str, subdomain: str = "acme") -> str:
    return f"/{subdomain}/api/v1{path}"


# --- The description ------------------------------------------------------------------------


def test_the_openapi_description_is_served_and_names_exactly_the_routes_there_are(world):
    client = CheckedClient(world.url)
    document = client.get(api("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    described = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    api_routes = {
        (route.path, method)
        for route in build_http_app(database_url=world.url).routes
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
        if "/api/" in route.path or route.path in (urls.REPLY_PATH, urls.CLOSE_PATH)
    }
    assert described == api_routes
    assert (urls.REPLY_PATH, "POST") in described and (urls.CLOSE_PATH, "POST") in described


def test_every_schema_of_the_description_is_valid_json_schema(world):
    document = CheckedClient(world.url).get(api("/openapi.json")).json()
    assert len(document["components"]["schemas"]) >= 10
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises on an invalid schema


# --- Who may see what ---------------------------------------------------------------------


def test_a_customer_lists_only_their_own_tickets(world):
    mine = open_ticket(world, world.customer, subject="My printer")
    open_ticket(world, world.other_customer, subject="Their printer")
    open_ticket(world, world.foreign_customer, subject="Foreign printer")
    client, headers = as_user(world, world.customer)
    response = client.get(api("/tickets"), headers=headers)
    assert response.status_code == 200
    assert [row["ref"] for row in response.json()["tickets"]] == [mine.ref]
    assert response.json()["tickets"][0]["subject"] == "My printer"
    assert response.json()["tickets"][0]["assignee_name"] == ""
    assert response.json()["next_cursor"] is None
    assert client.checked == 1


@pytest.mark.parametrize(
    ("who", "sees"),
    [("customer", True), ("admin", True), ("support_staff", True), ("other_customer", False), ("sales_staff", False)],
)
def test_one_ticket_with_its_thread_for_those_who_may_see_it_only(world, who, sees):
    created = open_ticket(world)
    with write_session(world.url) as session:
        tickets.post_reply(session, world.admin, created.number, "We are on it, hold on.")
    client, headers = as_user(world, getattr(world, who))
    response = client.get(api(f"/tickets/{created.ref}"), headers=headers)
    if sees:
        assert response.status_code == 200
        ticket = response.json()
        assert ticket["ref"] == created.ref and ticket["status"] == "answered"
        assert [m["body"] for m in ticket["messages"]] == ["The printer smokes a lot.", "We are on it, hold on."]
        assert ticket["messages"][1]["author_role"] == "admin" and ticket["can_reply"] is True
    else:
        assert response.status_code == 404
        assert error_of(response) == {"code": "not_found", "message": "Not found.", "field": ""}
        assert "printer" not in response.text.lower()


def test_another_workspace_sees_nothing_of_this_one(any_world):
    world = any_world
    acme_ticket = open_ticket(world, subject="Acme secret")
    foreign_ticket = open_ticket(world, world.foreign_customer, subject="Their own")
    assert acme_ticket.ref == foreign_ticket.ref == "TKT-000001"
    client, headers = as_user(world, world.foreign_admin)
    # Their token is not a credential in acme at all.
    refused = client.get(api("/tickets/TKT-000001"), headers=headers)
    assert refused.status_code == 401 and "Acme secret" not in refused.text
    assert client.get(api("/tickets"), headers=headers).status_code == 401
    # In their own workspace the same ID is their own ticket.
    own = client.get(api("/tickets/TKT-000001", "other"), headers=headers)
    assert own.status_code == 200 and own.json()["subject"] == "Their own"
    listed = client.get(api("/tickets", "other"), headers=headers).json()["tickets"]
    assert [row["subject"] for row in listed] == ["Their own"]


def test_signed_out_and_unknown_workspace(world):
    open_ticket(world)
    client = CheckedClient(world.url)
    response = client.get(api("/tickets"))
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get(api("/tickets/TKT-000001")).status_code == 401
    missing = client.get(api("/tickets", "nope"), headers=bearer(token_of(world, world.customer)))
    assert missing.status_code == 404 and error_of(missing)["message"] == "There is no such workspace."


@pytest.mark.parametrize("how", ["revoked", "deactivated", "garbage", "not bearer", "cookie"])
def test_a_token_that_no_longer_counts_is_refused(any_world, how):
    world = any_world
    created = open_ticket(world)
    token = token_of(world, world.customer)
    client = CheckedClient(world.url)
    headers = bearer(token)
    if how == "revoked":
        with write_session(world.url) as session:
            token_id = session.exec(select(ApiToken.id).where(ApiToken.user_id == world.customer.user_id)).one()
            api_tokens.revoke_token(session, world.customer, token_id)
    elif how == "deactivated":
        with write_session(world.url) as session:
            session.exec(update(User).where(User.id == world.customer.user_id).values(active=False))
    elif how == "garbage":
        headers = bearer(token[:-3] + "abc")
    elif how == "not bearer":
        headers = {"Authorization": f"Basic {token}"}
    elif how == "cookie":  # tokens never come from cookies
        headers = {}
        client.cookies.set(SESSION_COOKIE, token)
    response = client.get(api(f"/tickets/{created.ref}"), headers=headers)
    assert response.status_code == 401
    reply = client.post(api(f"/tickets/{created.ref}/replies"), json={"body": "Still there?"}, headers=headers)
    assert reply.status_code == 401 and replies_of(world, created.ref) == []


def test_a_token_carries_its_owners_current_role_and_records_its_last_use(world):
    created = open_ticket(world)  # Support
    client, headers = as_user(world, world.sales_staff)
    assert client.get(api(f"/tickets/{created.ref}"), headers=headers).status_code == 404
    with write_session(world.url) as session:
        session.exec(update(Ticket).values(assignee_id=world.sales_staff.user_id))
    assert client.get(api(f"/tickets/{created.ref}"), headers=headers).status_code == 200
    with read_session(world.url) as session:
        used = session.exec(select(ApiToken.last_used_at).where(ApiToken.user_id == world.sales_staff.user_id)).one()
    assert used is not None


# --- The list's filters, search and cursor ----------------------------------------------


def test_list_filters_search_and_keyset_paging(world, no_flood_limits):
    refs = [open_ticket(world, subject=f"Printer number {i}").ref for i in range(1, 6)]
    with write_session(world.url) as session:
        tickets.close_ticket(session, world.customer, 1)
    client, headers = as_user(world, world.admin)

    def listed(**query) -> list[str]:
        response = client.get(api("/tickets"), params=query, headers=headers)
        assert response.status_code == 200, response.text
        return [row["ref"] for row in response.json()["tickets"]]

    assert listed() == refs[1:][::-1]  # open + answered by default, newest activity first
    assert listed(status="closed") == [refs[0]]
    assert set(listed(status="all")) == set(refs)
    assert listed(status="open,closed", q="number 1") == [refs[0]]
    assert listed(q="TKT-000003") == [refs[2]]
    assert listed(priority="low") == []
    assert listed(department_id=str(world.departments["Sales"])) == []
    assert listed(mine="true") == []

    first = client.get(api("/tickets"), params={"status": "all", "limit": 2}, headers=headers).json()
    assert len(first["tickets"]) == 2 and first["next_cursor"]
    assert first["next_url"].startswith("/acme/api/v1/tickets?") and "limit=2" in first["next_url"]
    seen = [row["ref"] for row in first["tickets"]]
    page = first
    while page["next_cursor"]:
        page = client.get(page["next_url"], headers=headers).json()
        seen += [row["ref"] for row in page["tickets"]]
    assert sorted(seen) == sorted(refs) and len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("query", "status", "field", "message"),
    [
        ({"after": "not-a-cursor"}, 400, "after", "This page link is not valid. Start again from the first page."),
        ({"after": "2026-01-01T00:00:00|1"}, 400, "after", None),  # no time zone: not one of ours
        ({"status": "pending"}, 422, "status", None),
        ({"priority": "asap"}, 422, "priority", None),
        ({"department_id": "sales"}, 422, "department_id", None),
        ({"limit": "0"}, 422, "limit", None),
        ({"limit": "101"}, 422, "limit", None),
        ({"q": "x" * 201}, 422, "q", "The search must be at most 200 characters."),
        ({"mine": "perhaps"}, 422, "mine", None),
    ],
)
def test_bad_list_queries_are_refused_with_the_field(world, query, status, field, message):
    client, headers = as_user(world, world.admin)
    response = client.get(api("/tickets"), params=query, headers=headers)
    assert response.status_code == status
    assert error_of(response)["field"] == field
    if message:
        assert error_of(response)["message"] == message


# --- Replying -----------------------------------------------------------------------------


def test_an_admin_replies_with_files_and_the_same_email_and_live_update_follow(any_world):
    world = any_world
    by_api = open_ticket(world, subject="Through the API")
    by_screen = open_ticket(world, subject="Through the screen")
    heard: list[live.Change] = []
    unsubscribe = live.get_bus().subscribe(heard.append)
    try:
        client, headers = as_user(world, world.admin)
        before = len(outbox(world))
        response = client.post(
            api(f"/tickets/{by_api.ref}/replies"),
            data={"body": "Please find the manual attached."},
            files=[("files", ("manual.pdf", samples.pdf("Manual"), "application/pdf"))],
            headers=headers,
        )
    finally:
        unsubscribe()
    assert response.status_code == 201, response.text
    change = response.json()
    assert change["status"] == "answered" and change["message"]["body"] == "Please find the manual attached."
    [file] = change["message"]["attachments"]
    assert file["name"] == "manual.pdf" and file["download_url"].startswith(f"/acme/tickets/{by_api.ref}/download")
    assert status_of(world, by_api.ref) == "answered"
    assert [reply.body for reply in replies_of(world, by_api.ref)] == ["Please find the manual attached."]
    assert [(c.kind, c.number, c.actor_user_id) for c in heard] == [("replied", by_api.number, world.admin.user_id)]

    # The screens call tickets.post_reply with the same arguments: the emails are the same.
    staged = [attachments.stage_bytes("manual.pdf", samples.pdf("Manual"))]
    with write_session(world.url) as session:
        tickets.post_reply(
            session, world.admin, by_screen.number, "Please find the manual attached.", attachments=staged
        )
    emails = outbox(world)[before:]
    api_emails = [e for e in emails if e.ticket_id == ticket_id_of(world, by_api.ref)]
    screen_emails = [e for e in emails if e.ticket_id == ticket_id_of(world, by_screen.ref)]

    def comparable(email: OutboxEmail, ref: str, subject: str) -> tuple:
        return (email.recipient, email.event, email.subject.replace(ref, "REF").replace(subject, "SUBJECT"))

    assert api_emails and [comparable(e, by_api.ref, "Through the API") for e in api_emails] == [
        comparable(e, by_screen.ref, "Through the screen") for e in screen_emails
    ]
    assert {e.recipient for e in api_emails} == {world.customer.email}

    # The file is the customer's to download.
    customer, _csrf = signed_in_browser(world, world.customer)
    download = customer.get(file["download_url"])
    assert download.status_code == 200 and download.content == samples.pdf("Manual")


def test_a_customer_reply_keeps_the_status_and_reaches_the_team(world):
    created = open_ticket(world)
    client, headers = as_user(world, world.customer)
    response = client.post(api(f"/tickets/{created.ref}/replies"), json={"body": "Any news on this?"}, headers=headers)
    assert response.status_code == 201 and response.json()["status"] == "open"
    recipients = {e.recipient for e in outbox(world) if e.event == "reply_posted"}
    assert world.admin.email in recipients and world.customer.email not in recipients


BAD_REPLIES = [
    ({"body": "abcd"}, [], 422, "body", "The message must be at least 5 characters."),
    ({"body": "x" * 2001}, [], 422, "body", "The message must be at most 2000 characters."),
    ({"body": "   "}, [], 422, "body", "The message is required."),
    (
        {"body": "Eleven files"},
        [("files", (f"f{i}.txt", b"hello", "text/plain")) for i in range(11)],
        422,
        "files",
        "Attach at most 10 files to one message.",
    ),
    (
        {"body": "Too big a file"},
        [("files", ("big.txt", b"a" * (attachments.MAX_FILE_SIZE + 1), "text/plain"))],
        413,
        "files",
        '"big.txt" is larger than 10 MB.',
    ),
    (
        {"body": "Wrong type"},
        [("files", ("setup.exe", samples.exe(), "application/octet-stream"))],
        415,
        "files",
        '"setup.exe" is not an allowed file type. Allowed: jpg, jpeg, png, gif, pdf, doc, docx, txt, zip.',
    ),
    (
        {"body": "A disguised file"},
        [("files", ("invoice.pdf", samples.exe(), "application/pdf"))],
        415,
        "files",
        '"invoice.pdf" is not a PDF file.',
    ),
    ({"body": "Empty file"}, [("files", ("empty.txt", b"", "text/plain"))], 422, "files", '"empty.txt" is empty.'),
]


@pytest.mark.parametrize(("fields", "files", "status", "field", "message"), BAD_REPLIES)
def test_a_bad_reply_is_refused_with_the_screens_message_and_nothing_is_kept(
    world, storage: Path, fields, files, status, field, message
):
    created = open_ticket(world)
    client, headers = as_user(world, world.customer)
    before = len(outbox(world))
    response = client.post(api(f"/tickets/{created.ref}/replies"), data=fields, files=files or None, headers=headers)
    assert response.status_code == status
    assert error_of(response) == {"code": error_of(response)["code"], "message": message, "field": field}
    assert replies_of(world, created.ref) == [] and len(outbox(world)) == before
    assert not any((storage / "tmp").glob("*"))  # no staged file left behind
    with read_session(world.url) as session:
        assert session.exec(select(Attachment)).all() == []


def test_a_closed_ticket_takes_no_reply_and_cannot_be_closed_twice(world):
    created = open_ticket(world)
    client, headers = as_user(world, world.customer)
    closed = client.post(api(f"/tickets/{created.ref}/close"), headers=headers)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = client.post(api(f"/tickets/{created.ref}/close"), headers=headers)
    assert again.status_code == 409 and error_of(again)["message"] == "This ticket is already closed."
    reply = client.post(api(f"/tickets/{created.ref}/replies"), json={"body": "One more thing"}, headers=headers)
    assert reply.status_code == 409
    assert error_of(reply)["message"] == "This ticket is closed. Open a new ticket instead."
    assert [e.recipient for e in outbox(world) if e.event == "status_changed"] != []


@pytest.mark.parametrize("who", ["other_customer", "sales_staff", "foreign_admin"])
def test_people_who_may_not_see_a_ticket_cannot_reply_to_or_close_it(world, who):
    created = open_ticket(world)
    client, headers = as_user(world, getattr(world, who))
    reply = client.post(api(f"/tickets/{created.ref}/replies"), json={"body": "Let me in"}, headers=headers)
    close = client.post(api(f"/tickets/{created.ref}/close"), headers=headers)
    assert reply.status_code in (401, 404) and close.status_code in (401, 404)
    assert replies_of(world, created.ref) == [] and status_of(world, created.ref) == "open"


def test_bodies_that_are_not_a_message_are_refused(world):
    created = open_ticket(world)
    client, headers = as_user(world, world.customer)
    path = api(f"/tickets/{created.ref}/replies")
    not_json = client.post(path, content=b"{nope", headers={**headers, "Content-Type": "application/json"})
    assert not_json.status_code == 400 and error_of(not_json)["code"] == "bad_request"
    a_list = client.post(path, json=["Hello there"], headers=headers)
    assert a_list.status_code == 400
    xml = client.post(path, content=b"<body>Hello there</body>", headers={**headers, "Content-Type": "text/xml"})
    assert xml.status_code == 415 and error_of(xml)["code"] == "unsupported_media_type"
    not_text = client.post(path, json={"body": ["Hello there"]}, headers=headers)
    assert not_text.status_code == 422 and error_of(not_text)["field"] == "body"
    assert replies_of(world, created.ref) == []


def _asgi_post(app, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """POST through the ASGI app directly; (status, how many body chunks the app read)."""
    sent: list[dict] = []
    read = 0

    async def receive() -> dict:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), read


def test_an_oversized_body_is_refused_before_it_is_read_and_a_big_file_at_its_limit(world):
    created = open_ticket(world)
    token = token_of(world, world.customer)
    app = build_http_app(database_url=world.url)
    path = api(f"/tickets/{created.ref}/replies")
    auth_header = (b"authorization", f"Bearer {token}".encode())
    declared_huge = [
        auth_header,
        (b"content-type", b"multipart/form-data; boundary=xyz"),
        (b"content-length", str(500 * 1024 * 1024).encode()),
    ]
    assert _asgi_post(app, path, declared_huge, [b"x" * 1024] * 10) == (413, 0)

    # No declared length: the file is streamed and refused at 10 MB + 1 byte, not at the end.
    megabyte = 1024 * 1024
    head = (
        b'--xyz\r\nContent-Disposition: form-data; name="body"\r\n\r\nA big one\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
    )
    chunks = [head] + [b"a" * megabyte] * 40 + [b"\r\n--xyz--\r\n"]
    streamed = [auth_header, (b"content-type", b"multipart/form-data; boundary=xyz")]
    status, read = _asgi_post(app, path, streamed, chunks)
    assert status == 413 and read <= 12
    assert replies_of(world, created.ref) == []


def test_a_multipart_body_split_anywhere_is_read_whole(world):
    """Chunk borders fall inside headers, boundaries and files: two files of one name stay two."""
    created = open_ticket(world)
    token = token_of(world, world.customer)
    pdf = samples.pdf("Split")
    body = b"".join(
        [
            b'--b0undary\r\nContent-Disposition: form-data; name="body"\r\n\r\nTwo files, one name.\r\n',
            b'--b0undary\r\nContent-Disposition: form-data; name="files"; filename="scan.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n" + pdf + b"\r\n",
            b'--b0undary\r\nContent-Disposition: form-data; name="files"; filename="scan.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n" + pdf + b"\r\n",
            b"--b0undary--\r\n",
        ]
    )
    chunks = [body[index : index + 7] for index in range(0, len(body), 7)]
    headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"multipart/form-data; boundary=b0undary"),
        (b"content-length", str(len(body)).encode()),
    ]
    status, read = _asgi_post(
        build_http_app(database_url=world.url), api(f"/tickets/{created.ref}/replies"), headers, chunks
    )
    assert status == 201 and read == len(chunks)
    [reply] = replies_of(world, created.ref)
    assert reply.body == "Two files, one name."
    with read_session(world.url) as session:
        stored = session.exec(
            select(Attachment.original_name, Attachment.size).where(Attachment.reply_id == reply.id)
        ).all()
    assert [tuple(row) for row in stored] == [("scan.pdf", len(pdf)), ("scan.pdf", len(pdf))]


# --- The help page's form routes, CSRF and other sites ---------------------------------


def test_a_browser_form_post_replies_and_is_sent_back_to_the_ticket(world):
    created = open_ticket(world)
    browser, csrf_token = signed_in_browser(world, world.customer)
    response = browser.post(
        f"/acme/tickets/{created.ref}/reply",
        data={"csrf_token": csrf_token, "body": "Sent from a plain form."},
        files=[("files", ("", b"", "application/octet-stream"))],  # a file input left empty
        headers=OWN_SITE,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/acme/tickets/{created.ref}"
    assert [reply.body for reply in replies_of(world, created.ref)] == ["Sent from a plain form."]
    # A form posted as multipart/form-data (a field without a file name) closes too.
    closed = browser.post(
        f"/acme/tickets/{created.ref}/close", files={"csrf_token": (None, csrf_token)}, headers=OWN_SITE
    )
    assert closed.request.headers["content-type"].startswith("multipart/form-data")
    assert closed.status_code == 303 and closed.headers["location"] == f"/acme/tickets/{created.ref}"
    assert status_of(world, created.ref) == "closed"


def test_the_form_routes_answer_json_to_a_script_that_asks(world):
    created = open_ticket(world)
    client, headers = as_user(world, world.customer)
    reply = client.post(
        f"/acme/tickets/{created.ref}/reply", data={"body": "From a script."}, headers={**headers, **JSON_ACCEPT}
    )
    assert reply.status_code == 201 and reply.json()["message"]["body"] == "From a script."
    bad = client.post(f"/acme/tickets/{created.ref}/reply", data={"body": "abc"}, headers={**headers, **JSON_ACCEPT})
    assert bad.status_code == 422 and error_of(bad)["message"] == "The message must be at least 5 characters."
    close = client.post(f"/acme/tickets/{created.ref}/close", headers={**headers, **JSON_ACCEPT})
    assert close.status_code == 200 and close.json()["status"] == "closed"
    assert client.checked == 3


def test_a_refused_browser_form_post_shows_the_message_and_a_signed_out_one_goes_to_sign_in(world):
    created = open_ticket(world)
    browser, csrf_token = signed_in_browser(world, world.customer)
    short = browser.post(
        f"/acme/tickets/{created.ref}/reply", data={"csrf_token": csrf_token, "body": "abc"}, headers=OWN_SITE
    )
    assert short.status_code == 422 and short.text == "The message must be at least 5 characters."
    signed_out = CheckedClient(world.url).post(f"/acme/tickets/{created.ref}/reply", data={"body": "Hello there"})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == urls.login("acme", f"/acme/tickets/{created.ref}")


@pytest.mark.parametrize(
    "foreign",
    [
        {"Origin": "https://evil.example.com"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.testserver"},
    ],
)
def test_another_site_cannot_reply_or_close_with_the_visitors_cookie(world, foreign):
    created = open_ticket(world)
    browser, csrf_token = signed_in_browser(world, world.customer)
    form = {"csrf_token": csrf_token, "body": "Posted by another site."}
    reply = browser.post(f"/acme/tickets/{created.ref}/reply", data=form, headers=foreign)
    close = browser.post(f"/acme/tickets/{created.ref}/close", data={"csrf_token": csrf_token}, headers=foreign)
    api_reply = browser.post(
        api(f"/tickets/{created.ref}/replies"),
        json=form,
        headers={**foreign, **JSON_ACCEPT, "X-CSRF-Token": csrf_token},
    )
    assert reply.status_code == close.status_code == api_reply.status_code == 403
    assert reply.text == "This request came from another site and was refused."
    assert error_of(api_reply)["code"] == "refused"
    # Reading with the cookie from another site is not signed in either.
    assert browser.get(api(f"/tickets/{created.ref}"), headers=foreign).status_code == 401
    assert replies_of(world, created.ref) == [] and status_of(world, created.ref) == "open"


@pytest.mark.parametrize("presented", [None, "", "0" * 64, "another session's"])
def test_a_cookie_form_post_needs_its_sessions_csrf_token(world, presented):
    created = open_ticket(world)
    browser, _csrf_token = signed_in_browser(world, world.customer)
    if presented == "another session's":
        _other, presented = signed_in_browser(world, world.customer)
    data = {"body": "Is this really me?"} | ({"csrf_token": presented} if presented is not None else {})
    reply = browser.post(f"/acme/tickets/{created.ref}/reply", data=data, headers=OWN_SITE)
    assert reply.status_code == 403
    assert reply.text == "This form has expired or did not come from this site. Reload the page and send it again."
    close = browser.post(api(f"/tickets/{created.ref}/close"), headers={**OWN_SITE, **JSON_ACCEPT})
    assert close.status_code == 403 and error_of(close)["field"] == "csrf_token"
    assert replies_of(world, created.ref) == [] and status_of(world, created.ref) == "open"


def test_the_session_gives_its_csrf_token_to_its_own_pages_and_json_changes_use_it(world):
    created = open_ticket(world)
    browser, csrf_token = signed_in_browser(world, world.customer)
    me = browser.get(api("/me"), headers=OWN_SITE)
    assert me.status_code == 200 and me.json()["csrf_token"] == csrf_token
    assert me.json()["authenticated_by"] == "session" and me.json()["role"] == "customer"
    reply = browser.post(
        api(f"/tickets/{created.ref}/replies"),
        json={"body": "From my own page."},
        headers={**OWN_SITE, "X-CSRF-Token": csrf_token},
    )
    assert reply.status_code == 201
    client, headers = as_user(world, world.customer)
    assert client.get(api("/me"), headers=headers).json()["csrf_token"] is None


# --- Creating tickets and assigning -----------------------------------------------------


def test_a_customer_opens_a_ticket_with_files(world):
    client, headers = as_user(world, world.customer)
    before = len(outbox(world))
    response = client.post(
        api("/tickets"),
        data={
            "subject": "Screen flickers",
            "department_id": str(world.departments["Support"]),
            "priority": "urgent",
            "body": "Since this morning the screen flickers.",
        },
        files=[
            ("files", ("screen.png", samples.png(2, 2), "image/png")),
            ("files", ("notes.txt", samples.text(), "text/plain")),
        ],
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/acme/api/v1/tickets/TKT-000001"
    assert [f["name"] for f in response.json()["message"]["attachments"]] == ["screen.png", "notes.txt"]
    ticket = client.get(response.headers["location"], headers=headers).json()
    assert ticket["subject"] == "Screen flickers" and ticket["priority"] == "urgent" and ticket["status"] == "open"
    created_emails = {e.recipient for e in outbox(world)[before:] if e.event == "ticket_created"}
    assert world.admin.email in created_emails and world.support_staff.email in created_emails


def test_a_bad_new_ticket_names_every_field_at_fault(world):
    client, headers = as_user(world, world.customer)
    response = client.post(api("/tickets"), json={"subject": "ab", "body": "abcd", "priority": "asap"}, headers=headers)
    assert response.status_code == 422
    error = error_of(response)
    assert error["fields"] == {
        "subject": "The subject must be at least 3 characters.",
        "department_id": "The department is required.",
        "priority": "The priority must be Low, Medium, High or Urgent.",
        "body": "The message must be at least 5 characters.",
    }
    assert (error["field"], error["message"]) == ("subject", "The subject must be at least 3 characters.")
    foreign_department = client.post(
        api("/tickets"),
        json={"subject": "Hello", "department_id": world.foreign_departments["Sales"], "body": "Hello there"},
        headers=headers,
    )
    assert foreign_department.status_code == 422 and error_of(foreign_department)["field"] == "department_id"
    with read_session(world.url) as session:
        assert session.exec(select(Ticket)).all() == []


def test_the_team_cannot_open_tickets(world):
    client, headers = as_user(world, world.admin)
    body = {"subject": "Hello", "department_id": world.departments["Sales"], "body": "Hello there"}
    response = client.post(api("/tickets"), json=body, headers=headers)
    assert response.status_code == 403 and error_of(response)["message"] == "Only customers open tickets."


def test_admins_assign_and_staff_take_and_nobody_else(world):
    created = open_ticket(world)
    admin, admin_headers = as_user(world, world.admin)
    body = {"department_id": world.departments["Sales"], "assignee_id": world.sales_staff.user_id}
    response = admin.post(api(f"/tickets/{created.ref}/assign"), json=body, headers=admin_headers)
    assert response.status_code == 200
    assert (response.json()["department"], response.json()["assignee_name"]) == ("Sales", "Sales Staff")
    assert world.sales_staff.email in {e.recipient for e in outbox(world) if e.event == "ticket_assigned"}

    wrong = admin.post(
        api(f"/tickets/{created.ref}/assign"), json={"assignee_id": world.support_staff.user_id}, headers=admin_headers
    )
    assert wrong.status_code == 422 and error_of(wrong) == {
        "code": "invalid",
        "message": "Choose a team member of the ticket's department.",
        "field": "assignee_id",
    }
    staff, staff_headers = as_user(world, world.sales_staff)
    refused = staff.post(api(f"/tickets/{created.ref}/assign"), json=body, headers=staff_headers)
    assert refused.status_code == 403 and error_of(refused)["message"] == "Only admins assign tickets."
    taken = staff.post(api(f"/tickets/{created.ref}/take"), headers=staff_headers)
    assert taken.status_code == 200 and taken.json()["assignee_name"] == "Sales Staff"
    customer, customer_headers = as_user(world, world.customer)
    assert customer.post(api(f"/tickets/{created.ref}/take"), headers=customer_headers).status_code == 403
    other, other_headers = as_user(world, world.support_staff)  # the ticket moved out of Support
    assert other.post(api(f"/tickets/{created.ref}/take"), headers=other_headers).status_code == 404


# --- Tokens -------------------------------------------------------------------------------


def test_tokens_are_created_with_a_session_shown_once_and_stored_hashed(world):
    browser, csrf_token = signed_in_browser(world, world.customer)
    created = browser.post(
        api("/tokens"), json={"name": "Nightly report"}, headers={**OWN_SITE, "X-CSRF-Token": csrf_token}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("xob_") and created.json()["prefix"] == token[:12]
    listed = browser.get(api("/tokens"), headers=OWN_SITE).json()["tokens"]
    assert [(t["name"], t["prefix"]) for t in listed] == [("Nightly report", token[:12])]
    assert token not in json.dumps(listed)
    with read_session(world.url) as session:
        row = session.exec(select(ApiToken)).one()
    assert row.token_hash == api_tokens.hash_token(token) and token not in (row.token_hash, row.prefix)
    # It works as the customer, and cannot make more tokens.
    client = CheckedClient(world.url)
    assert client.get(api("/me"), headers=bearer(token)).json()["email"] == world.customer.email
    refused = client.post(api("/tokens"), json={"name": "Another"}, headers=bearer(token))
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "The token name is required."), ("x" * 81, "The token name must be at most 80 characters.")],
)
def test_a_token_needs_a_sensible_name(world, name, message):
    browser, csrf_token = signed_in_browser(world, world.customer)
    response = browser.post(api("/tokens"), json={"name": name}, headers={**OWN_SITE, "X-CSRF-Token": csrf_token})
    assert response.status_code == 422 and error_of(response) == {
        "code": "invalid",
        "message": message,
        "field": "name",
    }


def test_owners_revoke_their_tokens_and_admins_every_token_of_the_workspace(world):
    customer_token = token_of(world, world.customer, "Customer script")
    other_token = token_of(world, world.other_customer, "Other script")
    token_of(world, world.foreign_admin, "Foreign script")
    with read_session(world.url) as session:
        ids = {row.name: row.id for row in session.exec(select(ApiToken)).all()}

    client = CheckedClient(world.url)
    # Another customer's token is unknown to a customer, and they cannot see the workspace's.
    assert client.delete(api(f"/tokens/{ids['Other script']}"), headers=bearer(customer_token)).status_code == 404
    assert client.get(api("/tokens?scope=workspace"), headers=bearer(customer_token)).status_code == 403

    admin, admin_headers = as_user(world, world.admin)
    everything = admin.get(api("/tokens?scope=workspace"), headers=admin_headers).json()["tokens"]
    assert {t["name"] for t in everything} == {"Customer script", "Other script", "script"}
    foreign = admin.delete(api(f"/tokens/{ids['Foreign script']}"), headers=admin_headers)
    assert foreign.status_code == 404
    assert admin.delete(api(f"/tokens/{ids['Other script']}"), headers=admin_headers).status_code == 204
    assert client.get(api("/tickets"), headers=bearer(other_token)).status_code == 401
    again = admin.delete(api(f"/tokens/{ids['Other script']}"), headers=admin_headers)
    assert again.status_code == 409

    assert client.delete(api(f"/tokens/{ids['Customer script']}"), headers=bearer(customer_token)).status_code == 204
    assert client.get(api("/tickets"), headers=bearer(customer_token)).status_code == 401


# --- Limits -------------------------------------------------------------------------------


def test_requests_per_token_are_limited_with_retry_after(world, monkeypatch):
    set_limits(monkeypatch, api_requests_per_minute=3, api_address_requests_per_minute=0)
    client, headers = as_user(world, world.customer)
    answers = [client.get(api("/tickets"), headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # A wait of the whole minute (the window's first request a moment ago) reads "1 minute".
    assert re.fullmatch(r"Too many requests\. Try again in (\d+ seconds?|1 minute)\.", error_of(refused)["message"])
    # Another token of another person is counted apart.
    other, other_headers = as_user(world, world.other_customer)
    assert other.get(api("/tickets"), headers=other_headers).status_code == 200


def test_requests_per_address_are_limited_whoever_asks(world, monkeypatch):
    set_limits(monkeypatch, api_requests_per_minute=0, api_address_requests_per_minute=3)
    client = CheckedClient(world.url)
    headers = [bearer(token_of(world, user)) for user in (world.customer, world.other_customer, world.admin)]
    answers = [client.get(api("/tickets"), headers=h).status_code for h in headers]
    guess = client.get(api("/tickets"), headers=bearer("xob_" + "a" * 43))
    assert answers == [200, 200, 200] and guess.status_code == 429 and "retry-after" in guess.headers


def test_the_services_reply_cap_applies_through_the_api(world, flood_limits):
    flood_limits(customer_replies_per_hour=1)
    created = open_ticket(world)
    client, headers = as_user(world, world.customer)
    first = client.post(api(f"/tickets/{created.ref}/replies"), json={"body": "First reply here"}, headers=headers)
    second = client.post(api(f"/tickets/{created.ref}/replies"), json={"body": "Second reply here"}, headers=headers)
    assert first.status_code == 201 and second.status_code == 429
    assert error_of(second)["message"].startswith("You have posted 1 reply in the last hour")
    assert int(second.headers["retry-after"]) > 0
    assert [r.body for r in replies_of(world, created.ref)] == ["First reply here"]
