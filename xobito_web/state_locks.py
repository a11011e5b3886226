"""Tab-state locks on the scale path (Reflex's Redis state manager), ready before the first tab.

Reflex learns that a tab's state lock was released from a Redis keyspace subscription, which it
opens the first time an event has to wait for a lock, waiting at most 2 s for Redis to confirm
it. On a busy, freshly started worker the confirmation can come later than the release it was
opened for; the waiting event then sleeps for the lock's whole expiry (10 s), and the first page
of the first person on that worker stays on "Loading" (seen in the two-worker browser test).
Subscribing when the worker starts leaves no first wait to miss.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 60  # seconds: a worker starting on a loaded machine, still bounded


async def subscribe_to_lock_releases(app: Any) -> None:
    """Lifespan task: open the Redis state manager's lock subscription now (no-op without Redis)."""
    subscribe = getattr(app.state_manager, "_ensure_lock_task_subscribed", None)
    if subscribe is None:  # tab states in memory: no cross-process locks to hear about
        return
    try:
        await subscribe(timeout=SUBSCRIBE_TIMEOUT)
    except Exception:  # Reflex subscribes again on the first wait, as it would without this
        log.warning("the state lock subscription was not ready at start-up", exc_info=True)
