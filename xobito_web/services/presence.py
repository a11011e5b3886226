"""Presence: which team members have a ticket open, and who is typing on it.

Nothing here touches the database: presence lives in memory (one process) or in Redis (with
REDIS_URL, shared by every app worker), and every entry carries its own expiry, so a tab that
vanishes without a word (a crashed worker, a lost network) is gone within VIEWER_TTL. The app
refreshes the entries of its connected tabs every few seconds (state/presence.py); a keystroke
only moves a time in memory.

An entry is keyed by an opaque viewer key (a hash of the tab's client token, never the token).
Only the team's screens ever write or read presence; customers never see it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from xobito_web.config import settings

VIEWER_TTL = 8.0  # seconds an entry lives without a refresh
TYPING_TTL = 5.0  # seconds "is typing" lasts after the last typing event
_PREFIX = "xobito:presence:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Entry:
    """One tab of a team member on a ticket, as written by the app."""

    workspace_id: int
    number: int
    viewer_key: str
    user_id: int
    name: str
    typing_until: float  # epoch seconds; in the past: not typing


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def viewer_key(client_token: str) -> str:
    return hashlib.sha256(client_token.encode()).hexdigest()[:24]


def _viewers(entries: Iterable[tuple[int, str, float]], now: float) -> list[Viewer]:
    """One Viewer per person (several tabs count once; typing in any of them counts), by name."""
    people: dict[int, Viewer] = {}
    for user_id, name, typing_until in entries:
        typing = typing_until > now or (user_id in people and people[user_id].typing)
        people[user_id] = Viewer(user_id, name, typing)
    return sorted(people.values(), key=lambda viewer: (viewer.name.casefold(), viewer.user_id))


class LocalPresence:
    """Presence of this process's tabs only (the embedded default: one process)."""

    def __init__(self) -> None:
        self._tickets: dict[tuple[int, int], dict[str, tuple[int, str, float, float]]] = {}
        self._lock = threading.Lock()

    def put(self, entries: Iterable[Entry], now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            for entry in entries:
                ticket = self._tickets.setdefault((entry.workspace_id, entry.number), {})
                ticket[entry.viewer_key] = (entry.user_id, entry.name, entry.typing_until, now + VIEWER_TTL)

    def remove(self, workspace_id: int, number: int, key: str) -> None:
        with self._lock:
            ticket = self._tickets.get((workspace_id, number))
            if ticket is not None:
                ticket.pop(key, None)
                if not ticket:
                    self._tickets.pop((workspace_id, number), None)

    def viewers(
        self, tickets: Iterable[tuple[int, int]], now: float | None = None
    ) -> dict[tuple[int, int], list[Viewer]]:
        now = time.time() if now is None else now
        found = {}
        with self._lock:
            for ticket in set(tickets):
                entries = self._tickets.get(ticket, {})
                for key in [key for key, value in entries.items() if value[3] <= now]:
                    del entries[key]
                found[ticket] = _viewers(((u, n, t) for u, n, t, _expires in entries.values()), now)
        return found


class RedisPresence:
    """Presence shared by every worker: a Redis hash per ticket, one field per tab, each value
    with its own expiry (Redis expires whole keys; the hash itself lives a little longer)."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    @staticmethod
    def _key(workspace_id: int, number: int) -> str:
        return f"{_PREFIX}:{workspace_id}:{number}"

    def put(self, entries: Iterable[Entry], now: float | None = None) -> None:
        now = time.time() if now is None else now
        pipe = self._redis.pipeline(transaction=False)
        for entry in entries:
            key = self._key(entry.workspace_id, entry.number)
            value = json.dumps([entry.user_id, entry.name, entry.typing_until, now + VIEWER_TTL])
            pipe.hset(key, entry.viewer_key, value)
            pipe.expire(key, int(VIEWER_TTL * 2))
        pipe.execute()

    def remove(self, workspace_id: int, number: int, key: str) -> None:
        self._redis.hdel(self._key(workspace_id, number), key)

    def viewers(
        self, tickets: Iterable[tuple[int, int]], now: float | None = None
    ) -> dict[tuple[int, int], list[Viewer]]:
        now = time.time() if now is None else now
        tickets = list(set(tickets))
        if not tickets:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for workspace_id, number in tickets:
            pipe.hgetall(self._key(workspace_id, number))
        found = {}
        for ticket, raw in zip(tickets, pipe.execute(), strict=True):
            live, expired = [], []
            for field, value in raw.items():
                try:
                    user_id, name, typing_until, expires = json.loads(value)
                except (TypeError, ValueError):
                    expired.append(field)
                    continue
                if expires > now:
                    live.append((int(user_id), str(name), float(typing_until)))
                else:
                    expired.append(field)
            if expired:
                self._redis.hdel(self._key(*ticket), *expired)
            found[ticket] = _viewers(live, now)
        return found


def presence_line(viewers: Iterable[Viewer], me: int) -> str:
    """What a team member's screen says about the others on the ticket ("" when alone)."""
    others = [viewer for viewer in viewers if viewer.user_id != me]
    typing = [viewer.name for viewer in others if viewer.typing]
    viewing = [viewer.name for viewer in others if not viewer.typing]
    said = []
    if typing:
        said.append(f"{_names(typing)} {'is' if len(typing) == 1 else 'are'} typing a reply…")
    if viewing:
        also = " also" if not typing else ""
        said.append(f"{_names(viewing)} {'is' if len(viewing) == 1 else 'are'}{also} viewing this ticket.")
    return " ".join(said)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_store: LocalPresence | RedisPresence | None = None
_store_lock = threading.Lock()


def get_store() -> LocalPresence | RedisPresence:
    global _store
    with _store_lock:
        if _store is None:
            _store = RedisPresence(settings.redis_url) if settings.redis_url else LocalPresence()
        return _store
