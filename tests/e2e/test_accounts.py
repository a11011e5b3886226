"""Accounts and administration as real people use them, with the emails read from the test's own
SMTP server: invitations, a forgotten password, sign-up, deactivation, live admin screens, and
every new screen on a 390 px phone and with the keyboard."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import fill_sign_in_form, sign_in
from tests.e2e.test_ticket_portal import open_as
from xobito_web.db import write_session
from xobito_web.services import auth, tickets, workspaces

OWN_PASSWORD = "my very own passphrase"


def wait_for_email(smtp_server, recipient: str, subject_part: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in smtp_server.inbox.messages:
            if recipient in received.rcpt_tos and subject_part in received.subject:
                return received
        time.sleep(0.2)
    seen = [(r.rcpt_tos, r.subject) for r in smtp_server.inbox.messages]
    raise AssertionError(f"no email {subject_part!r} to {recipient} arrived; got {seen}")


def link_in(received, page_name: str) -> str:
    found = re.search(rf"http\S+/{page_name}#token=[A-Za-z0-9_-]+", received.text())
    assert found, received.text()
    return found.group(0)


def open_tickets(app, workspace, *tickets_wanted: tuple[str, str]) -> None:
    """Tickets opened by the workspace's customer, straight through the services (set-up only)."""
    _token, customer = auth.sign_in(
        workspace.subdomain, workspace.customer, workspace.password, database_url=app.database_url
    )
    with write_session(app.database_url) as session:
        for department, subject in tickets_wanted:
            found = workspaces.find_department(session, customer.workspace_id, department)
            assert found is not None
            tickets.create_ticket(session, customer, subject, found.id, "medium", "Please have a look.")


def add_admin(app, workspace, email: str, name: str) -> None:
    with write_session(app.database_url) as session:
        found = workspaces.get_workspace(session, workspace.subdomain)
        workspaces.create_user(session, found, email, name, "admin", workspace.password)


def person_card(page: Page, email: str):
    return page.locator(".person").filter(has_text=email)


def no_sideways_scrolling(page: Page) -> None:
    """Nothing of the page's own content reaches past the screen's right edge. (The header that
    every signed-in page shares is the layout's own, made responsive there.)"""
    assert page.viewport_size is not None
    too_wide = page.evaluate(
        """width => [...document.querySelectorAll(document.querySelector('main') ? 'main *' : 'body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)""",
        page.viewport_size["width"],
    )
    assert too_wide == [], f"{page.url}: {too_wide[:5]}"


def test_an_admin_invites_a_staff_member_who_sets_a_password_and_sees_their_departments_tickets(
    browser: Browser, app, workspace, smtp_server
):
    open_tickets(app, workspace, ("Support", "Router blinks red"), ("Sales", "Quote for ten seats"))
    address = f"hank.{workspace.subdomain}@team.example.com"
    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/admin/people"))
    admin.get_by_role("button", name="Invite").click()
    dialog = admin.get_by_role("dialog")
    dialog.get_by_label("Email").fill(address)
    dialog.get_by_label("Name").fill("Hank Helper")
    dialog.get_by_role("checkbox", name="Support").click()
    dialog.get_by_role("button", name="Send invitation").click()
    expect(admin.locator("#people-notice")).to_contain_text(f"An invitation is on its way to {address}")
    expect(person_card(admin, address)).to_contain_text("Invited")
    expect(person_card(admin, address)).to_contain_text("Support")
    admin.evaluate("window.__noReload = true")

    email = wait_for_email(smtp_server, address, "Alice Admin invited you")
    hank = browser.new_context().new_page()
    hank.goto(link_in(email, "set-password"))
    expect(hank.get_by_role("heading", name="Set password")).to_be_visible()
    expect(hank.locator("#link-person")).to_contain_text(address)
    hank.get_by_label("Password").fill(OWN_PASSWORD)
    hank.get_by_role("button", name="Set password").click()
    expect(hank.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    expect(hank.get_by_text("Hank Helper")).to_be_visible()
    expect(hank.locator("table")).to_contain_text("Router blinks red")
    expect(hank.locator("table")).not_to_contain_text("Quote for ten seats")

    # The admin's open screen shows Hank as active, without a reload.
    expect(person_card(admin, address)).to_contain_text("Active")
    assert admin.evaluate("window.__noReload") is True

    # Later, Hank signs in with that password like everyone else.
    again = browser.new_context().new_page()
    sign_in(again, app.base_url, address, OWN_PASSWORD, subdomain=workspace.subdomain)
    expect(again.locator("table")).to_contain_text("Router blinks red")
    expect(again.locator("table tbody tr")).to_have_count(1)


def test_a_customer_resets_a_forgotten_password_from_the_email(browser: Browser, app, workspace, smtp_server):
    page = browser.new_context().new_page()
    page.goto(app.url(f"/{workspace.subdomain}/login"))
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot password?")).to_be_visible()
    page.get_by_label("Email").fill(workspace.customer)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#sent-message")).to_contain_text("If an account with that address exists")

    email = wait_for_email(smtp_server, workspace.customer, "Reset your password")
    link = link_in(email, "reset-password")
    page.goto(link)
    expect(page.get_by_role("heading", name="New password")).to_be_visible()
    page.get_by_label("New password").fill("short")
    page.locator("form").evaluate("form => { form.noValidate = true; }")  # the server must refuse too
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#new-password-error")).to_have_text("The password must be at least 8 characters.")
    page.get_by_label("New password").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    expect(page.get_by_text("Cleo Customer")).to_be_visible()

    used = browser.new_context().new_page()
    used.goto(link)
    expect(used.locator("#link-problem")).to_contain_text("already been used")
    expect(used.get_by_label("New password")).to_have_count(0)
    used.goto(app.url(f"/{workspace.subdomain}/login"))
    fill_sign_in_form(used, workspace.customer, workspace.password)
    expect(used.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    fill_sign_in_form(used, workspace.customer, OWN_PASSWORD)
    expect(used.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()


def test_an_unknown_address_gets_the_same_answer_and_no_email(browser: Browser, app, workspace, smtp_server):
    page = browser.new_context().new_page()
    page.goto(app.url(f"/{workspace.subdomain}/forgot-password"))
    address = f"nobody.{workspace.subdomain}@customer.example.com"
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#sent-message")).to_contain_text("If an account with that address exists")
    time.sleep(3)  # longer than the mail worker's poll
    assert not [m for m in smtp_server.inbox.messages if address in m.rcpt_tos]


def test_a_deactivated_persons_open_tab_is_signed_out(browser: Browser, app, workspace):
    staff = open_as(browser, app, workspace, workspace.sales_staff)
    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/admin/people"))
    admin.get_by_role("button", name="Deactivate Sam Sales").click()
    confirm = admin.get_by_role("alertdialog")
    expect(confirm).to_contain_text("They are signed out at once")
    confirm.get_by_role("button", name="Deactivate").click()
    expect(person_card(admin, workspace.sales_staff)).to_contain_text("Deactivated")

    expect(staff).to_have_url(re.compile(rf"/{workspace.subdomain}/login"))
    fill_sign_in_form(staff, workspace.sales_staff, workspace.password)
    expect(staff.get_by_role("alert")).to_have_text(
        "This account has been deactivated. Ask an admin of the workspace to reactivate it."
    )

    admin.get_by_role("button", name="Reactivate Sam Sales").click()
    expect(person_card(admin, workspace.sales_staff)).to_contain_text("Active")
    fill_sign_in_form(staff, workspace.sales_staff, workspace.password)
    expect(staff.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()


def test_a_department_added_by_one_admin_appears_on_another_admins_open_screen(browser: Browser, app, workspace):
    add_admin(app, workspace, "ada@team.example.com", "Ada Second")
    first = open_as(browser, app, workspace, workspace.admin)
    second = open_as(browser, app, workspace, "ada@team.example.com")
    for page in (first, second):
        page.goto(app.url(f"/{workspace.subdomain}/admin/departments"))
        expect(page.locator("#departments")).to_contain_text("Billing")
    second.evaluate("window.__noReload = true")

    first.get_by_label("Department name").fill("Legal")
    first.get_by_role("button", name="Add department").click()
    expect(first.locator("#departments-notice")).to_contain_text("Legal is added.")
    expect(second.locator("#departments .department-name")).to_have_text(["Billing", "Legal", "Sales", "Support"])

    first.get_by_label("Department name").fill("legal")
    first.get_by_role("button", name="Add department").click()
    expect(first.locator("#new-department-error")).to_have_text("There is already a department named 'Legal'.")

    second.get_by_role("button", name="Archive Billing").click()
    second.get_by_role("alertdialog").get_by_role("button", name="Archive").click()
    expect(first.locator(".department").filter(has_text="Billing")).to_contain_text("Archived")
    assert second.evaluate("window.__noReload") is True


def test_a_customer_signs_up_when_the_workspace_allows_it(browser: Browser, app, workspace, smtp_server):
    page = browser.new_context().new_page()
    page.goto(app.url(f"/{workspace.subdomain}/login"))
    expect(page.get_by_role("link", name="Forgot password?")).to_be_visible()
    expect(page.get_by_role("link", name="Sign up")).to_have_count(0)  # off by default

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/admin/people"))
    admin.get_by_role("switch").click()
    expect(admin.locator("#people-notice")).to_contain_text("Customers can now sign up themselves.")

    page.reload()
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    page.locator("form").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#name-error")).to_have_text("Name is required.")
    expect(page.locator("#email-error")).to_have_text("Enter your email address.")
    address = f"nina.{workspace.subdomain}@customer.example.com"
    page.get_by_label("Name").fill("Nina New")
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#sent-message")).to_contain_text("Check your email")

    email = wait_for_email(smtp_server, address, "Confirm your email address")
    page.goto(link_in(email, "verify-email"))
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    page.get_by_label("Password").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    expect(page.get_by_text("Nina New")).to_be_visible()


def test_the_profile_changes_the_password_and_email_choices_with_the_keyboard(browser: Browser, app, workspace):
    page = open_as(browser, app, workspace, workspace.other_customer)
    page.goto(app.url(f"/{workspace.subdomain}/profile"))
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Manage API tokens")).to_have_attribute(
        "href", f"/{workspace.subdomain}/profile/tokens"
    )

    page.get_by_label("Current password").focus()
    page.keyboard.type("not my password")
    page.keyboard.press("Tab")
    page.keyboard.type(OWN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#current-password-error")).to_have_text("The current password is not correct.")
    page.get_by_label("Current password").fill(workspace.password)
    page.get_by_label("New password").fill(OWN_PASSWORD)
    page.get_by_label("New password").press("Enter")
    expect(page.locator("#password-notice")).to_contain_text("Your password is changed.")

    replies = page.get_by_role("checkbox", name="Replies on my tickets")
    expect(replies).to_be_checked()
    replies.focus()
    page.keyboard.press("Space")
    expect(page.locator("#emails-notice")).to_contain_text("Your email choices are saved.")
    page.reload()
    expect(page.get_by_role("checkbox", name="Replies on my tickets")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Status changes of my tickets")).to_be_checked()

    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page).to_have_url(re.compile(rf"/{workspace.subdomain}/login"))


@pytest.mark.parametrize(
    "who, path",
    [
        ("", "login"),
        ("", "forgot-password"),
        ("", "sign-up"),
        ("", "reset-password#token=not-a-real-one"),
        ("customer", "profile"),
        ("admin", "admin/people"),
        ("admin", "admin/departments"),
    ],
)
def test_every_new_screen_fits_a_390_px_phone(browser: Browser, app, workspace, who, path):
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    if who:
        sign_in(page, app.base_url, getattr(workspace, who), workspace.password, subdomain=workspace.subdomain)
    page.goto(app.url(f"/{workspace.subdomain}/{path}"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if path.startswith("reset-password"):
        expect(page.locator("#link-problem")).to_contain_text("This link is not valid.")
    if path == "admin/people":
        expect(page.locator(".person").first).to_be_visible()
        no_sideways_scrolling(page)
        page.get_by_role("button", name="Invite").click()
        expect(page.get_by_role("dialog").get_by_label("Email")).to_be_visible()
    no_sideways_scrolling(page)


def test_staff_see_no_admin_screens(browser: Browser, app, workspace):
    page = open_as(browser, app, workspace, workspace.sales_staff)
    for path in ("admin/people", "admin/departments"):
        page.goto(app.url(f"/{workspace.subdomain}/{path}"))
        expect(page.locator("#admins-only")).to_have_text("This page is for admins of the workspace.")
        expect(page.get_by_role("button", name="Invite")).to_have_count(0)
