"""The production build and the server that serves it (`xobito build`, `xobito serve`).

Building and serving are two steps. A build is the compiled frontend in a web directory
(`REFLEX_WEB_WORKDIR`, default `.web`; the tests use `.web-test`). It holds no address
(frontend_origin.py), so any number of servers on any ports, hosts or proxies serve one build.
`xobito serve` builds only when the build is missing or stale — when the sources it was made
from (the app's Python files, rxconfig.py, assets/, reflex.lock/, the Reflex version) have
changed — and then serves it without compiling anything (`reflex run` would recompile and
rebuild on every start, under any server already serving that directory).

A server holds a shared lock on its web directory for as long as it runs (the lock file sits
beside the directory: Reflex empties the directory itself when it re-initialises it). A build
needs the exclusive lock, so it never replaces files a running server serves: with a stale build
and a server running, `xobito serve`/`xobito build` stop with a message instead.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO

from xobito_web.config import settings
from xobito_web.migrations import PROJECT_ROOT

DEFAULT_WEB_DIR = ".web"
BUILD_INFO = "xobito-build.json"  # written into the web directory after a successful build
CLIENT_DIR = Path("build") / "client"  # what the server serves (Reflex's static output)


class BuildInUse(RuntimeError):
    """The build is stale, but a running server serves it: rebuilding would break that server."""


def web_dir() -> Path:
    """The web directory of this process: REFLEX_WEB_WORKDIR (relative to the project) or .web."""
    return (PROJECT_ROOT / (os.environ.get("REFLEX_WEB_WORKDIR") or DEFAULT_WEB_DIR)).resolve()


def reflex_environment() -> dict[str, str]:
    """Reflex's build runs the bun that `make` installed from the npm registry, and stays offline."""
    env = dict(os.environ)
    bun_bin = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"
    if (bun_bin / "bun").exists():
        env["PATH"] = f"{bun_bin}{os.pathsep}{env.get('PATH', '')}"
        env.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")
    venv_bin = os.path.dirname(sys.executable)
    env["PATH"] = f"{venv_bin}{os.pathsep}{env['PATH']}"
    return env


# ---------------------------------------------------------------- is the build fresh?


def build_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    """The files a frontend build is made from."""
    found = [root / "rxconfig.py"]
    found += (root / "xobito_web").rglob("*.py")
    found += (path for path in (root / "assets").rglob("*") if "external" not in path.relative_to(root).parts)
    found += (root / "reflex.lock").rglob("*")
    return sorted(path for path in found if path.is_file() and "__pycache__" not in path.parts)


def source_fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for name in ("reflex", "reflex-base"):
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            continue
    for path in build_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildInfo:
    fingerprint: str
    built_at: str

    @staticmethod
    def read(directory: Path) -> BuildInfo | None:
        try:
            data = json.loads((directory / BUILD_INFO).read_text())
            return BuildInfo(str(data["fingerprint"]), str(data["built_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def is_fresh(directory: Path, fingerprint: str) -> bool:
    info = BuildInfo.read(directory)
    return info is not None and info.fingerprint == fingerprint and (directory / CLIENT_DIR / "index.html").is_file()


# ---------------------------------------------------------------- building


def run_reflex_build(directory: Path) -> None:
    """Compile the app and build the frontend into `directory` (Reflex's `export`, no zip)."""
    env = {**reflex_environment(), "REFLEX_WEB_WORKDIR": str(directory)}
    command = [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the production build failed (exit {result.returncode}); see the output above")


def lock_path(directory: Path) -> Path:
    return directory.with_name(directory.name + ".lock")


@contextmanager
def production_build(
    directory: Path | None = None, rebuild: bool = False, builder: Callable[[Path], None] = run_reflex_build
) -> Iterator[Path]:
    """A fresh build in `directory` (built when missing, stale or `rebuild`); while the block
    runs, a shared lock keeps any other process from rebuilding it."""
    directory = directory or web_dir()
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(directory), "a+") as lock:
        fingerprint = source_fingerprint()
        if _try_lock(lock, fcntl.LOCK_EX):
            if rebuild or not is_fresh(directory, fingerprint):
                _build(directory, fingerprint, builder)
            # Not atomic (flock drops, then takes): a builder slipping in between finds it fresh.
            fcntl.flock(lock, fcntl.LOCK_SH)
        else:
            fcntl.flock(lock, fcntl.LOCK_SH)  # waits while another process builds
            if rebuild or not is_fresh(directory, fingerprint):
                raise BuildInUse(
                    f"the build in {directory} is out of date, but a running server serves it: stop that "
                    "server first, or build and serve elsewhere (REFLEX_WEB_WORKDIR=.web-2)"
                )
        yield directory


def _try_lock(lock: IO[str], kind: int) -> bool:
    try:
        fcntl.flock(lock, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _build(directory: Path, fingerprint: str, builder: Callable[[Path], None]) -> None:
    print(f"Building the production frontend in {directory} ...", flush=True)
    (directory / BUILD_INFO).unlink(missing_ok=True)  # an interrupted build is never taken for fresh
    builder(directory)
    if not (directory / CLIENT_DIR / "index.html").is_file():
        raise RuntimeError(f"the build left no {CLIENT_DIR / 'index.html'} in {directory}")
    if source_fingerprint() != fingerprint:
        print("The sources changed during the build: the next start builds again.", flush=True)
    built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (directory / BUILD_INFO).write_text(json.dumps({"fingerprint": fingerprint, "built_at": built_at}) + "\n")


# ---------------------------------------------------------------- serving


def serve(directory: Path, port: int, host: str = "0.0.0.0") -> None:
    """Serve the build in `directory` and the backend on one port until stopped (granian, as
    `reflex run --env prod --single-port` does, without its compile and build)."""
    from reflex_base import constants
    from reflex_base.environment import environment

    os.chdir(PROJECT_ROOT)
    os.environ.update(reflex_environment())
    environment.REFLEX_WEB_WORKDIR.set(directory)
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)  # the build above is what the browser gets
    # Each server's tab states live with its data (Reflex's default .states is per checkout),
    # and start empty, as `reflex run` starts them.
    if not environment.REFLEX_STATES_WORKDIR.is_set():
        environment.REFLEX_STATES_WORKDIR.set(settings.data_dir / "states")
    states = environment.REFLEX_STATES_WORKDIR.get()
    states.mkdir(parents=True, exist_ok=True)
    for stale in states.iterdir():
        if stale.is_file():
            stale.unlink()

    from reflex.utils import exec as reflex_exec
    from reflex_base.config import get_config

    reflex_exec.run_backend_prod(host, port, get_config().loglevel.subprocess_level(), mount_frontend_compiled_app=True)
