"""The live bus: "ticket N of workspace W changed", published once the change is committed.

A message carries no ticket content: each screen that hears it re-reads what its own user may
see through the services, so a client can never learn about a ticket it may not see.
One process: an in-process bus. With REDIS_URL: Redis pub/sub, so a change made through one
app worker reaches the screens connected to every other worker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import event
from sqlmodel import Session

from xobito_web.config import settings
from xobito_web.models import Ticket

log = logging.getLogger(__name__)
# Workers that share a database share a channel; two installations on one Redis do not mix.
CHANNEL = "xobito:live:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]


SESSIONS_ENDED = "sessions_ended"
# Something of the workspace's administration changed (people, departments, settings): the
# team's open screens re-read what they show (an admin screen its lists, a ticket list its
# rows and department choices, a staff member's screens what they may now see).
ADMINISTRATION = "administration"
# An internal note was added (services/notes.py); someone opened, left or typed on a ticket
# (presence). Both are the team's business only: no customer's screen is even woken by them.
NOTED = "noted"
PRESENCE = "presence"
TEAM_ONLY_KINDS = frozenset({NOTED, PRESENCE})


@dataclass(frozen=True)
class Change:
    workspace_id: int
    number: int  # 0 when no ticket is concerned
    kind: str  # created | replied | closed | assigned | noted | presence | sessions_ended | administration
    actor_user_id: int  # for sessions_ended: whose sessions ended
    customer_id: int


Listener = Callable[[Change], None]


class LocalBus:
    """Delivers to the listeners of this process only."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, change: Change) -> None:
        self._deliver(change)

    def _deliver(self, change: Change) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                log.exception("live listener failed")


class RedisBus(LocalBus):
    """Publishes through Redis; one reader thread per process hands messages to local listeners."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self._redis = redis.Redis.from_url(url)
        self._reader: threading.Thread | None = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        unsubscribe = super().subscribe(listener)
        with self._lock:
            if self._reader is None:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                self._reader = threading.Thread(target=self._read, args=(pubsub,), name="xobito-live", daemon=True)
                self._reader.start()
        return unsubscribe

    def publish(self, change: Change) -> None:
        self._redis.publish(CHANNEL, json.dumps(asdict(change)))

    def _read(self, pubsub) -> None:
        for message in pubsub.listen():
            try:
                change = Change(**json.loads(message["data"]))
            except (TypeError, ValueError):
                log.warning("ignored a malformed live message")
                continue
            self._deliver(change)


_bus: LocalBus | None = None
_bus_lock = threading.Lock()


def get_bus() -> LocalBus:
    global _bus
    with _bus_lock:
        if _bus is None:
            _bus = RedisBus(settings.redis_url) if settings.redis_url else LocalBus()
        return _bus


def announce(session: Session, kind: str, ticket: Ticket, actor_user_id: int) -> None:
    """Tell the open screens that `ticket` changed, once the caller's transaction commits."""
    publish_after_commit(session, Change(ticket.workspace_id, ticket.number, kind, actor_user_id, ticket.customer_id))


def announce_sessions_ended(session: Session, user_id: int) -> None:
    """Sessions of `user_id` ended (signed out, deactivated): their open tabs re-check theirs."""
    publish_after_commit(session, Change(0, 0, SESSIONS_ENDED, user_id, 0))


def announce_administration(session: Session, workspace_id: int, actor_user_id: int) -> None:
    """The workspace's people, departments or settings changed (ids only, like every change)."""
    publish_after_commit(session, Change(workspace_id, 0, ADMINISTRATION, actor_user_id, 0))


def publish_after_commit(session: Session, change: Change) -> None:
    """Announce the change only if, and once, the caller's transaction commits."""

    def _announce(_session) -> None:
        try:
            get_bus().publish(change)
        except Exception:
            log.exception("could not publish a live change")

    event.listen(session, "after_commit", _announce, once=True)
