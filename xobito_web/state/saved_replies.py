"""The Saved replies page (the team): add, edit and delete saved replies.

Admins manage the ones shared with the team and may keep their own; staff keep their own
(services/saved_replies.py decides, and refuses whatever the page might send otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import reflex as rx

from xobito_web.db import read_session
from xobito_web.services import saved_replies
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.errors import InvalidInput
from xobito_web.state.actions import ListActionsMixin
from xobito_web.state.live import NO_TICKET, LiveBatch
from xobito_web.state.session import PageRequest, SessionState, read_visitor

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


class SavedRepliesState(ListActionsMixin, SessionState):
    allowed: bool = False
    loaded: bool = False
    can_share: bool = False  # admins manage the shared ones
    items: list[SavedReplyItem] = []
    add_errors: dict[str, str] = {}
    add_form_key: int = 0  # a new key empties the Add form after a success
    editing_id: str = ""
    edit_errors: dict[str, str] = {}
    _change_kind: ClassVar[str] = "a saved reply change"
    _gone: ClassVar[str] = GONE

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
        self._set_if_changed(can_share=user.is_admin, add_errors={}, editing_id="", edit_errors={})
        self._forget_actions()
        self._show(result.items)
        return None

    def _show(self, items: list[SavedReplyItem] | None) -> None:
        self._set_if_changed(allowed=items is not None, loaded=True, items=items or [])
        if self.editing_id and self.editing_id not in {item.id for item in self.items}:
            self.editing_id = ""

    async def _apply_live_change(self, batch: LiveBatch) -> None:
        if await self._live_user(batch) is None:
            self._signed_out_while_open()

    def _list_reader(self) -> Callable[[CurrentUser], list[SavedReplyItem]]:
        return read_items

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
            self.confirm_id, self.confirm_name = found.id, found.title

    @rx.event(background=True)
    async def delete_saved_reply(self):
        await self._act_on_confirmed(saved_replies.delete_saved_reply, "{name} is deleted.")
