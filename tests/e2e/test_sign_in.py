import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import fill_sign_in_form, sign_in
from xobito_web.seed import DEMO_PASSWORD


def test_demo_customer_signs_in_and_lands_on_the_tickets_page(page: Page, app):
    sign_in(page, app.base_url, "carol@customer.example.com")
    expect(page).to_have_url(app.url("/acme/tickets"))
    expect(page.get_by_text("Carol Customer")).to_be_visible()
    expect(page.get_by_text("Acme Inc.")).to_be_visible()


def test_wrong_password_shows_one_generic_error_and_stays(page: Page, app):
    page.goto(app.url("/acme/login"))
    fill_sign_in_form(page, "carol@customer.example.com", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    expect(page).to_have_url(app.url("/acme/login"))
    fill_sign_in_form(page, "nobody@customer.example.com", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")


def test_malformed_email_gets_a_clear_message(page: Page, app):
    page.goto(app.url("/acme/login"))
    # The browser's own type=email check is switched off on purpose: the server must refuse too.
    page.locator("form").evaluate("form => { form.noValidate = true; }")
    fill_sign_in_form(page, "<script>alert(1)</script>", DEMO_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("That email address is not valid")
    expect(page).to_have_url(app.url("/acme/login"))


def test_unknown_workspace_shows_the_404_page(page: Page, app):
    page.goto(app.url("/nope/login"))
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    page.goto(app.url("/nope/tickets"))
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_signed_out_visit_goes_to_login_and_back(page: Page, app):
    page.goto(app.url("/acme/tickets?status=closed"))
    expect(page).to_have_url(re.compile(r"/acme/login\?next="))
    fill_sign_in_form(page, "admin@acme.example.com", DEMO_PASSWORD)
    expect(page).to_have_url(app.url("/acme/tickets?status=closed"))
    expect(page.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()


def test_sign_out_ends_the_session(page: Page, app):
    sign_in(page, app.base_url, "dave@customer.example.com")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(app.url("/acme/login"))
    page.goto(app.url("/acme/tickets"))
    expect(page).to_have_url(re.compile(r"/acme/login\?next="))
