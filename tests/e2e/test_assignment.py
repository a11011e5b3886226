"""Assignment from the ticket view, and the email it sends through a real SMTP server."""

import time

from playwright.sync_api import Browser, expect

from tests.e2e.test_ticket_portal import create_ticket, first_row, open_as


def wait_for_email(smtp_server, recipient: str, subject: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in smtp_server.inbox.messages:
            if recipient in received.rcpt_tos and received.subject == subject:
                return received
        time.sleep(0.2)
    seen = [(r.rcpt_tos, r.subject) for r in smtp_server.inbox.messages]
    raise AssertionError(f"no email {subject!r} to {recipient} arrived; got {seen}")


def test_admin_assigns_a_ticket_to_a_staff_member_who_receives_the_email(browser: Browser, app, workspace, smtp_server):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Quote for the enterprise plan", "Sales", "High", "We need 200 seats by January.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(admin.get_by_text("Unassigned", exact=True).first).to_be_visible()
    admin.get_by_role("combobox", name="Assignee").select_option(label="Sam Sales (staff)")
    admin.get_by_role("button", name="Assign").click()
    expect(admin.locator("#ticket-header")).to_contain_text("Sam Sales")

    email = wait_for_email(smtp_server, workspace.sales_staff, "[TKT-000001] Quote for the enterprise plan")
    assert f"/{workspace.subdomain}/tickets/TKT-000001" in email.text()
    # The customer is never told who is assigned. A count of 0 holds on a page that is still
    # loading, so first wait for the reloaded ticket to be on screen.
    customer.reload()
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(customer.locator("#ticket-header")).to_contain_text("Sales")
    expect(customer.locator(".message-body")).to_have_text(["We need 200 seats by January."])
    expect(customer.locator("#ticket-header")).not_to_contain_text("Assignee")
    expect(customer.get_by_text("Sam Sales")).to_have_count(0)

    # The staff member finds it under "Assigned to me".
    staff = open_as(browser, app, workspace, workspace.sales_staff)
    staff.get_by_role("checkbox", name="Assigned to me").click()
    expect(first_row(staff)).to_contain_text("Quote for the enterprise plan")


def test_staff_take_a_ticket_of_their_department(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Volume discount", "Sales", "Low", "Is there a discount for 50 seats?")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")

    staff = open_as(browser, app, workspace, workspace.sales_staff)
    staff.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    staff.get_by_role("button", name="Take ticket").click()
    expect(staff.locator("#ticket-header")).to_contain_text("Sam Sales")
    expect(staff.get_by_role("button", name="Take ticket")).to_have_count(0)
