"""Fixtures of the browser tests (tests/e2e and tests/security), registered by tests/conftest.py:
the production build is built once per test run into the tests' own `.web-test` (only when
stale) and served by `xobito serve` (tests/servers.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.servers import RunningApp, embedded_app
from tests.smtp_sink import SmtpServer

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """The app's outgoing mail server during the browser tests: a real one, in the test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(tmp_path_factory, smtp_server) -> Iterator[RunningApp]:
    port = int(os.environ.get("XOBITO_E2E_PORT", "3011"))
    with embedded_app(tmp_path_factory.mktemp("e2e-data"), port, smtp_url=smtp_server.url) as running:
        yield running


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report ends with what its app servers printed: a page that
    stays on "Loading" is explained by the server's side, not by the browser's."""
    report = yield
    if report.failed and call.when == "call":
        for value in getattr(item, "funcargs", {}).values():
            for server in value if isinstance(value, list) else [value]:
                if isinstance(server, RunningApp):
                    report.sections.append((f"server on port {server.port}", server.log_tail()))
    return report


@dataclass(frozen=True)
class Workspace:
    subdomain: str
    admin: str
    sales_staff: str
    customer: str
    other_customer: str
    password: str


@pytest.fixture
def workspace(app, request) -> Workspace:
    """A workspace of the test's own on the running app, so tests never see each other's tickets."""
    return make_workspace(app.database_url, request.node.name)


def make_workspace(database_url: str, title: str) -> Workspace:
    from xobito_web.db import write_session
    from xobito_web.services import workspaces

    subdomain = f"t{uuid.uuid4().hex[:10]}"
    password = "e2e-password"
    people = {
        "admin": ("admin@team.example.com", "Alice Admin", "admin", ()),
        "sales_staff": ("sam@team.example.com", "Sam Sales", "staff", ("Sales",)),
        "customer": ("cleo@customer.example.com", "Cleo Customer", "customer", ()),
        "other_customer": ("otto@customer.example.com", "Otto Other", "customer", ()),
    }
    with write_session(database_url) as session:
        created = workspaces.create_workspace(session, subdomain, f"Workspace {title[:40]}")
        for name in ("Sales", "Support", "Billing"):
            workspaces.create_department(session, created, name)
        for email, name, role, departments in people.values():
            workspaces.create_user(session, created, email, name, role, password, departments)
    return Workspace(subdomain, password=password, **{key: email for key, (email, *_) in people.items()})
