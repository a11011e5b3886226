"""The pages of people who are not signed in: Forgot password?, Sign up, and the pages of the
emailed one-time links (New password, Set password, confirming a sign-up's address).

A link's token stays after '#' in the page's address: the page's script hands it to
`check_link` (an event argument, never kept in a state var) and sends it with the password
form to the server's own route (routes.py), which sets the password and the HttpOnly session
cookie. No state var holds a password or a token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import reflex as rx

from xobito_web.db import read_session
from xobito_web.services import accounts, auth
from xobito_web.services.auth import Visitor
from xobito_web.services.errors import InvalidInput, RateLimited, ServiceError
from xobito_web.state.session import PageRequest, SessionState

log = logging.getLogger(__name__)

LINK_FORM_ID = "password-link-form"
LINK_TOKEN_JS = 'new URLSearchParams(window.location.hash.slice(1)).get("token") || ""'
FAILED = "Something went wrong. Try again in a moment."
# Which one-time link each page takes, by the last part of its path.
PAGE_PURPOSES = {
    "reset-password": accounts.RESET,
    "set-password": accounts.INVITATION,
    "verify-email": accounts.VERIFICATION,
}


def _show_workspace(state: SessionState, visitor: Visitor) -> None:
    """The page of a workspace for anyone (signed in or not); an unknown workspace shows 404."""
    state._unwatch()
    state._set_if_changed(
        workspace_missing=not visitor.workspace_found,
        workspace_subdomain=state.subdomain.lower(),
        workspace_name=visitor.workspace_name,
        signed_in=visitor.user is not None,
    )


async def _answer_evenly(started: float) -> None:
    """Answer no sooner than the floor after the request, whatever the service did."""
    await asyncio.sleep(max(0.0, accounts.ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))


def _field_errors(error: InvalidInput) -> dict[str, str]:
    return {error.field or "form": error.message}


# --- Forgot password? ----------------------------------------------------------------------


class ForgotPasswordState(SessionState):
    errors: dict[str, str] = {}
    sent_message: str = ""
    sending: bool = False
    _sent_for: str = ""  # the form just answered: the same form sent again sends nothing

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    async def _show_page(self, request: PageRequest, result: Visitor):
        _show_workspace(self, result)
        self._set_if_changed(errors={}, sent_message="", sending=False)

    @rx.event(background=True)
    async def send_reset_link(self, form_data: dict):
        email = str(form_data.get("email", ""))[:320]
        started = time.monotonic()
        async with self:
            if self.sending or (self.sent_message and self._sent_for == email):
                return  # a double click or a re-sent form: its email is already on its way
            self.sending, self.errors, self.sent_message = True, {}, ""
            subdomain, address = self.subdomain.lower(), self.router.session.client_ip
        errors, sent = {}, ""
        try:
            sent = await asyncio.to_thread(accounts.request_password_reset, subdomain, email, address)
        except InvalidInput as error:
            errors = _field_errors(error)
        except RateLimited as error:
            errors = {"form": error.message}
        except ServiceError as error:
            errors = {"form": error.message}
        except Exception:
            log.exception("a password reset request failed")
            errors = {"form": FAILED}
        await _answer_evenly(started)
        async with self:
            self.sending, self.errors, self.sent_message = False, errors, sent
            self._sent_for = email if sent else ""


# --- Sign up -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignUpPage:
    visitor: Visitor
    open: bool


class SignUpState(SessionState):
    signup_open: bool = False
    errors: dict[str, str] = {}
    sent_message: str = ""
    sending: bool = False
    loaded: bool = False
    _sent_for: str = ""  # the form just answered: the same form sent again sends nothing

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    @classmethod
    def _read_page(cls, request: PageRequest) -> SignUpPage:
        with read_session() as session:
            visitor = auth.identify(session, request.session_hash, request.subdomain)
            return SignUpPage(visitor, accounts.signup_open(session, request.subdomain))

    async def _show_page(self, request: PageRequest, result: SignUpPage):
        _show_workspace(self, result.visitor)
        self._set_if_changed(signup_open=result.open, errors={}, sent_message="", sending=False, loaded=True)

    @rx.event(background=True)
    async def sign_up(self, form_data: dict):
        name, email = str(form_data.get("name", ""))[:500], str(form_data.get("email", ""))[:320]
        started = time.monotonic()
        async with self:
            if self.sending or not self.signup_open or (self.sent_message and self._sent_for == f"{name}\n{email}"):
                return
            errors = accounts.sign_up_errors(name, email)
            self.errors, self.sent_message = errors, ""
            if errors:  # every problem at once, next to its field
                return
            self.sending = True
            subdomain, address = self.subdomain.lower(), self.router.session.client_ip
        sent = ""
        try:
            sent = await asyncio.to_thread(accounts.sign_up, subdomain, name, email, address)
        except InvalidInput as error:
            errors = _field_errors(error)
        except ServiceError as error:  # sign-up switched off meanwhile, too many requests
            errors = {"form": error.message}
        except Exception:
            log.exception("a sign-up failed")
            errors = {"form": FAILED}
        await _answer_evenly(started)
        async with self:
            self.sending, self.errors, self.sent_message = False, errors, sent
            self._sent_for = f"{name}\n{email}" if sent else ""


# --- The one-time link pages -------------------------------------------------------------------


@dataclass(frozen=True)
class LinkPage:
    visitor: Visitor


class LinkState(SessionState):
    purpose: str = ""  # reset | invitation | verification (from the page's address)
    checked: bool = False  # the link has been looked at
    problem: str = ""  # why the link cannot be used ("" when it can)
    person_name: str = ""
    person_email: str = ""
    errors: dict[str, str] = {}

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    async def _show_page(self, request: PageRequest, result: Visitor):
        _show_workspace(self, result)
        purpose = PAGE_PURPOSES.get(request.page.rstrip("/").rsplit("/", 1)[-1], "")
        self._set_if_changed(purpose=purpose, checked=False, problem="", person_name="", person_email="", errors={})
        if not result.workspace_found:
            return None
        # The token is after '#': only the page's script can read it (inline: right after the
        # first load, /session.js may not have run yet).
        return rx.call_script(LINK_TOKEN_JS, callback=LinkState.check_link)

    @rx.event(background=True)
    async def check_link(self, token: str | None):
        token = str(token or "")[: accounts.MAX_LINK_TOKEN_LENGTH + 1]
        async with self:
            subdomain, purpose, page = self.subdomain.lower(), self.purpose, self._page()

        def read() -> accounts.LinkStatus:
            with read_session() as session:
                return accounts.link_status(session, subdomain, token, purpose)

        try:
            status = await asyncio.to_thread(read)
        except Exception:
            log.exception("checking a one-time link failed")
            status = accounts.LinkStatus(purpose, FAILED, "", "")
        async with self:
            if self._page() == page:
                self.checked, self.problem = True, status.problem
                self.person_name, self.person_email = status.name, status.email

    @rx.event
    def link_refused(self, refusal: dict | None):
        """What the server said when it did not set the password (None: it did, the page is leaving)."""
        if not isinstance(refusal, dict):
            return
        message = str(refusal.get("message", ""))[:300] or FAILED
        if refusal.get("code") == "link":
            self.problem = message  # used or expired meanwhile: the form goes, the reason stays
            return
        field = str(refusal.get("field", ""))
        self.errors = {field if field == "password" else "form": message}

    @rx.var
    def heading(self) -> str:
        return {
            accounts.RESET: "New password",
            accounts.INVITATION: "Set password",
            accounts.VERIFICATION: "Confirm your email address",
        }.get(self.purpose, "")
