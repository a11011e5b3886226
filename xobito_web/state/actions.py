"""Changes a page makes for the person signed in to the tab, run off the event loop.

`run_as_visitor` does one piece of work in a worker thread for whoever the tab's session belongs
to now and hands back what the services refused (or a general failure, logged) instead of
raising. `ListActionsMixin` builds on it for the pages that change something and show a list
again (Departments, People, Saved replies): one change at a time, its notice or error, a form's
field errors, and the confirmation dialog before a change that is hard to undo.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import reflex as rx
from sqlmodel import Session

from xobito_web.db import write_session
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import InvalidInput, NotFound, ServiceError
from xobito_web.state.session import SessionState, read_visitor

log = logging.getLogger(__name__)

FAILED = "Something went wrong and nothing was changed. Try again in a moment."
SIGNED_OUT = "You are no longer signed in."

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    refusal: ServiceError | None = None  # None: the work is done


async def run_as_visitor(session_hash: str, subdomain: str, work: Callable[[CurrentUser], T], what: str) -> Outcome[T]:
    """`work(user)` in a worker thread for the person signed in with this session; a session
    that has ended is refused as SIGNED_OUT, anything unexpected is logged (as `what` failed)
    and refused as FAILED."""

    def run() -> T:
        user = read_visitor(session_hash, subdomain).user
        if user is None:
            raise ServiceError(SIGNED_OUT)
        return work(user)

    try:
        return Outcome(value=await asyncio.to_thread(run))
    except ServiceError as refused:
        return Outcome(refusal=refused)
    except Exception:
        log.exception("%s failed", what)
        return Outcome(refusal=ServiceError(FAILED))


if TYPE_CHECKING:  # the mixin is only ever mixed into SessionState pages
    _MixedInto = SessionState
else:
    _MixedInto = rx.State


class ListActionsMixin(_MixedInto, mixin=True):
    """Acting on a page's list: `_act` runs one change and shows the list as it now is.

    A page provides `_list_reader` (what to read after a change, captured with the page's
    current filters) and `_show` (put that on screen), and names its changes in `_change_kind`
    for the log. The confirmation dialog (components/confirm.py) asks about `confirm_id`, named
    `confirm_name`; the page's ask event fills them and its confirm event calls
    `_act_on_confirmed`."""

    notice: str = ""
    error: str = ""
    busy: bool = False
    confirm_id: str = ""
    confirm_name: str = ""

    _change_kind: ClassVar[str] = "a change"
    _gone: ClassVar[str] = ""  # what a NotFound says on this page ("": the service's own words)

    def _list_reader(self) -> Callable[[CurrentUser], Any]:
        """What to read after a change, in the change's thread (called while the state is held)."""
        raise NotImplementedError

    def _show(self, listed: Any) -> None:
        """Put what `_list_reader` read on screen."""
        raise NotImplementedError

    def _forget_actions(self) -> None:
        """A fresh page load: no notice, error, change under way or open confirmation."""
        self._set_if_changed(notice="", error="", busy=False, confirm_id="")

    async def _act(self, change: Callable[[Session, CurrentUser], Any], notice: str, errors_var: str = "") -> bool:
        """One change in a thread (one transaction), then the list as it now is.

        An InvalidInput goes next to its field in `errors_var` (a form's errors) when there is
        one; anything else the services refuse is shown above the list."""
        async with self:
            if self.busy or not self.signed_in:
                return False
            self.busy, self.notice, self.error = True, "", ""
            if errors_var:
                setattr(self, errors_var, {})
            session_hash, subdomain = self._visitor_request()
            read_list, what, gone = self._list_reader(), self._change_kind, self._gone

        def change_and_read(user: CurrentUser) -> Any:
            with write_session() as session:
                change(session, user)
            return read_list(user)

        outcome = await run_as_visitor(session_hash, subdomain, change_and_read, what)
        refusal = outcome.refusal
        field_errors: dict[str, str] = {}
        error = ""
        if isinstance(refusal, InvalidInput) and errors_var:
            field_errors = {refusal.field or "form": refusal.message}
        elif isinstance(refusal, NotFound) and gone:
            error = gone
        elif refusal is not None:
            error = refusal.message
        async with self:
            self.busy = False
            if errors_var:
                setattr(self, errors_var, field_errors)
            self.error = error
            if refusal is None:
                self.notice = notice
                self._show(outcome.value)
        return refusal is None

    async def _act_on_confirmed(self, change: Callable[[Session, CurrentUser, str], Any], notice: str) -> None:
        """The change the confirmation dialog asked about, on its item; `notice` names it as
        {name}. The dialog closes first, so a second click finds nothing to confirm."""
        async with self:
            item_id, name, self.confirm_id = self.confirm_id, self.confirm_name, ""
        if item_id:
            await self._act(lambda session, user: change(session, user, item_id), notice.format(name=name))

    @rx.event
    def set_confirm_open(self, value: bool):
        if not value:
            self.confirm_id = ""
