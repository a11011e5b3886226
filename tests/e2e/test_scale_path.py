"""The scale path: PostgreSQL + Redis, two app workers on separate ports, one browser on each.

Each worker runs from its own copy of the project, because a Reflex production build bakes
its backend port into the frontend bundle.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine, text

from tests.conftest import IN_CI, POSTGRES_URL
from tests.e2e.conftest import RunningApp, _wait_until_up, make_workspace, start_server, stop_server
from tests.e2e.test_ticket_portal import create_ticket, first_row, reply
from tests.e2e.helpers import sign_in
from xobito_web import migrations
from xobito_web.cli import reflex_environment
from xobito_web.db import get_engine
from xobito_web.migrations import PROJECT_ROOT

REDIS_URL = os.environ.get("XOBITO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKER_PORTS = (3021, 3022)
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", ".web", ".states", "data", ".tools", "__pycache__", "test-results", "*.db")


def _require(servers_up: bool, what: str) -> None:
    if servers_up:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI but unreachable")
    pytest.skip(f"no {what} on this machine")


def _postgres_database() -> tuple[str, callable]:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception:  # noqa: BLE001
        admin.dispose()
        _require(False, f"PostgreSQL at {POSTGRES_URL}")
    name = f"xobito_scale_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture(scope="module")
def workers(tmp_path_factory) -> list[RunningApp]:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
        redis_up = True
    except Exception:  # noqa: BLE001
        redis_up = False
    _require(redis_up, f"Redis at {REDIS_URL}")
    database_url, drop_database = _postgres_database()
    migrations.upgrade(database_url)
    get_engine(database_url).dispose()

    processes = []
    running = []
    try:
        for port in WORKER_PORTS:
            copy = tmp_path_factory.mktemp(f"worker-{port}") / "app"
            shutil.copytree(PROJECT_ROOT, copy, ignore=COPY_IGNORE)
            data_dir = copy / "data"
            env = {
                **reflex_environment(),
                "PYTHONPATH": str(copy),
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "XOBITO_DATA_DIR": str(data_dir),
                "PORT": str(port),
                "XOBITO_BASE_URL": f"http://localhost:{port}",
            }
            command = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
                       "--frontend-port", str(port), "--backend-port", str(port)]
            data_dir.mkdir()
            log_path = data_dir / "serve.log"
            process = start_server(command, copy, env, log_path)
            processes.append(process)
            _wait_until_up(f"http://localhost:{port}/ping", process, log_path)
            running.append(RunningApp(f"http://localhost:{port}", database_url, data_dir))
        for worker, process in zip(running, processes):
            _wait_until_up(worker.url("/nope/login"), process, Path(worker.data_dir) / "serve.log")
        yield running
    finally:
        for process in processes:
            stop_server(process)
        drop_database()


def test_a_change_through_one_worker_reaches_a_browser_on_the_other(browser: Browser, workers, request):
    worker_a, worker_b = workers
    workspace = make_workspace(worker_a.database_url, request.node.name)

    customer = browser.new_context().new_page()
    sign_in(customer, worker_a.base_url, workspace.customer, workspace.password, subdomain=workspace.subdomain)
    admin = browser.new_context().new_page()
    sign_in(admin, worker_b.base_url, workspace.admin, workspace.password, subdomain=workspace.subdomain)
    expect(admin.locator("#empty-state")).to_be_visible()

    # Customer on worker A creates a ticket: the admin's list on worker B shows it.
    create_ticket(customer, "Scaled printer trouble", "Support", "High", "Printing through two workers.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(first_row(admin)).to_contain_text("Scaled printer trouble")

    # Admin on worker B replies: the customer's open thread on worker A updates, typing kept.
    customer.get_by_label("Message").fill("Typing while the answer comes")
    admin.goto(worker_b.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    reply(admin, "Answered from the other worker.")
    expect(customer.locator(".message-body").last).to_have_text("Answered from the other worker.")
    expect(customer.get_by_label("Message")).to_have_value("Typing while the answer comes")

    # Admin closes: the customer's composer is replaced.
    admin.get_by_role("button", name="Close Ticket").click()
    admin.get_by_role("alertdialog").get_by_role("button", name="Close Ticket").click()
    expect(customer.locator("#closed-notice")).to_be_visible()
    expect(customer.get_by_label("Your unsent text")).to_have_value("Typing while the answer comes")
