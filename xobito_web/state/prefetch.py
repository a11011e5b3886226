"""A page's data, read from the moment its document is asked for (issue 17).

A first visit asks for the page's document, then for its code, opens the event socket, and only
then sends the page's load event, which reads the database: about a quarter of a second after
the document request, and the read itself (the ticket list at 100,000 tickets: 5-40 ms on a busy
2-core machine) was the last thing the rows waited for. The document request carries the
session cookie already, so the read starts there (in a worker thread, as the load's own does),
and the load event takes the result instead of reading again.

What keeps it exact:
- The result is kept under the whole request the load would make (page path, session hash,
  workspace, filters or ticket): a load takes it only when it asks for exactly that; another
  session, page or filter never matches. It is taken once, and it is used for 10 seconds at most.
- The live bus counts changes per workspace (LiveHub.note): a result read before a change of
  its workspace is dropped and the load reads again, so nothing committed between the document
  and the load is missed (a change after the load reaches the screen through its watch).
- A read that failed is dropped too: the load reads again and reports its own error.

Seeing a ticket's thread marks it seen when it is read; the prefetched read of a thread does
that too, a moment before its page shows.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from xobito_web import session_guard
from xobito_web.services import auth
from xobito_web.state.event_gate import MAX_ROUTE_PART
from xobito_web.state.live import hub

log = logging.getLogger(__name__)
_now = time.monotonic  # a name of this module's own, which a test can move without stopping asyncio's clock

LIFETIME = 10.0  # seconds: a load comes a quarter of a second after its document, even on 3G
# The read starts this long after the document went out: a first visit's browser asks for the
# page's code and styles at once, and this process serves those first (the read holds the GIL
# for a few ms). The load event comes after some 100 ms (a reload) to 250 ms (a first visit).
START_DELAY = 0.05  # seconds
MAX_KEPT = 256  # reads kept at once; beyond it, pages simply read at load as before

# The pages whose reads start with their document: the ticket list and a ticket's thread.
LIST_PATH = re.compile(r"^/([^/]+)/tickets/?$")
THREAD_PATH = re.compile(r"^/([^/]+)/tickets/([^/]+)/?$")
NOT_A_TICKET = {"new"}  # /{subdomain}/tickets/new is the new-ticket form


@dataclass
class _Read:
    job: asyncio.Future
    started: float  # _now()
    mark: int  # LiveHub.change_mark() before the read began


class PagePrefetch:
    def __init__(self) -> None:
        self._reads: OrderedDict[Any, _Read] = OrderedDict()

    def start(self, request: Any, read: Callable[[Any], Any]) -> None:
        """Begin `read(request)` in a worker thread, unless it is already under way."""
        self._drop_expired()
        if request in self._reads or len(self._reads) >= MAX_KEPT:
            return
        mark = hub.change_mark()
        job = asyncio.get_running_loop().run_in_executor(None, read, request)
        job.add_done_callback(_retrieve)
        self._reads[request] = _Read(job, _now(), mark)

    async def take(self, request: Any) -> Any | None:
        """The result for exactly `request`, if one was read and is still good; None: read it."""
        kept = self._reads.pop(request, None)
        if kept is None or _now() - kept.started > LIFETIME:
            return None
        # Waiting does not cancel the read if this load is cancelled (another may be started).
        await asyncio.wait([kept.job])
        if kept.job.cancelled() or kept.job.exception() is not None:
            return None  # the load reads again and reports its own failure (_retrieve logged this one)
        result = kept.job.result()
        user = result.visitor.user  # the list's and the thread's results both carry the visitor
        if user is not None and hub.changed_since(kept.mark, user.workspace_id):
            return None  # something changed in that workspace since: read again
        return result

    def _drop_expired(self) -> None:
        now = _now()
        while self._reads:
            request, kept = next(iter(self._reads.items()))
            if now - kept.started <= LIFETIME:
                break
            del self._reads[request]

    def __len__(self) -> int:
        return len(self._reads)


def _retrieve(job: asyncio.Future) -> None:
    """A read nobody takes must not log "exception never retrieved"."""
    if not job.cancelled() and job.exception() is not None:
        log.debug("a prefetched page read failed", exc_info=job.exception())


prefetches = PagePrefetch()


def document_requested(path: str, query_string: str, cookie_header: str) -> None:
    """FrontendServing's hook: a page's document was sent; start that page's read."""
    # Here, not at the top: the states import this module (their loads take the results).
    from xobito_web.state.session import PageRequest
    from xobito_web.state.ticket_list import TicketListState
    from xobito_web.state.ticket_view import TicketViewState

    token = session_guard.session_token_from(cookie_header)
    if not token:
        return  # signed out: the page sends the browser to sign in, nothing to read
    if len(path) > MAX_ROUTE_PART or len(query_string) > MAX_ROUTE_PART:
        return  # its events are refused (EventGate): nothing will take a read
    session_hash = auth.hash_token(token)
    if found := LIST_PATH.match(path):
        base = PageRequest(path, session_hash, found.group(1).lower())
        query = dict(parse_qsl(query_string))  # as Reflex reads the address (istate/data.py)
        _start_soon(TicketListState.request_for(base, query), TicketListState._read_page)
    elif (found := THREAD_PATH.match(path)) and found.group(2) not in NOT_A_TICKET:
        base = PageRequest(path, session_hash, found.group(1).lower())
        _start_soon(TicketViewState.request_for(base, found.group(2)), TicketViewState._read_page)


def _start_soon(request: Any, read: Callable[[Any], Any]) -> None:
    asyncio.get_running_loop().call_later(START_DELAY, prefetches.start, request, read)
