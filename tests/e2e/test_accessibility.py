"""Every screen for everyone: axe-core finds nothing on any page, for each role, on a desktop and a
phone, in light and dark; phones never scroll sideways; the keyboard alone signs in, opens,
replies with a file and closes; a message's markup and `javascript:` stay inert text.

axe-core comes from the npm registry, pinned in .tools/package.json (installed by `make install`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    FilePayload,
    FloatRect,
    Locator,
    Page,
    ViewportSize,
    expect,
)

from tests.e2e.conftest import Workspace, make_workspace
from tests.e2e.helpers import fill_sign_in_form
from xobito_web.migrations import PROJECT_ROOT

AXE_SCRIPT = PROJECT_ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
LONG_WORD = "https://example.com/" + "a-very-long-path-segment" * 12
INERT_REPLY = "Try javascript:alert(1) or <script>alert(2)</script> and see " + LONG_WORD
THREAD_LENGTH = 7  # messages in the long thread
NOTE = "Checked the billing system: the invoices exist."
SEARCH_WORD = "thread"  # in the long thread's replies, not in any subject: a snippet shows


# --------------------------------------------------------------------------- the data


def seed_tickets(database_url: str, workspace: Workspace) -> None:
    """The customer's tickets, written through the services: a long thread (TKT-000001), a
    closed one (TKT-000002), an urgent one (TKT-000003) and one with an internal note (TKT-000004),
    with times days back."""

    from xobito_web.db import write_session
    from xobito_web.models import Department, User
    from xobito_web.services import admin as admin_service
    from xobito_web.services import api_tokens, notes, rate_limits, saved_replies, tickets, workspaces
    from xobito_web.services.auth import current_user_of

    with write_session(database_url) as session, rate_limits.lifted():
        found = workspaces.find_workspace(session, workspace.subdomain)
        assert found is not None
        users = {
            user.email: current_user_of(user, found) for user in session.query(User).filter_by(workspace_id=found.id)
        }
        departments = {d.name: d.id for d in session.query(Department).filter_by(workspace_id=found.id)}
        customer, admin = users[workspace.customer], users[workspace.admin]
        start = datetime.now(UTC) - timedelta(days=3)
        tickets.create_ticket(
            session, customer, "Invoices are missing", departments["Sales"], "high", "Where are my invoices?", now=start
        )
        for position in range(1, THREAD_LENGTH):
            author = admin if position % 2 else customer
            body = INERT_REPLY if position == 2 else f"Message number {position + 1} of the thread."
            tickets.post_reply(session, author, 1, body, now=start + timedelta(hours=position))
        tickets.create_ticket(
            session, customer, "A question answered", departments["Support"], "low", "Can I pay by card?", now=start
        )
        tickets.close_ticket(session, customer, 2)
        tickets.create_ticket(
            session, customer, "Site down", departments["Support"], "urgent", "Nothing loads at all.", now=start
        )
        # The team's own views: a note in a thread of its own (TKT-000004), a saved reply to pick,
        # sign-up open.
        tickets.create_ticket(
            session, customer, "Refund request", departments["Sales"], "medium", "Please refund order 77.", now=start
        )
        notes.post_note(session, admin, 4, NOTE, now=start + timedelta(minutes=30))
        saved_replies.create_saved_reply(session, admin, "Invoice help", "Your invoices are under Billing.", True)
        admin_service.set_customer_signup(session, admin, True)
        # The token tables have rows to look at.
        for owner in (customer, admin, users[workspace.sales_staff]):
            api_tokens.create_token(session, owner, f"Script of {owner.name}", now=start)


@pytest.fixture(scope="module")
def seeded(app) -> Workspace:
    """One workspace for the whole module (the pages only read it, except the keyboard test's
    own ticket)."""
    workspace = make_workspace(app.database_url, "accessibility")
    seed_tickets(app.database_url, workspace)
    return workspace


# --------------------------------------------------------------------------- helpers


def run_axe(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now, one readable line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    # A dialog fading in is half see-through: its colours are judged once it has settled.
    page.wait_for_function(
        "document.getAnimations().every((a) => a.playState !== 'running'"
        " || a.effect?.getComputedTiming().iterations === Infinity)"
    )
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{page.url} [{v['impact']}] {v['id']}: {v['help']} -> "
        + "; ".join(f"{node['target']} {node.get('failureSummary', '')[:160]!r}" for node in v["nodes"][:4])
        for v in violations
    ]


def box_of(locator: Locator) -> FloatRect:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not shown"
    return box


def sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")


def heading(page: Page, name: str):
    return page.get_by_role("heading", name=name, level=1)


def signed_in_context(browser: Browser, app, workspace: Workspace, email: str, **context_args) -> BrowserContext:
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.goto(app.url(f"/{workspace.subdomain}/login"))
    fill_sign_in_form(page, email, workspace.password)
    expect(heading(page, "Tickets")).to_be_visible()
    return context


def choose_files(page: Page, upload_id: str, files: dict[str, bytes]) -> None:
    page.locator(f"#{upload_id} input[type=file]").set_input_files(
        [FilePayload(name=name, mimeType="application/octet-stream", buffer=data) for name, data in files.items()]
    )


# Each role's pages: (path after /{subdomain}, the h1 to wait for, what to do there before axe runs).
def _files_in_composer(page: Page) -> None:
    choose_files(page, "reply-files", {"notes.txt": b"plain notes", "tool.exe": b"MZ"})
    expect(page.locator(".file-error")).to_have_count(1)


def _new_ticket_errors(page: Page) -> None:
    """Every error at once, each tied to its field."""
    page.get_by_role("button", name="Create Ticket").click()
    for field in ("subject", "department", "body"):
        expect(page.locator(f"#{field}-error")).to_be_visible()
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}")).to_have_attribute("aria-describedby", re.compile(f"{field}-error"))


def _close_dialog_open(page: Page) -> None:
    page.get_by_role("button", name="Close Ticket").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()


def _invite_dialog_open(page: Page) -> None:
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("dialog", name="Invite someone")).to_be_visible()


def _deactivate_dialog_open(page: Page) -> None:
    page.get_by_role("button", name="Deactivate").first.click()
    expect(page.get_by_role("alertdialog")).to_be_visible()


def _rows_shown(page: Page) -> None:
    expect(page.locator("tbody tr").first).to_be_visible()


def _search_results(page: Page) -> None:
    """Highlighted words in the snippets of the replies that matched."""
    expect(page.locator(".search-snippet mark").first).to_have_text(re.compile(SEARCH_WORD, re.IGNORECASE))


def _note_mode_with_a_note(page: Page) -> None:
    expect(page.locator("#thread .message-note")).to_contain_text(NOTE)
    page.get_by_role("radio", name="Internal note").click()
    expect(page.locator("#note-hint")).to_be_visible()


def _saved_reply_picker_open(page: Page) -> None:
    page.get_by_role("button", name="Insert saved reply").click()
    expect(page.get_by_role("button", name="Insert Invoice help")).to_be_visible()


def _open_menu(page: Page) -> None:
    if page.locator("#menu-button").is_visible():
        page.locator("#menu-button").click()
        expect(page.locator("#site-nav")).to_be_visible()


PAGES: dict[str, list[tuple[str, str, Callable[[Page], None] | None]]] = {
    "customer": [
        ("/tickets", "Tickets", _open_menu),
        ("/tickets/TKT-000001", "Invoices are missing", None),
        ("/tickets/TKT-000001", "Invoices are missing", _files_in_composer),
        ("/tickets/TKT-000002", "A question answered", None),
        ("/tickets/TKT-000003", "Site down", _close_dialog_open),
        ("/tickets/new", "New Ticket", _new_ticket_errors),
        ("/tickets/TKT-999999", "Page not found", None),
        ("/profile", "Profile", None),
        ("/profile/tokens", "API tokens", None),
    ],
    "staff": [
        ("/tickets", "Tickets", None),
        ("/tickets/TKT-000001", "Invoices are missing", None),
        (f"/tickets?q={SEARCH_WORD}", "Tickets", _search_results),
        ("/tickets?waiting=1", "Tickets", _rows_shown),
        ("/tickets/TKT-000004", "Refund request", _note_mode_with_a_note),
        ("/tickets/TKT-000001", "Invoices are missing", _saved_reply_picker_open),
        ("/saved-replies", "Saved replies", None),
        ("/profile", "Profile", None),
        ("/profile/tokens", "API tokens", None),
    ],
    "admin": [
        ("/tickets", "Tickets", _open_menu),
        ("/tickets/TKT-000001", "Invoices are missing", None),
        ("/tickets/TKT-000002", "A question answered", None),
        (f"/tickets?q={SEARCH_WORD}", "Tickets", _search_results),
        ("/tickets?waiting=1", "Tickets", _rows_shown),
        ("/tickets/TKT-000004", "Refund request", _note_mode_with_a_note),
        ("/tickets/TKT-000001", "Invoices are missing", _saved_reply_picker_open),
        ("/saved-replies", "Saved replies", None),
        ("/admin/people", "People", None),
        ("/admin/people", "People", _invite_dialog_open),
        ("/admin/people", "People", _deactivate_dialog_open),
        ("/admin/departments", "Departments", None),
        ("/profile", "Profile", None),
        ("/profile/tokens", "API tokens", None),
        ("/admin/tokens", "API tokens of the workspace", None),
    ],
}
EMAILS = {"customer": "customer", "staff": "sales_staff", "admin": "admin"}


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize("role", ["customer", "staff", "admin"])
def test_axe_finds_nothing_on_any_page(browser: Browser, app, seeded, role, viewport, color_scheme):
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
    page = context.new_page()
    found: list[str] = []
    scrolled: list[str] = []
    # Signed out: the sign-in page, the account links' pages and the 404 page.
    for path, title in (
        (f"/{seeded.subdomain}/login", "Sign in"),
        (f"/{seeded.subdomain}/forgot-password", "Forgot password?"),
        (f"/{seeded.subdomain}/sign-up", "Sign up"),
        ("/404", "Page not found"),
    ):
        page.goto(app.url(path))
        expect(heading(page, title)).to_be_visible()
        found += run_axe(page)
    page.goto(app.url(f"/{seeded.subdomain}/login"))
    fill_sign_in_form(page, getattr(seeded, EMAILS[role]), seeded.password)
    expect(heading(page, "Tickets")).to_be_visible()
    for path, title, prepare in PAGES[role]:
        page.goto(app.url(f"/{seeded.subdomain}{path}"))
        expect(heading(page, title)).to_be_visible()
        if path == "/tickets":
            expect(page.locator("tbody tr").first).to_be_visible()
        if prepare:
            prepare(page)
        found += run_axe(page)
        if sideways_scroll(page):
            scrolled.append(path)
    context.close()
    assert found == []
    assert scrolled == []


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_axe_finds_nothing_with_the_presence_line_shown(browser: Browser, app, seeded, color_scheme):
    admin = signed_in_context(browser, app, seeded, seeded.admin, viewport=DESKTOP, color_scheme=color_scheme)
    staff = signed_in_context(browser, app, seeded, seeded.sales_staff, viewport=PHONE, color_scheme=color_scheme)
    pages = [admin.pages[0], staff.pages[0]]
    for page in pages:
        page.goto(app.url(f"/{seeded.subdomain}/tickets/TKT-000001"))
        expect(heading(page, "Invoices are missing")).to_be_visible()
    found: list[str] = []
    for page in pages:
        expect(page.locator("#presence")).to_contain_text("also viewing this ticket", timeout=10_000)
        found += run_axe(page)
    admin.close()
    staff.close()
    assert found == []


def test_phone_list_shows_status_and_priority_of_the_first_row_without_sideways_scroll(browser: Browser, app, seeded):
    context = signed_in_context(browser, app, seeded, seeded.customer, viewport=PHONE)
    page = context.pages[0]
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("TKT-000001")  # the latest activity first
    for badge in (first_row.get_by_text("High", exact=True), first_row.get_by_text("Answered", exact=True)):
        expect(badge).to_be_in_viewport()
        box = box_of(badge)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # The ID stays in one piece.
    ref = first_row.locator(".ticket-ref")
    assert box_of(ref)["height"] < 30
    assert not sideways_scroll(page)
    # The header is a menu: Sign out is reachable and on screen once it is open.
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
    assert box_of(page.get_by_role("button", name="Sign out"))["height"] >= 44
    assert not sideways_scroll(page)
    # The narrowest phone: the filters open, every control of them on screen, nothing sideways.
    page.set_viewport_size({"width": 320, "height": 700})
    page.get_by_role("button", name="Filters").click()
    search = page.get_by_role("button", name="Search", exact=True)
    expect(search).to_be_visible()
    box = box_of(search)
    assert box["x"] + box["width"] <= 320
    assert not sideways_scroll(page)
    context.close()


def tab_until(page: Page, target: str | Locator, limit: int = 60) -> None:
    """Press Tab until `target` (a CSS selector or a locator) has the focus."""
    locator = page.locator(target) if isinstance(target, str) else target
    for _ in range(limit):
        if locator.count() and locator.first.evaluate("(element) => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_keyboard_alone_signs_in_opens_replies_with_a_file_and_closes(browser: Browser, app, tmp_path: Path):
    workspace = make_workspace(app.database_url, "keyboard")
    seed_tickets(app.database_url, workspace)
    page = browser.new_context(viewport=DESKTOP).new_page()
    # Playwright starts intercepting file pickers when the page first gets a listener for them,
    # by a message that can still be on its way when a key opens the picker right after
    # (seen once on a loaded machine): listen from the start.
    page.on("filechooser", lambda _chooser: None)
    page.goto(app.url(f"/{workspace.subdomain}/login"))
    expect(heading(page, "Sign in")).to_be_visible()
    tab_until(page, "#email")
    page.keyboard.type(workspace.customer)
    page.keyboard.press("Tab")
    page.keyboard.type(workspace.password)
    page.keyboard.press("Enter")
    # Focus moves to the page's heading.
    expect(heading(page, "Tickets")).to_be_focused()
    expect(page).to_have_title("Tickets · Workspace keyboard")

    tab_until(page, "a.ticket-ref[href$='TKT-000003']")
    page.keyboard.press("Enter")
    expect(heading(page, "Site down")).to_be_focused()
    expect(page).to_have_title("TKT-000003 · Site down · Workspace keyboard")

    # The skip link, first on the page, leads past the header to the main content.
    page.locator(".skip-link").focus()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_until(page, "#reply-body")
    page.keyboard.type("Here is the log you asked for.")
    tab_until(page, page.get_by_role("button", name="Choose files"))
    upload = tmp_path / "server.log.txt"
    upload.write_text("line one\nline two\n")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(upload))
    expect(page.get_by_label("Chosen files")).to_contain_text("server.log.txt")
    tab_until(page, "button[type=submit]")
    page.keyboard.press("Enter")
    # Focus moves to the message just sent.
    latest = page.locator("#thread article").last
    expect(latest.locator(".message-body")).to_have_text("Here is the log you asked for.")
    expect(latest).to_be_focused()
    expect(latest.get_by_role("link", name="Download server.log.txt")).to_be_visible()

    tab_until(page, page.get_by_role("button", name="Close Ticket"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    tab_until(page, dialog.get_by_role("button", name="Close Ticket"))
    page.keyboard.press("Enter")
    expect(page.locator("#closed-notice")).to_be_focused()
    expect(page.locator("#closed-notice").get_by_role("link", name="Open a new ticket")).to_have_attribute(
        "href", f"/{workspace.subdomain}/tickets/new"
    )


def test_a_long_thread_opens_at_the_newest_message_and_markup_stays_inert(browser: Browser, app, seeded):
    context = signed_in_context(
        browser, app, seeded, seeded.customer, viewport=PHONE, timezone_id="America/New_York", locale="en-US"
    )
    page = context.pages[0]
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.goto(app.url(f"/{seeded.subdomain}/tickets/TKT-000001"))
    articles = page.locator("#thread article")
    expect(articles).to_have_count(THREAD_LENGTH)
    expect(articles.last).to_be_in_viewport()
    expect(articles.first).not_to_be_in_viewport()
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="Jump to latest").click()
    expect(articles.last).to_be_in_viewport()
    expect(articles.last).to_be_focused()

    # The reply with markup: shown as typed, nothing runs, only the web address is a link.
    inert = articles.nth(2).locator(".message-body")
    expect(inert).to_have_text(INERT_REPLY)
    expect(inert.locator("script")).to_have_count(0)
    links = inert.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", LONG_WORD)
    expect(links).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(page.locator("a[href^='javascript']")).to_have_count(0)
    assert dialogs == []
    # The long word wraps inside its card.
    assert not sideways_scroll(page)
    card, body = box_of(articles.nth(2)), box_of(inert)
    assert body["x"] + body["width"] <= card["x"] + card["width"] + 1

    # Times: ISO in the attribute, the viewer's own zone on hover.
    time = articles.first.locator("time")
    expect(time).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    expect(time).to_have_attribute("title", re.compile(r"EST|EDT"))
    expect(time).to_have_text("3 days ago")
    # Relative times keep themselves current (as the page's timer does every 30 s).
    page.evaluate(
        "() => { const real = Date.now; Date.now = () => real() + 2 * 86400000; window.xobito.updateTimes(); }"
    )
    expect(time).to_have_text("5 days ago")
    context.close()


def test_attachment_errors_are_plain_next_to_the_composer_until_the_file_is_removed(browser: Browser, app, seeded):
    context = signed_in_context(browser, app, seeded, seeded.customer, viewport=PHONE)
    page = context.pages[0]
    page.goto(app.url(f"/{seeded.subdomain}/tickets/TKT-000003"))
    expect(heading(page, "Site down")).to_be_visible()
    choose_files(page, "reply-files", {"big-log.txt": b"x" * (11 * 1024 * 1024 + 200 * 1024), "tool.exe": b"MZ"})
    alerts = page.locator("#reply-files ~ * [role=alert], .chosen-files [role=alert]")
    expect(alerts).to_have_text(
        [
            "big-log.txt is 11.2 MB; the limit is 10 MB per file",
            "tool.exe: only jpg, jpeg, png, gif, pdf, doc, docx, txt and zip files can be attached",
        ]
    )
    page.wait_for_timeout(6000)  # a toast would be gone by now; these stay
    expect(alerts).to_have_count(2)
    page.get_by_role("button", name="Remove tool.exe").click()
    expect(alerts).to_have_text(["big-log.txt is 11.2 MB; the limit is 10 MB per file"])
    page.get_by_role("button", name="Remove big-log.txt").click()
    expect(alerts).to_have_count(0)
    context.close()


def test_the_live_notice_stays_in_view_wherever_the_reader_has_scrolled(browser: Browser, app):
    workspace = make_workspace(app.database_url, "live notice")
    seed_tickets(app.database_url, workspace)
    customer = signed_in_context(browser, app, workspace, workspace.customer, viewport=PHONE).pages[0]
    customer.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(customer.locator("#thread article")).to_have_count(THREAD_LENGTH)
    # A long thread opens at its newest message (assets/a11y.js), once the page has settled;
    # then the reader goes back to the first message: the end of the thread is far below the fold.
    expect(customer.locator("#thread article").last).to_be_in_viewport()
    customer.evaluate("window.scrollTo(0, 0)")
    expect(customer.locator("#thread article").last).not_to_be_in_viewport()

    admin = signed_in_context(browser, app, workspace, workspace.admin).pages[0]
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    admin.get_by_label("Message").fill("We are on it.")
    admin.get_by_role("button", name="Send Reply").click()

    notice = customer.locator("#live-notice")
    expect(notice).to_contain_text("New reply from Alice Admin")
    expect(notice.get_by_role("button", name="Dismiss")).to_be_in_viewport()
    assert customer.evaluate("window.scrollY") == 0  # the reader was not moved
