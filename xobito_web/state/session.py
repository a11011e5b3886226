"""Who is signed in, for every page under /{subdomain}/ (a thin layer over services.auth)."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from xobito_web.db import read_session, write_session
from xobito_web.services import auth, workspaces
from xobito_web.services.auth import CurrentUser
from xobito_web.state.live import LiveBatch, Watch, hub

SESSION_COOKIE = "xobito_session"


class SessionState(rx.State):
    session_token: str = rx.Cookie(
        "", name=SESSION_COOKIE, path="/", max_age=int(auth.SESSION_LIFETIME.total_seconds()), same_site="lax"
    )
    workspace_missing: bool = False
    workspace_subdomain: str = ""
    workspace_name: str = ""
    signed_in: bool = False
    user_name: str = ""
    user_role: str = ""
    is_team: bool = False  # from CurrentUser.is_team: the services own that rule

    def _path_segments(self) -> list[str]:
        """The page's path, read from this event's own router data."""
        return [segment for segment in self.router.url.path.split("/") if segment]

    def _subdomain(self) -> str:
        segments = self._path_segments()
        return segments[0].lower() if segments else ""

    def current_user(self) -> CurrentUser | None:
        """Resolved from the cookie on every call, so a sign-out elsewhere takes effect at once."""
        with read_session() as session:
            return auth.resolve_session(session, self.session_token, self._subdomain())

    async def _live_user(self, batch: LiveBatch) -> CurrentUser | None:
        """`current_user()` for a live refresh: one lookup per cookie, shared by that browser's tabs."""
        return await batch.read(("user", self.session_token, self._subdomain()), self.current_user)

    def _assign(self, **values) -> None:
        """Set only what differs: an assigned var is sent to the browser even when unchanged."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _show_workspace(self) -> bool:
        self.workspace_subdomain = self._subdomain()
        with read_session() as session:
            workspace = workspaces.find_workspace(session, self.workspace_subdomain)
        self.workspace_missing = workspace is None
        self.workspace_name = workspace.name if workspace else ""
        return workspace is not None

    def _remember(self, user: CurrentUser | None) -> None:
        self._assign(
            signed_in=user is not None,
            user_name=user.name if user else "",
            user_role=user.role if user else "",
            is_team=user.is_team if user else False,
        )

    def _watch(self, user: CurrentUser, number: int | None = None) -> None:
        """This screen wants live changes (see state/live.py); only one screen per tab."""
        hub.watch(
            self.router.session.client_token, Watch(type(self), user.workspace_id, user.user_id, user.is_team, number)
        )

    def _unwatch(self) -> None:
        hub.forget(self.router.session.client_token)

    def login_redirect(self) -> rx.event.EventSpec:
        back_to = self.router.url.path
        if self.router.url.query:
            back_to += "?" + self.router.url.query
        return rx.redirect(f"/{self._subdomain()}/login?next={quote(back_to, safe='')}", replace=True)

    def _require_sign_in(self) -> tuple[CurrentUser | None, rx.event.EventSpec | None]:
        """First step of every protected page's load: the signed-in user, else why not.

        (None, None) shows the unknown-workspace page; (None, redirect) sends to sign-in first.
        Signed in, it costs one query: the session row leads to its workspace.
        """
        self.workspace_subdomain = self._subdomain()
        user = self.current_user()
        self._remember(user)
        if user is not None:
            self._assign(workspace_missing=False, workspace_name=user.workspace_name)
            return user, None
        if not self._show_workspace():
            return None, None
        return None, self.login_redirect()

    @rx.event
    def sign_out(self):
        with write_session() as session:
            auth.sign_out(session, self.session_token)
        self.session_token = ""
        self._remember(None)
        return rx.redirect(f"/{self._subdomain()}/login", replace=True)
