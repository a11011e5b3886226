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

Nothing here imports Reflex; header values are cleaned of line breaks and control characters
and built with the email package's header registry, so user text can never add a header.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import jinja2
from sqlmodel import Session, select

from xobito_web import config
from xobito_web.models import (
    Attachment,
    Department,
    DepartmentMember,
    OutboxEmail,
    Reply,
    Role,
    Status,
    Ticket,
    User,
    Workspace,
    utcnow,
)
from xobito_web.services.auth import CurrentUser

TICKET_CREATED = "ticket_created"
REPLY_POSTED = "reply_posted"
STATUS_CHANGED = "status_changed"
TICKET_ASSIGNED = "ticket_assigned"
EVENTS = (TICKET_CREATED, REPLY_POSTED, STATUS_CHANGED, TICKET_ASSIGNED)

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
    ticket: Ticket,
    actor: CurrentUser,
    *,
    old_status: str | None = None,
    old_department_id: int | None = None,
    old_assignee_id: int | None = None,
    now: datetime | None = None,
) -> list[OutboxEmail]:
    """Queue the emails of one event in the caller's transaction; returns the new rows.

    `ticket` is the changed (flushed) row. For "ticket_assigned", `old_department_id` and
    `old_assignee_id` tell what changed; for a reply the reply text is the newest reply.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    recipients = recipients_for(
        session, event, ticket, actor, old_department_id=old_department_id, old_assignee_id=old_assignee_id
    )
    if not recipients:
        return []
    workspace = session.get(Workspace, ticket.workspace_id)
    department_name = session.exec(select(Department.name).where(Department.id == ticket.department_id)).one()
    assignee_name = ""
    if ticket.assignee_id is not None:
        assignee_name = session.exec(select(User.name).where(User.id == ticket.assignee_id)).one()
    reply_id, reply_text = _latest_reply(session, ticket.id) if event == REPLY_POSTED else (None, "")
    files = _attachment_names(session, ticket.id, reply_id) if event in (TICKET_CREATED, REPLY_POSTED) else ()
    now = now or utcnow()

    rows = []
    for recipient in recipients:
        content = compose(
            event,
            recipient=recipient,
            actor_name=actor.name,
            ref=_ref(ticket.number),
            subject=ticket.subject,
            status=ticket.status,
            old_status=old_status,
            priority=ticket.priority,
            department=department_name,
            department_changed=old_department_id is not None and old_department_id != ticket.department_id,
            assignee_name=assignee_name,
            text=ticket.body if event == TICKET_CREATED else reply_text,
            link=ticket_link(workspace.subdomain, ticket.number),
            workspace_name=workspace.name,
            to_assignee=recipient.user_id == ticket.assignee_id,
            attachments=files,
        )
        row = OutboxEmail(
            workspace_id=ticket.workspace_id,
            ticket_id=ticket.id,
            recipient=recipient.email,
            subject=content.subject,
            body=content.text,
            body_html=content.html,
            event=event,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _ref(number: int) -> str:
    return f"TKT-{number:06d}"  # as tickets.format_ref (not imported: tickets imports us)


def ticket_link(subdomain: str, number: int) -> str:
    return f"{config.settings.base_url}/{subdomain}/tickets/{_ref(number)}"


def _latest_reply(session: Session, ticket_id: int) -> tuple[int | None, str]:
    row = session.exec(
        select(Reply.id, Reply.body).where(Reply.ticket_id == ticket_id).order_by(Reply.id.desc()).limit(1)
    ).first()
    return (row.id, row.body) if row else (None, "")


def _attachment_names(session: Session, ticket_id: int, reply_id: int | None) -> tuple[str, ...]:
    """The file names of the message (the original one when reply_id is None); not the files."""
    of_message = Attachment.reply_id.is_(None) if reply_id is None else Attachment.reply_id == reply_id
    names = session.exec(
        select(Attachment.original_name).where(Attachment.ticket_id == ticket_id, of_message).order_by(Attachment.id)
    ).all()
    return tuple(names)


# --- Who hears about it ------------------------------------------------------------------


def recipients_for(
    session: Session,
    event: str,
    ticket: Ticket,
    actor: CurrentUser,
    *,
    old_department_id: int | None = None,
    old_assignee_id: int | None = None,
) -> list[Recipient]:
    """The people to email for this event, without the actor, inactive people or duplicates."""
    if event == TICKET_CREATED:
        people = _admins(session, ticket.workspace_id) + _department_staff(session, ticket)
    elif event in (REPLY_POSTED, STATUS_CHANGED):
        people = _customer(session, ticket) if actor.is_team else _team_side(session, ticket)
    elif event == TICKET_ASSIGNED:
        people = _assigned_to(session, ticket, old_department_id, old_assignee_id)
    else:
        raise ValueError(f"unknown notification event {event!r}")

    seen: set[str] = {actor.email.strip().lower()}
    recipients = []
    for user in people:
        address = user.email.strip().lower()
        if user.id == actor.user_id or address in seen or not user.active or user.workspace_id != ticket.workspace_id:
            continue
        seen.add(address)
        recipients.append(Recipient(user.id, user.email, user.name, user.role in (Role.ADMIN, Role.STAFF)))
    return recipients


def _active_people(session: Session, workspace_id: int, *conditions) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.workspace_id == workspace_id, User.active == True, *conditions).order_by(User.id)
        ).all()
    )


def _admins(session: Session, workspace_id: int) -> list[User]:
    return _active_people(session, workspace_id, User.role == Role.ADMIN.value)


def _department_staff(session: Session, ticket: Ticket, department_id: int | None = None) -> list[User]:
    members = select(DepartmentMember.user_id).where(
        DepartmentMember.department_id == (department_id or ticket.department_id)
    )
    return _active_people(session, ticket.workspace_id, User.role == Role.STAFF.value, User.id.in_(members))


def _customer(session: Session, ticket: Ticket) -> list[User]:
    return _active_people(session, ticket.workspace_id, User.id == ticket.customer_id)


def _assignee(session: Session, ticket: Ticket) -> list[User]:
    if ticket.assignee_id is None:
        return []
    return _active_people(
        session, ticket.workspace_id, User.id == ticket.assignee_id, User.role.in_((Role.ADMIN.value, Role.STAFF.value))
    )


def _team_side(session: Session, ticket: Ticket) -> list[User]:
    """The assignee; with none (or an assignee no longer active), the admins and department staff."""
    return _assignee(session, ticket) or (_admins(session, ticket.workspace_id) + _department_staff(session, ticket))


def _assigned_to(
    session: Session, ticket: Ticket, old_department_id: int | None, old_assignee_id: int | None
) -> list[User]:
    """A new assignee hears of it; a ticket moved to a department without a person, its staff.

    The assignee is also told when their ticket moves to another department. Taking the
    assignee off a ticket without moving it tells nobody.
    """
    department_changed = old_department_id is not None and old_department_id != ticket.department_id
    assignee_changed = old_assignee_id != ticket.assignee_id
    if ticket.assignee_id is not None:
        return _assignee(session, ticket) if (assignee_changed or department_changed) else []
    return _department_staff(session, ticket) if department_changed else []


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
