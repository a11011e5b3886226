"""Saved replies: who keeps and changes which, the placeholders, the 5–2000 rule on the text and
on the message it ends up in, and the composer's picker."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from tests.unit.screens import cookie_of, event_fn, load, open_tab, run
from tests.unit.test_tickets import open_ticket
from xobito_web.db import read_session, write_session
from xobito_web.models import SavedReply
from xobito_web.services import saved_replies
from xobito_web.services.errors import Forbidden, InvalidInput, NotFound
from xobito_web.state.reply import ReplyState, _matches
from xobito_web.state.saved_replies import SavedRepliesState
from xobito_web.state.ticket_view import TicketViewState

GREETING = "Hello {customer_name}, about {ticket_id}: we are on it. {agent_name}"


def create(world, user, title="Greeting", body=GREETING, shared=False):
    with write_session(world.url) as session:
        return saved_replies.create_saved_reply(session, user, title, body, shared)


def titles(world, user) -> list[str]:
    with read_session(world.url) as session:
        return [r.title for r in saved_replies.list_saved_replies(session, user)]


def test_shared_ones_are_the_teams_private_ones_their_owners(any_world):
    w = any_world
    create(w, w.admin, "Shared greeting", shared=True)
    create(w, w.admin, "Admin's own")
    create(w, w.support_staff, "Sue's own")
    create(w, w.foreign_admin, "Foreign shared", shared=True)
    assert titles(w, w.admin) == ["Admin's own", "Shared greeting"]
    assert titles(w, w.support_staff) == ["Shared greeting", "Sue's own"]
    assert titles(w, w.sales_staff) == ["Shared greeting"]
    assert titles(w, w.foreign_admin) == ["Foreign shared"]
    with pytest.raises(Forbidden):
        titles(w, w.customer)


def test_staff_cannot_share_nor_change_the_shared_ones_admins_can(world):
    shared = create(world, world.admin, "Shared greeting", shared=True)
    own = create(world, world.support_staff, "Sue's own")
    with pytest.raises(Forbidden):
        create(world, world.support_staff, "Sneaky", shared=True)
    with write_session(world.url) as session, pytest.raises(Forbidden):
        saved_replies.update_saved_reply(session, world.support_staff, shared.id, "Mine now", GREETING, False)
    with write_session(world.url) as session, pytest.raises(Forbidden):
        saved_replies.delete_saved_reply(session, world.support_staff, shared.id)
    # Someone else's private one does not exist for them, admins included.
    for outsider in (world.sales_staff, world.admin, world.foreign_admin):
        with write_session(world.url) as session, pytest.raises(NotFound):
            saved_replies.delete_saved_reply(session, outsider, own.id)
    with write_session(world.url) as session:
        saved_replies.update_saved_reply(
            session, world.admin, shared.id, "Kinder greeting", "Hi {customer_name}!", True
        )
        saved_replies.delete_saved_reply(session, world.support_staff, own.id)
    assert titles(world, world.support_staff) == ["Kinder greeting"]
    with read_session(world.url) as session:
        assert [row.title for row in session.exec(select(SavedReply)).all()] == ["Kinder greeting"]


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", GREETING, "The title is required."),
        ("x" * 81, GREETING, "The title must be at most 80 characters."),
        ("Two\nlines", GREETING, "The title must be a single line of text."),
        ("Short", "Hi!", "The message must be at least 5 characters."),
        ("Long", "x" * 2001, "The message must be at most 2000 characters."),
    ],
)
def test_the_title_and_text_follow_the_rules(world, title, body, message):
    with pytest.raises(InvalidInput) as refused:
        create(world, world.admin, title, body)
    assert refused.value.message == message
    assert titles(world, world.admin) == []


def test_placeholders_are_filled_in_for_the_ticket_and_the_person_inserting(any_world):
    w = any_world
    created = open_ticket(w)
    saved = create(w, w.admin, shared=True)
    with read_session(w.url) as session:
        text = saved_replies.saved_reply_for_ticket(session, w.support_staff, saved.id, created.number)
    assert text == f"Hello Customer, about {created.ref}: we are on it. Support Staff"
    # A ticket the person may not see, or a saved reply they may not use: nothing.
    with read_session(w.url) as session, pytest.raises(NotFound):
        saved_replies.saved_reply_for_ticket(session, w.sales_staff, saved.id, created.number)
    private = create(w, w.support_staff, "Mine")
    with read_session(w.url) as session, pytest.raises(NotFound):
        saved_replies.saved_reply_for_ticket(session, w.admin, private.id, created.number)


def test_placeholders_are_filled_once_and_unknown_braces_stay():
    filled = saved_replies.fill_placeholders(
        "{customer_name} / {ticket_id} / {agent_name} / {unknown} / {customer_name",
        customer_name="Eve {ticket_id}",
        ticket_id="TKT-000007",
        agent_name="Sue",
    )
    assert filled == "Eve {ticket_id} / TKT-000007 / Sue / {unknown} / {customer_name"


def test_the_inserted_text_goes_after_what_is_typed_within_2000_characters():
    assert saved_replies.insert_into("", "Thanks!") == "Thanks!"
    assert saved_replies.insert_into("Hi Carol,  \n", "Thanks!") == "Hi Carol,\n\nThanks!"
    with pytest.raises(InvalidInput, match="longer than 2000"):
        saved_replies.insert_into("x" * 1995, "Thanks!")


def test_the_picker_narrows_by_every_typed_word_titles_first():
    found = [
        ("1", "Refund", "We sent the money back."),
        ("2", "Shipping", "Your refund is on its way."),
        ("3", "Hi", "Hello"),
    ]
    assert [c.title for c in _matches(found, "")] == ["Refund", "Shipping", "Hi"]
    assert [c.title for c in _matches(found, "REFUND")] == ["Refund", "Shipping"]
    assert [c.title for c in _matches(found, "refund way")] == ["Shipping"]
    assert _matches(found, "nothing like it") == []


def test_the_composer_picker_inserts_the_filled_in_text(app_database):
    world = app_database
    created = open_ticket(world)
    create(world, world.admin, "Greeting", shared=True)
    thread = open_tab(TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "sue@acme.example.com"))
    load(thread)
    composer = run(thread.get_state(ReplyState))
    event_fn(ReplyState.set_draft)(composer, created.ref, "Hi,")

    run(event_fn(ReplyState.toggle_picker)(composer))
    assert [c.title for c in composer.picker_matches] == ["Greeting"]
    event_fn(ReplyState.set_picker_query)(composer, "nothing like it")
    assert composer.picker_message == "No saved reply matches."
    run(event_fn(ReplyState.insert_saved_reply)(composer, _first_id(world)))
    assert composer.draft == f"Hi,\n\nHello Customer, about {created.ref}: we are on it. Support Staff"
    assert composer.picker_open is False and composer.composer_error == ""


def test_the_picker_is_the_teams_only(app_database):
    world = app_database
    created = open_ticket(world)
    create(world, world.admin, "Greeting", shared=True)
    thread = open_tab(TicketViewState, f"/acme/tickets/{created.ref}", cookie_of(world, "carol@customer.example.com"))
    load(thread)
    composer = run(thread.get_state(ReplyState))
    run(event_fn(ReplyState.toggle_picker)(composer))
    run(event_fn(ReplyState.insert_saved_reply)(composer, _first_id(world)))
    assert composer.picker_open is False and composer.picker_matches == [] and composer.draft == ""


def test_the_page_lists_adds_and_refuses_for_customers(app_database):
    world = app_database
    page = open_tab(SavedRepliesState, "/acme/saved-replies", cookie_of(world, "sue@acme.example.com"))
    load(page)
    assert page.allowed and page.can_share is False and page.items == []
    run(event_fn(SavedRepliesState.add_saved_reply)(page, {"title": "", "body": "Hi"}))
    assert page.add_errors == {
        "title": "The title is required.",
        "body": "The message must be at least 5 characters.",
    }
    run(event_fn(SavedRepliesState.add_saved_reply)(page, {"title": "Mine", "body": GREETING, "shared": "on"}))
    assert page.error == saved_replies.ONLY_ADMINS_SHARE and page.items == []  # the server refuses it
    run(event_fn(SavedRepliesState.add_saved_reply)(page, {"title": "Mine", "body": GREETING}))
    assert [(i.title, i.scope_label) for i in page.items] == [("Mine", "Only you")] and page.notice == "Mine is saved."

    customer_page = open_tab(SavedRepliesState, "/acme/saved-replies", cookie_of(world, "carol@customer.example.com"))
    load(customer_page)
    assert customer_page.loaded and customer_page.allowed is False and customer_page.items == []


def _first_id(world) -> str:
    with read_session(world.url) as session:
        return str(session.exec(select(SavedReply.id).order_by(col(SavedReply.id))).first())


def test_a_person_keeps_at_most_max_per_person(world, monkeypatch):
    monkeypatch.setattr(saved_replies, "MAX_PER_PERSON", 2)
    create(world, world.admin, "Shared one", shared=True)
    create(world, world.admin, "Shared two", shared=True)
    with pytest.raises(InvalidInput, match="at most"):
        create(world, world.admin, "Shared three", shared=True)
    create(world, world.admin, "Own one")  # the private ones count apart
    assert titles(world, world.admin) == ["Own one", "Shared one", "Shared two"]


def test_the_page_edits_and_deletes_and_staff_cannot_touch_shared_ones(app_database):
    world = app_database
    create(world, world.admin, "Shared greeting", shared=True)
    page = open_tab(SavedRepliesState, "/acme/saved-replies", cookie_of(world, "sue@acme.example.com"))
    load(page)
    shared_id = page.items[0].id
    assert page.items[0].can_change is False
    event_fn(SavedRepliesState.start_edit)(page, shared_id)
    assert page.editing_id == ""  # no Edit for her: nor does the server let her
    run(event_fn(SavedRepliesState.add_saved_reply)(page, {"title": "Mine", "body": GREETING}))
    mine = next(item for item in page.items if item.title == "Mine")
    event_fn(SavedRepliesState.start_edit)(page, mine.id)
    run(event_fn(SavedRepliesState.save_edit)(page, {"title": "Mine, kinder", "body": "Hi {customer_name}, thanks!"}))
    assert page.editing_id == "" and [(i.title, i.body) for i in page.items if not i.shared] == [
        ("Mine, kinder", "Hi {customer_name}, thanks!")
    ]
    event_fn(SavedRepliesState.ask_delete)(page, mine.id)
    assert page.confirm_name == "Mine, kinder"
    run(event_fn(SavedRepliesState.delete_saved_reply)(page))
    assert [i.title for i in page.items] == ["Shared greeting"] and page.notice == "Mine, kinder is deleted."
