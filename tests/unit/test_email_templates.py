"""What each notification email says, in its plain-text part and its HTML part, to a member of
the team and to a customer (templates under xobito_web/templates/email/, rendered by
notifications.compose).

The texts are written out in full: they are what the recipient reads.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

from tests.unit.email_html import HtmlBlocks
from xobito_web.services import notifications
from xobito_web.services.notifications import Recipient

LINK = "https://help.example.org/acme/tickets/TKT-000042"
TEAM = Recipient(user_id=2, email="sue@acme.example.com", name="Sue Support", is_team=True)
CUSTOMER = Recipient(user_id=4, email="carol@customer.example.com", name="Carol Customer", is_team=False)
# User text with markup, an entity, template syntax and a blank line: shown as typed, never run.
MESSAGE = "It smokes <b>a lot</b> & {{ 7*7 }} {% if x %}\n\nSecond paragraph."


def compose(event: str, recipient: Recipient, **changes) -> notifications.Content:
    details: dict[str, Any] = {
        "actor_name": "Ada Admin",
        "ref": "TKT-000042",
        "subject": "Printer is on fire",
        "status": "open",
        "old_status": None,
        "priority": "urgent",
        "department": "Support",
        "department_changed": False,
        "assignee_name": "Sue Support",
        "text": "",
        "link": LINK,
        "workspace_name": "Acme Inc.",
        "to_assignee": False,
        "attachments": (),
    }
    details.update(changes)
    return notifications.compose(event, recipient=recipient, **details)


MARKUP = {"html", "head", "meta", "body", "p", "strong", "blockquote", "br", "ul", "li", "table", "tr", "th", "td", "a"}


def facts(status: str, recipient: Recipient) -> list[tuple[str, str]]:
    rows = [
        ("th", "Ticket"),
        ("td", "TKT-000042 Printer is on fire"),
        ("th", "Status"),
        ("td", status),
        ("th", "Department"),
        ("td", "Support"),
        ("th", "Priority"),
        ("td", "Urgent"),
    ]
    return [*rows, ("th", "Assignee"), ("td", "Sue Support")] if recipient.is_team else rows


def ending() -> list[tuple[str, str]]:
    return [
        ("a", "Open the ticket TKT-000042"),
        ("p", "Open the ticket TKT-000042"),
        ("p", "Xobito tickets · Acme Inc."),
    ]


# --- ticket created ----------------------------------------------------------------------

CREATED = {"actor_name": "Carol Customer", "text": MESSAGE, "attachments": ("smoke <1>.jpg", "log.txt")}


def test_ticket_created_to_the_team():
    content = compose("ticket_created", TEAM, **CREATED)
    assert content.subject == "[TKT-000042] Printer is on fire"
    assert content.text == (
        "Hello Sue Support,\n"
        "\n"
        "Carol Customer opened a new ticket in Support.\n"
        "\n"
        "Message:\n"
        "\n"
        "> It smokes <b>a lot</b> & {{ 7*7 }} {% if x %}\n"
        ">\n"
        "> Second paragraph.\n"
        "\n"
        "Attachments (open the ticket to download them):\n"
        "  - smoke <1>.jpg\n"
        "  - log.txt\n"
        "\n"
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Open\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "Assignee:   Sue Support\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    page = HtmlBlocks(content.html)
    assert page.blocks == [
        ("p", "Hello Sue Support,"),
        ("p", "Carol Customer opened a new ticket in Support."),
        ("p", "Message:"),
        ("blockquote", "It smokes <b>a lot</b> & {{ 7*7 }} {% if x %}\n\nSecond paragraph."),
        ("p", "Attachments (open the ticket to download them):"),
        ("li", "smoke <1>.jpg"),
        ("li", "log.txt"),
        *facts("Open", TEAM),
        *ending(),
    ]
    assert page.tags <= MARKUP and "b" not in page.tags
    assert page.hrefs == [LINK]


def test_ticket_created_to_a_customer_hides_the_assignee():
    content = compose("ticket_created", CUSTOMER, **CREATED)
    assert content.text.startswith("Hello Carol Customer,\n\nCarol Customer opened a new ticket in Support.\n")
    assert content.text.endswith(
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Open\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    assert "Assignee" not in content.text and "Sue Support" not in content.text
    page = HtmlBlocks(content.html)
    assert page.blocks[0] == ("p", "Hello Carol Customer,")
    assert page.blocks[-11:] == [*facts("Open", CUSTOMER), *ending()]
    assert "Assignee" not in content.html and "Sue Support" not in content.html


# --- reply posted ------------------------------------------------------------------------


def test_customer_reply_to_the_team():
    content = compose("reply_posted", TEAM, actor_name="Carol Customer", old_status="open", text=MESSAGE)
    assert content.text == (
        "Hello Sue Support,\n"
        "\n"
        "Carol Customer replied to the ticket.\n"
        "\n"
        "Reply:\n"
        "\n"
        "> It smokes <b>a lot</b> & {{ 7*7 }} {% if x %}\n"
        ">\n"
        "> Second paragraph.\n"
        "\n"
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Open\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "Assignee:   Sue Support\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    page = HtmlBlocks(content.html)
    assert page.blocks == [
        ("p", "Hello Sue Support,"),
        ("p", "Carol Customer replied to the ticket."),
        ("p", "Reply:"),
        ("blockquote", "It smokes <b>a lot</b> & {{ 7*7 }} {% if x %}\n\nSecond paragraph."),
        *facts("Open", TEAM),
        *ending(),
    ]
    assert page.tags <= MARKUP


def test_team_reply_that_answers_the_ticket_to_the_customer():
    content = compose(
        "reply_posted",
        CUSTOMER,
        actor_name="Sue Support",
        status="answered",
        old_status="open",
        text="We sent a technician.",
        attachments=("report.pdf",),
    )
    assert content.text == (
        "Hello Carol Customer,\n"
        "\n"
        "Sue Support replied to the ticket. Its status is now Answered.\n"
        "\n"
        "Reply:\n"
        "\n"
        "> We sent a technician.\n"
        "\n"
        "Attachments (open the ticket to download them):\n"
        "  - report.pdf\n"
        "\n"
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Answered\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    page = HtmlBlocks(content.html)
    assert page.blocks == [
        ("p", "Hello Carol Customer,"),
        ("p", "Sue Support replied to the ticket. Its status is now Answered."),
        ("p", "Reply:"),
        ("blockquote", "We sent a technician."),
        ("p", "Attachments (open the ticket to download them):"),
        ("li", "report.pdf"),
        *facts("Answered", CUSTOMER),
        *ending(),
    ]
    assert "Assignee" not in content.html


def test_a_reply_that_keeps_the_status_does_not_mention_it():
    content = compose(
        "reply_posted", CUSTOMER, actor_name="Sue", status="answered", old_status="answered", text="More."
    )
    assert "Sue replied to the ticket.\n" in content.text and "Its status is now" not in content.text
    assert ("p", "Sue replied to the ticket.") in HtmlBlocks(content.html).blocks


# --- status changed ----------------------------------------------------------------------


def test_customer_closing_to_the_team():
    content = compose("status_changed", TEAM, actor_name="Carol Customer", status="closed", old_status="answered")
    assert content.text == (
        "Hello Sue Support,\n"
        "\n"
        "Carol Customer closed the ticket.\n"
        "\n"
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Closed\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "Assignee:   Sue Support\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    page = HtmlBlocks(content.html)
    assert page.blocks == [
        ("p", "Hello Sue Support,"),
        ("p", "Carol Customer closed the ticket."),
        *facts("Closed", TEAM),
        *ending(),
    ]


def test_team_closing_to_the_customer_quotes_nothing():
    # A status change carries no message even when the caller passes text along.
    content = compose(
        "status_changed", CUSTOMER, actor_name="Sue Support", status="closed", old_status="open", text=MESSAGE
    )
    assert content.text == (
        "Hello Carol Customer,\n"
        "\n"
        "Sue Support closed the ticket.\n"
        "\n"
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Closed\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    page = HtmlBlocks(content.html)
    assert page.blocks == [
        ("p", "Hello Carol Customer,"),
        ("p", "Sue Support closed the ticket."),
        *facts("Closed", CUSTOMER),
        *ending(),
    ]
    assert "blockquote" not in page.tags


def test_a_status_change_other_than_closing_names_the_new_status():
    content = compose("status_changed", CUSTOMER, actor_name="Sue", status="answered", old_status="open")
    assert "Sue changed the status of the ticket to Answered.\n" in content.text
    assert ("p", "Sue changed the status of the ticket to Answered.") in HtmlBlocks(content.html).blocks


# --- ticket assigned ---------------------------------------------------------------------


def test_assigned_to_a_team_member_in_another_department():
    content = compose("ticket_assigned", TEAM, to_assignee=True, department_changed=True, text=MESSAGE)
    assert content.text == (
        "Hello Sue Support,\n"
        "\n"
        "Ada Admin assigned the ticket to you in the Support department.\n"
        "\n"
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Open\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "Assignee:   Sue Support\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    page = HtmlBlocks(content.html)
    assert page.blocks == [
        ("p", "Hello Sue Support,"),
        ("p", "Ada Admin assigned the ticket to you in the Support department."),
        *facts("Open", TEAM),
        *ending(),
    ]
    same_department = compose("ticket_assigned", TEAM, to_assignee=True)
    assert "Ada Admin assigned the ticket to you.\n" in same_department.text
    assert ("p", "Ada Admin assigned the ticket to you.") in HtmlBlocks(same_department.html).blocks


def test_moved_to_a_department_to_its_staff():
    content = compose("ticket_assigned", TEAM, department_changed=True, assignee_name="")
    assert "Ada Admin moved the ticket to the Support department.\n" in content.text
    assert "Assignee:   Unassigned\n" in content.text
    page = HtmlBlocks(content.html)
    assert page.blocks[1] == ("p", "Ada Admin moved the ticket to the Support department.")
    assert page.blocks[10:12] == [("th", "Assignee"), ("td", "Unassigned")]


def test_assignment_wording_to_a_customer_hides_the_assignee():
    content = compose("ticket_assigned", CUSTOMER, department_changed=True)
    assert content.text == (
        "Hello Carol Customer,\n"
        "\n"
        "Ada Admin moved the ticket to the Support department.\n"
        "\n"
        "Ticket:     TKT-000042 Printer is on fire\n"
        "Status:     Open\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )
    page = HtmlBlocks(content.html)
    assert page.blocks == [
        ("p", "Hello Carol Customer,"),
        ("p", "Ada Admin moved the ticket to the Support department."),
        *facts("Open", CUSTOMER),
        *ending(),
    ]


# --- escaping and safety -----------------------------------------------------------------


@pytest.mark.parametrize("event", notifications.EVENTS)
@pytest.mark.parametrize("recipient", [TEAM, CUSTOMER], ids=["team", "customer"])
def test_every_value_is_text_in_the_html_part(event, recipient):
    hostile = '<img src=x onerror="alert(1)">'
    content = compose(
        event,
        Recipient(recipient.user_id, recipient.email, f"Eve {hostile}", recipient.is_team),
        actor_name=f"Mal {hostile}",
        subject=f"Subject {hostile}",
        department=f"Dept {hostile}",
        assignee_name=f"Sam {hostile}",
        text=f"Body {hostile}",
        workspace_name=f"Acme {hostile}",
        attachments=(f"file {hostile}.txt",),
        link=f'{LINK}?x="><script>alert(1)</script>',
        to_assignee=True,
    )
    page = HtmlBlocks(content.html)
    assert page.tags <= MARKUP  # no img, no script: every value stayed text
    assert "<img" not in content.html and "<script" not in content.html
    assert page.hrefs == [f'{LINK}?x="><script>alert(1)</script>']  # the link stays one attribute
    assert ("p", f"Hello Eve {hostile},") in page.blocks
    assert f"Hello Eve {hostile}," in content.text  # the text part keeps it as typed


@pytest.mark.parametrize("event", notifications.EVENTS)
def test_the_actor_name_is_one_line_in_every_event(event):
    content = compose(event, TEAM, actor_name="Mal\r\nBcc: evil@example.com", to_assignee=True, text="Hello there")
    assert "Mal Bcc: evil@example.com " in content.text
    assert "\nBcc:" not in content.text
    assert compose(event, TEAM, actor_name=" \n ").text.split("\n")[2].startswith("Someone ")


def test_an_unknown_event_is_refused():
    with pytest.raises(ValueError, match="unknown notification event 'ticket_deleted'"):
        compose("ticket_deleted", TEAM)


def test_every_event_has_both_templates_in_the_package():
    folder = resources.files("xobito_web") / "templates" / "email"
    for event in notifications.EVENTS:
        assert (folder / f"{event}.txt").is_file(), event
        assert (folder / f"{event}.html").is_file(), event
