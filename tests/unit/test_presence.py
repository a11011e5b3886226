"""Presence: who else is on a ticket and who is typing, for the team only, in memory or Redis with
expiry (never the database), gone when a tab leaves or disconnects."""

from __future__ import annotations

import os
import random
from contextlib import asynccontextmanager
from typing import cast

import pytest
import reflex as rx
from sqlalchemy import event

from tests.conftest import IN_CI
from tests.unit.screens import cookie_of, event_fn, load, navigate_tab, open_tab, run
from tests.unit.test_tickets import open_ticket
from xobito_web.db import get_engine
from xobito_web.services import presence
from xobito_web.services.presence import Entry, Viewer, presence_line
from xobito_web.state import presence as presence_state
from xobito_web.state.live import Watch, hub
from xobito_web.state.reply import ReplyState
from xobito_web.state.ticket_view import TicketViewState

REDIS_URL = os.environ.get("XOBITO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = 1_000_000.0


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return presence.LocalPresence()
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        if IN_CI:
            pytest.fail(f"Redis is required under CI but unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis server at {REDIS_URL}")
    return presence.RedisPresence(REDIS_URL)


def test_people_count_once_typing_in_any_tab_and_expire_without_refresh(store):
    ws = random.randint(10**6, 10**9)  # a workspace of this test's own on a shared Redis
    ticket = (ws, 7)
    store.put(
        [
            Entry(ws, 7, "sue-tab-1", 2, "Sue", 0.0),
            Entry(ws, 7, "sue-tab-2", 2, "Sue", NOW + 3),  # typing in her second tab
            Entry(ws, 7, "sam-tab", 3, "Sam", 0.0),
            Entry(ws, 8, "al-tab", 4, "Al", 0.0),  # another ticket
        ],
        now=NOW,
    )
    assert store.viewers([ticket], now=NOW + 1)[ticket] == [Viewer(3, "Sam", False), Viewer(2, "Sue", True)]
    assert store.viewers([ticket], now=NOW + 4)[ticket] == [Viewer(3, "Sam", False), Viewer(2, "Sue", False)]
    store.remove(ws, 7, "sam-tab")
    assert [v.name for v in store.viewers([ticket], now=NOW + 4)[ticket]] == ["Sue"]
    # Not refreshed for VIEWER_TTL: gone (a crashed worker's tabs disappear by themselves).
    assert store.viewers([ticket, (ws, 8)], now=NOW + presence.VIEWER_TTL + 0.1) == {ticket: [], (ws, 8): []}


@pytest.mark.parametrize(
    ("viewers", "line"),
    [
        ([], ""),
        ([Viewer(1, "Me", True)], ""),  # never told about oneself
        ([Viewer(2, "Sue", False)], "Sue is also viewing this ticket."),
        ([Viewer(2, "Sue", True)], "Sue is typing a reply…"),
        (
            [Viewer(2, "Sue", True), Viewer(3, "Sam", False), Viewer(4, "Al", False)],
            "Sue is typing a reply… Sam and Al are viewing this ticket.",
        ),
        ([Viewer(2, "Sue", True), Viewer(3, "Sam", True)], "Sue and Sam are typing a reply…"),
    ],
)
def test_the_line_names_the_others(viewers, line):
    assert presence_line(viewers, me=1) == line


def test_a_tick_writes_refreshes_and_removes_and_announces_only_changes():
    sue = Watch(TicketViewState, 1, 2, True, 7, "Sue")
    sam = Watch(TicketViewState, 1, 3, True, 7, "Sam")
    first = presence_state.plan_tick({"s": sue, "m": sam}, {"s", "m"}, {}, {}, NOW)
    assert {e.name for e in first.entries} == {"Sue", "Sam"} and first.changed == {(1, 7, 2), (1, 7, 3)}
    again = presence_state.plan_tick({"s": sue, "m": sam}, {"s", "m"}, {}, first.written, NOW + 2)
    assert len(again.entries) == 2 and again.changed == set() and again.removed == []  # refreshed, nothing new
    typing = presence_state.plan_tick({"s": sue, "m": sam}, {"s", "m"}, {"s": NOW + 5}, again.written, NOW + 3)
    assert typing.changed == {(1, 7, 2)}
    moved = Watch(TicketViewState, 1, 3, True, 9, "Sam")
    gone = presence_state.plan_tick({"s": sue, "m": moved}, {"m"}, {}, typing.written, NOW + 4)
    assert [(e.number, e.name) for e in gone.entries] == [(9, "Sam")]  # Sue disconnected
    assert sorted(gone.removed) == sorted([(1, 7, presence.viewer_key("s")), (1, 7, presence.viewer_key("m"))])
    assert gone.changed == {(1, 7, 2), (1, 7, 3), (1, 9, 3)}


class FakeApp:
    """What the ticker uses of Reflex's app: the connected tokens, and modify_state on real states."""

    def __init__(self, tabs: dict[str, TicketViewState]):
        self.tabs = tabs
        self.pushed: list[str] = []
        self.event_namespace = type("Namespace", (), {"token_to_sid": {token: "sid" for token in tabs}})()

    @asynccontextmanager
    async def modify_state(self, token):
        self.pushed.append(token.ident)
        yield self.tabs[token.ident]._get_root_state()


def test_the_team_sees_each_other_come_type_and_go_and_customers_see_nothing(app_database, monkeypatch):
    world = app_database
    monkeypatch.setattr(presence, "_store", presence.LocalPresence())
    created = open_ticket(world)
    path = f"/acme/tickets/{created.ref}"
    tabs = {
        "admin-tab": open_tab(TicketViewState, path, cookie_of(world, "admin@acme.example.com"), "admin-tab"),
        "sue-tab": open_tab(TicketViewState, path, cookie_of(world, "sue@acme.example.com"), "sue-tab"),
        "carol-tab": open_tab(TicketViewState, path, cookie_of(world, "carol@customer.example.com"), "carol-tab"),
    }
    writes = []
    listener = lambda *args: writes.append(args)  # noqa: E731
    event.listen(get_engine(world.url), "before_cursor_execute", listener)
    ticker = presence_state.ticker
    app = FakeApp(tabs)
    monkeypatch.setattr(ticker, "_app", app)
    try:
        for tab in tabs.values():
            load(tab)
        writes.clear()
        run(ticker._tick())
        admin, sue, carol = tabs["admin-tab"], tabs["sue-tab"], tabs["carol-tab"]
        assert admin.presence_line == "Support Staff is also viewing this ticket."
        assert sue.presence_line == "Admin is also viewing this ticket."
        assert carol.presence_line == "" and "carol-tab" not in app.pushed

        composer = run(sue.get_state(ReplyState))
        for text in ("I", "I wil", "I will check the logs"):  # keystrokes: no database write
            event_fn(ReplyState.set_draft)(composer, created.ref, text)
        run(ticker._tick())
        assert admin.presence_line == "Support Staff is typing a reply…"
        assert writes == []

        # Sue goes back to the list in the same tab: gone from the ticket at the next tick.
        navigate_tab(
            cast(rx.State, sue._get_root_state()), "/acme/tickets", cookie_of(world, "sue@acme.example.com"), "sue-tab"
        )
        hub.watch("sue-tab", Watch(TicketViewState, world.admin.workspace_id, world.support_staff.user_id, True, None))
        run(ticker._tick())
        assert admin.presence_line == ""
        # She comes back; then Admin's connection drops (a closed tab): gone for her too.
        navigate_tab(cast(rx.State, sue._get_root_state()), path, cookie_of(world, "sue@acme.example.com"), "sue-tab")
        load(sue)
        run(ticker._tick())
        assert admin.presence_line == "Support Staff is also viewing this ticket."
        assert sue.presence_line == "Admin is also viewing this ticket."
        del app.event_namespace.token_to_sid["admin-tab"]
        run(ticker._tick())
        assert sue.presence_line == ""
        ticket = (world.admin.workspace_id, created.number)
        assert [v.name for v in presence.get_store().viewers([ticket])[ticket]] == ["Support Staff"]
        assert "carol-tab" not in app.pushed
    finally:
        event.remove(get_engine(world.url), "before_cursor_execute", listener)
        for token in tabs:
            hub.forget(token)
        ticker._written, ticker._shown, ticker._typing_until = {}, {}, {}
