"""Other tabs' event round trip while the server does heavy work (issue 11, part 2).

One app process, in-process: the app's own Reflex event processing (the app as middleware, as
tests/security/driver.py drives it) and its HTTP routes (the real sign-in route, through an ASGI
client) share one event loop and its thread pool, as they do in `xobito serve`. A watcher tab
sends a small event every 10 ms (Close Ticket's dialog toggled: the lock, the middleware, the
handler, the delta) and the round trip of each is recorded:

- idle: nothing else happening;
- sign-in storm: 20 people sign in at once (Argon2, ≈ 120 ms of CPU and 64 MiB each);
- large docx: a 110,000-entry .docx (just under 10 MB) is received and checked, as an upload is.

    .venv/bin/python -m bench.event_stalls [--label after] [--people 20] [--entries 110000]

Run it from an older checkout (same script) to get the "before" figures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import shutil
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

from bench.common import write_results
from tests.security.driver import Browser, Tab
from tests.unit import samples
from xobito_web import db, migrations
from xobito_web.db import write_session
from xobito_web.routes import build_api
from xobito_web.services import attachments, auth, tickets, workspaces
from xobito_web.state.ticket_view import TicketViewState

PASSWORD = "bench password"
PROBE_EVERY = 0.010


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def figures(name: str, samples: list[float], seconds: float) -> dict:
    found = {
        "median_ms": round(statistics.median(samples), 2) if samples else None,
        "p99_ms": round(percentile(samples, 0.99), 2),
        "max_ms": round(max(samples, default=0.0), 2),
        "probes": len(samples),
        "phase_seconds": round(seconds, 2),
    }
    print(
        f"{name:<34} median {found['median_ms']:7.2f} ms   p99 {found['p99_ms']:7.2f} ms   "
        f"max {found['max_ms']:8.2f} ms   ({found['probes']} probes over {found['phase_seconds']} s)",
        flush=True,
    )
    return found


def many_entries_docx(entries: int) -> bytes:
    out = io.BytesIO(samples.docx())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as archive:
        for number in range(entries):
            archive.writestr(f"{number:x}", b"")
    return out.getvalue()


async def probe_while(browser: Browser, tab: Tab, work) -> tuple[list[float], float]:
    """Round trips of the watcher's event for as long as `work` runs."""
    samples: list[float] = []
    task = asyncio.ensure_future(work)
    started = time.perf_counter()
    while not task.done():
        sent = time.perf_counter()
        await browser.send(tab, TicketViewState, "set_confirm_close_open", value=False)
        samples.append((time.perf_counter() - sent) * 1000)
        await asyncio.sleep(PROBE_EVERY)
    await task
    return samples, time.perf_counter() - started


async def run(people: int, entries: int, folder: Path) -> dict:
    url = f"sqlite:///{folder / 'bench.db'}"
    migrations.upgrade(url)
    db.settings = dataclasses.replace(db.settings, database_url=url)
    with write_session(url) as session:
        workspace = workspaces.create_workspace(session, "acme", "Acme")
        support = workspaces.create_department(session, workspace, "Support")
        customer = workspaces.create_user(session, workspace, "c@x.example.com", "Cleo", "customer", PASSWORD, ())
        emails = [f"p{n}@x.example.com" for n in range(people)]
        for email in emails:
            workspaces.create_user(session, workspace, email, email, "customer", PASSWORD, ())
    token, cleo = auth.sign_in("acme", customer.email, PASSWORD, database_url=url)
    with write_session(url) as session:
        created = tickets.create_ticket(session, cleo, "Printer", support.id, "high", "It smokes a lot.")
    docx = many_entries_docx(entries)
    results: dict = {"people": people, "docx_entries": entries, "docx_bytes": len(docx)}

    async with Browser() as browser:
        watcher = Tab(f"/acme/tickets/{created.ref}", token)
        await browser.open(watcher, TicketViewState)

        async def idle() -> None:
            await asyncio.sleep(3)

        async def storm() -> None:
            transport = httpx.ASGITransport(app=build_api(database_url=url))
            headers = {"Accept": "application/json", "Origin": "http://bench", "Sec-Fetch-Site": "same-origin"}

            async def sign_in(email: str) -> int:
                async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                    answer = await client.post(
                        "/acme/login", data={"email": email, "password": PASSWORD}, headers=headers
                    )
                    return answer.status_code

            codes = await asyncio.gather(*(sign_in(email) for email in emails))
            results["sign_in_codes"] = sorted(set(codes))

        async def upload() -> None:
            staged = await asyncio.to_thread(attachments.stage_bytes, "big.docx", docx)
            attachments.discard([staged])

        for name, work in (("idle", idle), (f"sign-in storm ({people} people)", storm), ("large docx", upload)):
            samples, seconds = await probe_while(browser, watcher, work())
            results[name.split(" (")[0]] = figures(name, samples, seconds)
        if browser.crashes:
            results["crashes"] = [repr(error) for _name, error in browser.crashes]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="after")
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--entries", type=int, default=110_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="xobito-stalls-"))
    try:
        results = asyncio.run(run(args.people, args.entries, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    write_results(f"event_stalls-{args.label}", {"label": args.label, **results})


if __name__ == "__main__":
    main()
