"""GET /{subdomain}/tickets/{ticket}/download?file={id}: the exact bytes to members of the thread,
404 to everyone else, the sign-in page for a signed-out browser; and the headers that make the
browser save (not run or sniff) the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import update
from sqlmodel import col
from starlette.testclient import TestClient

from tests.conftest import PASSWORD
from tests.unit import samples
from xobito_web.db import write_session
from xobito_web.models import Ticket, UserSession, utcnow
from xobito_web.routes import build_api, download_url
from xobito_web.services import attachments, auth, tickets
from xobito_web.services.auth import SESSION_COOKIE

BODY = "The printer on the second floor smokes."
PDF = samples.pdf("Invoice 2026-001")
PNG = samples.png(3, 2)


pytestmark = pytest.mark.usefixtures("storage")


@dataclass
class Thread:
    number: int
    ref: str
    pdf_id: int  # invoice.pdf on the original message
    png_id: int  # screen.png on the original message
    reply_txt_id: int  # notes.txt on the admin's reply
    other_ticket_ref: str  # another customer's ticket of the same workspace
    other_ticket_file_id: int
    foreign_ref: str  # a ticket of the workspace "other"
    foreign_file_id: int


def _create(world, user, department_id, files, subject="Printer is on fire"):
    staged = [attachments.stage_bytes(name, data) for name, data in files]
    with write_session(world.url) as session:
        return tickets.create_ticket(session, user, subject, department_id, "high", BODY, attachments=staged)


def make_thread(world) -> Thread:
    created = _create(world, world.customer, world.departments["Support"], [("invoice.pdf", PDF), ("screen.png", PNG)])
    with write_session(world.url) as session:
        replied = tickets.post_reply(
            session,
            world.admin,
            created.number,
            "See my notes.",
            attachments=[attachments.stage_bytes("notes.txt", samples.text())],
        )
    assert replied.message is not None
    other = _create(world, world.other_customer, world.departments["Support"], [("theirs.pdf", samples.pdf("Theirs"))])
    foreign = _create(
        world, world.foreign_customer, world.foreign_departments["Support"], [("foreign.pdf", samples.pdf("Foreign"))]
    )
    return Thread(
        number=created.number,
        ref=created.ref,
        pdf_id=created.message.attachments[0].id,
        png_id=created.message.attachments[1].id,
        reply_txt_id=replied.message.attachments[0].id,
        other_ticket_ref=other.ref,
        other_ticket_file_id=other.message.attachments[0].id,
        foreign_ref=foreign.ref,
        foreign_file_id=foreign.message.attachments[0].id,
    )


def client(world, user=None) -> TestClient:
    """A browser: signed in as `user` (a real session token in the cookie), or signed out."""
    api = TestClient(build_api(database_url=world.url), follow_redirects=False)
    if user is not None:
        token, _user = auth.sign_in(user.subdomain, user.email, PASSWORD, database_url=world.url)
        api.cookies.set(SESSION_COOKIE, token)
    return api


def url(ref, file_id, subdomain="acme", **extra) -> str:
    query = "".join(f"&{key}={value}" for key, value in extra.items())
    return f"/{subdomain}/tickets/{ref}/download?file={file_id}{query}"


# --- members of the thread get the exact bytes -------------------------------------------------


@pytest.mark.parametrize("who", ["customer", "admin", "support_staff"])
def test_members_of_the_thread_download_the_exact_bytes(any_world, who):
    thread = make_thread(any_world)
    browser = client(any_world, getattr(any_world, who))

    response = browser.get(url(thread.ref, thread.pdf_id))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.headers["content-disposition"] == "attachment; filename=\"invoice.pdf\"; filename*=UTF-8''invoice.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-length"] == str(len(PDF))

    text = browser.get(url(thread.ref, thread.reply_txt_id))
    assert text.status_code == 200 and text.content == samples.text()
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["content-disposition"].startswith('attachment; filename="notes.txt"')


def test_staff_assigned_to_a_ticket_of_another_department_downloads_it(world):
    thread = make_thread(world)
    browser = client(world, world.sales_staff)
    assert browser.get(url(thread.ref, thread.pdf_id)).status_code == 404
    with write_session(world.url) as session:
        session.exec(
            update(Ticket)
            .where(col(Ticket.number) == thread.number, col(Ticket.workspace_id) == world.customer.workspace_id)
            .values(assignee_id=world.sales_staff.user_id)
        )
    response = browser.get(url(thread.ref, thread.pdf_id))
    assert response.status_code == 200 and response.content == PDF


# --- everyone else gets 404 -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_customer", "sales_staff"])
def test_people_outside_the_thread_get_404(any_world, who):
    thread = make_thread(any_world)
    response = client(any_world, getattr(any_world, who)).get(url(thread.ref, thread.pdf_id))
    assert response.status_code == 404
    assert PDF not in response.content and response.text == "Not found."
    assert "content-disposition" not in response.headers


def test_an_admin_of_another_workspace_gets_404_with_any_ticket_of_theirs(any_world):
    thread = make_thread(any_world)
    browser = client(any_world, any_world.foreign_admin)
    # Through their own workspace: their ticket TKT-000001 exists, the attachment is not its.
    assert thread.foreign_ref == thread.ref == "TKT-000001"
    response = browser.get(url(thread.ref, thread.pdf_id, subdomain="other"))
    assert response.status_code == 404 and PDF not in response.content
    # Their own file is theirs, which proves the session works.
    own = browser.get(url(thread.foreign_ref, thread.foreign_file_id, subdomain="other"))
    assert own.status_code == 200 and own.content == samples.pdf("Foreign")
    # Through the other workspace's address they are not signed in at all.
    response = browser.get(url(thread.ref, thread.pdf_id))
    assert response.status_code == 303 and response.headers["location"].startswith("/acme/login?next=")


def test_an_attachment_of_another_ticket_is_404_even_for_an_admin(world):
    thread = make_thread(world)
    browser = client(world, world.admin)
    assert browser.get(url(thread.other_ticket_ref, thread.other_ticket_file_id)).status_code == 200
    response = browser.get(url(thread.ref, thread.other_ticket_file_id))  # right id, wrong ticket
    assert response.status_code == 404 and samples.pdf("Theirs") not in response.content
    assert browser.get(url(thread.other_ticket_ref, thread.pdf_id)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/acme/tickets/TKT-000001/download",
        "/acme/tickets/TKT-000001/download?file=",
        "/acme/tickets/TKT-000001/download?file=abc",
        "/acme/tickets/TKT-000001/download?file=0",
        "/acme/tickets/TKT-000001/download?file=-1",
        "/acme/tickets/TKT-000001/download?file=99999999999",
        "/acme/tickets/TKT-000001/download?file=424242",
        "/acme/tickets/TKT-999999/download?file=1",
        "/acme/tickets/nope/download?file=1",
        "/acme/tickets/TKT-99999999999/download?file=1",
    ],
)
def test_bad_ids_are_404(world, path):
    make_thread(world)
    response = client(world, world.admin).get(path)
    assert response.status_code == 404 and response.text == "Not found."


def test_an_unknown_workspace_is_404_signed_in_or_not(world):
    thread = make_thread(world)
    assert client(world).get(url(thread.ref, thread.pdf_id, subdomain="nowhere")).status_code == 404
    assert client(world, world.admin).get(url(thread.ref, thread.pdf_id, subdomain="nowhere")).status_code == 404


def test_a_file_missing_from_disk_is_404(world, storage):
    thread = make_thread(world)
    for path in (storage / "tickets").rglob("*.pdf"):
        path.unlink()
    assert client(world, world.customer).get(url(thread.ref, thread.pdf_id)).status_code == 404


def test_a_script_on_another_site_cannot_read_a_file(world):
    thread = make_thread(world)
    browser = client(world, world.customer)
    cross = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}
    assert browser.get(url(thread.ref, thread.pdf_id), headers=cross).status_code == 404
    for fine in (
        {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"},  # a link in an email
        {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "same-origin"},  # an <img> preview
        {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"},
    ):
        assert browser.get(url(thread.ref, thread.pdf_id), headers=fine).content == PDF


# --- signed out: to the sign-in page, and back ------------------------------------------------


@pytest.mark.parametrize("cookie", [None, "not-a-session-token", ""])
def test_a_signed_out_browser_is_sent_to_sign_in_with_the_way_back(world, cookie):
    thread = make_thread(world)
    browser = client(world)
    if cookie is not None:
        browser.cookies.set(SESSION_COOKIE, cookie)
    path = url(thread.ref, thread.pdf_id, inline=1)
    response = browser.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/acme/login?next={quote(path, safe='')}"
    assert response.headers["location"] == (
        f"/acme/login?next=%2Facme%2Ftickets%2FTKT-000001%2Fdownload%3Ffile%3D{thread.pdf_id}%26inline%3D1"
    )
    assert PDF not in response.content


def test_a_signed_out_session_no_longer_downloads(world):
    thread = make_thread(world)
    token, _user = auth.sign_in("acme", world.customer.email, PASSWORD, database_url=world.url)
    browser = client(world)
    browser.cookies.set(SESSION_COOKIE, token)
    assert browser.get(url(thread.ref, thread.pdf_id)).status_code == 200
    with write_session(world.url) as session:
        auth.sign_out(session, token)
    assert browser.get(url(thread.ref, thread.pdf_id)).status_code == 303


def test_an_expired_session_no_longer_downloads(world):
    thread = make_thread(world)
    token, _user = auth.sign_in("acme", world.customer.email, PASSWORD, database_url=world.url)
    browser = client(world)
    browser.cookies.set(SESSION_COOKIE, token)
    assert browser.get(url(thread.ref, thread.pdf_id)).status_code == 200
    with write_session(world.url) as session:
        session.exec(
            update(UserSession)
            .where(col(UserSession.token_hash) == auth.hash_token(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = browser.get(url(thread.ref, thread.pdf_id))
    assert (response.status_code, response.headers["location"].split("?")[0]) == (303, "/acme/login")


# --- previews and names ---------------------------------------------------------------------


def test_images_can_be_shown_inline_other_types_never(world):
    thread = make_thread(world)
    browser = client(world, world.customer)
    preview = browser.get(url(thread.ref, thread.png_id, inline=1))
    assert preview.status_code == 200 and preview.content == PNG
    assert preview.headers["content-type"] == "image/png"
    assert preview.headers["content-disposition"] == "inline; filename=\"screen.png\"; filename*=UTF-8''screen.png"
    assert preview.headers["x-content-type-options"] == "nosniff"
    saved = browser.get(url(thread.ref, thread.png_id))
    assert saved.headers["content-disposition"].startswith("attachment;")
    pdf = browser.get(url(thread.ref, thread.pdf_id, inline=1))
    assert pdf.status_code == 200 and pdf.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("résumé 2026.pdf", "attachment; filename=\"resume 2026.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf"),
        (
            'say "hi"; x=1.pdf',
            "attachment; filename=\"say _hi__ x_1.pdf\"; filename*=UTF-8''say%20%22hi%22%3B%20x%3D1.pdf",
        ),
        ("отчёт.pdf", "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf"),
    ],
)
def test_the_file_name_is_sent_safely(world, name, disposition):
    created = _create(world, world.customer, world.departments["Support"], [(name, PDF)])
    response = client(world, world.customer).get(url(created.ref, created.message.attachments[0].id))
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-disposition"] == disposition


def test_download_url_matches_the_route(world):
    thread = make_thread(world)
    browser = client(world, world.customer)
    assert download_url("acme", thread.ref, thread.png_id) == url(thread.ref, thread.png_id)
    assert (
        browser.get(download_url("acme", thread.ref, thread.png_id, inline=True))
        .headers["content-disposition"]
        .startswith("inline;")
    )


def test_the_route_reads_the_cookie_the_sign_in_route_sets(world):
    thread = make_thread(world)
    browser = client(world)
    signed_in = browser.post(
        "/acme/login",
        data={"email": world.customer.email, "password": PASSWORD},
        headers={"Accept": "application/json", "Origin": "http://testserver"},
    )
    assert signed_in.status_code == 200
    assert browser.get(url(thread.ref, thread.pdf_id)).content == PDF
