"""The HTTP API against the running production app: a reply and a close sent by a script reach
the customer's open thread live and by email, and the token page makes a token that works once
copied and stops working when revoked."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect
from sqlmodel import col, select

from tests.e2e.test_assignment import wait_for_email
from tests.e2e.test_ticket_portal import open_as
from tests.unit import samples
from xobito_web.db import read_session, write_session
from xobito_web.models import User, Workspace
from xobito_web.services import api_tokens, auth, tickets, workspaces
from xobito_web.services.auth import CurrentUser


def person(database_url: str, subdomain: str, email: str) -> CurrentUser:
    with read_session(database_url) as session:
        user, workspace = session.exec(
            select(User, Workspace)
            .join(Workspace, col(Workspace.id) == col(User.workspace_id))
            .where(Workspace.subdomain == subdomain, User.email == email)
        ).one()
        return auth.current_user_of(user, workspace)


def test_a_reply_and_a_close_sent_over_http_appear_live_in_the_customers_open_thread(
    browser: Browser, app, workspace, smtp_server
):
    customer_user = person(app.database_url, workspace.subdomain, workspace.customer)
    admin_user = person(app.database_url, workspace.subdomain, workspace.admin)
    with write_session(app.database_url) as session:
        department = workspaces.list_departments(session, customer_user.workspace_id)[0]
        tickets.create_ticket(session, customer_user, "Scanner jams", department.id, "high", "Every page jams.")
        token = api_tokens.create_token(session, admin_user, "Helpdesk bot").token

    customer = open_as(browser, app, workspace, workspace.customer)
    customer.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(customer.get_by_role("heading", name="Scanner jams")).to_be_visible()
    customer.get_by_label("Message").fill("Half a thought")
    customer.evaluate("window.__noReload = true")

    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    reply = httpx.post(
        app.url(f"/{workspace.subdomain}/tickets/TKT-000001/reply"),
        data={"body": "Clean the rollers, see the guide."},
        files=[("files", ("guide.pdf", samples.pdf("Guide"), "application/pdf"))],
        headers=headers,
        timeout=30,
    )
    assert reply.status_code == 201, reply.text

    expect(customer.locator(".message-body").last).to_have_text("Clean the rollers, see the guide.")
    expect(customer.get_by_text("guide.pdf")).to_be_visible()
    expect(customer.locator("#live-notice")).to_contain_text("New reply from Alice Admin")
    expect(customer.get_by_label("Message")).to_have_value("Half a thought")
    received = wait_for_email(smtp_server, workspace.customer, "[TKT-000001] Scanner jams")
    assert "Clean the rollers, see the guide." in received.text()

    close = httpx.post(app.url(f"/{workspace.subdomain}/api/v1/tickets/TKT-000001/close"), headers=headers, timeout=30)
    assert close.status_code == 200 and close.json()["status"] == "closed"
    expect(customer.locator("#closed-notice")).to_be_visible()
    expect(customer.locator("#live-notice")).to_contain_text("This ticket was just closed.")
    assert customer.evaluate("window.__noReload") is True


def test_a_token_made_on_the_profile_page_works_until_it_is_revoked(browser: Browser, app, workspace):
    page = open_as(browser, app, workspace, workspace.customer)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(app.url(f"/{workspace.subdomain}/profile/tokens"))
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(page.locator("#new-token-panel")).to_be_hidden()

    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#token-name-error")).to_have_text("The token name is required.")
    page.get_by_label("Token name").fill("Nightly report")
    page.get_by_role("button", name="Create token").click()
    field = page.get_by_label("New API token")
    expect(field).to_have_value(re.compile(r"^xob_[A-Za-z0-9_-]{43}$"))
    token = field.input_value()
    expect(page.get_by_role("table", name="API tokens")).to_contain_text("Nightly report")
    expect(page.get_by_role("table", name="API tokens")).to_contain_text(token[:12])
    # The page's own content fits a phone (its table scrolls inside itself).
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 390

    api = app.url(f"/{workspace.subdomain}/api/v1/tickets")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(api, headers=headers, timeout=30).status_code == 200

    # Shown once: after a reload only its first characters are left.
    page.reload()
    expect(page.get_by_role("table", name="API tokens")).to_contain_text("Nightly report")
    expect(page.locator("#new-token-panel")).to_be_hidden()
    assert token not in page.content()

    page.get_by_role("button", name="Revoke Nightly report").click()
    expect(page.locator("#tokens-notice")).to_have_text("The token “Nightly report” is revoked: it no longer works.")
    expect(page.locator("#no-tokens")).to_be_visible()
    refused = httpx.get(api, headers=headers, timeout=30)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
