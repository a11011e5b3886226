"""One ticket: header, thread, the reply composer and Close Ticket."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import reflex as rx

from xobito_web.db import read_session, write_session
from xobito_web.formatting import (
    PRIORITY_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    exact_time,
    file_size,
    relative_time,
    waiting_label,
)
from xobito_web.routes import download_url
from xobito_web.services import assignment, live, tickets
from xobito_web.services.attachments import AttachmentRecord
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import InvalidInput, NotFound, ServiceError
from xobito_web.state.live import LiveBatch
from xobito_web.state.session import SessionState
from xobito_web.state.ticket_list import Choice, list_department_choices
from xobito_web.state.uploads import new_nonce, post_with_files, progress_percent

REPLY_UPLOAD_ID = "reply-files"
UNASSIGNED = "none"  # a select item cannot have an empty value


@dataclass(frozen=True)
class AttachmentLink:
    name: str
    size_label: str
    href: str
    preview_href: str  # "" unless an image that may be shown inline


@dataclass(frozen=True)
class ThreadMessage:
    key: str
    author_name: str
    author_role: str
    is_team: bool
    body: str
    when: str
    when_exact: str
    attachments: list[AttachmentLink]


@dataclass(frozen=True)
class AssignmentPanel:
    can_assign: bool
    can_take: bool
    department: str
    assignee: str
    departments: list[Choice]
    assignees: list[Choice]


NO_ASSIGNMENT = AssignmentPanel(False, False, "", "", [], [])


def _read_ticket(user: CurrentUser, number: int) -> tickets.TicketView:
    with read_session() as session:
        return tickets.get_ticket(session, user, number)


def _assignee_choices(session, user: CurrentUser, department: str) -> list[Choice]:
    people = assignment.list_assignable(session, user, department)
    return [Choice(str(person.id), f"{person.name} ({person.role})") for person in people]


def _read_assignment(session, user: CurrentUser, number: int) -> AssignmentPanel:
    if not user.is_team:
        return NO_ASSIGNMENT
    info = assignment.get_assignment(session, user, number)
    department = str(info.department_id)
    departments, assignees = [], []
    if info.can_assign:
        departments = list_department_choices(session, user.workspace_id)
        assignees = _assignee_choices(session, user, department)
    return AssignmentPanel(
        info.can_assign, info.can_take, department, str(info.assignee_id or ""), departments, assignees
    )


def _read_assignment_alone(user: CurrentUser, number: int) -> AssignmentPanel:
    with read_session() as session:
        return _read_assignment(session, user, number)


class TicketViewState(SessionState):
    found: bool = True
    ref: str = ""
    subject: str = ""
    status: str = ""
    status_label: str = ""
    priority: str = ""
    priority_label: str = ""
    department: str = ""
    customer_name: str = ""
    assignee_name: str = ""
    waiting: str = ""
    messages: list[ThreadMessage] = []  # the thread as loaded
    # Messages that came after: sent to the browser alone instead of with the whole thread again.
    later_messages: list[ThreadMessage] = []
    can_reply: bool = False
    can_close: bool = False
    draft: str = ""
    reply_error: str = ""
    action_error: str = ""
    confirm_close_open: bool = False
    live_notice: str = ""
    composer_nonce: str = ""
    sending: bool = False
    upload_percent: int = 0
    _last_sent: str = ""
    # Assignment controls (team only)
    can_assign: bool = False
    can_take: bool = False
    department_choices: list[Choice] = []
    assignee_choices: list[Choice] = []
    chosen_department: str = ""
    chosen_assignee: str = ""

    def _number(self) -> int | None:
        segments = self._path_segments()  # /{subdomain}/tickets/{ticket}
        return tickets.parse_ref(segments[2]) if len(segments) == 3 else None

    @rx.event
    def load(self):
        user, redirect = self._require_sign_in()
        if user is None:
            return redirect
        self.reply_error = ""
        self.action_error = ""
        self.live_notice = ""
        self.confirm_close_open = False
        self.composer_nonce = self.composer_nonce or new_nonce()
        self._refresh(fresh=True, user=user)
        return None

    def _refresh(self, fresh: bool = False, user: CurrentUser | None = None) -> None:
        user = user or self.current_user()
        number = self._number()
        if user is None or number is None:
            self._not_found()
            return
        try:
            with read_session() as session:
                self._show(tickets.get_ticket(session, user, number), fresh=fresh)
                self._show_assignment(_read_assignment(session, user, number))
        except NotFound:
            self._not_found()
        else:
            self._watch(user, number)

    def _not_found(self) -> None:
        self.found = False
        self._unwatch()

    def _show_assignment(self, panel: AssignmentPanel) -> None:
        self._assign(
            can_assign=panel.can_assign,
            can_take=panel.can_take,
            chosen_department=panel.department,
            department_choices=panel.departments,
            assignee_choices=panel.assignees,
        )
        self._choose_known_assignee(panel.assignee)

    def _choose_known_assignee(self, assignee: str) -> None:
        known = {choice.value for choice in self.assignee_choices}
        self._assign(chosen_assignee=assignee if assignee in known else "")

    @rx.event
    def choose_department(self, department_id: str):
        user = self.current_user()
        if user is None or not self.can_assign:
            return
        self.chosen_department = department_id
        with read_session() as session:
            self.assignee_choices = _assignee_choices(session, user, department_id)
        self._choose_known_assignee(self.chosen_assignee)

    @rx.event
    def choose_assignee(self, assignee_id: str):
        self.chosen_assignee = "" if assignee_id == UNASSIGNED else assignee_id

    @rx.event
    def assign(self):
        self._change_assignment(
            lambda session, user, number: assignment.assign_ticket(
                session, user, number, self.chosen_department, self.chosen_assignee or None
            )
        )

    @rx.event
    def take(self):
        self._change_assignment(assignment.take_ticket)

    def _change_assignment(self, change) -> None:
        user, number = self.current_user(), self._number()
        if user is None or number is None:
            return
        try:
            with write_session() as session:
                view = change(session, user, number)
        except NotFound:
            self.found = False
            return
        except ServiceError as error:
            self.action_error = error.message
        else:
            self.action_error = ""
            self.live_notice = f"Assigned to {view.assignee_name or 'nobody'} in {view.department}."
        self._refresh()

    async def apply_live_change(self, batch: LiveBatch) -> None:
        """The other party acted on this ticket: show it, keep whatever is being typed."""
        change: live.Change = batch.change
        user, number = await self._live_user(batch), self._number()
        if user is None or number is None:
            self._not_found()
            return
        panel = None
        try:
            view = await batch.read(("ticket", user.user_id, number), partial(_read_ticket, user, number))
            if user.is_team and change.kind in ("assigned", "closed"):  # replies change neither control
                panel = await batch.read(
                    ("assignment", user.user_id, number), partial(_read_assignment_alone, user, number)
                )
        except NotFound:  # e.g. moved to a department this staff member is not in
            self._not_found()
            return
        known = len(self.messages) + len(self.later_messages)
        self._show(view)
        if panel is not None:
            self._show_assignment(panel)
        if change.actor_user_id == user.user_id:
            return
        if change.kind == "replied" and len(self.messages) + len(self.later_messages) > known:
            self.live_notice = f"New reply from {(self.later_messages or self.messages)[-1].author_name}."
        elif change.kind == "closed":
            self.live_notice = "This ticket was just closed." + (
                " Your unsent text is kept below for copying." if self.draft.strip() else ""
            )
        elif change.kind == "assigned" and self.is_team:
            self.live_notice = f"Assigned to {self.assignee_name or 'nobody'} in {self.department}."

    @rx.event
    def dismiss_live_notice(self):
        self.live_notice = ""

    def _show(self, view: tickets.TicketView, fresh: bool = False) -> None:
        """Show `view`; unless `fresh`, messages already on screen are not sent again."""
        self._assign(
            found=True,
            ref=view.ref,
            subject=view.subject,
            status=view.status,
            status_label=STATUS_LABELS.get(view.status, view.status),
            priority=view.priority,
            priority_label=PRIORITY_LABELS.get(view.priority, view.priority),
            department=view.department,
            customer_name=view.customer_name,
            assignee_name=view.assignee_name,
            waiting=waiting_label(view.waiting_on),
            can_reply=view.can_reply,
            can_close=view.can_close,
        )
        shown = [message.key for message in (*self.messages, *self.later_messages)]
        incoming = view.messages
        if not fresh and shown and shown == [self._key(message) for message in incoming[: len(shown)]]:
            if len(incoming) > len(shown):
                self.later_messages = [
                    *self.later_messages,
                    *(self._message(view.ref, m) for m in incoming[len(shown) :]),
                ]
            return
        self.messages = [self._message(view.ref, message) for message in incoming]
        self._assign(later_messages=[])

    @staticmethod
    def _key(message: tickets.MessageRecord) -> str:
        return f"m{message.id}"

    def _message(self, ref: str, message: tickets.MessageRecord) -> ThreadMessage:
        return ThreadMessage(
            key=self._key(message),
            author_name=message.author_name,
            author_role=ROLE_LABELS.get(message.author_role, message.author_role),
            is_team=message.is_team,
            body=message.body,
            when=relative_time(message.created_at),
            when_exact=exact_time(message.created_at),
            attachments=[self._link(ref, file) for file in message.attachments],
        )

    def _link(self, ref: str, file: AttachmentRecord) -> AttachmentLink:
        subdomain = self._subdomain()
        return AttachmentLink(
            name=file.name,
            size_label=file_size(file.size),
            href=download_url(subdomain, ref, file.id),
            preview_href=download_url(subdomain, ref, file.id, inline=True) if file.is_image else "",
        )

    @rx.event
    def set_draft(self, value: str):
        if value == self._last_sent and not self.draft:
            return  # the typing event of the reply just sent arrived late: keep the box empty
        self._last_sent = ""
        self.draft = value
        if self.reply_error and tickets.MESSAGE_MIN <= len(value.strip()) <= tickets.MESSAGE_MAX:
            self.reply_error = ""

    @rx.event
    def set_upload_progress(self, progress: dict):
        self.upload_percent = progress_percent(progress)

    @rx.event(background=True)
    async def send_reply(self, chunks: rx.UploadChunkIterator, form_data: dict):
        """The reply, its files and the status change are stored together or not at all."""
        async with self:
            if self.sending or form_data.get("nonce") != self.composer_nonce:
                return  # a second click or a re-sent event: this message is already on its way
            user, number = self.current_user(), self._number()
            if user is None or number is None:
                yield self.login_redirect()
                return
            body = str(form_data.get("body", ""))
            self.draft = body
            try:
                tickets.check_message(body)  # before receiving files for a message that fails anyway
            except InvalidInput as error:
                self.reply_error = error.message
                return
            self.sending, self.reply_error, self.upload_percent = True, "", 0

        def store(staged):
            with write_session() as session:
                tickets.post_reply(session, user, number, body, attachments=staged)
            return _read_ticket(user, number)

        try:
            view = await post_with_files(chunks, store)
        except NotFound:
            async with self:
                self.found = False
        except InvalidInput as error:
            async with self:
                self.reply_error = error.message
        except ServiceError as error:  # e.g. closed meanwhile by the other party
            async with self:
                self.reply_error = error.message
                self._refresh()
        else:
            async with self:
                self.draft, self.reply_error, self.composer_nonce = "", "", new_nonce()
                self._last_sent = body
                self._show(view)
            yield rx.clear_selected_files(REPLY_UPLOAD_ID)
        finally:
            async with self:
                self.sending, self.upload_percent = False, 0

    @rx.event
    def set_confirm_close_open(self, value: bool):
        self.confirm_close_open = value

    @rx.event
    def close_ticket(self):
        self.confirm_close_open = False
        user, number = self.current_user(), self._number()
        if user is None or number is None:
            return self.login_redirect()
        try:
            with write_session() as session:
                tickets.close_ticket(session, user, number)
            view = _read_ticket(user, number)
        except NotFound:
            self.found = False
        except ServiceError as error:
            self.action_error = error.message
            self._refresh()
        else:
            self.action_error = ""
            self._show(view)
        return None

    @rx.var
    def draft_length(self) -> int:
        return len(self.draft.strip())

    @rx.var
    def list_href(self) -> str:
        return f"/{self.workspace_subdomain}/tickets"
