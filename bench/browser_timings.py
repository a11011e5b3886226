"""Browser timings (issue 7, part 2): list, a 100-reply thread and Send Reply, with a big backlog.

Real browser (Debian's Chromium via Playwright), production build, one app process on SQLite,
100,000 tickets in the workspace (plus one ticket with 100 replies). What each figure is:

  list cold       a fresh browser context (empty cache, new tab session; signed in through a
                  copied session cookie) opens /{ws}/tickets: navigation start -> the first
                  table row is in the page (performance.now() of a MutationObserver hit).
  list warm       a tab that runs the app already (on a ticket view) clicks the "Tickets"
                  header link (client-side navigation): click -> the first row shows the
                  ticket bumped just before (fresh data; the rows of an earlier visit stay in
                  the client's state, so "any first row" is also printed and is near zero).
  thread cold     a fresh context opens the 100-reply ticket: navigation start -> its last
                  reply is in the page.
  thread warm     a tab on the list clicks that ticket's link: click -> the reply added to it
                  just before (the last one) is in the page.
  own reply       on the ~100-reply thread, admin clicks Send Reply -> the reply is in the
                  admin's own thread.
  live update     the same clicks -> the reply is in the customer's open thread (other tab).

Admin for list and thread (sees all 100,000 tickets); the customer owns the long thread.
Not a test: it prints median and p95 and writes bench/results/browser_timings-<date>.json.

    .venv/bin/python -m bench.browser_timings [--tickets 100000] [--runs 20] [--port 3050]
"""

from __future__ import annotations

import argparse
import json
import time

from playwright.sync_api import sync_playwright
from sqlmodel import col, select

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
from xobito_web.db import read_session, write_session
from xobito_web.models import Ticket
from xobito_web.seed import seed_tickets
from xobito_web.services import rate_limits, tickets

WARMUP = 2  # first runs of each kind are dropped (sockets, caches, JIT)

# performance.now() (ms since navigation start) when `predicate` first holds; set in every new page.
COLD_WATCH = """(() => {
  window.__hit = null;
  // Where the time goes: the event socket opened, and the first message carrying %s arrived.
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

# Installs observers for each named predicate, then clicks `selector`; window.__seen resolves to
# {name: ms after the click}.
CLICK_AND_WATCH = """([selector, predicates]) => {
  const started = performance.now();
  const results = {};
  const pending = Object.entries(predicates).map(([name, source]) => new Promise(resolve => {
    const holds = new Function('return (' + source + ');');
    const observer = new MutationObserver(() => {
      let ok = false; try { ok = holds(); } catch (e) {}
      if (ok) { observer.disconnect(); results[name] = performance.now() - started; resolve(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  }));
  window.__seen = Promise.all(pending).then(() => results);
  document.querySelector(selector).click();
  return started;
}"""

FIRST_ROW = "document.querySelector('table tbody tr') !== null"
# The socket message that brings the rows / the thread (not the hydrate's empty defaults).
ROWS_DATA = '"rows_rx_state_":[{'
THREAD_DATA = '"messages_rx_state_":[{'


def first_row_has(ref: str) -> str:
    return f"(document.querySelector('table tbody tr') || {{textContent: ''}}).textContent.includes({json.dumps(ref)})"


def thread_has(marker: str) -> str:
    return f"(document.getElementById('thread') || {{textContent: ''}}).textContent.includes({json.dumps(marker)})"


def cold_visit(
    browser,
    cookies,
    url: str,
    predicate: str,
    data_key: str,
    phases: dict[str, list] | None = None,  # samples by phase, and the largest downloads
    with_bytes: bool = False,
) -> tuple[float, int]:
    context = signed_in_context(browser, cookies)
    context.add_init_script(COLD_WATCH % (data_key, json.dumps(data_key), predicate))
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.__hit !== null", timeout=30_000)
    hit = page.evaluate("window.__hit")
    if phases is not None:
        socket = page.evaluate("window.__socket")
        timing = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
        phases.setdefault("html received", []).append(timing["responseEnd"])
        phases.setdefault("event socket open", []).append(socket["open"] or float("nan"))
        phases.setdefault("socket open -> page data arrived", []).append(
            (socket["data"] or float("nan")) - (socket["open"] or 0)
        )
        phases.setdefault("page data arrived -> in the page", []).append(hit - (socket["data"] or float("nan")))
    transferred = 0
    if phases is not None and "largest downloads" not in phases:
        phases["largest downloads"] = page.evaluate(
            "() => performance.getEntriesByType('resource').map(e => [e.name.replace(location.origin, ''), e.transferSize,"
            " Math.round(e.responseEnd)]).sort((a, b) => b[1] - a[1]).slice(0, 8)"
        )
    if with_bytes:
        transferred = page.evaluate(
            "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce((sum, entry) => sum + (entry.transferSize || 0), 0)"
        )
    context.close()
    return hit, transferred


def click_and_measure(page, selector: str, predicates: dict[str, str]) -> dict[str, float]:
    page.evaluate(CLICK_AND_WATCH, [selector, predicates])
    return page.evaluate("() => window.__seen")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--port", type=int, default=3050)
    args = parser.parse_args()
    runs = args.runs + WARMUP
    results: dict = {"tickets": args.tickets, "runs": args.runs, "figures": {}}
    figures = results["figures"]

    with bench_app(args.port) as app:
        workspace = make_workspace(app.database_url, "browser timings bench")
        seeded = seed_tickets(workspace.subdomain, args.tickets, url=app.database_url)
        print(f"seeded {seeded.tickets} tickets + {seeded.replies} replies in {seeded.seconds:.1f} s", flush=True)
        users = people(app.database_url, workspace.subdomain)
        admin, customer = users[workspace.admin], users[workspace.customer]
        last_marker = "the-last-reply-of-the-long-thread"
        started = time.perf_counter()
        long_number = create_thread(app.database_url, customer, admin, "A long conversation", 100, last_marker)
        long_ref = tickets.format_ref(long_number)
        print(f"created {long_ref} with 100 replies in {time.perf_counter() - started:.1f} s", flush=True)
        with read_session(app.database_url) as session:  # open tickets to bump to the top, one per warm run
            open_numbers = list(
                session.exec(
                    select(Ticket.number)
                    .where(
                        Ticket.workspace_id == admin.workspace_id, Ticket.status == "open", Ticket.number != long_number
                    )
                    .order_by(col(Ticket.number))
                    .limit(runs)
                ).all()
            )

        def bump(user, number: int, text: str) -> None:
            with rate_limits.lifted(), write_session(app.database_url) as session:
                tickets.post_reply(session, user, number, text)

        list_url = f"{app.base_url}/{workspace.subdomain}/tickets"
        long_url = f"{list_url}/{long_ref}"
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            admin_cookies = session_cookies(
                browser, app.base_url, workspace.admin, workspace.password, workspace.subdomain
            )
            customer_cookies = session_cookies(
                browser, app.base_url, workspace.customer, workspace.password, workspace.subdomain
            )

            # Cold: a fresh context per run.
            list_cold, thread_cold, list_bytes, thread_bytes = [], [], [], []
            list_phases: dict[str, list] = {}
            thread_phases: dict[str, list] = {}
            for run in range(runs):
                hit, transferred = cold_visit(
                    browser,
                    admin_cookies,
                    list_url,
                    FIRST_ROW,
                    ROWS_DATA,
                    list_phases if run >= WARMUP else None,
                    with_bytes=True,
                )
                if run >= WARMUP:
                    list_cold.append(hit)
                    list_bytes.append(transferred / 1024)
                hit, transferred = cold_visit(
                    browser,
                    admin_cookies,
                    long_url,
                    thread_has(last_marker),
                    THREAD_DATA,
                    thread_phases if run >= WARMUP else None,
                    with_bytes=True,
                )
                if run >= WARMUP:
                    thread_cold.append(hit)
                    thread_bytes.append(transferred / 1024)

            # Warm: one tab that keeps running the app, going list <-> thread by its links.
            page = signed_in_context(browser, admin_cookies).new_page()
            page.goto(long_url)
            page.wait_for_function(thread_has(last_marker))
            list_warm_fresh, list_warm_any, thread_warm = [], [], []
            for run in range(runs):
                bumped = open_numbers[run]
                bump(admin, bumped, f"Warm list bench bump {run}.")
                seen = click_and_measure(
                    page, "a[href$='/tickets']", {"fresh": first_row_has(tickets.format_ref(bumped)), "any": FIRST_ROW}
                )
                if run >= WARMUP:
                    list_warm_fresh.append(seen["fresh"])
                    list_warm_any.append(seen["any"])
                marker = f"warm-thread-marker-{run}"
                bump(customer, long_number, f"Customer adds {marker}.")
                page.wait_for_selector(f"table tbody tr a:text-is('{long_ref}')")
                seen = click_and_measure(
                    page, f"table tbody a[href$='/tickets/{long_ref}']", {"last": thread_has(marker)}
                )
                if run >= WARMUP:
                    thread_warm.append(seen["last"])

            # Send Reply on the long thread: own reply (admin's tab) and live update (customer's tab).
            customer_page = signed_in_context(browser, customer_cookies).new_page()
            customer_page.goto(long_url)
            customer_page.wait_for_selector("#thread")
            own, live = [], []
            for run in range(runs):
                marker = f"send-reply-marker-{run}"
                page.locator("#reply-body").fill(f"Admin answers {marker}")
                customer_page.evaluate(
                    """marker => { window.__seen = new Promise(resolve => { const observer = new MutationObserver(() => {
                         if ((document.getElementById('thread') || {textContent: ''}).textContent.includes(marker)) {
                           observer.disconnect(); resolve(Date.now()); } });
                       observer.observe(document.body, {subtree: true, childList: true, characterData: true}); }); }""",
                    marker,
                )
                page.evaluate(
                    """marker => { const started = performance.now(); const clicked = Date.now();
                       window.__own = new Promise(resolve => { const observer = new MutationObserver(() => {
                         if ((document.getElementById('thread') || {textContent: ''}).textContent.includes(marker)) {
                           observer.disconnect(); resolve([performance.now() - started, clicked]); } });
                       observer.observe(document.body, {subtree: true, childList: true, characterData: true}); });
                       document.querySelector('#reply-body').form.querySelector('button[type=submit]').click(); }""",
                    marker,
                )
                own_ms, clicked = page.evaluate("() => window.__own")
                shown = customer_page.evaluate("() => window.__seen")
                if run >= WARMUP:
                    own.append(own_ms)
                    live.append(shown - clicked)
                page.wait_for_function(
                    "() => { const box = document.querySelector('#reply-body');"
                    " return box && box.value === '' && !box.form.querySelector('button[type=submit]').disabled; }"
                )
            browser.close()

    print()
    print(f"Browser timings, production build, {args.tickets} tickets, admin view (targets in issue 7):")
    figures["list_cold_ms"] = report("list cold: navigation -> first row (target 500)", list_cold)
    print("  list cold, largest downloads (path, bytes, done at ms):")
    for path, size, done in list_phases.pop("largest downloads"):
        print(f"    {size:>9,} B  {done:>6} ms  {path[:90]}")
    thread_phases.pop("largest downloads", None)
    for name, samples in list_phases.items():
        figures[f"list_cold_phase {name}"] = report(
            f"  list cold, {name} (ms since navigation start)" if "->" not in name else f"  list cold, {name}", samples
        )
    figures["list_warm_fresh_ms"] = report("list warm: click Tickets -> fresh first row (target 250)", list_warm_fresh)
    figures["list_warm_any_row_ms"] = report("list warm: click Tickets -> any (stale) first row", list_warm_any)
    figures["thread_cold_ms"] = report("thread cold: navigation -> last of 100 replies (target 500)", thread_cold)
    for name, samples in thread_phases.items():
        figures[f"thread_cold_phase {name}"] = report(
            f"  thread cold, {name} (ms since navigation start)" if "->" not in name else f"  thread cold, {name}",
            samples,
        )
    figures["thread_warm_ms"] = report("thread warm: click ticket -> its new last reply (target 250)", thread_warm)
    figures["own_reply_ms"] = report("Send Reply -> own reply visible (target 150)", own)
    figures["live_update_ms"] = report("admin Send Reply -> customer's thread shows it (median 300)", live)
    figures["list_cold_transferred_kb"] = report(
        "list cold: bytes transferred (navigation + resources)", list_bytes, unit="KB"
    )
    figures["thread_cold_transferred_kb"] = report("thread cold: bytes transferred", thread_bytes, unit="KB")
    write_results("browser_timings", results)


if __name__ == "__main__":
    main()
