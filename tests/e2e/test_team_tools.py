"""Team tools in the browser: internal notes (live for the team, never on the customer's socket),
saved replies in the composer, and presence between two team members."""

import time

from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import sign_in
from tests.e2e.test_live_updates import record_socket_frames
from tests.e2e.test_ticket_portal import create_ticket, open_as, reply

NOTE = "Refund approved by finance, wait for the paperwork"


def mention_email(smtp_server, recipient: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in smtp_server.inbox.messages:
            if recipient in received.rcpt_tos and "mentioned you in an internal note" in received.text():
                return received
        time.sleep(0.2)
    raise AssertionError(f"no mention email to {recipient} arrived")


def write_note(page: Page, text: str) -> None:
    page.get_by_role("radio", name="Internal note").click()
    expect(page.get_by_role("button", name="Add Internal Note")).to_be_visible()
    page.locator("#reply-body").fill(text)
    page.get_by_role("button", name="Add Internal Note").click()


def test_a_staff_note_appears_live_for_the_admin_and_never_for_the_customer(
    browser: Browser, app, workspace, smtp_server
):
    customer_page = browser.new_context().new_page()
    frames = record_socket_frames(customer_page)
    sign_in(customer_page, app.base_url, workspace.customer, workspace.password, subdomain=workspace.subdomain)
    create_ticket(customer_page, "Charged twice", "Sales", "High", "My card was charged twice this month.")
    expect(customer_page.locator("#ticket-ref")).to_have_text("TKT-000001")
    ticket = app.url(f"/{workspace.subdomain}/tickets/TKT-000001")

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(ticket)
    expect(admin.get_by_role("heading", name="Charged twice")).to_be_visible()
    staff = open_as(browser, app, workspace, workspace.sales_staff)
    staff.goto(ticket)
    expect(staff.get_by_role("heading", name="Charged twice")).to_be_visible()

    write_note(staff, f"{NOTE} @Alice")
    note = admin.locator(".message-note")
    expect(note).to_contain_text(NOTE)  # live, no reload
    expect(note).to_contain_text("Internal note")
    expect(admin.locator("#live-notice")).to_contain_text("New internal note from Sam Sales")
    expect(staff.locator("#note-notice")).to_contain_text("Emailed Alice Admin about your note.")
    assert NOTE in mention_email(smtp_server, workspace.admin).text()
    # A note changes no status: still waiting on the team.
    expect(admin.get_by_text("Waiting on team")).to_be_visible()

    # A reply after the note reaches the customer, so their screen was live all along.
    reply(admin, "We are checking the double charge now.")
    expect(customer_page.locator(".message-body").last).to_have_text("We are checking the double charge now.")
    expect(customer_page.locator(".message-note")).to_have_count(0)
    expect(customer_page.get_by_text(NOTE)).to_have_count(0)
    customer_page.reload()
    expect(customer_page.locator(".message-body")).to_have_count(2)
    received = "\n".join(frames)
    assert frames and "double charge" in received  # the recording works
    assert NOTE not in received and "Internal note" not in received and "Refund" not in received


def test_presence_appears_and_goes_away_between_two_team_members(browser: Browser, app, workspace):
    customer_page = browser.new_context().new_page()
    frames = record_socket_frames(customer_page)
    sign_in(customer_page, app.base_url, workspace.customer, workspace.password, subdomain=workspace.subdomain)
    create_ticket(customer_page, "Where is my order", "Sales", "Medium", "Order 1234 has not arrived yet.")
    expect(customer_page.locator("#ticket-ref")).to_have_text("TKT-000001")
    ticket = app.url(f"/{workspace.subdomain}/tickets/TKT-000001")

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(ticket)
    expect(admin.get_by_role("heading", name="Where is my order")).to_be_visible()
    staff_context = browser.new_context()
    staff = staff_context.new_page()
    sign_in(staff, app.base_url, workspace.sales_staff, workspace.password, subdomain=workspace.subdomain)
    staff.goto(ticket)
    expect(staff.get_by_role("heading", name="Where is my order")).to_be_visible()

    presence = admin.locator("#presence")
    expect(presence).to_have_text("Sam Sales is also viewing this ticket.", timeout=10_000)
    expect(staff.locator("#presence")).to_have_text("Alice Admin is also viewing this ticket.", timeout=10_000)
    staff.locator("#reply-body").press_sequentially("Checking the carrier", delay=20)
    expect(presence).to_have_text("Sam Sales is typing a reply…", timeout=10_000)
    expect(presence).to_have_text("Sam Sales is also viewing this ticket.", timeout=15_000)  # paused typing

    staff_context.close()  # the tab is gone
    expect(presence).to_have_text("", timeout=10_000)
    expect(customer_page.locator("#presence")).to_have_text("")
    received = "\n".join(frames)
    assert "Sam Sales" not in received and "viewing this ticket" not in received and "typing a reply" not in received


def test_a_saved_reply_is_inserted_with_its_placeholders_filled_in(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Password help", "Sales", "Low", "I cannot sign in any more.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/saved-replies"))
    expect(admin.get_by_role("heading", name="Saved replies")).to_be_visible()
    admin.get_by_label("Title").fill("Password reset")
    admin.get_by_label("Text").fill("Hello {customer_name}, about {ticket_id}: use Forgot password. {agent_name}")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator("#saved-replies-notice")).to_contain_text("Password reset is saved.")
    expect(admin.locator("#saved-replies")).to_contain_text("Shared with the team")

    staff = open_as(browser, app, workspace, workspace.sales_staff)
    staff.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    staff.get_by_role("button", name="Insert saved reply").click()
    staff.get_by_label("Search saved replies").press_sequentially("passw", delay=30)
    staff.get_by_role("button", name="Insert Password reset").click()
    expected = "Hello Cleo Customer, about TKT-000001: use Forgot password. Sam Sales"
    expect(staff.locator("#reply-body")).to_have_value(expected)
    staff.get_by_role("button", name="Send Reply").click()
    expect(customer.locator(".message-body").last).to_have_text(expected)
