"""Search timings: one-word and two-word searches over every message, for an admin and a customer.

Seeds a database of its own (a new SQLite file, and/or a database on the local PostgreSQL
server) with the bulk seeder: `--messages` messages (a third are tickets' first messages, two
thirds replies), each 30 words of generated text whose words follow Zipf's law over a 20,000-word
vocabulary (xobito_web.seed.vocabulary), shared by `--customers` customers. The words searched
for are picked by rank: a common one (rank 30, in a few percent of the messages), a typical one
(rank 1,000) and a rare one (rank 10,000); the bench prints how many messages hold each.

On SQLite the CPU time of the calling thread is printed too (the query runs in process): on a
machine shared with other work it shows what a query costs when it does not wait for a core.
Then, `--runs` times per query, `tickets.list_tickets` (the first page of the best matches, with
the matched words marked) and `tickets.count_tickets` (the "of N"), each in one read transaction,
as the list screen runs them; all statuses.

    .venv/bin/python -m bench.search [--messages 1000000] [--databases sqlite,postgresql] [--runs 30]
        [--keep sqlite:////tmp/search.db] [--keep postgresql+psycopg://postgres@127.0.0.1:5432/search]

`--keep URL` seeds that database once and leaves it; the next run with it measures at once.

Prints median and p95 and writes bench/results/search-<databases>-<date>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import col, select

from bench.common import source_version
from xobito_web import migrations
from xobito_web.db import get_engine, read_session, write_session
from xobito_web.models import Role, Ticket, User
from xobito_web.seed import seed_tickets, vocabulary
from xobito_web.services import tickets, workspaces
from xobito_web.services.auth import CurrentUser

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
WORDS_PER_MESSAGE = 30
WORD_RANKS = {"common": 30, "typical": 1_000, "rare": 10_000}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


@contextlib.contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory(prefix="xobito-search-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        try:
            yield url
        finally:
            get_engine(url).dispose()


@contextlib.contextmanager
def kept_database(url: str):
    """A database named by `--keep`: seeded on the first run, kept, and reused by the next."""
    try:
        yield url
    finally:
        get_engine(url).dispose()


def person(session, workspace_id: int, subdomain: str, role: Role, user_id: int | None = None) -> CurrentUser:
    query = (
        select(User).where(col(User.workspace_id) == workspace_id, col(User.role) == role.value).order_by(col(User.id))
    )
    user = session.exec(query.where(col(User.id) == user_id) if user_id else query).first()
    return CurrentUser(user.id, workspace_id, subdomain, "Bench", user.name, user.email, user.role)


def messages_holding(session, word: str) -> int:
    """How many messages hold `word` or a word it begins (what the search matches)."""
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT count(*) FROM message_search WHERE document @@ to_tsquery('english', :q)"
        return session.execute(text(query), {"q": f"'{word}':*"}).scalar_one()
    query = "SELECT count(*) FROM message_fts WHERE message_fts MATCH :q"
    return session.execute(text(query), {"q": f'"{word}"*'}).scalar_one()


def seed(url: str, messages: int, customers: int) -> tuple[str, int, float, int]:
    """The bench workspace of `url`: seeded here, or reused when an earlier `--keep` run left it."""
    migrations.upgrade(url)
    with read_session(url) as session:
        found = session.execute(text("SELECT subdomain, id FROM workspace WHERE subdomain = 'bench'")).first()
        if found is not None:
            total = session.execute(text("SELECT count(*) FROM message_search")).scalar_one()
            print(f"  reusing the seeded database ({total:,} messages)", flush=True)
            return found[0], found[1], 0.0, total
    with write_session(url) as session:
        workspace = workspaces.create_workspace(session, "bench", "Bench")
        subdomain, workspace_id = workspace.subdomain, workspace.id
    figures = seed_tickets(subdomain, messages // 3, url=url, customers=customers, words_per_message=WORDS_PER_MESSAGE)
    print(
        f"  seeded {figures.tickets:,} tickets + {figures.replies:,} replies"
        f" ({figures.tickets + figures.replies:,} messages) in {figures.seconds:.1f} s",
        flush=True,
    )
    return subdomain, workspace_id, figures.seconds, figures.tickets + figures.replies


def measure(url: str, messages: int, customers: int, runs: int) -> dict:
    subdomain, workspace_id, seed_seconds, total_messages = seed(url, messages, customers)
    words = vocabulary()
    picked = {name: words[rank - 1] for name, rank in WORD_RANKS.items()}
    with read_session(url) as session:
        admin = person(session, workspace_id, subdomain, Role.ADMIN)
        # the customer with the median number of tickets
        counts = session.exec(
            select(col(Ticket.customer_id), func.count())
            .where(col(Ticket.workspace_id) == workspace_id)
            .group_by(col(Ticket.customer_id))
        ).all()
        customer_id = sorted(counts, key=lambda row: row[1])[len(counts) // 2][0]
        customer = person(session, workspace_id, subdomain, Role.CUSTOMER, customer_id)
        customer_tickets = dict(counts)[customer_id]
        holding = {name: messages_holding(session, word) for name, word in picked.items()}
    for name, word in picked.items():
        print(f"  {name} word {word!r}: in {holding[name]:,} messages", flush=True)
    print(f"  the customer has {customer_tickets:,} tickets", flush=True)

    searches = {
        "one word, typical": picked["typical"],
        "one word, common": picked["common"],
        "one word, rare": picked["rare"],
        "two words, typical + common": f"{picked['typical']} {picked['common']}",
        "two words, common + common": f"{picked['common']} {words[WORD_RANKS['common']]}",
        "prefix of a typical word": picked["typical"][:5],
    }
    results = {}
    load_before = os.getloadavg()[0]
    print(f"  {'who, search':<42} {'list ms':>16} {'list CPU ms':>12} {'count ms':>16} {'found':>7}")
    print(f"  {'':<42} {'median / p95':>16} {'median':>12} {'median / p95':>16}")
    for who, user in (("admin", admin), ("customer", customer)):
        for name, words_searched in searches.items():
            filters = tickets.TicketFilter(search=words_searched, statuses=())

            def page(user=user, filters=filters):
                with read_session(url) as session:
                    return tickets.list_tickets(session, user, filters)

            def count(user=user, filters=filters):
                with read_session(url) as session:
                    return tickets.count_tickets(session, user, filters)

            page()  # warm the caches once
            timings = {}
            for label, action in (("list", page), ("count", count)):
                samples, cpu = [], []
                for _ in range(runs):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    action()
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                timings[label] = percentiles(samples)
                timings[f"{label}_cpu"] = percentiles(cpu)
            total = count()
            shown = len(page().rows)
            key = f"{who}, {name}"
            results[key] = {
                "search": words_searched,
                "list_median_ms": round(timings["list"][0], 2),
                "list_p95_ms": round(timings["list"][1], 2),
                "list_cpu_median_ms": round(timings["list_cpu"][0], 2),
                "count_median_ms": round(timings["count"][0], 2),
                "count_p95_ms": round(timings["count"][1], 2),
                "rows_on_first_page": shown,
                "count": total,
            }
            print(
                f"  {key:<42} {timings['list'][0]:>7.2f} / {timings['list'][1]:<6.2f}"
                f" {timings['list_cpu'][0]:>12.2f}"
                f" {timings['count'][0]:>7.2f} / {timings['count'][1]:<6.2f} {total if total is not None else 'many':>7}",
                flush=True,
            )
    get_engine(url).dispose()
    return {
        "seed_seconds": round(seed_seconds, 1),
        "messages": total_messages,
        "words": picked,
        "messages_holding": holding,
        "customer_tickets": customer_tickets,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "searches": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="URL",
        help="seed this database (sqlite:///file or postgresql+psycopg://…, created beforehand) and keep it;"
        " a later run with the same URL reuses the seeded messages. Repeat for each database.",
    )
    args = parser.parse_args()

    from tests.conftest import postgres_database

    makers = {"sqlite": sqlite_database, "postgresql": lambda: postgres_database("xobito_search_bench")}
    databases = {name: makers[name] for name in args.databases.split(",") if name}
    for url in args.keep:
        name = "postgresql" if url.startswith("postgresql") else "sqlite"
        databases[name] = functools.partial(kept_database, url)
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "runs": args.runs,
        "source": source_version(),
        "results": {},
    }
    out = args.out or RESULTS / f"search-{'-'.join(databases)}-{datetime.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    for database, make in databases.items():
        print(f"{database}, {args.messages:,} messages", flush=True)
        with make() as url:
            report["results"][f"{database}/{args.messages}"] = measure(url, args.messages, args.customers, args.runs)
        out.write_text(json.dumps(report, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
