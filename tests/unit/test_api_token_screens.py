"""The API token pages without a browser: a person's own tokens (create, shown once, revoke) and
the admins' page of every token of the workspace."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.unit.screens import cookie_of, event_fn, load, open_tab, run, sent, var
from xobito_web.db import read_session, write_session
from xobito_web.models import ApiToken
from xobito_web.services import api_tokens
from xobito_web.state.api_tokens import AdminTokensState, ProfileTokensState

pytestmark = pytest.mark.usefixtures("app_database")


def drain(generator) -> list:
    """Run a background event to its end; what it yielded."""

    async def collect():
        return [item async for item in generator]

    return run(collect())


def own_tokens_tab(world, email: str):
    tab = open_tab(ProfileTokensState, "/acme/profile/tokens", cookie_of(world, email))
    load(tab)
    return tab


def test_a_new_token_is_written_into_the_page_once_and_never_kept_in_the_state(app_database):
    world = app_database
    tab = own_tokens_tab(world, world.customer.email)
    assert tab.signed_in and tab.tokens == []

    events = drain(event_fn(ProfileTokensState.create)(tab, {"name": "  Nightly report  "}))
    with read_session(world.url) as session:
        row = session.exec(select(ApiToken)).one()
    assert row.name == "Nightly report" and row.user_id == world.customer.user_id
    [shown] = [event for event in events if "ref_new_token" in str(event)]
    token = shown.args[1][1]._var_value
    assert api_tokens.hash_token(token) == row.token_hash and token.startswith("xob_")
    assert tab.created_name == "Nightly report"
    assert [(t.name, t.prefix) for t in tab.tokens] == [("Nightly report", token[:12])]
    # The token itself is nowhere in what the state holds or sends.
    assert token not in str(tab.dict()) and token not in str(sent(tab))

    drain(event_fn(ProfileTokensState.revoke)(tab, str(row.id)))
    assert tab.tokens == [] and tab.notice == "The token “Nightly report” is revoked: it no longer works."
    with read_session(world.url) as session:
        assert session.exec(select(ApiToken.revoked_at)).one() is not None


@pytest.mark.parametrize(
    ("name", "message"),
    [(" ", "The token name is required."), ("x" * 81, "The token name must be at most 80 characters.")],
)
def test_a_token_needs_a_name_and_nothing_is_made_without_one(app_database, name, message):
    world = app_database
    tab = own_tokens_tab(world, world.customer.email)
    events = drain(event_fn(ProfileTokensState.create)(tab, {"name": name}))
    assert tab.name_error == message and events == [] and tab.created_name == ""
    with read_session(world.url) as session:
        assert session.exec(select(ApiToken)).all() == []


def test_someone_elses_token_cannot_be_revoked_from_the_own_page(app_database):
    world = app_database
    with write_session(world.url) as session:
        theirs = api_tokens.create_token(session, world.other_customer, "Theirs").record
    tab = own_tokens_tab(world, world.customer.email)
    drain(event_fn(ProfileTokensState.revoke)(tab, str(theirs.id)))  # not on the page: ignored
    with read_session(world.url) as session:
        assert session.exec(select(ApiToken.revoked_at)).one() is None


def test_admins_see_and_revoke_every_token_of_their_workspace_only(app_database):
    world = app_database
    with write_session(world.url) as session:
        customer_token = api_tokens.create_token(session, world.customer, "Customer script").record
        api_tokens.create_token(session, world.sales_staff, "Staff script")
        api_tokens.create_token(session, world.foreign_admin, "Foreign script")
    tab = open_tab(AdminTokensState, "/acme/admin/tokens", cookie_of(world, world.admin.email))
    load(tab)
    assert tab.allowed and {row.name for row in tab.tokens} == {"Customer script", "Staff script"}
    assert any(row.owner == f"Customer ({world.customer.email})" for row in tab.tokens)
    drain(event_fn(AdminTokensState.revoke)(tab, str(customer_token.id)))
    assert [row.name for row in tab.tokens] == ["Staff script"]


def test_the_workspace_page_shows_nothing_to_others(app_database):
    world = app_database
    with write_session(world.url) as session:
        api_tokens.create_token(session, world.customer, "Customer script")
    for email in (world.customer.email, world.sales_staff.email):
        tab = open_tab(AdminTokensState, "/acme/admin/tokens", cookie_of(world, email))
        load(tab)
        assert tab.signed_in and not tab.allowed and tab.tokens == []
        assert sent(tab).get(var("tokens"), []) == []
