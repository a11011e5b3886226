"""Every event handler of every state, sent by people who have no business with the victim's
ticket, workspace or administration, with forged payloads: nothing of the victim changes, the
victim's open screen stays as it was, nothing of the victim is shown to the sender, no handler
crashes and nothing unbounded is kept in the sender's state.

The handlers are enumerated from the state classes, so a new handler is attacked too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import itertools
import logging
from typing import Any

import pytest
import reflex as rx

from tests.conftest import PASSWORD
from tests.security.conftest import open_session_of
from tests.security.driver import Browser, Tab, all_states, database_rows, handlers_of, parameters_of, rows_not_of
from xobito_web import urls
from xobito_web.db import write_session
from xobito_web.services import api_tokens
from xobito_web.state.account_links import ForgotPasswordState, LinkState, SignUpState
from xobito_web.state.admin_departments import DepartmentsState
from xobito_web.state.admin_people import PeopleState
from xobito_web.state.api_tokens import AdminTokensState, ProfileTokensState
from xobito_web.state.assignment import AssignmentState
from xobito_web.state.login import LoginState
from xobito_web.state.new_ticket import NewTicketState
from xobito_web.state.profile import ProfileState
from xobito_web.state.reply import ReplyState
from xobito_web.state.saved_replies import SavedRepliesState
from xobito_web.state.session import SessionState
from xobito_web.state.ticket_list import TicketListState
from xobito_web.state.ticket_view import TicketViewState

HUGE = "x" * 200_000
SECRET = "Invoice 42 is wrong."  # the victim's message: never on an attacker's screen
# The most any screen keeps of what a sender typed (a message is at most 2,000 characters).
LONGEST_KEPT_TEXT = 10_000
# The most a signed-out tab's states may weigh, whatever it was sent.
SIGNED_OUT_STATE_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Page:
    """Where a state's events are sent from: its page (path template) and the page's state."""

    path: str
    loads: type[rx.State] | None


VICTIM_TICKET = "{subdomain}/tickets/{ref}"
PAGES: dict[type[rx.State], Page] = {
    SessionState: Page("{subdomain}/tickets", TicketListState),
    LoginState: Page("{subdomain}/login", LoginState),
    TicketListState: Page("{subdomain}/tickets", TicketListState),
    NewTicketState: Page("{subdomain}/tickets/new", NewTicketState),
    TicketViewState: Page(VICTIM_TICKET, TicketViewState),
    ReplyState: Page(VICTIM_TICKET, TicketViewState),
    AssignmentState: Page(VICTIM_TICKET, TicketViewState),
    ProfileState: Page("{subdomain}/profile", ProfileState),
    ProfileTokensState: Page("{subdomain}/profile/tokens", ProfileTokensState),
    AdminTokensState: Page("{subdomain}/admin/tokens", AdminTokensState),
    PeopleState: Page("{subdomain}/admin/people", PeopleState),
    DepartmentsState: Page("{subdomain}/admin/departments", DepartmentsState),
    ForgotPasswordState: Page("{subdomain}/forgot-password", ForgotPasswordState),
    SignUpState: Page("{subdomain}/sign-up", SignUpState),
    LinkState: Page("{subdomain}/reset-password", LinkState),
    SavedRepliesState: Page("{subdomain}/saved-replies", SavedRepliesState),
}
TEAM_ONLY = (AssignmentState, PeopleState, DepartmentsState, AdminTokensState, SavedRepliesState)
# Forms anyone may send about any address (a reset link, a sign-up): they record the request and
# queue an email to that address, and nothing else.
PUBLIC_FORMS = {"send_reset_link", "sign_up"}
PUBLIC_FORM_TABLES = {"account_request", "account_token", "outbox_email"}


def test_every_state_with_events_is_attacked():
    """A new screen must say where its events come from, or this suite would skip it."""
    assert {cls for cls in all_states() if handlers_of(cls)} <= set(PAGES)


def test_every_event_a_browser_can_send_is_declared_as_one():
    """Reflex turns every public method into an event a browser may send: a helper must be
    private (`_name`), so only methods written as events (`@rx.event`) can be called."""
    undeclared = [
        f"{cls.__name__}.{name}"
        for cls in all_states()
        for name, handler in handlers_of(cls).items()
        if name != "setvar" and "@rx.event" not in inspect.getsource(handler.fn).split("def ", 1)[0]
    ]
    assert undeclared == []


@dataclasses.dataclass(frozen=True)
class Actor:
    name: str
    person: str | None  # a World field; None: signed out
    subdomain: str
    states: tuple[type[rx.State], ...]  # the screens whose events this person sends


ACTORS = [
    Actor("another customer", "other_customer", "acme", tuple(PAGES)),
    Actor("another workspace's admin", "foreign_admin", "other", tuple(PAGES)),
    Actor("staff of another department", "sales_staff", "acme", tuple(PAGES)),
    Actor("the customer calling team events", "customer", "acme", TEAM_ONLY),
    Actor("signed out", None, "acme", tuple(PAGES)),
]


@dataclasses.dataclass
class Targets:
    """The victim's things, by id, as a forged payload would name them."""

    ref: str
    user_ids: list[str]
    department_ids: list[str]
    token_id: str

    def values_for(self, parameter: str) -> list[Any]:
        """Plausible values naming the victim's things for a parameter of this name."""
        if "department" in parameter:
            return self.department_ids
        if parameter in ("user_id", "assignee_id"):
            return self.user_ids
        if parameter == "token_id":
            return [self.token_id]
        if parameter == "key":
            return [self.ref, "new"]
        if parameter in ("form_data", "progress", "refusal"):
            return [self.form()]
        if parameter in ("wanted", "enabled", "checked"):
            return [True, False]
        if parameter in ("value",):
            return ["Forged text from someone else.", True]
        if parameter in ("role",):
            return ["admin"]
        return [self.ref, "admin", "open"]

    def form(self) -> dict[str, Any]:
        """Every field any form of the app posts, filled to do the most harm to the victim."""
        return {
            "ref": self.ref,
            "body": "Forged reply from someone else.",
            "nonce": "",
            "subject": "Forged subject",
            "department": self.department_ids[0],
            "priority": "high",
            "name": "Forged Name",
            "email": "carol@customer.example.com",
            "password": "a forged new password",
            "current_password": PASSWORD,
            "new_password": "a forged new password",
            "confirm": "a forged new password",
            "query": "carol",
            "search": "Invoice",
            "role": "admin",
            "token": "forged-token",
            "progress": 0.5,
            "message": "<img src=x onerror=alert(1)>",
            "field": "email",
        }


HOSTILE: list[Any] = [HUGE, {"$forged": HUGE}, ["a", "b"], None, -1, ""]


def payloads(targets: Targets, parameters: list[str]):
    """The plausible forged payload, then each parameter in turn replaced by hostile values."""
    plausible = {name: targets.values_for(name) for name in parameters}
    for values in itertools.islice(itertools.product(*plausible.values()), 6):
        yield dict(zip(parameters, values, strict=True))
    first = {name: options[0] for name, options in plausible.items()}
    for name in parameters:
        for hostile in HOSTILE:
            yield first | {name: hostile}
        if name == "form_data":  # every field of the form with the wrong type or size
            for hostile in (HUGE, {"a": 1}, ["a"], None):
                yield first | {name: {field: hostile for field in targets.form()}}


def longest_text(value: Any, depth: int = 0) -> int:
    if depth > 6:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max([0, *(max(longest_text(k, depth + 1), longest_text(v, depth + 1)) for k, v in value.items())])
    if isinstance(value, (list, tuple, set)):
        return max([0, *(longest_text(item, depth + 1) for item in value)])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return longest_text(vars(value), depth + 1)
    return 0


async def everything_held(browser: Browser, tab: Tab) -> dict[str, Any]:
    """Every var of every screen state of the tab, backend vars too."""
    held: dict[str, Any] = {}
    for cls in PAGES:
        state = await browser.state(tab, cls)
        for name in cls.base_vars:
            held[f"{cls.__name__}.{name}"] = getattr(state, name, None)
        backend: dict[str, Any] = state._backend_vars or {}
        for name, value in backend.items():
            held[f"{cls.__name__}.{name}"] = value
    return held


@pytest.mark.parametrize("actor", ACTORS, ids=[actor.name for actor in ACTORS])
def test_no_event_reaches_what_is_not_yours(actor, app_database, victim, caplog):
    world = app_database
    caplog.set_level(logging.ERROR)
    person = getattr(world, actor.person) if actor.person else None
    with write_session(world.url) as session:
        victim_token = api_tokens.create_token(session, world.customer, "Carol's script")
    targets = Targets(
        ref=victim.ref,
        user_ids=[str(world.customer.user_id), str(world.admin.user_id), str(world.support_staff.user_id)],
        department_ids=[str(world.departments["Support"]), str(world.departments["Sales"])],
        token_id=str(victim_token.record.id),
    )
    foreign = person is not None and person.workspace_id != world.customer.workspace_id
    problems: dict[str, None] = {}  # each problem once, in the order found

    async def scenario() -> None:
        async with Browser() as browser:
            watcher = Tab(urls.ticket("acme", victim.ref), open_session_of(world, world.customer))
            await browser.open(watcher, TicketViewState)
            victim_screen = await everything_held(browser, watcher)
            assert victim_screen[f"{TicketViewState.__name__}.found"] is True
            before = rows_not_of(
                database_rows(world.url),
                person.user_id if person else None,
                person.workspace_id if foreign and person else None,
            )
            for cls in actor.states:
                for handler in handlers_of(cls):
                    cookie = open_session_of(world, person) if person else ""
                    page = PAGES[cls]
                    path = "/" + page.path.format(subdomain=actor.subdomain, ref=victim.ref)
                    tab = Tab(path, cookie)
                    await browser.open(tab, page.loads)
                    for payload in payloads(targets, parameters_of(cls, handler)):
                        await browser.send(tab, cls, handler, **payload)
                    await asyncio.sleep(0)
                    where = f"{cls.__name__}.{handler}"
                    for name, error in browser.crashes:
                        problems[
                            f"{where}: crashed ({name.rsplit('.', 1)[-1]}: {type(error).__name__}: {str(error)[:60]})"
                        ] = None
                    browser.crashes.clear()
                    held = await everything_held(browser, tab)
                    for name, value in held.items():
                        if SECRET in repr(value)[:1_000_000] and actor.person != "customer":
                            problems[f"{where}: the victim's message is on the sender's screen ({name})"] = None
                        if longest_text(value) > LONGEST_KEPT_TEXT:
                            problems[f"{where}: {name} keeps {longest_text(value)} characters"] = None
                    if person is None:
                        root = await browser.manager.get_state(rx.BaseStateToken(ident=tab.token, cls=rx.State))
                        size = len(root._serialize())
                        if size > SIGNED_OUT_STATE_BYTES:
                            problems[f"{where}: a signed-out tab's state grew to {size} bytes"] = None
                    changed = _changes(before, world, person, foreign, public=handler in PUBLIC_FORMS)
                    if changed:
                        problems[f"{where}: changed {changed}"[:600]] = None
                    if changed or handler in PUBLIC_FORMS:  # compare what comes next with now
                        before = rows_not_of(
                            database_rows(world.url),
                            person.user_id if person else None,
                            person.workspace_id if foreign and person else None,
                        )
            if await everything_held(browser, watcher) != victim_screen:
                problems["the victim's open ticket changed on screen"] = None

    asyncio.run(scenario())
    for record in caplog.records:  # an error caught and logged is a crash all the same
        if record.levelno >= logging.ERROR:
            problems[f"logged: {record.getMessage()[:200]} {record.exc_text or ''}"[:400]] = None
    assert not problems, "\n".join(problems)


def _changes(before, world, person, foreign, public: bool) -> list[str]:
    after = rows_not_of(
        database_rows(world.url),
        person.user_id if person else None,
        person.workspace_id if foreign and person else None,
    )
    found = []
    for table in sorted(set(before) | set(after)):
        if table == "session" or (public and table in PUBLIC_FORM_TABLES):
            continue  # the sender's own cookies are opened here for each tab
        gone, new = (
            before.get(table, set()) - after.get(table, set()),
            after.get(table, set()) - before.get(table, set()),
        )
        if table == "login_failure" and person is not None:  # the sender's own wrong password
            new = {row for row in new if dict(row)["email"] != person.email}
        if gone or new:
            found.append(f"{table}: -{sorted(gone)[:2]} +{sorted(new)[:2]}")
    return found
