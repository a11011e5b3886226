"""One production build serves any port and host name at once, built once; a test run leaves the
build a `make run` server of this checkout serves (.web) alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import tree_snapshot
from tests.e2e.helpers import sign_in
from tests.e2e.test_ticket_portal import create_ticket, first_row, reply
from tests.servers import TEST_WEB_DIR, RunningApp, ServerSpec, app_servers, free_port
from xobito_web.migrations import PROJECT_ROOT
from xobito_web.production import BUILD_INFO, CLIENT_DIR


def build_state() -> tuple[str, dict[str, tuple[int, int]]]:
    """The tests' build as a server finds it: its build record and every served file."""
    return (TEST_WEB_DIR / BUILD_INFO).read_text(), tree_snapshot(TEST_WEB_DIR / CLIENT_DIR)


@pytest.fixture(scope="module")
def second_server(app, tmp_path_factory) -> Iterator[tuple[RunningApp, tuple]]:
    """Another `xobito serve` of the same build and database on another port, and the build's
    state just before it started."""
    before = build_state()
    spec = ServerSpec(free_port(), tmp_path_factory.mktemp("second-server"), database_url=app.database_url)
    with app_servers([spec]) as (server,):
        yield server, before


def open_signed_in(browser: Browser, base_url: str, email: str, workspace, sockets: dict[str, list[str]]) -> Page:
    """A signed-in page; the addresses of the live connections it opens go to sockets[base_url]."""
    page = browser.new_context().new_page()
    page.on("websocket", lambda socket: sockets.setdefault(base_url, []).append(socket.url))
    sign_in(page, base_url, email, workspace.password, subdomain=workspace.subdomain)
    return page


def test_one_build_serves_two_ports_at_once_under_any_host_name(browser: Browser, app, second_server, workspace):
    server_b, build_before = second_server
    assert server_b.port != app.port
    a_localhost, a_loopback = app.base_url, f"http://127.0.0.1:{app.port}"
    b_localhost, b_loopback = server_b.base_url, f"http://127.0.0.1:{server_b.port}"
    sockets: dict[str, list[str]] = {}

    # Port B, two host names: the admin's list there updates live when the customer creates a ticket.
    admin_b = open_signed_in(browser, b_localhost, workspace.admin, workspace, sockets)
    expect(admin_b.locator("#empty-state")).to_be_visible()
    customer_b = open_signed_in(browser, b_loopback, workspace.customer, workspace, sockets)
    create_ticket(customer_b, "Served twice", "Support", "High", "One build, two ports.")
    expect(customer_b.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(first_row(admin_b)).to_contain_text("Served twice")

    # Port A at the same time, two host names: the list shows the ticket, a reply arrives live.
    admin_a = open_signed_in(browser, a_loopback, workspace.admin, workspace, sockets)
    expect(first_row(admin_a)).to_contain_text("Served twice")
    customer_a = open_signed_in(browser, a_localhost, workspace.customer, workspace, sockets)
    customer_a.goto(f"{a_localhost}/{workspace.subdomain}/tickets/TKT-000001")
    expect(customer_a.get_by_role("heading", name="Served twice")).to_be_visible()
    admin_a.goto(f"{a_loopback}/{workspace.subdomain}/tickets/TKT-000001")
    reply(admin_a, "Answered through port A on 127.0.0.1.")
    expect(customer_a.locator(".message-body").last).to_have_text("Answered through port A on 127.0.0.1.")

    # Every page's live connection went to the host and port the page was loaded from.
    assert set(sockets) == {a_localhost, a_loopback, b_localhost, b_loopback}
    for base, urls in sockets.items():
        assert urls and all(url.startswith(base.replace("http://", "ws://") + "/_event") for url in urls), urls

    # Starting the second server neither rebuilt nor changed the build.
    assert build_state() == build_before


def test_a_test_run_leaves_the_checkouts_own_build_alone(app, second_server, checkout_build_before):
    assert TEST_WEB_DIR != PROJECT_ROOT / ".web"
    for name, before in checkout_build_before.items():
        assert tree_snapshot(PROJECT_ROOT / name) == before, f"the test run changed {name}/"
