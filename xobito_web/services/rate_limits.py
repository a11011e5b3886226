"""Flood limits, and who is asking: per-person caps on new tickets and replies, the client address.

Tickets and replies (issue 11 item 8): one customer once opened 20 tickets in 33 seconds, and
every ticket emails the admins and the department's staff. Each person may therefore open at
most `tickets_per_hour` tickets and post at most `customer_replies_per_hour` (customers) or
`team_replies_per_hour` (admins and staff) replies over any sliding hour. The defaults (10, 60,
300; XOBITO_TICKETS_PER_HOUR, XOBITO_CUSTOMER_REPLIES_PER_HOUR, XOBITO_TEAM_REPLIES_PER_HOUR,
0 = no limit) are far above what a person types: a customer rarely opens more than a few
tickets a day or writes more than one reply a minute, while an agent may answer a whole queue
with short replies after an outage, hence the higher team cap. A script is stopped within
seconds.

The check counts the person's own rows (tickets they opened, replies they wrote) with an index
on (person, created_at), reading at most `cap` index entries. It first locks the person's user
row, so on PostgreSQL two requests of one person take turns and a burst sent in parallel cannot
slip past the count (SQLite writers take turns already). A refusal raises RateLimited before
anything is written, so the caller's transaction stores nothing and queues no email.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from xobito_web import config
from xobito_web.models import Reply, Ticket, User, utcnow
from xobito_web.services.errors import RateLimited

if TYPE_CHECKING:  # auth imports this module for its address and wait helpers
    from xobito_web.services.auth import CurrentUser

WINDOW = timedelta(hours=1)
MAX_ADDRESS_LENGTH = 64  # login_failure.ip_address

_lifted: ContextVar[bool] = ContextVar("xobito_flood_limits_lifted", default=False)


@contextmanager
def lifted() -> Iterator[None]:
    """No flood limits for the code run inside (this thread or task only).

    For made-up history written through the services (the demo workspace, benchmark setup),
    which is not a person typing; never around anything a request triggers.
    """
    token = _lifted.set(True)
    try:
        yield
    finally:
        _lifted.reset(token)


def describe_wait(seconds: float) -> str:
    """A wait in words for a message: "45 seconds", "1 minute", "12 minutes", "2 hours" (rounded up)."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return _plural(seconds, "second")
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return _plural(minutes, "minute")
    return _plural(math.ceil(minutes / 60), "hour")


def _plural(count: int, unit: str, units: str = "") -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {units or unit + 's'}"


# --- Tickets and replies -----------------------------------------------------------------


def check_ticket_rate(session: Session, user: CurrentUser, now: datetime | None = None) -> None:
    """Refuse a new ticket when `user` opened `tickets_per_hour` tickets in the last hour."""
    cap = config.settings.tickets_per_hour
    wait = _wait_for_room(session, user, col(Ticket.created_at), col(Ticket.customer_id) == user.user_id, cap, now)
    if wait:
        raise RateLimited(
            f"You have opened {_plural(cap, 'ticket')} in the last hour, the most allowed. "
            f"Try again in {describe_wait(wait)}.",
            wait,
        )


def check_reply_rate(session: Session, user: CurrentUser, now: datetime | None = None) -> None:
    """Refuse a reply when `user` wrote their hourly number of replies (team and customers differ)."""
    settings = config.settings
    cap = settings.team_replies_per_hour if user.is_team else settings.customer_replies_per_hour
    wait = _wait_for_room(session, user, col(Reply.created_at), col(Reply.author_id) == user.user_id, cap, now)
    if wait:
        raise RateLimited(
            f"You have posted {_plural(cap, 'reply', 'replies')} in the last hour, "
            f"the most allowed. Try again in {describe_wait(wait)}.",
            wait,
        )


def _wait_for_room(
    session: Session,
    user: CurrentUser,
    created_at: Mapped[datetime],
    by_user: ColumnElement[bool],
    cap: int,
    now: datetime | None,
) -> int:
    """Seconds until the person may add one more row (0: now); a cap of 0 means no limit."""
    if cap <= 0 or _lifted.get():
        return 0
    now = now or utcnow()
    # The person's requests take turns from here to the end of the transaction (see above).
    # FOR NO KEY UPDATE: rows that merely refer to the person (a session, an assignment) are
    # not held up by it. SQLite writers take turns already (write_session begins IMMEDIATE).
    if session.get_bind().dialect.name != "sqlite":
        session.exec(select(User.id).where(User.id == user.user_id).with_for_update(key_share=True)).first()
    recent = session.exec(
        select(created_at).where(by_user, created_at > now - WINDOW).order_by(created_at.desc()).limit(cap)
    ).all()
    if len(recent) < cap:
        return 0
    # Room comes back when the oldest of the last `cap` rows leaves the window.
    return max(1, math.ceil((recent[-1] + WINDOW - now).total_seconds()))


# --- Who is asking -----------------------------------------------------------------------


def client_address(peer: str | None, x_forwarded_for: str | Sequence[str] | None, trusted_hops: int) -> str:
    """The address of whoever sent an HTTP request, as far as it can be trusted.

    `peer` is the address the connection comes from; `x_forwarded_for` the request's
    X-Forwarded-For header (several header lines may be given as a list, in order). Each proxy
    appends the address it received the request from, so with `trusted_hops` proxies of our own
    in front of the app the client is the `trusted_hops`-th entry from the right; everything
    left of it was written by the client and may be forged. With 0 hops the header is ignored.
    When the header has fewer entries than there are proxies, the peer is kept. This is the rule
    Reflex applies to `router.session.client_ip` (rxconfig `trusted_proxy_hops`), so a person
    has the same address on the WebSocket and on HTTP routes.

    An IP address comes back in its canonical text (IPv4 inside IPv6 as IPv4, a port dropped);
    anything else a proxy wrote ("unknown") as it is, cut to 64 characters.
    """
    chosen = (peer or "").strip()
    if trusted_hops > 0:
        lines = [x_forwarded_for] if isinstance(x_forwarded_for, str) else list(x_forwarded_for or ())
        hops = [part.strip() for line in lines for part in line.split(",") if part.strip()]
        if len(hops) >= trusted_hops:
            chosen = hops[-trusted_hops]
    parsed = _parse_ip(chosen)
    return str(parsed) if parsed is not None else chosen[:MAX_ADDRESS_LENGTH]


def throttle_address(address: str | None) -> str:
    """The key that failed sign-ins are counted under for `address`.

    An IPv6 client usually holds a whole /64 and can pick a new address in it for every
    attempt, so IPv6 addresses count per /64 network; IPv4 per address.
    """
    text = (address or "").strip()
    parsed = _parse_ip(text)
    if parsed is None:
        return text[:MAX_ADDRESS_LENGTH]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from "1.2.3.4", "1.2.3.4:5678", "2001:db8::1" or "[2001:db8::1]:443", else None."""
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            parsed = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if parsed.version == 6 and parsed.ipv4_mapped is not None:
            return parsed.ipv4_mapped
        return parsed
    return None
