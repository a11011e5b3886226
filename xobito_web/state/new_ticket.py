"""The New Ticket form (customers): subject, department, priority, message and files."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import reflex as rx

from xobito_web import urls
from xobito_web.db import read_session, write_session
from xobito_web.formatting import PRIORITY_LABELS
from xobito_web.services import auth, tickets
from xobito_web.services.auth import Visitor
from xobito_web.services.errors import InvalidInput, ServiceError
from xobito_web.state.composer import NEW_TICKET_KEY, ComposerMixin
from xobito_web.state.session import PageRequest, SessionState, read_visitor
from xobito_web.state.ticket_list import Choice, list_department_choices
from xobito_web.state.uploads import post_with_files

log = logging.getLogger(__name__)

NEW_TICKET_UPLOAD_ID = "new-ticket-files"
FAILED = "Something went wrong and the ticket was not created. Try again in a moment."


@dataclass(frozen=True)
class NewTicketPage:
    visitor: Visitor
    departments: list[Choice]


class NotSignedIn(Exception):
    pass


class NewTicketState(ComposerMixin, SessionState):
    departments: list[Choice] = []
    subject: str = ""
    department: str = ""
    priority: str = "medium"
    errors: dict[str, str] = {}

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    @classmethod
    def _read_page(cls, request: PageRequest) -> NewTicketPage:
        with read_session() as session:
            visitor = auth.identify(session, request.session_hash, request.subdomain)
            departments = list_department_choices(session, visitor.user.workspace_id) if visitor.user else []
        return NewTicketPage(visitor, departments)

    async def _show_page(self, request: PageRequest, result: NewTicketPage):
        redirect = self._show_visitor(result.visitor)
        if result.visitor.user is None:
            return redirect
        self._unwatch()
        self.departments = result.departments
        if NEW_TICKET_KEY not in self.sending_keys:
            self.subject, self.department, self.priority, self.errors = "", "", "medium", {}
            self._drafts.pop(NEW_TICKET_KEY, None)
        switched = self._open_composer(NEW_TICKET_KEY)
        return rx.clear_selected_files(NEW_TICKET_UPLOAD_ID) if switched else None

    @rx.event
    def set_subject(self, value: str):
        if self.signed_in and isinstance(value, str):
            self.subject = value[: tickets.SUBJECT_MAX * 2]
            self._forget_error("subject")

    @rx.event
    def set_department(self, value: str):
        if self.signed_in and value in {choice.value for choice in self.departments}:
            self.department = value
            self._forget_error("department")

    @rx.event
    def set_priority(self, value: str):
        if self.signed_in and value in PRIORITY_LABELS:
            self.priority = value
            self._forget_error("priority")

    def _forget_error(self, field: str) -> None:
        if field in self.errors:
            self.errors = {name: message for name, message in self.errors.items() if name != field}

    @rx.event(background=True)
    async def submit(self, chunks: rx.UploadChunkIterator, form_data: dict):
        """The ticket and its files are stored together; then the new ticket opens."""
        subject, body = str(form_data.get("subject", "")), str(form_data.get("body", ""))
        async with self:
            if not self._claim_send(NEW_TICKET_KEY, form_data):
                return  # a second click or a replayed form: this ticket is already on its way
            department, priority = self.department, self.priority
            self.subject = subject[: tickets.SUBJECT_MAX * 2]
            self._keep(self._drafts, NEW_TICKET_KEY, body[: tickets.MESSAGE_MAX])
            self.draft = body[: tickets.MESSAGE_MAX]
            errors = tickets.new_ticket_errors(subject, department, priority, body)
            self.errors = errors
            if errors:  # before receiving files for a form that fails anyway
                self._finish_send(NEW_TICKET_KEY, None)
                return
            session_hash, subdomain = self._visitor_request()

        def store(staged) -> tickets.TicketChanged:
            user = read_visitor(session_hash, subdomain).user
            if user is None:
                raise NotSignedIn
            with write_session() as session:
                return tickets.create_ticket(session, user, subject, department, priority, body, attachments=staged)

        errors, created = {}, None
        try:
            created = await post_with_files(chunks, store)
        except NotSignedIn:
            async with self:
                self._finish_send(NEW_TICKET_KEY, None)
                yield self._login_redirect()
            return
        except InvalidInput as error:
            errors = {error.field or "form": error.message}
        except ServiceError as error:
            errors = {"form": error.message}
        except Exception:
            log.exception("creating a ticket failed")
            errors = {"form": FAILED}
        async with self:
            self.errors = errors
            self._finish_send(NEW_TICKET_KEY, None if created is None else body)
            if created is not None:
                self.subject, self.department, self.priority = "", "", "medium"
        if created is not None:
            yield rx.clear_selected_files(NEW_TICKET_UPLOAD_ID)
            yield rx.redirect(urls.ticket(subdomain, created.ref))

    @rx.var
    def subject_length(self) -> int:
        return len(self.subject.strip())
