"""In a real browser against the production build: the session cookie as the browser holds it,
no raw session token in any stored tab state, and nothing typed or chosen on one ticket shown on
another (by link or by reload)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_attachments import choose_files
from tests.e2e.test_ticket_portal import create_ticket, open_as
from tests.unit import samples
from xobito_web.services.auth import SESSION_COOKIE

pytestmark = pytest.mark.e2e

DRAFT = "Private words for the first customer only."


def test_the_session_cookie_is_http_only_same_site_and_never_stored_raw(browser: Browser, app, workspace):
    page = open_as(browser, app, workspace, workspace.customer)
    page.goto(app.url(f"/{workspace.subdomain}/profile"))
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies[SESSION_COOKIE]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert session["path"] == "/"
    assert SESSION_COOKIE not in page.evaluate("document.cookie")  # no script can read it
    raw = session["value"].encode()
    stored = [path for path in (app.data_dir / "states").rglob("*") if path.is_file() and raw in path.read_bytes()]
    assert stored == []
    assert (app.data_dir / "states").exists()  # the tab states are there, only without the token


def open_ticket_by_link(page: Page, subdomain: str, ref: str) -> None:
    page.get_by_role("link", name="Tickets", exact=True).first.click()
    page.get_by_role("link", name=ref, exact=True).first.click()
    expect(page.locator("#ticket-ref")).to_have_text(ref)


def nothing_carried_over(page: Page) -> None:
    expect(page.get_by_label("Message")).to_have_value("")
    expect(page.get_by_label("Chosen files").locator("li")).to_have_count(0)
    expect(page.get_by_text(DRAFT)).to_have_count(0)


def test_a_draft_and_a_chosen_file_stay_on_their_own_ticket(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "First problem", "Billing", "Medium", "The first problem, described.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.goto(app.url(f"/{workspace.subdomain}/tickets"))
    create_ticket(customer, "Second problem", "Sales", "Low", "The second problem, described.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000002")

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(admin.locator("#ticket-ref")).to_have_text("TKT-000001")
    admin.get_by_label("Message").fill(DRAFT)
    choose_files(admin, "reply-files", {"invoice-first.pdf": ("application/pdf", samples.pdf("First"))})
    expect(admin.get_by_label("Chosen files")).to_contain_text("invoice-first.pdf")
    admin.wait_for_timeout(800)  # the typing reaches the server (the box sends it debounced)

    open_ticket_by_link(admin, workspace.subdomain, "TKT-000002")
    nothing_carried_over(admin)
    admin.reload()
    expect(admin.locator("#ticket-ref")).to_have_text("TKT-000002")
    nothing_carried_over(admin)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000002"))
    expect(admin.locator("#ticket-ref")).to_have_text("TKT-000002")
    nothing_carried_over(admin)
