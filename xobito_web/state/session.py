"""Who is signed in, for every page under /{subdomain}/ (a thin layer over services.auth).

The session is read on the server from the tab's own connection: the WebSocket handshake
carries the HttpOnly cookie, which session_guard.py has turned into its hash before Reflex sees
it. No state holds a raw token; a tab's client token alone identifies nobody (SessionBinding).
Page loads and every handler that reads the database do it in a worker thread, never on the
event loop.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import reflex as rx
from reflex.istate.data import HeaderData
from reflex.middleware import Middleware
from reflex_base.constants import CompileVars
from reflex_base.event import Event, EventSpec

from xobito_web import session_guard, urls
from xobito_web.db import read_session
from xobito_web.formatting import ROLE_LABELS
from xobito_web.services import auth
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.session_scripts import sign_out_script
from xobito_web.state.live import LiveBatch, Watch, hub, visitor_key
from xobito_web.state.prefetch import prefetches

if TYPE_CHECKING:
    from reflex.app import App
    from reflex.state import BaseState, StateUpdate


HYDRATE = CompileVars.HYDRATE


def navigate(url: str) -> EventSpec:
    """A full page load (not in-app routing): the new connection carries the browser's current
    session cookie, e.g. after signing in or out in another tab."""
    return rx.call_script(f"window.location.replace({json.dumps(url)})")


def session_hash_of(headers: dict[str, str] | HeaderData | None) -> str:
    """The session cookie of a connection, as hashed by session_guard (the raw token never
    reaches a state); "" when signed out."""
    if headers is None:
        return ""
    cookie = headers.cookie if isinstance(headers, HeaderData) else headers.get("cookie", "")
    return session_guard.session_token_from(cookie or "")


def read_visitor(session_hash: str, subdomain: str) -> Visitor:
    with read_session() as session:
        return auth.identify(session, session_hash, subdomain)


@dataclass(frozen=True)
class PageRequest:
    """What a page load reads, captured from its event before the read runs in a thread."""

    page: str  # the path, to tell whether the result still belongs on screen
    session_hash: str
    subdomain: str


class SessionState(rx.State):
    workspace_missing: bool = False
    workspace_subdomain: str = ""
    workspace_name: str = ""
    signed_in: bool = False
    sign_in_needed: bool = False  # the session ended while the page was open: off to sign-in
    user_name: str = ""
    user_role: str = ""
    user_role_label: str = ""
    is_team: bool = False  # from CurrentUser.is_team: the services own that rule
    # The hashed session of the connection this tab's state was last used by (SessionBinding).
    _bound_session: str = ""

    if TYPE_CHECKING:  # Reflex's dynamic route vars (xobito_web.urls routes)
        subdomain: str
        ticket: str

    # --- Reading who is here (off the event loop) ----------------------------------------

    def _session_hash(self) -> str:
        # The headers field itself: `self.router` assembles a whole RouterData on every read, which
        # a live update of hundreds of tabs pays once per tab (reflex is pinned, see pyproject).
        return session_hash_of(self.rx_router_headers)

    def _page(self) -> str:
        """This event's page, to tell whether a slow load still belongs on screen."""
        return self.router.url.path

    def _visitor_request(self) -> tuple[str, str]:
        return self._session_hash(), self.subdomain.lower()

    def _current_user(self) -> CurrentUser | None:
        """The signed-in user, read now (blocking: call it from a worker thread)."""
        return read_visitor(*self._visitor_request()).user

    async def _signed_in_user(self) -> CurrentUser | None:
        """The signed-in user, read in a worker thread; a sign-out elsewhere takes effect at once."""
        session_hash, subdomain = self._visitor_request()
        return (await asyncio.to_thread(read_visitor, session_hash, subdomain)).user

    async def _live_user(self, batch: LiveBatch) -> CurrentUser | None:
        """The user for a live refresh: one lookup per session, shared by that browser's tabs."""
        session_hash, subdomain = self._visitor_request()
        visitor = await batch.read(visitor_key(session_hash, subdomain), lambda: read_visitor(session_hash, subdomain))
        return visitor.user

    def _page_request(self) -> PageRequest:
        session_hash, subdomain = self._visitor_request()
        return PageRequest(self._page(), session_hash, subdomain)

    # --- Page loads: capture the request, read in a thread, show the result -----------------

    def _load_request(self) -> Any:
        """What this page's load reads (a PageRequest or a subclass of it)."""
        return self._page_request()

    @classmethod
    def _read_page(cls, request: Any) -> Any:
        """The page's data for `request` (runs in a worker thread); at least the Visitor."""
        return read_visitor(request.session_hash, request.subdomain)

    async def _show_page(self, request: Any, result: Any) -> Any:
        """Put the read data on screen; returns events (e.g. the way to sign-in)."""
        return self._show_visitor(result)

    async def _run_load(self) -> Any:
        """The body of every page's background `load` event: the database is read off the loop."""
        async with self:
            request = self._load_request()
        result = await prefetches.take(request)  # read since its document was asked for, if it was
        if result is None:
            result = await asyncio.to_thread(self._read_page, request)
        async with self:
            if self._page() != request.page:
                return None  # the person has moved on; this page's data is not shown
            return await self._show_page(request, result)

    # --- Showing it ------------------------------------------------------------------------

    def _set_if_changed(self, **values: Any) -> None:
        """Assign only what differs: an assigned var is sent to the browser even when unchanged."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _show_visitor(self, visitor: Visitor) -> EventSpec | None:
        """The header's fields; returns the way to the sign-in page when nobody is signed in.

        An unknown workspace shows the 404 page (None is returned, nothing to go to).
        """
        user = visitor.user
        self._set_if_changed(
            workspace_missing=not visitor.workspace_found,
            workspace_subdomain=self.subdomain.lower(),
            workspace_name=visitor.workspace_name,
            signed_in=user is not None,
            sign_in_needed=False,
            user_name=user.name if user else "",
            user_role=user.role if user else "",
            user_role_label=ROLE_LABELS.get(user.role, user.role) if user else "",
            is_team=user.is_team if user else False,
        )
        if user is None:
            self._unwatch()
            if visitor.workspace_found:
                return self._login_redirect()
        return None

    def _signed_out_while_open(self) -> None:
        """A live refresh found the session over: hide the page, send the browser to sign in."""
        self._unwatch()
        self._set_if_changed(signed_in=False, sign_in_needed=True)

    def _login_redirect(self) -> EventSpec:
        back_to = self.router.url.path
        if self.router.url.query:
            back_to += "?" + self.router.url.query
        return navigate(urls.login(self.subdomain.lower(), back_to))

    # --- Live updates ------------------------------------------------------------------------

    def _watch(self, user: CurrentUser, number: int | None = None) -> None:
        """This screen wants live changes (see state/live.py); only one screen per tab."""
        hub.watch(
            self.router.session.client_token,
            # __class__, not type(): in a background event `self` is Reflex's StateProxy.
            Watch(
                self.__class__,
                user.workspace_id,
                user.user_id,
                user.is_team,
                number,
                user.name,
                *self._visitor_request(),
            ),
        )

    def _unwatch(self) -> None:
        hub.forget(self.router.session.client_token)

    @rx.event
    def sign_out(self):
        """The server route ends the session and clears the HttpOnly cookie (routes.py)."""
        self._unwatch()
        subdomain = self.subdomain.lower()
        return rx.call_script(sign_out_script(urls.logout(subdomain), urls.login(subdomain)))

    @rx.var
    def tickets_href(self) -> str:
        return urls.tickets(self.workspace_subdomain)

    # The header's other links (components/layout.py).
    @rx.var
    def nav_new_ticket_href(self) -> str:
        return urls.new_ticket(self.workspace_subdomain)

    @rx.var
    def nav_profile_href(self) -> str:
        return urls.profile(self.workspace_subdomain)

    @rx.var
    def nav_people_href(self) -> str:
        return urls.admin_people(self.workspace_subdomain)

    @rx.var
    def nav_departments_href(self) -> str:
        return urls.admin_departments(self.workspace_subdomain)

    @rx.var
    def saved_replies_href(self) -> str:
        return urls.saved_replies(self.workspace_subdomain)

    # The pages' own links live here too, not on each page's state: a computed var of a page's
    # state that reads the workspace made every first load recompute and send nine other pages'
    # states (and load them from Redis on the scale path), for links those pages alone show.
    @rx.var
    def login_href(self) -> str:
        return urls.login(self.workspace_subdomain)

    @rx.var
    def forgot_password_href(self) -> str:
        return urls.forgot_password(self.workspace_subdomain)

    @rx.var
    def sign_up_href(self) -> str:
        return urls.sign_up(self.workspace_subdomain)

    @rx.var
    def profile_tokens_href(self) -> str:
        return urls.profile_tokens(self.workspace_subdomain)

    @rx.var
    def admin_tokens_href(self) -> str:
        return urls.admin_tokens(self.workspace_subdomain)


class SessionBinding(Middleware):
    """A tab's state belongs to the session of the connection that uses it.

    Each new connection hydrates first. If it carries another session than the one the state
    was last used with (someone else's browser with this client token, a sign-in or sign-out in
    between), everything the screens hold is reset before the state is sent, so a client token
    alone never reveals or acts for anyone. The binding is also recorded for `/_upload`, which
    accepts a tab's upload only with that same session's cookie (session_guard.py).
    """

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        headers = event.router_data.get("headers")
        if not isinstance(headers, dict):
            return None  # an event chained on the server, or an upload: same connection as before
        session_hash = session_hash_of(headers)
        screens = await state.get_state(SessionState)
        changed = screens._bound_session != session_hash
        if changed:
            screens.reset()
            screens._bound_session = session_hash
        token = event.router_data.get("token", "")
        # The boot event of a connection ("hydrate", "hydrate_and_load") records the binding.
        if token and (changed or event.name.rsplit(".", 1)[-1].startswith(HYDRATE)):
            bindings = session_guard.bindings()
            if isinstance(bindings, session_guard.LocalBindings):
                bindings.bind(token, session_hash)  # a dict in memory: no thread hop on the page's way
            else:
                await asyncio.to_thread(bindings.bind, token, session_hash)  # Redis
        return None
