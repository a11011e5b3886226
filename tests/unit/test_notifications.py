"""Email notifications: who gets an email for each event, and what it says.

Each test acts through the services (one transaction per action, like the app) and reads back
the OutboxEmail rows that the action queued in its own transaction.
"""

import dataclasses
import email
from email import policy

import pytest
from sqlalchemy import delete, update
from sqlmodel import col, select

from tests.unit.email_html import HtmlBlocks
from xobito_web import config
from xobito_web.db import read_session, write_session
from xobito_web.models import DepartmentMember, OutboxEmail, User
from xobito_web.services import assignment, notifications, tickets, workspaces
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import InvalidInput

BODY = "The printer on the second floor smokes."
ADMIN = "admin@acme.example.com"
SAM = "sam@acme.example.com"  # staff, Sales
SUE = "sue@acme.example.com"  # staff, Support
CAROL = "carol@customer.example.com"  # customer
PASSWORD = "correct horse battery"


# --- helpers -----------------------------------------------------------------------------


def open_ticket(world, user=None, subject="Printer is on fire", department="Support", body=BODY):
    user = user or world.customer
    with write_session(world.url) as session:
        return tickets.create_ticket(session, user, subject, world.departments[department], "high", body).number


def reply(world, user, number, body="Thanks, we are looking into it."):
    with write_session(world.url) as session:
        return tickets.post_reply(session, user, number, body)


def close(world, user, number):
    with write_session(world.url) as session:
        return tickets.close_ticket(session, user, number)


def assign(world, number, department=None, assignee=None, actor=None):
    department_id = world.departments[department] if department else None
    with write_session(world.url) as session:
        return assignment.assign_ticket(session, actor or world.admin, number, department_id, assignee)


def user_id(world, address):
    with read_session(world.url) as session:
        return session.exec(select(User.id).where(User.email == address)).one()


def outbox(world, event=None) -> list[OutboxEmail]:
    with read_session(world.url) as session:
        query = select(OutboxEmail).order_by(col(OutboxEmail.id))
        if event:
            query = query.where(OutboxEmail.event == event)
        return list(session.exec(query).all())


def recipients(world, event=None) -> list[str]:
    return sorted(row.recipient for row in outbox(world, event))


def clear_outbox(world):
    with write_session(world.url) as session:
        session.exec(delete(OutboxEmail))


def deactivate(world, address):
    with write_session(world.url) as session:
        session.exec(update(User).where(User.email == address).values(active=False))


def add_person(world, address, role, departments=()) -> CurrentUser:
    with write_session(world.url) as session:
        workspace = workspaces.get_workspace(session, "acme")
        user = workspaces.create_user(
            session, workspace, address, address.split("@")[0].title(), role, PASSWORD, departments
        )
        return CurrentUser(user.id, workspace.id, "acme", workspace.name, user.name, user.email, user.role)


# --- ticket created ----------------------------------------------------------------------


def test_created_goes_to_admins_and_the_department_staff(world):
    number = open_ticket(world, department="Support")
    rows = outbox(world)
    assert sorted(row.recipient for row in rows) == [ADMIN, SUE]
    assert {row.event for row in rows} == {"ticket_created"}
    assert {row.status for row in rows} == {"queued"}
    assert {row.subject for row in rows} == {"[TKT-000001] Printer is on fire"}
    assert number == 1

    clear_outbox(world)
    open_ticket(world, subject="Quote please", department="Sales")
    assert recipients(world) == [ADMIN, SAM]

    clear_outbox(world)
    open_ticket(world, subject="Invoice copy", department="Billing")  # no staff in Billing
    assert recipients(world) == [ADMIN]


def test_created_body_has_who_what_the_message_and_the_link(world):
    open_ticket(world, body="Line one.\nLine two with <tags> & stuff.")
    row = next(row for row in outbox(world) if row.recipient == SUE)
    assert "Hello Support Staff," in row.body
    assert "Customer opened a new ticket in Support." in row.body
    assert "> Line one.\n> Line two with <tags> & stuff." in row.body
    assert "Status:     Open" in row.body
    assert "Priority:   High" in row.body
    assert "http://localhost:3000/acme/tickets/TKT-000001" in row.body
    assert row.ticket_id is not None and row.workspace_id == world.customer.workspace_id


def test_an_admin_who_is_also_in_the_department_gets_one_email(world):
    add_person(world, "boss@acme.example.com", "admin", ("Support",))
    open_ticket(world, department="Support")
    assert recipients(world) == [ADMIN, "boss@acme.example.com", SUE]


def test_a_second_workspace_never_hears_of_it(world):
    open_ticket(world)
    assert not {row.recipient for row in outbox(world)} & {"admin@other.example.com", "erin@customer.example.com"}
    clear_outbox(world)
    with write_session(world.url) as session:
        tickets.create_ticket(
            session, world.foreign_customer, "Elsewhere", world.foreign_departments["Sales"], "", BODY
        )
    assert recipients(world) == ["admin@other.example.com"]


# --- replies -----------------------------------------------------------------------------


def test_customer_reply_without_assignee_goes_to_admins_and_department_staff(world):
    number = open_ticket(world)
    clear_outbox(world)
    reply(world, world.customer, number, "Any news? It still smokes.")
    rows = outbox(world)
    assert sorted(row.recipient for row in rows) == [ADMIN, SUE]
    assert {row.event for row in rows} == {"reply_posted"}
    assert all("> Any news? It still smokes." in row.body for row in rows)
    assert all("Customer replied to the ticket." in row.body for row in rows)


def test_customer_reply_with_assignee_goes_to_the_assignee_only(world):
    number = open_ticket(world)
    assign(world, number, assignee=world.support_staff.user_id)
    clear_outbox(world)
    reply(world, world.customer, number, "Any news? It still smokes.")
    assert recipients(world) == [SUE]


def test_team_reply_that_answers_the_ticket_is_one_email_to_the_customer(world):
    number = open_ticket(world)
    clear_outbox(world)
    view = reply(world, world.support_staff, number, "We sent a technician.")
    assert view.status == "answered"
    rows = outbox(world)
    assert [(row.recipient, row.event) for row in rows] == [(CAROL, "reply_posted")]
    assert "Support Staff replied to the ticket. Its status is now Answered." in rows[0].body
    assert "> We sent a technician." in rows[0].body
    assert "Status:     Answered" in rows[0].body

    clear_outbox(world)
    reply(world, world.admin, number, "And a fire extinguisher.")  # Answered -> Answered
    rows = outbox(world)
    assert [row.recipient for row in rows] == [CAROL]
    assert "Its status is now" not in rows[0].body


def test_team_reply_on_an_assigned_ticket_still_goes_to_the_customer_only(world):
    number = open_ticket(world)
    assign(world, number, assignee=world.support_staff.user_id)
    clear_outbox(world)
    reply(world, world.admin, number, "Sue will be with you shortly.")
    assert recipients(world) == [CAROL]


def test_the_customer_is_not_told_who_the_assignee_is(world):
    number = open_ticket(world)
    assign(world, number, assignee=world.support_staff.user_id)
    clear_outbox(world)
    reply(world, world.support_staff, number, "We sent a technician.")
    (row,) = outbox(world)
    assert "Assignee" not in row.body and "Assignee" not in row.body_html
    clear_outbox(world)
    reply(world, world.customer, number, "Thanks, waiting for them.")
    (row,) = outbox(world)
    assert "Assignee:   Support Staff" in row.body


# --- status changes ----------------------------------------------------------------------


def test_customer_closing_tells_the_team_side(world):
    number = open_ticket(world)
    clear_outbox(world)
    close(world, world.customer, number)
    rows = outbox(world)
    assert sorted(row.recipient for row in rows) == [ADMIN, SUE]
    assert {row.event for row in rows} == {"status_changed"}
    assert all("Customer closed the ticket." in row.body and "Status:     Closed" in row.body for row in rows)


def test_customer_closing_an_assigned_ticket_tells_the_assignee(world):
    number = open_ticket(world)
    assign(world, number, assignee=world.admin.user_id)
    clear_outbox(world)
    close(world, world.customer, number)
    assert recipients(world) == [ADMIN]


def test_team_closing_tells_the_customer_only(world):
    number = open_ticket(world)
    clear_outbox(world)
    close(world, world.support_staff, number)
    assert [(row.recipient, row.event) for row in outbox(world)] == [(CAROL, "status_changed")]


# --- assignment --------------------------------------------------------------------------


def test_assigning_a_person_emails_that_person_only(world):
    number = open_ticket(world)
    clear_outbox(world)
    assign(world, number, assignee=world.support_staff.user_id)
    rows = outbox(world)
    assert [(row.recipient, row.event) for row in rows] == [(SUE, "ticket_assigned")]
    assert "Admin assigned the ticket to you." in rows[0].body
    assert rows[0].subject == "[TKT-000001] Printer is on fire"


def test_moving_to_a_department_without_a_person_emails_its_staff(world):
    number = open_ticket(world, department="Support")
    clear_outbox(world)
    assign(world, number, department="Sales")
    rows = outbox(world)
    assert [(row.recipient, row.event) for row in rows] == [(SAM, "ticket_assigned")]
    assert "Admin moved the ticket to the Sales department." in rows[0].body


def test_moving_with_a_person_emails_only_that_person(world):
    number = open_ticket(world, department="Support")
    clear_outbox(world)
    assign(world, number, department="Sales", assignee=world.sales_staff.user_id)
    rows = outbox(world)
    assert [row.recipient for row in rows] == [SAM]
    assert "assigned the ticket to you in the Sales department." in rows[0].body


def test_reassigning_tells_the_new_assignee_not_the_old_one(world):
    number = open_ticket(world)
    other_admin = add_person(world, "olga@acme.example.com", "admin")
    assign(world, number, assignee=world.support_staff.user_id)
    clear_outbox(world)
    assign(world, number, assignee=other_admin.user_id)
    assert recipients(world) == ["olga@acme.example.com"]


def test_the_actor_gets_no_email_for_assigning_or_taking(world):
    number = open_ticket(world)
    clear_outbox(world)
    assign(world, number, assignee=world.admin.user_id)  # the admin assigns themselves
    assert outbox(world) == []
    assign(world, number, assignee=world.support_staff.user_id)  # the same step for someone else emails them
    assert [(row.recipient, row.event) for row in outbox(world)] == [(SUE, "ticket_assigned")]
    clear_outbox(world)
    assign(world, number, assignee=None)  # unassigning without a move tells nobody
    assert outbox(world) == []
    with write_session(world.url) as session:
        assignment.take_ticket(session, world.support_staff, number)
    assert outbox(world) == []
    assign(world, number, assignee=world.support_staff.user_id)  # unchanged: nothing happens
    assert outbox(world) == []
    assign(world, number, department="Sales", assignee=world.sales_staff.user_id)  # a real change still emails
    assert recipients(world) == [SAM]


def test_the_actor_is_left_out_whatever_the_rule_says(world):
    """Direct check of the rule: an admin who acts never receives their own event."""
    number = open_ticket(world)
    with read_session(world.url) as session:
        ticket = session.exec(select(tickets.Ticket).where(tickets.Ticket.number == number)).one()
        found = notifications.recipients_for(session, "ticket_created", ticket, world.admin)
        assert [r.email for r in found] == [SUE]
        found = notifications.recipients_for(session, "ticket_created", ticket, world.support_staff)
        assert [r.email for r in found] == [ADMIN]


# --- inactive people ---------------------------------------------------------------------


def test_inactive_people_get_nothing(world):
    deactivate(world, SUE)
    number = open_ticket(world)
    assert recipients(world) == [ADMIN]
    clear_outbox(world)
    deactivate(world, CAROL)
    reply(world, world.admin, number, "We are on it.")
    assert outbox(world) == []


def test_an_inactive_assignee_falls_back_to_admins_and_department_staff(world):
    number = open_ticket(world)
    extra = add_person(world, "tom@acme.example.com", "staff", ("Support",))
    assign(world, number, assignee=extra.user_id)
    clear_outbox(world)
    deactivate(world, "tom@acme.example.com")
    reply(world, world.customer, number, "Hello, anyone there?")
    assert recipients(world) == [ADMIN, SUE]


# --- transaction -------------------------------------------------------------------------


def test_a_change_that_rolls_back_queues_nothing(world):
    with pytest.raises(RuntimeError, match="boom"), write_session(world.url) as session:
        tickets.create_ticket(session, world.customer, "Rolled back", world.departments["Support"], "", BODY)
        assert len(session.exec(select(OutboxEmail)).all()) == 2  # queued in this transaction
        raise RuntimeError("boom")
    assert outbox(world) == []

    number = open_ticket(world)
    clear_outbox(world)
    with pytest.raises(InvalidInput) as caught:
        reply(world, world.customer, number, "shrt")
    assert caught.value.field == "body"
    assert outbox(world) == []


# --- content -----------------------------------------------------------------------------


def test_subject_format_and_long_numbers():
    assert notifications.email_subject("TKT-000042", "Printer is on fire") == "[TKT-000042] Printer is on fire"
    assert notifications.email_subject("TKT-1234567", "x" * 400).startswith("[TKT-1234567] xxx")
    assert len(notifications.email_subject("TKT-000001", "x" * 400)) <= notifications.SUBJECT_MAX


def test_user_text_cannot_inject_headers():
    evil = "Hello\r\nBcc: evil@example.com\nX-Injected: yes\u2028Reply-To: evil@example.com"
    message = notifications.build_email(
        sender="Xobito <tickets@example.com>",
        recipient="carol@example.com",
        subject=notifications.email_subject("TKT-000001", evil),
        text=evil,
        html_body="<p>x</p>",
    )
    raw = bytes(message).decode()
    headers = raw.split("\n\n", 1)[0]
    assert message["Bcc"] is None and message["X-Injected"] is None and message["Reply-To"] is None
    assert "\nBcc:" not in headers and "\nX-Injected:" not in headers and "\nReply-To:" not in headers
    assert (
        str(message["Subject"]) == "[TKT-000001] Hello Bcc: evil@example.com X-Injected: yes Reply-To: evil@example.com"
    )
    parsed = email.message_from_string(raw, policy=policy.default)
    assert parsed.get_all("To") == ["carol@example.com"]
    assert parsed["Bcc"] is None
    # A recipient with a line break in it is refused outright.
    with pytest.raises(ValueError, match="addr_spec"):
        notifications.build_email(
            sender="tickets@example.com", recipient="a@example.com\r\nBcc: evil@example.com", subject="s", text="t"
        )


def test_html_alternative_escapes_everything(world):
    number = open_ticket(world, subject='<b>Bold</b> & "quoted"', body="<script>alert('x')</script>\nsecond line")
    row = next(row for row in outbox(world) if row.recipient == SUE)
    assert "<script>" not in row.body_html and "<b>Bold</b>" not in row.body_html
    page = HtmlBlocks(row.body_html)
    assert "script" not in page.tags and "b" not in page.tags  # the reader sees the characters, as text
    assert ("blockquote", "<script>alert('x')</script>\nsecond line") in page.blocks
    assert ("td", 'TKT-000001 <b>Bold</b> & "quoted"') in page.blocks
    assert page.hrefs == [f"http://localhost:3000/acme/tickets/TKT-{number:06d}"]
    # The plain text keeps the characters as typed.
    assert "> <script>alert('x')</script>" in row.body
    assert row.subject == '[TKT-000001] <b>Bold</b> & "quoted"'
    message = notifications.build_email(
        sender="t@example.com", recipient=row.recipient, subject=row.subject, text=row.body, html_body=row.body_html
    )
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_names_are_escaped_too(world):
    with write_session(world.url) as session:
        session.exec(update(User).where(col(User.email) == CAROL).values(name="<img src=x onerror=alert(1)>"))
    customer = dataclasses.replace(world.customer, name="<img src=x onerror=alert(1)>")
    open_ticket(world, user=customer)
    row = next(row for row in outbox(world) if row.recipient == SUE)
    assert "<img" not in row.body_html
    assert ("p", "<img src=x onerror=alert(1)> opened a new ticket in Support.") in HtmlBlocks(row.body_html).blocks


def test_link_uses_the_configured_base_url(world, monkeypatch):
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, base_url="https://help.example.org"))
    open_ticket(world)
    rows = outbox(world)
    assert sorted(row.recipient for row in rows) == [ADMIN, SUE]
    for row in rows:
        assert "Open the ticket: https://help.example.org/acme/tickets/TKT-000001" in row.body
        assert 'href="https://help.example.org/acme/tickets/TKT-000001"' in row.body_html
        assert "localhost:3000" not in row.body + row.body_html


def test_department_member_rows_of_other_departments_do_not_count(world):
    # Sam (Sales) joins Support too: now Sam hears of Support tickets, once.
    with write_session(world.url) as session:
        session.add(DepartmentMember(department_id=world.departments["Support"], user_id=user_id(world, SAM)))
    open_ticket(world, department="Support")
    assert recipients(world) == [ADMIN, SAM, SUE]


def test_attachment_names_are_listed_and_escaped(world, tmp_path, monkeypatch):
    from xobito_web.services import attachments

    monkeypatch.setenv("XOBITO_STORAGE_DIR", str(tmp_path / "storage"))
    with write_session(world.url) as session:
        number = tickets.create_ticket(
            session,
            world.customer,
            "Printer is on fire",
            world.departments["Support"],
            "",
            BODY,
            attachments=[attachments.stage_bytes("smoke <1>.txt", b"a lot of smoke\n")],
        ).number
    row = next(row for row in outbox(world) if row.recipient == SUE)
    assert "Attachments (open the ticket to download them):\n  - smoke <1>.txt" in row.body
    assert ("li", "smoke <1>.txt") in HtmlBlocks(row.body_html).blocks

    clear_outbox(world)
    with write_session(world.url) as session:
        tickets.post_reply(
            session,
            world.support_staff,
            number,
            "See the log.",
            attachments=[attachments.stage_bytes("log.txt", b"line\n")],
        )
    (row,) = outbox(world)
    assert "  - log.txt" in row.body and "smoke" not in row.body  # only this reply's files

    clear_outbox(world)
    reply(world, world.customer, number, "No files this time.")
    rows = outbox(world)
    assert sorted(row.recipient for row in rows) == [ADMIN, SUE]  # no assignee: admins + Support staff
    for row in rows:
        assert "Attachments" not in row.body and "<li>" not in row.body_html
