"""Starting and stopping real app servers, for the browser tests and the benchmarks."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from xobito_web.cli import reflex_environment
from xobito_web.migrations import PROJECT_ROOT

SERVER_START_TIMEOUT = 900  # a first production build takes minutes
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".web", ".states", "data", ".tools", "__pycache__", "test-results", "*.db"
)


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    database_url: str
    data_dir: Path

    def url(self, path: str) -> str:
        return self.base_url + path


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app server exited early:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the app server did not answer within {SERVER_START_TIMEOUT}s:\n{log_path.read_text()[-4000:]}")


def _require_free_port(port: int) -> None:
    """A server left over on the port would answer instead of ours, with other data."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already in use: stop what runs there first")


def _start(command: list[str], cwd: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def embedded_app(data_dir: Path, port: int, seed_demo: bool = True, smtp_url: str = ""):
    """`xobito serve` on the embedded default (SQLite in data_dir), from the project itself."""
    _require_free_port(port)
    base_url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "XOBITO_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "XOBITO_BASE_URL": base_url,
        "SMTP_URL": smtp_url,
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    xobito = str(Path(sys.executable).parent / "xobito")
    subprocess.run([xobito, "migrate"], env=env, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    if seed_demo:
        subprocess.run([xobito, "seed-demo"], env=env, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    log_path = data_dir / "serve.log"
    process = _start([xobito, "serve"], PROJECT_ROOT, env, log_path)
    try:
        wait_until_up(f"{base_url}/ping", process, log_path)
        wait_until_up(f"{base_url}/acme/login", process, log_path)
        yield RunningApp(base_url, f"sqlite:///{data_dir / 'xobito.db'}", data_dir)
    finally:
        _stop(process)


@contextmanager
def scaled_workers(work_dir: Path, database_url: str, redis_url: str, ports: tuple[int, ...]):
    """Several app workers sharing PostgreSQL and Redis, one per port.

    Each runs from its own copy of the project: a production build bakes its backend port
    into the frontend bundle, so two ports need two builds. The database must be migrated.
    """
    processes, running = [], []
    try:
        for port in ports:
            _require_free_port(port)
            copy = work_dir / f"worker-{port}"
            shutil.copytree(PROJECT_ROOT, copy, ignore=COPY_IGNORE)
            data_dir = copy / "data"
            data_dir.mkdir()
            env = {
                **reflex_environment(),
                "PYTHONPATH": str(copy),
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "XOBITO_DATA_DIR": str(data_dir),
                "PORT": str(port),
                "XOBITO_BASE_URL": f"http://localhost:{port}",
            }
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
            processes.append(_start(command, copy, env, data_dir / "serve.log"))
            running.append(RunningApp(f"http://localhost:{port}", database_url, data_dir))
        for worker, process in zip(running, processes, strict=True):
            wait_until_up(worker.url("/nope/login"), process, worker.data_dir / "serve.log")
        yield running
    finally:
        for process in processes:
            _stop(process)
