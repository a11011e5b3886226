"""Saved replies: reusable texts the team inserts into the composer.

A saved reply is shared with the whole team of its workspace (owner_id None; admins create,
change and delete those) or private to the team member who wrote it (staff may keep their own;
admins may too). Customers have none. Placeholders in the text are filled in for the ticket it
is inserted on: {customer_name}, {ticket_id} (e.g. TKT-000042) and {agent_name} (the person
inserting it); anything else in braces stays as typed. The text follows the message rule
(5–2000 characters) and so must the message it ends up in (checked again when it is sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from xobito_web.models import SavedReply, Ticket, User, utcnow
from xobito_web.services.access import visible_tickets
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Forbidden, InvalidInput, NotFound
from xobito_web.services.ids import as_id, format_ref, is_ticket_number
from xobito_web.services.tickets import MESSAGE_MAX, check_message
from xobito_web.services.workspaces import one_line

TITLE_MIN, TITLE_MAX = 1, 80
MAX_PER_PERSON = 200  # shared ones of a workspace, and private ones of one person: a list, not a store
PLACEHOLDERS = ("{customer_name}", "{ticket_id}", "{agent_name}")
ONLY_TEAM = "Only the team has saved replies."
ONLY_ADMINS_SHARE = "Only admins change the saved replies shared with the team."
TOO_MANY = f"You can keep at most {MAX_PER_PERSON} saved replies here. Delete one you no longer use."
TOO_LONG_FILLED = f"With the placeholders filled in, the message would be longer than {MESSAGE_MAX} characters."


@dataclass(frozen=True)
class SavedReplyRecord:
    id: int
    title: str
    body: str
    shared: bool  # with the whole team; else private to its owner
    can_change: bool  # for the person it was read for
    updated_at: datetime


def list_saved_replies(session: Session, user: CurrentUser) -> list[SavedReplyRecord]:
    """The shared saved replies of the user's workspace and the user's own, by title."""
    _check_team(user)
    rows = session.exec(
        select(SavedReply)
        .where(
            SavedReply.workspace_id == user.workspace_id,
            or_(col(SavedReply.owner_id).is_(None), col(SavedReply.owner_id) == user.user_id),
        )
        .order_by(col(SavedReply.title), col(SavedReply.id))
    ).all()
    return [_record(row, user) for row in rows]


def create_saved_reply(session: Session, user: CurrentUser, title: str, body: str, shared: bool) -> SavedReplyRecord:
    _check_team(user)
    if shared and not user.is_admin:
        raise Forbidden(ONLY_ADMINS_SHARE)
    title, body = check_title(title), check_message(body)
    owner_id = None if shared else user.user_id
    kept = session.exec(
        select(func.count()).where(
            SavedReply.workspace_id == user.workspace_id,
            col(SavedReply.owner_id).is_(None) if shared else col(SavedReply.owner_id) == owner_id,
        )
    ).one()
    if kept >= MAX_PER_PERSON:
        raise InvalidInput(TOO_MANY)
    now = utcnow()
    row = SavedReply(
        workspace_id=user.workspace_id, owner_id=owner_id, title=title, body=body, created_at=now, updated_at=now
    )
    session.add(row)
    session.flush()
    return _record(row, user)


def update_saved_reply(
    session: Session, user: CurrentUser, saved_reply_id: int | str, title: str, body: str, shared: bool
) -> SavedReplyRecord:
    row = _changeable(session, user, saved_reply_id)
    if shared and not user.is_admin:
        raise Forbidden(ONLY_ADMINS_SHARE)
    row.title, row.body = check_title(title), check_message(body)
    row.owner_id = None if shared else user.user_id
    row.updated_at = utcnow()
    session.flush()
    return _record(row, user)


def delete_saved_reply(session: Session, user: CurrentUser, saved_reply_id: int | str) -> None:
    session.delete(_changeable(session, user, saved_reply_id))
    session.flush()


def fill_placeholders(text: str, *, customer_name: str, ticket_id: str, agent_name: str) -> str:
    """The text with each known placeholder replaced (one pass: a name containing "{ticket_id}"
    is not filled in again)."""
    values = {"{customer_name}": customer_name, "{ticket_id}": ticket_id, "{agent_name}": agent_name}
    out, position = [], 0
    while position < len(text):
        found = next((p for p in PLACEHOLDERS if text.startswith(p, position)), None)
        if found:
            out.append(values[found])
            position += len(found)
        else:
            out.append(text[position])
            position += 1
    return "".join(out)


def saved_reply_for_ticket(session: Session, user: CurrentUser, saved_reply_id: int | str, number: int) -> str:
    """The text of a saved reply the user may use, filled in for ticket `number` they may see."""
    row = _readable(session, user, saved_reply_id)
    if not is_ticket_number(number):
        raise NotFound()
    customer_name = session.exec(
        select(User.name)
        .join(Ticket, col(Ticket.customer_id) == col(User.id))
        .where(visible_tickets(user), Ticket.number == number)
    ).first()
    if customer_name is None:
        raise NotFound()
    return fill_placeholders(row.body, customer_name=customer_name, ticket_id=format_ref(number), agent_name=user.name)


def insert_into(draft: str, text: str) -> str:
    """`text` added to what is typed (after a blank line), or InvalidInput if too long."""
    combined = f"{draft.rstrip()}\n\n{text}" if draft.strip() else text
    if len(combined.strip()) > MESSAGE_MAX:
        raise InvalidInput(TOO_LONG_FILLED, "body")
    return combined


def check_title(value: str | None) -> str:
    if not (value or "").strip():
        raise InvalidInput("The title is required.", "title")
    return one_line(value, "The title", TITLE_MIN, TITLE_MAX, "title")


def _check_team(user: CurrentUser) -> None:
    if not user.is_team:
        raise Forbidden(ONLY_TEAM)


def _readable(session: Session, user: CurrentUser, saved_reply_id: int | str) -> SavedReply:
    """A saved reply the user may use (shared in their workspace, or their own), else NotFound."""
    _check_team(user)
    found_id = as_id(saved_reply_id)
    if found_id is None:
        raise NotFound()
    row = session.exec(
        select(SavedReply).where(
            SavedReply.id == found_id,
            SavedReply.workspace_id == user.workspace_id,
            or_(col(SavedReply.owner_id).is_(None), col(SavedReply.owner_id) == user.user_id),
        )
    ).first()
    if row is None:
        raise NotFound()
    return row


def _changeable(session: Session, user: CurrentUser, saved_reply_id: int | str) -> SavedReply:
    row = _readable(session, user, saved_reply_id)
    if row.owner_id is None and not user.is_admin:
        raise Forbidden(ONLY_ADMINS_SHARE)
    return row


def _record(row: SavedReply, user: CurrentUser) -> SavedReplyRecord:
    shared = row.owner_id is None
    return SavedReplyRecord(
        id=row.id,
        title=row.title,
        body=row.body,
        shared=shared,
        can_change=user.is_admin or not shared,
        updated_at=row.updated_at,
    )
