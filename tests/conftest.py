"""Shared fixtures: a fresh migrated database per test and a small populated workspace."""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from xobito_web import config, migrations
from xobito_web.db import get_engine, write_session
from xobito_web.migrations import PROJECT_ROOT
from xobito_web.services import auth, workspaces
from xobito_web.services.auth import CurrentUser

# The browser tests' fixtures (the running app, Chromium, a workspace per test), for tests/e2e
# and tests/security alike.
pytest_plugins = ["tests.browser_fixtures"]

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("XOBITO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


def tree_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root` (node_modules: its top level) with size and mtime."""
    if not root.exists():
        return {}
    found = {}
    for directory, folders, files in os.walk(root):
        here = Path(directory)
        if here.name == "node_modules":
            folders.clear()
        for name in folders + files:
            path = here / name
            stat = path.lstat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="session", autouse=True)
def checkout_build_before() -> dict[str, dict[str, tuple[int, int]]]:
    """What a `make run` server of this checkout serves from (.web) and keeps its tab states in
    (.states), as it was before the first test ran (tests/e2e/test_serving.py compares at the end)."""
    return {name: tree_snapshot(PROJECT_ROOT / name) for name in (".web", ".states")}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated empty database, built once and copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    get_engine(url).dispose()
    return str(path)


@pytest.fixture
def db_url(tmp_path, sqlite_template) -> Iterator[str]:
    path = tmp_path / "xobito.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    get_engine(url).dispose()


@contextmanager
def postgres_database(prefix: str = "xobito_test"):
    """A database of its own on the local PostgreSQL server (migrated), dropped afterwards.

    Skips when there is no server, except under CI where that is a failure.
    """
    admin_engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as connection:
            connection.execute(text("select 1"))
    except OperationalError as error:  # refused, unknown host, timeout: no server (a malformed URL still fails)
        admin_engine.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but unreachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES_URL}")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrations.upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@dataclass
class World:
    """Two workspaces: `acme` with people in every role, and `other` to prove isolation."""

    url: str
    departments: dict[str, int]
    admin: CurrentUser
    sales_staff: CurrentUser  # member of Sales
    support_staff: CurrentUser  # member of Support
    customer: CurrentUser
    other_customer: CurrentUser
    foreign_admin: CurrentUser  # admin of the workspace "other"
    foreign_customer: CurrentUser
    foreign_departments: dict[str, int]


def _populate(url: str) -> World:
    people = {}
    with write_session(url) as session:
        acme = workspaces.create_workspace(session, "acme", "Acme Inc.")
        departments = {
            name: workspaces.create_department(session, acme, name).id for name in ("Sales", "Support", "Billing")
        }
        other = workspaces.create_workspace(session, "other", "Other Ltd.")
        foreign_departments = {
            name: workspaces.create_department(session, other, name).id for name in ("Sales", "Support")
        }
        for key, workspace, email, role, deps in [
            ("admin", acme, "admin@acme.example.com", "admin", ()),
            ("sales_staff", acme, "sam@acme.example.com", "staff", ("Sales",)),
            ("support_staff", acme, "sue@acme.example.com", "staff", ("Support",)),
            ("customer", acme, "carol@customer.example.com", "customer", ()),
            ("other_customer", acme, "dave@customer.example.com", "customer", ()),
            ("foreign_admin", other, "admin@other.example.com", "admin", ()),
            ("foreign_customer", other, "erin@customer.example.com", "customer", ()),
        ]:
            workspaces.create_user(session, workspace, email, key.replace("_", " ").title(), role, PASSWORD, deps)
    for key, subdomain, email in [
        ("admin", "acme", "admin@acme.example.com"),
        ("sales_staff", "acme", "sam@acme.example.com"),
        ("support_staff", "acme", "sue@acme.example.com"),
        ("customer", "acme", "carol@customer.example.com"),
        ("other_customer", "acme", "dave@customer.example.com"),
        ("foreign_admin", "other", "admin@other.example.com"),
        ("foreign_customer", "other", "erin@customer.example.com"),
    ]:
        _token, people[key] = auth.sign_in(subdomain, email, PASSWORD, database_url=url)
    return World(url=url, departments=departments, foreign_departments=foreign_departments, **people)


@pytest.fixture(scope="session")
def world_template(tmp_path_factory, sqlite_template) -> tuple[str, World]:
    """Populated once (password hashing is slow on purpose), copied for every test."""
    path = tmp_path_factory.mktemp("world") / "world.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    populated = _populate(url)
    get_engine(url).dispose()
    return str(path), populated


@pytest.fixture
def world(tmp_path, world_template) -> Iterator[World]:
    template_path, populated = world_template
    path = tmp_path / "world.db"
    shutil.copy(template_path, path)
    url = f"sqlite:///{path}"
    yield dataclasses.replace(populated, url=url)
    get_engine(url).dispose()


@pytest.fixture
def pg_world(pg_url) -> World:
    return _populate(pg_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_world(request) -> World:
    """The same populated workspace on SQLite and on PostgreSQL."""
    return request.getfixturevalue("world" if request.param == "sqlite" else "pg_world")


@pytest.fixture
def storage(tmp_path, monkeypatch):
    """The attachments' storage root, through the setting the app reads (XOBITO_STORAGE_DIR)."""
    root = tmp_path / "storage"
    monkeypatch.setenv("XOBITO_STORAGE_DIR", str(root))
    return root


@pytest.fixture
def flood_limits(monkeypatch):
    """Set the per-person caps on tickets and replies (config.Settings fields) for one test."""

    def set_limits(**caps: int) -> config.Settings:
        monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, **caps))  # type: ignore[arg-type]  # mypy checks **caps against every field
        return config.settings

    return set_limits


@pytest.fixture
def no_flood_limits(flood_limits):
    """For tests that open many tickets in a short time to prove something else; the limits
    themselves are proven in test_rate_limits.py."""
    flood_limits(tickets_per_hour=0, customer_replies_per_hour=0, team_replies_per_hour=0)
