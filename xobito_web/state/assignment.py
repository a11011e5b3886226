"""The assignment panel of a ticket (team only): admins move and assign, staff take.

The thread's load fills it (state/ticket_view.py) and live changes refresh it; what an
assignment changes in the ticket's header reaches the thread through the live bus, as for
everyone else looking at the ticket.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import reflex as rx
from sqlmodel import Session

from xobito_web.db import read_session, write_session
from xobito_web.services import assignment
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import NotFound, ServiceError
from xobito_web.services.ids import as_id, parse_ref
from xobito_web.state.session import SessionState, read_visitor
from xobito_web.state.ticket_list import Choice, list_department_choices

UNASSIGNED = "none"  # a select item cannot have an empty value
GONE = "This ticket is no longer yours to see."


@dataclass(frozen=True)
class AssignmentPanel:
    can_assign: bool
    can_take: bool
    department: str
    assignee: str
    departments: list[Choice]
    assignees: list[Choice]


NO_ASSIGNMENT = AssignmentPanel(False, False, "", "", [], [])


def _assignee_choices(session: Session, user: CurrentUser, department: str) -> list[Choice]:
    people = assignment.list_assignable(session, user, department)
    return [Choice(str(person.id), f"{person.name} ({person.role})") for person in people]


def read_assignment(session: Session, user: CurrentUser, number: int) -> AssignmentPanel:
    if not user.is_team:
        return NO_ASSIGNMENT
    info = assignment.get_assignment(session, user, number)
    department = str(info.department_id)
    departments, assignees = [], []
    if info.can_assign:
        departments = list_department_choices(session, user.workspace_id, keep_id=info.department_id)
        assignees = _assignee_choices(session, user, department)
    return AssignmentPanel(
        info.can_assign, info.can_take, department, str(info.assignee_id or ""), departments, assignees
    )


def read_assignment_alone(user: CurrentUser, number: int) -> AssignmentPanel:
    with read_session() as session:
        return read_assignment(session, user, number)


def _read_assignees(session_hash: str, subdomain: str, department: str) -> list[Choice]:
    user = read_visitor(session_hash, subdomain).user
    if user is None or not user.is_admin:
        return []
    with read_session() as session:
        return _assignee_choices(session, user, department)


@dataclass(frozen=True)
class ChangeResult:
    notice: str
    error: str
    panel: AssignmentPanel | None  # None: the ticket is gone from this person's view


def _change(
    session_hash: str, subdomain: str, number: int, department: str | None, assignee: str | None
) -> ChangeResult:
    """Take (no department given) or assign, then read the panel as it now is."""
    user = read_visitor(session_hash, subdomain).user
    if user is None:
        return ChangeResult("", GONE, None)
    notice, error = "", ""
    try:
        with write_session() as session:
            if department is None:
                changed = assignment.take_ticket(session, user, number)
            else:
                changed = assignment.assign_ticket(session, user, number, department, assignee)
        notice = f"Assigned to {changed.assignee_name or 'nobody'} in {changed.department}."
    except NotFound:
        return ChangeResult("", GONE, None)
    except ServiceError as refused:
        error = refused.message
    try:
        return ChangeResult(notice, error, read_assignment_alone(user, number))
    except NotFound:  # e.g. moved to a department this staff member is not in
        return ChangeResult(notice, error, None)


class AssignmentState(SessionState):
    can_assign: bool = False
    can_take: bool = False
    department_choices: list[Choice] = []
    assignee_choices: list[Choice] = []
    chosen_department: str = ""
    chosen_assignee: str = ""
    assignment_notice: str = ""
    assignment_error: str = ""
    assigning: bool = False

    def _show_panel(self, panel: AssignmentPanel, fresh: bool = False) -> None:
        if fresh:
            self._set_if_changed(assignment_notice="", assignment_error="")
        self._set_if_changed(
            can_assign=panel.can_assign,
            can_take=panel.can_take,
            chosen_department=panel.department,
            department_choices=panel.departments,
            assignee_choices=panel.assignees,
        )
        self._choose_known_assignee(panel.assignee)

    def _choose_known_assignee(self, assignee: str) -> None:
        known = {choice.value for choice in self.assignee_choices}
        self._set_if_changed(chosen_assignee=assignee if assignee in known else "")

    @rx.event(background=True)
    async def choose_department(self, department_id: str):
        async with self:
            if not self.can_assign or as_id(department_id) is None:
                return
            self.chosen_department = department_id
            session_hash, subdomain = self._visitor_request()
        try:
            choices = await asyncio.to_thread(_read_assignees, session_hash, subdomain, department_id)
        except ServiceError as error:
            async with self:
                self.assignment_error = error.message
            return
        async with self:
            if self.chosen_department == department_id:
                self.assignee_choices = choices
                self._choose_known_assignee(self.chosen_assignee)

    @rx.event
    def choose_assignee(self, assignee_id: str):
        if self.can_assign and (assignee_id == UNASSIGNED or as_id(assignee_id) is not None):
            self.chosen_assignee = "" if assignee_id == UNASSIGNED else assignee_id

    @rx.event(background=True)
    async def assign(self):
        async with self:
            department, assignee = self.chosen_department, self.chosen_assignee or None
        return await self._run_change(department, assignee)

    @rx.event(background=True)
    async def take(self):
        return await self._run_change(None, None)

    async def _run_change(self, department: str | None, assignee: str | None):
        async with self:
            number = parse_ref(self.ticket)
            if self.assigning or number is None:
                return None
            self.assigning = True
            session_hash, subdomain, page = *self._visitor_request(), self._page()
        result = await asyncio.to_thread(_change, session_hash, subdomain, number, department, assignee)
        async with self:
            self.assigning = False
            if self._page() == page:
                self._show_panel(result.panel or NO_ASSIGNMENT)
                self.assignment_notice, self.assignment_error = result.notice, result.error
        return None
