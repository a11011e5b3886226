"""What the benchmarks share: a server of their own, figures, JSON results, process memory.

The servers come from tests.servers (one module for tests and benchmarks): `xobito serve` from
this checkout, serving the tests' production build (.web-test) on the bench's own port.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import RunningApp, embedded_app, listener_pid
from xobito_web.migrations import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BENCH_TAG = "bench"  # a bench run killed midway leaves its server; the next run on that port stops it

SESSION_COOKIE = "xobito_session"


# ---------------------------------------------------------------- figures


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    if not ordered:
        return {"runs": 0}
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "min": round(ordered[0], 2),
        "max": round(ordered[-1], 2),
        "runs": len(ordered),
    }


def report(name: str, samples: list[float], unit: str = "ms", width: int = 58) -> dict:
    figures = summary(samples)
    if figures["runs"]:
        print(
            f"{name:<{width}} median {figures['median']:8.1f} {unit}   p95 {figures['p95']:8.1f} {unit}   ({figures['runs']} runs)",
            flush=True,
        )
    else:
        print(f"{name:<{width}} no samples", flush=True)
    return figures


def source_version() -> dict:
    """The commit, and the app files that differed from it while measuring."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "modified": git("status", "--porcelain", "--", "xobito_web").splitlines(),
    }


def write_results(name: str, results: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    path = RESULTS_DIR / f"{name}-{now.date().isoformat()}.json"
    payload = {
        "bench": name,
        "date": now.isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        # Other work on the machine skews every figure: the load when the bench ended (1, 5, 15 min).
        "load_average": [round(value, 2) for value in os.getloadavg()],
        **results,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(
        f"results written to {path.relative_to(PROJECT_ROOT)} (load average {payload['load_average']}"
        f" on {os.cpu_count()} CPUs: anything else running skews these figures)",
        flush=True,
    )
    return path


# ---------------------------------------------------------------- the server

# The benchmarks post far faster than any person: the flood caps would measure refusals.
UNLIMITED = (
    ("XOBITO_TICKETS_PER_HOUR", "0"),
    ("XOBITO_CUSTOMER_REPLIES_PER_HOUR", "0"),
    ("XOBITO_TEAM_REPLIES_PER_HOUR", "0"),
)


@contextmanager
def bench_app(port: int, seed_demo: bool = False) -> Iterator[RunningApp]:
    """`xobito serve` (production build, one process, SQLite in a fresh folder) on `port`."""
    data_dir = Path(tempfile.mkdtemp(prefix="xobito-bench-data-"))
    started = time.monotonic()
    print(f"starting the production app on port {port} ...", flush=True)
    with embedded_app(
        data_dir, port, seed_demo=seed_demo, tag=BENCH_TAG, replace_leftover=True, extra_env=UNLIMITED
    ) as app:
        print(f"app up after {time.monotonic() - started:.0f} s; log {data_dir / f'serve-{port}.log'}", flush=True)
        yield app


# ---------------------------------------------------------------- memory


def _status(pid: int) -> dict[str, str]:
    try:
        return dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    except OSError:
        return {}


def _kb(value: str) -> int:
    return int(value.split()[0]) if value else 0


class ServerMemory:
    """RSS of the app server: the whole process session it runs in (reflex run, the web
    server worker, anything they started), and the listening worker alone."""

    def __init__(self, port: int):
        worker = listener_pid(port)
        if worker is None:
            raise RuntimeError(f"nothing listens on port {port}")
        self.worker = worker
        self.session = os.getsid(self.worker)

    def pids(self) -> list[int]:
        found = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if os.getsid(int(proc.name)) == self.session:
                        found.append(int(proc.name))
                except OSError:
                    pass
        return found

    def tree_mb(self) -> float:
        return sum(_kb(_status(pid).get("VmRSS", "")) for pid in self.pids()) / 1024

    def worker_mb(self) -> float:
        return _kb(_status(self.worker).get("VmRSS", "")) / 1024

    def worker_peak_mb(self) -> float:
        return _kb(_status(self.worker).get("VmHWM", "")) / 1024

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def describe(self) -> str:
        names = []
        for pid in self.pids():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:90]
            except OSError:
                continue
            names.append(f"  pid {pid} {_kb(_status(pid).get('VmRSS', '')) / 1024:7.1f} MB  {cmd}")
        return "\n".join(names)


class PeakSampler:
    """Samples the server's RSS every `interval` seconds in a thread; the peaks it saw."""

    def __init__(self, memory: ServerMemory, interval: float = 0.05):
        self.memory, self.interval = memory, interval
        self.tree_peak = self.worker_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tree_peak = max(self.tree_peak, self.memory.tree_mb())
            self.worker_peak = max(self.worker_peak, self.memory.worker_mb())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------- browsers


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def session_cookies(browser, base_url: str, email: str, password: str, subdomain: str) -> list[dict]:
    """Signs in once in a throwaway context; its cookies sign in any later context."""
    from tests.e2e.helpers import sign_in

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base_url, email, password, subdomain)
    cookies = [cookie for cookie in context.cookies() if cookie["name"] == SESSION_COOKIE]
    context.close()
    if not cookies:
        raise RuntimeError("signing in set no session cookie")
    return cookies


def signed_in_context(browser, cookies: list[dict]):
    context = browser.new_context()
    context.add_cookies(cookies)
    return context


# ---------------------------------------------------------------- data


def people(database_url: str, subdomain: str) -> dict:
    """The workspace's users as services.auth.CurrentUser records, by email."""
    from sqlmodel import select

    from xobito_web.db import read_session
    from xobito_web.models import User
    from xobito_web.services import workspaces
    from xobito_web.services.auth import CurrentUser

    with read_session(database_url) as session:
        workspace = workspaces.get_workspace(session, subdomain)
        users = session.exec(select(User).where(User.workspace_id == workspace.id)).all()
        return {
            user.email: CurrentUser(
                user.id, workspace.id, workspace.subdomain, workspace.name, user.name, user.email, user.role
            )
            for user in users
        }


def create_thread(database_url: str, customer, team, subject: str, replies: int, marker: str = "") -> int:
    """A ticket by `customer` with `replies` replies taking turns (team first); its number.
    The last reply's text ends with `marker` when given."""
    from xobito_web.db import write_session
    from xobito_web.services import rate_limits, tickets, workspaces

    with rate_limits.lifted(), write_session(database_url) as session:
        department = workspaces.list_departments(session, customer.workspace_id)[0]
        number = tickets.create_ticket(
            session, customer, subject, department.id, "medium", f"{subject}: the first message."
        ).number
    for step in range(1, replies + 1):
        author = team if step % 2 else customer
        text = f"Reply {step} of {replies} in this thread, by {author.name}."
        if step == replies and marker:
            text += f" {marker}"
        with rate_limits.lifted(), write_session(database_url) as session:
            tickets.post_reply(session, author, number, text)
    return number
