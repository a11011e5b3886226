"""Tickets: lifecycle, visibility, input limits, the list (order, paging, filters) and the thread.

Every test reads back what was stored or what the user would see; the PostgreSQL variants run
the same checks where the two databases differ (case-insensitive search, LIKE escaping,
timestamp precision in the paging keyset).
"""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, update
from sqlmodel import col, select

from xobito_web.db import get_engine, read_session, write_session
from xobito_web.models import Reply, Ticket
from xobito_web.services import tickets
from xobito_web.services.errors import Conflict, InvalidInput, NotFound
from xobito_web.services.tickets import PAGE_SIZE, TicketFilter

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BODY = "The printer on the second floor smokes."
ALL_STATUSES = ()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- helpers: one transaction each, like one user action ---------------------------------


def open_ticket(
    world, user=None, subject="Printer is on fire", department="Support", priority="medium", body=BODY, when=None
):
    user = user or world.customer
    departments = world.departments if user.workspace_id == world.customer.workspace_id else world.foreign_departments
    department_id = departments[department] if isinstance(department, str) and department in departments else department
    with write_session(world.url) as session:
        created = tickets.create_ticket(session, user, subject, department_id, priority, body, now=when)
    return view(world, user, created.number)


def reply(world, user, number, body="Thanks, we are looking into it.", when=None):
    with write_session(world.url) as session:
        tickets.post_reply(session, user, number, body, now=when)
    return view(world, user, number)


def close(world, user, number):
    with write_session(world.url) as session:
        tickets.close_ticket(session, user, number)
    return view(world, user, number)


def view(world, user, number):
    with read_session(world.url) as session:
        return tickets.get_ticket(session, user, number)


def page(world, user, after=None, limit=PAGE_SIZE, **filters):
    with read_session(world.url) as session:
        return tickets.list_tickets(session, user, TicketFilter(**filters), after=after, limit=limit)


def listed(world, user, **filters) -> list[int]:
    """Ticket numbers over all pages, in list order."""
    numbers, cursor = [], None
    while True:
        result = page(world, user, after=cursor, **filters)
        numbers += [row.number for row in result.rows]
        if result.next_cursor is None:
            return numbers
        cursor = result.next_cursor


def find(world, user, text):
    with read_session(world.url) as session:
        return tickets.find_ticket_number(session, user, text)


def stored(world, number, workspace_id=None) -> Ticket:
    workspace_id = workspace_id or world.customer.workspace_id
    with read_session(world.url) as session:
        return session.exec(select(Ticket).where(Ticket.workspace_id == workspace_id, Ticket.number == number)).one()


def stored_replies(world, number) -> list[Reply]:
    ticket_id = stored(world, number).id
    with read_session(world.url) as session:
        return list(session.exec(select(Reply).where(col(Reply.ticket_id) == ticket_id).order_by(col(Reply.id))).all())


def ticket_count(world) -> int:
    with read_session(world.url) as session:
        return session.exec(select(func.count()).select_from(Ticket)).one()


def assign(world, number, assignee):
    with write_session(world.url) as session:
        session.exec(
            update(Ticket)
            .where(Ticket.workspace_id == world.customer.workspace_id, Ticket.number == number)
            .values(assignee_id=assignee.user_id if assignee else None)
        )


# --- creating ------------------------------------------------------------------------------


def test_a_new_ticket_is_open_and_waits_on_the_team(world):
    created = open_ticket(world, subject="  Printer is on fire  ", priority="high", body=f"\n  {BODY}  \n", when=at(0))

    row = stored(world, created.number)
    assert (row.number, row.subject, row.body) == (1, "Printer is on fire", BODY)
    assert (row.status, row.priority, row.department_id) == ("open", "high", world.departments["Support"])
    assert row.customer_id == world.customer.user_id and row.assignee_id is None
    assert row.created_at == row.last_reply_at == at(0)
    assert row.last_message_by_team is False

    assert created.ref == "TKT-000001"
    assert (created.status, created.waiting_on, created.department) == ("open", "team", "Support")
    assert created.can_reply and created.can_close
    assert created.customer_name == "Customer" and created.assignee_name == ""
    assert [(m.id, m.author_name, m.author_role, m.is_team, m.body) for m in created.messages] == [
        (0, "Customer", "customer", False, BODY)
    ]


def test_without_a_time_the_ticket_is_stamped_now(world):
    before = datetime.now(UTC)
    created = open_ticket(world)
    after = datetime.now(UTC)
    assert before <= stored(world, created.number).created_at <= after
    assert created.created_at == created.last_reply_at


@pytest.mark.parametrize("who", ["admin", "sales_staff", "support_staff"])
def test_only_customers_open_tickets(world, who):
    with pytest.raises(Conflict) as caught:
        open_ticket(world, user=getattr(world, who))
    assert caught.value.message == "Only customers open tickets."
    assert ticket_count(world) == 0


@pytest.mark.parametrize(
    ("subject", "error"),
    [
        ("ab", "The subject must be at least 3 characters."),
        ("  ab  ", "The subject must be at least 3 characters."),
        ("a" * 201, "The subject must be at most 200 characters."),
        ("   ", "The subject is required."),
        ("", "The subject is required."),
        (None, "The subject is required."),
        ("two\nlines", "The subject must be a single line of text."),
        ("nul\x00byte", "The subject must be a single line of text."),
    ],
)
def test_subject_out_of_limits_is_refused_and_nothing_is_stored(world, subject, error):
    with pytest.raises(InvalidInput) as caught:
        open_ticket(world, subject=subject)
    assert (caught.value.message, caught.value.field) == (error, "subject")
    assert ticket_count(world) == 0


@pytest.mark.parametrize("subject", ["abc", "a" * 200, "  " + "a" * 200 + "  "])
def test_subject_within_limits_is_stored_trimmed(world, subject):
    created = open_ticket(world, subject=subject)
    assert stored(world, created.number).subject == subject.strip() == created.subject


# Shared by create (the original message) and reply.
MESSAGE_REFUSED = [
    ("abcd", "The message must be at least 5 characters."),
    ("  abcd \n ", "The message must be at least 5 characters."),
    ("a" * 2001, "The message must be at most 2000 characters."),
    ("   \n\t  ", "The message is required."),
    ("", "The message is required."),
    (None, "The message is required."),
    ("hello\x00world", "The message contains a character that is not allowed."),
]
MESSAGE_ACCEPTED = [
    ("abcde", "abcde"),
    ("a" * 2000, "a" * 2000),
    ("  " + "a" * 2000 + "\n\n", "a" * 2000),
    ("  first line\n\n  second line  ", "first line\n\n  second line"),
    ("windows\r\nline\rbreaks", "windows\nline\nbreaks"),
]


@pytest.mark.parametrize(("body", "error"), MESSAGE_REFUSED)
def test_ticket_body_out_of_limits_is_refused_and_nothing_is_stored(world, body, error):
    with pytest.raises(InvalidInput) as caught:
        open_ticket(world, body=body)
    assert (caught.value.message, caught.value.field) == (error, "body")
    assert ticket_count(world) == 0


@pytest.mark.parametrize(("body", "kept"), MESSAGE_ACCEPTED)
def test_ticket_body_within_limits_is_stored_trimmed_with_inner_newlines(world, body, kept):
    created = open_ticket(world, body=body)
    assert stored(world, created.number).body == kept == created.messages[0].body


@pytest.mark.parametrize(("body", "error"), MESSAGE_REFUSED)
def test_reply_out_of_limits_is_refused_and_nothing_is_stored(world, body, error):
    number = open_ticket(world, when=at(0)).number
    with pytest.raises(InvalidInput) as caught:
        reply(world, world.admin, number, body, when=at(1))
    assert (caught.value.message, caught.value.field) == (error, "body")
    assert stored_replies(world, number) == []
    row = stored(world, number)
    assert (row.status, row.last_reply_at, row.last_message_by_team) == ("open", at(0), False)


@pytest.mark.parametrize(("body", "kept"), MESSAGE_ACCEPTED)
def test_reply_within_limits_is_stored_trimmed_with_inner_newlines(world, body, kept):
    number = open_ticket(world).number
    result = reply(world, world.customer, number, body)
    assert [r.body for r in stored_replies(world, number)] == [kept]
    assert result.messages[-1].body == kept


@pytest.mark.parametrize("department", ["", "   ", None])
def test_a_department_is_required(world, department):
    with pytest.raises(InvalidInput) as caught:
        open_ticket(world, department=department)
    assert (caught.value.message, caught.value.field) == ("The department is required.", "department")
    assert ticket_count(world) == 0


@pytest.mark.parametrize("department", [0, -1, 999_999, "abc", "1.5", 2**40, True])
def test_an_unknown_department_is_refused(world, department):
    with pytest.raises(InvalidInput) as caught:
        open_ticket(world, department=department)
    assert (caught.value.message, caught.value.field) == ("Choose one of the departments in the list.", "department")
    assert ticket_count(world) == 0


def test_a_department_of_another_workspace_is_refused(world):
    with pytest.raises(InvalidInput) as caught:
        open_ticket(world, department=world.foreign_departments["Support"])
    assert caught.value.field == "department"
    assert ticket_count(world) == 0


def test_the_department_may_come_as_text_from_a_form(world):
    created = open_ticket(world, department=f" {world.departments['Billing']} ")
    assert stored(world, created.number).department_id == world.departments["Billing"]
    assert created.department == "Billing"


@pytest.mark.parametrize(
    ("priority", "kept"),
    [("", "medium"), (None, "medium"), ("low", "low"), (" High ", "high"), ("URGENT", "urgent"), ("medium", "medium")],
)
def test_priority_defaults_to_medium(world, priority, kept):
    created = open_ticket(world, priority=priority)
    assert stored(world, created.number).priority == kept == created.priority


@pytest.mark.parametrize("priority", ["critical", "normal", "1"])
def test_an_unknown_priority_is_refused(world, priority):
    with pytest.raises(InvalidInput) as caught:
        open_ticket(world, priority=priority)
    assert (caught.value.message, caught.value.field) == (
        "The priority must be Low, Medium, High or Urgent.",
        "priority",
    )
    assert ticket_count(world) == 0


def test_html_and_sql_looking_input_is_stored_verbatim(any_world):
    world = any_world
    subject = """<b>Hi</b> & "quotes" '; DROP TABLE ticket; --"""
    body = "<script>alert('x')</script>\nRobert'); DROP TABLE ticket;-- 100% _done_ \\o/"
    answer = "<img src=x onerror=alert(1)> ' OR '1'='1"
    number = open_ticket(world, subject=subject, body=body).number
    reply(world, world.admin, number, answer)

    row = stored(world, number)
    assert (row.subject, row.body) == (subject, body)
    assert [r.body for r in stored_replies(world, number)] == [answer]
    shown = view(world, world.customer, number)
    assert (shown.subject, [m.body for m in shown.messages]) == (subject, [body, answer])
    assert listed(world, world.admin, search="<b>Hi</b> DROP") == [number]
    assert listed(world, world.admin, search="' OR 1=1 --") == []


def test_unicode_is_counted_by_characters_and_kept(world):
    subject = "Café ☕ 🖨️"
    body = "日本語です"  # five characters
    created = open_ticket(world, subject=subject, body=body)
    row = stored(world, created.number)
    assert (row.subject, row.body) == (subject, body)


# --- status lifecycle ------------------------------------------------------------------


def _ticket_in(world, status):
    """A Support ticket of `world.customer` in the given status, last touched at minute 1."""
    number = open_ticket(world, when=at(0)).number
    if status == "answered":
        reply(world, world.admin, number, "We are on it, hold on.", when=at(1))
    assert stored(world, number).status == status
    return number


@pytest.mark.parametrize(
    ("start", "who", "expected"),
    [
        ("open", "admin", "answered"),
        ("open", "support_staff", "answered"),
        ("answered", "admin", "answered"),
        ("answered", "support_staff", "answered"),
        ("open", "customer", "open"),
        ("answered", "customer", "answered"),
    ],
)
def test_reply_moves_the_status_as_the_lifecycle_says(world, start, who, expected):
    number = _ticket_in(world, start)
    user = getattr(world, who)
    replies_before = len(stored_replies(world, number))

    result = reply(world, user, number, "Here is some more detail.", when=at(5))

    row = stored(world, number)
    by_team = who != "customer"
    assert row.status == expected == result.status
    assert row.last_reply_at == at(5) == result.last_reply_at
    assert row.last_message_by_team is by_team
    assert result.waiting_on == ("customer" if by_team else "team")
    replies = stored_replies(world, number)
    assert len(replies) == replies_before + 1
    assert (replies[-1].author_id, replies[-1].body, replies[-1].created_at) == (
        user.user_id,
        "Here is some more detail.",
        at(5),
    )


@pytest.mark.parametrize("start", ["open", "answered"])
@pytest.mark.parametrize("who", ["customer", "admin", "support_staff"])
def test_either_party_closes_an_open_or_answered_ticket(world, start, who):
    number = _ticket_in(world, start)
    replies_before = len(stored_replies(world, number))

    result = close(world, getattr(world, who), number)

    row = stored(world, number)
    assert row.status == "closed" == result.status
    assert row.last_reply_at == at(1 if start == "answered" else 0)  # closing is not a reply
    assert len(stored_replies(world, number)) == replies_before
    assert (result.can_reply, result.can_close, result.waiting_on) == (False, False, "")
    assert view(world, world.customer, number).status == "closed"


@pytest.mark.parametrize("who", ["customer", "admin", "support_staff"])
@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("reply", "This ticket is closed. Open a new ticket instead."),
        ("reply-too-short", "This ticket is closed. Open a new ticket instead."),
        ("close", "This ticket is already closed."),
    ],
)
def test_a_closed_ticket_refuses_everything_and_stores_nothing(world, who, action, message):
    number = _ticket_in(world, "answered")
    close(world, world.customer, number)
    before = stored(world, number)
    user = getattr(world, who)

    with pytest.raises(Conflict) as caught:
        if action == "close":
            close(world, user, number)
        else:
            reply(world, user, number, "Is it fixed?" if action == "reply" else "no", when=at(9))

    assert caught.value.message == message
    after = stored(world, number)
    assert (after.status, after.last_reply_at, after.last_message_by_team) == (
        "closed",
        before.last_reply_at,
        before.last_message_by_team,
    )
    assert [r.body for r in stored_replies(world, number)] == ["We are on it, hold on."]


def test_a_whole_conversation(any_world):
    world = any_world
    number = open_ticket(world, when=at(0)).number
    assert view(world, world.support_staff, number).waiting_on == "team"
    assert reply(world, world.customer, number, "Anyone there?", when=at(1)).status == "open"
    answered = reply(world, world.support_staff, number, "Yes, a technician is coming.", when=at(2))
    assert (answered.status, answered.waiting_on) == ("answered", "customer")
    followed_up = reply(world, world.customer, number, "He has not come yet.", when=at(3))
    assert (followed_up.status, followed_up.waiting_on) == ("answered", "team")
    closed = close(world, world.admin, number)
    assert (closed.status, closed.can_reply, closed.can_close) == ("closed", False, False)
    with pytest.raises(Conflict, match=re.escape(tickets.TICKET_CLOSED)):
        reply(world, world.customer, number, "One more thing.")
    assert [m.body for m in view(world, world.customer, number).messages] == [
        BODY,
        "Anyone there?",
        "Yes, a technician is coming.",
        "He has not come yet.",
    ]


# --- the thread ------------------------------------------------------------------------


def test_the_thread_is_the_body_then_replies_in_order_with_authors(world):
    number = open_ticket(world, when=at(0)).number
    reply(world, world.support_staff, number, "First from staff.", when=at(1))
    reply(world, world.customer, number, "Then the customer.", when=at(2))
    reply(world, world.admin, number, "Same minute, first.", when=at(3))
    reply(world, world.customer, number, "Same minute, second.", when=at(3))

    thread = view(world, world.admin, number).messages
    replies = stored_replies(world, number)
    assert [m.id for m in thread] == [0] + [r.id for r in replies]
    assert [(m.author_name, m.author_role, m.is_team, m.body, m.created_at) for m in thread] == [
        ("Customer", "customer", False, BODY, at(0)),
        ("Support Staff", "staff", True, "First from staff.", at(1)),
        ("Customer", "customer", False, "Then the customer.", at(2)),
        ("Admin", "admin", True, "Same minute, first.", at(3)),
        ("Customer", "customer", False, "Same minute, second.", at(3)),
    ]
    assert all(m.attachments == () for m in thread)


def test_the_view_header(world):
    number = open_ticket(world, subject="Need a bigger plan", department="Sales", priority="urgent", when=at(0)).number
    assign(world, number, world.support_staff)
    reply(world, world.admin, number, "Let us talk about it.", when=at(4))

    shown = view(world, world.customer, number)
    assert (shown.number, shown.ref, shown.subject) == (number, "TKT-000001", "Need a bigger plan")
    assert (shown.status, shown.priority, shown.waiting_on) == ("answered", "urgent", "customer")
    assert (shown.department_id, shown.department) == (world.departments["Sales"], "Sales")
    assert (shown.customer_name, shown.assignee_name) == ("Customer", "")  # customers are not told
    assert view(world, world.admin, number).assignee_name == "Support Staff"
    assert (shown.created_at, shown.last_reply_at) == (at(0), at(4))
    assert shown.can_reply and shown.can_close


def test_customers_are_not_told_who_is_assigned_in_the_list(world):
    number = open_ticket(world).number
    assign(world, number, world.support_staff)
    assert [row.assignee_name for row in page(world, world.customer).rows] == [""]
    assert [row.assignee_name for row in page(world, world.support_staff).rows] == ["Support Staff"]


# --- visibility --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("customer", True),  # the owner
        ("other_customer", False),
        ("support_staff", True),  # staff of the ticket's department
        ("sales_staff", False),  # staff of another department
        ("admin", True),
        ("foreign_admin", False),  # another workspace
        ("foreign_customer", False),
    ],
)
def test_who_sees_a_support_ticket(world, who, sees):
    number = open_ticket(world, department="Support", when=at(0)).number
    user = getattr(world, who)

    assert listed(world, user, statuses=ALL_STATUSES) == ([number] if sees else [])
    assert find(world, user, tickets.format_ref(number)) == (number if sees else None)
    if sees:
        assert view(world, user, number).number == number
        reply(world, user, number, "I can write here.", when=at(1))
        assert [r.author_id for r in stored_replies(world, number)] == [user.user_id]
        close(world, user, number)
        assert stored(world, number).status == "closed"
    else:
        for act in (
            lambda: view(world, user, number),
            lambda: reply(world, user, number, "Sneaking in."),
            lambda: close(world, user, number),
        ):
            with pytest.raises(NotFound):
                act()
        row = stored(world, number)
        assert (row.status, row.last_reply_at) == ("open", at(0))
        assert stored_replies(world, number) == []


def test_staff_see_tickets_assigned_to_them_in_another_department(world):
    number = open_ticket(world, department="Support").number
    assert listed(world, world.sales_staff) == []

    assign(world, number, world.sales_staff)
    assert listed(world, world.sales_staff) == [number]
    assert listed(world, world.sales_staff, assigned_to_me=True) == [number]
    assert view(world, world.sales_staff, number).assignee_name == "Sales Staff"
    assert reply(world, world.sales_staff, number, "Taking this one.").status == "answered"

    assign(world, number, None)
    assert listed(world, world.sales_staff) == []
    with pytest.raises(NotFound):
        view(world, world.sales_staff, number)


def test_the_same_number_in_two_workspaces_never_mixes(any_world):
    world = any_world
    ours = open_ticket(world, subject="Acme ticket").number
    theirs = open_ticket(world, user=world.foreign_customer, subject="Other ticket").number
    assert ours == theirs == 1

    assert view(world, world.admin, 1).subject == "Acme ticket"
    assert view(world, world.foreign_admin, 1).subject == "Other ticket"
    assert view(world, world.foreign_customer, 1).subject == "Other ticket"
    with pytest.raises(NotFound):
        view(world, world.customer, 2)
    assert [row.subject for row in page(world, world.foreign_admin).rows] == ["Other ticket"]
    assert [row.subject for row in page(world, world.admin).rows] == ["Acme ticket"]

    reply(world, world.foreign_admin, 1, "Answer in other.")
    assert stored(world, 1).status == "open"  # acme's #1 is untouched
    assert stored(world, 1, world.foreign_admin.workspace_id).status == "answered"


def test_visibility_on_postgresql_too(pg_world):
    world = pg_world
    support = open_ticket(world, department="Support").number
    sales = open_ticket(world, user=world.other_customer, department="Sales").number
    billing = open_ticket(world, department="Billing").number
    assign(world, billing, world.sales_staff)

    expected = {
        "customer": {support, billing},
        "other_customer": {sales},
        "support_staff": {support},
        "sales_staff": {sales, billing},
        "admin": {support, sales, billing},
        "foreign_admin": set(),
        "foreign_customer": set(),
    }
    for who, numbers in expected.items():
        user = getattr(world, who)
        assert set(listed(world, user)) == numbers, who
        for number in {support, sales, billing} - numbers:
            with pytest.raises(NotFound):
                view(world, user, number)


def test_a_missing_ticket_is_not_found(any_world):
    world = any_world
    open_ticket(world)
    for number in (2, 0, -1, 2**31, 2**40, True, "1", None):
        for act in (view, close, lambda w, u, n: reply(w, u, n, "Hello there.")):
            with pytest.raises(NotFound):
                act(world, world.admin, number)
    assert stored(world, 1).status == "open" and stored_replies(world, 1) == []


# --- find by pasted ID -------------------------------------------------------------------


def test_find_ticket_number_jumps_only_to_a_visible_ticket(world):
    number = open_ticket(world).number
    close(world, world.customer, number)  # the jump ignores the list filters

    assert find(world, world.customer, " tkt-1 ") == number
    assert find(world, world.admin, "TKT-000001") == number
    assert find(world, world.other_customer, "TKT-000001") is None
    assert find(world, world.foreign_admin, "TKT-000001") is None
    assert find(world, world.admin, "TKT-000002") is None
    assert find(world, world.admin, "printer") is None
    assert find(world, world.admin, "") is None


# --- list order and paging ---------------------------------------------------------------


def test_newest_activity_first_and_a_reply_moves_a_ticket_to_the_top(world):
    first = open_ticket(world, when=at(1)).number
    second = open_ticket(world, when=at(2)).number
    third = open_ticket(world, when=at(3)).number
    assert listed(world, world.admin) == [third, second, first]

    reply(world, world.support_staff, first, when=at(4))
    assert listed(world, world.admin) == [first, third, second]
    reply(world, world.customer, second, when=at(5))
    assert listed(world, world.customer) == [second, first, third]


def test_equal_activity_times_list_the_later_ticket_first(world):
    numbers = [open_ticket(world, when=at(1)).number for _ in range(3)]
    assert listed(world, world.admin) == numbers[::-1]


def test_list_rows_carry_what_the_table_shows(world):
    number = open_ticket(
        world, user=world.other_customer, subject="Upgrade our plan", department="Sales", priority="low", when=at(0)
    ).number
    assign(world, number, world.support_staff)
    reply(world, world.admin, number, "Which plan would you like?", when=at(3))

    [row] = page(world, world.admin).rows
    assert row == tickets.TicketRow(
        number=number,
        ref="TKT-000001",
        subject="Upgrade our plan",
        department="Sales",
        priority="low",
        status="answered",
        last_reply_at=at(3),
        created_at=at(0),
        waiting_on="customer",
        customer_name="Other Customer",
        assignee_name="Support Staff",
    )

    close(world, world.other_customer, number)
    [row] = page(world, world.admin, statuses=ALL_STATUSES).rows
    assert (row.status, row.waiting_on) == ("closed", "")


@pytest.mark.usefixtures("no_flood_limits")  # 60 tickets by one customer in 30 minutes
def test_sixty_tickets_page_as_25_25_10_with_no_duplicate_or_gap(any_world):
    world = any_world
    with write_session(world.url) as session:
        for i in range(60):
            # Pairs share a time, so a page boundary falls between two equal times.
            tickets.create_ticket(
                session, world.customer, f"Ticket {i}", world.departments["Support"], "", BODY, now=at(i // 2)
            )

    sizes, numbers, cursor = [], [], None
    for _ in range(3):
        result = page(world, world.support_staff, after=cursor)
        sizes.append(len(result.rows))
        numbers += [row.number for row in result.rows]
        cursor = result.next_cursor
    assert sizes == [25, 25, 10]
    assert cursor is None
    assert numbers == list(range(60, 0, -1))


@pytest.mark.usefixtures("no_flood_limits")  # 25 tickets by one customer in 25 minutes
def test_a_full_last_page_has_no_next_cursor(world):
    for i in range(PAGE_SIZE):
        open_ticket(world, when=at(i))
    result = page(world, world.admin)
    assert len(result.rows) == PAGE_SIZE and result.next_cursor is None


def test_a_smaller_page_size_and_its_bounds(world):
    for i in range(7):
        open_ticket(world, when=at(i))
    first = page(world, world.admin, limit=3)
    second = page(world, world.admin, after=first.next_cursor, limit=3)
    third = page(world, world.admin, after=second.next_cursor, limit=3)
    assert [[r.number for r in p.rows] for p in (first, second, third)] == [[7, 6, 5], [4, 3, 2], [1]]
    assert third.next_cursor is None
    assert len(page(world, world.admin, limit=0).rows) == 1
    assert len(page(world, world.admin, limit=10_000).rows) == 7


def test_a_cursor_written_with_another_utc_offset_still_pages_correctly(world):
    for i in range(4):
        open_ticket(world, when=at(i))
    first = page(world, world.admin, limit=2)
    stamp, ticket_id = first.next_cursor.split("|")
    shifted = datetime.fromisoformat(stamp).astimezone(datetime.fromisoformat("2026-01-01T00:00:00+02:00").tzinfo)
    again = page(world, world.admin, after=f"{shifted.isoformat()}|{ticket_id}", limit=2)
    assert [r.number for r in again.rows] == [2, 1]


@pytest.mark.parametrize(
    "cursor",
    [
        None,
        "",
        "garbage",
        "|",
        "2026-01-05T09:03:00+00:00",
        "2026-01-05T09:03:00+00:00|",
        "2026-01-05T09:03:00+00:00|abc",
        "2026-01-05T09:03:00+00:00|-3",
        "2026-01-05T09:03:00+00:00|99999999999999999999",
        "2026-01-05T09:03:00|3",  # no offset: not one of ours
        "2026-13-45T09:03:00+00:00|3",
        "nonsense|3",
        "2026-01-05T09:03:00+00:00|3|4",
        "x" * 10_000,
        "2026-01-05T09:03:00+00:00|" + "9" * 5000,
    ],
)
def test_a_malformed_cursor_starts_from_the_first_page(world, cursor):
    for i in range(4):
        open_ticket(world, when=at(i))
    result = page(world, world.admin, after=cursor)
    assert [r.number for r in result.rows] == [4, 3, 2, 1]


@pytest.mark.usefixtures("no_flood_limits")  # 15 tickets per customer in 30 minutes
def test_listing_a_page_is_one_query(world):
    for i in range(PAGE_SIZE + 5):
        number = open_ticket(world, user=world.customer if i % 2 else world.other_customer, when=at(i)).number
        if i % 3 == 0:
            assign(world, number, world.sales_staff)
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = get_engine(world.url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = page(world, world.support_staff)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(result.rows) == PAGE_SIZE
    assert {r.assignee_name for r in result.rows} == {"", "Sales Staff"}
    assert len(statements) == 1


# --- filters -----------------------------------------------------------------------------


@pytest.fixture
def mixed(world):
    return _mixed(world)


@pytest.fixture
def pg_mixed(pg_world):
    return _mixed(pg_world)


def _mixed(world):
    """Six acme tickets, numbered 1..6, in every status, priority and department."""
    open_ticket(world, subject="Printer on fire", department="Support", priority="urgent", when=at(1))
    open_ticket(world, subject="Invoice is wrong", department="Billing", priority="high", when=at(2))
    reply(world, world.admin, 2, "We will correct it.", when=at(2.5))
    open_ticket(world, subject="Printer paper jam", department="Support", priority="low", when=at(3))
    close(world, world.customer, 3)
    open_ticket(world, user=world.other_customer, subject="Upgrade our plan", department="Sales", when=at(4))
    assign(world, 4, world.support_staff)
    open_ticket(world, subject="Refund for invoice 50%", department="Billing", priority="urgent", when=at(5))
    reply(world, world.admin, 5, "Refund is on its way.", when=at(5.5))
    open_ticket(world, subject="user_name field broken", department="Support", when=at(6))
    return world


def matches(world, user=None, **filters) -> set[int]:
    return set(listed(world, user or world.admin, **filters))


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (tickets.DEFAULT_STATUSES, {1, 2, 4, 5, 6}),
        ((), {1, 2, 3, 4, 5, 6}),
        (("closed",), {3}),
        (("open",), {1, 4, 6}),
        (("answered",), {2, 5}),
        (("open", "closed"), {1, 3, 4, 6}),
        (("Answered",), {2, 5}),
        (("bogus", "open"), {1, 4, 6}),  # the unknown value is dropped
        (("bogus",), {1, 2, 3, 4, 5, 6}),  # nothing known left: no status filter
        ("open", {1, 4, 6}),  # one value straight from a URL
    ],
)
def test_status_filter(mixed, statuses, expected):
    assert matches(mixed, statuses=statuses) == expected


def test_the_default_filter_is_open_and_answered(mixed):
    with read_session(mixed.url) as session:
        default = tickets.list_tickets(session, mixed.admin)
    assert {row.number for row in default.rows} == {1, 2, 4, 5, 6}


@pytest.mark.parametrize(
    ("priorities", "expected"),
    [
        (("urgent",), {1, 5}),
        (("high", "urgent"), {1, 2, 5}),
        (("medium",), {4, 6}),
        (("low",), set()),  # the low one is closed
        (("critical",), {1, 2, 4, 5, 6}),
    ],
)
def test_priority_filter(mixed, priorities, expected):
    assert matches(mixed, priorities=priorities) == expected


def test_department_filter(mixed):
    departments = mixed.departments
    assert matches(mixed, department_ids=(departments["Support"],)) == {1, 6}
    assert matches(mixed, department_ids=(departments["Sales"], departments["Billing"])) == {2, 4, 5}
    assert matches(mixed, department_ids=(str(departments["Billing"]),)) == {2, 5}
    assert matches(mixed, department_ids=(mixed.foreign_departments["Support"],)) == set()
    assert matches(mixed, department_ids=("nope",)) == {1, 2, 4, 5, 6}


@pytest.mark.parametrize(
    ("search", "statuses", "expected"),
    [
        ("printer", tickets.DEFAULT_STATUSES, {1}),
        ("printer", (), {1, 3}),
        ("PRINTER Fire", (), {1}),
        ("fire printer", (), {1}),
        ("  printer   jam ", (), {3}),
        ("invoice", (), {2, 5}),
        ("INVOICE", (), {2, 5}),
        ("voice", (), {2, 5}),  # a word may be part of a longer one
        ("50%", (), {5}),
        ("%", (), {5}),  # the LIKE wildcard is a literal here
        ("_", (), {6}),
        ("user_name", (), {6}),
        ("username", (), set()),
        ("printer invoice", (), set()),  # every word must appear
        ("no-such-words", (), set()),
        ("' OR 1=1 --", (), set()),
        ("\\", (), set()),
        ("TKT-000002", (), {2}),
        (" tkt-2 ", (), {2}),
        ("TKT000004", (), {4}),
        ("TKT-000003", tickets.DEFAULT_STATUSES, set()),  # a closed one still obeys the status filter
        ("TKT-000003", (), {3}),
        ("TKT-000099", (), set()),
        ("", (), {1, 2, 3, 4, 5, 6}),
        ("   ", (), {1, 2, 3, 4, 5, 6}),
    ],
)
def test_search(mixed, search, statuses, expected):
    assert matches(mixed, search=search, statuses=statuses) == expected


def test_search_by_id_respects_visibility(mixed):
    assert matches(mixed, mixed.customer, search="TKT-000004") == set()
    assert matches(mixed, mixed.other_customer, search="TKT-000004") == {4}


def test_assigned_to_me(mixed):
    assert matches(mixed, mixed.support_staff, assigned_to_me=True) == {4}
    assert matches(mixed, mixed.admin, assigned_to_me=True) == set()
    assert matches(mixed, mixed.customer, assigned_to_me=True) == set()
    assign(mixed, 1, mixed.admin)
    assert matches(mixed, mixed.admin, assigned_to_me=True) == {1}


def test_filters_combine_with_and(mixed):
    departments = mixed.departments
    assert matches(mixed, priorities=("urgent",), department_ids=(departments["Billing"],)) == {5}
    assert matches(mixed, search="invoice", priorities=("high",)) == {2}
    assert matches(mixed, search="printer", statuses=("closed",), department_ids=(departments["Support"],)) == {3}
    assert matches(mixed, search="printer", statuses=("open",), priorities=("low",)) == set()
    assert matches(mixed, mixed.support_staff, assigned_to_me=True, search="plan", statuses=("open",)) == {4}
    assert matches(mixed, mixed.support_staff, assigned_to_me=True, search="printer") == set()
    assert matches(mixed, mixed.customer, statuses=(), priorities=("urgent", "low")) == {1, 3, 5}


def test_filters_apply_within_what_the_user_may_see(mixed):
    assert matches(mixed, mixed.customer, statuses=()) == {1, 2, 3, 5, 6}
    assert matches(mixed, mixed.other_customer, statuses=()) == {4}
    assert matches(mixed, mixed.support_staff, statuses=()) == {1, 3, 4, 6}
    assert matches(mixed, mixed.sales_staff, statuses=()) == {4}
    assert matches(mixed, mixed.foreign_admin, statuses=()) == set()


def test_filters_and_search_on_postgresql(pg_mixed):
    world = pg_mixed
    assert matches(world) == {1, 2, 4, 5, 6}
    assert matches(world, statuses=("closed",)) == {3}
    assert matches(world, search="PRINTER Fire") == {1}
    assert matches(world, search="invoice", statuses=()) == {2, 5}
    assert matches(world, search="%", statuses=()) == {5}
    assert matches(world, search="_", statuses=()) == {6}
    assert matches(world, search="\\", statuses=()) == set()
    assert matches(world, search="TKT-000003", statuses=()) == {3}
    assert matches(world, priorities=("urgent",), department_ids=(world.departments["Billing"],)) == {5}
    assert matches(world, world.support_staff, assigned_to_me=True) == {4}


def test_a_reply_racing_a_close_waits_and_is_refused_on_postgresql(pg_world):
    world = pg_world
    number = open_ticket(world).number
    outcome = {}

    def late_reply():
        try:
            reply(world, world.customer, number, "Wait, one more thing!")
        except Conflict as error:
            outcome["refused"] = error.message

    with write_session(world.url) as session:
        tickets.close_ticket(session, world.admin, number)
        racer = threading.Thread(target=late_reply)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive()  # blocked on the ticket's row lock until the close commits
    racer.join(timeout=30)
    assert outcome == {"refused": "This ticket is closed. Open a new ticket instead."}
    assert stored(world, number).status == "closed"
    assert stored_replies(world, number) == []
