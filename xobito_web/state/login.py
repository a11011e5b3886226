"""The sign-in form."""

from __future__ import annotations

import json

import reflex as rx

from xobito_web.services import auth
from xobito_web.services.errors import ServiceError
from xobito_web.state.session import SessionState


class LoginState(SessionState):
    error: str = ""

    def _go_to_next_page(self):
        target = self._next_page()
        if target.split("?", 1)[0].endswith("/download"):
            # A file, not a page of the app: the browser must fetch it itself.
            return rx.call_script(f"window.location.replace({json.dumps(target)})")
        return rx.redirect(target, replace=True)

    def _next_page(self) -> str:
        """Only a page of this workspace; anything else (another site, //host) goes to the list."""
        home = f"/{self._subdomain()}/tickets"
        target = self.router.url.query_parameters.get("next", "")
        if target.startswith(f"/{self._subdomain()}/") and not target.startswith("//") and "\\" not in target:
            return target
        return home

    @rx.event
    def load(self):
        self.error = ""
        self._unwatch()
        self._remember(None)
        if not self._show_workspace():
            return None
        user = self.current_user()
        if user is not None:  # already signed in here
            return self._go_to_next_page()
        return None

    @rx.event
    def submit(self, form_data: dict):
        self.error = ""
        try:
            token, user = auth.sign_in(
                self._subdomain(),
                str(form_data.get("email", "")),
                str(form_data.get("password", "")),
                client_address=self.router.session.client_ip,
            )
        except ServiceError as error:
            self.error = error.message
            return None
        self.session_token = token
        self._remember(user)
        return self._go_to_next_page()
