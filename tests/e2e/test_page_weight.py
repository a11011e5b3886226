"""A page brings only the code and styles the app uses (issue 17): no Radix Themes JavaScript, and
of Radix Themes' stylesheet only the rules of what the pages draw; no panel blurs what is behind
it; leaving a page does not lay it out again."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.test_ticket_portal import create_ticket, open_as

# Class names only Radix Themes' own components put on elements (a select's pop-up, a dialog, a
# scroll area): a script containing them is Radix Themes' JavaScript.
RADIX_THEMES_CODE = ("rt-SelectContent", "rt-BaseDialogContent", "rt-ScrollAreaRoot")

STYLE_RULES = """() => [...document.styleSheets]
    .flatMap((sheet) => { try { return [...sheet.cssRules].map((rule) => rule.cssText); } catch { return []; } })
    .join("\\n")"""
SCRIPTS = (
    """() => performance.getEntriesByType("resource").map((entry) => entry.name).filter((url) => url.endsWith(".js"))"""
)


def test_the_list_and_a_ticket_load_no_radix_themes_code(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Weighing the page", "Support", "Low", "How heavy is this page?")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    admin = open_as(browser, app, workspace, workspace.admin)
    expect(admin.locator("table tbody tr")).to_have_count(1)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    expect(admin.locator(".message-body").first).to_have_text("How heavy is this page?")

    scripts = admin.evaluate(SCRIPTS)
    assert len(scripts) >= 5  # the page's own modules were found
    for url in scripts:
        code = admin.request.get(url).text()
        assert [name for name in RADIX_THEMES_CODE if name in code] == [], url


def test_a_ticket_s_icons_and_composer_library_come_in_one_script(browser: Browser, app, workspace):
    """Each icon was a file of its own (bundling.py): over HTTP/1.1's six connections every extra
    file waited for a free one, and the page's own code arrived last (issue 17)."""
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Counting files", "Support", "Urgent", "How many files does this page load?")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(customer.locator("#reply-body")).to_be_visible()  # the composer (a debounced field) is there
    names = [url.rsplit("/", 1)[-1] for url in customer.evaluate(SCRIPTS)]
    assert len([name for name in names if name.startswith("ui-libs-")]) == 1, names
    split_out = ("createLucideIcon-", "paperclip-", "arrow-up-", "flame-", "menu-", "lib-")
    assert [name for name in names if name.startswith(split_out)] == [], names


def test_the_stylesheet_holds_what_the_pages_draw_and_not_the_rest(browser: Browser, app, workspace):
    admin = open_as(browser, app, workspace, workspace.admin)
    expect(admin.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    rules = admin.evaluate(STYLE_RULES)
    # What the pages use: buttons' variants, the layout's gaps, the accent colour, the table.
    for kept in (
        ".rt-variant-soft",
        ".rt-variant-solid",
        ".rt-r-gap-3",
        '[data-accent-color="indigo"]',
        ".rt-TableCell",
    ):
        assert kept in rules, kept
    # Radix's own select pop-up and dialog, a variant no page uses, a colour the app never names,
    # and spacing steps no page asks for.
    for dropped in (
        ".rt-SelectContent",
        ".rt-BaseDialogContent",
        ".rt-variant-classic",
        "crimson",
        ".rt-r-m-9",
        ".rt-r-p-9",
    ):
        assert dropped not in rules, dropped


PANEL_BLURS = """() => [...document.querySelectorAll(".rt-Card, .rt-TableRoot")].map((panel) => [
    getComputedStyle(panel).backdropFilter, getComputedStyle(panel, "::before").backdropFilter])"""


def test_no_panel_blurs_what_is_behind_it(browser: Browser, app, workspace):
    """Radix's translucent panels put a 64 px backdrop blur under every card (one composited blur
    per message), which cost 11-16 ms of every reload of a list or a thread."""
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Solid cards", "Support", "Low", "Is anything blurred behind this card?")
    expect(customer.locator("#thread article")).to_have_count(1)
    expect(customer.locator("#reply-body")).to_be_visible()  # the composer's card is there too
    blurs = customer.evaluate(PANEL_BLURS)
    assert len(blurs) >= 2  # the message and the composer
    assert {value for pair in blurs for value in pair} == {"none"}
    customer.goto(app.url(f"/{workspace.subdomain}/tickets"))
    expect(customer.locator("table tbody tr")).to_have_count(1)
    assert {value for pair in customer.evaluate(PANEL_BLURS) for value in pair} == {"none"}  # the table too


NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def test_leaving_a_page_saves_its_scroll_position_without_laying_the_page_out(browser: Browser, app, workspace):
    admin = open_as(browser, app, workspace, workspace.admin)
    admin.set_viewport_size({"width": 390, "height": 300})
    expect(admin.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    room = admin.evaluate("() => document.documentElement.scrollHeight - window.innerHeight")
    assert room > 40  # the page scrolls at this size
    target = min(120, room)
    admin.evaluate(f"window.scrollTo(0, {target})")
    admin.evaluate(NEXT_FRAME)

    # Leaving: React Router saves the position in `pagehide` (assets/a11y.js hands it the position
    # noted while scrolling). A scroll after that moment is not measured: the page is not laid out.
    read_while_leaving = admin.evaluate(
        """() => {
            window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false }));
            window.scrollTo(0, 0);
            return window.scrollY;
        }"""
    )
    assert read_while_leaving == target
    saved = admin.evaluate("() => JSON.parse(sessionStorage.getItem('react-router-scroll-positions'))")
    assert target in saved.values()

    # Back from the back-forward cache, the page reads the browser's own position again.
    live = admin.evaluate(
        """() => {
            window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true }));
            window.scrollTo(0, 30);
            return window.scrollY;
        }"""
    )
    assert live == 30
