"""Presence on the team's ticket screens: who else has the ticket open, who is typing.

A lifespan task ticks every TICK seconds (sooner when woken): it writes the presence of this
process's connected team tabs on tickets (services/presence.py: memory or Redis, with expiry,
never the database), drops the tabs that left the ticket or disconnected, announces a change on
the live bus (ids only, so other workers tick at once), and pushes to each team tab on a ticket
the line about the others when it changed. Customers' tabs are never written, read or pushed to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx

from xobito_web.services import live, presence
from xobito_web.state.live import LiveHub, Watch, hub

log = logging.getLogger(__name__)
TICK = 2.0  # seconds between refreshes: a departure or a pause in typing shows within a few seconds


@dataclass(frozen=True)
class Written:
    workspace_id: int
    number: int
    user_id: int
    typing: bool


@dataclass(frozen=True)
class TickPlan:
    """What one tick writes, removes and announces (computed without any I/O, so it is testable)."""

    entries: list[presence.Entry]
    removed: list[tuple[int, int, str]]  # (workspace, number, viewer key)
    changed: set[tuple[int, int, int]]  # (workspace, number, user) to announce
    written: dict[str, Written]


def plan_tick(
    watches: dict[str, Watch],
    connected: set[str],
    typing_until: dict[str, float],
    written: dict[str, Written],
    now: float,
) -> TickPlan:
    entries, removed, changed, now_written = [], [], set(), {}
    for token, watch in watches.items():
        if token not in connected or not watch.number:
            continue
        until = typing_until.get(token, 0.0)
        entries.append(
            presence.Entry(
                watch.workspace_id, watch.number, presence.viewer_key(token), watch.user_id, watch.name, until
            )
        )
        now_written[token] = Written(watch.workspace_id, watch.number, watch.user_id, until > now)
        before = written.get(token)
        if before is None or (before.workspace_id, before.number, before.typing) != (
            watch.workspace_id,
            watch.number,
            until > now,
        ):
            changed.add((watch.workspace_id, watch.number, watch.user_id))
    for token, before in written.items():
        after = now_written.get(token)
        if after is None or (after.workspace_id, after.number) != (before.workspace_id, before.number):
            removed.append((before.workspace_id, before.number, presence.viewer_key(token)))
            changed.add((before.workspace_id, before.number, before.user_id))
    return TickPlan(entries, removed, changed, now_written)


class PresenceTicker:
    def __init__(self, live_hub: LiveHub) -> None:
        self._hub = live_hub
        self._typing_until: dict[str, float] = {}
        self._written: dict[str, Written] = {}
        self._shown: dict[str, tuple[int, str]] = {}  # token -> (ticket number, line pushed)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._app = None

    # --- Called from event handlers (on the event loop) ----------------------------------

    def typed(self, client_token: str) -> None:
        """The person typed in the composer of the ticket their tab shows."""
        now = time.time()
        was_typing = self._typing_until.get(client_token, 0.0) > now
        self._typing_until[client_token] = now + presence.TYPING_TTL
        if not was_typing:
            self.wake()

    def opened(self, client_token: str) -> None:
        """The tab (re)loaded a ticket: show it the others afresh."""
        self._shown.pop(client_token, None)
        self._typing_until.pop(client_token, None)
        self.wake()

    def wake(self) -> None:
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    # --- The lifespan task -------------------------------------------------------------------

    async def run(self, app) -> None:
        self._app, self._loop, self._wake = app, asyncio.get_running_loop(), asyncio.Event()
        self._hub.on_presence = self.wake
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=TICK)
                self._wake.clear()
                try:
                    await self._tick()
                except Exception:
                    log.exception("presence tick failed")
        finally:
            self._hub.on_presence = None

    async def _tick(self) -> None:
        namespace = self._app.event_namespace if self._app is not None else None
        connected: set[str] = set(namespace.token_to_sid) if namespace else set()
        watches = self._hub.team_ticket_watches()
        now = time.time()
        self._typing_until = {t: until for t, until in self._typing_until.items() if until > now and t in watches}
        plan = plan_tick(watches, connected, self._typing_until, self._written, now)
        tickets = {(w.workspace_id, w.number) for t, w in watches.items() if t in connected and w.number is not None}
        viewers = await asyncio.to_thread(self._store_io, plan, tickets)
        self._written = plan.written
        self._shown = {t: shown for t, shown in self._shown.items() if t in plan.written}
        pushes = []
        for token, watch in watches.items():
            if token not in connected or watch.number is None:
                continue
            line = presence.presence_line(viewers.get((watch.workspace_id, watch.number), []), watch.user_id)
            if self._shown.get(token) != (watch.number, line):
                self._shown[token] = (watch.number, line)
                pushes.append(self._push(token, watch, line))
        await asyncio.gather(*pushes)

    @staticmethod
    def _store_io(plan: TickPlan, tickets: set[tuple[int, int]]) -> dict[tuple[int, int], list[presence.Viewer]]:
        store = presence.get_store()
        for workspace_id, number, key in plan.removed:
            store.remove(workspace_id, number, key)
        if plan.entries:
            store.put(plan.entries)
        found = store.viewers(tickets)
        for workspace_id, number, user_id in plan.changed:  # the other workers tick at once
            live.get_bus().publish(live.Change(workspace_id, number, live.PRESENCE, user_id, 0))
        return found

    async def _push(self, token: str, watch: Watch, line: str) -> None:
        assert self._app is not None and watch.number is not None  # pushes come from a tick of a running app
        try:
            async with self._app.modify_state(rx.BaseStateToken(ident=token, cls=watch.state_cls)) as root:
                screen = await root.get_state(watch.state_cls)
                show: Callable[[int, str], None] | None = getattr(screen, "_show_presence", None)
                if show is not None:
                    show(watch.number, line)
        except Exception:
            log.exception("presence refresh failed")


ticker = PresenceTicker(hub)
