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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, text, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from xobito_web.models import Department, Priority, Reply, Role, Status, Ticket, User, is_team_role, utcnow
from xobito_web.services import attachments as attachment_files
from xobito_web.services import live, notifications, rate_limits
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
# A search is a handful of words; the caps keep an absurd paste (or a crafted link) from
# building an absurd query (SQLite refuses LIKE patterns over 50,000 bytes and deep trees).
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 20

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
    search: str = ""  # a ticket ID, or subject words (all must appear, any case)
    assigned_to_me: bool = False


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


@dataclass(frozen=True)
class TicketPage:
    rows: list[TicketRow]
    next_cursor: str | None  # pass as `after` for the next page; None on the last page


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
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.priority,
    Ticket.status,
    Ticket.last_reply_at,
    Ticket.created_at,
    Ticket.last_message_by_team,
    Ticket.department_id,
    col(Department.name).label("department"),
    col(_Customer.name).label("customer_name"),
    col(_Customer.role).label("customer_role"),
    col(_Assignee.name).label("assignee_name"),
)


def _tickets_with_names(*extra_columns):
    return (
        select(*_ROW_COLUMNS, *extra_columns)
        .join(Department, Department.id == Ticket.department_id)
        .join(_Customer, _Customer.id == Ticket.customer_id)
        .outerjoin(_Assignee, _Assignee.id == Ticket.assignee_id)
    )


def list_tickets(
    session: Session,
    user: CurrentUser,
    filters: TicketFilter = TicketFilter(),
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> TicketPage:
    """One page of the tickets `user` may see, newest activity first.

    Keyset paging on (last_reply_at, id) keeps every page as cheap as the first on a large
    workspace; a cursor that does not parse starts again from the first page.
    """
    limit = min(max(int(limit), 1), MAX_PAGE_SIZE)
    query = _tickets_with_names().where(visible_tickets(user), *_filter_conditions(user, filters))
    position = _decode_cursor(after)
    if position is not None:
        # A plain tuple on the right binds with the columns' own types (UTC timestamps).
        query = query.where(tuple_(Ticket.last_reply_at, Ticket.id) < position)
    query = query.order_by(col(Ticket.last_reply_at).desc(), col(Ticket.id).desc()).limit(limit + 1)

    found = session.exec(query).all()
    page = found[:limit]
    next_cursor = _encode_cursor(page[-1].last_reply_at, page[-1].id) if len(found) > limit else None
    return TicketPage(rows=[_ticket_row(row, user) for row in page], next_cursor=next_cursor)


def find_ticket_number(session: Session, user: CurrentUser, text: str) -> int | None:
    """A pasted ticket ID the user may see -> its number (to jump to it), else None.

    Unlike the list, this ignores the filters: a closed ticket is still found.
    """
    number = parse_ref(text)
    if number is None:
        return None
    return session.exec(select(Ticket.number).where(visible_tickets(user), Ticket.number == number)).first()


def _ticket_row(row, user: CurrentUser) -> TicketRow:
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
    )


def _assignee_shown_to(user: CurrentUser, assignee_name: str | None) -> str:
    """Customers are not told who works on a ticket (docs/product.md "Roles and visibility")."""
    return (assignee_name or "") if user.is_team else ""


def _filter_conditions(user: CurrentUser, filters: TicketFilter) -> list[ColumnElement[bool]]:
    """The filters as WHERE conditions, combined with AND; unknown values are dropped."""
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
    conditions.extend(_search_conditions(filters.search))
    return conditions


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


def _search_conditions(search: str) -> list[ColumnElement[bool]]:
    """A pasted ticket ID narrows to that ticket; otherwise every word must be in the subject."""
    search = (search or "").strip()[:MAX_SEARCH_LENGTH]
    if not search:
        return []
    number = parse_ref(search)
    if number is not None:
        return [col(Ticket.number) == number]
    words = list(dict.fromkeys(search.lower().split()))[:MAX_SEARCH_WORDS]
    return [col(Ticket.subject).ilike(f"%{_escape_like(word)}%", escape="\\") for word in words]


def _escape_like(word: str) -> str:
    """Make % and _ (and the escape character itself) match literally."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def is_valid_cursor(cursor: str | None) -> bool:
    """A page cursor as `list_tickets` hands them out (the list screen starts again from the
    first page on anything else; the API refuses it)."""
    return _decode_cursor(cursor) is not None


def _encode_cursor(last_reply_at: datetime, ticket_id: int) -> str:
    return f"{last_reply_at.astimezone(UTC).isoformat()}|{ticket_id}"


def _decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(last_reply_at, id) of the last row shown, or None when the cursor is absent or malformed."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > 64:
        return None
    stamp, separator, id_text = cursor.partition("|")
    ticket_id = as_id(id_text) if separator else None
    if ticket_id is None:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:  # we always write the offset; a naive time was not ours
        return None
    return moment.astimezone(UTC), ticket_id


# --- One ticket --------------------------------------------------------------------------


def get_ticket(session: Session, user: CurrentUser, number: int) -> TicketView:
    """The ticket with its whole thread, or NotFound when it is missing or not the user's to see."""
    if not is_ticket_number(number):
        raise NotFound()
    row = session.exec(_tickets_with_names(Ticket.body).where(visible_tickets(user), Ticket.number == number)).first()
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
        .join(User, User.id == Reply.author_id)
        .where(Reply.ticket_id == ticket_id)
    )
    if not with_notes:
        query = query.where(Reply.is_internal == False)
    rows = session.exec(query.order_by(Reply.created_at, Reply.id)).all()
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
