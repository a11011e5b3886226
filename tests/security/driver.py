"""Tabs driven through Reflex's own event processing, as a browser's socket would drive them.

Each event goes through `BaseStateEventProcessor` with the app itself as middleware (so
`SessionBinding` runs first), an in-memory state manager and the router data a socket adds to
an event: the path, the route arguments and the connection's headers, with the session cookie
hashed as `session_guard` leaves it. Whatever an event handler raises is kept in `crashes`
(Reflex would send the browser its error toast) instead of failing in the middle of a run.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import reflex as rx
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState
from reflex_base.constants import RouteArgType
from reflex_base.event import Event
from reflex_base.event.processor import BaseStateEventProcessor
from reflex_base.utils.format import format_event_handler
from sqlalchemy import inspect as sql_inspect
from sqlalchemy import text

from xobito_web.db import get_engine
from xobito_web.services import auth

ORIGIN = "http://localhost:3000"
_tokens = itertools.count(1)


def all_states() -> list[type[BaseState]]:
    """Every state class of the app (Reflex's own internal states left out)."""
    from xobito_web.xobito_web import app  # noqa: F401  (imports every state)

    found: list[type[BaseState]] = []
    todo: list[type[BaseState]] = [rx.State]
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("xobito_web."):
            found.append(cls)
    return sorted(found, key=lambda cls: cls.get_full_name())


def handlers_of(cls: type[BaseState]) -> dict[str, Any]:
    """The events a browser may send to `cls`: every entry of its event_handlers (Reflex turns
    every public method into one), its own and inherited."""
    return dict(cls.event_handlers)


def event_name(cls: type[rx.State], handler: str) -> str:
    return format_event_handler(cls.event_handlers[handler])


def parameters_of(cls: type[rx.State], handler: str) -> list[str]:
    fn = cls.event_handlers[handler].fn
    return [name for name in list(inspect.signature(fn).parameters)[1:]]


@dataclass
class Tab:
    """One browser tab: its client token, its page and its session cookie (raw; "" signed out)."""

    path: str
    cookie: str = ""
    token: str = field(default_factory=lambda: f"security-tab-{next(_tokens)}")

    def router_data(self) -> dict[str, Any]:
        page, _, search = self.path.partition("?")
        parts = page.strip("/").split("/")
        query: dict[str, Any] = dict(parse_qsl(search, keep_blank_values=True)) | {"subdomain": parts[0]}
        if len(parts) == 3 and parts[1] == "tickets" and parts[2] != "new":
            query["ticket"] = parts[2]
        headers = {"origin": ORIGIN, "host": "localhost:3000"}
        if self.cookie:
            headers["cookie"] = f"{auth.SESSION_COOKIE}={auth.hash_token(self.cookie)}"
        return {
            "token": self.token,
            "pathname": self.path.split("?", 1)[0],
            "asPath": self.path,
            "query": query,
            "headers": headers,
            "ip": "203.0.113.7",
        }


class Browser:
    """An event processor over the app's states, for tabs of any number of people."""

    def __init__(self) -> None:
        from xobito_web.xobito_web import app

        rx.State.setup_dynamic_args({"subdomain": RouteArgType.SINGLE, "ticket": RouteArgType.SINGLE})
        self.crashes: list[tuple[str, BaseException]] = []
        self._current = ""
        self.manager = StateManagerMemory()  # type: ignore[abstract]  # Reflex declares the methods it defines as abstract
        self.processor = BaseStateEventProcessor(middleware=app, backend_exception_handler=self._crashed)
        self.processor.configure(state_manager=self.manager)

    def _crashed(self, error: Exception):
        if all(error is not known for _name, known in self.crashes):
            self.crashes.append((self._current, error))
        return None

    async def __aenter__(self) -> Browser:
        await self.processor.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.processor.stop(graceful_shutdown_timeout=5)

    async def send(self, tab: Tab, cls: type[rx.State], handler: str, **payload: Any) -> None:
        """The event as the tab's socket sends it; returns once it and what it chained are done."""
        await self.send_named(tab, event_name(cls, handler), payload)

    async def send_named(self, tab: Tab, name: str, payload: dict[str, Any]) -> None:
        self._current = name
        future = await self.processor.enqueue(
            tab.token, Event(name=name, payload=payload, router_data=tab.router_data())
        )
        try:
            await future.wait_all()
        except Exception as error:  # noqa: BLE001 (also given to the exception handler: kept once)
            if all(error is not known for _name, known in self.crashes):
                self.crashes.append((name, error))
        while self.processor._tasks:  # background events it started (their own tasks)
            await asyncio.sleep(0.005)

    async def open(self, tab: Tab, page_state: type[rx.State] | None) -> None:
        """What a page's first connection does: hydrate, then the page's load event."""
        await self.send_named(tab, f"{rx.State.get_full_name()}.hydrate", {})
        if page_state is not None and "load" in page_state.event_handlers:
            await self.send(tab, page_state, "load")

    async def state(self, tab: Tab, cls: type[rx.State]) -> rx.State:
        root = await self.manager.get_state(BaseStateToken(ident=tab.token, cls=cls))
        return await root.get_state(cls)

    async def screen(self, tab: Tab, cls: type[rx.State]) -> dict[str, Any]:
        """What the tab's screen of `cls` holds (its vars as the browser would get them)."""
        state = await self.state(tab, cls)
        return {name: getattr(state, name) for name in cls.base_vars if not name.startswith("_")}


def database_rows(url: str) -> dict[str, set[tuple]]:
    """Every row of every table, as plain tuples (a small test database)."""
    engine = get_engine(url)
    rows: dict[str, set[tuple]] = {}
    with engine.connect() as connection:
        for table in sql_inspect(connection).get_table_names():
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            rows[table] = {tuple(zip(columns, row, strict=True)) for row in result}
    return rows


def rows_not_of(rows: dict[str, set[tuple]], user_id: int | None, workspace_id: int | None) -> dict[str, set[tuple]]:
    """The rows that belong to nobody but others: without `user_id`'s own rows (their name,
    sessions, tokens, email choices) and, for someone of another workspace, that whole workspace."""

    def mine(table: str, row: tuple) -> bool:
        values = dict(row)
        if user_id is not None and (
            values.get("user_id") == user_id or (table == "app_user" and values["id"] == user_id)
        ):
            return True
        return workspace_id is not None and (
            values.get("workspace_id") == workspace_id or (table == "workspace" and values["id"] == workspace_id)
        )

    return {table: {row for row in found if not mine(table, row)} for table, found in rows.items()}
