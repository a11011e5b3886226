"""List query timings in the service: first page, each filter, a search, page 50.

Seeds its own databases with the CLI's bulk seeder (a new SQLite file, and/or a database of
its own on the local PostgreSQL server) at each size, prints median and p95 of
each query and writes them to bench/results/list-queries-<date>.json. Not a test.

    .venv/bin/python bench/list_queries.py [--sizes 10000,100000] [--databases sqlite,postgresql] [--runs 50]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import select  # noqa: E402

from xobito_web import migrations  # noqa: E402
from xobito_web.db import get_engine, read_session, write_session  # noqa: E402
from xobito_web.models import Role, User  # noqa: E402
from xobito_web.seed import seed_tickets  # noqa: E402
from xobito_web.services import tickets, workspaces  # noqa: E402
from xobito_web.services.auth import CurrentUser  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def timed(runs: int, action) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


@contextlib.contextmanager
def sqlite_database():
    yield f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"


def people(url: str, subdomain: str) -> dict[str, CurrentUser]:
    with write_session(url) as session:
        workspace = workspaces.get_workspace(session, subdomain)
        first_department = workspaces.list_departments(session, workspace.id)[0]
        staff = workspaces.create_user(session, workspace, "bench-staff@example.com", "Bench Staff", "staff", "bench-password", [first_department.name])

        def first_id(role: Role) -> int:
            return session.exec(select(User.id).where(User.workspace_id == workspace.id, User.role == role.value)).first()

        def as_user(user_id: int, role: Role) -> CurrentUser:
            return CurrentUser(user_id, workspace.id, subdomain, "Bench", "x", "x", role.value)

        return {
            "admin": as_user(first_id(Role.ADMIN), Role.ADMIN),
            "staff": as_user(staff.id, Role.STAFF),
            "customer": as_user(first_id(Role.CUSTOMER), Role.CUSTOMER),
        }


def measure(url: str, size: int, runs: int) -> dict[str, dict[str, float]]:
    migrations.upgrade(url)
    with write_session(url) as session:
        subdomain = workspaces.create_workspace(session, "bench", "Bench").subdomain
    figures = seed_tickets(subdomain, size, url=url)
    print(f"  seeded {figures.tickets:,} tickets + {figures.replies:,} replies in {figures.seconds:.1f} s")
    who = people(url, subdomain)
    with read_session(url) as session:
        departments = workspaces.list_departments(session, who["admin"].workspace_id)

    def page(user, filters=tickets.TicketFilter(), after=None):
        with read_session(url) as session:
            return tickets.list_tickets(session, user, filters, after=after)

    cursor = None
    for _ in range(49):
        cursor = page(who["admin"], after=cursor).next_cursor
    admin = who["admin"]
    cases = {
        "admin, default filter, first page": lambda: page(admin),
        "admin, status Closed": lambda: page(admin, tickets.TicketFilter(statuses=("closed",))),
        "admin, all statuses": lambda: page(admin, tickets.TicketFilter(statuses=())),
        "admin, priority Urgent": lambda: page(admin, tickets.TicketFilter(priorities=("urgent",))),
        "admin, department": lambda: page(admin, tickets.TicketFilter(department_ids=(departments[1].id,))),
        "admin, search one word": lambda: page(admin, tickets.TicketFilter(search="refund")),
        "admin, search two words": lambda: page(admin, tickets.TicketFilter(search="refund login")),
        "admin, page 50": lambda: page(admin, after=cursor),
        "staff, default filter": lambda: page(who["staff"]),
        "customer, default filter": lambda: page(who["customer"]),
    }
    results = {}
    print(f"  {'query':<38} {'median ms':>10} {'p95 ms':>10}")
    for name, action in cases.items():
        action()  # warm the caches once
        median, p95 = timed(runs, action)
        results[name] = {"median_ms": round(median, 3), "p95_ms": round(p95, 3)}
        print(f"  {name:<38} {median:>10.2f} {p95:>10.2f}")
    get_engine(url).dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated ticket counts")
    parser.add_argument("--databases", default="sqlite", help="comma-separated: sqlite, postgresql (the local server)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    from tests.conftest import postgres_database

    makers = {"sqlite": sqlite_database, "postgresql": lambda: postgres_database("xobito_bench")}
    databases = {name: makers[name] for name in args.databases.split(",")}
    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu_count": os.cpu_count(), "runs": args.runs, "results": {}}
    for database, make in databases.items():
        for size in (int(text) for text in args.sizes.split(",")):
            print(f"{database}, {size:,} tickets")
            with make() as url:
                report["results"][f"{database}/{size}"] = measure(url, size, args.runs)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"list-queries-{'-'.join(databases)}-{datetime.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    main()
