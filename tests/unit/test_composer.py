"""What a composer holds belongs to its own ticket (or to the New Ticket form), and a message
is posted once however often its form is sent."""

from __future__ import annotations

import reflex as rx

from tests.unit.screens import cookie_of, event_fn, load, navigate_tab, open_tab, run
from tests.unit.test_tickets import open_ticket
from xobito_web.services import tickets
from xobito_web.state.composer import NEW_TICKET_KEY
from xobito_web.state.new_ticket import NewTicketState
from xobito_web.state.reply import REPLY_UPLOAD_ID, ReplyState
from xobito_web.state.ticket_view import TicketViewState

type_into = event_fn(ReplyState.set_draft)


def two_tickets(world):
    return open_ticket(world, subject="First printer"), open_ticket(world, subject="Second printer")


def open_ticket_tab(world, ref: str, email: str = "carol@customer.example.com"):
    thread = open_tab(TicketViewState, f"/acme/tickets/{ref}", cookie_of(world, email))
    events = load(thread)
    return thread, run(thread.get_state(ReplyState)), events


def go_to(thread, world, ref: str, email: str = "carol@customer.example.com"):
    navigate_tab(thread._get_root_state(), f"/acme/tickets/{ref}", cookie_of(world, email))
    return load(thread)


def test_a_draft_stays_with_its_ticket(app_database):
    world = app_database
    first, second = two_tickets(world)
    thread, composer, _ = open_ticket_tab(world, first.ref)
    type_into(composer, first.ref, "About the first printer: it smokes.")
    assert composer.draft == "About the first printer: it smokes."

    go_to(thread, world, second.ref)
    assert composer.draft_key == second.ref and composer.draft == ""
    go_to(thread, world, first.ref)
    assert composer.draft == "About the first printer: it smokes."  # kept for its own ticket only


def test_a_late_typing_event_lands_on_the_ticket_it_was_typed_on(app_database):
    world = app_database
    first, second = two_tickets(world)
    thread, composer, _ = open_ticket_tab(world, first.ref)
    go_to(thread, world, second.ref)
    # The debounced box of the first ticket flushes after the second one opened.
    type_into(composer, first.ref, "Words for the first ticket")
    assert composer.draft == ""
    go_to(thread, world, first.ref)
    assert composer.draft == "Words for the first ticket"


def test_chosen_files_are_dropped_when_another_ticket_opens(app_database):
    world = app_database
    first, second = two_tickets(world)
    thread, _composer, _ = open_ticket_tab(world, first.ref)
    events = go_to(thread, world, second.ref)
    assert isinstance(events, rx.event.EventSpec)
    assert REPLY_UPLOAD_ID in str(events.args)  # clear_selected_files of the reply box
    assert go_to(thread, world, second.ref) is None  # the same ticket again: the files stay


def test_errors_and_pending_sends_do_not_follow_to_another_ticket(app_database):
    world = app_database
    first, second = two_tickets(world)
    thread, composer, _ = open_ticket_tab(world, first.ref)
    assert composer._claim_send(first.ref, {"nonce": composer.composer_nonce})
    composer.composer_error = "The message must be at least 5 characters."
    go_to(thread, world, second.ref)
    assert composer.composer_error == "" and composer.sending is False
    composer._finish_send(first.ref, None, "This ticket is closed. Open a new ticket instead.")
    assert composer.composer_error == ""  # the first ticket's refusal is not shown on the second


def test_a_sent_message_cannot_be_posted_again_with_the_same_form(app_database):
    world = app_database
    first, _second = two_tickets(world)
    _thread, composer, _ = open_ticket_tab(world, first.ref)
    form = {"nonce": composer.composer_nonce}
    assert composer._claim_send(first.ref, form)
    assert not composer._claim_send(first.ref, form)  # a second click while it is on its way
    composer._finish_send(first.ref, "Thanks, that worked.")
    assert composer.composer_nonce != form["nonce"] and composer.draft == ""
    assert not composer._claim_send(first.ref, form)  # the same form replayed after success


def test_the_new_ticket_form_cannot_create_twice(app_database):
    world = app_database
    form_tab = open_tab(NewTicketState, "/acme/tickets/new", cookie_of(world, "carol@customer.example.com"))
    load(form_tab)
    form = {"nonce": form_tab.composer_nonce}
    assert form_tab._claim_send(NEW_TICKET_KEY, form)
    form_tab._finish_send(NEW_TICKET_KEY, "The printer smokes.")
    assert not form_tab._claim_send(NEW_TICKET_KEY, form)


def test_signed_out_tabs_store_nothing_and_values_are_capped(app_database):
    world = app_database
    first, _second = two_tickets(world)
    _thread, composer, _ = open_ticket_tab(world, first.ref)
    type_into(composer, first.ref, "x" * 900_000)
    assert len(composer.draft) == tickets.MESSAGE_MAX

    anonymous = open_tab(ReplyState, f"/acme/tickets/{first.ref}", "no-such-session")
    type_into(anonymous, first.ref, "junk " * 1000)
    assert anonymous.draft == "" and anonymous._drafts == {}

    new_ticket = open_tab(NewTicketState, "/acme/tickets/new", "no-such-session")
    event_fn(NewTicketState.set_subject)(new_ticket, "junk" * 1000)
    assert new_ticket.subject == ""


def test_new_ticket_shows_every_problem_at_once():
    errors = tickets.new_ticket_errors("", "", "extreme", "hey")
    assert errors == {
        "subject": "The subject is required.",
        "department": "The department is required.",
        "priority": "The priority must be Low, Medium, High or Urgent.",
        "body": "The message must be at least 5 characters.",
    }
    assert tickets.new_ticket_errors("Printer", "3", "high", "It smokes a lot.") == {}
