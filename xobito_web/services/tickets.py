"""Tickets: numbering, the list, the thread, creating, replying and closing.

Every function takes the caller's open Session and, where a person acts, the signed-in
CurrentUser. Functions flush but never commit: the caller's `write_session()` block is the
transaction. What they return are small frozen records, safe to keep in UI state.

Who sees what (docs/product.md "Roles and visibility"), enforced in SQL by `_visible_to`:
a customer their own tickets, staff the tickets of their departments and those assigned to
them, an admin every ticket of the workspace; nothing ever crosses workspaces. A ticket the
user may not see raises NotFound, exactly like a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, text, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from xobito_web.models import Department, DepartmentMember, Priority, Reply, Role, Status, Ticket, User, utcnow
from xobito_web.services import attachments as attachment_files
from xobito_web.services import live
from xobito_web.services.attachments import AttachmentRecord, StagedFile
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Conflict, InvalidInput, NotFound
from xobito_web.services.workspaces import one_line

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
SUBJECT_MIN, SUBJECT_MAX = 3, 200
MESSAGE_MIN, MESSAGE_MAX = 5, 2000
DEFAULT_STATUSES = ("open", "answered")
STATUSES = tuple(status.value for status in Status)
PRIORITIES = tuple(priority.value for priority in Priority)
# Numbers and ids are 32-bit integer columns; a bigger value cannot exist and would make
# PostgreSQL raise "integer out of range" instead of simply finding nothing.
MAX_INT32 = 2**31 - 1
# A search is a handful of subject words; the cap keeps an absurd paste from building an
# absurd query (SQLite limits expression depth).
MAX_SEARCH_WORDS = 20

TICKET_CLOSED = "This ticket is closed. Open a new ticket instead."
ALREADY_CLOSED = "This ticket is already closed."
ONLY_CUSTOMERS_OPEN = "Only customers open tickets."


# --- Ticket IDs --------------------------------------------------------------------------

_REF_PATTERN = re.compile(r"TKT-?([0-9]{1,10})", re.IGNORECASE)


def format_ref(number: int) -> str:
    """42 -> "TKT-000042" (at least six digits; more once a workspace passes 999,999)."""
    return f"TKT-{number:06d}"


def parse_ref(text: str) -> int | None:
    """The number of a pasted ticket ID ("TKT-000042", " tkt-42 ", "TKT000042"), else None."""
    match = _REF_PATTERN.fullmatch((text or "").strip())
    if match is None:
        return None
    number = int(match.group(1))
    return number if _is_ticket_number(number) else None


def _is_ticket_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_INT32


def next_ticket_number(session: Session, workspace_id: int) -> int:
    """Hand out the workspace's next ticket number inside the caller's transaction.

    The UPDATE row-locks the workspace on PostgreSQL (a concurrent creator waits for our
    commit, then reads the new value); on SQLite write_session() starts with BEGIN IMMEDIATE,
    so writers queue. A rolled-back creation rolls the counter back too: no gaps, no reuse.
    """
    number = session.exec(
        text("UPDATE workspace SET ticket_seq = ticket_seq + 1 WHERE id = :id RETURNING ticket_seq"),
        params={"id": workspace_id},
    ).scalar_one_or_none()
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


# --- Who sees what -----------------------------------------------------------------------


def _visible_to(user: CurrentUser) -> ColumnElement[bool]:
    """The tickets `user` may see, as a WHERE condition (workspace first, then by role)."""
    in_workspace = Ticket.workspace_id == user.workspace_id
    if user.role == Role.ADMIN:
        return in_workspace
    if user.role == Role.STAFF:
        my_departments = select(DepartmentMember.department_id).where(DepartmentMember.user_id == user.user_id)
        return and_(in_workspace, or_(Ticket.department_id.in_(my_departments), Ticket.assignee_id == user.user_id))
    if user.role == Role.CUSTOMER:
        return and_(in_workspace, Ticket.customer_id == user.user_id)
    return false()  # an unknown role sees nothing


def visible_ticket_id(session: Session, user: CurrentUser, number: int) -> int:
    """The database id of ticket `number` if `user` may see it, else NotFound (downloads use it)."""
    if not _is_ticket_number(number):
        raise NotFound()
    ticket_id = session.exec(select(Ticket.id).where(_visible_to(user), Ticket.number == number)).first()
    if ticket_id is None:
        raise NotFound()
    return ticket_id


def _waiting_on(status: str, last_message_by_team: bool) -> str:
    """Whose turn it is, from the author of the last message (docs/product.md "Whose turn it is")."""
    if status == Status.CLOSED:
        return ""
    return "customer" if last_message_by_team else "team"


# --- The list ----------------------------------------------------------------------------

_Customer = aliased(User, name="customer")
_Assignee = aliased(User, name="assignee")

# What a list row needs, all from one query (no per-row lookups).
_ROW_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.priority,
    Ticket.status,
    Ticket.last_reply_at,
    Ticket.created_at,
    Ticket.last_message_by_team,
    Ticket.department_id,
    Department.name.label("department"),
    _Customer.name.label("customer_name"),
    _Customer.role.label("customer_role"),
    _Assignee.name.label("assignee_name"),
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
    query = _tickets_with_names().where(_visible_to(user), *_filter_conditions(user, filters))
    position = _decode_cursor(after)
    if position is not None:
        # A plain tuple on the right binds with the columns' own types (UTC timestamps).
        query = query.where(tuple_(Ticket.last_reply_at, Ticket.id) < position)
    query = query.order_by(Ticket.last_reply_at.desc(), Ticket.id.desc()).limit(limit + 1)

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
    return session.exec(select(Ticket.number).where(_visible_to(user), Ticket.number == number)).first()


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
    conditions = []
    statuses = _known_values(filters.statuses, STATUSES)
    if statuses:
        conditions.append(Ticket.status.in_(statuses))
    priorities = _known_values(filters.priorities, PRIORITIES)
    if priorities:
        conditions.append(Ticket.priority.in_(priorities))
    department_ids = _valid_ids(filters.department_ids)
    if department_ids:
        conditions.append(Ticket.department_id.in_(department_ids))
    if filters.assigned_to_me:
        conditions.append(Ticket.assignee_id == user.user_id)
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
    ids = (_as_id(value) for value in _as_tuple(values))
    return tuple(dict.fromkeys(value for value in ids if value is not None))


def _as_id(value: Any) -> int | None:
    """A database id from an int or a digit string (as found in a URL or a form), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_INT32 else None
    digits = str(value if value is not None else "").strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= 10:
        return _as_id(int(digits))
    return None


def _search_conditions(search: str) -> list[ColumnElement[bool]]:
    """A pasted ticket ID narrows to that ticket; otherwise every word must be in the subject."""
    search = (search or "").strip()
    if not search:
        return []
    number = parse_ref(search)
    if number is not None:
        return [Ticket.number == number]
    words = list(dict.fromkeys(search.lower().split()))[:MAX_SEARCH_WORDS]
    return [Ticket.subject.ilike(f"%{_escape_like(word)}%", escape="\\") for word in words]


def _escape_like(word: str) -> str:
    """Make % and _ (and the escape character itself) match literally."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _encode_cursor(last_reply_at: datetime, ticket_id: int) -> str:
    return f"{last_reply_at.astimezone(UTC).isoformat()}|{ticket_id}"


def _decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(last_reply_at, id) of the last row shown, or None when the cursor is absent or malformed."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > 64:
        return None
    stamp, separator, id_text = cursor.partition("|")
    ticket_id = _as_id(id_text) if separator else None
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
    if not _is_ticket_number(number):
        raise NotFound()
    row = session.exec(_tickets_with_names(Ticket.body).where(_visible_to(user), Ticket.number == number)).first()
    if row is None:
        raise NotFound()
    files = attachment_files.records_by_message(session, row.id)  # one query for the whole thread
    messages = (_original_message(row, files.get(None, ())), *_replies(session, row.id, files))
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
        is_team=_is_team_role(row.customer_role),
        body=row.body,
        created_at=row.created_at,
        attachments=attachments,
    )


def _replies(
    session: Session, ticket_id: int, files: dict[int | None, tuple[AttachmentRecord, ...]] | None = None
) -> list[MessageRecord]:
    rows = session.exec(
        select(Reply.id, Reply.body, Reply.created_at, User.name, User.role)
        .join(User, User.id == Reply.author_id)
        .where(Reply.ticket_id == ticket_id)
        .order_by(Reply.created_at, Reply.id)
    ).all()
    return [
        MessageRecord(
            id=row.id,
            author_name=row.name,
            author_role=row.role,
            is_team=_is_team_role(row.role),
            body=row.body,
            created_at=row.created_at,
            attachments=(files or {}).get(row.id, ()),
        )
        for row in rows
    ]


def _is_team_role(role: str) -> bool:
    return role in (Role.ADMIN, Role.STAFF)


# --- Changes -----------------------------------------------------------------------------


def create_ticket(
    session: Session,
    user: CurrentUser,
    subject: str,
    department_id: int | str,
    priority: str,
    body: str,
    *,
    now: datetime | None = None,
    attachments: Sequence[StagedFile] = (),
) -> TicketView:
    """A customer opens a ticket: status Open, the customer's turn is over (waiting on team).

    `attachments` (staged by services.attachments) are stored with the original message in
    this same transaction.
    """
    if user.role != Role.CUSTOMER:
        raise Conflict(ONLY_CUSTOMERS_OPEN)
    subject = check_subject(subject)
    department = _department_of_workspace(session, user.workspace_id, department_id)
    priority = _priority_value(priority)
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
    attachment_files.attach_files(session, user.workspace_id, ticket.id, None, attachments)
    _queue_notifications(session, "ticket_created", ticket, user)
    _announce(session, "created", ticket, user)
    return get_ticket(session, user, ticket.number)


def post_reply(
    session: Session,
    user: CurrentUser,
    number: int,
    body: str,
    *,
    now: datetime | None = None,
    attachments: Sequence[StagedFile] = (),
) -> TicketView:
    """Add a reply. A team reply makes the ticket Answered; a customer reply keeps its status.

    `attachments` (staged by services.attachments) are stored with the reply in this same
    transaction.
    """
    ticket = _lock_visible_ticket(session, user, number)
    if ticket.status == Status.CLOSED:
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
    session.add(ticket)
    session.flush()
    attachment_files.attach_files(session, user.workspace_id, ticket.id, reply.id, attachments)
    # One email per recipient even when the reply also changed the status (docs/product.md "Email notifications").
    _queue_notifications(session, "reply_posted", ticket, user, old_status=old_status)
    _announce(session, "replied", ticket, user)
    return get_ticket(session, user, ticket.number)


def close_ticket(session: Session, user: CurrentUser, number: int) -> TicketView:
    """Either party closes an Open or Answered ticket; a closed ticket is archived for good."""
    ticket = _lock_visible_ticket(session, user, number)
    if ticket.status == Status.CLOSED:
        raise Conflict(ALREADY_CLOSED)
    old_status = ticket.status
    ticket.status = Status.CLOSED.value
    session.add(ticket)
    session.flush()
    _queue_notifications(session, "status_changed", ticket, user, old_status=old_status)
    _announce(session, "closed", ticket, user)
    return get_ticket(session, user, ticket.number)


def _lock_visible_ticket(session: Session, user: CurrentUser, number: int) -> Ticket:
    """The ticket to change, locked until the transaction ends.

    FOR UPDATE makes a concurrent reply and close on PostgreSQL take turns, so nothing is
    added to a ticket that was just closed (SQLite writers already take turns).
    """
    if not _is_ticket_number(number):
        raise NotFound()
    ticket = session.exec(
        select(Ticket)
        .where(_visible_to(user), Ticket.number == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if ticket is None:
        raise NotFound()
    return ticket


def _announce(session: Session, kind: str, ticket: Ticket, actor: CurrentUser) -> None:
    """Tell the open screens (services/live.py) once this transaction commits."""
    live.publish_after_commit(
        session, live.Change(ticket.workspace_id, ticket.number, kind, actor.user_id, ticket.customer_id)
    )


def _queue_notifications(
    session: Session,
    event: str,
    ticket: Ticket,
    actor: CurrentUser,
    old_status: str | None = None,
    **details: Any,
) -> None:
    """Queue the event's OutboxEmail rows in this same transaction (services/notifications.py).

    Events: "ticket_created" (admins + department staff), "reply_posted" (the other party; one
    email even if the status changed too), "status_changed" (the other party),
    "ticket_assigned" (the new assignee, else the new department's staff; `details` carries
    old_department_id / old_assignee_id). Recipients and wording: docs/product.md "Email notifications".
    """
    from xobito_web.services import notifications  # imported here: the hook stays self-contained

    notifications.queue_ticket_event(session, event, ticket, actor, old_status=old_status, **details)


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


def _priority_value(value: str | None) -> str:
    priority = (value or "").strip().lower()
    if not priority:
        return Priority.MEDIUM.value
    if priority not in PRIORITIES:
        raise InvalidInput("The priority must be Low, Medium, High or Urgent.", "priority")
    return priority


def _department_of_workspace(session: Session, workspace_id: int, value: int | str | None) -> Department:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("The department is required.", "department")
    department_id = _as_id(value)
    department = None
    if department_id is not None:
        department = session.exec(
            select(Department).where(Department.id == department_id, Department.workspace_id == workspace_id)
        ).first()
    if department is None:
        raise InvalidInput("Choose one of the departments in the list.", "department")
    return department
