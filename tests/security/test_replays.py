"""Every form of the app, sent again after it succeeded (a double click, a re-sent socket
message): exactly one effect. The reply and New Ticket forms (uploads) are proven in
tests/unit/test_composer.py; here every other form goes through Reflex's event processing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import reflex as rx

from tests.conftest import PASSWORD
from tests.security.conftest import open_session_of
from tests.security.driver import Browser, Tab, database_rows
from xobito_web.state.account_links import ForgotPasswordState, SignUpState
from xobito_web.state.admin_departments import DepartmentsState
from xobito_web.state.admin_people import PeopleState
from xobito_web.state.api_tokens import ProfileTokensState
from xobito_web.state.assignment import AssignmentState
from xobito_web.state.profile import ProfileState
from xobito_web.state.ticket_view import TicketViewState

REPLAYS = 3
IGNORED_TABLES = {"session", "login_failure"}  # opened per tab here; counted per attempt on purpose


@dataclass(frozen=True)
class Form:
    name: str
    person: str | None
    path: str  # {ref}: the victim's ticket
    page: type[rx.State]
    state: type[rx.State]
    handler: str
    payload: Callable[[Any], dict[str, Any]]  # world -> the event's arguments
    before: tuple[tuple[str, Callable[[Any], dict[str, Any]]], ...] = ()  # events that fill the form


FORMS = [
    Form(
        "close a ticket",
        "customer",
        "/acme/tickets/{ref}",
        TicketViewState,
        TicketViewState,
        "close_ticket",
        lambda w: {},
    ),
    Form(
        "assign a ticket",
        "admin",
        "/acme/tickets/{ref}",
        TicketViewState,
        AssignmentState,
        "assign",
        lambda w: {},
        (
            ("choose_department", lambda w: {"department_id": str(w.departments["Sales"])}),
            ("choose_assignee", lambda w: {"assignee_id": str(w.sales_staff.user_id)}),
        ),
    ),
    Form(
        "take a ticket", "support_staff", "/acme/tickets/{ref}", TicketViewState, AssignmentState, "take", lambda w: {}
    ),
    Form(
        "add a department",
        "admin",
        "/acme/admin/departments",
        DepartmentsState,
        DepartmentsState,
        "add_department",
        lambda w: {"form_data": {"name": "Returns"}},
    ),
    Form(
        "invite someone",
        "admin",
        "/acme/admin/people",
        PeopleState,
        PeopleState,
        "invite",
        lambda w: {"form_data": {"email": "new@customer.example.com", "name": "New Person"}},
        (("set_invite_role", lambda w: {"role": "customer"}),),
    ),
    Form(
        "create an API token",
        "customer",
        "/acme/profile/tokens",
        ProfileTokensState,
        ProfileTokensState,
        "create",
        lambda w: {"form_data": {"name": "My script"}},
    ),
    Form(
        "change the name",
        "customer",
        "/acme/profile",
        ProfileState,
        ProfileState,
        "save_name",
        lambda w: {"form_data": {"name": "Carol Changed"}},
    ),
    Form(
        "change the password",
        "customer",
        "/acme/profile",
        ProfileState,
        ProfileState,
        "change_password",
        lambda w: {"form_data": {"current_password": PASSWORD, "new_password": "a brand new password"}},
    ),
    Form(
        "ask for a reset link",
        None,
        "/acme/forgot-password",
        ForgotPasswordState,
        ForgotPasswordState,
        "send_reset_link",
        lambda w: {"form_data": {"email": w.customer.email}},
    ),
    Form(
        "sign up",
        None,
        "/acme/sign-up",
        SignUpState,
        SignUpState,
        "sign_up",
        lambda w: {"form_data": {"name": "Newcomer", "email": "newcomer@customer.example.com"}},
    ),
]


def counted(url: str) -> dict[str, set]:
    return {table: rows for table, rows in database_rows(url).items() if table not in IGNORED_TABLES}


@pytest.fixture
def signup_open(app_database):
    from xobito_web.db import write_session
    from xobito_web.services import admin

    with write_session(app_database.url) as session:
        admin.set_customer_signup(session, app_database.admin, True)


@pytest.mark.usefixtures("signup_open")
@pytest.mark.parametrize("form", FORMS, ids=[form.name for form in FORMS])
def test_a_form_sent_again_after_it_succeeded_has_one_effect(form, app_database, victim):
    world = app_database

    async def scenario():
        async with Browser() as browser:
            cookie = open_session_of(world, getattr(world, form.person)) if form.person else ""
            tab = Tab(form.path.format(ref=victim.ref), cookie)
            await browser.open(tab, form.page)
            for handler, payload in form.before:
                await browser.send(tab, form.state, handler, **payload(world))
            start = counted(world.url)
            await browser.send(tab, form.state, form.handler, **form.payload(world))
            once = counted(world.url)
            for _ in range(REPLAYS):
                await browser.send(tab, form.state, form.handler, **form.payload(world))
            return browser.crashes, start, once, counted(world.url)

    crashes, start, once, again = asyncio.run(scenario())
    assert crashes == []
    assert once != start  # the first one did something
    added = {table: len(again[table] - once[table]) for table in again if again[table] != once[table]}
    assert added == {}
