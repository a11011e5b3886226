"""List timings: each list query in the service, and the same list through the Reflex state event.

Seeds its own databases with the CLI's bulk seeder (a new SQLite file, and/or a database of
its own on the local PostgreSQL server) at each size. For each query it times

- the service: `tickets.list_tickets` in one read transaction;
- the state event: `TicketListState.load` on an in-process Reflex state, as a new tab on
  `/{subdomain}/tickets?<filter>` runs it right after its hydrate (router data and the
  session cookie already there), then building the delta the browser receives (resolved and
  JSON-encoded, as the server sends it), whose size is reported too, and the CPU time the
  event took (which the machine's other work does not inflate, on SQLite at least).

It prints median and p95 of each and writes them to bench/results/list-queries-<databases>-<date>.json.
Not a test, but it checks that the state event showed the very rows the service returns.

    .venv/bin/python -m bench.list_queries [--sizes 10000,100000] [--databases sqlite,postgresql] [--runs 50]
        [--profile /tmp/list-profiles]   # then: python -m pstats /tmp/list-profiles/sqlite-100000/<query>.prof
"""

from __future__ import annotations

import os

# The state classes differ between dev and prod mode (dev checks every assignment), so pick
# the mode the server runs in before anything imports reflex.
os.environ.setdefault("REFLEX_ENV_MODE", "prod")

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import datetime
import json
import re
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import reflex as rx
from reflex_base.constants import RouteArgType, RouteVar
from reflex_base.utils.format import json_dumps
from sqlmodel import col, select

import xobito_web.db
import xobito_web.state.login
import xobito_web.state.new_ticket
import xobito_web.state.ticket_view
from bench.common import source_version
from xobito_web import migrations
from xobito_web.db import get_engine, read_session, write_session
from xobito_web.models import Role, User
from xobito_web.seed import DEMO_PASSWORD, seed_tickets
from xobito_web.services import auth, tickets, workspaces
from xobito_web.services.auth import CurrentUser
from xobito_web.state.ticket_list import TicketListState

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
STAFF_PASSWORD = "bench-password"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed(runs: int, action) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


@contextlib.contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory(prefix="xobito-list-bench-") as folder:  # 1M tickets: 0.7 GB
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        try:
            yield url
        finally:
            get_engine(url).dispose()


@contextlib.contextmanager
def app_database(url: str):
    """Point the app's own sessions (`read_session()` without a URL, as the states use it) at `url`."""
    saved = xobito_web.db.settings
    xobito_web.db.settings = dataclasses.replace(saved, database_url=url)
    try:
        yield
    finally:
        xobito_web.db.settings = saved


@dataclasses.dataclass(frozen=True)
class Person:
    user: CurrentUser
    session_token: str  # the value of the browser's session cookie


def people(url: str, subdomain: str) -> dict[str, Person]:
    """An admin, a staff member (of one department) and a customer, each signed in."""
    with write_session(url) as session:
        workspace = workspaces.get_workspace(session, subdomain)
        first_department = workspaces.list_departments(session, workspace.id)[0]
        workspaces.create_user(
            session,
            workspace,
            "bench-staff@example.com",
            "Bench Staff",
            "staff",
            STAFF_PASSWORD,
            [first_department.name],
        )

        def first_email(role: Role) -> str:
            email = session.exec(
                select(User.email)
                .where(User.workspace_id == workspace.id, col(User.role) == role.value)
                .order_by(col(User.id))
            ).first()
            assert email is not None, f"the seeded workspace has no {role.value}"
            return email

        logins = {
            "admin": (first_email(Role.ADMIN), DEMO_PASSWORD),  # the seeder's people share its password
            "staff": ("bench-staff@example.com", STAFF_PASSWORD),
            "customer": (first_email(Role.CUSTOMER), DEMO_PASSWORD),
        }
    found = {}
    for who, (email, password) in logins.items():
        token, user = auth.sign_in(subdomain, email, password, database_url=url)
        found[who] = Person(user, token)
    return found


@dataclasses.dataclass(frozen=True)
class Case:
    who: str
    filters: tickets.TicketFilter = dataclasses.field(default_factory=tickets.TicketFilter)
    after: str | None = None

    def url_query(self) -> dict[str, str]:
        """The same list as the list page's URL query (what TicketListState._url writes)."""
        filters, query = self.filters, {}
        if filters.statuses != tickets.DEFAULT_STATUSES:
            query["status"] = ",".join(filters.statuses) or "all"
        if filters.priorities:
            query["priority"] = ",".join(filters.priorities)
        if filters.department_ids:
            query["department"] = ",".join(str(i) for i in filters.department_ids)
        if filters.search:
            query["q"] = filters.search
        if filters.assigned_to_me:
            query["mine"] = "1"
        if self.after:
            query["after"] = self.after
        return query


def list_cases(department_id: int, page_50_cursor: str | None) -> dict[str, Case]:
    return {
        "admin, default filter, first page": Case("admin"),
        "admin, status Closed": Case("admin", tickets.TicketFilter(statuses=("closed",))),
        "admin, all statuses": Case("admin", tickets.TicketFilter(statuses=())),
        "admin, priority Urgent": Case("admin", tickets.TicketFilter(priorities=("urgent",))),
        "admin, department": Case("admin", tickets.TicketFilter(department_ids=(department_id,))),
        "admin, search one word": Case("admin", tickets.TicketFilter(search="refund")),
        "admin, search two words": Case("admin", tickets.TicketFilter(search="refund login")),
        "admin, page 50": Case("admin", after=page_50_cursor),
        "staff, default filter": Case("staff"),
        "customer, default filter": Case("customer"),
    }


# ---------------------------------------------------------------- the state event


def router_data(subdomain: str, query: dict[str, str], token: str) -> dict:
    """What the app's event namespace puts in router_data for an event of the list page."""
    as_path = f"/{subdomain}/tickets" + (f"?{urlencode(query)}" if query else "")
    return {
        RouteVar.PATH: "/[subdomain]/tickets",  # the route pattern
        RouteVar.ORIGIN: as_path,  # the browser's path and query
        RouteVar.QUERY: {"subdomain": subdomain, **query},
        # The connection's cookie, hashed as session_guard hands it to Reflex.
        RouteVar.HEADERS: {
            "origin": "http://localhost:3000",
            "cookie": f"{auth.SESSION_COOKIE}={auth.hash_token(token)}",
        },
        RouteVar.CLIENT_TOKEN: "bench-tab",
        RouteVar.SESSION_ID: "bench-sid",
        RouteVar.CLIENT_IP: "127.0.0.1",
    }


async def hydrated_tab(subdomain: str, person: Person, query: dict[str, str]) -> tuple[rx.State, TicketListState]:
    """A new tab on the list page whose hydrate is done: its load event comes next."""
    rx.State.setup_dynamic_args({"subdomain": RouteArgType.SINGLE})  # as app.add_page does
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]  # Reflex's internal flag, taken by **kwargs
    root.router_data = root._update_router_vars(router_data(subdomain, query, person.session_token), {})
    screen = await root.get_state(TicketListState)
    await root._get_resolved_delta()  # what the hydrate sent
    root._clean()
    return root, screen


async def state_event(root: rx.State, screen: TicketListState) -> tuple[float, float, float, int]:
    """The load handler, then the delta as the server sends it.

    Returns handler ms, delta ms, the CPU ms this thread spent on both (on SQLite that is all
    the work: more wall time than CPU time means the process waited for a core), delta bytes.
    """
    cpu_started, started = time.thread_time(), time.perf_counter()
    # The background load event's body in line: capture the request, read, show.
    request = screen._load_request()
    redirect = await screen._show_page(request, TicketListState._read_page(request))
    handled = time.perf_counter()
    payload = json_dumps(await root._get_resolved_delta())
    root._clean()
    done, cpu_done = time.perf_counter(), time.thread_time()
    assert redirect is None, f"the load event redirected: {redirect}"
    return (handled - started) * 1000, (done - handled) * 1000, (cpu_done - cpu_started) * 1000, len(payload.encode())


async def time_state_event(
    runs: int, subdomain: str, person: Person, case: Case, expected: tickets.TicketPage, profile: Path | None = None
) -> dict:
    query = case.url_query()
    # Once untimed (warms the caches), checking the event showed what the service returns.
    root, screen = await hydrated_tab(subdomain, person, query)
    await state_event(root, screen)
    assert screen.signed_in, "the session cookie was not accepted"
    assert screen.rows, "the state event loaded no rows"
    assert [row.ref for row in screen.rows] == [row.ref for row in expected.rows], (
        "the state showed other rows than the service"
    )
    assert screen.next_cursor == (expected.next_cursor or "")

    handler, delta, total, cpu, sizes = [], [], [], [], []
    for _ in range(runs):
        root, screen = await hydrated_tab(subdomain, person, query)  # untimed: a fresh tab each run
        handler_ms, delta_ms, cpu_ms, size = await state_event(root, screen)
        handler.append(handler_ms)
        delta.append(delta_ms)
        total.append(handler_ms + delta_ms)
        cpu.append(cpu_ms)
        sizes.append(size)
    figures = {}
    for name, samples in (("", total), ("handler_", handler), ("delta_", delta), ("cpu_", cpu)):
        median, p95 = percentiles(samples)
        figures[f"{name}median_ms"], figures[f"{name}p95_ms"] = round(median, 3), round(p95, 3)
    figures["delta_bytes"] = max(sizes)
    if profile is not None:  # more runs under cProfile, after the timed ones so they stay clean
        profiler = cProfile.Profile()
        for _ in range(runs):
            root, screen = await hydrated_tab(subdomain, person, query)
            profiler.enable()
            await state_event(root, screen)
            profiler.disable()
        profiler.dump_stats(profile)
    return figures


# ---------------------------------------------------------------- one database, one size


def measure(url: str, size: int, runs: int, profile_dir: Path | None = None) -> dict:
    migrations.upgrade(url)
    with write_session(url) as session:
        subdomain = workspaces.create_workspace(session, "bench", "Bench").subdomain
    figures = seed_tickets(subdomain, size, url=url)
    print(f"  seeded {figures.tickets:,} tickets + {figures.replies:,} replies in {figures.seconds:.1f} s", flush=True)
    who = people(url, subdomain)
    with read_session(url) as session:
        departments = workspaces.list_departments(session, who["admin"].user.workspace_id)

    def page(case: Case) -> tickets.TicketPage:
        with read_session(url) as session:
            return tickets.list_tickets(session, who[case.who].user, case.filters, after=case.after)

    cursor = None
    for _ in range(49):
        cursor = page(Case("admin", after=cursor)).next_cursor
    cases = list_cases(departments[1].id, cursor)

    service, state = {}, {}
    load_before = os.getloadavg()[0]
    print(
        f"  {'query':<36} {'service ms':>14} {'state event ms':>15} {'handler ms':>13} {'delta ms':>11} {'event CPU ms':>13} {'delta KB':>9}"
    )
    print(f"  {'':<36} {'median/p95':>14} {'median/p95':>15} {'median/p95':>13} {'median/p95':>11} {'median/p95':>13}")
    with app_database(url):
        for name, case in cases.items():
            page(case)  # warm the caches once
            median, p95 = timed(runs, partial(page, case))
            service[name] = {"median_ms": round(median, 3), "p95_ms": round(p95, 3)}
            profile = profile_dir / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.prof" if profile_dir else None
            event = asyncio.run(time_state_event(runs, subdomain, who[case.who], case, page(case), profile))
            state[name] = event
            print(
                f"  {name:<36} {median:>6.2f}/{p95:<7.2f} {event['median_ms']:>6.2f}/{event['p95_ms']:<8.2f}"
                f" {event['handler_median_ms']:>5.2f}/{event['handler_p95_ms']:<7.2f}"
                f" {event['delta_median_ms']:>4.2f}/{event['delta_p95_ms']:<6.2f}"
                f" {event['cpu_median_ms']:>5.2f}/{event['cpu_p95_ms']:<7.2f} {event['delta_bytes'] / 1000:>8.1f}",
                flush=True,
            )
    get_engine(url).dispose()
    return {
        "seed_seconds": round(figures.seconds, 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "service": service,
        "state_event": state,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated ticket counts")
    parser.add_argument("--databases", default="sqlite", help="comma-separated: sqlite, postgresql (the local server)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--out", type=Path, help="the JSON file (default: bench/results/list-queries-<databases>-<date>.json)"
    )
    parser.add_argument(
        "--profile", type=Path, help="also write a cProfile of each state event (as many runs again) under this folder"
    )
    args = parser.parse_args()

    from tests.conftest import postgres_database

    makers = {"sqlite": sqlite_database, "postgresql": lambda: postgres_database("xobito_bench")}
    databases = {name: makers[name] for name in args.databases.split(",")}
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "runs": args.runs,
        "reflex_env_mode": os.environ["REFLEX_ENV_MODE"],
        "source": source_version(),
        "results": {},
    }
    out = args.out or RESULTS / f"list-queries-{'-'.join(databases)}-{datetime.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    for database, make in databases.items():
        for size in (int(text) for text in args.sizes.split(",")):
            print(f"{database}, {size:,} tickets", flush=True)
            profile_dir = args.profile / f"{database}-{size}" if args.profile else None
            if profile_dir:
                profile_dir.mkdir(parents=True, exist_ok=True)
            with make() as url:
                report["results"][f"{database}/{size}"] = measure(url, size, args.runs, profile_dir)
            out.write_text(json.dumps(report, indent=2))  # after each size: a 1M seed takes minutes
    print(f"written to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    main()
