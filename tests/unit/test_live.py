"""The live bus announces committed changes only, and only to screens that may be concerned."""

import pytest
import reflex as rx

from tests.unit.test_tickets import close, open_ticket, reply
from xobito_web.db import write_session
from xobito_web.services import assignment, live, tickets
from xobito_web.services.errors import InvalidInput
from xobito_web.state.live import NO_TICKET, LiveHub, Watch


@pytest.fixture
def heard(monkeypatch):
    bus = live.LocalBus()
    monkeypatch.setattr(live, "_bus", bus)
    changes: list[live.Change] = []
    bus.subscribe(changes.append)
    return changes


def test_create_reply_and_close_are_announced_after_commit(world, heard):
    number = open_ticket(world).number
    reply(world, world.admin, number, "We are on it, hang on.")
    close(world, world.customer, number)
    assert [(c.kind, c.number, c.workspace_id, c.customer_id) for c in heard] == [
        ("created", number, world.customer.workspace_id, world.customer.user_id),
        ("replied", number, world.customer.workspace_id, world.customer.user_id),
        ("closed", number, world.customer.workspace_id, world.customer.user_id),
    ]
    assert [c.actor_user_id for c in heard] == [world.customer.user_id, world.admin.user_id, world.customer.user_id]


def test_a_rolled_back_change_is_never_announced(world, heard):
    number = open_ticket(world).number
    heard.clear()
    with pytest.raises(RuntimeError, match="the commit never happens"), write_session(world.url) as session:
        tickets.post_reply(session, world.admin, number, "This reply will be rolled back.")
        raise RuntimeError("the commit never happens")
    assert heard == []
    reply(world, world.admin, number, "This reply is committed.")  # the same change, committed, is heard
    assert [(c.kind, c.number) for c in heard] == [("replied", number)]


def test_a_refused_reply_is_not_announced(world, heard):
    number = open_ticket(world).number
    heard.clear()
    with pytest.raises(InvalidInput) as caught, write_session(world.url) as session:
        tickets.post_reply(session, world.admin, number, "no")
    assert caught.value.field == "body"
    assert heard == []
    reply(world, world.admin, number, "Now long enough.")  # the same reply, valid, is heard
    assert [(c.kind, c.number) for c in heard] == [("replied", number)]


def test_an_assignment_is_announced_and_one_that_changes_nothing_is_not(world, heard):
    number = open_ticket(world).number
    heard.clear()
    with write_session(world.url) as session:
        assignment.assign_ticket(session, world.admin, number, None, world.support_staff.user_id)
    assert [(c.kind, c.number, c.actor_user_id, c.customer_id) for c in heard] == [
        ("assigned", number, world.admin.user_id, world.customer.user_id)
    ]
    heard.clear()
    with write_session(world.url) as session:
        assignment.assign_ticket(session, world.admin, number, None, world.support_staff.user_id)  # already so
        assignment.take_ticket(session, world.support_staff, number)  # already hers
    assert heard == []
    with write_session(world.url) as session:
        assignment.assign_ticket(session, world.admin, number, world.departments["Sales"], None)  # moved
    assert [(c.kind, c.number) for c in heard] == [("assigned", number)]


def test_only_concerned_screens_hear_a_change(world):
    hub = LiveHub()
    ws = world.customer.workspace_id
    hub.watch("customer-list", Watch(rx.State, ws, world.customer.user_id, False, None))
    hub.watch("customer-thread", Watch(rx.State, ws, world.customer.user_id, False, 7))
    hub.watch("other-thread", Watch(rx.State, ws, world.customer.user_id, False, 8))
    hub.watch("bystander-list", Watch(rx.State, ws, world.other_customer.user_id, False, None))
    hub.watch("admin-list", Watch(rx.State, ws, world.admin.user_id, True, None))
    hub.watch(
        "foreign-admin", Watch(rx.State, world.foreign_admin.workspace_id, world.foreign_admin.user_id, True, None)
    )
    change = live.Change(ws, 7, "replied", world.admin.user_id, world.customer.user_id)
    assert {token for token, _ in hub.concerned(change)} == {"customer-list", "customer-thread", "admin-list"}
    hub.forget("customer-thread")
    assert {token for token, _ in hub.concerned(change)} == {"customer-list", "admin-list"}


def test_administration_reaches_the_workspaces_team_screens_and_ticket_changes_skip_screens_of_no_ticket(world):
    hub = LiveHub()
    ws = world.customer.workspace_id
    hub.watch("people", Watch(rx.State, ws, world.admin.user_id, True, NO_TICKET))
    hub.watch("staff-list", Watch(rx.State, ws, world.sales_staff.user_id, True, None))
    hub.watch("staff-thread", Watch(rx.State, ws, world.sales_staff.user_id, True, 7))
    hub.watch("customer-list", Watch(rx.State, ws, world.customer.user_id, False, None))
    hub.watch("customer-profile", Watch(rx.State, ws, world.customer.user_id, False, NO_TICKET))
    hub.watch("foreign-people", Watch(rx.State, world.foreign_admin.workspace_id, world.foreign_admin.user_id, True, 0))
    administration = live.Change(ws, 0, live.ADMINISTRATION, world.admin.user_id, 0)
    assert {token for token, _ in hub.concerned(administration)} == {"people", "staff-list", "staff-thread"}
    reply = live.Change(ws, 7, "replied", world.admin.user_id, world.customer.user_id)
    assert {token for token, _ in hub.concerned(reply)} == {"staff-list", "staff-thread", "customer-list"}
    ended = live.Change(0, 0, live.SESSIONS_ENDED, world.customer.user_id, 0)
    assert {token for token, _ in hub.concerned(ended)} == {"customer-list", "customer-profile"}
