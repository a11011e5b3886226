"""List query timings in the service (issue "ticket portal": first page, filters, page 50).

Seeds its own SQLite database (or uses DATABASE_URL's server when --postgres is given) with
the CLI's bulk seeder, then prints median and p95 of each query. Not a test: it prints.

    .venv/bin/python bench/list_queries.py [--tickets 100000] [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import select

from xobito_web import migrations
from xobito_web.db import read_session, write_session
from xobito_web.models import Role, User
from xobito_web.seed import seed_tickets
from xobito_web.services import tickets, workspaces
from xobito_web.services.auth import CurrentUser


def timed(runs: int, action) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--url", default="", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()

    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    migrations.upgrade(url)
    with write_session(url) as session:
        workspace = workspaces.create_workspace(session, f"bench{int(time.time())}", "Bench")
        subdomain = workspace.subdomain
    figures = seed_tickets(subdomain, args.tickets, url=url)
    print(f"seeded {figures.tickets} tickets + {figures.replies} replies in {figures.seconds:.1f} s ({url.split(':')[0]})")

    with write_session(url) as session:
        workspace = workspaces.get_workspace(session, subdomain)
        departments = workspaces.list_departments(session, workspace.id)
        staff = workspaces.create_user(session, workspace, "bench-staff@example.com", "Bench Staff", "staff", "bench-password", [departments[0].name])
        admin_id = session.exec(select(User.id).where(User.workspace_id == workspace.id, User.role == Role.ADMIN.value)).first()
        customer_id = session.exec(select(User.id).where(User.workspace_id == workspace.id, User.role == Role.CUSTOMER.value)).first()
        as_user = lambda user_id, role: CurrentUser(user_id, workspace.id, subdomain, "Bench", "x", "x", role)  # noqa: E731
        admin, customer, staff_user = as_user(admin_id, "admin"), as_user(customer_id, "customer"), as_user(staff.id, "staff")

    def page(user, filters=tickets.TicketFilter(), after=None):
        with read_session(url) as session:
            return tickets.list_tickets(session, user, filters, after=after)

    cursor = None
    for _ in range(49):
        cursor = page(admin, after=cursor).next_cursor
    cases = {
        "admin, default filter, first page": lambda: page(admin),
        "admin, status Closed": lambda: page(admin, tickets.TicketFilter(statuses=("closed",))),
        "admin, all statuses": lambda: page(admin, tickets.TicketFilter(statuses=())),
        "admin, priority Urgent": lambda: page(admin, tickets.TicketFilter(priorities=("urgent",))),
        "admin, department": lambda: page(admin, tickets.TicketFilter(department_ids=(departments[1].id,))),
        "admin, search one word": lambda: page(admin, tickets.TicketFilter(search="refund")),
        "admin, search two words": lambda: page(admin, tickets.TicketFilter(search="refund login")),
        "admin, page 50": lambda: page(admin, after=cursor),
        "staff, default filter": lambda: page(staff_user),
        "customer, default filter": lambda: page(customer),
    }
    print(f"{'query':<38} {'median ms':>10} {'p95 ms':>10}")
    for name, action in cases.items():
        action()  # warm the cache once
        median, p95 = timed(args.runs, action)
        print(f"{name:<38} {median:>10.2f} {p95:>10.2f}")


if __name__ == "__main__":
    main()
