"""Live updates on the embedded default: two (or three) people, separate browsers, no reloads."""

from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_ticket_portal import create_ticket, first_row, open_as, reply


def record_socket_frames(page: Page) -> list[str]:
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def test_admin_reply_reaches_the_customer_without_reload_and_keeps_their_typing(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Live printer trouble", "Support", "High", "The printer prints only blank pages.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.get_by_label("Message").fill("I am still typing this rep")
    # A marker on the window proves the page is never reloaded.
    customer.evaluate("window.__noReload = true")

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(admin.get_by_role("heading", name="Live printer trouble")).to_be_visible()
    reply(admin, "Please check the toner, it may be empty.")

    expect(customer.locator(".message-body").last).to_have_text("Please check the toner, it may be empty.")
    expect(customer.get_by_text("Answered", exact=True)).to_be_visible()
    expect(customer.locator("#live-notice")).to_contain_text("New reply from Alice Admin")
    expect(customer.get_by_label("Message")).to_have_value("I am still typing this rep")
    assert customer.evaluate("window.__noReload") is True


def test_list_shows_new_tickets_and_replies_without_reload(browser: Browser, app, workspace):
    admin = open_as(browser, app, workspace, workspace.admin)
    admin.evaluate("window.__noReload = true")
    expect(admin.locator("#empty-state")).to_be_visible()

    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "First live ticket", "Sales", "Low", "Please call me back.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(first_row(admin)).to_contain_text("First live ticket")

    customer.get_by_role("link", name="← All tickets").click()
    create_ticket(customer, "Second live ticket", "Billing", "Urgent", "Wrong amount on the invoice.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000002")
    expect(first_row(admin)).to_contain_text("Second live ticket")

    # A reply to the older ticket moves it back to the top, with its new status.
    customer.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    reply(customer, "Any news on this one?")
    expect(first_row(admin)).to_contain_text("First live ticket")
    expect(first_row(admin)).to_contain_text("Waiting on team")
    assert admin.evaluate("window.__noReload") is True


def test_admin_closes_and_the_customer_composer_is_replaced_keeping_the_text(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Close me live", "Support", "Medium", "This can be closed soon.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.get_by_label("Message").fill("Half-written thoughts")

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    admin.get_by_role("button", name="Close Ticket").click()
    admin.get_by_role("alertdialog").get_by_role("button", name="Close Ticket").click()
    expect(admin.locator("#closed-notice")).to_be_visible()

    expect(customer.locator("#closed-notice")).to_be_visible()
    expect(customer.get_by_role("button", name="Send Reply")).to_have_count(0)
    expect(customer.get_by_label("Your unsent text")).to_have_value("Half-written thoughts")
    expect(customer.locator("#live-notice")).to_contain_text("This ticket was just closed.")


def test_an_unrelated_customer_receives_nothing_about_the_ticket(browser: Browser, app, workspace):
    bystander_context = browser.new_context()
    bystander = bystander_context.new_page()
    frames = record_socket_frames(bystander)
    from tests.e2e.helpers import sign_in

    sign_in(bystander, app.base_url, workspace.other_customer, workspace.password, subdomain=workspace.subdomain)
    expect(bystander.locator("#empty-state")).to_be_visible()

    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Secret merger plans", "Sales", "High", "Confidential: we are buying Initech.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    admin = open_as(browser, app, workspace, workspace.admin)
    expect(first_row(admin)).to_contain_text("Secret merger plans")  # the change has been broadcast
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    reply(admin, "Noted, keeping it quiet.")
    expect(customer.locator(".message-body").last).to_have_text("Noted, keeping it quiet.")

    expect(bystander.locator("#empty-state")).to_be_visible()
    received = "\n".join(frames)
    assert frames, "the bystander's socket should have been recorded"
    for secret in ("Secret merger plans", "Initech", "keeping it quiet", "TKT-000001"):
        assert secret not in received


def test_after_a_dropped_connection_the_thread_catches_up(browser: Browser, app, workspace):
    customer_context = browser.new_context()
    customer = customer_context.new_page()
    from tests.e2e.helpers import sign_in

    sign_in(customer, app.base_url, workspace.customer, workspace.password, subdomain=workspace.subdomain)
    create_ticket(customer, "Flaky train wifi", "Support", "Low", "Writing from a train.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.get_by_label("Message").fill("Draft written in a tunnel")

    customer_context.set_offline(True)
    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    reply(admin, "Answered while you were offline.")
    expect(admin.locator(".message-body").last).to_have_text("Answered while you were offline.")

    customer_context.set_offline(False)
    expect(customer.locator(".message-body").last).to_have_text("Answered while you were offline.", timeout=20_000)
    expect(customer.get_by_label("Message")).to_have_value("Draft written in a tunnel")
