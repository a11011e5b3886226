"""Internal notes on screen: the team's thread shows them labelled, live; a customer's screen never
receives one (not on load, not on a live refresh) and its composer cannot switch to notes."""

from __future__ import annotations

import json
from typing import cast

from tests.unit.screens import change_of, cookie_of, event_fn, load, navigate_tab, open_tab, refresh, run, sent, var
from tests.unit.test_tickets import open_ticket, reply
from xobito_web.db import write_session
from xobito_web.services import live, notes, tickets
from xobito_web.state.reply import ReplyState, _mention_notice
from xobito_web.state.ticket_view import TicketViewState

NOTE = "Refund approved by finance, do not tell yet."


def add_note(world, user, number, body=NOTE):
    with write_session(world.url) as session:
        return notes.post_note(session, user, number, body)


def ticket_tab(world, ref, email, tab="tab-1"):
    screen = open_tab(TicketViewState, f"/acme/tickets/{ref}", cookie_of(world, email), tab)
    load(screen)
    return screen


def test_the_team_gets_a_new_note_live_labelled_as_a_note(app_database):
    world = app_database
    created = open_ticket(world)
    admin_tab = ticket_tab(world, created.ref, "admin@acme.example.com")
    sent(admin_tab)
    add_note(world, world.support_staff, created.number)
    run(refresh(admin_tab, change_of(world, live.NOTED, created.number, world.support_staff)))
    delta = sent(admin_tab)
    assert [(m["body"], m["is_internal"]) for m in delta[var("later_messages")]] == [(NOTE, True)]
    assert delta[var("live_notice")] == "New internal note from Support Staff."
    assert var("status") not in delta  # a note changes no status


def test_a_customer_screen_never_receives_a_note(app_database):
    world = app_database
    created = open_ticket(world)
    add_note(world, world.admin, created.number, "Older note about the customer.")
    customer_tab = ticket_tab(world, created.ref, "carol@customer.example.com", "carol")
    first = json.dumps(sent(customer_tab))
    assert "Older note" not in first and "is_internal" in first  # the thread was sent, without it

    add_note(world, world.admin, created.number)
    # Even woken by mistake (the hub never wakes it for a note), the refresh reads no note.
    run(refresh(customer_tab, change_of(world, live.NOTED, created.number, world.admin)))
    reply(world, world.admin, created.number, "We are on it, thanks for waiting.")
    run(refresh(customer_tab, change_of(world, "replied", created.number, world.admin)))
    delta = json.dumps(sent(customer_tab))
    assert NOTE not in delta and "We are on it" in delta
    assert [m.body for m in customer_tab.later_messages] == ["We are on it, thanks for waiting."]


def test_only_the_team_switches_the_composer_to_notes(app_database):
    world = app_database
    created = open_ticket(world)
    customer_tab = ticket_tab(world, created.ref, "carol@customer.example.com", "carol")
    customer_composer = run(customer_tab.get_state(ReplyState))
    event_fn(ReplyState.set_note_mode)(customer_composer, "note")
    assert customer_composer.note_mode is False

    admin_tab = ticket_tab(world, created.ref, "admin@acme.example.com", "admin")
    composer = run(admin_tab.get_state(ReplyState))
    event_fn(ReplyState.set_note_mode)(composer, "note")
    assert composer.note_mode is True
    other = open_ticket(world, subject="Another printer")
    navigate_tab(admin_tab._get_root_state(), f"/acme/tickets/{other.ref}", cookie_of(world, "admin@acme.example.com"))
    load(admin_tab)
    assert composer.draft_key == other.ref and composer.note_mode is False  # another ticket starts as a reply


def test_the_author_is_told_who_was_emailed_and_who_could_not_be():
    changed = cast(tickets.TicketChanged, None)  # the notice reads only the names
    added = notes.NoteAdded(changed, notified=("Admin",), not_notified=("Sales Staff",))
    assert (
        _mention_notice(added) == "Emailed Admin about your note. Sales Staff cannot see this ticket and was not told."
    )
    assert _mention_notice(notes.NoteAdded(changed, (), ())) == ""
