"""The JSON API under load (issue 16): requests per second and median / p95 latency for list, get
and reply at 100,000 tickets, on PostgreSQL + Redis, one app process and then two workers.

Seeds a database of its own on the local PostgreSQL server (`xobito seed`'s bulk seeder, two
replies per ticket), makes personal API tokens for an admin and a customer, then starts the
production app (`xobito serve`, tests.servers) on the given ports with REDIS_URL set, the flood
caps and the API request limits off (they would measure refusals). For each operation a fixed
number of concurrent clients (httpx, keep-alive, one connection each, spread over the workers)
send requests back to back for --seconds:

- list:   GET  /bench/api/v1/tickets                  (admin, default filter, first page of 25)
- list, customer: the same as a customer (their own tickets only)
- get:    GET  /bench/api/v1/tickets/{ticket}         (admin, a random ticket with its thread)
- reply:  POST /bench/api/v1/tickets/{ticket}/replies (admin, JSON body, a random open ticket)

Besides the client's view it records the CPU time the app processes spent per answered request,
the figure other work on the machine skews least. Afterwards it checks that every reply answered 201 (warm-ups included) is stored exactly once. The load generator
runs on the same 2 cores as the servers and PostgreSQL, so the figures are what this machine
does end to end, not a server's ceiling.

    .venv/bin/python -m bench.api_throughput [--tickets 100000] [--seconds 15] [--clients 8]
        [--ports 3650,3651] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from bench.common import BENCH_TAG, UNLIMITED, ServerMemory, people, report, write_results
from tests.conftest import postgres_database
from tests.servers import ServerSpec, app_servers
from xobito_web.db import read_session, write_session
from xobito_web.models import Reply, Role, Status, Ticket
from xobito_web.seed import seed_tickets
from xobito_web.services import api_tokens, workspaces

SUBDOMAIN = "bench"
NO_API_LIMITS = (("XOBITO_API_REQUESTS_PER_MINUTE", "0"), ("XOBITO_API_ADDRESS_REQUESTS_PER_MINUTE", "0"))
MARKER = "api-bench"


def prepare(url: str, count: int) -> dict:
    with write_session(url) as session:
        workspaces.create_workspace(session, SUBDOMAIN, "Bench Inc.")
    figures = seed_tickets(SUBDOMAIN, count, url=url)
    print(f"seeded {figures.tickets:,} tickets + {figures.replies:,} replies in {figures.seconds:.0f} s", flush=True)
    everyone = people(url, SUBDOMAIN)
    admin = next(user for user in everyone.values() if user.role == Role.ADMIN)
    with read_session(url) as session:
        busiest_customer_id = session.exec(
            select(col(Ticket.customer_id)).group_by(col(Ticket.customer_id)).order_by(func.count().desc()).limit(1)
        ).one()
        numbers = list(session.exec(select(Ticket.number)).all())
        open_numbers = list(session.exec(select(Ticket.number).where(Ticket.status != Status.CLOSED)).all())
    customer = next(user for user in everyone.values() if user.user_id == busiest_customer_id)
    with write_session(url) as session:
        admin_token = api_tokens.create_token(session, admin, "bench admin").token
        customer_token = api_tokens.create_token(session, customer, "bench customer").token
    return {
        "admin": admin_token,
        "customer": customer_token,
        "numbers": numbers,
        "open_numbers": open_numbers,
    }


Request = Callable[[httpx.AsyncClient, random.Random], tuple[str, str, dict]]


def operations(data: dict) -> dict[str, tuple[Request, int]]:
    admin = {"Authorization": f"Bearer {data['admin']}"}
    customer = {"Authorization": f"Bearer {data['customer']}"}
    base = f"/{SUBDOMAIN}/api/v1/tickets"

    def ref(number: int) -> str:
        return f"TKT-{number:06d}"

    return {
        "list": (lambda _c, _r: ("GET", base, {"headers": admin}), 200),
        "list, customer": (lambda _c, _r: ("GET", base, {"headers": customer}), 200),
        "get": (lambda _c, rng: ("GET", f"{base}/{ref(rng.choice(data['numbers']))}", {"headers": admin}), 200),
        "reply": (
            lambda _c, rng: (
                "POST",
                f"{base}/{ref(rng.choice(data['open_numbers']))}/replies",
                {"headers": admin, "json": {"body": f"Benchmark reply, please ignore ({MARKER})."}},
            ),
            201,
        ),
    }


async def load(ports: list[int], request: Request, expected: int, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        rng = random.Random(index)
        port = ports[index % len(ports)]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as http:
            while time.perf_counter() < deadline:
                method, path, options = request(http, rng)
                started = time.perf_counter()
                try:
                    response = await http.request(method, path, **options)
                    status = str(response.status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                elapsed = (time.perf_counter() - started) * 1000
                if status == str(expected):
                    latencies.append(elapsed)
                else:
                    errors[status] = errors.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(index) for index in range(clients)))
    duration = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "seconds": duration}


def run_configuration(
    name: str, url: str, redis_url: str, ports: list[int], data: dict, clients: int, seconds: float
) -> dict:
    work_dir = Path(tempfile.mkdtemp(prefix="xobito-api-bench-"))
    specs = [
        ServerSpec(
            port,
            work_dir / f"worker-{port}",
            database_url=url,
            redis_url=redis_url,
            tag=BENCH_TAG,
            extra_env=(*UNLIMITED, *NO_API_LIMITS),
        )
        for port in ports
    ]
    results = {}
    print(f"\n== {name}: {len(ports)} worker(s) on ports {ports}, {clients} clients, {seconds:.0f} s per operation")
    with app_servers(specs, replace_leftover=True):
        servers = [ServerMemory(port) for port in ports]
        for operation, (request, expected) in operations(data).items():
            warm_up = asyncio.run(load(ports, request, expected, clients, 2))  # connections, caches
            cpu_before = sum(server.cpu_seconds() for server in servers)
            measured = asyncio.run(load(ports, request, expected, clients, seconds))
            cpu_used = sum(server.cpu_seconds() for server in servers) - cpu_before
            count = len(measured["latencies"])
            rate = count / measured["seconds"]
            # CPU time of the app processes per answered request: what other work on the machine
            # skews least (PostgreSQL's and Redis's own time are not in it).
            cpu_ms = 1000 * cpu_used / max(count, 1)
            figures = report(
                f"{name}: {operation} ({rate:,.0f} req/s, {cpu_ms:.1f} ms CPU)", measured["latencies"], width=52
            )
            results[operation] = {
                "requests_per_second": round(rate, 1),
                "app_cpu_ms_per_request": round(cpu_ms, 2),
                "ok": count,
                "ok_in_warm_up": len(warm_up["latencies"]),
                "errors": measured["errors"],
                **figures,
            }
            if measured["errors"]:
                print(f"   errors: {measured['errors']}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--ports", default="3650,3651")
    parser.add_argument(
        "--redis", default=os.environ.get("XOBITO_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0", help="Redis URL"
    )
    args = parser.parse_args()
    ports = [int(part) for part in args.ports.split(",")]
    if len(ports) != 2:
        parser.error("--ports needs two ports: one for the single process, both for the two workers")

    with postgres_database("xobito_bench_api") as url:
        data = prepare(url, args.tickets)
        results = {
            "one process": run_configuration(
                "one process", url, args.redis, ports[:1], data, args.clients, args.seconds
            ),
            "two workers": run_configuration("two workers", url, args.redis, ports, data, args.clients, args.seconds),
        }
        replied = sum(r["reply"]["ok"] + r["reply"]["ok_in_warm_up"] for r in results.values())
        with read_session(url) as session:
            stored = session.exec(select(func.count()).select_from(Reply).where(col(Reply.body).contains(MARKER))).one()
        print(f"\nreplies answered 201: {replied:,}; stored: {stored:,}", flush=True)
        if stored != replied:
            print("MISMATCH: some replies were lost or stored twice", flush=True)
    write_results(
        "api-throughput",
        {
            "tickets": args.tickets,
            "clients": args.clients,
            "seconds_per_operation": args.seconds,
            "database": "postgresql",
            "redis": True,
            "replies_answered": replied,
            "replies_stored": stored,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
