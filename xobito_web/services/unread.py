"""Unread: which tickets have activity a person has not seen (docs/product.md "Team tools").

A `ticket_read` row per (person, ticket) holds when they last saw its thread. A ticket is unread
while its last activity is newer, or while they have never opened it. Opening the ticket marks
it seen; so does writing on it (one's own message is not news).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from xobito_web.models import Ticket, TicketRead
from xobito_web.services.access import visible_ticket_id, visible_tickets
from xobito_web.services.auth import CurrentUser

# The tab title counts the unread tickets among the newest this many of the list (a count of
# every unread ticket of a large workspace would read all of them on every list change).
COUNT_WINDOW = 500


def is_unread(seen_at: ColumnElement, last_activity: ColumnElement = Ticket.last_reply_at) -> ColumnElement[bool]:
    """For a query that outer-joins TicketRead on the person (`read_by`)."""
    return or_(seen_at.is_(None), seen_at < last_activity)


def read_by(user_id: int) -> ColumnElement[bool]:
    """The outer-join condition: the person's read row of each ticket."""
    return and_(TicketRead.user_id == user_id, TicketRead.ticket_id == Ticket.id)


def mark_seen(session: Session, user_id: int, ticket_id: int, seen_at: datetime) -> None:
    """Record that the person has seen the ticket as of `seen_at` (never moves back)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TicketRead).values(user_id=user_id, ticket_id=ticket_id, seen_at=seen_at)
    statement = statement.on_conflict_do_update(
        index_elements=[TicketRead.user_id, TicketRead.ticket_id],
        set_={"seen_at": seen_at},
        where=TicketRead.seen_at < seen_at,
    )
    session.execute(statement)


def needs_marking(session: Session, user: CurrentUser, number: int) -> tuple[int, datetime] | None:
    """(ticket id, last activity) when the ticket is unread for the user, else None (a read
    transaction can check this, so opening a read ticket writes nothing)."""
    ticket_id = visible_ticket_id(session, user, number)
    row = session.exec(
        select(Ticket.last_reply_at, TicketRead.seen_at)
        .outerjoin(TicketRead, read_by(user.user_id))
        .where(Ticket.id == ticket_id)
    ).one()
    if row.seen_at is not None and row.seen_at >= row.last_reply_at:
        return None
    return ticket_id, row.last_reply_at


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
        select(Ticket.id, Ticket.last_reply_at)
        .where(visible_tickets(user), *conditions)
        .order_by(Ticket.last_reply_at.desc(), Ticket.id.desc())
        .limit(COUNT_WINDOW)
        .subquery()
    )
    return session.scalar(
        select(func.count())
        .select_from(newest)
        .outerjoin(TicketRead, and_(TicketRead.user_id == user.user_id, TicketRead.ticket_id == newest.c.id))
        .where(is_unread(TicketRead.seen_at, newest.c.last_reply_at))
    )
