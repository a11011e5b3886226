"""The ticket portal as real people use it: create, answer, reply, close, filter, 404."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import sign_in


def open_as(browser: Browser, app, workspace, email: str) -> Page:
    page = browser.new_context().new_page()
    sign_in(page, app.base_url, email, workspace.password, subdomain=workspace.subdomain)
    return page


def create_ticket(page: Page, subject: str, department: str, priority: str, message: str) -> None:
    page.get_by_role("link", name="New Ticket").first.click()
    expect(page.get_by_role("heading", name="New Ticket")).to_be_visible()
    page.get_by_label("Subject").fill(subject)
    page.get_by_role("combobox", name="Department").select_option(label=department)
    page.get_by_role("combobox", name="Priority").select_option(label=priority)
    page.get_by_label("Message").fill(message)
    page.get_by_role("button", name="Create Ticket").click()


def reply(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send Reply").click()


def first_row(page: Page):
    return page.locator("table tbody tr").first


def test_ticket_lifecycle_between_customer_and_admin(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Printer on fire", "Support", "Urgent", "It is\nreally <b>on fire</b>.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(customer.get_by_role("heading", name="Printer on fire")).to_be_visible()
    # Line breaks kept, markup shown as typed, never interpreted.
    expect(customer.locator(".message-body").first).to_have_text("It is\nreally <b>on fire</b>.")
    expect(customer.locator(".message-body b")).to_have_count(0)

    customer.get_by_role("link", name="← All tickets").click()
    row = first_row(customer)
    expect(row).to_contain_text("TKT-000001")
    expect(row).to_contain_text("Printer on fire")
    expect(row).to_contain_text("Open")
    expect(row).to_contain_text("Urgent")
    expect(row).to_contain_text("Waiting on team")

    admin = open_as(browser, app, workspace, workspace.admin)
    first_row(admin).get_by_role("link", name="TKT-000001").click()
    expect(admin).to_have_url(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(admin.get_by_role("heading", name="Printer on fire")).to_be_visible()
    reply(admin, "We are sending the fire brigade.")
    expect(admin.get_by_role("heading", name="Printer on fire")).to_be_visible()
    expect(admin.locator(".message-body").last).to_have_text("We are sending the fire brigade.")
    expect(admin.get_by_text("Answered", exact=True)).to_be_visible()
    expect(admin.get_by_label("Message")).to_have_value("")

    customer.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(customer.get_by_text("Answered", exact=True)).to_be_visible()
    reply(customer, "Thank you, hurry!")
    expect(customer.locator(".message-body").last).to_have_text("Thank you, hurry!")
    expect(customer.locator(".message-body")).to_have_count(3)
    expect(customer.get_by_text("Answered", exact=True)).to_be_visible()

    customer.get_by_role("button", name="Close Ticket").click()
    customer.get_by_role("alertdialog").get_by_role("button", name="Close Ticket").click()
    expect(customer.get_by_text("Closed", exact=True)).to_be_visible()
    expect(customer.get_by_role("button", name="Send Reply")).to_have_count(0)
    expect(customer.get_by_role("button", name="Close Ticket")).to_have_count(0)
    expect(customer.locator("#closed-notice")).to_be_visible()

    # The default filter (Open + Answered) hides the closed ticket; choosing Closed shows it.
    customer.get_by_role("link", name="← All tickets").click()
    expect(customer.locator("#empty-state")).to_be_visible()
    customer.get_by_role("checkbox").nth(2).click()  # Status: Closed
    expect(customer).to_have_url(re.compile(r"status=open%2Canswered%2Cclosed|status=open,answered,closed"))
    expect(first_row(customer)).to_contain_text("Closed")
    # The filtered view survives a reload (it lives in the URL).
    customer.reload()
    expect(first_row(customer)).to_contain_text("TKT-000001")


def test_another_customer_gets_404_on_someone_elses_ticket(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "My private invoice", "Billing", "Low", "Here are my private details.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")

    intruder = open_as(browser, app, workspace, workspace.other_customer)
    intruder.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(intruder.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(intruder.get_by_text("My private invoice")).to_have_count(0)
    intruder.goto(app.url(f"/{workspace.subdomain}/tickets"))
    expect(intruder.locator("#empty-state")).to_be_visible()


def test_too_short_reply_shows_error_and_posts_nothing(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Short replies", "Sales", "Medium", "Testing the length limits.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    reply(customer, "abcd")
    expect(customer.get_by_role("alert")).to_have_text("The message must be at least 5 characters.")
    expect(customer.locator(".message-body")).to_have_count(1)
    customer.reload()
    expect(customer.locator(".message-body")).to_have_count(1)


def test_create_form_refuses_bad_input_and_keeps_what_was_typed(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Hi", "Sales", "Low", "Long enough message.")
    expect(customer.get_by_role("alert")).to_have_text("The subject must be at least 3 characters.")
    expect(customer.get_by_label("Message")).to_have_value("Long enough message.")
    customer.goto(app.url(f"/{workspace.subdomain}/tickets"))
    expect(customer.locator("#empty-state")).to_be_visible()


def test_search_jumps_to_a_pasted_ticket_id_and_filters_by_subject(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Refund for order 77", "Billing", "High", "Please refund order 77.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.get_by_role("link", name="← All tickets").click()
    create_ticket(customer, "Login trouble", "Support", "Low", "I cannot sign in anymore.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000002")
    customer.get_by_role("link", name="← All tickets").click()

    customer.get_by_label("Search").fill("refund")
    customer.get_by_role("button", name="Search").click()
    expect(customer.locator("table tbody tr")).to_have_count(1)
    expect(first_row(customer)).to_contain_text("Refund for order 77")

    customer.get_by_label("Search").fill("tkt-000002")
    customer.get_by_role("button", name="Search").click()
    expect(customer).to_have_url(app.url(f"/{workspace.subdomain}/tickets/TKT-000002"))
    expect(customer.get_by_role("heading", name="Login trouble")).to_be_visible()


def test_a_double_click_on_send_reply_posts_one_reply(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Double click", "Support", "Low", "Testing double submits.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.get_by_label("Message").fill("Only once, please.")
    customer.get_by_role("button", name="Send Reply").dblclick()
    expect(customer.locator(".message-body").last).to_have_text("Only once, please.")
    # Submitting the same composed message again (a re-sent event) posts nothing either.
    customer.locator("form").last.evaluate("form => { form.requestSubmit(); form.requestSubmit(); }")
    customer.wait_for_timeout(1000)
    customer.reload()
    expect(customer.locator(".message-body")).to_have_count(2)


def test_sending_right_after_typing_empties_the_composer_for_good(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Fast typist", "Support", "Low", "I type and send at once.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    box = customer.get_by_label("Message")
    box.fill("Typed and sent in one go.")
    customer.locator("form").last.evaluate("form => form.requestSubmit()")  # before typing settles
    expect(customer.locator(".message-body").last).to_have_text("Typed and sent in one go.")
    customer.wait_for_timeout(1500)  # past the typing debounce
    expect(box).to_have_value("")


def test_opening_a_ticket_from_the_list_and_going_back_loads_no_new_page(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Printer jams", "Support", "Low", "It jams on page two.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.get_by_role("link", name="← All tickets").click()
    expect(first_row(customer)).to_contain_text("Printer jams")
    customer.evaluate("window.stillThisPage = true")  # gone if the browser loads a new document

    first_row(customer).locator(".ticket-ref").click()  # by its ID
    expect(customer.get_by_role("heading", name="Printer jams")).to_be_visible()
    customer.get_by_role("link", name="← All tickets").click()
    expect(first_row(customer)).to_contain_text("Printer jams")
    first_row(customer).get_by_role("link", name="Printer jams").click()  # by its subject
    expect(customer.get_by_role("heading", name="Printer jams")).to_be_visible()
    expect(customer).to_have_url(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    assert customer.evaluate("window.stillThisPage === true")
