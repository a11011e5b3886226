"""Password hashing with Argon2 (pwdlib's recommended hasher).

Every hash and verification runs in one worker thread of low CPU priority, one at a time: a
storm of sign-ins (each ≈ 120 ms of CPU and 64 MiB) then queues behind itself instead of taking
every core from the event loop that serves everyone else's tabs. Callers already run off the
event loop (a route's thread pool, a background event's thread) and wait for their turn.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError

Result = TypeVar("Result")
LOW_PRIORITY = 19  # the nicest a thread can be (Linux: per thread)

_hasher = PasswordHash.recommended()


def _lower_priority() -> None:
    # Not Linux, or not allowed: one at a time still holds.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)


_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2", initializer=_lower_priority)


def _in_turn(work: Callable[[], Result]) -> Result:
    if threading.current_thread().name.startswith("argon2"):
        return work()
    return _worker.submit(work).result()


# Verified against when the account does not exist, so a wrong email costs as long as a
# wrong password and the timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _in_turn(lambda: _hasher.hash(password))


def verify_password(password: str, password_hash: str | None) -> bool:
    def verify() -> bool:
        if not password_hash:
            _hasher.verify(password, _DUMMY_HASH)
            return False
        try:
            return _hasher.verify(password, password_hash)
        except PwdlibError:  # a stored hash of no known kind never signs anyone in
            return False

    return _in_turn(verify)
