"""Live refreshes of open screens: shared reads, and only what changed is sent to the browser.

The screens are real Reflex states, in process: a tab's root state with its router data (the
page's path and route arguments) and its connection's headers, where the session cookie is
already hashed as session_guard leaves it, as the server holds it for a connected browser tab.
"""

from __future__ import annotations

import asyncio
import json

from tests.conftest import PASSWORD
from tests.unit.screens import change_of, cookie_of, event_fn, load, open_tab, refresh, run, sent, var
from tests.unit.test_tickets import close, open_ticket, reply
from xobito_web.db import write_session
from xobito_web.services import auth, live, tickets, unread, workspaces
from xobito_web.services.errors import NotFound
from xobito_web.state import live as live_screens
from xobito_web.state.live import LiveBatch, hub
from xobito_web.state.reply import ReplyState
from xobito_web.state.ticket_list import TicketListState
from xobito_web.state.ticket_view import TicketViewState

# --- LiveBatch -----------------------------------------------------------------------------


def test_a_batch_reads_once_per_key_however_many_screens_ask():
    calls: list[str] = []

    def read(key):
        def do():
            calls.append(key)
            return f"value of {key}"

        return do

    async def scenario():
        batch = LiveBatch(live.Change(1, 7, "replied", 1, 2))
        return await asyncio.gather(*(batch.read(key, read(key)) for key in ["a", "a", "b", "a", "b"]))

    assert run(scenario()) == ["value of a", "value of a", "value of b", "value of a", "value of b"]
    assert sorted(calls) == ["a", "b"]


def test_a_failed_read_fails_for_every_screen_that_shares_it():
    calls = []

    def missing():
        calls.append(1)
        raise NotFound()

    async def scenario():
        batch = LiveBatch(live.Change(1, 7, "replied", 1, 2))
        return await asyncio.gather(batch.read("t", missing), batch.read("t", missing), return_exceptions=True)

    results = run(scenario())
    assert [type(result) for result in results] == [NotFound, NotFound] and calls == [1]


# --- Ticket view ---------------------------------------------------------------------------


def test_a_live_reply_sends_only_the_new_message_not_the_thread_again(app_database):
    world = app_database
    created = open_ticket(world)
    for index in range(5):
        reply(world, world.admin if index % 2 else world.customer, created.number, f"Earlier message {index}")
    customer_tab = open_tab(
        TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "carol@customer.example.com")
    )
    load(customer_tab)
    first = sent(customer_tab)
    assert len(first[var("messages")]) == 6 and first.get(var("later_messages"), []) == []

    reply(world, world.admin, created.number, "We have sent a technician.")
    run(refresh(customer_tab, change_of(world, "replied", created.number, world.admin)))
    delta = sent(customer_tab)

    assert var("messages") not in delta  # the six messages already shown are not sent again
    assert [m["body"] for m in delta[var("later_messages")]] == ["We have sent a technician."]
    assert delta[var("live_notice")] == "New reply from Admin."
    assert delta[var("waiting")] == "Waiting on customer"
    assert var("subject") not in delta  # unchanged header fields are not resent either

    reply(world, world.admin, created.number, "The technician is on the way.")
    run(refresh(customer_tab, change_of(world, "replied", created.number, world.admin)))
    assert [m["body"] for m in sent(customer_tab)[var("later_messages")]] == [
        "We have sent a technician.",
        "The technician is on the way.",
    ]
    load(customer_tab)  # navigating to the ticket again shows the whole thread at once
    again = sent(customer_tab)
    assert len(again[var("messages")]) == 8 and again[var("later_messages")] == []


def test_own_reply_appends_the_message_and_keeps_the_thread(app_database):
    world = app_database
    created = open_ticket(world)
    admin_tab = open_tab(TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "admin@acme.example.com"))
    load(admin_tab)
    sent(admin_tab)
    # The sender's own tab shows the reply as everyone's does: from the live bus, after the commit.
    reply(world, world.admin, created.number, "Looking into it now.")
    run(refresh(admin_tab, change_of(world, "replied", created.number, world.admin)))
    delta = sent(admin_tab)
    assert var("messages") not in delta
    assert [m["author_name"] for m in delta[var("later_messages")]] == ["Admin"]
    assert var("live_notice") not in delta  # nobody is told of their own reply


def test_a_reload_shows_the_thread_from_its_hydrate_and_the_load_sends_it_again_only_if_it_changed(app_database):
    world = app_database
    created = open_ticket(world)
    reply(world, world.admin, created.number, "Looking into it now.")
    tab = open_tab(TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "carol@customer.example.com"))
    load(tab)
    assert len(sent(tab)[var("messages")]) == 2

    # A reload: the hydrate sent the tab's whole state (the thread too), then the page's load runs.
    load(tab)
    assert var("messages") not in sent(tab)  # the browser does not render the thread a second time

    reply(world, world.admin, created.number, "The technician is on the way.")  # missed while away
    load(tab)
    assert [m["body"] for m in sent(tab)[var("messages")]][-1] == "The technician is on the way."


def test_tabs_of_one_user_share_one_read_and_others_read_with_their_own_visibility(app_database, monkeypatch):
    world = app_database
    created = open_ticket(world, department="Support")
    admin_cookie = cookie_of(world, "admin@acme.example.com")
    admin_tabs = [
        open_tab(TicketViewState, f"/acme/tickets/{created.ref}", admin_cookie, f"admin-{i}") for i in range(4)
    ]
    sales_tab = open_tab(
        TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "sam@acme.example.com"), "sales"
    )
    support_tab = open_tab(
        TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "sue@acme.example.com"), "sup"
    )
    for tab in [*admin_tabs, sales_tab, support_tab]:
        load(tab)
        sent(tab)
    assert sales_tab.found is False  # Sales staff may not see a Support ticket

    reply(world, world.customer, created.number, "Any news?")
    reads: list[int] = []
    real_get_ticket = tickets.get_ticket

    def counted_get_ticket(s, u, n):
        reads.append(u.user_id)
        return real_get_ticket(s, u, n)

    monkeypatch.setattr(tickets, "get_ticket", counted_get_ticket)
    change = change_of(world, "replied", created.number, world.customer)
    batch = LiveBatch(change)

    async def everyone():
        await asyncio.gather(*(refresh(tab, change, batch) for tab in [*admin_tabs, support_tab, sales_tab]))

    run(everyone())
    assert sorted(reads) == sorted([world.admin.user_id, world.support_staff.user_id, world.sales_staff.user_id])
    for tab in [*admin_tabs, support_tab]:
        assert [m.body for m in tab.later_messages] == ["Any news?"]
    assert sales_tab.found is False and sales_tab.later_messages == []


def test_admins_share_one_read_of_the_thread_and_each_person_is_marked_seen_once(app_database, monkeypatch):
    world = app_database
    created = open_ticket(world, department="Support")
    with write_session(world.url) as session:
        workspace = workspaces.get_workspace(session, "acme")
        workspaces.create_user(session, workspace, "ada@acme.example.com", "Ada Admin", "admin", PASSWORD)
    path = f"/acme/tickets/{created.ref}"
    first, second = cookie_of(world, "admin@acme.example.com"), cookie_of(world, "ada@acme.example.com")
    admin_tabs = [
        open_tab(TicketViewState, path, cookie, f"{cookie[:6]}-{i}") for cookie in (first, second) for i in range(3)
    ]
    for tab in admin_tabs:
        load(tab)
        sent(tab)

    reply(world, world.customer, created.number, "Any news?")
    reads: list[int] = []
    markings: list[int] = []
    real_get_ticket, real_needs_marking = tickets.get_ticket, unread.needs_marking

    def counted_get_ticket(s, u, n):
        reads.append(u.user_id)
        return real_get_ticket(s, u, n)

    def counted_needs_marking(s, u, n):
        markings.append(u.user_id)
        return real_needs_marking(s, u, n)

    monkeypatch.setattr(tickets, "get_ticket", counted_get_ticket)
    monkeypatch.setattr(unread, "needs_marking", counted_needs_marking)
    change = change_of(world, "replied", created.number, world.customer)
    batch = LiveBatch(change)

    async def everyone():
        await asyncio.gather(*(refresh(tab, change, batch) for tab in admin_tabs))
        await batch.run_after_refresh()  # as the hub does once every screen has refreshed

    run(everyone())
    assert len(reads) == 1  # six tabs of two admins: one read of the thread
    assert len(markings) == 2 and len(set(markings)) == 2  # each admin's read state, once
    with write_session(world.url) as session:  # the reply is on both admins' screens: not unread
        admins = [auth.identify(session, auth.hash_token(cookie), "acme").user for cookie in (first, second)]
        assert [unread.needs_marking(session, admin, created.number) for admin in admins if admin] == [None, None]
    for tab in admin_tabs:
        assert [m.body for m in tab.later_messages] == ["Any news?"]
        assert tab.live_notice == "New reply from Customer."


def test_who_every_watching_session_is_is_read_once_for_all_screens_before_they_refresh(app_database, monkeypatch):
    world = app_database
    created = open_ticket(world, department="Support")
    path = f"/acme/tickets/{created.ref}"
    admin_cookie = cookie_of(world, "admin@acme.example.com")
    tabs = {f"fan-{i}": open_tab(TicketViewState, path, admin_cookie, f"fan-{i}") for i in range(3)}
    tabs["fan-sue"] = open_tab(TicketViewState, path, cookie_of(world, "sue@acme.example.com"), "fan-sue")
    carol_cookie = cookie_of(world, "carol@customer.example.com")
    signed_out = open_tab(TicketViewState, path, carol_cookie, "fan-carol")
    for tab in [*tabs.values(), signed_out]:
        load(tab)
        sent(tab)
    watches = [hub._watches[token] for token in [*tabs, "fan-carol"]]
    with write_session() as session:
        auth.sign_out(session, carol_cookie)
    reply(world, world.customer, created.number, "Anyone there?")
    bulk_reads: list[int] = []
    real_read_visitors = live_screens.read_visitors

    def counted_read_visitors(requests):
        bulk_reads.append(len(requests))
        return real_read_visitors(requests)

    monkeypatch.setattr(live_screens, "read_visitors", counted_read_visitors)
    one_by_one: list[tuple[str, ...]] = []

    def read_visitor_alone(*request):
        one_by_one.append(request)

    monkeypatch.setattr("xobito_web.state.session.read_visitor", read_visitor_alone)
    change = change_of(world, "replied", created.number, world.customer)
    batch = LiveBatch(change)

    async def everyone():
        await batch.read_visitors(watches)
        await asyncio.gather(*(refresh(tab, change, batch) for tab in [*tabs.values(), signed_out]))

    run(everyone())
    assert bulk_reads == [3] and one_by_one == []  # admin, Sue and the ended session: one read for all
    for tab in tabs.values():
        assert [m.body for m in tab.later_messages] == ["Anyone there?"]
    assert signed_out.messages == [] and signed_out.later_messages == []


def test_a_closed_ticket_is_shown_closed_and_the_unsent_draft_kept(app_database):
    world = app_database
    created = open_ticket(world)
    customer_tab = open_tab(
        TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "carol@customer.example.com")
    )
    load(customer_tab)
    composer = run(customer_tab.get_state(ReplyState))
    event_fn(ReplyState.set_draft)(composer, created.ref, "One more thing")
    sent(customer_tab)
    close(world, world.admin, created.number)
    run(refresh(customer_tab, change_of(world, "closed", created.number, world.admin)))
    delta = sent(customer_tab)
    assert delta[var("status")] == "closed" and delta[var("can_reply")] is False
    assert "unsent text is kept" in delta[var("live_notice")]
    assert composer.draft == "One more thing"


def test_a_signed_out_tab_gets_nothing_more(app_database):
    world = app_database
    created = open_ticket(world)
    cookie = cookie_of(world, "carol@customer.example.com")
    customer_tab = open_tab(TicketViewState, f"/acme/tickets/{created.ref}", cookie)
    load(customer_tab)
    sent(customer_tab)
    with write_session(world.url) as session:
        auth.sign_out(session, cookie)
    reply(world, world.admin, created.number, "Secret answer")
    run(refresh(customer_tab, change_of(world, "replied", created.number, world.admin)))
    delta = json.dumps(sent(customer_tab))
    assert customer_tab.signed_in is False and customer_tab.sign_in_needed is True  # off to sign in
    assert customer_tab.messages == [] and "Secret answer" not in delta


# --- Ticket list ---------------------------------------------------------------------------


def test_the_list_is_reread_on_a_change_and_unchanged_rows_are_not_resent(app_database):
    world = app_database
    first = open_ticket(world, subject="First problem")
    open_ticket(world, subject="Second problem")
    admin_tab = open_tab(TicketListState, "/acme/tickets", cookie_of(world, "admin@acme.example.com"))
    load(admin_tab)
    assert [row["subject"] for row in sent(admin_tab)[var("rows")]] == ["Second problem", "First problem"]

    reply(world, world.admin, first.number, "On it")
    run(refresh(admin_tab, change_of(world, "replied", first.number, world.admin)))
    delta = sent(admin_tab)
    assert [row["subject"] for row in delta[var("rows")]] == ["First problem", "Second problem"]
    assert var("departments") not in delta

    run(refresh(admin_tab, change_of(world, "replied", first.number, world.admin)))
    assert var("rows") not in sent(admin_tab)  # nothing changed: nothing sent
