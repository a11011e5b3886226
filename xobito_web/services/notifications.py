"""Email notifications: who hears about a ticket event, and what the email says.

The rows are queued in the caller's transaction (the transactional outbox): a change that rolls
back queues nothing, one that commits has its emails safely stored. services/mailer.py
delivers them. Recipients follow docs/product.md "Email notifications":

| event            | sent to                                                                        |
| ---------------- | ------------------------------------------------------------------------------ |
| ticket_created   | admins + staff of the ticket's department                                      |
| reply_posted     | the other party: customer -> team side, team -> the customer                   |
| status_changed   | the other party, as for a reply                                                |
| ticket_assigned  | the new assignee; moved to a department without a person: that department's staff |

"Team side" is the assignee when there is one (and still active), else the admins and the staff
of the ticket's department. Every event sends one email per recipient (a team reply that also
moves Open -> Answered is ONE email), the person who acted gets none, inactive people get none,
and an address appears once per event whatever role it came from.

Each event is of one kind of email a person may switch off on their Profile (EmailOptOut rows,
read in the same recipients query): the team chooses new tickets, replies on tickets they handle
(a customer closing one included) and assignments; customers replies and status changes of their
tickets (`email_kind`).

Nothing here imports Reflex; header values are cleaned of line breaks and control characters
and built with the email package's header registry, so user text can never add a header.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import jinja2
from sqlalchemy import ColumnElement, Row, case, exists, insert, literal, or_
from sqlmodel import Session, col, select

from xobito_web import urls
from xobito_web.models import (
    DepartmentMember,
    EmailOptOut,
    OutboxEmail,
    Role,
    Status,
    Ticket,
    User,
    is_team_role,
    utcnow,
)
from xobito_web.services.access import TicketForChange
from xobito_web.services.auth import CurrentUser
from xobito_web.services.ids import format_ref

TICKET_CREATED = "ticket_created"
REPLY_POSTED = "reply_posted"
STATUS_CHANGED = "status_changed"
TICKET_ASSIGNED = "ticket_assigned"
EVENTS = (TICKET_CREATED, REPLY_POSTED, STATUS_CHANGED, TICKET_ASSIGNED)

# The kinds of email a person may switch off (Profile); the team's and the customers' differ.
NEW_TICKETS = "new_tickets"
REPLIES = "replies"
ASSIGNMENTS = "assignments"
STATUS_CHANGES = "status_changes"
TEAM_EMAIL_KINDS = (NEW_TICKETS, REPLIES, ASSIGNMENTS)
CUSTOMER_EMAIL_KINDS = (REPLIES, STATUS_CHANGES)


def email_kinds(role: str) -> tuple[str, ...]:
    """The kinds of email a person in `role` may receive (and switch off)."""
    return TEAM_EMAIL_KINDS if is_team_role(role) else CUSTOMER_EMAIL_KINDS


def email_kind(event: str, to_team: bool) -> str:
    """Which switch of the recipient's Profile decides whether `event` reaches them."""
    if event == TICKET_CREATED:
        return NEW_TICKETS
    if event == REPLY_POSTED:
        return REPLIES
    if event == STATUS_CHANGED:  # for the team, a customer closing a ticket they handle
        return REPLIES if to_team else STATUS_CHANGES
    if event == TICKET_ASSIGNED:
        return ASSIGNMENTS
    raise ValueError(f"unknown notification event {event!r}")


SUBJECT_MAX = 300  # OutboxEmail.subject
# Anything that could end or fold a header line, plus the other C0/C1 controls.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str
    is_team: bool


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    html: str


# --- Queueing ----------------------------------------------------------------------------


def queue_ticket_event(
    session: Session,
    event: str,
    change: TicketForChange,
    actor: CurrentUser,
    *,
    text: str = "",
    attachment_names: Sequence[str] = (),
    old_status: str | None = None,
    old_department_id: int | None = None,
    old_assignee_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue the emails of one event in the caller's transaction; returns how many.

    The action hands over what it holds: `change` is the changed (flushed) ticket with its
    names, `text` the new message (the ticket body or the reply), `attachment_names` its files.
    For "ticket_assigned", `old_department_id` and `old_assignee_id` tell what changed. Only
    the recipients are read here (one query).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    ticket = change.ticket
    recipients = recipients_for(
        session, event, ticket, actor, old_department_id=old_department_id, old_assignee_id=old_assignee_id
    )
    if not recipients:
        return 0
    now = now or utcnow()
    ref = format_ref(ticket.number)
    rows: list[dict[str, object]] = []
    for recipient in recipients:
        content = compose(
            event,
            recipient=recipient,
            actor_name=actor.name,
            ref=ref,
            subject=ticket.subject,
            status=ticket.status,
            old_status=old_status,
            priority=ticket.priority,
            department=change.department_name,
            department_changed=old_department_id is not None and old_department_id != ticket.department_id,
            assignee_name=change.assignee_name,
            text=text if event in (TICKET_CREATED, REPLY_POSTED) else "",
            link=urls.absolute(urls.ticket(actor.subdomain, ref)),
            workspace_name=actor.workspace_name,
            to_assignee=recipient.user_id == ticket.assignee_id,
            attachments=tuple(attachment_names) if event in (TICKET_CREATED, REPLY_POSTED) else (),
        )
        rows.append(
            {
                "workspace_id": ticket.workspace_id,
                "ticket_id": ticket.id,
                "recipient": recipient.email,
                "subject": content.subject,
                "body": content.text,
                "body_html": content.html,
                "event": event,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
        )
    # One statement for all of them (an executemany): nothing here needs their ids back.
    session.execute(insert(OutboxEmail), rows)
    return len(rows)


# --- Who hears about it ------------------------------------------------------------------

# A candidate recipient as read from app_user: id, email, name, role, and whether they take
# this event's kind of email (always true unless asked for `opted_out_too`).
Person = Row[tuple[int, str, str, str, bool]]


def recipients_for(
    session: Session,
    event: str,
    ticket: Ticket,
    actor: CurrentUser,
    *,
    old_department_id: int | None = None,
    old_assignee_id: int | None = None,
) -> list[Recipient]:
    """The people to email for this event, without the actor, inactive people or duplicates.

    The candidates are read in one query, then the event's rule picks among them.
    """
    department_changed = old_department_id is not None and old_department_id != ticket.department_id
    if event == TICKET_CREATED:
        people = _team_of(_candidates(session, ticket, event, admins=True, department_staff=True))
    elif event in (REPLY_POSTED, STATUS_CHANGED) and actor.is_team:
        people = _candidates(session, ticket, event, customer=True)
    elif event in (REPLY_POSTED, STATUS_CHANGED):
        # The team side: the assignee when there is one (still active, still on the team),
        # else the admins and the department's staff. An assignee who switched these emails
        # off is not replaced by the others: the ticket is still theirs.
        found = _candidates(
            session, ticket, event, admins=True, department_staff=True, assignee=True, opted_out_too=True
        )
        assignee = [user for user in found if user.id == ticket.assignee_id and is_team_role(user.role)]
        people = [user for user in assignee or _team_of(found) if user.wants]
    elif event == TICKET_ASSIGNED:
        # A new assignee hears of it (also when their ticket moves to another department); a
        # ticket moved to a department without a person, that department's staff. Taking the
        # assignee off a ticket without moving it tells nobody.
        if ticket.assignee_id is not None:
            changed = old_assignee_id != ticket.assignee_id or department_changed
            found = _candidates(session, ticket, event, assignee=True) if changed else []
            people = [user for user in found if is_team_role(user.role)]
        elif department_changed:
            people = _candidates(session, ticket, event, department_staff=True)
        else:
            people = []
    else:
        raise ValueError(f"unknown notification event {event!r}")

    seen: set[str] = {actor.email.strip().lower()}
    recipients = []
    for user in people:
        address = user.email.strip().lower()
        if user.id == actor.user_id or address in seen:
            continue
        seen.add(address)
        recipients.append(Recipient(user.id, user.email, user.name, is_team_role(user.role)))
    return recipients


def _candidates(
    session: Session,
    ticket: Ticket,
    event: str,
    *,
    admins: bool = False,
    department_staff: bool = False,
    assignee: bool = False,
    customer: bool = False,
    opted_out_too: bool = False,
) -> list[Person]:
    """The active people of the ticket's workspace in any of the asked groups who take `event`'s
    kind of email, by id; with `opted_out_too` also those who switched it off (`wants` false)."""
    groups: list[ColumnElement[bool]] = []
    if admins:
        groups.append(col(User.role) == Role.ADMIN.value)
    if department_staff:
        members = select(DepartmentMember.user_id).where(DepartmentMember.department_id == ticket.department_id)
        groups.append((col(User.role) == Role.STAFF.value) & col(User.id).in_(members))
    if assignee and ticket.assignee_id is not None:
        groups.append(col(User.id) == ticket.assignee_id)
    if customer:
        groups.append(col(User.id) == ticket.customer_id)
    if not groups:
        return []
    wants = _wants_email(event)
    query = select(col(User.id), col(User.email), col(User.name), col(User.role), wants.label("wants")).where(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
        col(User.workspace_id) == ticket.workspace_id, col(User.active) == True, or_(*groups)
    )
    if not opted_out_too:
        query = query.where(wants)
    return list(session.exec(query.order_by(User.id)).all())


def _wants_email(event: str) -> ColumnElement[bool]:
    """True for a person who has not switched off `event`'s kind of email (part of the one query)."""
    team_kind, customer_kind = email_kind(event, True), email_kind(event, False)
    kind: ColumnElement[str] = literal(team_kind)
    if team_kind != customer_kind:
        kind = case((col(User.role) == Role.CUSTOMER.value, customer_kind), else_=team_kind)
    return ~exists().where(col(EmailOptOut.user_id) == col(User.id), col(EmailOptOut.kind) == kind)


def department_staff_for(session: Session, ticket: Ticket, actor_user_id: int) -> list[Recipient]:
    """Who hears that `ticket` is back with its department, unassigned (its assignee was
    deactivated): the department's active staff who take assignment emails, not the actor."""
    people = _candidates(session, ticket, TICKET_ASSIGNED, department_staff=True)
    return [Recipient(user.id, user.email, user.name, True) for user in people if user.id != actor_user_id]


def queue_email(
    session: Session,
    *,
    workspace_id: int,
    recipient: str,
    content: Content,
    event: str,
    ticket_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Queue one email in the caller's transaction (account emails: links, invitations …)."""
    now = now or utcnow()
    session.add(
        OutboxEmail(
            workspace_id=workspace_id,
            ticket_id=ticket_id,
            recipient=recipient,
            subject=header_text(content.subject, SUBJECT_MAX),
            body=content.text,
            body_html=content.html,
            event=event,
            next_attempt_at=now,
            created_at=now,
        )
    )


def _team_of(people: Iterable[Person]) -> list[Person]:
    """Admins first, then staff (each by id), as the emails have always been listed."""
    found = list(people)
    return [user for user in found if user.role == Role.ADMIN] + [user for user in found if user.role == Role.STAFF]


# --- What the email says -----------------------------------------------------------------


def header_text(value: str | None, max_length: int | None = None) -> str:
    """One safe header line: line breaks and control characters become a space."""
    text = " ".join(_HEADER_UNSAFE.sub(" ", value or "").split())
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def email_subject(ref: str, subject: str) -> str:
    """`[TKT-000042] Printer is on fire`."""
    return header_text(f"[{ref}] {header_text(subject)}", SUBJECT_MAX)


def _label(value: str | None) -> str:
    return (value or "").replace("_", " ").title()


def compose(
    event: str,
    *,
    recipient: Recipient,
    actor_name: str,
    ref: str,
    subject: str,
    status: str,
    old_status: str | None,
    priority: str,
    department: str,
    department_changed: bool,
    assignee_name: str,
    text: str,
    link: str,
    workspace_name: str,
    to_assignee: bool = False,
    attachments: tuple[str, ...] = (),
) -> Content:
    """The subject, plain-text body and HTML alternative of one email to one recipient.

    The wording lives in `xobito_web/templates/email/<event>.txt` and `<event>.html` (both
    extend `base.*`); this function decides what the email may tell this recipient.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    facts = [
        ("Ticket", f"{ref} {subject}"),
        ("Status", _label(status)),
        ("Department", department),
        ("Priority", _label(priority)),
    ]
    if recipient.is_team:  # who works on a ticket is the team's business (as in the app)
        facts.append(("Assignee", assignee_name or "Unassigned"))
    context = {
        "recipient_name": recipient.name,
        "actor_name": header_text(actor_name) or "Someone",
        "ref": ref,
        "department": department,
        "department_changed": department_changed,
        "to_assignee": to_assignee,
        "status_label": _label(status),
        "status_changed": bool(old_status) and old_status != status,
        "closed": status == Status.CLOSED,
        "text": text,
        "attachments": attachments,
        "facts": facts,
        "link": link,
        "signature": f"Xobito tickets · {workspace_name}",
    }
    return Content(
        subject=email_subject(ref, subject),
        text=_templates().get_template(f"email/{event}.txt").render(context),
        html=_templates().get_template(f"email/{event}.html").render(context),
    )


def render(template: str, context: dict[str, object]) -> tuple[str, str]:
    """The plain-text and HTML bodies of `email/<template>.txt|.html` (other services' emails,
    e.g. a mention in an internal note, share these templates and their base)."""
    templates = _templates()
    return (
        templates.get_template(f"email/{template}.txt").render(context),
        templates.get_template(f"email/{template}.html").render(context),
    )


@functools.cache
def _templates() -> jinja2.Environment:
    """The email templates shipped in the package: .html is HTML-escaped, .txt is not."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xobito_web", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True, default_for_string=True
        ),
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails loudly instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def build_email(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html_body: str = "",
    message_id: str | None = None,
    references: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """An RFC 5322 message: text/plain with an optional text/html alternative.

    Every header value is cleaned with `header_text` first, and the addresses go through the
    header registry (`Address`), so nothing a user typed can end a header line and start
    another. A malformed address raises ValueError.
    """
    message = EmailMessage()
    message["From"] = _address_header(sender)
    message["To"] = Address(addr_spec=header_text(recipient))
    message["Subject"] = header_text(subject, SUBJECT_MAX)
    message["Date"] = format_datetime(date or utcnow())
    if message_id:
        message["Message-ID"] = header_text(message_id)
    if references:
        message["References"] = header_text(references)
        message["In-Reply-To"] = header_text(references)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html_body:
        message.add_alternative(html_body, subtype="html")
    return message


def _address_header(value: str) -> Address:
    """MAIL_FROM, "Name <address>" or a bare address, as one registry Address."""
    from email.utils import parseaddr

    name, address = parseaddr(header_text(value))
    if not address or "@" not in address:
        raise ValueError(f"not an email address: {value!r}")
    return Address(display_name=name, addr_spec=address)
