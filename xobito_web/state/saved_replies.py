"""The Saved replies page (the team): add, edit and delete saved replies.

Admins manage the ones shared with the team and may keep their own; staff keep their own
(services/saved_replies.py decides, and refuses whatever the page might send otherwise).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from xobito_web.db import read_session, write_session
from xobito_web.services import saved_replies
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from xobito_web.state.live import NO_TICKET, LiveBatch
from xobito_web.state.session import PageRequest, SessionState, read_visitor

log = logging.getLogger(__name__)

FAILED = "Something went wrong and nothing was changed. Try again in a moment."
SIGNED_OUT = "You are no longer signed in."
GONE = "That saved reply is no longer there."


@dataclass(frozen=True)
class SavedReplyItem:
    id: str
    title: str
    body: str
    shared: bool
    scope_label: str  # "Shared with the team" | "Only you"
    can_change: bool


@dataclass(frozen=True)
class SavedRepliesResult:
    visitor: Visitor
    items: list[SavedReplyItem] | None  # None: not a team member


def read_items(user: CurrentUser) -> list[SavedReplyItem]:
    with read_session() as session:
        records = saved_replies.list_saved_replies(session, user)
    return [
        SavedReplyItem(
            str(r.id), r.title, r.body, r.shared, "Shared with the team" if r.shared else "Only you", r.can_change
        )
        for r in records
    ]


class SavedRepliesState(SessionState):
    allowed: bool = False
    loaded: bool = False
    can_share: bool = False  # admins manage the shared ones
    items: list[SavedReplyItem] = []
    add_errors: dict[str, str] = {}
    add_form_key: int = 0  # a new key empties the Add form after a success
    editing_id: str = ""
    edit_errors: dict[str, str] = {}
    delete_id: str = ""
    delete_title: str = ""
    notice: str = ""
    error: str = ""
    busy: bool = False

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    @classmethod
    def _read_page(cls, request: PageRequest) -> SavedRepliesResult:
        visitor = read_visitor(request.session_hash, request.subdomain)
        if visitor.user is None or not visitor.user.is_team:
            return SavedRepliesResult(visitor, None)
        return SavedRepliesResult(visitor, read_items(visitor.user))

    async def _show_page(self, request: PageRequest, result: SavedRepliesResult):
        redirect = self._show_visitor(result.visitor)
        user = result.visitor.user
        if user is None:
            return redirect
        self._watch(user, NO_TICKET)  # a sign-out elsewhere ends this page too
        self._set_if_changed(
            can_share=user.is_admin, add_errors={}, editing_id="", edit_errors={}, delete_id="", notice="", error=""
        )
        self._set_if_changed(busy=False)
        self._show(result.items)
        return None

    def _show(self, items: list[SavedReplyItem] | None) -> None:
        self._set_if_changed(allowed=items is not None, loaded=True, items=items or [])
        if self.editing_id and self.editing_id not in {item.id for item in self.items}:
            self.editing_id = ""

    async def _apply_live_change(self, batch: LiveBatch) -> None:
        if await self._live_user(batch) is None:
            self._signed_out_while_open()

    async def _act(self, change: Callable[[Session, CurrentUser], Any], notice: str, errors_var: str = "") -> bool:
        """One change in a thread (one transaction), then the list as it now is."""
        async with self:
            if self.busy or not self.signed_in:
                return False
            self.busy, self.notice, self.error = True, "", ""
            if errors_var:
                setattr(self, errors_var, {})
            session_hash, subdomain = self._visitor_request()

        def run() -> list[SavedReplyItem]:
            user = read_visitor(session_hash, subdomain).user
            if user is None:
                raise ServiceError(SIGNED_OUT)
            with write_session() as session:
                change(session, user)
            return read_items(user)

        field_errors: dict[str, str] = {}
        error, items, done = "", None, False
        try:
            items, done = await asyncio.to_thread(run), True
        except InvalidInput as refused:
            if errors_var:
                field_errors = {refused.field or "form": refused.message}
            else:
                error = refused.message
        except NotFound:
            error = GONE
        except (Forbidden, ServiceError) as refused:
            error = refused.message
        except Exception:
            log.exception("a saved reply change failed")
            error = FAILED
        async with self:
            self.busy = False
            if errors_var:
                setattr(self, errors_var, field_errors)
            self.error = error
            if done:
                self.notice = notice
                self._show(items)
        return done

    @staticmethod
    def _form(form_data: dict) -> tuple[str, str, bool, dict[str, str]]:
        """The typed title and text, whether shared, and every rule they break (checked again
        by the service)."""
        title, body = str(form_data.get("title", ""))[:500], str(form_data.get("body", ""))[:5000]
        errors: dict[str, str] = {}
        try:
            saved_replies.check_title(title)
        except InvalidInput as refused:
            errors["title"] = refused.message
        try:
            saved_replies.check_message(body)
        except InvalidInput as refused:
            errors["body"] = refused.message
        return title, body, str(form_data.get("shared", "")) in ("on", "true", "1"), errors

    @rx.event(background=True)
    async def add_saved_reply(self, form_data: dict):
        title, body, shared, errors = self._form(form_data)
        if errors:
            async with self:
                self.add_errors = errors
            return
        added = await self._act(
            lambda session, user: saved_replies.create_saved_reply(session, user, title, body, shared),
            f"{title.strip()} is saved.",
            "add_errors",
        )
        if added:
            async with self:
                self.add_form_key += 1

    @rx.event
    def start_edit(self, item_id: str):
        if any(item.id == item_id and item.can_change for item in self.items):
            self.editing_id, self.edit_errors = item_id, {}

    @rx.event
    def cancel_edit(self):
        self.editing_id, self.edit_errors = "", {}

    @rx.event(background=True)
    async def save_edit(self, form_data: dict):
        async with self:
            item_id = self.editing_id
        if not item_id:
            return
        title, body, shared, errors = self._form(form_data)
        if errors:
            async with self:
                self.edit_errors = errors
            return
        saved = await self._act(
            lambda session, user: saved_replies.update_saved_reply(session, user, item_id, title, body, shared),
            f"{title.strip()} is saved.",
            "edit_errors",
        )
        if saved:
            async with self:
                self.editing_id = ""

    @rx.event
    def ask_delete(self, item_id: str):
        found = next((item for item in self.items if item.id == item_id and item.can_change), None)
        if found is not None:
            self.delete_id, self.delete_title = found.id, found.title

    @rx.event
    def set_delete_open(self, value: bool):
        if not value:
            self.delete_id = ""

    @rx.event(background=True)
    async def delete_saved_reply(self):
        async with self:
            item_id, title, self.delete_id = self.delete_id, self.delete_title, ""
        if item_id:
            await self._act(
                lambda session, user: saved_replies.delete_saved_reply(session, user, item_id), f"{title} is deleted."
            )
