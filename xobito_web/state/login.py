"""The sign-in page. The form posts to the server's own route (routes.py), which checks the
password off the event loop and sets the HttpOnly session cookie; the password never travels
through the page's WebSocket."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from xobito_web import urls
from xobito_web.db import read_session
from xobito_web.services import accounts, auth
from xobito_web.services.auth import Visitor
from xobito_web.state.session import PageRequest, SessionState, navigate

SIGN_IN_FORM_ID = "sign-in-form"


@dataclass(frozen=True)
class LoginPage:
    visitor: Visitor
    signup_open: bool  # the workspace lets customers sign up: the page links to Sign up


class LoginState(SessionState):
    error: str = ""
    error_field: str = ""
    signup_open: bool = False
    next_target: str = ""  # where a sign-in goes on to (the address's ?next=; routes.py checks it)

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    @classmethod
    def _read_page(cls, request: PageRequest) -> LoginPage:
        with read_session() as session:
            visitor = auth.identify(session, request.session_hash, request.subdomain)
            return LoginPage(visitor, visitor.workspace_found and accounts.signup_open(session, request.subdomain))

    async def _show_page(self, request: PageRequest, result: LoginPage):
        self._show_visitor_on_login(result.visitor)
        code = self.router.url.query_parameters.get("error", "")
        self._set_if_changed(
            error=auth.SIGN_IN_REFUSALS.get(code, ""),
            error_field="",
            signup_open=result.signup_open,
            # Read here, not as a computed var: one that reads the router is recomputed (and its
            # state loaded) for every event of every page.
            next_target=self.router.url.query_parameters.get("next", "")[:2000],
        )
        if result.visitor.user is not None:  # already signed in here
            return self._go_to_next_page()
        return None

    def _show_visitor_on_login(self, visitor: Visitor) -> None:
        self._unwatch()
        self._set_if_changed(
            workspace_missing=not visitor.workspace_found,
            workspace_subdomain=self.subdomain.lower(),
            workspace_name=visitor.workspace_name,
            signed_in=visitor.user is not None,
        )

    def _next_page(self) -> str:
        """Only a page of this workspace; anything else (another site, //host) goes to the list."""
        subdomain = self.subdomain.lower()
        target = self.router.url.query_parameters.get("next", "")[:2000]
        return target if urls.is_own_page(subdomain, target) else urls.tickets(subdomain)

    def _go_to_next_page(self):
        target = self._next_page()
        if target.split("?", 1)[0].endswith("/download"):
            return navigate(target)  # a file, not a page of the app: the browser fetches it
        return rx.redirect(target, replace=True)

    @rx.event
    def sign_in_refused(self, refusal: dict | None):
        """What the server said when it did not sign in (None: it did, the page is leaving)."""
        if not isinstance(refusal, dict):
            return
        self.error = str(refusal.get("message", ""))[:300] or "The sign-in did not work. Try again."
        field = str(refusal.get("field", ""))
        self.error_field = field if field in ("email", "password") else ""
