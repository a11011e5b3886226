"""The scale path: PostgreSQL + Redis, two app workers on separate ports (XOBITO_SCALE_PORTS,
default 3021,3022) serving one production build, one browser on each — the second under
127.0.0.1 rather than the localhost it was started for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from playwright.sync_api import Browser, expect

from tests.conftest import IN_CI, postgres_database
from tests.e2e.conftest import make_workspace
from tests.e2e.helpers import sign_in
from tests.e2e.test_ticket_portal import create_ticket, first_row, reply
from tests.servers import RunningApp, scale_ports, scaled_workers

REDIS_URL = os.environ.get("XOBITO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def workers(tmp_path_factory) -> Iterator[list[RunningApp]]:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:  # no server
        if IN_CI:
            pytest.fail(f"Redis is required under CI but unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis server at {REDIS_URL}")
    with (
        postgres_database("xobito_scale") as database_url,
        scaled_workers(tmp_path_factory.mktemp("workers"), database_url, REDIS_URL, scale_ports()[:2]) as running,
    ):
        yield running


def test_a_change_through_one_worker_reaches_a_browser_on_the_other(browser: Browser, workers, request):
    worker_a, worker_b = workers
    worker_b_url = f"http://127.0.0.1:{worker_b.port}"  # another name than the worker was started for
    workspace = make_workspace(worker_a.database_url, request.node.name)

    customer = browser.new_context().new_page()
    sign_in(customer, worker_a.base_url, workspace.customer, workspace.password, subdomain=workspace.subdomain)
    admin = browser.new_context().new_page()
    sign_in(admin, worker_b_url, workspace.admin, workspace.password, subdomain=workspace.subdomain)
    expect(admin.locator("#empty-state")).to_be_visible()

    # Customer on worker A creates a ticket: the admin's list on worker B shows it.
    create_ticket(customer, "Scaled printer trouble", "Support", "High", "Printing through two workers.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(first_row(admin)).to_contain_text("Scaled printer trouble")

    # Admin on worker B replies: the customer's open thread on worker A updates, typing kept.
    customer.get_by_label("Message").fill("Typing while the answer comes")
    admin.goto(f"{worker_b_url}/{workspace.subdomain}/tickets/TKT-000001")
    reply(admin, "Answered from the other worker.")
    expect(customer.locator(".message-body").last).to_have_text("Answered from the other worker.")
    expect(customer.get_by_label("Message")).to_have_value("Typing while the answer comes")

    # Admin closes: the customer's composer is replaced.
    admin.get_by_role("button", name="Close Ticket").click()
    admin.get_by_role("alertdialog").get_by_role("button", name="Close Ticket").click()
    expect(customer.locator("#closed-notice")).to_be_visible()
    expect(customer.get_by_label("Your unsent text")).to_have_value("Typing while the answer comes")


def test_presence_and_notes_cross_workers_for_the_team_only(browser: Browser, workers, request):
    worker_a, worker_b = workers
    workspace = make_workspace(worker_a.database_url, request.node.name)
    customer = browser.new_context().new_page()
    sign_in(customer, worker_a.base_url, workspace.customer, workspace.password, subdomain=workspace.subdomain)
    create_ticket(customer, "Two workers, one ticket", "Sales", "High", "Who is looking at this?")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")

    admin = browser.new_context().new_page()
    sign_in(admin, worker_a.base_url, workspace.admin, workspace.password, subdomain=workspace.subdomain)
    admin.goto(f"{worker_a.base_url}/{workspace.subdomain}/tickets/TKT-000001")
    staff_context = browser.new_context()
    staff = staff_context.new_page()
    sign_in(staff, worker_b.base_url, workspace.sales_staff, workspace.password, subdomain=workspace.subdomain)
    staff.goto(f"{worker_b.base_url}/{workspace.subdomain}/tickets/TKT-000001")

    # Presence through Redis: each sees the other, though on another worker.
    expect(admin.locator("#presence")).to_have_text("Sam Sales is also viewing this ticket.", timeout=10_000)
    expect(staff.locator("#presence")).to_have_text("Alice Admin is also viewing this ticket.", timeout=10_000)
    # A note from worker B reaches the admin on worker A, not the customer.
    staff.get_by_role("radio", name="Internal note").click()
    staff.locator("#reply-body").fill("Internal: shipping delayed by the carrier.")
    staff.get_by_role("button", name="Add Internal Note").click()
    expect(admin.locator(".message-note")).to_contain_text("shipping delayed by the carrier")
    staff_context.close()
    expect(admin.locator("#presence")).to_have_text("", timeout=15_000)
    expect(customer.get_by_text("shipping delayed")).to_have_count(0)
