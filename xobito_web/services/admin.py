"""Workspace administration: people (invite, role, departments, deactivate) and departments.

Admins only. Every function first checks, inside the caller's transaction, that the actor is
still an active admin of the workspace (an admin demoted or deactivated a moment ago cannot act
from a screen left open) and refuses everyone else with Forbidden. On PostgreSQL a change also
locks the workspace's active admins' rows, so admin changes of one workspace take turns and the
last active admin can never be removed by two changes at once (SQLite writers take turns
already). Each change announces "administration" on the live bus after the commit (ids only),
so every open admin screen of the workspace re-reads what it shows.

People have one of four states: active; invited (an admin invited them, no password yet);
unconfirmed (signed up, address not confirmed yet); deactivated (cannot sign in, gets no email,
keeps their tickets and messages). Deactivating someone ends their sessions at once, stops the
emails still queued for them, and gives their open tickets back to their departments,
unassigned, with one email per department to its staff.

The team's roles are admin and staff; customers stay customers (their tickets are theirs as
customers; a team member is invited with a team address instead). A staff member belongs to at
least one department. An archived department takes no new tickets and no new members; its
tickets stay where they are, visible as before. At least one department stays open.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, tuple_, update
from sqlmodel import Session, col, select

from xobito_web import urls
from xobito_web.formatting import ROLE_LABELS
from xobito_web.models import (
    AccountToken,
    Department,
    DepartmentMember,
    EmailOptOut,
    OutboxEmail,
    Pending,
    Role,
    Status,
    Ticket,
    User,
    Workspace,
    is_team_role,
    utcnow,
)
from xobito_web.services import account_emails, accounts, auth, live, notifications
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from xobito_web.services.ids import as_id, format_ref
from xobito_web.services.workspaces import find_department, normalize_email, one_line

ONLY_ADMINS = "Only admins of the workspace can do that."
NO_SUCH_PERSON = "There is no such person in this workspace."
NO_SUCH_DEPARTMENT = "There is no such department in this workspace."
LAST_ADMIN = "{name} is the last active admin. Make someone else an admin first."
STAFF_NEED_A_DEPARTMENT = "Choose at least one department for a staff member."
CUSTOMERS_HAVE_NO_DEPARTMENTS = "Customers do not belong to departments."
CHOOSE_LISTED_DEPARTMENTS = "Choose departments from the list."
CUSTOMERS_STAY_CUSTOMERS = "A customer stays a customer. Invite team members with an address of their own."
TEAM_ROLES_ONLY = "The role must be Admin or Staff."
ROLES_TEXT = "The role must be Admin, Staff or Customer."
KEEP_ONE_DEPARTMENT_OPEN = "Keep at least one department open for new tickets."
DEPARTMENT_NAME_MAX = 80

ACTIVE, INVITED, UNCONFIRMED, DEACTIVATED = "active", "invited", "unconfirmed", "deactivated"
TEAM, CUSTOMERS = "team", "customers"
PEOPLE_PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 100


def person_state(active: bool, pending: str) -> str:
    if active:
        return ACTIVE
    waiting: dict[str, str] = {Pending.INVITATION.value: INVITED, Pending.VERIFICATION.value: UNCONFIRMED}
    return waiting.get(pending, DEACTIVATED)


@dataclass(frozen=True)
class PersonRecord:
    id: int
    name: str
    email: str
    role: str
    state: str  # active | invited | unconfirmed | deactivated
    department_ids: tuple[int, ...]
    departments: tuple[str, ...]  # their names, in the same order
    last_sign_in_at: datetime | None
    link_expires_at: datetime | None  # an invited or unconfirmed person's open link


@dataclass(frozen=True)
class PeoplePage:
    people: list[PersonRecord]
    next_cursor: str | None  # pass as `after` for the next page


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    name: str
    archived: bool
    staff: int  # active staff members


@dataclass(frozen=True)
class Invited:
    user_id: int
    email: str
    link: str  # the Set password link (emailed; `xobito invite` prints it too)


# --- Who may ------------------------------------------------------------------------------


def _check_admin(session: Session, actor: CurrentUser, lock: bool = False) -> list[int]:
    """The workspace's active admins (the actor among them), else Forbidden; locked for a change."""
    if not actor.is_admin:
        raise Forbidden(ONLY_ADMINS)
    query = select(User.id).where(
        User.workspace_id == actor.workspace_id, User.role == Role.ADMIN.value, User.active == True
    )
    if lock and session.get_bind().dialect.name != "sqlite":
        # FOR NO KEY UPDATE: admin changes take turns; rows that merely refer to an admin do not wait.
        query = query.order_by(col(User.id)).with_for_update(key_share=True)
    admins = list(session.exec(query).all())
    if actor.user_id not in admins:
        raise Forbidden(ONLY_ADMINS)
    return admins


def _workspace(session: Session, actor: CurrentUser) -> Workspace:
    workspace = session.get(Workspace, actor.workspace_id)
    if workspace is None:
        raise NotFound("There is no such workspace.")
    return workspace


def _announce(session: Session, actor: CurrentUser) -> None:
    live.announce_administration(session, actor.workspace_id, actor.user_id)


def _person(session: Session, actor: CurrentUser, user_id: int | str | None) -> User:
    found_id = as_id(user_id)
    user = None
    if found_id is not None:
        user = session.exec(
            select(User)
            .where(User.id == found_id, User.workspace_id == actor.workspace_id)
            .execution_options(populate_existing=True)
        ).first()
    if user is None:
        raise NotFound(NO_SUCH_PERSON)
    return user


# --- People -------------------------------------------------------------------------------


def list_people(
    session: Session,
    actor: CurrentUser,
    group: str = TEAM,
    search: str = "",
    after: str | None = None,
    limit: int = PEOPLE_PAGE_SIZE,
) -> PeoplePage:
    """One page of the workspace's team (or customers), by name; `search` matches words of the
    name or email. Keyset paging on (name, id)."""
    _check_admin(session, actor)
    limit = min(max(int(limit), 1), 200)
    in_group = User.role == Role.CUSTOMER.value if group == CUSTOMERS else User.role != Role.CUSTOMER.value
    query = select(User).where(User.workspace_id == actor.workspace_id, in_group, *_search_conditions(search))
    position = _decode_cursor(after)
    if position is not None:
        query = query.where(tuple_(User.name, User.id) > position)
    found = list(session.exec(query.order_by(User.name, col(User.id)).limit(limit + 1)).all())
    page = found[:limit]
    next_cursor = json.dumps([page[-1].name, page[-1].id]) if len(found) > limit else None
    return PeoplePage(_records(session, page), next_cursor)


def get_person(session: Session, actor: CurrentUser, user_id: int | str) -> PersonRecord:
    _check_admin(session, actor)
    return _records(session, [_person(session, actor, user_id)])[0]


def _search_conditions(search: str) -> list[ColumnElement[bool]]:
    words = list(dict.fromkeys((search or "").strip()[:MAX_SEARCH_LENGTH].lower().split()))[:10]
    conditions = []
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(col(User.name).ilike(pattern, escape="\\"), col(User.email).ilike(pattern, escape="\\")))
    return conditions


def _decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not isinstance(cursor, str) or not cursor or len(cursor) > 400:
        return None
    try:
        name, user_id = json.loads(cursor)
    except (ValueError, TypeError):
        return None
    if not isinstance(name, str) or as_id(user_id) is None:
        return None
    return name, int(user_id)


def _records(session: Session, users: list[User]) -> list[PersonRecord]:
    """Their departments and open links too: two queries for the whole page."""
    ids = [user.id for user in users]
    departments: dict[int, list[tuple[int, str]]] = defaultdict(list)
    links: dict[int, datetime] = {}
    if ids:
        for user_id, department_id, name in session.exec(
            select(DepartmentMember.user_id, Department.id, Department.name)
            .join(Department, col(Department.id) == col(DepartmentMember.department_id))
            .where(col(DepartmentMember.user_id).in_(ids))
            .order_by(Department.name)
        ).all():
            departments[user_id].append((department_id, name))
        pending = [user.id for user in users if user.pending != Pending.NONE]
        if pending:
            links = dict(
                session.exec(
                    select(AccountToken.user_id, func.max(AccountToken.expires_at))
                    .where(col(AccountToken.user_id).in_(pending), col(AccountToken.used_at) == None)
                    .group_by(col(AccountToken.user_id))
                ).all()
            )
    return [
        PersonRecord(
            id=user.id,
            name=user.name,
            email=user.email,
            role=user.role,
            state=person_state(user.active, user.pending),
            department_ids=tuple(department_id for department_id, _ in departments[user.id]),
            departments=tuple(name for _, name in departments[user.id]),
            last_sign_in_at=user.last_sign_in_at,
            link_expires_at=links.get(user.id),
        )
        for user in users
    ]


def check_role(role: str | None) -> str:
    role = (role or "").strip().lower()
    if role not in {r.value for r in Role}:
        raise InvalidInput(ROLES_TEXT, "role")
    return role


def _departments_by_ids(
    session: Session,
    workspace_id: int,
    values: Sequence[int | str],
    keep: frozenset[int] | set[int] = frozenset(),
) -> list[Department]:
    """The chosen departments, each of this workspace and open (or already held: `keep`)."""
    ids = {as_id(value) for value in values}
    if None in ids or len(ids) > 200:
        raise InvalidInput(CHOOSE_LISTED_DEPARTMENTS, "departments")
    if not ids:
        return []
    found = list(
        session.exec(
            select(Department).where(Department.workspace_id == workspace_id, col(Department.id).in_(ids))
        ).all()
    )
    if len(found) != len(ids) or any(d.archived_at is not None and d.id not in keep for d in found):
        raise InvalidInput(CHOOSE_LISTED_DEPARTMENTS, "departments")
    return found


def _departments_by_names(session: Session, workspace: Workspace, names: Sequence[str]) -> list[Department]:
    found = []
    for name in names:
        department = find_department(session, workspace.id, name)
        if department is None or department.archived_at is not None:
            raise InvalidInput(f"There is no open department {name!r} in {workspace.subdomain!r}.", "departments")
        found.append(department)
    return found


def _check_departments(role: str, departments: list[Department]) -> None:
    if role == Role.CUSTOMER and departments:
        raise InvalidInput(CUSTOMERS_HAVE_NO_DEPARTMENTS, "departments")
    if role == Role.STAFF and not departments:
        raise InvalidInput(STAFF_NEED_A_DEPARTMENT, "departments")


def invitation_errors(
    email: str | None, name: str | None, role: str | None, department_ids: Sequence[int | str]
) -> dict[str, str]:
    """Every rule an Invite form breaks that needs no database, by field, to show all at once
    (`invite` checks everything again, and what does need the database)."""
    errors: dict[str, str] = {}
    checks = (("email", lambda: normalize_email(email)), ("name", lambda: accounts.check_name(name)))
    for field, check in (*checks, ("role", lambda: check_role(role))):
        try:
            check()
        except InvalidInput as error:
            errors[field] = error.message
    if "role" not in errors:
        if role == Role.STAFF and not department_ids:
            errors["departments"] = STAFF_NEED_A_DEPARTMENT
        elif role == Role.CUSTOMER and department_ids:
            errors["departments"] = CUSTOMERS_HAVE_NO_DEPARTMENTS
    return errors


def invite(
    session: Session,
    actor: CurrentUser,
    email: str | None,
    name: str | None,
    role: str | None,
    department_ids: Sequence[int | str] = (),
    now: datetime | None = None,
) -> Invited:
    """Invite someone: listed as Invited, emailed a Set password link (7 days)."""
    _check_admin(session, actor, lock=True)
    workspace = _workspace(session, actor)
    role = check_role(role)
    departments = _departments_by_ids(session, actor.workspace_id, department_ids)
    return create_invitation(session, workspace, email, name, role, departments, actor.name, actor.user_id, now)


def invite_by_department_names(
    session: Session,
    workspace: Workspace,
    email: str | None,
    name: str | None,
    role: str | None,
    department_names: Sequence[str] = (),
    now: datetime | None = None,
) -> Invited:
    """`xobito invite`: the same invitation, from the command line (trusted like create-user)."""
    role = check_role(role)
    departments = _departments_by_names(session, workspace, department_names)
    return create_invitation(session, workspace, email, name, role, departments, "", 0, now)


def create_invitation(
    session: Session,
    workspace: Workspace,
    email: str | None,
    name: str | None,
    role: str,
    departments: list[Department],
    inviter_name: str,
    inviter_id: int,
    now: datetime | None = None,
) -> Invited:
    now = now or utcnow()
    email = normalize_email(email)
    name = accounts.check_name(name)
    _check_departments(role, departments)
    auth.take_turns_on_account(session, workspace.id, email, "account-email")  # with a sign-up
    if session.exec(select(User.id).where(User.workspace_id == workspace.id, User.email == email)).first():
        raise InvalidInput(f"There is already an account for {email} in this workspace.", "email")
    user = User(
        workspace_id=workspace.id,
        email=email,
        name=name,
        role=role,
        password_hash="",
        active=False,
        pending=Pending.INVITATION.value,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for department in {d.id: d for d in departments}.values():
        session.add(DepartmentMember(department_id=department.id, user_id=user.id))
    link = _send_invitation(session, workspace, user, inviter_name, now)
    live.announce_administration(session, workspace.id, inviter_id)
    return Invited(user.id, user.email, link)


def _send_invitation(session: Session, workspace: Workspace, user: User, inviter_name: str, now: datetime) -> str:
    link = accounts.link_url(
        workspace.subdomain, accounts.INVITATION, accounts.issue_link(session, user, accounts.INVITATION, now)
    )
    content = account_emails.invitation(
        name=user.name,
        inviter_name=inviter_name or f"The team of {workspace.name}",
        workspace_name=workspace.name,
        role_label=_role_label(user.role),
        link=link,
    )
    notifications.queue_email(
        session,
        workspace_id=workspace.id,
        recipient=user.email,
        content=content,
        event=account_emails.INVITATION,
        now=now,
    )
    return link


def _role_label(role: str) -> str:
    return {"admin": "an admin", "staff": "a staff member", "customer": "a customer"}.get(
        role, ROLE_LABELS.get(role, role)
    )


def resend_invitation(session: Session, actor: CurrentUser, user_id: int | str, now: datetime | None = None) -> Invited:
    """A new Set password link for someone invited (the older link stops working)."""
    _check_admin(session, actor, lock=True)
    user = _person(session, actor, user_id)
    if user.pending != Pending.INVITATION:
        raise Conflict(f"{user.name} is not waiting for an invitation.")
    workspace = _workspace(session, actor)
    link = _send_invitation(session, workspace, user, actor.name, now or utcnow())
    _announce(session, actor)
    return Invited(user.id, user.email, link)


def revoke_invitation(session: Session, actor: CurrentUser, user_id: int | str) -> str:
    """Take back an invitation (or an unconfirmed sign-up): the person is removed; returns their name.

    Someone who never joined has no session, ticket or message, so nothing else refers to them.
    """
    _check_admin(session, actor, lock=True)
    user = _person(session, actor, user_id)
    if user.active or user.pending == Pending.NONE:
        raise Conflict(f"{user.name} has joined already: deactivate them instead.")
    name = user.name
    for table, column in (
        (AccountToken, AccountToken.user_id),
        (EmailOptOut, EmailOptOut.user_id),
        (DepartmentMember, DepartmentMember.user_id),
    ):
        session.exec(delete(table).where(col(column) == user.id))
    session.delete(user)
    session.flush()
    _announce(session, actor)
    return name


def change_person(
    session: Session,
    actor: CurrentUser,
    user_id: int | str,
    role: str | None,
    department_ids: Sequence[int | str],
) -> PersonRecord:
    """Change a person's role (admin or staff) and departments; the last active admin stays one."""
    admins = _check_admin(session, actor, lock=True)
    user = _person(session, actor, user_id)
    role = check_role(role)
    if (role == Role.CUSTOMER) != (user.role == Role.CUSTOMER):
        raise InvalidInput(CUSTOMERS_STAY_CUSTOMERS if user.role == Role.CUSTOMER else TEAM_ROLES_ONLY, "role")
    held = set(session.exec(select(DepartmentMember.department_id).where(DepartmentMember.user_id == user.id)).all())
    departments = _departments_by_ids(session, actor.workspace_id, department_ids, keep=held)
    _check_departments(role, departments)
    if user.role == Role.ADMIN and role != Role.ADMIN and admins == [user.id]:
        raise Conflict(LAST_ADMIN.format(name=user.name))
    chosen = {department.id for department in departments}
    if role == user.role and chosen == held:
        return _records(session, [user])[0]  # nothing to change
    user.role = role
    if held - chosen:
        session.exec(
            delete(DepartmentMember).where(
                col(DepartmentMember.user_id) == user.id, col(DepartmentMember.department_id).in_(held - chosen)
            )
        )
    for department_id in chosen - held:
        session.add(DepartmentMember(department_id=department_id, user_id=user.id))
    session.flush()
    _announce(session, actor)
    return _records(session, [user])[0]


def deactivate(session: Session, actor: CurrentUser, user_id: int | str, now: datetime | None = None) -> int:
    """Deactivate someone: signed out at once, no more email, tickets and messages kept; their
    open tickets go back to their departments (whose staff are emailed). Returns how many."""
    admins = _check_admin(session, actor, lock=True)
    user = _person(session, actor, user_id)
    if user.id == actor.user_id:
        raise Conflict("You cannot deactivate your own account. Another admin can.")
    if not user.active:
        raise Conflict(
            f"{user.name} is not active."
            if user.pending == Pending.NONE
            else f"{user.name} has not joined yet: revoke the invitation instead."
        )
    if user.role == Role.ADMIN and admins == [user.id]:
        raise Conflict(LAST_ADMIN.format(name=user.name))
    now = now or utcnow()
    user.active = False
    auth.end_sessions(session, user.id)
    session.exec(
        update(OutboxEmail)
        .where(
            col(OutboxEmail.workspace_id) == actor.workspace_id,
            col(OutboxEmail.recipient) == user.email,
            col(OutboxEmail.status) == "queued",
        )
        .values(status="failed", last_error="Not sent: the recipient was deactivated.")
    )
    returned = _return_tickets(session, actor, user, now) if is_team_role(user.role) else 0
    _announce(session, actor)
    return returned


def _return_tickets(session: Session, actor: CurrentUser, user: User, now: datetime) -> int:
    tickets = list(
        session.exec(
            select(Ticket)
            .where(
                Ticket.workspace_id == actor.workspace_id,
                Ticket.assignee_id == user.id,
                Ticket.status != Status.CLOSED.value,
            )
            .order_by(col(Ticket.department_id), col(Ticket.number))
            .with_for_update()
        ).all()
    )
    if not tickets:
        return 0
    by_department: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        ticket.assignee_id = None
        by_department[ticket.department_id].append(ticket)
    session.flush()
    names = dict(
        session.exec(
            select(col(Department.id), col(Department.name)).where(col(Department.id).in_(list(by_department)))
        ).all()
    )
    workspace = _workspace(session, actor)
    for department_id, returned in by_department.items():
        links = [
            account_emails.TicketLink(
                format_ref(t.number), t.subject, urls.absolute(urls.ticket(workspace.subdomain, format_ref(t.number)))
            )
            for t in returned
        ]
        for recipient in notifications.department_staff_for(session, returned[0], actor.user_id):
            content = account_emails.tickets_returned(
                name=recipient.name,
                person_name=user.name,
                department=names.get(department_id, ""),
                tickets=links,
                workspace_name=workspace.name,
            )
            notifications.queue_email(
                session,
                workspace_id=workspace.id,
                recipient=recipient.email,
                content=content,
                event=account_emails.TICKETS_RETURNED,
                now=now,
            )
        for ticket in returned:
            live.announce(session, "assigned", ticket, actor.user_id)
    return len(tickets)


def reactivate(session: Session, actor: CurrentUser, user_id: int | str) -> None:
    """A deactivated person may sign in again (their tickets stay with their departments)."""
    _check_admin(session, actor, lock=True)
    user = _person(session, actor, user_id)
    if user.active or user.pending != Pending.NONE:
        raise Conflict(f"{user.name} is not deactivated.")
    user.active = True
    session.flush()
    _announce(session, actor)


# --- Departments --------------------------------------------------------------------------


def list_departments(session: Session, actor: CurrentUser) -> list[DepartmentRow]:
    """Every department of the workspace by name, the archived ones too, with its active staff."""
    _check_admin(session, actor)
    staff = (
        select(DepartmentMember.department_id, func.count().label("staff"))
        .join(User, col(User.id) == col(DepartmentMember.user_id))
        .where(User.active == True, User.role == Role.STAFF.value)
        .group_by(col(DepartmentMember.department_id))
        .subquery()
    )
    rows = session.exec(
        select(Department.id, Department.name, Department.archived_at, func.coalesce(staff.c.staff, 0))
        .outerjoin(staff, staff.c.department_id == Department.id)
        .where(Department.workspace_id == actor.workspace_id)
        .order_by(Department.name)
    ).all()
    return [DepartmentRow(row[0], row[1], row[2] is not None, int(row[3])) for row in rows]


def check_department_name(value: str | None) -> str:
    return one_line(value, "The department name", 1, DEPARTMENT_NAME_MAX, "name")


def _unique_name(session: Session, workspace_id: int, name: str, department_id: int | None = None) -> None:
    same = find_department(session, workspace_id, name)
    if same is not None and same.id != department_id:
        archived = " (archived)" if same.archived_at is not None else ""
        raise InvalidInput(f"There is already a department named {same.name!r}{archived}.", "name")


def _department(session: Session, actor: CurrentUser, department_id: int | str | None) -> Department:
    found_id = as_id(department_id)
    department = None
    if found_id is not None:
        department = session.exec(
            select(Department).where(Department.id == found_id, Department.workspace_id == actor.workspace_id)
        ).first()
    if department is None:
        raise NotFound(NO_SUCH_DEPARTMENT)
    return department


def add_department(session: Session, actor: CurrentUser, name: str | None) -> DepartmentRow:
    _check_admin(session, actor, lock=True)
    name = check_department_name(name)
    _unique_name(session, actor.workspace_id, name)
    department = Department(workspace_id=actor.workspace_id, name=name)
    session.add(department)
    session.flush()
    _announce(session, actor)
    return DepartmentRow(department.id, department.name, False, 0)


def rename_department(session: Session, actor: CurrentUser, department_id: int | str, name: str | None) -> None:
    _check_admin(session, actor, lock=True)
    department = _department(session, actor, department_id)
    name = check_department_name(name)
    _unique_name(session, actor.workspace_id, name, department.id)
    if department.name != name:
        department.name = name
        session.flush()
        _announce(session, actor)


def archive_department(
    session: Session, actor: CurrentUser, department_id: int | str, now: datetime | None = None
) -> None:
    """No new tickets for it any more; its tickets stay where they are, visible as before."""
    _check_admin(session, actor, lock=True)
    department = _department(session, actor, department_id)
    if department.archived_at is not None:
        raise Conflict(f"{department.name} is archived already.")
    still_open = session.exec(
        select(Department.id).where(
            Department.workspace_id == actor.workspace_id,
            Department.archived_at == None,
            Department.id != department.id,
        )
    ).first()
    if still_open is None:
        raise Conflict(KEEP_ONE_DEPARTMENT_OPEN)
    department.archived_at = now or utcnow()
    session.flush()
    _announce(session, actor)


def restore_department(session: Session, actor: CurrentUser, department_id: int | str) -> None:
    _check_admin(session, actor, lock=True)
    department = _department(session, actor, department_id)
    if department.archived_at is None:
        raise Conflict(f"{department.name} is not archived.")
    department.archived_at = None
    session.flush()
    _announce(session, actor)


# --- Workspace settings -------------------------------------------------------------------


def customer_signup(session: Session, actor: CurrentUser) -> bool:
    _check_admin(session, actor)
    return bool(session.exec(select(Workspace.customer_signup).where(Workspace.id == actor.workspace_id)).one())


def set_customer_signup(session: Session, actor: CurrentUser, enabled: bool) -> None:
    """Whether customers may create their own accounts (Sign up on the sign-in page)."""
    _check_admin(session, actor, lock=True)
    session.exec(update(Workspace).where(col(Workspace.id) == actor.workspace_id).values(customer_signup=bool(enabled)))
    _announce(session, actor)
