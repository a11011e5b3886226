"""Assignment: admins move a ticket to a department and/or give it to a team member; staff take one.

Same conventions as services/tickets.py: the caller's Session is the transaction (flush, never
commit), the signed-in CurrentUser acts, a ticket the user may not see is NotFound. An
assignment queues its "ticket_assigned" emails in the same transaction.

Who may be the assignee of a ticket in department D: an active admin of the workspace, or an
active staff member of D. Customers never. A closed ticket is archived: no assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from xobito_web.models import DepartmentMember, Role, Status, Ticket, User
from xobito_web.services import live, notifications
from xobito_web.services.access import TicketForChange, ticket_for_change, visible_tickets
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from xobito_web.services.ids import as_id, format_ref, is_ticket_number
from xobito_web.services.tickets import DEPARTMENT_ARCHIVED, TicketChanged
from xobito_web.services.workspaces import department_is_archived, department_of_workspace

ONLY_ADMINS_ASSIGN = "Only admins assign tickets."
ONLY_TEAM_TAKES = "Only team members take tickets."
CLOSED = "This ticket is closed."
NOT_YOUR_DEPARTMENT = "You can only take tickets of your departments."
NOT_ASSIGNABLE = "Choose a team member of the ticket's department."


@dataclass(frozen=True)
class PersonRecord:
    id: int
    name: str
    role: str  # "admin" | "staff"


@dataclass(frozen=True)
class AssignmentInfo:
    """What the ticket view needs for its assignment controls."""

    department_id: int
    assignee_id: int | None
    can_assign: bool  # the user is an admin and the ticket is not closed
    can_take: bool  # team member, ticket open, not assigned to anyone yet, of their department


def list_assignable(session: Session, actor: CurrentUser, department_id: int | str) -> list[PersonRecord]:
    """The people an admin may pick as assignee for a ticket in this department, by name.

    Active admins of the workspace and active staff members of the department.
    """
    if not actor.is_admin:
        raise Forbidden(ONLY_ADMINS_ASSIGN)
    department = department_of_workspace(session, actor.workspace_id, department_id)
    members = select(DepartmentMember.user_id).where(DepartmentMember.department_id == department.id)
    rows = session.exec(
        select(User.id, User.name, User.role)
        .where(
            User.workspace_id == actor.workspace_id,
            User.active == True,
            (col(User.role) == Role.ADMIN.value) | ((col(User.role) == Role.STAFF.value) & col(User.id).in_(members)),
        )
        .order_by(User.name, col(User.id))
    ).all()
    return [PersonRecord(user_id, name, role) for user_id, name, role in rows]


def get_assignment(session: Session, actor: CurrentUser, number: int) -> AssignmentInfo:
    """The ticket's department and assignee and what `actor` may do about them (NotFound if unseen)."""
    if not is_ticket_number(number):
        raise NotFound()
    ticket = session.exec(select(Ticket).where(visible_tickets(actor), Ticket.number == number)).first()
    if ticket is None:
        raise NotFound()
    is_open = ticket.status != Status.CLOSED
    can_take = (
        is_open
        and actor.is_team
        and ticket.assignee_id is None
        and (actor.is_admin or _is_member(session, actor.user_id, ticket.department_id))
    )
    return AssignmentInfo(
        department_id=ticket.department_id,
        assignee_id=ticket.assignee_id,
        can_assign=is_open and actor.is_admin,
        can_take=can_take,
    )


def assign_ticket(
    session: Session,
    actor: CurrentUser,
    number: int,
    department_id: int | str | None,
    assignee_id: int | str | None,
) -> TicketChanged:
    """An admin sets the ticket's department and assignee in one go.

    `department_id` None keeps the current department; `assignee_id` None (or "") leaves the
    ticket unassigned. The assignee must be an admin or a staff member of the (new) department.
    Nothing changes and no email is sent when both are already as asked.
    """
    if not actor.is_admin:
        raise Forbidden(ONLY_ADMINS_ASSIGN)
    change = ticket_for_change(session, actor, number)
    if change.ticket.status == Status.CLOSED:
        raise Conflict(CLOSED)
    department_name = change.department_name
    new_department_id = change.ticket.department_id
    if not (department_id is None or (isinstance(department_id, str) and not department_id.strip())):
        department = department_of_workspace(session, actor.workspace_id, department_id)
        if department.id != new_department_id and department_is_archived(department):
            # Moving a ticket there would give an archived department a new ticket.
            raise InvalidInput(DEPARTMENT_ARCHIVED.format(name=department.name), "department")
        new_department_id, department_name = department.id, department.name
    assignee = _assignee_for(session, actor.workspace_id, new_department_id, assignee_id)
    return _change(session, actor, change, new_department_id, department_name, assignee)


def take_ticket(session: Session, actor: CurrentUser, number: int) -> TicketChanged:
    """A team member assigns the ticket to themselves.

    Staff may take tickets of their departments; admins any. A ticket someone else has already
    taken (or been given) is refused, so two people clicking "take" at once cannot both think
    it is theirs; an admin reassigns with `assign_ticket`. Taking one's own ticket changes nothing.
    """
    if not actor.is_team:
        raise Forbidden(ONLY_TEAM_TAKES)
    change = ticket_for_change(session, actor, number)
    ticket = change.ticket
    if ticket.status == Status.CLOSED:
        raise Conflict(CLOSED)
    if ticket.assignee_id != actor.user_id:
        if not actor.is_admin and not _is_member(session, actor.user_id, ticket.department_id):
            raise Forbidden(NOT_YOUR_DEPARTMENT)
        if ticket.assignee_id is not None:
            raise Conflict(f"This ticket is already assigned to {change.assignee_name or 'someone else'}.")
    me = PersonRecord(actor.user_id, actor.name, actor.role)
    return _change(session, actor, change, ticket.department_id, change.department_name, me)


# --- helpers -----------------------------------------------------------------------------


def _change(
    session: Session,
    actor: CurrentUser,
    change: TicketForChange,
    department_id: int,
    department_name: str,
    assignee: PersonRecord | None,
) -> TicketChanged:
    ticket = change.ticket
    old_department_id, old_assignee_id = ticket.department_id, ticket.assignee_id
    assignee_id = assignee.id if assignee else None
    if (department_id, assignee_id) != (old_department_id, old_assignee_id):
        ticket.department_id = department_id
        ticket.assignee_id = assignee_id
        change.department_name = department_name
        change.assignee_name = assignee.name if assignee else ""
        session.flush()
        notifications.queue_ticket_event(
            session,
            notifications.TICKET_ASSIGNED,
            change,
            actor,
            old_department_id=old_department_id,
            old_assignee_id=old_assignee_id,
        )
        live.announce(session, "assigned", ticket, actor.user_id)
    return TicketChanged(
        number=ticket.number,
        ref=format_ref(ticket.number),
        status=ticket.status,
        department=change.department_name,
        assignee_name=change.assignee_name,
    )


def _assignee_for(
    session: Session, workspace_id: int, department_id: int, value: int | str | None
) -> PersonRecord | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    user_id = as_id(value)
    user = None
    if user_id is not None:
        user = session.exec(
            select(User).where(User.id == user_id, User.workspace_id == workspace_id, User.active == True)
        ).first()
    if user is None or not (
        user.role == Role.ADMIN or (user.role == Role.STAFF and _is_member(session, user.id, department_id))
    ):
        raise InvalidInput(NOT_ASSIGNABLE, "assignee")
    return PersonRecord(user.id, user.name, user.role)


def _is_member(session: Session, user_id: int, department_id: int) -> bool:
    return (
        session.exec(
            select(DepartmentMember.user_id).where(
                DepartmentMember.user_id == user_id, DepartmentMember.department_id == department_id
            )
        ).first()
        is not None
    )
