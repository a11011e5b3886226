"""API tokens: a person's own (/{subdomain}/profile/tokens) and, for admins, every token of the
workspace (/{subdomain}/admin/tokens). Thin over services/api_tokens.py.

A new token is shown once and never kept in a state (states are stored on disk or in Redis):
the event that creates it writes it straight into the page's read-only field
(`rx.set_value`), and the state keeps only its name.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import reflex as rx

from xobito_web.db import read_session, write_session
from xobito_web.formatting import iso_time, relative_time
from xobito_web.services import api_tokens, auth
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.errors import InvalidInput, NotFound, ServiceError
from xobito_web.state.session import PageRequest, SessionState, read_visitor

log = logging.getLogger(__name__)

NEW_TOKEN_FIELD_ID = "new-token"
FAILED = "Something went wrong and nothing was changed. Try again in a moment."
GONE = "That token was already revoked."
ADMINS_ONLY = "Only admins see every token of the workspace."


@dataclass(frozen=True)
class TokenRow:
    id: str
    name: str
    prefix: str
    owner: str
    created: str
    created_exact: str
    last_used: str
    last_used_exact: str


@dataclass(frozen=True)
class TokensPage:
    visitor: Visitor
    rows: list[TokenRow]
    allowed: bool


def _row(record: api_tokens.TokenRecord) -> TokenRow:
    return TokenRow(
        id=str(record.id),
        name=record.name,
        prefix=record.prefix,
        owner=f"{record.owner_name} ({record.owner_email})",
        created=relative_time(record.created_at),
        created_exact=iso_time(record.created_at),
        last_used=relative_time(record.last_used_at) if record.last_used_at else "Never",
        last_used_exact=iso_time(record.last_used_at) if record.last_used_at else "",
    )


def read_tokens(user: CurrentUser, whole_workspace: bool) -> list[TokenRow]:
    with read_session() as session:
        if whole_workspace:
            return [_row(record) for record in api_tokens.list_workspace_tokens(session, user)]
        return [_row(record) for record in api_tokens.list_own_tokens(session, user)]


def _create(session_hash: str, subdomain: str, name: str) -> tuple[str, list[TokenRow]] | None:
    user = read_visitor(session_hash, subdomain).user
    if user is None:
        return None
    with write_session() as session:
        created = api_tokens.create_token(session, user, name)
    return created.token, read_tokens(user, False)


def _revoke(session_hash: str, subdomain: str, token_id: str, whole_workspace: bool) -> list[TokenRow] | None:
    user = read_visitor(session_hash, subdomain).user
    if user is None:
        return None
    with write_session() as session:
        api_tokens.revoke_token(session, user, token_id)
    return read_tokens(user, whole_workspace)


if TYPE_CHECKING:  # the mixin is only ever mixed into SessionState pages
    _MixedInto = SessionState
else:
    _MixedInto = rx.State


class TokenListMixin(_MixedInto, mixin=True):
    """The list and Revoke, for both pages."""

    tokens: list[TokenRow] = []
    allowed: bool = True
    notice: str = ""
    error: str = ""
    revoking: str = ""  # the token being revoked

    @classmethod
    def _covers_workspace(cls) -> bool:
        """Every token of the workspace (the admin page), or the person's own."""
        return False

    @classmethod
    def _read_page(cls, request: PageRequest) -> TokensPage:
        with read_session() as session:
            visitor = auth.identify(session, request.session_hash, request.subdomain)
        user = visitor.user
        if user is None:
            return TokensPage(visitor, [], False)
        if cls._covers_workspace() and not user.is_admin:
            return TokensPage(visitor, [], False)
        return TokensPage(visitor, read_tokens(user, cls._covers_workspace()), True)

    async def _show_page(self, request: PageRequest, result: TokensPage):
        redirect = self._show_visitor(result.visitor)
        self._unwatch()
        self._set_if_changed(tokens=result.rows, allowed=result.allowed, notice="", error="", revoking="")
        self._forget_new_token()
        return redirect

    def _forget_new_token(self) -> None:
        """Nothing to forget here (the own-tokens page overrides it)."""

    @rx.event(background=True)
    async def revoke(self, token_id: str):
        async with self:
            if not self.signed_in or self.revoking or token_id not in {row.id for row in self.tokens}:
                return
            self.revoking, self.notice, self.error = token_id, "", ""
            name = next(row.name for row in self.tokens if row.id == token_id)
            session_hash, subdomain = self._visitor_request()
            page, whole_workspace = self._page(), self._covers_workspace()
        rows, error = None, ""
        try:
            rows = await asyncio.to_thread(_revoke, session_hash, subdomain, token_id, whole_workspace)
        except (NotFound, ServiceError):
            error = GONE
        except Exception:
            log.exception("revoking a token failed")
            error = FAILED
        async with self:
            self.revoking = ""
            if self._page() != page:
                return
            if rows is None and not error:
                yield self._login_redirect()
                return
            self.error = error
            if rows is not None:
                self.tokens = rows
                self.notice = f"The token “{name}” is revoked: it no longer works."


class ProfileTokensState(TokenListMixin, SessionState):
    """The signed-in person's own tokens: create (shown once), name, revoke."""

    new_name: str = ""
    name_error: str = ""
    creating: bool = False
    created_name: str = ""  # the token just created (its value is only in the page's field)
    _created_from: str = ""  # the form that created it, as sent

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    def _forget_new_token(self) -> None:
        self._set_if_changed(created_name="", new_name="", name_error="", creating=False)

    @rx.event
    def set_new_name(self, value: str):
        if self.signed_in and isinstance(value, str):
            self.new_name = value[: api_tokens.NAME_MAX * 2]
            self.name_error = ""

    @rx.event
    def dismiss_new_token(self):
        self.created_name = ""
        return rx.set_value(NEW_TOKEN_FIELD_ID, "")

    @rx.event(background=True)
    async def create(self, form_data: dict):
        name = sent_name = str(form_data.get("name", ""))[: api_tokens.NAME_MAX * 2]
        async with self:
            if not self.signed_in or self.creating or (self.created_name and self._created_from == sent_name):
                return  # a double click or a re-sent form: its token is already on screen
            self.new_name, self.notice, self.error = name, "", ""
            try:
                name = api_tokens.check_name(name)  # before anything is written
            except InvalidInput as refused:
                self.name_error = refused.message
                return
            self.creating, self.name_error = True, ""
            session_hash, subdomain = self._visitor_request()
            page = self._page()
        result, error = None, ""
        try:
            result = await asyncio.to_thread(_create, session_hash, subdomain, name)
        except ServiceError as refused:
            error = refused.message
        except Exception:
            log.exception("creating a token failed")
            error = FAILED
        async with self:
            self.creating = False
            if self._page() != page:
                return  # the token is not shown anywhere: it was never seen, the person revokes it
            if result is None and not error:
                yield self._login_redirect()
                return
            self.name_error = error
            if result is not None:
                token, self.tokens = result
                self.created_name, self.new_name, self._created_from = name, "", sent_name
                yield rx.set_value(NEW_TOKEN_FIELD_ID, token)


class AdminTokensState(TokenListMixin, SessionState):
    """Every token of the workspace, for admins: who owns it, when it was last used, Revoke."""

    @classmethod
    def _covers_workspace(cls) -> bool:
        return True

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()
