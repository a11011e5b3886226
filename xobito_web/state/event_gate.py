"""What a browser may send over its socket: only the app's own events, with the arguments they
are written for.

Reflex turns every public method of a state into an event and gives every state a generic
`setvar`; a page only ever sends the handlers it renders, with the values its components give.
A hand-written socket message can send anything else. This middleware refuses, before any
handler runs, an event of the app's states that is:
- `setvar` (no page of the app uses it: every client-set value has its own checked setter);
- an upload handler (those take their files from `/_upload` only, never from the socket);
- missing an argument, carrying an unknown one, or one of the wrong type (a dict where a
  string is expected, and so on), so no handler crashes on a forged payload.
Events chained on the server and uploads carry no connection headers and pass unchanged.

The router data an event brings (the page's path and query, as the browser says) is bounded
too: Reflex stores it in the tab's state before any middleware runs, so a crafted 100 KB link
would be kept (and pickled to disk or Redis) with every tab that opened it. An event with a
path or query part over 2 KB is refused, the tab's stored router data is put back to the 404
page, and the browser is sent there.
"""

from __future__ import annotations

import functools
import inspect
import logging
import types
import typing
from typing import TYPE_CHECKING, Any

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import StateUpdate
from reflex_base.event import Event

from xobito_web import urls

if TYPE_CHECKING:
    from reflex.app import App
    from reflex.state import BaseState

log = logging.getLogger(__name__)
APP_PACKAGE = "xobito_web."
# Reflex's own states' events (hydrate, on load, ...): Reflex answers them as it does.
NOT_OURS: tuple[dict[str, Any], frozenset[str]] = ({}, frozenset())


@functools.lru_cache(maxsize=4096)  # bounded: a browser can send any name
def _signature(event_name: str) -> tuple[dict[str, Any], frozenset[str]] | None:
    """The handler's parameters (name -> annotation) and the required ones; None: refuse it."""
    state_path, _, handler_name = event_name.rpartition(".")
    try:
        state_cls = rx.State.get_class_substate(tuple(state_path.split(".")[1:]))
    except (ValueError, AttributeError):
        return NOT_OURS
    handler = state_cls.event_handlers.get(handler_name)
    if handler is None or not state_cls.__module__.startswith(APP_PACKAGE):
        return NOT_OURS
    if handler_name == "setvar":
        return None
    hints = typing.get_type_hints(handler.fn)
    parameters = list(inspect.signature(handler.fn).parameters.values())[1:]
    annotations = {parameter.name: hints.get(parameter.name, Any) for parameter in parameters}
    if any(annotation is rx.UploadChunkIterator for annotation in annotations.values()):
        return None
    required = frozenset(p.name for p in parameters if p.default is inspect.Parameter.empty)
    return annotations, required


def fits(value: Any, annotation: Any) -> bool:
    """Whether `value` (as decoded from JSON) is of the annotated type."""
    if annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, option) for option in typing.get_args(annotation))
    if annotation is None or annotation is type(None):
        return value is None
    base = origin or annotation
    if base is bool:
        return isinstance(value, bool)
    if base in (int, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if base in (str, dict, list):
        return isinstance(value, base)
    return True  # a type JSON cannot carry: the handler checks it itself


def refusal(event: Event) -> str | None:
    """Why this socket event may not run (None: it may)."""
    signature = _signature(event.name)
    if signature is None:
        return "not an event a page sends"
    if signature is NOT_OURS:
        return None
    annotations, required = signature
    payload = event.payload if isinstance(event.payload, dict) else {}
    unknown = set(payload) - set(annotations)
    missing = required - set(payload)
    if unknown or missing:
        return f"arguments {sorted(unknown | missing)}"
    wrong = [name for name, value in payload.items() if not fits(value, annotations[name])]
    return f"wrong types of {wrong}" if wrong else None


MAX_ROUTE_PART = 2048  # characters: a path, and each query name and value
MAX_QUERY_PARTS = 64


def route_too_long(router_data: dict[str, Any]) -> bool:
    query = router_data.get("query")
    parts = [router_data.get("pathname"), router_data.get("asPath")]
    if isinstance(query, dict):
        if len(query) > MAX_QUERY_PARTS:
            return True
        parts += [*query, *query.values()]
    elif query is not None:
        return True
    return any(len(part if isinstance(part, str) else repr(part)) > MAX_ROUTE_PART for part in parts if part)


def _to_not_found(state: BaseState, router_data: dict[str, Any]) -> StateUpdate:
    bounded = {**router_data, "pathname": urls.NOT_FOUND_ROUTE, "asPath": urls.NOT_FOUND_ROUTE, "query": {}}
    root = state._get_root_state()
    root.router_data = root._update_router_vars(bounded, {})
    return StateUpdate(events=[Event.from_event_type(rx.redirect(urls.NOT_FOUND_ROUTE))[0]])


class EventGate(Middleware):
    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        if not isinstance(event.router_data.get("headers"), dict):
            return None  # chained on the server, or an upload: not written by a browser
        if route_too_long(event.router_data):
            log.info("refused an event with a route over %d characters", MAX_ROUTE_PART)
            return _to_not_found(state, event.router_data)
        why = refusal(event)
        if why is None:
            return None
        log.info("refused the event %s from a browser: %s", event.name.rpartition(".")[2], why)
        return StateUpdate()
