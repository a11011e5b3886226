"""Our list and thread against the framework's floor (issue 17): an empty Reflex page, same rows.

In one run, with one Chromium, the bench measures four pages in interleaved rounds:

  ours list      /{ws}/tickets as the admin of a workspace of --tickets tickets (25 rows);
  ours thread    /{ws}/tickets/{ref}, a ticket of --rows messages;
  floor list     an empty Reflex app (built by this bench in a temp dir from the project's own
                 Reflex and bun, served by Reflex's own production server, granian with the
                 compiled frontend mounted) whose page loads 25 rows from its state on load and
                 shows them in a plain table;
  floor thread   the same page with as many rows as the thread has messages.

navigation start -> the first row is in the page (performance.now() of a MutationObserver hit in
the new document), two ways:

  cold   a new browser context per visit (empty cache; ours signed in by a copied session cookie);
  warm   the same tab navigates to the same address again (page.goto: a full page load with the
         tab's HTTP cache, cookies and connections warm).

Each round visits the four pages cold and then warm, in an order that rotates every round, so
the machine's other load (it is shared) falls on ours and the floor alike. Prints medians, p95s
and the ratios ours / floor (target <= 1.2), with the median of the per-round ratios and its 95 %
interval (whether the run can tell the target met or not), and where the time goes (bytes and
requests per page, requests that went to the network on a warm load, when the event socket
opened, when the rows arrived). Writes bench/results/floor-<date>.json. `--trace DIR` also saves a Chromium
performance trace of one cold and one warm load of each page (open in chrome://tracing or
DevTools' Performance panel).

    .venv/bin/python -m bench.floor [--rounds 15] [--tickets 100000] [--rows 25] [--port 3050]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import (
    bench_app,
    create_thread,
    launch_chromium,
    people,
    report,
    session_cookies,
    signed_in_context,
    write_results,
)
from tests.e2e.conftest import make_workspace
from tests.servers import wait_until_up
from xobito_web.production import reflex_environment
from xobito_web.seed import seed_tickets
from xobito_web.services import tickets

WARMUP_ROUNDS = 2
TARGET = 1.2  # ours / floor
LIST_ROWS = 25  # the list's page size
ROWS_DATA = '"rows_rx_state_":[{'  # the socket message that brings the rows

FLOOR_RXCONFIG = """\
import os

import reflex as rx

port = os.environ["FLOOR_PORT"]
config = rx.Config(
    app_name="floor",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    api_url=f"http://localhost:{port}",
    deploy_url=f"http://localhost:{port}",
    disable_plugins=[rx.plugins.SitemapPlugin],
)
"""

# The empty page: rows from state on load (as long as ours, field for field), a plain table.
FLOOR_APP = """\
import reflex as rx


class Rows(rx.State):
    rows: list[dict[str, str]] = []

    @rx.event
    def load(self):
        count = int(self.router.url.query_parameters.get("n", "25"))
        self.rows = [
            {
                "ref": f"T-{100000 - index}",
                "subject": f"Row {index}: a subject about as long as a ticket's usually is",
                "customer": "Customer Name",
                "department": "Support",
                "status": "Open",
                "priority": "Medium",
                "when": "2 hours ago",
            }
            for index in range(count)
        ]


def row(item) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.el.a(item["ref"], href="/")),
        rx.el.td(item["subject"]),
        rx.el.td(item["customer"]),
        rx.el.td(item["department"]),
        rx.el.td(item["status"]),
        rx.el.td(item["priority"]),
        rx.el.td(item["when"]),
    )


def index() -> rx.Component:
    return rx.el.main(rx.el.table(rx.el.tbody(rx.foreach(Rows.rows, row))))


app = rx.App()
app.add_page(index, route="/", on_load=Rows.load)
"""

FLOOR_SERVE = """\
import sys
from pathlib import Path

from reflex_base import constants
from reflex_base.config import get_config
from reflex_base.environment import environment

environment.REFLEX_WEB_WORKDIR.set(Path(".web").resolve())
environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
environment.REFLEX_SKIP_COMPILE.set(True)

from reflex.utils import exec as reflex_exec

reflex_exec.run_backend_prod(
    "127.0.0.1", int(sys.argv[1]), get_config().loglevel.subprocess_level(), mount_frontend_compiled_app=True
)
"""

# Installed in every document: performance.now() when `predicate` first holds, when the event
# socket opened and when its first message carrying `data_key` (the rows) arrived.
WATCH = """(() => {
  window.__hit = null;
  window.__socket = {open: null, data: null};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { if (window.__socket.open === null) window.__socket.open = performance.now(); });
      this.addEventListener('message', event => {
        if (window.__socket.data === null && typeof event.data === 'string' && event.data.includes(%s)) window.__socket.data = performance.now();
      });
    }
  };
  const holds = () => { try { return %s; } catch (e) { return false; } };
  const check = () => { if (window.__hit === null && holds()) { window.__hit = performance.now(); observer.disconnect(); } };
  const observer = new MutationObserver(check);
  observer.observe(document, {subtree: true, childList: true, characterData: true});
})();"""

# What the document loaded: bytes, requests, and which of them went to the network.
RESOURCES = """() => {
  const entries = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'));
  const sameOrigin = entries.filter(e => e.name.startsWith(location.origin));
  return {
    requests: sameOrigin.length,
    network: sameOrigin.filter(e => e.transferSize > 0).length,
    transferred: sameOrigin.reduce((sum, e) => sum + (e.transferSize || 0), 0),
    decoded: sameOrigin.reduce((sum, e) => sum + (e.decodedBodySize || 0), 0),
    scripts: sameOrigin.filter(e => e.name.endsWith('.js')).length,
    styles: sameOrigin.filter(e => e.name.endsWith('.css')).length,
  };
}"""


class Target:
    """One page measured: its address, how its first row is found, how its rows arrive."""

    def __init__(self, name: str, url: str, first_row: str, data_key: str, cookies: list[dict] | None):
        self.name, self.url, self.first_row, self.data_key, self.cookies = name, url, first_row, data_key, cookies
        self.samples: dict[str, list[float]] = {}
        self.details: dict[str, dict[str, list[float]]] = {"cold": {}, "warm": {}}
        self.warm_page = None

    def context(self, browser):
        context = signed_in_context(browser, self.cookies) if self.cookies else browser.new_context()
        context.add_init_script(WATCH % (json.dumps(self.data_key), self.first_row))
        return context

    def visit(self, page) -> dict:
        page.goto(self.url, wait_until="commit")
        page.wait_for_function("window.__hit !== null", timeout=60_000)
        socket = page.evaluate("window.__socket")
        timing = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
        return {
            "first row": page.evaluate("window.__hit"),
            "html received": timing["responseEnd"],
            "event socket open": socket["open"] if socket["open"] is not None else float("nan"),
            "rows arrived": socket["data"] if socket["data"] is not None else float("nan"),
            **{f"resources {key}": value for key, value in page.evaluate(RESOURCES).items()},
        }

    def record(self, kind: str, figures: dict) -> None:
        self.samples.setdefault(kind, []).append(figures["first row"])
        for key, value in figures.items():
            self.details[kind].setdefault(key, []).append(value)


def cold(browser, target: Target, trace: Path | None = None) -> dict:
    context = target.context(browser)
    page = context.new_page()
    if trace:
        browser.start_tracing(page=page, path=str(trace), screenshots=False)
    figures = target.visit(page)
    if trace:
        browser.stop_tracing()
    context.close()
    return figures


def warm(browser, target: Target, trace: Path | None = None) -> dict:
    if target.warm_page is None:
        target.warm_page = target.context(browser).new_page()
        target.visit(target.warm_page)
    if trace:
        browser.start_tracing(page=target.warm_page, path=str(trace), screenshots=False)
    figures = target.visit(target.warm_page)
    if trace:
        browser.stop_tracing()
    return figures


# ---------------------------------------------------------------- the ratio's uncertainty


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """A distribution-free interval for the median of what `values` sample (order statistics).

    With n samples the true median lies below the k-th smallest with probability P(Bin(n, ½) < k),
    and above the k-th largest with the same, so [k-th smallest, k-th largest] covers it with
    probability 1 - 2·P(Bin(n, ½) < k): the largest k that keeps that >= `confidence` is taken.
    Needs no assumption about how load spreads the per-round ratios; n = 15 gives the 4th and 12th."""
    ordered = sorted(values)
    n = len(ordered)
    below = 0.0  # P(Bin(n, ½) < k)
    k = 0
    while k < n:
        step = math.comb(n, k) / 2**n
        if 2 * (below + step) > 1 - confidence:
            break
        below += step
        k += 1
    if k == 0:  # too few samples for this confidence
        return ordered[0], ordered[-1]
    return ordered[k - 1], ordered[n - k]


def verdict(low: float, high: float, target: float) -> str:
    if high <= target:
        return "met"
    if low > target:
        return "NOT met"
    return "cannot tell at this many rounds"


# ---------------------------------------------------------------- the floor app


def build_floor(directory: Path, port: int) -> None:
    (directory / "floor").mkdir(parents=True, exist_ok=True)
    (directory / "rxconfig.py").write_text(FLOOR_RXCONFIG)
    (directory / "floor" / "__init__.py").write_text("")
    (directory / "floor" / "floor.py").write_text(FLOOR_APP)
    (directory / "serve_floor.py").write_text(FLOOR_SERVE)
    env = {**reflex_environment(), "FLOOR_PORT": str(port)}
    env.pop("REFLEX_WEB_WORKDIR", None)
    started = time.monotonic()
    command = [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"]
    result = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the floor app's build failed:\n{(result.stdout + result.stderr)[-4000:]}")
    print(f"floor app built in {directory} in {time.monotonic() - started:.0f} s", flush=True)


def start_floor(directory: Path, port: int) -> subprocess.Popen:
    env = {**reflex_environment(), "FLOOR_PORT": str(port)}
    env.pop("REFLEX_WEB_WORKDIR", None)
    env.pop("REFLEX_STATES_WORKDIR", None)
    log_path = directory / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "serve_floor.py", str(port)],
        cwd=directory,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until_up(f"http://localhost:{port}/ping", process, log_path)
    wait_until_up(f"http://localhost:{port}/", process, log_path)
    return process


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=25, help="messages in the thread measured")
    parser.add_argument("--port", type=int, default=3050, help="our app; the floor app takes port + 9")
    parser.add_argument("--floor-dir", type=Path, help="build the floor app here (default: a new temp dir)")
    parser.add_argument("--trace", type=Path, help="save Chromium performance traces into this folder")
    parser.add_argument("--label", default="", help="results file bench/results/floor-<label>-<date>.json")
    args = parser.parse_args()
    floor_port = args.port + 9
    floor_dir = args.floor_dir or Path(tempfile.mkdtemp(prefix="xobito-floor-"))
    build_floor(floor_dir, floor_port)
    floor_server = start_floor(floor_dir, floor_port)
    try:
        with bench_app(args.port) as app:
            workspace = make_workspace(app.database_url, "floor bench")
            seeded = seed_tickets(workspace.subdomain, args.tickets, url=app.database_url)
            print(f"seeded {seeded.tickets} tickets + {seeded.replies} replies in {seeded.seconds:.1f} s", flush=True)
            users = people(app.database_url, workspace.subdomain)
            admin, customer = users[workspace.admin], users[workspace.customer]
            number = create_thread(app.database_url, customer, admin, "A conversation", args.rows - 1)
            list_url = f"{app.base_url}/{workspace.subdomain}/tickets"
            floor_url = f"http://localhost:{floor_port}/"
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                cookies = session_cookies(
                    browser, app.base_url, workspace.admin, workspace.password, workspace.subdomain
                )
                targets = [
                    Target(
                        "ours list", list_url, "document.querySelector('table tbody tr') !== null", ROWS_DATA, cookies
                    ),
                    Target(
                        "ours thread",
                        f"{list_url}/{tickets.format_ref(number)}",
                        "document.querySelector('#thread .message') !== null",
                        '"messages_rx_state_":[{',
                        cookies,
                    ),
                    Target(
                        "floor list",
                        f"{floor_url}?n={LIST_ROWS}",
                        "document.querySelector('table tbody tr') !== null",
                        ROWS_DATA,
                        None,
                    ),
                    Target(
                        "floor thread",
                        f"{floor_url}?n={args.rows}",
                        "document.querySelector('table tbody tr') !== null",
                        ROWS_DATA,
                        None,
                    ),
                ]
                started = time.monotonic()
                for round_number in range(WARMUP_ROUNDS + args.rounds):
                    shift = round_number % len(targets)
                    order = targets[shift:] + targets[:shift]
                    for kind, visit in (("cold", cold), ("warm", warm)):
                        for target in order:
                            figures = visit(browser, target)
                            if round_number >= WARMUP_ROUNDS:
                                target.record(kind, figures)
                    if round_number >= WARMUP_ROUNDS:
                        print(
                            f"round {round_number - WARMUP_ROUNDS + 1}/{args.rounds} "
                            + "  ".join(
                                f"{t.name} {t.samples['cold'][-1]:.0f}/{t.samples['warm'][-1]:.0f}" for t in targets
                            )
                            + f"  (cold/warm ms, load {os.getloadavg()[0]:.1f})",
                            flush=True,
                        )
                elapsed = time.monotonic() - started
                if args.trace:
                    args.trace.mkdir(parents=True, exist_ok=True)
                    for target in targets:
                        stem = target.name.replace(" ", "-")
                        cold(browser, target, args.trace / f"{stem}-cold.json")
                        warm(browser, target, args.trace / f"{stem}-warm.json")
                    print(f"traces written to {args.trace}", flush=True)
                browser.close()
    finally:
        stop(floor_server)

    results: dict = {
        "tickets": args.tickets,
        "rows": {"list": LIST_ROWS, "thread": args.rows},
        "rounds": args.rounds,
        "seconds": round(elapsed, 1),
        "figures": {},
        "ratios": {},
        "details": {},
    }
    print(f"\nnavigation -> first row, {args.rounds} interleaved rounds (ms):")
    by_name = {target.name: target for target in targets}
    for target in targets:
        for kind in ("cold", "warm"):
            results["figures"][f"{target.name} {kind}"] = report(f"{target.name} {kind}", target.samples[kind])
            results["details"][f"{target.name} {kind}"] = {
                key: report(f"    {key}", values, unit="  ")["median"] for key, values in target.details[kind].items()
            }
    print("\nours / floor (medians; target <= 1.2):")
    for page in ("list", "thread"):
        for kind in ("warm", "cold"):
            ours = results["figures"][f"ours {page} {kind}"]["median"]
            floor = results["figures"][f"floor {page} {kind}"]["median"]
            paired = sorted(
                a / b
                for a, b in zip(
                    by_name[f"ours {page}"].samples[kind], by_name[f"floor {page}"].samples[kind], strict=False
                )
            )
            ratio = round(ours / floor, 2)
            low, high = median_interval(paired)
            results["ratios"][f"{page} {kind}"] = {
                "ours_ms": ours,
                "floor_ms": floor,
                "ratio": ratio,
                "median_of_round_ratios": round(statistics.median(paired), 2),
                "median_of_round_ratios_95": [round(low, 2), round(high, 2)],
            }
            print(
                f"  {page:<7}{kind}: {ours:7.1f} / {floor:7.1f} ms = {ratio:.2f}x  {'met' if ratio <= TARGET else 'NOT met'}"
                f"   per-round ratios: median {statistics.median(paired):.2f}, 95% interval {low:.2f}–{high:.2f}"
                f" ({verdict(low, high, TARGET)})"
            )
    print(
        textwrap.dedent(f"""
        The machine is shared: load average {os.getloadavg()} at the end; rounds are interleaved so it
        hits ours and the floor alike.""").strip()
    )
    write_results(f"floor-{args.label}" if args.label else "floor", results)


if __name__ == "__main__":
    main()
