"""Tickets: the list, the thread, creating, replying and closing.

Every function takes the caller's open Session and, where a person acts, the signed-in
CurrentUser. Functions flush but never commit: the caller's `write_session()` block is the
transaction. What they return are small frozen records, safe to keep in UI state.

Who sees what is decided in one place, services/access.py (docs/product.md "Roles and visibility"); a
ticket the user may not see raises NotFound, exactly like a missing one. An action checks
everything first, then writes, then hands what it wrote to the notifications and the live bus
(check -> do -> notify); the screen reads its view after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, text, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from xobito_web.models import (
    Department,
    Priority,
    Reply,
    Role,
    Status,
    Ticket,
    TicketRead,
    User,
    is_team_role,
    utcnow,
)
from xobito_web.services import attachments as attachment_files
from xobito_web.services import live, notifications, rate_limits, search, unread
from xobito_web.services.access import TicketForChange, ticket_for_change, visible_tickets
from xobito_web.services.attachments import AttachmentRecord, StagedFile
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from xobito_web.services.ids import as_id, format_ref, is_ticket_number, parse_ref
from xobito_web.services.workspaces import department_is_archived, department_of_workspace, one_line

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
SUBJECT_MIN, SUBJECT_MAX = 3, 200
MESSAGE_MIN, MESSAGE_MAX = 5, 2000
DEFAULT_STATUSES = ("open", "answered")
STATUSES = tuple(status.value for status in Status)
PRIORITIES = tuple(priority.value for priority in Priority)
MAX_SEARCH_LENGTH = search.MAX_SEARCH_LENGTH
# The list's sort orders (a search is always best matches first).
SORTS = ("activity", "created", "priority")
PRIORITY_ORDER = ("urgent", "high", "medium", "low")  # the "priority" sort, most urgent first
# "1–25 of 1,234": the count is exact up to this many tickets, then "many".
COUNT_CAP = 10_000

TICKET_CLOSED = "This ticket is closed. Open a new ticket instead."
ALREADY_CLOSED = "This ticket is already closed."
ONLY_CUSTOMERS_OPEN = "Only customers open tickets."
DEPARTMENT_ARCHIVED = "{name} no longer takes new tickets. Choose another department."


def next_ticket_number(session: Session, workspace_id: int) -> int:
    """Hand out the workspace's next ticket number inside the caller's transaction.

    The UPDATE row-locks the workspace on PostgreSQL (a concurrent creator waits for our
    commit, then reads the new value); on SQLite write_session() starts with BEGIN IMMEDIATE,
    so writers queue. A rolled-back creation rolls the counter back too: no gaps, no reuse.
    """
    number = session.scalars(
        text("UPDATE workspace SET ticket_seq = ticket_seq + 1 WHERE id = :id RETURNING ticket_seq"),
        {"id": workspace_id},
    ).one_or_none()
    if number is None:
        raise NotFound("There is no such workspace.")
    return number


# --- Records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilter:
    statuses: tuple[str, ...] = DEFAULT_STATUSES  # empty = all statuses
    priorities: tuple[str, ...] = ()  # empty = all
    department_ids: tuple[int, ...] = ()  # empty = all
    search: str = ""  # a ticket ID, or words of any message or subject (services/search.py)
    assigned_to_me: bool = False
    waiting_on_team: bool = False  # the customer wrote last (team only)
    sort: str = "activity"  # one of SORTS


@dataclass(frozen=True)
class TicketRow:
    number: int
    ref: str
    subject: str
    department: str
    priority: str
    status: str
    last_reply_at: datetime
    created_at: datetime
    waiting_on: str  # "team" | "customer" | "" (closed)
    customer_name: str
    assignee_name: str
    unread: bool = False  # activity the user has not seen (services/unread.py)
    # A search's matched words: the subject in pieces, and a piece of the best-matching message.
    subject_pieces: tuple[search.Piece, ...] = ()
    snippet: tuple[search.Piece, ...] = ()


@dataclass(frozen=True)
class TicketPage:
    rows: list[TicketRow]
    next_cursor: str | None  # pass as `after` for the next page; None on the last page
    first: int = 1  # the position of the first row in the whole list ("26–50 of …")


@dataclass(frozen=True)
class MessageRecord:
    id: int  # 0 for the original body, else the reply id
    author_name: str
    author_role: str
    is_team: bool
    body: str
    created_at: datetime
    attachments: tuple[AttachmentRecord, ...] = ()
    is_internal: bool = False  # an internal note (services/notes.py): only ever read for the team


@dataclass(frozen=True)
class TicketView:
    number: int
    ref: str
    subject: str
    status: str
    priority: str
    department_id: int
    department: str
    customer_name: str
    assignee_name: str
    created_at: datetime
    last_reply_at: datetime
    waiting_on: str
    messages: tuple[MessageRecord, ...]
    can_reply: bool
    can_close: bool


@dataclass(frozen=True)
class TicketChanged:
    """What an action did, from what it wrote (the screen reads its view after the commit)."""

    number: int
    ref: str
    status: str
    department: str = ""
    assignee_name: str = ""
    message: MessageRecord | None = None  # the new message of a create or a reply


# --- Whose turn ------------------------------------------------------------------------


def _waiting_on(status: str, last_message_by_team: bool) -> str:
    """Whose turn it is, from the author of the last message (docs/product.md "Whose turn it is")."""
    if status == Status.CLOSED:
        return ""
    return "customer" if last_message_by_team else "team"


# --- The list ----------------------------------------------------------------------------

_Customer = aliased(User, name="customer")
_Assignee = aliased(User, name="assignee")

# What a list row needs, all from one query (no per-row lookups).
_ROW_COLUMNS: tuple[Any, ...] = (
    col(Ticket.id),
    col(Ticket.number),
    col(Ticket.subject),
    col(Ticket.priority),
    col(Ticket.status),
    col(Ticket.last_reply_at),
    col(Ticket.created_at),
    col(Ticket.last_message_by_team),
    col(Ticket.department_id),
    col(Department.name).label("department"),
    col(_Customer.name).label("customer_name"),
    col(_Customer.role).label("customer_role"),
    col(_Assignee.name).label("assignee_name"),
)


def _tickets_with_names(*extra_columns):
    return (
        select(*_ROW_COLUMNS, *extra_columns)
        .join(Department, col(Department.id) == col(Ticket.department_id))
        .join(_Customer, _Customer.id == col(Ticket.customer_id))
        .outerjoin(_Assignee, _Assignee.id == col(Ticket.assignee_id))
    )


def list_tickets(
    session: Session,
    user: CurrentUser,
    filters: TicketFilter = TicketFilter(),
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> TicketPage:
    """One page of the tickets `user` may see: a search's best matches first, otherwise in the
    filter's sort order (newest activity first by default).

    Keyset paging on (sort column, id) keeps every page as cheap as the first on a large
    workspace; a cursor that does not parse starts again from the first page.
    """
    limit = min(max(int(limit), 1), MAX_PAGE_SIZE)
    conditions = [visible_tickets(user), *_filter_conditions(user, filters)]
    terms = _search_terms(filters.search)
    if terms is None:
        return TicketPage([], None)
    if terms:
        return _search_page(session, user, conditions, terms, _decode_search_cursor(after), limit)
    position = _decode_cursor(after)
    if filters.sort == "priority":
        return _priority_page(session, user, conditions, position, limit)
    by = col(Ticket.created_at) if filters.sort == "created" else col(Ticket.last_reply_at)
    query = _list_query(user).where(*conditions)
    if position is not None:
        # A plain tuple on the right binds with the columns' own types (UTC timestamps).
        query = query.where(tuple_(by, col(Ticket.id)) < (position.moment, position.ticket_id))
    found = session.exec(query.order_by(by.desc(), col(Ticket.id).desc()).limit(limit + 1)).all()
    return _keyset_page(found, user, limit, position, "created_at" if filters.sort == "created" else "last_reply_at")


def _priority_page(session: Session, user: CurrentUser, conditions, position: _Position | None, limit: int):
    """Most urgent first, newest activity first within a priority: one index range per
    priority (ix_ticket_ws_priority_activity), read until the page is full."""
    found: list = []
    start = PRIORITY_ORDER.index(position.priority) if position and position.priority in PRIORITY_ORDER else 0
    for priority in PRIORITY_ORDER[start:]:
        query = _list_query(user).where(*conditions, col(Ticket.priority) == priority)
        if position is not None and priority == position.priority:
            query = query.where(
                tuple_(col(Ticket.last_reply_at), col(Ticket.id)) < (position.moment, position.ticket_id)
            )
        query = query.order_by(col(Ticket.last_reply_at).desc(), col(Ticket.id).desc()).limit(limit + 1 - len(found))
        found.extend(session.exec(query).all())
        if len(found) > limit:
            break
    return _keyset_page(found, user, limit, position, "last_reply_at", by_priority=True)


def _keyset_page(found, user: CurrentUser, limit: int, position, column: str, by_priority: bool = False):
    page = found[:limit]
    shown_before = position.shown if position is not None else 0
    next_cursor = None
    if len(found) > limit:
        last = page[-1]
        next_cursor = _encode_cursor(
            getattr(last, column), last.id, shown_before + len(page), last.priority if by_priority else ""
        )
    return TicketPage([_ticket_row(row, user) for row in page], next_cursor, first=shown_before + 1)


def _search_page(
    session: Session, user: CurrentUser, conditions, terms: tuple[str, ...], offset: int, limit: int
) -> TicketPage:
    """Best matches first; paged by position (a ranked list has no key to continue from), at
    most search.CANDIDATES deep."""
    matched = search.matching_messages(session, terms, team=user.is_team, conditions=conditions)
    found = session.exec(
        _list_query(user, col(Ticket.body), matched.c.reply_id, matched.c.score)
        .join(matched, matched.c.ticket_id == col(Ticket.id))
        .where(*conditions)
        .order_by(matched.c.score, col(Ticket.last_reply_at).desc(), col(Ticket.id).desc())
        .offset(offset)
        .limit(limit + 1)
    ).all()
    page = found[:limit]
    reply_ids = [row.reply_id for row in page if row.reply_id is not None]
    bodies = (
        dict(session.exec(select(col(Reply.id), col(Reply.body)).where(col(Reply.id).in_(reply_ids))).all())
        if reply_ids
        else {}
    )
    rows = [
        replace(
            _ticket_row(row, user),
            subject_pieces=search.highlight(row.subject, terms),
            snippet=search.snippet(bodies.get(row.reply_id, "") if row.reply_id else row.body, terms),
        )
        for row in page
    ]
    more = len(found) > limit and offset + limit < search.CANDIDATES
    return TicketPage(rows, f"~{offset + limit}" if more else None, first=offset + 1)


def count_tickets(session: Session, user: CurrentUser, filters: TicketFilter = TicketFilter()) -> int | None:
    """How many tickets the list shows under `filters`; None when more than COUNT_CAP, or when a
    team search matched more messages than it ranks (search.CANDIDATES)."""
    conditions = [visible_tickets(user), *_filter_conditions(user, filters)]
    terms = _search_terms(filters.search)
    if terms is None:
        return 0
    counted = select(col(Ticket.id)).where(*conditions)
    if terms:
        if user.is_team and search.team_candidates_capped(session, terms):
            return None
        matched = search.matching_messages(session, terms, team=user.is_team, conditions=conditions)
        counted = counted.join(matched, matched.c.ticket_id == col(Ticket.id))
    total = session.exec(select(func.count()).select_from(counted.limit(COUNT_CAP + 1).subquery())).one()
    return None if total > COUNT_CAP else total


def count_unread(session: Session, user: CurrentUser, filters: TicketFilter = TicketFilter()) -> int:
    """Unread tickets of the list under `filters` (its search aside), among its newest
    unread.COUNT_WINDOW."""
    return unread.count_unread(session, user, _filter_conditions(user, replace(filters, search="")))


def find_ticket_number(session: Session, user: CurrentUser, text: str) -> int | None:
    """A pasted ticket ID the user may see -> its number (to jump to it), else None.

    Unlike the list, this ignores the filters: a closed ticket is still found.
    """
    number = parse_ref(text)
    if number is None:
        return None
    return session.exec(select(col(Ticket.number)).where(visible_tickets(user), col(Ticket.number) == number)).first()


def _list_query(user: CurrentUser, *extra_columns):
    """The list's rows with whether each is unread for `user`."""
    return _tickets_with_names(col(TicketRead.seen_at).label("seen_at"), *extra_columns).outerjoin(
        TicketRead, unread.read_by(user.user_id)
    )


def _ticket_row(row, user: CurrentUser) -> TicketRow:
    seen_at = getattr(row, "seen_at", None)
    return TicketRow(
        number=row.number,
        ref=format_ref(row.number),
        subject=row.subject,
        department=row.department,
        priority=row.priority,
        status=row.status,
        last_reply_at=row.last_reply_at,
        created_at=row.created_at,
        waiting_on=_waiting_on(row.status, row.last_message_by_team),
        customer_name=row.customer_name,
        assignee_name=_assignee_shown_to(user, row.assignee_name),
        unread=seen_at is None or seen_at < row.last_reply_at,
    )


def _assignee_shown_to(user: CurrentUser, assignee_name: str | None) -> str:
    """Customers are not told who works on a ticket (docs/product.md "Roles and visibility")."""
    return (assignee_name or "") if user.is_team else ""


def _filter_conditions(user: CurrentUser, filters: TicketFilter) -> list[ColumnElement[bool]]:
    """The filters as WHERE conditions, combined with AND; unknown values are dropped.

    A search's words are matched by services/search.py; a pasted ticket ID narrows here."""
    conditions: list[ColumnElement[bool]] = []
    statuses = _known_values(filters.statuses, STATUSES)
    if statuses:
        conditions.append(col(Ticket.status).in_(statuses))
    priorities = _known_values(filters.priorities, PRIORITIES)
    if priorities:
        conditions.append(col(Ticket.priority).in_(priorities))
    department_ids = _valid_ids(filters.department_ids)
    if department_ids:
        conditions.append(col(Ticket.department_id).in_(department_ids))
    if filters.assigned_to_me:
        conditions.append(col(Ticket.assignee_id) == user.user_id)
    if filters.waiting_on_team and user.is_team:
        conditions.append(and_(col(Ticket.last_message_by_team).is_(False), col(Ticket.status) != Status.CLOSED.value))
    number = parse_ref((filters.search or "").strip()[:MAX_SEARCH_LENGTH])
    if number is not None:
        conditions.append(col(Ticket.number) == number)
    return conditions


def _search_terms(text: str) -> tuple[str, ...] | None:
    """The words to search for: none when the search is empty or a ticket ID, None when it has
    no word at all ("%"), which nothing matches."""
    text = (text or "").strip()[:MAX_SEARCH_LENGTH]
    if not text or parse_ref(text) is not None:
        return ()
    return search.search_terms(text) or None


def _as_tuple(values: Any) -> tuple:
    # A single value from a URL query ("open") must not be iterated letter by letter.
    if values is None:
        return ()
    if isinstance(values, (str, int)):
        return (values,)
    return tuple(values)


def _known_values(values: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = (str(value).strip().lower() for value in _as_tuple(values))
    return tuple(dict.fromkeys(value for value in cleaned if value in allowed))


def _valid_ids(values: Any) -> tuple[int, ...]:
    ids = (as_id(value) for value in _as_tuple(values))
    return tuple(dict.fromkeys(value for value in ids if value is not None))


def is_valid_cursor(cursor: str | None) -> bool:
    """A page cursor as `list_tickets` hands them out (the list screen starts again from the
    first page on anything else; the API refuses it)."""
    return _decode_cursor(cursor) is not None or _decode_search_cursor(cursor) > 0


@dataclass(frozen=True)
class _Position:
    """Where a keyset page ends: the last row's sort value and id, rows shown so far, and its
    priority under the priority sort."""

    moment: datetime
    ticket_id: int
    shown: int
    priority: str


def _encode_cursor(moment: datetime, ticket_id: int, shown: int, priority: str = "") -> str:
    return "|".join((priority, moment.astimezone(UTC).isoformat(), str(ticket_id), str(shown)))


def _decode_cursor(cursor: str | None) -> _Position | None:
    """The position a cursor encodes, or None when the cursor is absent or malformed."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > 64:
        return None
    parts = cursor.split("|")
    if len(parts) != 4 or (parts[0] and parts[0] not in PRIORITY_ORDER):
        return None
    priority, stamp, id_text, shown_text = parts
    ticket_id, shown = as_id(id_text), as_id(shown_text)
    if ticket_id is None or shown is None:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:  # we always write the offset; a naive time was not ours
        return None
    return _Position(moment.astimezone(UTC), ticket_id, shown, priority)


def _decode_search_cursor(cursor: str | None) -> int:
    """A search page's offset ("~25"), 0 for anything else."""
    if not isinstance(cursor, str) or not cursor.startswith("~") or len(cursor) > 8:
        return 0
    offset = as_id(cursor[1:])
    return offset if offset is not None and offset < search.CANDIDATES else 0


# --- One ticket --------------------------------------------------------------------------


def get_ticket(session: Session, user: CurrentUser, number: int) -> TicketView:
    """The ticket with its whole thread, or NotFound when it is missing or not the user's to see."""
    if not is_ticket_number(number):
        raise NotFound()
    row = session.exec(
        _tickets_with_names(col(Ticket.body)).where(visible_tickets(user), col(Ticket.number) == number)
    ).first()
    if row is None:
        raise NotFound()
    files = attachment_files.records_by_message(session, row.id)  # one query for the whole thread
    messages = (_original_message(row, files.get(None, ())), *_replies(session, row.id, files, user.is_team))
    is_open = row.status != Status.CLOSED
    return TicketView(
        number=row.number,
        ref=format_ref(row.number),
        subject=row.subject,
        status=row.status,
        priority=row.priority,
        department_id=row.department_id,
        department=row.department,
        customer_name=row.customer_name,
        assignee_name=_assignee_shown_to(user, row.assignee_name),
        created_at=row.created_at,
        last_reply_at=row.last_reply_at,
        waiting_on=_waiting_on(row.status, row.last_message_by_team),
        messages=messages,
        can_reply=is_open,
        can_close=is_open,
    )


def _original_message(row, attachments: tuple[AttachmentRecord, ...] = ()) -> MessageRecord:
    return MessageRecord(
        id=0,
        author_name=row.customer_name,
        author_role=row.customer_role,
        is_team=is_team_role(row.customer_role),
        body=row.body,
        created_at=row.created_at,
        attachments=attachments,
    )


def _replies(
    session: Session,
    ticket_id: int,
    files: dict[int | None, tuple[AttachmentRecord, ...]] | None = None,
    with_notes: bool = False,
) -> list[MessageRecord]:
    """The replies of a ticket, oldest first; internal notes only `with_notes` (for the team)."""
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
            col(Reply.id),
            col(Reply.body),
            col(Reply.created_at),
            col(Reply.is_internal),
            col(User.name),
            col(User.role),
        )
        .join(User, col(User.id) == col(Reply.author_id))
        .where(col(Reply.ticket_id) == ticket_id)
    )
    if not with_notes:
        query = query.where(col(Reply.is_internal) == False)
    rows = session.exec(query.order_by(col(Reply.created_at), col(Reply.id))).all()
    return [
        MessageRecord(
            id=reply_id,
            author_name=name,
            author_role=role,
            is_team=is_team_role(role),
            body=body,
            created_at=created_at,
            attachments=(files or {}).get(reply_id, ()),
            is_internal=is_internal,
        )
        for reply_id, body, created_at, is_internal, name, role in rows
    ]


# --- Changes -----------------------------------------------------------------------------


def create_ticket(
    session: Session,
    user: CurrentUser,
    subject: str,
    department_id: int | str | None,
    priority: str | None,
    body: str,
    *,
    now: datetime | None = None,
    attachments: Sequence[StagedFile] = (),
) -> TicketChanged:
    """A customer opens a ticket: status Open, the customer's turn is over (waiting on team).

    `attachments` (staged by services.attachments) are stored with the original message in
    this same transaction.
    """
    rate_limits.check_ticket_rate(session, user, now)
    if user.role != Role.CUSTOMER:
        raise Forbidden(ONLY_CUSTOMERS_OPEN)
    subject = check_subject(subject)
    department = department_of_workspace(session, user.workspace_id, department_id)
    if department_is_archived(department):
        raise InvalidInput(DEPARTMENT_ARCHIVED.format(name=department.name), "department")
    priority = check_priority(priority)
    body = check_message(body)
    attachment_files.check_staged(attachments)
    now = now or utcnow()

    # The number is taken last, so the workspace row stays locked as briefly as possible.
    ticket = Ticket(
        workspace_id=user.workspace_id,
        number=next_ticket_number(session, user.workspace_id),
        subject=subject,
        body=body,
        department_id=department.id,
        priority=priority,
        status=Status.OPEN.value,
        customer_id=user.user_id,
        created_at=now,
        last_reply_at=now,
        last_message_by_team=False,
    )
    session.add(ticket)
    session.flush()
    files = attachment_files.attach_files(session, user.workspace_id, ticket.id, None, attachments)
    search.index_message(session, ticket)
    unread.mark_seen(session, user.user_id, ticket.id, now)

    change = TicketForChange(ticket, department.name, customer_name=user.name, assignee_name="")
    notifications.queue_ticket_event(
        session, notifications.TICKET_CREATED, change, user, text=body, attachment_names=[f.name for f in files]
    )
    live.announce(session, "created", ticket, user.user_id)
    message = MessageRecord(0, user.name, user.role, False, body, now, tuple(files))
    return _changed(change, message)


def post_reply(
    session: Session,
    user: CurrentUser,
    number: int,
    body: str,
    *,
    now: datetime | None = None,
    attachments: Sequence[StagedFile] = (),
) -> TicketChanged:
    """Add a reply. A team reply makes the ticket Answered; a customer reply keeps its status.

    `attachments` (staged by services.attachments) are stored with the reply in this same
    transaction.
    """
    rate_limits.check_reply_rate(session, user, now)
    change = ticket_for_change(session, user, number)
    ticket = change.ticket
    if ticket.status == Status.CLOSED:  # first: on a closed ticket, that is what matters
        raise Conflict(TICKET_CLOSED)
    body = check_message(body)
    attachment_files.check_staged(attachments)
    now = now or utcnow()

    reply = Reply(ticket_id=ticket.id, author_id=user.user_id, body=body, created_at=now)
    session.add(reply)
    old_status = ticket.status
    if user.is_team:
        ticket.status = Status.ANSWERED.value
    ticket.last_reply_at = now
    ticket.last_message_by_team = user.is_team
    session.flush()
    files = attachment_files.attach_files(session, user.workspace_id, ticket.id, reply.id, attachments)
    search.index_message(session, ticket, reply)
    unread.mark_seen(session, user.user_id, ticket.id, now)

    # One email per recipient even when the reply also changed the status (docs/product.md "Email notifications").
    notifications.queue_ticket_event(
        session,
        notifications.REPLY_POSTED,
        change,
        user,
        text=body,
        attachment_names=[f.name for f in files],
        old_status=old_status,
    )
    live.announce(session, "replied", ticket, user.user_id)
    message = MessageRecord(reply.id, user.name, user.role, user.is_team, body, now, tuple(files))
    return _changed(change, message)


def close_ticket(session: Session, user: CurrentUser, number: int) -> TicketChanged:
    """Either party closes an Open or Answered ticket; a closed ticket is archived for good."""
    change = ticket_for_change(session, user, number)
    ticket = change.ticket
    if ticket.status == Status.CLOSED:
        raise Conflict(ALREADY_CLOSED)
    old_status = ticket.status
    ticket.status = Status.CLOSED.value
    session.flush()
    notifications.queue_ticket_event(session, notifications.STATUS_CHANGED, change, user, old_status=old_status)
    live.announce(session, "closed", ticket, user.user_id)
    return _changed(change)


def _changed(change: TicketForChange, message: MessageRecord | None = None) -> TicketChanged:
    ticket = change.ticket
    return TicketChanged(
        number=ticket.number,
        ref=format_ref(ticket.number),
        status=ticket.status,
        department=change.department_name,
        assignee_name=change.assignee_name,
        message=message,
    )


# --- Checks on what is typed in ----------------------------------------------------------


def check_subject(value: str | None) -> str:
    if not (value or "").strip():
        raise InvalidInput("The subject is required.", "subject")
    return one_line(value, "The subject", SUBJECT_MIN, SUBJECT_MAX, "subject")


def check_message(value: str | None) -> str:
    """Plain text, trimmed, inner line breaks kept; its length is counted after trimming."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:  # PostgreSQL cannot store it, and no keyboard types it
        raise InvalidInput("The message contains a character that is not allowed.", "body")
    text = text.strip()
    if not text:
        raise InvalidInput("The message is required.", "body")
    if len(text) < MESSAGE_MIN:
        raise InvalidInput(f"The message must be at least {MESSAGE_MIN} characters.", "body")
    if len(text) > MESSAGE_MAX:
        raise InvalidInput(f"The message must be at most {MESSAGE_MAX} characters.", "body")
    return text


def new_ticket_errors(subject: str, department_id: str, priority: str, body: str) -> dict[str, str]:
    """Every rule a New Ticket form breaks, by field, so all can be shown at once.

    The department is only checked for presence here; `create_ticket` checks that it is one of
    the workspace's.
    """
    errors: dict[str, str] = {}
    try:
        check_subject(subject)
    except InvalidInput as error:
        errors["subject"] = error.message
    if as_id(department_id) is None:
        errors["department"] = (
            "Choose one of the departments in the list."
            if str(department_id or "").strip()
            else "The department is required."
        )
    for field, check, value in (("priority", check_priority, priority), ("body", check_message, body)):
        try:
            check(value)
        except InvalidInput as error:
            errors[field] = error.message
    return errors


def check_priority(value: str | None) -> str:
    priority = (value or "").strip().lower()
    if not priority:
        return Priority.MEDIUM.value
    if priority not in PRIORITIES:
        raise InvalidInput("The priority must be Low, Medium, High or Urgent.", "priority")
    return priority
