"""Internal notes: the team's own messages on a ticket, and mentions of colleagues in them.

A note is a Reply row with `is_internal` set. It is shown in the thread to the team only
(services/tickets.py reads notes for team members alone), its files are downloaded by the team
only (services/attachments.py), it changes neither the status nor whose turn it is nor the last
activity (so the customer's list cannot reveal it), it sends the customer no email, and its live
announcement reaches team screens only (services/live.py NOTED).

Mentioning a colleague — `@Sue` (first name) or `@Sue Smith` (full name), any case — emails
them the note, if they may see the ticket; mentioned colleagues who may not are named back to
the author rather than told about a ticket outside their departments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_
from sqlmodel import Session, col, select

from xobito_web import urls
from xobito_web.models import DepartmentMember, OutboxEmail, Reply, Role, Status, Ticket, User, utcnow
from xobito_web.services import attachments as attachment_files
from xobito_web.services import live, notifications, rate_limits
from xobito_web.services.access import TicketForChange, ticket_for_change
from xobito_web.services.attachments import StagedFile
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Conflict, Forbidden
from xobito_web.services.ids import format_ref
from xobito_web.services.tickets import TICKET_CLOSED, MessageRecord, TicketChanged, check_message

NOTE_MENTION = "note_mention"  # the outbox event of a mention email
ONLY_TEAM_NOTES = "Only the team writes internal notes."
# "@" at the start or after a non-word character (not the middle of an email address).
_MENTION_START = re.compile(r"(?<![\w@.])@")


@dataclass(frozen=True)
class Colleague:
    user_id: int
    name: str
    email: str
    may_see: bool  # may see the ticket the note is on


@dataclass(frozen=True)
class NoteAdded:
    changed: TicketChanged
    notified: tuple[str, ...]  # the names of the colleagues emailed about it
    not_notified: tuple[str, ...]  # mentioned, but they may not see this ticket


def post_note(
    session: Session,
    user: CurrentUser,
    number: int,
    body: str,
    *,
    now: datetime | None = None,
    attachments: Sequence[StagedFile] = (),
) -> NoteAdded:
    """Add an internal note (team only) with its files; mentioned colleagues are emailed."""
    if not user.is_team:
        raise Forbidden(ONLY_TEAM_NOTES)
    rate_limits.check_reply_rate(session, user, now)
    change = ticket_for_change(session, user, number)
    ticket = change.ticket
    if ticket.status == Status.CLOSED:
        raise Conflict(TICKET_CLOSED)
    body = check_message(body)
    attachment_files.check_staged(attachments)
    now = now or utcnow()

    note = Reply(ticket_id=ticket.id, author_id=user.user_id, body=body, created_at=now, is_internal=True)
    session.add(note)
    session.flush()  # the ticket itself is not touched: no status, turn or activity change
    files = attachment_files.attach_files(session, user.workspace_id, ticket.id, note.id, attachments)

    mentioned = [
        person for person in mentioned_colleagues(body, team_of(session, ticket)) if person.user_id != user.user_id
    ]
    reachable = [person for person in mentioned if person.may_see]
    _queue_mention_emails(session, change, user, reachable, body, [f.name for f in files], now)
    live.announce(session, live.NOTED, ticket, user.user_id)
    message = MessageRecord(note.id, user.name, user.role, True, body, now, tuple(files), is_internal=True)
    changed = TicketChanged(
        number=ticket.number,
        ref=format_ref(ticket.number),
        status=ticket.status,
        department=change.department_name,
        assignee_name=change.assignee_name,
        message=message,
    )
    return NoteAdded(
        changed,
        notified=tuple(person.name for person in reachable),
        not_notified=tuple(person.name for person in mentioned if not person.may_see),
    )


def team_of(session: Session, ticket: Ticket) -> list[Colleague]:
    """The active team members of the ticket's workspace, each with whether they may see it
    (the rule of services/access.py: admins; staff of its department or its assignee)."""
    in_department = select(DepartmentMember.user_id).where(DepartmentMember.department_id == ticket.department_id)
    sees = or_(col(User.role) == Role.ADMIN.value, col(User.id).in_(in_department), col(User.id) == ticket.assignee_id)
    rows = session.exec(
        select(User.id, User.name, User.email, sees.label("may_see"))
        .where(
            User.workspace_id == ticket.workspace_id,
            User.active == True,
            col(User.role).in_((Role.ADMIN.value, Role.STAFF.value)),
        )
        .order_by(col(User.id))
    ).all()
    return [Colleague(user_id, name, email, bool(may_see)) for user_id, name, email, may_see in rows]


def mentioned_colleagues(body: str, team: Sequence[Colleague]) -> list[Colleague]:
    """The colleagues `body` mentions, in the order of the team list, each once.

    After an "@": the longest full name that follows (then a non-letter or the end), else a first
    name that only one colleague has. Case does not matter.
    """
    found: dict[int, Colleague] = {}
    first_names: dict[str, list[Colleague]] = {}
    for colleague in team:
        first = colleague.name.split()[0].casefold() if colleague.name.split() else ""
        if first:
            first_names.setdefault(first, []).append(colleague)
    by_length = sorted(team, key=lambda person: len(person.name), reverse=True)
    for start in _MENTION_START.finditer(body):
        after = body[start.end() :]
        folded = after.casefold()
        person = next((p for p in by_length if p.name.strip() and _names_here(folded, p.name.casefold())), None)
        if person is None:
            word = re.match(r"[\w'-]+", after)
            same = first_names.get(word.group(0).casefold(), []) if word else []
            person = same[0] if len(same) == 1 else None
        if person is not None:
            found.setdefault(person.user_id, person)
    return [person for person in team if person.user_id in found]


def _names_here(text: str, name: str) -> bool:
    """`text` starts with `name`, followed by the end or a character that ends a name."""
    name = " ".join(name.split())
    return text.startswith(name) and (
        len(text) == len(name) or not (text[len(name)].isalnum() or text[len(name)] == "_")
    )


def _queue_mention_emails(
    session: Session,
    change: TicketForChange,
    actor: CurrentUser,
    people: Sequence[Colleague],
    text: str,
    attachment_names: Sequence[str],
    now: datetime,
) -> None:
    if not people:
        return
    ticket = change.ticket
    ref = format_ref(ticket.number)
    facts = [
        ("Ticket", f"{ref} {ticket.subject}"),
        ("Department", change.department_name),
        ("Customer", change.customer_name),
        ("Assignee", change.assignee_name or "Unassigned"),
    ]
    rows = []
    for person in people:
        body_text, body_html = notifications.render(
            NOTE_MENTION,
            {
                "recipient_name": person.name,
                "actor_name": notifications.header_text(actor.name) or "Someone",
                "ref": ref,
                "text": text,
                "attachments": tuple(attachment_names),
                "facts": facts,
                "link": urls.absolute(urls.ticket(actor.subdomain, ref)),
                "signature": f"Xobito tickets · {actor.workspace_name}",
            },
        )
        rows.append(
            {
                "workspace_id": ticket.workspace_id,
                "ticket_id": ticket.id,
                "recipient": person.email,
                "subject": notifications.email_subject(ref, ticket.subject),
                "body": body_text,
                "body_html": body_html,
                "event": NOTE_MENTION,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
        )
    session.execute(insert(OutboxEmail), rows)
