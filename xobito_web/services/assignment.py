"""Assignment: admins move a ticket to a department and/or give it to a team member; staff take one.

Same conventions as services/tickets.py: the caller's Session is the transaction (flush, never
commit), the signed-in CurrentUser acts, a ticket the user may not see is NotFound. An
assignment queues its "ticket_assigned" emails in the same transaction.

Who may be the assignee of a ticket in department D: an active admin of the workspace, or an
active staff member of D. Customers never. A closed ticket is archived: no assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from xobito_web.models import DepartmentMember, Role, Status, Ticket, User
from xobito_web.services import tickets
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Conflict, InvalidInput, NotFound
from xobito_web.services.tickets import TicketView

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
        raise Conflict(ONLY_ADMINS_ASSIGN)
    department = tickets._department_of_workspace(session, actor.workspace_id, department_id)
    members = select(DepartmentMember.user_id).where(DepartmentMember.department_id == department.id)
    rows = session.exec(
        select(User.id, User.name, User.role)
        .where(
            User.workspace_id == actor.workspace_id,
            User.active == True,
            (User.role == Role.ADMIN.value) | ((User.role == Role.STAFF.value) & User.id.in_(members)),
        )
        .order_by(User.name, User.id)
    ).all()
    return [PersonRecord(row.id, row.name, row.role) for row in rows]


def get_assignment(session: Session, actor: CurrentUser, number: int) -> AssignmentInfo:
    """The ticket's department and assignee and what `actor` may do about them (NotFound if unseen)."""
    ticket = _visible_ticket(session, actor, number)
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
) -> TicketView:
    """An admin sets the ticket's department and assignee in one go.

    `department_id` None keeps the current department; `assignee_id` None (or "") leaves the
    ticket unassigned. The assignee must be an admin or a staff member of the (new) department.
    Nothing changes and no email is sent when both are already as asked.
    """
    if not actor.is_admin:
        raise Conflict(ONLY_ADMINS_ASSIGN)
    ticket = tickets._lock_visible_ticket(session, actor, number)
    if ticket.status == Status.CLOSED:
        raise Conflict(CLOSED)
    if department_id is None or (isinstance(department_id, str) and not department_id.strip()):
        new_department_id = ticket.department_id
    else:
        new_department_id = tickets._department_of_workspace(session, actor.workspace_id, department_id).id
    new_assignee_id = _assignee_for(session, actor.workspace_id, new_department_id, assignee_id)
    return _change(session, actor, ticket, new_department_id, new_assignee_id)


def take_ticket(session: Session, actor: CurrentUser, number: int) -> TicketView:
    """A team member assigns the ticket to themselves.

    Staff may take tickets of their departments; admins any. A ticket someone else has already
    taken (or been given) is refused, so two people clicking "take" at once cannot both think
    it is theirs; an admin reassigns with `assign_ticket`. Taking one's own ticket changes nothing.
    """
    if not actor.is_team:
        raise Conflict(ONLY_TEAM_TAKES)
    ticket = tickets._lock_visible_ticket(session, actor, number)
    if ticket.status == Status.CLOSED:
        raise Conflict(CLOSED)
    if ticket.assignee_id == actor.user_id:
        return tickets.get_ticket(session, actor, ticket.number)
    if not actor.is_admin and not _is_member(session, actor.user_id, ticket.department_id):
        raise Conflict(NOT_YOUR_DEPARTMENT)
    if ticket.assignee_id is not None:
        holder = session.get(User, ticket.assignee_id)
        raise Conflict(f"This ticket is already assigned to {holder.name if holder else 'someone else'}.")
    return _change(session, actor, ticket, ticket.department_id, actor.user_id)


# --- helpers -----------------------------------------------------------------------------


def _change(
    session: Session, actor: CurrentUser, ticket: Ticket, department_id: int, assignee_id: int | None
) -> TicketView:
    old_department_id, old_assignee_id = ticket.department_id, ticket.assignee_id
    if (department_id, assignee_id) != (old_department_id, old_assignee_id):
        ticket.department_id = department_id
        ticket.assignee_id = assignee_id
        session.add(ticket)
        session.flush()
        tickets._queue_notifications(
            session,
            "ticket_assigned",
            ticket,
            actor,
            old_department_id=old_department_id,
            old_assignee_id=old_assignee_id,
        )
        tickets._announce(session, "assigned", ticket, actor)  # the live bus (services/live.py)
    return tickets.get_ticket(session, actor, ticket.number)


def _assignee_for(session: Session, workspace_id: int, department_id: int, value: int | str | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    user_id = tickets._as_id(value)
    user = None
    if user_id is not None:
        user = session.exec(
            select(User).where(User.id == user_id, User.workspace_id == workspace_id, User.active == True)
        ).first()
    if user is None or not (
        user.role == Role.ADMIN or (user.role == Role.STAFF and _is_member(session, user.id, department_id))
    ):
        raise InvalidInput(NOT_ASSIGNABLE, "assignee")
    return user.id


def _is_member(session: Session, user_id: int, department_id: int) -> bool:
    return (
        session.exec(
            select(DepartmentMember.user_id).where(
                DepartmentMember.user_id == user_id, DepartmentMember.department_id == department_id
            )
        ).first()
        is not None
    )


def _visible_ticket(session: Session, actor: CurrentUser, number: int) -> Ticket:
    if not tickets._is_ticket_number(number):
        raise NotFound()
    ticket = session.exec(select(Ticket).where(tickets._visible_to(actor), Ticket.number == number)).first()
    if ticket is None:
        raise NotFound()
    return ticket
