"""The New Ticket form (customers)."""

from __future__ import annotations

import reflex as rx

from xobito_web.db import read_session, write_session
from xobito_web.services import tickets, workspaces
from xobito_web.services.errors import InvalidInput, ServiceError
from xobito_web.state.session import SessionState
from xobito_web.state.ticket_list import Choice


class NewTicketState(SessionState):
    departments: list[Choice] = []
    subject: str = ""
    department: str = ""
    priority: str = "medium"
    body: str = ""
    errors: dict[str, str] = {}
    form_error: str = ""
    _just_created: bool = False

    @rx.event
    def load(self):
        redirect = self.require_sign_in()
        if redirect is not None or not self.signed_in:
            return redirect
        self.subject, self.department, self.priority, self.body = "", "", "medium", ""
        self.errors, self.form_error, self._just_created = {}, "", False
        self._unwatch()
        user = self.current_user()
        with read_session() as session:
            self.departments = [Choice(str(d.id), d.name) for d in workspaces.list_departments(session, user.workspace_id)]
        return None

    @rx.event
    def set_subject(self, value: str):
        self.subject = value

    @rx.event
    def set_department(self, value: str):
        self.department = value

    @rx.event
    def set_priority(self, value: str):
        self.priority = value

    @rx.event
    def set_body(self, value: str):
        self.body = value

    @rx.event
    def submit(self):
        user = self.current_user()
        if user is None:
            return self.login_redirect()
        if self._just_created and not self.subject and not self.body:
            return None  # a double click: the ticket is already made and the page is moving on
        self.errors, self.form_error = {}, ""
        if not self.department:
            self.errors = {"department": "Choose a department."}
            return None
        try:
            with write_session() as session:
                view = tickets.create_ticket(session, user, self.subject, self.department, self.priority, self.body)
        except InvalidInput as error:
            self.errors = {error.field or "form": error.message}
            return None
        except ServiceError as error:
            self.form_error = error.message
            return None
        self.subject, self.body, self._just_created = "", "", True
        return rx.redirect(f"/{self._subdomain()}/tickets/{view.ref}")

    @rx.var
    def subject_length(self) -> int:
        return len(self.subject.strip())

    @rx.var
    def body_length(self) -> int:
        return len(self.body.strip())
