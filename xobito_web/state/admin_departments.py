"""The Departments page (admins): Add department, rename, Archive and restore.

Every action goes through services/admin.py (admins only, checked there). The page re-reads the
list after each action and when another admin changes something (the live bus).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import reflex as rx

from xobito_web.db import read_session
from xobito_web.services import admin, live
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.errors import Forbidden, InvalidInput
from xobito_web.services.ids import as_id
from xobito_web.state.actions import ListActionsMixin
from xobito_web.state.live import NO_TICKET, LiveBatch
from xobito_web.state.session import PageRequest, SessionState, read_visitor


@dataclass(frozen=True)
class DepartmentItem:
    id: str
    name: str
    archived: bool
    staff_label: str


@dataclass(frozen=True)
class DepartmentsResult:
    visitor: Visitor
    departments: list[DepartmentItem] | None  # None: not an admin


def _staff_label(count: int) -> str:
    return "No staff" if count == 0 else "1 staff member" if count == 1 else f"{count} staff members"


def read_departments(user: CurrentUser) -> list[DepartmentItem]:
    with read_session() as session:
        rows = admin.list_departments(session, user)
    return [DepartmentItem(str(row.id), row.name, row.archived, _staff_label(row.staff)) for row in rows]


class DepartmentsState(ListActionsMixin, SessionState):
    allowed: bool = False
    loaded: bool = False
    departments: list[DepartmentItem] = []
    add_errors: dict[str, str] = {}
    add_form_key: int = 0  # a new key empties the Add department field after a success
    renaming_id: str = ""
    rename_errors: dict[str, str] = {}
    _change_kind: ClassVar[str] = "a department change"

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    @classmethod
    def _read_page(cls, request: PageRequest) -> DepartmentsResult:
        visitor = read_visitor(request.session_hash, request.subdomain)
        if visitor.user is None:
            return DepartmentsResult(visitor, None)
        try:
            return DepartmentsResult(visitor, read_departments(visitor.user))
        except Forbidden:
            return DepartmentsResult(visitor, None)

    async def _show_page(self, request: PageRequest, result: DepartmentsResult):
        redirect = self._show_visitor(result.visitor)
        if result.visitor.user is None:
            return redirect
        self._watch(result.visitor.user, NO_TICKET)
        self._set_if_changed(add_errors={}, renaming_id="", rename_errors={})
        self._forget_actions()
        self._show(result.departments)
        return None

    def _show(self, departments: list[DepartmentItem] | None) -> None:
        self._set_if_changed(allowed=departments is not None, loaded=True, departments=departments or [])
        if self.renaming_id and self.renaming_id not in {d.id for d in self.departments}:
            self.renaming_id = ""

    async def _apply_live_change(self, batch: LiveBatch) -> None:
        user = await self._live_user(batch)
        if user is None:
            self._signed_out_while_open()
            return
        if batch.change.kind != live.ADMINISTRATION:
            return
        try:
            departments = await batch.read(("departments", user.user_id), partial(read_departments, user))
        except Forbidden:
            departments = None
        self._show(departments)

    def _list_reader(self) -> Callable[[CurrentUser], list[DepartmentItem]]:
        return read_departments

    @rx.event(background=True)
    async def add_department(self, form_data: dict):
        name = str(form_data.get("name", ""))[:500]
        try:
            name = admin.check_department_name(name)
        except InvalidInput as error:
            async with self:
                self.add_errors = {"name": error.message}
            return
        added = await self._act(
            lambda session, user: admin.add_department(session, user, name), f"{name} is added.", "add_errors"
        )
        if added:
            async with self:
                self.add_form_key += 1

    @rx.event
    def start_rename(self, department_id: str):
        if self.allowed and department_id in {d.id for d in self.departments}:
            self.renaming_id, self.rename_errors = department_id, {}

    @rx.event
    def cancel_rename(self):
        self.renaming_id, self.rename_errors = "", {}

    @rx.event(background=True)
    async def rename_department(self, form_data: dict):
        name = str(form_data.get("name", ""))[:500]
        async with self:
            department_id = self.renaming_id
        if not department_id:
            return
        try:
            name = admin.check_department_name(name)
        except InvalidInput as error:
            async with self:
                self.rename_errors = {"name": error.message}
            return
        renamed = await self._act(
            lambda session, user: admin.rename_department(session, user, department_id, name),
            f"The department is now called {name}.",
            "rename_errors",
        )
        if renamed:
            async with self:
                self.renaming_id = ""

    @rx.event
    def ask_archive(self, department_id: str):
        found = next((d for d in self.departments if d.id == department_id), None)
        if found is not None and self.allowed:
            self.confirm_id, self.confirm_name = found.id, found.name

    @rx.event(background=True)
    async def archive_department(self):
        await self._act_on_confirmed(admin.archive_department, "{name} is archived: it takes no new tickets.")

    @rx.event(background=True)
    async def restore_department(self, department_id: str):
        if as_id(department_id) is None:
            return
        async with self:
            name = next((d.name for d in self.departments if d.id == department_id), "The department")
        await self._act(
            lambda session, user: admin.restore_department(session, user, department_id),
            f"{name} takes new tickets again.",
        )
