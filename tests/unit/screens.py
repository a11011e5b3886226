"""Screens in process for unit tests: a tab's real Reflex states, its router data (path, route
arguments) and connection headers, with the session cookie hashed as session_guard leaves it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

import reflex as rx
from reflex_base.constants import RouteArgType
from reflex_base.event import EventHandler
from reflex_base.utils.format import json_dumps

from tests.conftest import PASSWORD
from xobito_web.services import auth, live
from xobito_web.state.live import LiveBatch
from xobito_web.state.session import SessionState

Screen = TypeVar("Screen", bound=rx.State)


def cookie_of(world, email: str) -> str:
    token, _user = auth.sign_in("acme", email, PASSWORD, database_url=world.url)
    return token


def open_tab(screen: type[Screen], path: str, cookie: str, tab: str = "tab-1") -> Screen:
    """A tab's state as after navigation to `path` (before its load event ran)."""
    rx.State.setup_dynamic_args({"subdomain": RouteArgType.SINGLE, "ticket": RouteArgType.SINGLE})
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]  # Reflex's internal flag, taken by **kwargs
    navigate_tab(root, path, cookie, tab)
    return cast(Screen, root.get_substate(screen.get_full_name().split(".")[1:]))


def navigate_tab(root: rx.State, path: str, cookie: str, tab: str = "tab-1") -> None:
    """The browser moved to `path` in the same tab (in-app navigation: same connection)."""
    parts = path.strip("/").split("/")
    params = {"subdomain": parts[0]} | ({"ticket": parts[2]} if len(parts) == 3 else {})
    headers = {"origin": "http://localhost:3000", "cookie": f"{auth.SESSION_COOKIE}={auth.hash_token(cookie)}"}
    root._update_router_vars(
        {"token": tab, "pathname": path, "asPath": path, "query": params, "headers": headers}, root.router_data
    )


def load(tab: SessionState):
    """What the page's background `load` event does, run in line: read, then show."""
    request = tab._load_request()
    return run(tab._show_page(request, type(tab)._read_page(request)))


def sent(state: rx.State) -> dict:
    """The delta the browser would receive for this state now (as sent), then mark all clean."""
    delta = state.get_delta()
    state._clean()
    return json.loads(json_dumps(delta)).get(state.get_full_name(), {})


def event_fn(event: object) -> Callable[..., Any]:
    """The plain function behind `SomeState.event` (Reflex types it as a callback for components)."""
    return cast(EventHandler, event).fn


def var(name: str) -> str:
    return f"{name}_rx_state_"


def run(coroutine):
    return asyncio.run(coroutine)


async def refresh(state, change: live.Change, batch: LiveBatch | None = None) -> None:
    """One screen's live refresh; with its own batch, also the work the hub does after it (a
    shared batch's caller runs that once every screen has refreshed)."""
    own = batch is None
    batch = batch or LiveBatch(change)
    await state._apply_live_change(batch)
    if own:
        await batch.run_after_refresh()


def change_of(world, kind: str, number: int, actor) -> live.Change:
    return live.Change(world.customer.workspace_id, number, kind, actor.user_id, world.customer.user_id)
