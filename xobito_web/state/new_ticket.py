"""The New Ticket form (customers)."""

from __future__ import annotations

import reflex as rx

from xobito_web.db import read_session, write_session
from xobito_web.services import tickets
from xobito_web.services.errors import InvalidInput, ServiceError
from xobito_web.state.session import SessionState
from xobito_web.state.ticket_list import Choice, list_department_choices
from xobito_web.state.uploads import new_nonce, post_with_files, progress_percent

NEW_TICKET_UPLOAD_ID = "new-ticket-files"


class NewTicketState(SessionState):
    departments: list[Choice] = []
    subject: str = ""
    department: str = ""
    priority: str = "medium"
    body: str = ""
    errors: dict[str, str] = {}
    form_nonce: str = ""
    sending: bool = False
    upload_percent: int = 0

    @rx.event
    def load(self):
        user, redirect = self._require_sign_in()
        if user is None:
            return redirect
        self._unwatch()
        self.subject, self.department, self.priority, self.body = "", "", "medium", ""
        self.errors, self.form_nonce, self.sending = {}, new_nonce(), False
        with read_session() as session:
            self.departments = list_department_choices(session, user.workspace_id)
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
    def set_upload_progress(self, progress: dict):
        self.upload_percent = progress_percent(progress)

    @rx.event(background=True)
    async def submit(self, chunks: rx.UploadChunkIterator, form_data: dict):
        """The ticket and its files are stored together; then the new ticket opens."""
        async with self:
            if self.sending or form_data.get("nonce") != self.form_nonce:
                return  # a second click: this ticket is already being created
            user = self.current_user()
            if user is None:
                yield self.login_redirect()
                return
            subject, body = str(form_data.get("subject", "")), str(form_data.get("body", ""))
            department, priority = self.department, self.priority
            self.subject, self.body = subject, body
            try:  # before receiving files for a form that fails anyway
                tickets.check_subject(subject)
                tickets.check_message(body)
            except InvalidInput as error:
                self.errors = {error.field or "form": error.message}
                return
            self.errors, self.sending, self.upload_percent = {}, True, 0

        def store(staged):
            with write_session() as session:
                return tickets.create_ticket(session, user, subject, department, priority, body, attachments=staged)

        try:
            view = await post_with_files(chunks, store)
        except InvalidInput as error:
            async with self:
                self.errors = {error.field or "form": error.message}
        except ServiceError as error:
            async with self:
                self.errors = {"form": error.message}
        else:
            async with self:
                self.subject, self.body = "", ""
            yield rx.clear_selected_files(NEW_TICKET_UPLOAD_ID)
            yield rx.redirect(f"/{user.subdomain}/tickets/{view.ref}")
        finally:
            async with self:
                self.sending, self.upload_percent = False, 0

    @rx.var
    def subject_length(self) -> int:
        return len(self.subject.strip())

    @rx.var
    def body_length(self) -> int:
        return len(self.body.strip())
