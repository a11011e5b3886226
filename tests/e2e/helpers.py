"""What a person does over and over in the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from xobito_web.seed import DEMO_PASSWORD


def sign_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD, subdomain: str = "acme") -> None:
    page.goto(f"{base_url}/{subdomain}/login")
    fill_sign_in_form(page, email, password)
    # The first sign-in on a freshly started worker waits for its hashing thread and first page:
    # on a loaded 2-core machine that has taken more than the default 5 s.
    try:
        expect(page.get_by_role("heading", name="Tickets", exact=True)).to_be_visible(timeout=20_000)
    except AssertionError as error:
        raise AssertionError(f"{error}\nThe page's address: {page.url}") from None


def fill_sign_in_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
