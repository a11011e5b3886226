"""Live update latency: admin clicks Send Reply -> the reply is visible in the customer's thread.

Real browsers (Debian's Chromium), production build. Starts its own servers: the embedded
default on one process, then (with --redis) two workers on PostgreSQL + Redis with the two
browsers on different workers. Prints median and p95 and writes
bench/results/live_latency-<date>.json; not a test.

    .venv/bin/python -m bench.live_latency [--runs 30] [--redis] [--port 3050]  (workers on port+1, port+2)
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import BENCH_TAG, launch_chromium, report, write_results
from tests.e2e.conftest import make_workspace
from tests.e2e.helpers import sign_in
from tests.servers import embedded_app, scaled_workers

# window.__seen resolves with Date.now() when `marker` first appears in the page.
WATCH_FOR = """marker => { window.__seen = new Promise(resolve => {
  const seen = () => document.body.innerText.includes(marker);
  const observer = new MutationObserver(() => { if (seen()) { observer.disconnect(); resolve(Date.now()); } });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}); }"""
CLICK_SEND = """() => {
  const button = document.querySelector('#reply-body').form.querySelector('button[type=submit]');
  const clicked = Date.now(); button.click(); return clicked;
}"""
READY_AGAIN = """() => { const box = document.querySelector('#reply-body');
  return box && box.value === '' && !box.form.querySelector('button[type=submit]').disabled; }"""


def measure(customer_url: str, admin_url: str, database_url: str, runs: int) -> list[float]:
    workspace = make_workspace(database_url, "live latency bench")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        customer = browser.new_context().new_page()
        admin = browser.new_context().new_page()
        sign_in(customer, customer_url, workspace.customer, workspace.password, workspace.subdomain)
        sign_in(admin, admin_url, workspace.admin, workspace.password, workspace.subdomain)
        customer.get_by_role("link", name="New Ticket").first.click()
        customer.get_by_label("Subject").fill("Latency bench")
        customer.get_by_role("combobox", name="Department").click()
        customer.get_by_role("option", name="Support").click()
        customer.get_by_label("Message").fill("Measuring live updates.")
        customer.get_by_role("button", name="Create Ticket").click()
        customer.wait_for_selector("text=TKT-000001")
        admin.goto(f"{admin_url}/{workspace.subdomain}/tickets/TKT-000001")
        admin.wait_for_selector("text=Latency bench")
        samples = []
        for run in range(runs + 2):
            marker = f"live-bench-marker-{run}"
            admin.get_by_label("Message").fill(f"Reply {marker}")
            customer.evaluate(WATCH_FOR, marker)
            clicked = admin.evaluate(CLICK_SEND)
            shown = customer.evaluate("() => window.__seen")
            if run >= 2:  # the first two warm up sockets and caches
                samples.append(shown - clicked)
            admin.wait_for_function(READY_AGAIN)
        browser.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--redis", action="store_true", help="also measure two workers on PostgreSQL + Redis")
    parser.add_argument("--port", type=int, default=3050, help="the one-process server; the workers take the next two")
    args = parser.parse_args()

    results = {}
    with embedded_app(Path(tempfile.mkdtemp()), args.port, tag=BENCH_TAG, replace_leftover=True) as app:
        results["one_process_sqlite_ms"] = report(
            "one process (SQLite)", measure(app.base_url, app.base_url, app.database_url, args.runs), width=40
        )
    if args.redis:
        from tests.conftest import postgres_database

        redis_url = os.environ.get("XOBITO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        with (
            postgres_database("xobito_bench") as database_url,
            scaled_workers(
                Path(tempfile.mkdtemp()), database_url, redis_url, (args.port + 1, args.port + 2), tag=BENCH_TAG
            ) as (worker_a, worker_b),
        ):
            results["two_workers_postgresql_redis_ms"] = report(
                "two workers (PostgreSQL + Redis)",
                measure(worker_a.base_url, worker_b.base_url, database_url, args.runs),
                width=40,
            )
    write_results("live_latency", results)


if __name__ == "__main__":
    main()
