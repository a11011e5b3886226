"""Browser tests: the production build is built and started once per test run (`xobito serve`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from xobito_web.migrations import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
SERVER_START_TIMEOUT = 900  # a first production build takes minutes


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    database_url: str
    data_dir: Path

    def url(self, path: str) -> str:
        return self.base_url + path


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"xobito serve exited early:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"xobito serve did not answer within {SERVER_START_TIMEOUT}s:\n{log_path.read_text()[-4000:]}")


def start_server(command: list[str], cwd: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> RunningApp:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = int(os.environ.get("XOBITO_E2E_PORT", "3011"))
    base_url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "XOBITO_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "XOBITO_BASE_URL": base_url,
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    xobito = str(Path(sys.executable).parent / "xobito")
    subprocess.run([xobito, "migrate"], env=env, check=True, cwd=PROJECT_ROOT)
    subprocess.run([xobito, "seed-demo"], env=env, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    log_path = data_dir / "serve.log"
    process = start_server([xobito, "serve"], PROJECT_ROOT, env, log_path)
    try:
        _wait_until_up(f"{base_url}/ping", process, log_path)
        _wait_until_up(f"{base_url}/acme/login", process, log_path)
        yield RunningApp(base_url=base_url, database_url=f"sqlite:///{data_dir / 'xobito.db'}", data_dir=data_dir)
    finally:
        stop_server(process)


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
    return Workspace(subdomain, *(email for email, *_ in people.values()), password)
