"""The plain HTTP routes under attack: another site reading a file with the user's cookie, a
sign-in over a signed-in browser, uploads without the right session, a crafted search link."""

from __future__ import annotations

import asyncio

import pytest
import reflex as rx
from sqlmodel import select
from starlette.testclient import TestClient

from tests.conftest import PASSWORD
from tests.security.conftest import open_session_of
from tests.security.driver import Browser, Tab
from tests.unit import samples
from xobito_web import session_guard
from xobito_web.db import read_session, write_session
from xobito_web.models import UserSession
from xobito_web.routes import build_api
from xobito_web.services import attachments, auth, tickets
from xobito_web.services.auth import SESSION_COOKIE
from xobito_web.state.ticket_list import TicketListState

OWN_SIGN_IN = {"Accept": "application/json", "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def invoice_of(world) -> str:
    staged = [attachments.stage_bytes("invoice.pdf", samples.pdf("Invoice 42"))]
    with write_session(world.url) as session:
        created = tickets.create_ticket(
            session,
            world.customer,
            "Invoice",
            world.departments["Support"],
            "high",
            "See the file.",
            attachments=staged,
        )
    assert created.message is not None
    return f"/acme/tickets/{created.ref}/download?file={created.message.attachments[0].id}"


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://testserver.evil.example", "null", "http://localhost:3000.evil.example"],
)
def test_another_site_cannot_read_a_file_even_without_fetch_metadata(world, storage, origin):
    """An older browser sends Origin on a cross-origin fetch but no Sec-Fetch-* headers."""
    link = invoice_of(world)
    client = TestClient(build_api(database_url=world.url), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, open_session_of(world, world.customer))

    assert client.get(link, headers={"Origin": origin}).status_code == 404
    assert client.get(link, headers={"Origin": origin, "Sec-Fetch-Site": "cross-site"}).status_code == 404
    assert client.get(link).status_code == 200  # a link, a navigation, a preview: no Origin
    assert client.get(link, headers={"Origin": "http://testserver"}).status_code == 200


def live_hashes(world) -> set[str]:
    with read_session(world.url) as session:
        return set(session.exec(select(UserSession.token_hash)).all())


def test_signing_in_again_ends_the_session_this_browser_had(world):
    client = TestClient(build_api(database_url=world.url), follow_redirects=False)
    first = client.post("/acme/login", data={"email": world.customer.email, "password": PASSWORD}, headers=OWN_SIGN_IN)
    assert first.status_code == 200
    old = client.cookies[SESSION_COOKIE]
    second = client.post("/acme/login", data={"email": world.admin.email, "password": PASSWORD}, headers=OWN_SIGN_IN)
    assert second.status_code == 200
    new = client.cookies[SESSION_COOKIE]
    assert new != old
    assert auth.hash_token(new) in live_hashes(world)
    assert auth.hash_token(old) not in live_hashes(world)  # a copied old cookie no longer works


def headers(**found: str) -> list[tuple[bytes, bytes]]:
    return [(name.replace("_", "-").encode(), value.encode()) for name, value in found.items()]


def test_uploads_need_a_size_a_session_and_the_tab_of_that_session(world, app_database):
    cookie = open_session_of(world, world.customer)
    session_guard.bindings().bind("tab-of-carol", auth.hash_token(cookie))
    too_big = str(session_guard.MAX_UPLOAD_BYTES + 1)

    def refused(request_headers: list[tuple[bytes, bytes]]) -> tuple[int, str]:
        refusal = session_guard.upload_refusal(request_headers)
        assert refusal is not None, "the upload was let through"
        return refusal

    assert refused(headers(content_length=too_big))[0] == 413  # no session either: not read at all
    assert refused(headers(cookie="x=1"))[0] == 411
    assert refused(headers(content_length="100", reflex_client_token="tab-of-carol"))[0] == 403  # the token alone
    other = open_session_of(world, world.other_customer)
    assert (
        refused(headers(content_length="100", reflex_client_token="tab-of-carol", cookie=f"{SESSION_COOKIE}={other}"))[
            0
        ]
        == 403
    )
    own = f"{SESSION_COOKIE}={cookie}"
    assert (
        session_guard.upload_refusal(headers(content_length="100", reflex_client_token="tab-of-carol", cookie=own))
        is None
    )


def test_a_100_kb_search_word_shows_a_page_not_an_error(app_database):
    """Typed in the search box: searched as its first 200 characters. In a link: the link is
    refused as a whole (it is not kept in the tab's state) and the 404 page says so."""
    world = app_database

    async def scenario():
        async with Browser() as browser:
            typed = Tab("/acme/tickets", open_session_of(world, world.customer))
            await browser.open(typed, TicketListState)
            await browser.send(typed, TicketListState, "submit_search", form_data={"q": "_%" * 50_000})
            linked = Tab("/acme/tickets?q=" + "%25" * 100_000, open_session_of(world, world.customer))
            await browser.open(linked, TicketListState)
            return browser.crashes, await browser.state(typed, TicketListState), await browser.state(linked, rx.State)

    crashes, typed, linked = asyncio.run(scenario())
    assert crashes == []
    assert typed.signed_in is True and len(typed.search) <= tickets.MAX_SEARCH_LENGTH
    assert linked.router.url.path == "/404" and len(linked._serialize()) < 64 * 1024
