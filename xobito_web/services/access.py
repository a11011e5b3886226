"""Who may see which ticket — the one rule, and the one way to fetch a ticket for a person.

Every service, route and screen asks here (docs/product.md, "People and workspaces"):
a customer sees their own tickets, staff the tickets of their departments and those assigned
to them, an admin every ticket of the workspace; nothing ever crosses workspaces. A ticket
the person may not see is NotFound, exactly like a missing one, so its existence never leaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from xobito_web.models import Department, DepartmentMember, Role, Ticket, User
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import NotFound
from xobito_web.services.ids import is_ticket_number


def visible_tickets(user: CurrentUser) -> ColumnElement[bool]:
    """The tickets `user` may see, as a WHERE condition (workspace first, then by role)."""
    in_workspace = col(Ticket.workspace_id) == user.workspace_id
    if user.role == Role.ADMIN:
        return in_workspace
    if user.role == Role.STAFF:
        my_departments = select(DepartmentMember.department_id).where(DepartmentMember.user_id == user.user_id)
        return and_(
            in_workspace, or_(col(Ticket.department_id).in_(my_departments), col(Ticket.assignee_id) == user.user_id)
        )
    if user.role == Role.CUSTOMER:
        return and_(in_workspace, col(Ticket.customer_id) == user.user_id)
    return false()  # an unknown role sees nothing


def same_view_key(user: CurrentUser) -> tuple[str, int]:
    """Equal for two people exactly when they are shown the same tickets and threads (the live
    hub reads a thread once per key, not once per person): a workspace's admins share one;
    anyone else (staff by department and assignment, a customer by ownership) is their own."""
    if user.role == Role.ADMIN:
        return ("admins of workspace", user.workspace_id)
    return ("person", user.user_id)


def visible_ticket_id(session: Session, user: CurrentUser, number: int) -> int:
    """The database id of ticket `number` if `user` may see it, else NotFound."""
    if not is_ticket_number(number):
        raise NotFound()
    ticket_id = session.exec(select(Ticket.id).where(visible_tickets(user), Ticket.number == number)).first()
    if ticket_id is None:
        raise NotFound()
    return ticket_id


@dataclass
class TicketForChange:
    """A ticket row to change, with the names the change's emails and screens need.

    Read in one statement; the action keeps it up to date as it changes the row, and hands it
    on to the notifications instead of letting them read it again.
    """

    ticket: Ticket
    department_name: str
    customer_name: str
    assignee_name: str


_Customer = aliased(User, name="ticket_customer")
_Assignee = aliased(User, name="ticket_assignee")


def ticket_for_change(session: Session, user: CurrentUser, number: int) -> TicketForChange:
    """The ticket `user` may see, locked until the transaction ends, else NotFound.

    FOR UPDATE makes a concurrent reply and close on PostgreSQL take turns, so nothing is added
    to a ticket that was just closed (SQLite writers already take turns: write_session()
    begins IMMEDIATE).
    """
    if not is_ticket_number(number):
        raise NotFound()
    row = session.exec(
        select(Ticket, col(Department.id), col(Department.name), _Customer.name, _Assignee.id, _Assignee.name)  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
        .join(Department, Department.id == Ticket.department_id)
        .join(_Customer, _Customer.id == Ticket.customer_id)
        .outerjoin(_Assignee, _Assignee.id == Ticket.assignee_id)
        .where(visible_tickets(user), Ticket.number == number)
        .with_for_update(of=Ticket)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound()
    ticket, department_id, department_name, customer_name, assignee_id, assignee_name = row
    if (department_id, assignee_id) != (ticket.department_id, ticket.assignee_id):
        # The ticket changed while we waited for its lock: PostgreSQL hands back the fresh
        # ticket row but the names joined before the wait. Read the current ones (rare).
        department_name = session.exec(select(Department.name).where(Department.id == ticket.department_id)).one()
        assignee_name = None
        if ticket.assignee_id is not None:
            assignee_name = session.exec(select(User.name).where(User.id == ticket.assignee_id)).one()
    return TicketForChange(ticket, department_name, customer_name, assignee_name or "")
