"""One ticket's page: the header and the thread, live changes and Close Ticket.

Its load reads everything the page shows in one go, off the event loop: the thread, and for the
team the assignment panel (state/assignment.py); it also opens this ticket's composer
(state/reply.py), so nothing of another ticket stays in the reply box.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from xobito_web import urls
from xobito_web.db import read_session, write_session
from xobito_web.formatting import (
    PRIORITY_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TextPiece,
    file_size,
    iso_time,
    linked_text,
    relative_time,
    waiting_label,
)
from xobito_web.services import access, auth, live, tickets, unread
from xobito_web.services.attachments import AttachmentRecord
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.errors import NotFound, ServiceError
from xobito_web.services.ids import parse_ref
from xobito_web.state.assignment import NO_ASSIGNMENT, AssignmentPanel, AssignmentState, read_assignment
from xobito_web.state.assignment import read_assignment_alone as _read_assignment_alone
from xobito_web.state.live import LiveBatch
from xobito_web.state.presence import ticker as presence_ticker
from xobito_web.state.reply import REPLY_UPLOAD_ID, ReplyState
from xobito_web.state.session import PageRequest, SessionState, read_visitor

log = logging.getLogger(__name__)


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
    is_internal: bool  # an internal note (only ever read for the team)
    body: str
    pieces: list[TextPiece]  # the body, its web addresses apart (shown as links)
    when: str
    when_exact: str
    attachments: list[AttachmentLink]


@dataclass(frozen=True)
class TicketRequest(PageRequest):
    number: int | None


@dataclass(frozen=True)
class TicketPage:
    visitor: Visitor
    view: tickets.TicketView | None  # None: missing, or not this person's to see
    panel: AssignmentPanel


def _read_ticket(user: CurrentUser, number: int) -> tickets.TicketView:
    with read_session() as session:
        return tickets.get_ticket(session, user, number)


def _mark_seen(user: CurrentUser, marking: tuple[int, datetime] | None) -> None:
    """The thread is on the person's screen: it is no longer unread (a write only when it was)."""
    if marking is None:
        return
    try:
        with write_session() as session:
            unread.mark_seen(session, user.user_id, *marking)
    except SQLAlchemyError:  # the thread is shown all the same; it stays marked unread
        log.exception("could not mark ticket %s seen for user %s", marking[0], user.user_id)


def _mark_seen_by_all(views: list[tuple[CurrentUser, int]]) -> None:
    """The people whose open thread just showed new activity have seen it: one read, and one
    write for all of those it was unread for."""
    with read_session() as session:
        markings = unread.markings_needed(session, views)
    if not markings:
        return
    try:
        with write_session() as session:
            for user_id, ticket_id, seen_at in markings:
                unread.mark_seen(session, user_id, ticket_id, seen_at)
    except SQLAlchemyError:  # the threads are shown all the same; they stay marked unread
        log.exception("could not mark ticket %s seen for %s people", markings[0][1], len(markings))


def _close(session_hash: str, subdomain: str, number: int) -> tickets.TicketView | None:
    """Close, then read the ticket as it now is; None when the session has ended."""
    user = read_visitor(session_hash, subdomain).user
    if user is None:
        return None
    with write_session() as session:
        tickets.close_ticket(session, user, number)
    return _read_ticket(user, number)


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
    action_error: str = ""
    confirm_close_open: bool = False
    live_notice: str = ""
    closing: bool = False
    presence_line: str = ""  # the team's: who else has this ticket open or is typing on it

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    def _load_request(self) -> TicketRequest:
        return self.request_for(self._page_request(), self.ticket)

    @staticmethod
    def request_for(page: PageRequest, ticket: str) -> TicketRequest:
        """The thread's read for an address (also made from its document request: state/prefetch.py)."""
        return TicketRequest(**vars(page), number=parse_ref(ticket))

    @classmethod
    def _read_page(cls, request: TicketRequest) -> TicketPage:
        with read_session() as session:
            visitor = auth.identify(session, request.session_hash, request.subdomain)
            if visitor.user is None or request.number is None:
                return TicketPage(visitor, None, NO_ASSIGNMENT)
            try:
                view = tickets.get_ticket(session, visitor.user, request.number)
                page = TicketPage(visitor, view, read_assignment(session, visitor.user, request.number))
                marking = unread.needs_marking(session, visitor.user, request.number)
            except NotFound:
                return TicketPage(visitor, None, NO_ASSIGNMENT)
        _mark_seen(visitor.user, marking)
        return page

    async def _show_page(self, request: TicketRequest, result: TicketPage):
        redirect = self._show_visitor(result.visitor)
        user = result.visitor.user
        if user is None:
            return redirect
        self._set_if_changed(action_error="", live_notice="", confirm_close_open=False, closing=False)
        composer = await self.get_state(ReplyState)
        panel = await self.get_state(AssignmentState)
        if result.view is None:
            self._not_found()
            switched = composer._open_composer("")
            panel._show_panel(NO_ASSIGNMENT, fresh=True)
        else:
            self._show(result.view, fresh=True)
            self._watch(user, result.view.number)
            self._set_if_changed(presence_line="")
            if user.is_team:
                presence_ticker.opened(self.router.session.client_token)
            switched = composer._open_composer(result.view.ref)
            panel._show_panel(result.panel, fresh=True)
        # The browser's chosen files belong to the ticket they were chosen on.
        return rx.clear_selected_files(REPLY_UPLOAD_ID) if switched else None

    def _not_found(self) -> None:
        self._set_if_changed(
            found=False, messages=[], later_messages=[], can_reply=False, can_close=False, presence_line=""
        )
        self._unwatch()

    def _show_presence(self, number: int, line: str) -> None:
        """The presence ticker's line about the others on ticket `number` (state/presence.py)."""
        if self.is_team and self.found and parse_ref(self.ticket) == number:
            self._set_if_changed(presence_line=line)

    async def _apply_live_change(self, batch: LiveBatch) -> None:
        """Someone (this tab's person too) changed this ticket: show it, keep what is being typed."""
        change: live.Change = batch.change
        user = await self._live_user(batch)
        if user is None:
            self._signed_out_while_open()
            self._set_if_changed(messages=[], later_messages=[])
            return
        number = parse_ref(self.ticket)
        if change.kind == live.SESSIONS_ENDED or number is None:
            return
        panel = None
        try:
            view = await batch.read(("ticket", access.same_view_key(user), number), partial(_read_ticket, user, number))
            if user.is_team and change.kind in ("assigned", "closed"):  # replies change neither control
                panel = await batch.read(
                    ("assignment", user.user_id, number), partial(_read_assignment_alone, user, number)
                )
        except NotFound:  # e.g. moved to a department this staff member is not in
            self._not_found()
            return
        if change.kind == "replied" and change.actor_user_id != user.user_id:
            batch.after_refresh("seen", (user, number), _mark_seen_by_all)
        known = len(self.messages) + len(self.later_messages)
        self._show(view)
        if panel is not None:
            (await self.get_state(AssignmentState))._show_panel(panel)
        if change.actor_user_id == user.user_id:
            return
        if change.kind in ("replied", live.NOTED) and len(self.messages) + len(self.later_messages) > known:
            what = "internal note" if change.kind == live.NOTED else "reply"
            self.live_notice = f"New {what} from {(self.later_messages or self.messages)[-1].author_name}."
        elif change.kind == "closed":
            composer = await self.get_state(ReplyState)
            self.live_notice = "This ticket was just closed." + (
                " Your unsent text is kept below for copying." if composer.draft.strip() else ""
            )
        elif change.kind == "assigned" and self.is_team:
            self.live_notice = f"Assigned to {self.assignee_name or 'nobody'} in {self.department}."

    @rx.event
    def dismiss_live_notice(self):
        self.live_notice = ""

    def _show(self, view: tickets.TicketView, fresh: bool = False) -> None:
        """Show `view`. A live change (not `fresh`) adds only the messages after those on screen; a
        load shows the whole thread, sent only when it differs from what the tab shows."""
        self._set_if_changed(
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
        # Read without Reflex's change-tracking proxy (one per attribute read): a live update does
        # this for every open tab.
        shown = [message.key for message in (*self.get_value("messages"), *self.get_value("later_messages"))]
        incoming = view.messages
        if not fresh and shown and shown == [self._key(message) for message in incoming[: len(shown)]]:
            if len(incoming) > len(shown):
                self.later_messages = [
                    *self.later_messages,
                    *(self._message(view.ref, m) for m in incoming[len(shown) :]),
                ]
            return
        # The same messages (a reload: its hydrate showed them already) are not sent again, so the
        # browser does not render the whole thread a second time.
        self._set_if_changed(messages=[self._message(view.ref, message) for message in incoming], later_messages=[])

    @staticmethod
    def _key(message: tickets.MessageRecord) -> str:
        return f"m{message.id}"

    def _message(self, ref: str, message: tickets.MessageRecord) -> ThreadMessage:
        return ThreadMessage(
            key=self._key(message),
            author_name=message.author_name,
            author_role=ROLE_LABELS.get(message.author_role, message.author_role),
            is_team=message.is_team,
            is_internal=message.is_internal,
            body=message.body,
            pieces=linked_text(message.body),
            when=relative_time(message.created_at),
            when_exact=iso_time(message.created_at),
            attachments=[self._link(ref, file) for file in message.attachments],
        )

    def _link(self, ref: str, file: AttachmentRecord) -> AttachmentLink:
        subdomain = self.subdomain.lower()
        return AttachmentLink(
            name=file.name,
            size_label=file_size(file.size),
            href=urls.download(subdomain, ref, file.id),
            preview_href=urls.download(subdomain, ref, file.id, inline=True) if file.is_image else "",
        )

    @rx.event
    def set_confirm_close_open(self, value: bool):
        self.confirm_close_open = bool(value) and self.can_close

    @rx.event(background=True)
    async def close_ticket(self):
        async with self:
            number = parse_ref(self.ticket)
            if self.closing or number is None or not self.can_close:
                self.confirm_close_open = False
                return
            self.confirm_close_open, self.closing = False, True
            session_hash, subdomain = self._visitor_request()
        view, error, gone = None, "", False
        try:
            view = await asyncio.to_thread(_close, session_hash, subdomain, number)
        except NotFound:
            gone = True
        except ServiceError as refused:  # e.g. closed meanwhile by the other party
            error = refused.message
        async with self:
            self.closing = False
            if parse_ref(self.ticket) != number:
                return
            if gone:
                self._not_found()
            elif view is None and not error:
                yield self._login_redirect()
            else:
                self.action_error = error
                if view is not None:
                    self._show(view)

    @rx.var
    def tab_title(self) -> str:
        """`TKT-000042 · Subject` (the page frame adds the workspace's name)."""
        return f"{self.ref} · {self.subject}" if self.ref else ""
