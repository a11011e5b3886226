"""A page's read started by its document request (state/prefetch.py): the load shows it only to
the same session on the same address, once, and never after a change it did not see."""

from __future__ import annotations

import asyncio

import pytest

from tests.security.conftest import open_session_of
from tests.security.driver import Browser, Tab
from xobito_web.db import write_session
from xobito_web.services import auth, live, tickets
from xobito_web.services.auth import SESSION_COOKIE
from xobito_web.state import prefetch, ticket_list, ticket_view
from xobito_web.state.live import hub
from xobito_web.state.prefetch import document_requested, prefetches
from xobito_web.state.ticket_list import TicketListState
from xobito_web.state.ticket_view import TicketViewState


@pytest.fixture
def reads(monkeypatch):
    """Every database read of the list and the thread pages, by the session that asked."""
    made: list[tuple[str, str]] = []
    list_read, thread_read = ticket_list.read_list_page, ticket_view.tickets.get_ticket

    def counted_list(user, *args, **kwargs):
        made.append(("list", user.email))
        return list_read(user, *args, **kwargs)

    def counted_thread(session, user, number):
        made.append(("thread", user.email))
        return thread_read(session, user, number)

    monkeypatch.setattr(ticket_list, "read_list_page", counted_list)
    monkeypatch.setattr(ticket_view.tickets, "get_ticket", counted_thread)
    unsubscribe = live.get_bus().subscribe(hub._hear)  # as the app's lifespan does (LiveHub.run)
    yield made
    unsubscribe()
    prefetches._reads.clear()


def cookie(value: str) -> str:
    return f"{SESSION_COOKIE}={value}"


def subjects(screen) -> list[str]:
    return [row.subject for row in screen.rows]


def test_the_list_read_its_document_started_is_what_the_load_shows_and_nothing_is_read_twice(
    app_database, reads, victim
):
    world = app_database
    carol = open_session_of(world, world.customer)

    async def scenario():
        async with Browser() as browser:
            document_requested("/acme/tickets", "status=all", cookie(carol))
            await asyncio.sleep(0.2)  # the browser fetches the page's code meanwhile
            tab = Tab("/acme/tickets?status=all", carol)
            await browser.open(tab, TicketListState)
            return browser.crashes, await browser.state(tab, TicketListState)

    crashes, screen = asyncio.run(scenario())
    assert crashes == []
    assert reads == [("list", world.customer.email)]  # the document's read, taken by the load
    assert len(prefetches) == 0  # taken once
    with write_session(world.url) as session:
        expected = tickets.list_tickets(session, world.customer, tickets.TicketFilter(statuses=())).rows
    assert subjects(screen) == [row.subject for row in expected] and subjects(screen)


def test_another_session_or_another_address_never_gets_a_read_made_for_someone_else(app_database, reads, victim):
    world = app_database
    carol, dave, admin = (
        open_session_of(world, person) for person in (world.customer, world.other_customer, world.admin)
    )

    async def scenario():
        async with Browser() as browser:
            document_requested("/acme/tickets", "", cookie(carol))  # Carol's list, with her ticket
            document_requested(f"/acme/tickets/{victim.ref}", "", cookie(carol))  # and her thread
            await asyncio.sleep(0.2)
            daves_list = Tab("/acme/tickets", dave)
            daves_thread = Tab(f"/acme/tickets/{victim.ref}", dave)
            admins_filtered_list = Tab("/acme/tickets?priority=high", admin)
            await browser.open(daves_list, TicketListState)
            await browser.open(daves_thread, TicketViewState)
            await browser.open(admins_filtered_list, TicketListState)
            return (
                browser.crashes,
                await browser.state(daves_list, TicketListState),
                await browser.state(daves_thread, TicketViewState),
            )

    crashes, daves_list, daves_thread = asyncio.run(scenario())
    assert crashes == []
    assert "My invoice" not in subjects(daves_list)
    assert daves_thread.found is False and daves_thread.messages == []
    # Each tab read for itself; Carol's two reads wait for her own loads (or their 10 s).
    assert sorted(reads) == sorted(
        [
            ("list", world.customer.email),
            ("thread", world.customer.email),
            ("list", world.other_customer.email),
            ("thread", world.other_customer.email),
            ("list", world.admin.email),
        ]
    )
    assert len(prefetches) == 2


def test_a_change_in_the_workspace_after_the_document_makes_the_load_read_again(app_database, reads, victim):
    world = app_database
    carol = open_session_of(world, world.customer)

    async def scenario():
        async with Browser() as browser:
            document_requested(f"/acme/tickets/{victim.ref}", "", cookie(carol))
            await asyncio.sleep(0.2)
            with write_session(world.url) as session:  # a reply lands before the page's load
                tickets.post_reply(session, world.support_staff, victim.number, "Fixed, a new invoice is on its way.")
            tab = Tab(f"/acme/tickets/{victim.ref}", carol)
            await browser.open(tab, TicketViewState)
            return browser.crashes, await browser.state(tab, TicketViewState)

    crashes, thread = asyncio.run(scenario())
    assert crashes == []
    assert reads == [("thread", world.customer.email)] * 2  # the document's read was dropped
    assert any("a new invoice" in "".join(piece.text for piece in m.pieces) for m in thread.messages)


def test_sessions_ended_after_the_document_are_not_shown_a_page(app_database, reads):
    world = app_database
    carol = open_session_of(world, world.customer)

    async def scenario():
        async with Browser() as browser:
            document_requested("/acme/tickets", "", cookie(carol))
            await asyncio.sleep(0.2)
            with write_session(world.url) as session:  # "sign out everywhere", between the two
                auth.end_sessions(session, world.customer.user_id)
            tab = Tab("/acme/tickets", carol)
            await browser.open(tab, TicketListState)
            return browser.crashes, await browser.state(tab, TicketListState)

    crashes, screen = asyncio.run(scenario())
    assert crashes == []
    assert screen.signed_in is False and screen.rows == []


def test_a_read_is_kept_ten_seconds_at_most_and_a_flood_of_documents_is_bounded(app_database, reads, monkeypatch):
    world = app_database
    carol = open_session_of(world, world.customer)
    clock = [1000.0]
    monkeypatch.setattr(prefetch, "_now", lambda: clock[0])

    async def scenario():
        async with Browser() as browser:
            document_requested("/acme/tickets", "", cookie(carol))
            await asyncio.sleep(0.2)
            clock[0] += prefetch.LIFETIME + 1
            tab = Tab("/acme/tickets", carol)
            await browser.open(tab, TicketListState)
            for index in range(prefetch.MAX_KEPT + 50):
                document_requested("/acme/tickets", f"q=word{index}", cookie("not-a-session"))
            await asyncio.sleep(0.5)
            return browser.crashes, await browser.state(tab, TicketListState)

    crashes, screen = asyncio.run(scenario())
    assert crashes == []
    assert reads == [("list", world.customer.email)] * 2  # the stale read was not used
    assert screen.signed_in is True
    assert len(prefetches) == prefetch.MAX_KEPT


def test_a_read_that_failed_is_dropped_and_the_load_reads_again(app_database, reads, monkeypatch):
    world = app_database
    carol = open_session_of(world, world.customer)
    counted_list = ticket_list.read_list_page
    failures = [RuntimeError("the database went away")]

    def failing_once(user, *args, **kwargs):
        if failures:
            reads.append(("failed", user.email))
            raise failures.pop()
        return counted_list(user, *args, **kwargs)

    monkeypatch.setattr(ticket_list, "read_list_page", failing_once)

    async def scenario():
        async with Browser() as browser:
            document_requested("/acme/tickets", "", cookie(carol))
            await asyncio.sleep(0.2)
            tab = Tab("/acme/tickets", carol)
            await browser.open(tab, TicketListState)
            return browser.crashes, await browser.state(tab, TicketListState)

    crashes, screen = asyncio.run(scenario())
    assert crashes == []
    assert reads == [("failed", world.customer.email), ("list", world.customer.email)]
    assert screen.signed_in is True and screen.loaded is True


def test_only_page_documents_of_signed_in_browsers_start_a_read(app_database, reads):
    async def scenario():
        document_requested("/acme/tickets", "", "")  # signed out
        document_requested("/acme/tickets/new", "", cookie("abc"))  # the new-ticket form
        document_requested("/acme/profile", "", cookie("abc"))
        document_requested("/acme/tickets", "q=" + "x" * 5000, cookie("abc"))  # a link the socket refuses
        await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert len(prefetches) == 0 and reads == []
