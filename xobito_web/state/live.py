"""Pushes live changes into the screens of the clients connected to this process.

A screen registers what it shows (`watch`) when it loads. When the bus announces a change,
every watching screen of that workspace that could be concerned refreshes itself through the
services, with its own user's visibility, out of band (`app.modify_state`). The screens hit by
one change share a `LiveBatch`: a read is made once per key (e.g. once per user, not once per
tab) and off the event loop, so hundreds of open tabs cost a few queries, not hundreds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from xobito_web.db import read_session
from xobito_web.services import auth, live

log = logging.getLogger(__name__)
NO_TICKET = 0  # ticket numbers start at 1


@dataclass(frozen=True)
class Watch:
    state_cls: type[rx.State]
    workspace_id: int
    user_id: int
    is_team: bool
    # The open ticket, None for the ticket list, NO_TICKET for a screen about no ticket (profile,
    # administration), which hears only its person's sessions and the workspace's administration.
    number: int | None
    name: str = ""  # the person's name, for the team's presence on a ticket (state/presence.py)
    # Who the tab is (its connection's hashed session cookie, the address's workspace): the hub
    # reads every concerned visitor in one transaction before the screens refresh.
    session_hash: str = ""
    subdomain: str = ""


def visitor_key(session_hash: str, subdomain: str) -> tuple[str, str, str]:
    """The LiveBatch key of "who is this session in this workspace" (SessionState._live_user)."""
    return ("user", session_hash, subdomain)


def read_visitors(requests: set[tuple[str, str]]) -> dict[tuple[str, str], auth.Visitor]:
    with read_session() as session:
        return {request: auth.identify(session, *request) for request in requests}


class LiveBatch:
    """The reads shared by every screen refreshed for one change."""

    def __init__(self, change: live.Change) -> None:
        self.change = change
        self._reads: dict[Hashable, asyncio.Future] = {}
        self._after: dict[Hashable, tuple[Callable[[list[Any]], None], dict[Hashable, None]]] = {}

    async def read_visitors(self, watches: list[Watch]) -> None:
        """Who every watching session is, in one worker thread and one transaction (instead of
        one of each per session); each screen then finds its visitor here."""
        requests = {(watch.session_hash, watch.subdomain) for watch in watches if watch.session_hash}
        requests = {request for request in requests if visitor_key(*request) not in self._reads}
        if not requests:
            return
        job = asyncio.ensure_future(asyncio.to_thread(read_visitors, requests))
        for request in requests:
            self._reads[visitor_key(*request)] = asyncio.ensure_future(_pick(job, request))
        await asyncio.wait([job])

    async def read(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """`read()` in a worker thread, once per key; a failure reaches everyone who asked."""
        pending = self._reads.get(key)
        if pending is None:
            pending = self._reads[key] = asyncio.ensure_future(asyncio.to_thread(read))
        return await asyncio.shield(pending)

    def after_refresh(self, group: Hashable, item: Hashable, run: Callable[[list[Any]], None]) -> None:
        """Queue `item` for `run(items)`, called once per group with all its items after every
        screen has refreshed (e.g. one write for everyone who has now seen a reply, not one
        transaction per tab)."""
        _run, items = self._after.setdefault(group, (run, {}))
        items[item] = None  # an ordered set: each item once

    async def run_after_refresh(self) -> None:
        """The queued work, each group in a worker thread; a failure is logged, not spread."""
        for run, items in self._after.values():
            try:
                await asyncio.to_thread(run, list(items))
            except Exception:
                log.exception("work after a live refresh failed")
        self._after.clear()


async def _pick(job: asyncio.Future, request: tuple[str, str]) -> auth.Visitor:
    return (await asyncio.shield(job))[request]


class LiveHub:
    def __init__(self) -> None:
        self._watches: dict[str, Watch] = {}
        # Changes heard so far, and the count at each workspace's latest: a page read made a moment
        # before its screen watches (state/prefetch.py) is used only if nothing changed since.
        self._changes_heard = 0
        self._last_change: dict[int, int] = {}
        self._count_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._app: rx.App | None = None  # set by run(), before the bus is heard
        self.on_presence: Callable[[], None] | None = None  # someone's presence changed somewhere

    def watch(self, client_token: str, watch: Watch) -> None:
        if client_token:
            self._watches[client_token] = watch

    def forget(self, client_token: str) -> None:
        self._watches.pop(client_token, None)

    def team_ticket_watches(self) -> dict[str, Watch]:
        """The tabs of team members on a ticket, by client token (presence)."""
        return {token: w for token, w in list(self._watches.items()) if w.is_team and w.number}

    def concerned(self, change: live.Change) -> list[tuple[str, Watch]]:
        if change.kind == live.SESSIONS_ENDED:  # that person's tabs check their session again
            return [
                (token, watch) for token, watch in list(self._watches.items()) if watch.user_id == change.actor_user_id
            ]
        if change.kind == live.ADMINISTRATION:  # every team screen of the workspace re-reads
            return [
                (token, watch)
                for token, watch in list(self._watches.items())
                if watch.workspace_id == change.workspace_id and watch.is_team
            ]
        return [
            (token, watch)
            for token, watch in list(self._watches.items())
            if watch.workspace_id == change.workspace_id
            and (watch.is_team or (watch.user_id == change.customer_id and change.kind not in live.TEAM_ONLY_KINDS))
            and (watch.number is None or watch.number == change.number)
        ]

    async def run(self, app) -> None:
        """Lifespan task: hear the bus for as long as the app runs."""
        self._app, self._loop = app, asyncio.get_running_loop()
        unsubscribe = live.get_bus().subscribe(self._hear)
        try:
            await asyncio.Event().wait()
        finally:
            unsubscribe()

    def change_mark(self) -> int:
        """How many changes this process has heard; compare with `changed_since`."""
        return self._changes_heard

    def changed_since(self, mark: int, workspace_id: int) -> bool:
        """Whether the workspace had a change after `change_mark()` returned `mark`, or anyone's
        sessions ended (that change names no workspace: 0)."""
        return max(self._last_change.get(workspace_id, 0), self._last_change.get(0, 0)) > mark

    def note(self, change: live.Change) -> None:
        if change.kind == live.PRESENCE:  # who is looking: no page read shows it (its ticker does)
            return
        with self._count_lock:
            self._changes_heard += 1
            self._last_change[change.workspace_id] = self._changes_heard

    def _hear(self, change: live.Change) -> None:
        # Called from whichever thread published (or the Redis reader), at once: noted here, then
        # a hop onto the app's loop.
        self.note(change)
        if self._loop is not None and not self._loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._dispatch(change), self._loop)

    async def _dispatch(self, change: live.Change) -> None:
        if change.kind == live.PRESENCE:  # presence is re-read by its ticker, not per screen
            if self.on_presence is not None:
                self.on_presence()
            return
        assert self._app is not None
        connected = self._app.event_namespace.token_to_sid if self._app.event_namespace else {}
        targets = self.concerned(change)
        for token, _watch in targets:
            if token not in connected:
                self.forget(token)  # the tab is gone; it catches up on its next load anyway
        targets = [(token, watch) for token, watch in targets if token in connected]
        batch = LiveBatch(change)
        await batch.read_visitors([watch for _token, watch in targets])
        await asyncio.gather(*(self._refresh(token, watch, batch) for token, watch in targets))
        await batch.run_after_refresh()

    async def _refresh(self, token: str, watch: Watch, batch: LiveBatch) -> None:
        assert self._app is not None
        try:
            async with self._app.modify_state(rx.BaseStateToken(ident=token, cls=watch.state_cls)) as root:
                screen: Any = await root.get_state(watch.state_cls)  # every watching screen has _apply_live_change
                await screen._apply_live_change(batch)
        except Exception:
            log.exception("live refresh failed")


hub = LiveHub()
