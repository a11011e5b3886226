"""Search every message, the team's list (filters, sorts, count) and unread, on SQLite and
PostgreSQL: what a person finds, in which order, with which words marked, and what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.unit.screens import cookie_of, event_fn, load, open_tab, run, sent, var
from xobito_web.db import read_session, write_session
from xobito_web.models import MessageSearch
from xobito_web.services import notes, search, tickets, unread
from xobito_web.services.tickets import TicketFilter
from xobito_web.state.ticket_list import TicketListState

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EVERY_STATUS = ()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def open_ticket(world, user, subject, body, department="Support", when=None) -> int:
    with write_session(world.url) as session:
        return tickets.create_ticket(
            session, user, subject, world.departments[department], "medium", body, now=when
        ).number


def reply(world, user, number, body, when=None) -> None:
    with write_session(world.url) as session:
        tickets.post_reply(session, user, number, body, now=when)


def note(world, author, number, body) -> None:
    """An internal note, posted by the notes service (which indexes it as internal)."""
    with write_session(world.url) as session:
        notes.post_note(session, author, number, body)


def found(world, user, words, **filters) -> list[int]:
    with read_session(world.url) as session:
        page = tickets.list_tickets(session, user, TicketFilter(search=words, statuses=EVERY_STATUS, **filters))
    return [row.number for row in page.rows]


@pytest.fixture
def desk(any_world):
    """Tickets of two customers in two departments, with replies and a note."""
    world = any_world
    open_ticket(world, world.customer, "Printer is smoking", "Smoke comes out of the tray.", when=at(1))  # 1
    open_ticket(world, world.other_customer, "Printer jam", "Paper stuck in the printer tray.", when=at(2))  # 2
    open_ticket(world, world.customer, "Invoice question", "Why was I charged twice?", "Billing", at(3))  # 3
    reply(world, world.admin, 3, "We issued a refund for the duplicate charge.", when=at(4))
    open_ticket(world, world.customer, "Cannot sign in", "My password stopped working.", "Sales", at(5))  # 4
    note(world, world.admin, 4, "Looks like a phishing attempt, escalate quietly.")
    return world


def test_every_message_is_searched_and_a_word_only_in_a_reply_finds_the_ticket(desk):
    assert found(desk, desk.admin, "refund") == [3]
    assert found(desk, desk.customer, "refund") == [3]
    assert found(desk, desk.admin, "tray") == [2, 1]  # equally good: newest activity first


def test_a_customer_never_finds_another_customers_ticket_nor_a_note(desk):
    assert found(desk, desk.customer, "printer") == [1]
    assert found(desk, desk.other_customer, "printer") == [2]
    assert found(desk, desk.other_customer, "refund") == []
    assert found(desk, desk.customer, "phishing") == []
    assert found(desk, desk.customer, "escalate quietly") == []
    # the team finds the note
    assert found(desk, desk.admin, "phishing") == [4]
    assert found(desk, desk.sales_staff, "phishing") == [4]


def test_staff_and_other_workspaces_find_only_what_they_may_see(desk):
    assert found(desk, desk.support_staff, "printer") == [2, 1]
    assert found(desk, desk.sales_staff, "printer") == []
    assert found(desk, desk.support_staff, "password") == []  # Sales
    assert found(desk, desk.foreign_admin, "printer") == []
    assert found(desk, desk.foreign_customer, "refund") == []


def test_word_forms_and_prefixes(desk):
    assert found(desk, desk.admin, "smoked") == [1]  # another form of "smoke"/"smoking"
    assert found(desk, desk.admin, "refunds") == [3]
    assert found(desk, desk.admin, "refu") == [3]  # a prefix
    assert found(desk, desk.admin, "PRINT") == [2, 1]
    assert found(desk, desk.admin, "ef") == []  # two letters match whole words only
    assert found(desk, desk.admin, "und") == []  # never the middle of a word
    assert found(desk, desk.admin, "printer refund") == []  # every word must appear
    assert found(desk, desk.admin, "charged invoice") == [3]  # subject and message together


def test_best_matches_first(any_world):
    world = any_world
    long_body = "Since the update of last week the dashboard feels slow, and also the export looks odd to me."
    open_ticket(world, world.customer, "Question about my account", long_body, when=at(1))
    open_ticket(world, world.customer, "Export fails", "Nothing happens when I click.", when=at(2))
    open_ticket(world, world.customer, "Dark mode", "Export, export, export: all white.", when=at(3))
    # the subject weighs most, then how often and how densely the word appears
    assert found(world, world.admin, "export") == [2, 3, 1]
    assert found(world, world.customer, "export") == [2, 3, 1]


def test_matched_words_are_marked_as_plain_pieces(desk):
    number = open_ticket(desk, desk.customer, "<b>Refund</b> please", "<script>alert('refund')</script> now")
    with read_session(desk.url) as session:
        row = tickets.list_tickets(session, desk.admin, TicketFilter(search="refunding", statuses=()))
    shown = {r.number: r for r in row.rows}[number]
    assert "".join(piece.text for piece in shown.subject_pieces) == "<b>Refund</b> please"
    assert [piece.text for piece in shown.subject_pieces if piece.hit] == ["Refund"]
    assert "".join(piece.text for piece in shown.snippet) == "<script>alert('refund')</script> now"
    assert [piece.text for piece in shown.snippet if piece.hit] == ["refund"]


def test_a_pasted_ticket_id_still_narrows_to_the_ticket(desk):
    assert found(desk, desk.customer, "TKT-000003") == [3]
    assert found(desk, desk.other_customer, "TKT-000003") == []


@pytest.mark.parametrize("words", ["a" * 100_000, "refund " * 20_000, "\x00 *\"' NEAR( AND OR NOT ^", ":* & | !"])
def test_absurd_searches_answer_without_an_error(desk, words):
    assert isinstance(found(desk, desk.admin, words), list)
    assert isinstance(found(desk, desk.customer, words), list)
    with read_session(desk.url) as session:
        assert tickets.count_tickets(session, desk.admin, TicketFilter(search=words)) is not None


def test_the_index_is_written_in_the_actions_transaction(any_world):
    world = any_world
    with pytest.raises(RuntimeError), write_session(world.url) as session:
        number = tickets.create_ticket(
            session, world.customer, "Zeppelin crash", world.departments["Support"], "low", "The zeppelin fell."
        ).number
        # inside the transaction the ticket is already findable
        page = tickets.list_tickets(session, world.admin, TicketFilter(search="zeppelin"))
        assert [row.number for row in page.rows] == [number]
        raise RuntimeError("the action fails after writing")
    assert found(world, world.admin, "zeppelin") == []
    with read_session(world.url) as session:
        assert session.exec(select(MessageSearch)).all() == []

    number = open_ticket(world, world.customer, "Zeppelin crash", "The zeppelin fell.")
    with pytest.raises(RuntimeError), write_session(world.url) as session:
        tickets.post_reply(session, world.admin, number, "Hindenburg records checked.")
        raise RuntimeError("the reply fails after writing")
    assert found(world, world.admin, "hindenburg") == []
    reply(world, world.admin, number, "Hindenburg records checked.")
    assert found(world, world.admin, "hindenburg") == [number]
    with read_session(world.url) as session:
        assert len(session.exec(select(MessageSearch)).all()) == 2
        if session.get_bind().dialect.name == "sqlite":
            # the rolled-back reply left no words behind; the subject is indexed with each message
            fts_count = "SELECT count(*) FROM message_fts WHERE message_fts MATCH :word"
            assert session.execute(text(fts_count), {"word": "hindenburg"}).scalar_one() == 1
            assert session.execute(text(fts_count), {"word": "zeppelin"}).scalar_one() == 2


# --- The team's list -------------------------------------------------------------------------


def numbers(world, user, after=None, **filters) -> list[int]:
    with read_session(world.url) as session:
        return [row.number for row in tickets.list_tickets(session, user, TicketFilter(**filters), after=after).rows]


def test_waiting_on_team_sorts_and_count(any_world):
    world = any_world
    with write_session(world.url) as session:
        for i, priority in enumerate(["low", "urgent", "medium", "urgent", "high"]):
            tickets.create_ticket(
                session, world.customer, f"Ticket {i}", world.departments["Support"], priority, "Hello there", now=at(i)
            )
    reply(world, world.admin, 2, "Answered by us.", when=at(10))
    reply(world, world.admin, 4, "Answered by us.", when=at(11))
    reply(world, world.customer, 4, "But it still fails.", when=at(12))

    assert numbers(world, world.admin) == [4, 2, 5, 3, 1]
    assert numbers(world, world.admin, waiting_on_team=True) == [4, 5, 3, 1]
    assert numbers(world, world.customer, waiting_on_team=True) == [4, 2, 5, 3, 1]  # not a customer's filter
    assert numbers(world, world.admin, sort="created") == [5, 4, 3, 2, 1]
    assert numbers(world, world.admin, sort="priority") == [4, 2, 5, 3, 1]
    # keyset pages in every order
    for sort in ("activity", "created", "priority"):
        with read_session(world.url) as session:
            first = tickets.list_tickets(session, world.admin, TicketFilter(sort=sort), limit=2)
            second = tickets.list_tickets(
                session, world.admin, TicketFilter(sort=sort), after=first.next_cursor, limit=2
            )
            third = tickets.list_tickets(
                session, world.admin, TicketFilter(sort=sort), after=second.next_cursor, limit=2
            )
        assert [r.number for p in (first, second, third) for r in p.rows] == numbers(world, world.admin, sort=sort)
        assert (first.first, second.first, third.first, third.next_cursor) == (1, 3, 5, None)
    with read_session(world.url) as session:
        assert tickets.count_tickets(session, world.admin) == 5
        assert tickets.count_tickets(session, world.admin, TicketFilter(waiting_on_team=True)) == 4
        assert tickets.count_tickets(session, world.other_customer) == 0


def test_the_count_says_many_past_its_cap(world, monkeypatch):
    open_ticket(world, world.customer, "One", "First ticket.")
    open_ticket(world, world.customer, "Two", "Second ticket.")
    monkeypatch.setattr(tickets, "COUNT_CAP", 1)
    with read_session(world.url) as session:
        assert tickets.count_tickets(session, world.admin) is None
        assert tickets.count_tickets(session, world.customer, TicketFilter(search="second")) == 1


# --- Unread ----------------------------------------------------------------------------------


def unread_numbers(world, user) -> list[int]:
    with read_session(world.url) as session:
        rows = tickets.list_tickets(session, user, TicketFilter(statuses=())).rows
    return [row.number for row in rows if row.unread]


def open_it(world, user, number) -> bool:
    with write_session(world.url) as session:
        return unread.mark_ticket_seen(session, user, number)


def test_unread_is_per_person_until_they_open_the_ticket(any_world):
    world = any_world
    first = open_ticket(world, world.customer, "Printer is smoking", "Smoke everywhere.", when=at(1))
    second = open_ticket(world, world.customer, "Another thing", "Hello there.", when=at(2))
    assert unread_numbers(world, world.customer) == []  # their own writing is not news
    assert unread_numbers(world, world.admin) == [second, first]
    assert unread_numbers(world, world.support_staff) == [second, first]

    assert open_it(world, world.admin, first) is True
    assert open_it(world, world.admin, first) is False  # already seen: nothing written
    assert unread_numbers(world, world.admin) == [second]
    assert unread_numbers(world, world.support_staff) == [second, first]

    reply(world, world.support_staff, first, "We are on our way.", when=at(3))
    assert unread_numbers(world, world.customer) == [first]
    assert unread_numbers(world, world.support_staff) == [second]
    assert unread_numbers(world, world.admin) == [first, second]  # a colleague's reply is news too
    with read_session(world.url) as session:
        assert tickets.count_unread(session, world.admin) == 2
        assert tickets.count_unread(session, world.customer) == 1
    open_it(world, world.customer, first)
    assert unread_numbers(world, world.customer) == []


def test_opening_another_persons_ticket_is_refused(world):
    number = open_ticket(world, world.customer, "Mine", "Only mine.")
    from xobito_web.services.errors import NotFound

    with pytest.raises(NotFound), write_session(world.url) as session:
        unread.mark_ticket_seen(session, world.other_customer, number)


# --- The list screen -------------------------------------------------------------------------


@pytest.mark.usefixtures("app_database")
def test_the_list_screen_shows_count_unread_title_and_refuses_a_long_search(world):
    number = open_ticket(world, world.customer, "Printer is smoking", "Smoke comes out of the tray.")
    reply(world, world.customer, number, "The tray is hot now.")
    tab = open_tab(TicketListState, "/acme/tickets", cookie_of(world, "admin@acme.example.com"))
    load(tab)
    delta = sent(tab)
    assert delta[var("count_label")] == "1–1 of 1"
    assert delta[var("unread_count")] == 1
    assert delta[var("tab_title")] == "(1) Tickets"
    assert [(row["ref"], row["unread"], row["customer_name"]) for row in delta[var("rows")]] == [
        ("TKT-000001", True, "Customer")
    ]
    run(event_fn(TicketListState.submit_search)(tab, {"q": "x" * 100_000}))
    assert tab.search_error == search.TOO_LONG


def test_a_team_search_past_its_candidates_counts_many(any_world, monkeypatch):
    world = any_world
    for i in range(3):
        open_ticket(world, world.customer, f"Printer {i}", "The printer smokes.", when=at(i))
    monkeypatch.setattr(search, "CANDIDATES", 2)
    with read_session(world.url) as session:
        assert tickets.count_tickets(session, world.admin, TicketFilter(search="printer")) is None
        assert tickets.count_tickets(session, world.customer, TicketFilter(search="printer")) == 3
        assert tickets.count_tickets(session, world.admin, TicketFilter(search="printer 1")) == 1
        page = tickets.list_tickets(session, world.admin, TicketFilter(search="printer"))
    assert [row.number for row in page.rows] == [3, 2]  # the newest two matches, ranked


def test_a_team_search_on_postgresql_ranks_the_newest_window_then_everything(pg_world, monkeypatch):
    """At scale the team's PostgreSQL search first reads only the newest messages (the window);
    here the window is made two messages wide."""
    world = pg_world
    open_ticket(world, world.customer, "Old toner", "The printer smokes, an old rarity.", when=at(0))  # 1
    for i in range(5):
        open_ticket(world, world.customer, f"Printer {i}", "The printer smokes.", when=at(i + 1))  # 2..6
    with write_session(world.url) as session:
        session.execute(text("ANALYZE message_search"))
    monkeypatch.setattr(search, "MIN_WINDOW", 1)
    # six messages, and PostgreSQL's estimate for any word of them is one: a window of two
    monkeypatch.setattr(search, "WINDOW_MATCHES", 0.34)
    monkeypatch.setattr(search, "ENOUGH_MATCHES", 2)
    for words in ("printer", "printer smokes"):
        assert found(world, world.admin, words) == [6, 5]
        with read_session(world.url) as session:
            assert tickets.count_tickets(session, world.admin, TicketFilter(search=words)) is None
    assert found(world, world.admin, "rarity") == [1]  # not in the window: then every message
    monkeypatch.setattr(search, "ENOUGH_MATCHES", 3)  # the window holds too few: everything
    assert sorted(found(world, world.admin, "printer")) == [1, 2, 3, 4, 5, 6]
    with read_session(world.url) as session:
        assert tickets.count_tickets(session, world.admin, TicketFilter(search="printer smokes")) == 6
