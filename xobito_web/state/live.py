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
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from xobito_web.services import live

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


class LiveBatch:
    """The reads shared by every screen refreshed for one change."""

    def __init__(self, change: live.Change) -> None:
        self.change = change
        self._reads: dict[Hashable, asyncio.Future] = {}

    async def read(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """`read()` in a worker thread, once per key; a failure reaches everyone who asked."""
        pending = self._reads.get(key)
        if pending is None:
            pending = self._reads[key] = asyncio.ensure_future(asyncio.to_thread(read))
        return await asyncio.shield(pending)


class LiveHub:
    def __init__(self) -> None:
        self._watches: dict[str, Watch] = {}
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

    def _hear(self, change: live.Change) -> None:
        # Called from whichever thread published (or the Redis reader): hop onto the app's loop.
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
        batch = LiveBatch(change)
        await asyncio.gather(*(self._refresh(token, watch, batch) for token, watch in targets if token in connected))

    async def _refresh(self, token: str, watch: Watch, batch: LiveBatch) -> None:
        assert self._app is not None
        try:
            async with self._app.modify_state(rx.BaseStateToken(ident=token, cls=watch.state_cls)) as root:
                screen: Any = await root.get_state(watch.state_cls)  # every watching screen has _apply_live_change
                await screen._apply_live_change(batch)
        except Exception:
            log.exception("live refresh failed")


hub = LiveHub()
