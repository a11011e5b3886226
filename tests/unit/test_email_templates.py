"""What each notification email says, in its plain-text part and its HTML part, to a member of
the team and to a customer (templates under xobito_web/templates/email/, rendered by
notifications.compose).

The texts are written out in full: they are what the recipient reads. Only the ending every email
shares (the ticket's facts, the link, the signature) is written once, for each part.
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


def text_ending(status: str, recipient: Recipient) -> str:
    """How every plain-text part ends: the ticket's facts, the link and the signature."""
    assignee = "Assignee:   Sue Support\n" if recipient.is_team else ""
    return (
        "Ticket:     TKT-000042 Printer is on fire\n"
        f"Status:     {status}\n"
        "Department: Support\n"
        "Priority:   Urgent\n"
        f"{assignee}"
        "\n"
        f"Open the ticket: {LINK}\n"
        "\n"
        "-- \n"
        "Xobito tickets · Acme Inc.\n"
    )


def ending() -> list[tuple[str, str]]:
    return [
        ("a", "Open the ticket TKT-000042"),
        ("p", "Open the ticket TKT-000042"),
        ("p", "Xobito tickets · Acme Inc."),
    ]


# --- every email in full -----------------------------------------------------------------

CREATED = {"actor_name": "Carol Customer", "text": MESSAGE, "attachments": ("smoke <1>.jpg", "log.txt")}
QUOTED = ("blockquote", "It smokes <b>a lot</b> & {{ 7*7 }} {% if x %}\n\nSecond paragraph.")
# What differs from compose()'s defaults, then the plain-text part and the HTML part as read.
EMAILS = [
    pytest.param(
        "ticket_created",
        TEAM,
        CREATED,
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
        "\n" + text_ending("Open", TEAM),
        [
            ("p", "Hello Sue Support,"),
            ("p", "Carol Customer opened a new ticket in Support."),
            ("p", "Message:"),
            QUOTED,
            ("p", "Attachments (open the ticket to download them):"),
            ("li", "smoke <1>.jpg"),
            ("li", "log.txt"),
            *facts("Open", TEAM),
            *ending(),
        ],
        id="ticket created, to the team",
    ),
    pytest.param(
        "ticket_created",
        CUSTOMER,
        CREATED,
        "Hello Carol Customer,\n"
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
        "\n" + text_ending("Open", CUSTOMER),
        [
            ("p", "Hello Carol Customer,"),
            ("p", "Carol Customer opened a new ticket in Support."),
            ("p", "Message:"),
            QUOTED,
            ("p", "Attachments (open the ticket to download them):"),
            ("li", "smoke <1>.jpg"),
            ("li", "log.txt"),
            *facts("Open", CUSTOMER),
            *ending(),
        ],
        id="ticket created, to a customer: no assignee",
    ),
    pytest.param(
        "reply_posted",
        TEAM,
        {"actor_name": "Carol Customer", "old_status": "open", "text": MESSAGE},
        "Hello Sue Support,\n"
        "\n"
        "Carol Customer replied to the ticket.\n"
        "\n"
        "Reply:\n"
        "\n"
        "> It smokes <b>a lot</b> & {{ 7*7 }} {% if x %}\n"
        ">\n"
        "> Second paragraph.\n"
        "\n" + text_ending("Open", TEAM),
        [
            ("p", "Hello Sue Support,"),
            ("p", "Carol Customer replied to the ticket."),
            ("p", "Reply:"),
            QUOTED,
            *facts("Open", TEAM),
            *ending(),
        ],
        id="a customer's reply, to the team",
    ),
    pytest.param(
        "reply_posted",
        CUSTOMER,
        {
            "actor_name": "Sue Support",
            "status": "answered",
            "old_status": "open",
            "text": "We sent a technician.",
            "attachments": ("report.pdf",),
        },
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
        "\n" + text_ending("Answered", CUSTOMER),
        [
            ("p", "Hello Carol Customer,"),
            ("p", "Sue Support replied to the ticket. Its status is now Answered."),
            ("p", "Reply:"),
            ("blockquote", "We sent a technician."),
            ("p", "Attachments (open the ticket to download them):"),
            ("li", "report.pdf"),
            *facts("Answered", CUSTOMER),
            *ending(),
        ],
        id="the team's reply that answers the ticket, to the customer",
    ),
    pytest.param(
        "status_changed",
        TEAM,
        {"actor_name": "Carol Customer", "status": "closed", "old_status": "answered"},
        "Hello Sue Support,\n\nCarol Customer closed the ticket.\n\n" + text_ending("Closed", TEAM),
        [("p", "Hello Sue Support,"), ("p", "Carol Customer closed the ticket."), *facts("Closed", TEAM), *ending()],
        id="a customer closing, to the team",
    ),
    pytest.param(
        "status_changed",
        CUSTOMER,
        # A status change carries no message even when the caller passes text along.
        {"actor_name": "Sue Support", "status": "closed", "old_status": "open", "text": MESSAGE},
        "Hello Carol Customer,\n\nSue Support closed the ticket.\n\n" + text_ending("Closed", CUSTOMER),
        [
            ("p", "Hello Carol Customer,"),
            ("p", "Sue Support closed the ticket."),
            *facts("Closed", CUSTOMER),
            *ending(),
        ],
        id="the team closing, to the customer: no message quoted",
    ),
    pytest.param(
        "ticket_assigned",
        TEAM,
        {"to_assignee": True, "department_changed": True, "text": MESSAGE},
        "Hello Sue Support,\n"
        "\n"
        "Ada Admin assigned the ticket to you in the Support department.\n"
        "\n" + text_ending("Open", TEAM),
        [
            ("p", "Hello Sue Support,"),
            ("p", "Ada Admin assigned the ticket to you in the Support department."),
            *facts("Open", TEAM),
            *ending(),
        ],
        id="assigned to a team member in another department",
    ),
    pytest.param(
        "ticket_assigned",
        CUSTOMER,
        {"department_changed": True},
        "Hello Carol Customer,\n"
        "\n"
        "Ada Admin moved the ticket to the Support department.\n"
        "\n" + text_ending("Open", CUSTOMER),
        [
            ("p", "Hello Carol Customer,"),
            ("p", "Ada Admin moved the ticket to the Support department."),
            *facts("Open", CUSTOMER),
            *ending(),
        ],
        id="moved to another department, to the customer: no assignee",
    ),
]


@pytest.mark.parametrize(("event", "recipient", "changes", "text", "blocks"), EMAILS)
def test_the_whole_email(event, recipient, changes, text, blocks):
    content = compose(event, recipient, **changes)
    assert content.subject == "[TKT-000042] Printer is on fire"
    assert content.text == text
    page = HtmlBlocks(content.html)
    assert page.blocks == blocks
    assert page.tags <= MARKUP and "b" not in page.tags  # the message's own markup stayed text
    assert page.hrefs == [LINK]
    # Only a new ticket and a reply quote a message, whatever text the caller passes along.
    assert ("blockquote" in page.tags) == (event in ("ticket_created", "reply_posted"))
    if not recipient.is_team:  # the assignee (Sue Support) is named only where she is the one acting
        assert "Assignee" not in content.html
        assert ("Sue Support" in content.html) == (changes.get("actor_name") == "Sue Support")


# --- the headline of each event, in both parts --------------------------------------------


@pytest.mark.parametrize(
    ("event", "recipient", "changes", "headline"),
    [
        pytest.param(
            "reply_posted",
            CUSTOMER,
            {"actor_name": "Sue", "status": "answered", "old_status": "answered", "text": "More."},
            "Sue replied to the ticket.",
            id="a reply that keeps the status does not mention it",
        ),
        pytest.param(
            "status_changed",
            CUSTOMER,
            {"actor_name": "Sue", "status": "answered", "old_status": "open"},
            "Sue changed the status of the ticket to Answered.",
            id="a status change other than closing names the new status",
        ),
        pytest.param(
            "ticket_assigned",
            TEAM,
            {"to_assignee": True},
            "Ada Admin assigned the ticket to you.",
            id="assigned in the same department",
        ),
        pytest.param(
            "ticket_assigned",
            TEAM,
            {"department_changed": True, "assignee_name": ""},
            "Ada Admin moved the ticket to the Support department.",
            id="moved to a department, to its staff",
        ),
    ],
)
def test_the_headline_says_what_happened(event, recipient, changes, headline):
    content = compose(event, recipient, **changes)
    assert content.text.startswith(f"Hello {recipient.name},\n\n{headline}\n\n")
    assert "Its status is now" not in content.text  # none of these changed the status with a reply
    assert HtmlBlocks(content.html).blocks[:2] == [("p", f"Hello {recipient.name},"), ("p", headline)]


def test_a_ticket_nobody_is_assigned_to_says_so_to_the_team():
    content = compose("ticket_assigned", TEAM, department_changed=True, assignee_name="")
    assert "Assignee:   Unassigned\n" in content.text
    assert HtmlBlocks(content.html).blocks[10:12] == [("th", "Assignee"), ("td", "Unassigned")]


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
