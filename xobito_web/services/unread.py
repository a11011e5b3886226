"""Unread: which tickets have activity a person has not seen (docs/product.md "Team tools").

A `ticket_read` row per (person, ticket) holds when they last saw its thread. A ticket is unread
while its last activity is newer, or while they have never opened it. Opening the ticket marks
it seen; so does writing on it (one's own message is not news).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session, col, select

from xobito_web.models import Ticket, TicketRead
from xobito_web.services.access import visible_ticket_id, visible_tickets
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import NotFound

# The tab title counts the unread tickets among the newest this many of the list (a count of
# every unread ticket of a large workspace would read all of them on every list change).
COUNT_WINDOW = 500


def is_unread(
    seen_at: SQLCoreOperations[Any], last_activity: SQLCoreOperations[Any] | None = None
) -> ColumnElement[bool]:
    """For a query that outer-joins TicketRead on the person (`read_by`); activity is the
    ticket's last reply unless told otherwise."""
    if last_activity is None:
        last_activity = col(Ticket.last_reply_at)
    return or_(seen_at.is_(None), seen_at < last_activity)


def read_by(user_id: int) -> ColumnElement[bool]:
    """The outer-join condition: the person's read row of each ticket."""
    return and_(col(TicketRead.user_id) == user_id, col(TicketRead.ticket_id) == col(Ticket.id))


def mark_seen(session: Session, user_id: int, ticket_id: int, seen_at: datetime) -> None:
    """Record that the person has seen the ticket as of `seen_at` (never moves back)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TicketRead).values(user_id=user_id, ticket_id=ticket_id, seen_at=seen_at)
    statement = statement.on_conflict_do_update(
        index_elements=[col(TicketRead.user_id), col(TicketRead.ticket_id)],
        set_={"seen_at": seen_at},
        where=col(TicketRead.seen_at) < seen_at,
    )
    session.execute(statement)


def needs_marking(session: Session, user: CurrentUser, number: int) -> tuple[int, datetime] | None:
    """(ticket id, last activity) when the ticket is unread for the user, else None (a read
    transaction can check this, so opening a read ticket writes nothing)."""
    ticket_id = visible_ticket_id(session, user, number)
    row = session.exec(
        select(col(Ticket.last_reply_at), col(TicketRead.seen_at))
        .outerjoin(TicketRead, read_by(user.user_id))
        .where(col(Ticket.id) == ticket_id)
    ).one()
    last_activity, seen_at = row
    if seen_at is not None and seen_at >= last_activity:
        return None
    return ticket_id, last_activity


def markings_needed(session: Session, views: Iterable[tuple[CurrentUser, int]]) -> list[tuple[int, int, datetime]]:
    """(user id, ticket id, last activity) for each (person, ticket number) that is unread for
    that person: the screens a live change refreshed mark them seen in one write together."""
    needed = []
    for user, number in views:
        try:
            marking = needs_marking(session, user, number)
        except NotFound:  # no longer theirs to see: nothing to mark
            continue
        if marking is not None:
            needed.append((user.user_id, *marking))
    return needed


def mark_ticket_seen(session: Session, user: CurrentUser, number: int) -> bool:
    """The user opened ticket `number` (NotFound when not theirs to see): seen as of its last
    activity. True when it was unread."""
    marking = needs_marking(session, user, number)
    if marking is None:
        return False
    mark_seen(session, user.user_id, *marking)
    return True


def count_unread(session: Session, user: CurrentUser, conditions: list[ColumnElement[bool]]) -> int:
    """Unread tickets among the newest COUNT_WINDOW the user may see under `conditions`."""
    newest = (
        select(col(Ticket.id), col(Ticket.last_reply_at))
        .where(visible_tickets(user), *conditions)
        .order_by(col(Ticket.last_reply_at).desc(), col(Ticket.id).desc())
        .limit(COUNT_WINDOW)
        .subquery()
    )
    unread = session.scalar(
        select(func.count())
        .select_from(newest)
        .outerjoin(TicketRead, and_(col(TicketRead.user_id) == user.user_id, col(TicketRead.ticket_id) == newest.c.id))
        .where(is_unread(col(TicketRead.seen_at), newest.c.last_reply_at))
    )
    return unread or 0
