"""The team's list in the browser: search over every message, unread tickets, tab titles."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import sign_in
from xobito_web.db import write_session
from xobito_web.services import auth, tickets


def open_as(browser: Browser, app, workspace, email: str) -> Page:
    page = browser.new_context().new_page()
    sign_in(page, app.base_url, email, workspace.password, subdomain=workspace.subdomain)
    return page


def act_as(app, workspace, email: str):
    _token, user = auth.sign_in(workspace.subdomain, email, workspace.password, database_url=app.database_url)
    return user


def department_id(app, user, name: str) -> int:
    from xobito_web.db import read_session
    from xobito_web.services import workspaces

    with read_session(app.database_url) as session:
        return next(d.id for d in workspaces.list_departments(session, user.workspace_id) if d.name == name)


def test_staff_find_a_ticket_by_a_word_only_in_a_reply(browser: Browser, app, workspace):
    customer = act_as(app, workspace, workspace.customer)
    admin = act_as(app, workspace, workspace.admin)
    sales = department_id(app, customer, "Sales")
    with write_session(app.database_url) as session:
        tickets.create_ticket(session, customer, "Printer trouble", sales, "high", "It will not print at all.")
    with write_session(app.database_url) as session:
        tickets.create_ticket(session, customer, "Another question", sales, "low", "Where is my <b>invoice</b>?")
    with write_session(app.database_url) as session:
        tickets.post_reply(session, admin, 1, "Please try the tangerine cartridges we sent.")

    staff = open_as(browser, app, workspace, workspace.sales_staff)
    staff.get_by_label("Search").fill("Tangerine")
    staff.get_by_role("button", name="Search").click()
    rows = staff.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("TKT-000001")
    expect(rows.first).to_contain_text("Printer trouble")
    expect(rows.first.locator("mark")).to_have_text("tangerine")
    expect(rows.first).to_contain_text("Please try the tangerine cartridges we sent.")
    expect(staff.locator("#ticket-count")).to_have_text("1–1 of 1")

    # markup in a message stays text in the results
    staff.get_by_label("Search").fill("invoices")
    staff.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Where is my <b>invoice</b>?")
    expect(rows.first.locator("mark")).to_have_text("invoice")
    expect(rows.first.locator("b")).to_have_count(0)

    # a search far too long is refused with a message, not an error page
    staff.get_by_label("Search").fill("x" * 100_000)
    staff.get_by_role("button", name="Search").click()
    expect(staff.get_by_role("alert").filter(has_text="at most 200 characters")).to_be_visible()


def test_an_unread_ticket_is_marked_until_opened(browser: Browser, app, workspace):
    customer = act_as(app, workspace, workspace.customer)
    with write_session(app.database_url) as session:
        tickets.create_ticket(
            session, customer, "Cannot export", department_id(app, customer, "Sales"), "medium", "Export is broken."
        )

    admin = open_as(browser, app, workspace, workspace.admin)
    row = admin.locator("table tbody tr").first
    expect(row).to_have_attribute("data-unread", "true")
    expect(row).to_contain_text("Unread:")
    expect(row).to_contain_text("Cleo Customer")  # the team's Customer column
    expect(admin).to_have_title(re.compile(r"^\(1\) Tickets · Workspace "))

    row.get_by_role("link", name="TKT-000001").click()
    expect(admin.get_by_role("heading", name="Cannot export")).to_be_visible()
    expect(admin).to_have_title(re.compile(r"^TKT-000001 · Cannot export · Workspace "))

    admin.get_by_role("link", name="← All tickets").click()
    row = admin.locator("table tbody tr").first
    expect(row).to_have_attribute("data-unread", "false")
    expect(row).not_to_contain_text("Unread:")
    expect(admin).to_have_title(re.compile(r"^Tickets · Workspace "))

    # the customer, who wrote it, never saw it as unread; a reply from the team is news to them
    cleo = open_as(browser, app, workspace, workspace.customer)
    expect(cleo.locator("table tbody tr").first).to_have_attribute("data-unread", "false")
    with write_session(app.database_url) as session:
        tickets.post_reply(session, act_as(app, workspace, workspace.admin), 1, "Fixed, please try again.")
    cleo.reload()
    expect(cleo.locator("table tbody tr").first).to_have_attribute("data-unread", "true")
    expect(cleo).to_have_title(re.compile(r"^\(1\) Tickets · Workspace "))
