"""Starting and stopping real app servers, for the browser tests and the benchmarks (one module).

Every server runs `xobito serve` from this checkout and serves one production build: the tests'
own web directory `.web-test` (git-ignored), built at most once per run by `prepare_build()`
and only when it is missing or stale. A build holds no address, so any number of servers on any
ports serve it at once, and the `.web` a `make run` server serves from is never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from xobito_web.migrations import PROJECT_ROOT
from xobito_web.production import reflex_environment

TEST_WEB_DIR = PROJECT_ROOT / ".web-test"
SERVER_START_TIMEOUT = 300  # the build is made beforehand; starting takes seconds
BUILD_TIMEOUT = 900  # a first production build takes minutes
# Marks the servers started here, so a benchmark can stop one its own killed run left behind.
SERVER_TAG = "XOBITO_SERVER_STARTED_BY"
XOBITO = str(Path(sys.executable).parent / "xobito")


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    database_url: str
    data_dir: Path
    port: int

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, characters: int = 6000) -> str:
        """The end of the server's own output (for a failed test's report)."""
        try:
            return (self.data_dir / f"serve-{self.port}.log").read_text(errors="replace")[-characters:]
        except OSError as error:
            return f"(no log: {error})"


@cache
def prepare_build(web_dir: Path = TEST_WEB_DIR) -> Path:
    """`xobito build` into the tests' web directory (a no-op when it is up to date), once per process."""
    env = {**reflex_environment(), "REFLEX_WEB_WORKDIR": str(web_dir)}
    started = time.monotonic()
    result = subprocess.run(
        [XOBITO, "build"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )
    if result.returncode != 0:
        raise RuntimeError(f"the production build failed:\n{(result.stdout + result.stderr)[-4000:]}")
    print(f"\n{result.stdout.strip().splitlines()[-1]} ({time.monotonic() - started:.0f} s)", flush=True)
    return web_dir


# ---------------------------------------------------------------- processes


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout: float = SERVER_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app server exited early:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the app server did not answer within {timeout:.0f}s:\n{log_path.read_text()[-4000:]}")


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


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _make_port_free(port: int, tag: str, replace_leftover: bool) -> None:
    """A server left over on the port would answer instead of ours, with other data. One that a
    killed run of ours left behind (same tag) is stopped when `replace_leftover`; else refuse."""
    if not _port_in_use(port):
        return
    pid = listener_pid(port)
    if replace_leftover and pid is not None:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            environ = []
        if f"{SERVER_TAG}={tag}".encode() in environ:
            print(f"stopping a leftover server of ours on port {port} (pid {pid})", flush=True)
            os.killpg(os.getpgid(pid), signal.SIGTERM)
            for _ in range(40):
                if not _port_in_use(port):
                    return
                time.sleep(0.25)
    raise RuntimeError(f"port {port} is already in use: stop what runs there first")


def _start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(
            command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# ---------------------------------------------------------------- servers


@dataclass(frozen=True)
class ServerSpec:
    """One `xobito serve`: its port and data folder; database and Redis default to the
    embedded SQLite database in the data folder and none."""

    port: int
    data_dir: Path
    database_url: str = ""
    redis_url: str = ""
    smtp_url: str = ""
    tag: str = "tests"
    extra_env: tuple[tuple[str, str], ...] = ()  # settings of this server only, e.g. limits

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    def env(self, web_dir: Path) -> dict[str, str]:
        env = {
            **reflex_environment(),
            "REFLEX_WEB_WORKDIR": str(web_dir),
            "XOBITO_DATA_DIR": str(self.data_dir),
            "PORT": str(self.port),
            "XOBITO_BASE_URL": self.base_url,
            "SMTP_URL": self.smtp_url,
            SERVER_TAG: self.tag,
            **dict(self.extra_env),
        }
        for name, value in (("DATABASE_URL", self.database_url), ("REDIS_URL", self.redis_url)):
            if value:
                env[name] = value
            else:
                env.pop(name, None)
        # The server keeps its tab states with its data, never in the checkout's .states.
        env.pop("REFLEX_STATES_WORKDIR", None)
        return env

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'xobito.db'}"


@contextmanager
def app_servers(specs: list[ServerSpec], replace_leftover: bool = False) -> Iterator[list[RunningApp]]:
    """Start every server at once from the tests' build, wait until each answers, stop them after."""
    web_dir = prepare_build()
    processes: list[tuple[ServerSpec, subprocess.Popen, Path]] = []
    try:
        for spec in specs:
            _make_port_free(spec.port, spec.tag, replace_leftover)
            spec.data_dir.mkdir(parents=True, exist_ok=True)
            log_path = spec.data_dir / f"serve-{spec.port}.log"
            processes.append((spec, _start([XOBITO, "serve"], spec.env(web_dir), log_path), log_path))
        running = []
        for spec, process, log_path in processes:
            wait_until_up(f"{spec.base_url}/ping", process, log_path)
            wait_until_up(f"{spec.base_url}/nope/login", process, log_path)
            running.append(RunningApp(spec.base_url, spec.effective_database_url, spec.data_dir, spec.port))
        yield running
    finally:
        for _spec, process, _log in processes:
            _stop(process)


@contextmanager
def embedded_app(
    data_dir: Path,
    port: int,
    seed_demo: bool = True,
    smtp_url: str = "",
    tag: str = "tests",
    replace_leftover: bool = False,
    extra_env: tuple[tuple[str, str], ...] = (),
) -> Iterator[RunningApp]:
    """`xobito serve` on the embedded default (SQLite in data_dir)."""
    spec = ServerSpec(port, data_dir, smtp_url=smtp_url, tag=tag, extra_env=extra_env)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = spec.env(TEST_WEB_DIR)
    subprocess.run([XOBITO, "migrate"], env=env, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    if seed_demo:
        subprocess.run([XOBITO, "seed-demo"], env=env, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    with app_servers([spec], replace_leftover) as (app,):
        yield app


@contextmanager
def scaled_workers(
    work_dir: Path, database_url: str, redis_url: str, ports: tuple[int, ...], tag: str = "tests"
) -> Iterator[list[RunningApp]]:
    """Several app workers sharing PostgreSQL and Redis, one per port, all serving one build.
    The database must be migrated."""
    specs = [ServerSpec(port, work_dir / f"worker-{port}", database_url, redis_url, tag=tag) for port in ports]
    with app_servers(specs) as running:
        yield running


def scale_ports() -> tuple[int, ...]:
    """XOBITO_SCALE_PORTS (`3021,3022` by default): where the scale-path workers listen."""
    raw = os.environ.get("XOBITO_SCALE_PORTS") or "3021,3022"
    try:
        ports = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"XOBITO_SCALE_PORTS must be comma-separated port numbers, not {raw!r}") from None
    if len(ports) < 2 or len(set(ports)) != len(ports):
        raise ValueError(f"XOBITO_SCALE_PORTS needs two or more different ports, not {raw!r}")
    return ports


def free_port() -> int:
    """A port nobody listens on now, from the system's ephemeral range (outside the 30xx ports
    the suites are given)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
