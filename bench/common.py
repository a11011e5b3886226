"""What the benchmarks share: a server of their own, figures, JSON results, process memory.

The benchmark servers run from a copy of the project (like tests.servers.scaled_workers):
a production build bakes its port into the frontend bundle, so a bench on its own port must
not rebuild the checkout's .web under someone else's server. The copy is kept between runs
(/tmp/xobito-bench/app-<port>) so the next build only redoes what changed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from tests.servers import RunningApp, _require_free_port, _start, _stop, wait_until_up
from xobito_web.cli import reflex_environment
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
BENCH_PORTS = range(3050, 3100)  # the benchmarks' own ports
_TOP_LEVEL_SKIPPED = {".git", ".venv", ".states", "data", ".tools", "test-results"}


def _copy_ignore(directory: str, names: list[str]) -> set[str]:
    """Skip the checkout's own data and build output (top level only: node_modules has
    folders named data and build of its own), caches and databases."""
    here = Path(directory).resolve()
    skipped = {name for name in names if name == "__pycache__" or name.endswith(".db")}
    if here == PROJECT_ROOT:
        skipped |= _TOP_LEVEL_SKIPPED & set(names)
    elif here == PROJECT_ROOT / ".web":
        skipped |= {"build", ".react-router"} & set(names)
    elif here == PROJECT_ROOT / "bench":
        skipped |= {"results"} & set(names)
    return skipped


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


def _copy_project(port: int) -> Path:
    copy = Path(tempfile.gettempdir()) / "xobito-bench" / f"app-{port}"
    copy.mkdir(parents=True, exist_ok=True)
    have_modules = (copy / ".web" / "node_modules").is_dir()  # copied once (its links cannot be copied over)

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = _copy_ignore(directory, names)
        if have_modules and Path(directory).resolve() == PROJECT_ROOT / ".web":
            skipped.add("node_modules")
        return skipped

    shutil.copytree(PROJECT_ROOT, copy, ignore=ignore, dirs_exist_ok=True, symlinks=True)
    return copy


def _kill_our_leftover(port: int, copy: Path) -> None:
    """A server a killed bench run left behind on its port (ours only: its cwd is our copy)."""
    pid = listener_pid(port)
    if pid is None:
        return
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return
    if cwd == copy or copy in cwd.parents:
        print(f"stopping a leftover bench server on port {port} (pid {pid})", flush=True)
        os.killpg(os.getpgid(pid), signal.SIGTERM)
        time.sleep(3)


@contextmanager
def bench_app(port: int, seed_demo: bool = False):
    """`xobito serve` (production build, one process, SQLite) from a copy of the project."""
    if port not in BENCH_PORTS:
        raise ValueError(f"benchmarks use ports {BENCH_PORTS.start}-{BENCH_PORTS.stop - 1}")
    copy = _copy_project(port)
    _kill_our_leftover(port, copy)
    _require_free_port(port)
    data_dir = Path(tempfile.mkdtemp(prefix="xobito-bench-data-"))
    base_url = f"http://localhost:{port}"
    env = {
        **reflex_environment(),
        "PYTHONPATH": str(copy),
        "XOBITO_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "XOBITO_BASE_URL": base_url,
        "SMTP_URL": "",
        # The benchmarks post far faster than any person: the flood caps would measure refusals.
        "XOBITO_TICKETS_PER_HOUR": "0",
        "XOBITO_CUSTOMER_REPLIES_PER_HOUR": "0",
        "XOBITO_TEAM_REPLIES_PER_HOUR": "0",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    xobito = str(Path(sys.executable).parent / "xobito")
    subprocess.run([xobito, "migrate"], env=env, check=True, cwd=copy, stdout=subprocess.DEVNULL)
    if seed_demo:
        subprocess.run([xobito, "seed-demo"], env=env, check=True, cwd=copy, stdout=subprocess.DEVNULL)
    command = [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        str(port),
        "--backend-port",
        str(port),
    ]
    log_path = data_dir / "serve.log"
    started = time.monotonic()
    print(f"building and starting the production app on port {port} (from {copy}) ...", flush=True)
    process = _start(command, copy, env, log_path)
    try:
        wait_until_up(f"{base_url}/ping", process, log_path)
        wait_until_up(f"{base_url}/nope/login", process, log_path)
        print(f"app up after {time.monotonic() - started:.0f} s; log {log_path}", flush=True)
        yield RunningApp(base_url, f"sqlite:///{data_dir / 'xobito.db'}", data_dir)
    finally:
        _stop(process)


# ---------------------------------------------------------------- memory


def listener_pid(port: int) -> int | None:
    """The process listening on 127.0.0.1/0.0.0.0:port (from /proc, no tools needed)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


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
        self.worker = listener_pid(port)
        if self.worker is None:
            raise RuntimeError(f"nothing listens on port {port}")
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
