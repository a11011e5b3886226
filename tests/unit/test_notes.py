"""Internal notes: the team sees them, the customer never does — not in the thread, the list, the
live updates, the emails, the JSON API or the downloads; a note changes no status; a mention
emails the colleague (when they may see the ticket)."""

from __future__ import annotations

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from tests.conftest import PASSWORD
from tests.unit import samples
from xobito_web.db import read_session, write_session
from xobito_web.models import OutboxEmail, Reply, Ticket
from xobito_web.routes import build_api
from xobito_web.services import attachments, auth, live, notes, tickets
from xobito_web.services.auth import SESSION_COOKIE
from xobito_web.services.errors import Conflict, Forbidden, InvalidInput
from xobito_web.state.live import LiveHub, Watch
from xobito_web.state.ticket_view import TicketViewState

NOTE = "Customer sounds upset; refund approved by finance."


def open_ticket(world, department="Support"):
    with write_session(world.url) as session:
        return tickets.create_ticket(
            session, world.customer, "Printer is on fire", world.departments[department], "high", "It smokes a lot."
        )


def add_note(world, user, number, body=NOTE, files=()):
    staged = [attachments.stage_bytes(name, data) for name, data in files]
    with write_session(world.url) as session:
        return notes.post_note(session, user, number, body, attachments=staged)


def view(world, user, number):
    with read_session(world.url) as session:
        return tickets.get_ticket(session, user, number)


def outbox(world) -> list[OutboxEmail]:
    with read_session(world.url) as session:
        return list(session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all())


def ticket_row(world, number) -> Ticket:
    with read_session(world.url) as session:
        return session.exec(
            select(Ticket).where(Ticket.number == number, Ticket.workspace_id == world.customer.workspace_id)
        ).one()


def test_the_team_sees_a_note_in_the_thread_marked_internal_the_customer_never(any_world):
    created = open_ticket(any_world)
    add_note(any_world, any_world.support_staff, created.number)
    for member in (any_world.admin, any_world.support_staff):
        thread = view(any_world, member, created.number).messages
        assert [(m.body, m.is_internal) for m in thread] == [("It smokes a lot.", False), (NOTE, True)]
    assert [m.body for m in view(any_world, any_world.customer, created.number).messages] == ["It smokes a lot."]
    with read_session(any_world.url) as session:  # stored as a note, not a reply
        assert [r.is_internal for r in session.exec(select(Reply)).all()] == [True]


def test_a_note_changes_no_status_turn_or_last_activity_and_emails_no_customer(any_world):
    created = open_ticket(any_world)
    with write_session(any_world.url) as session:
        tickets.post_reply(session, any_world.admin, created.number, "We are looking into it.")
    before = ticket_row(any_world, created.number)
    emails_before = len(outbox(any_world))
    added = add_note(any_world, any_world.admin, created.number)
    after = ticket_row(any_world, created.number)
    assert added.changed.status == "answered"
    assert (after.status, after.last_reply_at, after.last_message_by_team) == (
        before.status,
        before.last_reply_at,
        before.last_message_by_team,
    )
    assert len(outbox(any_world)) == emails_before  # nobody mentioned: no email at all
    # The customer's list says nothing new either.
    with read_session(any_world.url) as session:
        row = tickets.list_tickets(session, any_world.customer).rows[0]
    assert row.last_reply_at == before.last_reply_at and row.waiting_on == "customer"


def test_customers_cannot_write_notes_and_notes_follow_the_message_rules(world):
    created = open_ticket(world)
    with pytest.raises(Forbidden):
        add_note(world, world.customer, created.number)
    with pytest.raises(InvalidInput, match="at least 5"):
        add_note(world, world.admin, created.number, "ok")
    with pytest.raises(InvalidInput, match="at most 2000"):
        add_note(world, world.admin, created.number, "x" * 2001)
    with write_session(world.url) as session:
        tickets.close_ticket(session, world.admin, created.number)
    with pytest.raises(Conflict):
        add_note(world, world.admin, created.number)
    assert [m.body for m in view(world, world.admin, created.number).messages] == ["It smokes a lot."]


def test_a_mention_emails_the_colleague_with_the_note_and_never_the_customer(any_world):
    created = open_ticket(any_world)
    added = add_note(any_world, any_world.admin, created.number, "@support please check the logs, thanks")
    assert added.notified == ("Support Staff",) and added.not_notified == ()
    emails = outbox(any_world)
    assert [(e.recipient, e.event) for e in emails if e.event == notes.NOTE_MENTION] == [
        ("sue@acme.example.com", "note_mention")
    ]
    mention = emails[-1]
    assert "Admin mentioned you in an internal note" in mention.body
    assert "> @support please check the logs, thanks" in mention.body
    assert "please check the logs" in mention.body_html and "[TKT-" in mention.subject
    assert all("check the logs" not in e.body for e in emails if e.recipient == any_world.customer.email)


def test_a_mention_of_someone_who_may_not_see_the_ticket_is_named_back_not_emailed(world):
    created = open_ticket(world)  # a Support ticket: Sales Staff may not see it
    added = add_note(world, world.support_staff, created.number, "Ask @Sales Staff and @Admin about this one.")
    assert added.notified == ("Admin",) and added.not_notified == ("Sales Staff",)
    assert [e.recipient for e in outbox(world) if e.event == notes.NOTE_MENTION] == ["admin@acme.example.com"]


@pytest.mark.parametrize(
    ("body", "mentioned"),
    [
        ("@Sue can you look?", ["Sue Smith"]),
        ("@sue smith can you look?", ["Sue Smith"]),
        ("@Sam and @Sue, thoughts?", ["Sue Smith", "Sam Lee"]),  # in the order of the team
        ("Mail sam@example.com, not a mention", []),
        ("@Samuel is not Sam", []),
        ("@Al is two people", []),  # two colleagues called Al: the full name is needed
        ("@Al Jones yes", ["Al Jones"]),
        ("@Sue @Sue twice", ["Sue Smith"]),
    ],
)
def test_mentions_match_a_full_name_or_an_unambiguous_first_name(body, mentioned):
    team = [
        notes.Colleague(1, "Sue Smith", "sue@x", True),
        notes.Colleague(2, "Sam Lee", "sam@x", True),
        notes.Colleague(3, "Al Jones", "al1@x", True),
        notes.Colleague(4, "Al Brown", "al2@x", True),
    ]
    assert [p.name for p in notes.mentioned_colleagues(body, team)] == mentioned


def test_a_files_of_a_note_downloads_for_the_team_only(any_world, storage):
    created = open_ticket(any_world)
    added = add_note(any_world, any_world.admin, created.number, files=[("secret.pdf", samples.pdf("Secret"))])
    file_id = added.changed.message.attachments[0].id
    path = f"/acme/tickets/{created.ref}/download?file={file_id}"
    for who, status in (("admin", 200), ("support_staff", 200), ("customer", 404)):
        browser = TestClient(build_api(database_url=any_world.url), follow_redirects=False)
        token, _user = auth.sign_in("acme", getattr(any_world, who).email, PASSWORD, database_url=any_world.url)
        browser.cookies.set(SESSION_COOKIE, token)
        response = browser.get(path)
        assert response.status_code == status, who
        if status == 404:
            assert b"Secret" not in response.content
    # Nor does the customer's thread list the file.
    assert all(not m.attachments for m in view(any_world, any_world.customer, created.number).messages)


def test_the_json_api_shows_notes_to_the_team_marked_and_never_to_the_customer(world, storage):
    from tests.unit.test_api import as_user

    created = open_ticket(world)
    add_note(world, world.admin, created.number)
    client, headers = as_user(world, world.customer)
    response = client.get(f"/acme/api/v1/tickets/{created.ref}", headers=headers)
    assert response.status_code == 200 and NOTE not in response.text
    assert [m["is_internal"] for m in response.json()["messages"]] == [False]
    client, headers = as_user(world, world.admin)
    response = client.get(f"/acme/api/v1/tickets/{created.ref}", headers=headers)
    assert [(m["body"], m["is_internal"]) for m in response.json()["messages"]][-1] == (NOTE, True)


def test_a_note_wakes_team_screens_only_never_the_customers(world):
    hub = LiveHub()
    ws = world.customer.workspace_id
    hub.watch("customer-tab", Watch(TicketViewState, ws, world.customer.user_id, False, 1))
    hub.watch("customer-list", Watch(TicketViewState, ws, world.customer.user_id, False, None))
    hub.watch("admin-tab", Watch(TicketViewState, ws, world.admin.user_id, True, 1))
    noted = live.Change(ws, 1, live.NOTED, world.support_staff.user_id, world.customer.user_id)
    assert [token for token, _watch in hub.concerned(noted)] == ["admin-tab"]
    replied = live.Change(ws, 1, "replied", world.support_staff.user_id, world.customer.user_id)
    assert {token for token, _watch in hub.concerned(replied)} == {"customer-tab", "customer-list", "admin-tab"}


def test_the_note_is_announced_as_noted_after_commit(world):
    heard: list[live.Change] = []
    unsubscribe = live.get_bus().subscribe(heard.append)
    try:
        created = open_ticket(world)
        add_note(world, world.admin, created.number)
    finally:
        unsubscribe()
    assert [c.kind for c in heard] == ["created", live.NOTED]


def test_the_notes_migration_goes_down_and_up_keeping_replies_public(world):
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from alembic import command
    from xobito_web.db import get_engine
    from xobito_web.migrations import PROJECT_ROOT

    created = open_ticket(world)
    with write_session(world.url) as session:
        tickets.post_reply(session, world.admin, created.number, "A public reply, from before.")
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = world.url
    engine = get_engine(world.url)
    command.downgrade(config, "0006")
    engine.dispose()
    assert "saved_reply" not in inspect(engine).get_table_names()
    assert "is_internal" not in {c["name"] for c in inspect(engine).get_columns("reply")}
    command.upgrade(config, "head")
    engine.dispose()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT body, is_internal FROM reply")).all() == [
            ("A public reply, from before.", False)
        ]
    assert [m.body for m in view(world, world.customer, created.number).messages][-1] == "A public reply, from before."
