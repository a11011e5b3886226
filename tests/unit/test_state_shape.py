"""What a page's states cost every other page (issue 17): a computed var of a page's state that
reads the workspace or the router is recomputed, sent, and (on the scale path) loaded from Redis
for every page's first load or every event. The pages' links live on SessionState instead, and the
sign-in page reads its ?next= when it loads."""

from __future__ import annotations

import importlib

import reflex as rx

from tests.unit.screens import load, open_tab
from xobito_web.state.login import LoginState
from xobito_web.state.session import SessionState


def test_no_page_s_state_recomputes_for_the_workspace_or_the_router():
    importlib.import_module("xobito_web.xobito_web")  # every page's state is registered
    assert SessionState._potentially_dirty_states == {SessionState.get_full_name()}
    assert rx.State._potentially_dirty_states == {rx.State.get_full_name()}


def test_the_sign_in_page_keeps_where_to_go_next(app_database):
    tab = open_tab(LoginState, "/acme/login?next=/acme/tickets/TKT-000007", cookie="not a session")
    load(tab)
    assert tab.next_target == "/acme/tickets/TKT-000007"
    assert tab.forgot_password_href == "/acme/forgot-password" and tab.sign_up_href == "/acme/sign-up"
