"""The People page (admins): everyone of the workspace, Invite, role and departments,
Deactivate / Reactivate, invitations re-sent or revoked, and the customer sign-up setting.

Every action goes through services/admin.py, which checks again that the person acting is an
admin (a staff member or customer sending these events directly is refused there). The page
re-reads what it shows after each action and whenever another admin changes something (the
live bus's "administration" change).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import reflex as rx
from sqlmodel import Session

from xobito_web.db import read_session
from xobito_web.formatting import ROLE_LABELS, exact_time, iso_time, relative_time
from xobito_web.services import admin, live
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.errors import Forbidden, ServiceError
from xobito_web.services.ids import as_id
from xobito_web.services.workspaces import list_departments
from xobito_web.state.actions import SIGNED_OUT, ListActionsMixin
from xobito_web.state.live import NO_TICKET, LiveBatch
from xobito_web.state.session import PageRequest, SessionState, read_visitor

STATE_LABELS = {
    admin.ACTIVE: "Active",
    admin.INVITED: "Invited",
    admin.UNCONFIRMED: "Address not confirmed",
    admin.DEACTIVATED: "Deactivated",
}
INVITE_ROLES = ("staff", "admin", "customer")
TEAM_ROLES = ("staff", "admin")


@dataclass(frozen=True)
class PersonRow:
    id: str
    name: str
    email: str
    role: str
    role_label: str
    state: str
    state_label: str
    departments: str
    department_ids: list[str]
    last_sign_in: str
    last_sign_in_exact: str
    link_note: str
    is_team: bool
    is_self: bool


@dataclass(frozen=True)
class DepartmentOption:
    value: str
    label: str
    archived: bool


@dataclass(frozen=True)
class PeopleView:
    people: list[PersonRow]
    next_cursor: str
    departments: list[DepartmentOption]  # every department, the archived ones too
    signup_open: bool


@dataclass(frozen=True)
class PeopleRequest(PageRequest):
    group: str
    search: str
    after: str


@dataclass(frozen=True)
class PeopleResult:
    visitor: Visitor
    view: PeopleView | None  # None: not an admin


def _row(person: admin.PersonRecord, me: int) -> PersonRow:
    link_note = ""
    if person.link_expires_at is not None:
        link_note = f"Link valid until {exact_time(person.link_expires_at)}"
    elif person.state in (admin.INVITED, admin.UNCONFIRMED):
        link_note = "The link has expired"
    return PersonRow(
        id=str(person.id),
        name=person.name,
        email=person.email,
        role=person.role,
        role_label=ROLE_LABELS.get(person.role, person.role),
        state=person.state,
        state_label=STATE_LABELS.get(person.state, person.state),
        departments=", ".join(person.departments),
        department_ids=[str(department_id) for department_id in person.department_ids],
        last_sign_in=relative_time(person.last_sign_in_at) if person.last_sign_in_at else "Never",
        last_sign_in_exact=iso_time(person.last_sign_in_at) if person.last_sign_in_at else "",
        link_note=link_note,
        is_team=person.role != "customer",
        is_self=person.id == me,
    )


def read_people(user: CurrentUser, group: str, search: str, after: str, session: Session | None = None) -> PeopleView:
    """What the page shows (Forbidden for anyone but an admin)."""
    if session is None:
        with read_session() as own_session:
            return read_people(user, group, search, after, own_session)
    page = admin.list_people(session, user, group, search, after or None)
    return PeopleView(
        people=[_row(person, user.user_id) for person in page.people],
        next_cursor=page.next_cursor or "",
        departments=[
            DepartmentOption(str(d.id), f"{d.name} (archived)" if d.archived else d.name, d.archived)
            for d in list_departments(session, user.workspace_id)
        ],
        signup_open=admin.customer_signup(session, user),
    )


class PeopleState(ListActionsMixin, SessionState):
    allowed: bool = False  # an admin; anyone else is told the page is for admins
    loaded: bool = False
    people: list[PersonRow] = []
    group: str = admin.TEAM
    search: str = ""
    next_cursor: str = ""
    has_previous: bool = False
    departments: list[DepartmentOption] = []
    signup_open: bool = False
    # Invite
    invite_open: bool = False
    invite_role: str = "staff"
    invite_departments: list[str] = []
    invite_errors: dict[str, str] = {}
    # Edit role and departments
    edit_id: str = ""
    edit_name: str = ""
    edit_role: str = ""
    edit_departments: list[str] = []
    edit_held: list[str] = []  # the departments the person was in when the edit began
    edit_errors: dict[str, str] = {}
    # Deactivate asks first: confirm_id and confirm_name (ListActionsMixin)
    _change_kind: ClassVar[str] = "an administration change"
    _after: str = ""
    _previous: list[str] = []

    # --- Reading ----------------------------------------------------------------------------

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    def _load_request(self) -> PeopleRequest:
        return PeopleRequest(**vars(self._page_request()), group=admin.TEAM, search="", after="")

    @classmethod
    def _read_page(cls, request: PeopleRequest) -> PeopleResult:
        with read_session() as session:
            visitor = read_visitor(request.session_hash, request.subdomain)
            if visitor.user is None:
                return PeopleResult(visitor, None)
            try:
                return PeopleResult(visitor, read_people(visitor.user, request.group, request.search, "", session))
            except Forbidden:
                return PeopleResult(visitor, None)

    async def _show_page(self, request: PeopleRequest, result: PeopleResult):
        redirect = self._show_visitor(result.visitor)
        if result.visitor.user is None:
            return redirect
        self._watch(result.visitor.user, NO_TICKET)  # administration changes, its sessions
        self._set_if_changed(group=admin.TEAM, search="", has_previous=False, invite_open=False, edit_id="")
        self._forget_actions()
        self._after, self._previous = "", []
        self._show(result.view)
        return None

    def _show(self, view: PeopleView | None) -> None:
        if view is None:
            self._set_if_changed(allowed=False, loaded=True, people=[], departments=[])
            return
        self._set_if_changed(
            allowed=True,
            loaded=True,
            people=view.people,
            next_cursor=view.next_cursor,
            departments=view.departments,
            signup_open=view.signup_open,
        )

    async def _apply_live_change(self, batch: LiveBatch) -> None:
        """Another admin (or this one, in another tab) changed something: show it as it now is."""
        user = await self._live_user(batch)
        if user is None:
            self._signed_out_while_open()
            return
        if batch.change.kind != live.ADMINISTRATION:
            return
        group, search, after = self.group, self.search, self._after
        try:
            view = await batch.read(
                ("people", user.user_id, group, search, after), partial(read_people, user, group, search, after)
            )
        except Forbidden:  # no longer an admin
            view = None
        self._show(view)

    async def _reread(self, group: str, search: str, after: str) -> None:
        async with self:
            session_hash, subdomain = self._visitor_request()

        def read() -> PeopleView | None:
            user = read_visitor(session_hash, subdomain).user
            if user is None:
                raise ServiceError(SIGNED_OUT)
            try:
                return read_people(user, group, search, after)
            except Forbidden:
                return None

        try:
            view = await asyncio.to_thread(read)
        except ServiceError as error:
            async with self:
                self.error = error.message
            return
        async with self:
            self.group, self.search, self._after = group, search, after
            self.has_previous = bool(self._previous)
            self._show(view)

    # --- Finding people -----------------------------------------------------------------------

    @rx.event(background=True)
    async def show_group(self, group: str):
        if group not in (admin.TEAM, admin.CUSTOMERS):
            return
        async with self:
            self._previous = []
            search = self.search
        await self._reread(group, search, "")

    @rx.event(background=True)
    async def search_people(self, form_data: dict):
        search = str(form_data.get("q", ""))[: admin.MAX_SEARCH_LENGTH].strip()
        async with self:
            self._previous = []
            group = self.group
        await self._reread(group, search, "")

    @rx.event(background=True)
    async def next_page(self):
        async with self:
            if not self.next_cursor:
                return
            self._previous = [*self._previous, self._after][-100:]
            group, search, after = self.group, self.search, self.next_cursor
        await self._reread(group, search, after)

    @rx.event(background=True)
    async def previous_page(self):
        async with self:
            after = self._previous[-1] if self._previous else ""
            self._previous = self._previous[:-1]
            group, search = self.group, self.search
        await self._reread(group, search, after)

    # --- Acting ---------------------------------------------------------------------------------

    def _list_reader(self) -> Callable[[CurrentUser], PeopleView | None]:
        group, search, after = self.group, self.search, self._after

        def read(user: CurrentUser) -> PeopleView | None:
            try:
                return read_people(user, group, search, after)
            except Forbidden:  # e.g. an admin who made themselves staff
                return None

        return read

    # Invite

    @rx.event
    def open_invite(self):
        if self.allowed:
            self.invite_open, self.invite_role, self.invite_departments, self.invite_errors = True, "staff", [], {}

    @rx.event
    def set_invite_open(self, value: bool):
        self.invite_open = bool(value) and self.allowed

    @rx.event
    def set_invite_role(self, role: str):
        if role in INVITE_ROLES:
            self.invite_role = role
            if role == "customer":
                self.invite_departments = []

    @rx.event
    def toggle_invite_department(self, department_id: str, checked: bool):
        self.invite_departments = _toggled(self.invite_departments, department_id, checked, self.departments)

    @rx.event(background=True)
    async def invite(self, form_data: dict):
        email, name = str(form_data.get("email", ""))[:320], str(form_data.get("name", ""))[:500]
        async with self:
            role, department_ids = self.invite_role, list(self.invite_departments)
            errors = admin.invitation_errors(email, name, role, department_ids)
            if errors:  # every problem at once, next to its field
                self.invite_errors = errors
                return
        invited = await self._act(
            lambda session, user: admin.invite(session, user, email, name, role, department_ids),
            f"An invitation is on its way to {email.strip()}.",
            "invite_errors",
        )
        if invited:
            async with self:
                self.invite_open = False

    @rx.event(background=True)
    async def resend_invitation(self, user_id: str):
        person = await self._listed(user_id)
        if person is not None:
            await self._act(
                lambda session, user: admin.resend_invitation(session, user, person.id),
                f"A new invitation is on its way to {person.email}.",
            )

    @rx.event(background=True)
    async def revoke_invitation(self, user_id: str):
        person = await self._listed(user_id)
        if person is not None:
            await self._act(
                lambda session, user: admin.revoke_invitation(session, user, person.id),
                f"{person.name} is no longer invited.",
            )

    # Edit role and departments

    @rx.event
    def start_edit(self, user_id: str):
        person = next((p for p in self.people if p.id == user_id and p.is_team), None)
        if person is not None and self.allowed:
            self.edit_id, self.edit_name, self.edit_role = person.id, person.name, person.role
            self.edit_departments, self.edit_errors = list(person.department_ids), {}
            self.edit_held = list(person.department_ids)

    @rx.event
    def set_edit_open(self, value: bool):
        if not value:
            self.edit_id = ""

    @rx.event
    def set_edit_role(self, role: str):
        if role in TEAM_ROLES:
            self.edit_role = role

    @rx.event
    def toggle_edit_department(self, department_id: str, checked: bool):
        self.edit_departments = _toggled(self.edit_departments, department_id, checked, self.departments)

    @rx.event(background=True)
    async def save_edit(self):
        async with self:
            user_id, role, department_ids, name = (
                self.edit_id,
                self.edit_role,
                list(self.edit_departments),
                self.edit_name,
            )
        if not user_id:
            return
        saved = await self._act(
            lambda session, user: admin.change_person(session, user, user_id, role, department_ids),
            f"{name}'s role and departments are saved.",
            "edit_errors",
        )
        if saved:
            async with self:
                self.edit_id = ""

    # Deactivate, reactivate

    @rx.event
    def ask_deactivate(self, user_id: str):
        person = next((p for p in self.people if p.id == user_id), None)
        if person is not None and self.allowed:
            self.confirm_id, self.confirm_name = person.id, person.name

    @rx.event(background=True)
    async def deactivate(self):
        await self._act_on_confirmed(
            admin.deactivate,
            "{name} is deactivated and signed out. Their open tickets went back to their departments.",
        )

    @rx.event(background=True)
    async def reactivate(self, user_id: str):
        person = await self._listed(user_id)
        if person is not None:
            await self._act(
                lambda session, user: admin.reactivate(session, user, person.id), f"{person.name} can sign in again."
            )

    # Workspace setting

    @rx.event(background=True)
    async def set_signup_open(self, enabled: bool):
        enabled = bool(enabled)
        await self._act(
            lambda session, user: admin.set_customer_signup(session, user, enabled),
            "Customers can now sign up themselves." if enabled else "Customers can no longer sign up themselves.",
        )

    async def _listed(self, user_id: str) -> PersonRow | None:
        async with self:
            return next((p for p in self.people if p.id == user_id), None) if as_id(user_id) else None

    @rx.var
    def invite_department_choices(self) -> list[DepartmentOption]:
        return [option for option in self.departments if not option.archived]

    @rx.var
    def edit_department_choices(self) -> list[DepartmentOption]:
        """Open departments, and the archived ones the person was in (which they may leave)."""
        return [option for option in self.departments if not option.archived or option.value in self.edit_held]


def _toggled(chosen: list[str], department_id: str, checked: bool, known: list[DepartmentOption]) -> list[str]:
    if department_id not in {choice.value for choice in known}:
        return chosen
    rest = [value for value in chosen if value != department_id]
    return [*rest, department_id] if checked else rest
