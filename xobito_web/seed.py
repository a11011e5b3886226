"""Demo data (`xobito seed-demo`) and fast bulk data for benchmarks (`xobito seed`)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlmodel import Session, col

from xobito_web.db import get_engine, write_session
from xobito_web.models import OutboxEmail, Priority, Reply, Role, Status, Ticket, User, Workspace, utcnow
from xobito_web.services import auth, rate_limits, tickets, workspaces
from xobito_web.services.passwords import hash_password

DEMO_SUBDOMAIN = "acme"
DEMO_PASSWORD = "demo-password"
DEMO_DEPARTMENTS = ("Sales", "Support", "Billing")
# (email, name, role, departments)
DEMO_PEOPLE = (
    ("admin@acme.example.com", "Ada Admin", Role.ADMIN, ()),
    ("sam@acme.example.com", "Sam Sales", Role.STAFF, ("Sales",)),
    ("sue@acme.example.com", "Sue Support", Role.STAFF, ("Support", "Billing")),
    ("carol@customer.example.com", "Carol Customer", Role.CUSTOMER, ()),
    ("dave@customer.example.com", "Dave Customer", Role.CUSTOMER, ()),
)
# (customer email, subject, department, priority, body, [(author email, reply)], close?, days ago)
DEMO_TICKETS: tuple[tuple[str, str, str, str, str, list[tuple[str, str]], bool, int], ...] = (
    (
        "carol",
        "Cannot log in to the dashboard",
        "Support",
        "high",
        "Since this morning the dashboard says my session expired, every time I sign in.",
        [("sue", "Thanks Carol, could you tell us which browser you use?"), ("carol", "Firefox 140 on Windows.")],
        False,
        1,
    ),
    (
        "dave",
        "Invoice 2026-118 shows the wrong VAT",
        "Billing",
        "medium",
        "The invoice for October has 19% VAT but we are registered in Austria (20%).",
        [("sue", "You are right, a corrected invoice is on its way.")],
        False,
        2,
    ),
    (
        "carol",
        "Quote for 25 more seats",
        "Sales",
        "low",
        "We are growing. What would 25 more seats cost on the yearly plan?",
        [],
        False,
        3,
    ),
    (
        "dave",
        "Production API returns 500 on every call",
        "Support",
        "urgent",
        "All calls to /v2/orders fail with HTTP 500 since 09:12 UTC. Our shop is down.",
        [("sue", "We are on it; the incident is confirmed."), ("dave", "Any news? Still failing here.")],
        False,
        0,
    ),
    (
        "carol",
        "Export to CSV cuts long descriptions",
        "Support",
        "medium",
        "Descriptions longer than 255 characters are cut in the CSV export.",
        [("sue", "Fixed in today's release, please try again."), ("carol", "Works now, thank you!")],
        True,
        9,
    ),
    (
        "dave",
        "Change the billing address",
        "Billing",
        "low",
        "Please use our new address: Ringstraße 1, 1010 Wien.",
        [("sue", "Done, the next invoice will carry the new address.")],
        True,
        14,
    ),
    (
        "carol",
        "Discount for non-profits?",
        "Sales",
        "medium",
        "We are a registered charity. Do you offer a discount?",
        [("sam", "Yes: 30% on every plan. I have sent you the form.")],
        False,
        4,
    ),
    (
        "dave",
        "Webhook signature does not verify",
        "Support",
        "high",
        "The X-Signature header never matches our HMAC of the body.",
        [],
        False,
        0,
    ),
    (
        "carol",
        "Double charge on my card",
        "Billing",
        "urgent",
        "I was charged twice for November. Please refund one of the charges.",
        [("sue", "Refund issued; it shows on your card in 3–5 days.")],
        False,
        1,
    ),
    (
        "dave",
        "Upgrade from Basic to Pro mid-month",
        "Sales",
        "low",
        "If we upgrade today, is the price prorated?",
        [("sam", "Yes, you pay only the difference for the rest of the month.")],
        True,
        20,
    ),
    (
        "carol",
        "Password reset email never arrives",
        "Support",
        "medium",
        "I requested a reset three times; nothing arrived, not even in spam.",
        [],
        False,
        2,
    ),
    (
        "dave",
        "Dark mode for the portal",
        "Support",
        "low",
        "Would be lovely to have a dark mode. <b>Pretty please</b>.",
        [("sue", "Noted as a feature request, thanks!"), ("dave", "Great, looking forward to it.")],
        False,
        6,
    ),
)


def demo_sign_in_details(base_url: str) -> str:
    lines = [f"Sign in at {base_url}/{DEMO_SUBDOMAIN}/login with password {DEMO_PASSWORD!r} as:"]
    for email, name, role, departments in DEMO_PEOPLE:
        extra = f" ({', '.join(departments)})" if departments else ""
        lines.append(f"  {role.value:<8} {email:<28} {name}{extra}")
    return "\n".join(lines)


def seed_demo(url: str | None = None) -> bool:
    """Creates the demo workspace; False (and nothing changed) when it exists already."""
    with write_session(url) as session:
        if workspaces.find_workspace(session, DEMO_SUBDOMAIN) is not None:
            return False
        workspace = workspaces.create_workspace(session, DEMO_SUBDOMAIN, "Acme Inc.")
        departments = {name: workspaces.create_department(session, workspace, name).id for name in DEMO_DEPARTMENTS}
        people = {}
        for email, name, role, member_of in DEMO_PEOPLE:
            user = workspaces.create_user(session, workspace, email, name, role.value, DEMO_PASSWORD, member_of)
            people[email.split("@")[0]] = auth.CurrentUser(
                user.id, workspace.id, workspace.subdomain, workspace.name, user.name, user.email, user.role
            )
        now = utcnow()
        with rate_limits.lifted():  # weeks of made-up history, written in one go
            for customer, subject, department, priority, body, replies, close, days_ago in DEMO_TICKETS:
                started = now - timedelta(days=days_ago, hours=len(replies) + 2)
                view = tickets.create_ticket(
                    session, people[customer], subject, departments[department], priority, body
                )
                _backdate(session, workspace.id, view.number, started)
                for step, (author, message) in enumerate(replies, start=1):
                    tickets.post_reply(session, people[author], view.number, message)
                    _backdate_last_reply(session, workspace.id, view.number, started + timedelta(hours=step))
                if close:
                    tickets.close_ticket(session, people[customer], view.number)
        # The demo history is made up: it must not email (or file) its notifications.
        session.exec(delete(OutboxEmail).where(col(OutboxEmail.workspace_id) == workspace.id))
    return True


def _backdate(session: Session, workspace_id: int, number: int, when) -> None:
    """Demo only: spread the demo tickets over the last weeks so the list looks lived-in."""
    session.exec(
        update(Ticket)
        .where(col(Ticket.workspace_id) == workspace_id, col(Ticket.number) == number)
        .values(created_at=when, last_reply_at=when)
    )


def _backdate_last_reply(session: Session, workspace_id: int, number: int, when) -> None:
    ticket_id = session.scalars(
        select(col(Ticket.id)).where(col(Ticket.workspace_id) == workspace_id, col(Ticket.number) == number)
    ).one()
    last_reply_id = session.scalars(
        select(col(Reply.id)).where(col(Reply.ticket_id) == ticket_id).order_by(col(Reply.id).desc()).limit(1)
    ).one()
    session.exec(update(Reply).where(col(Reply.id) == last_reply_id).values(created_at=when))
    session.exec(update(Ticket).where(col(Ticket.id) == ticket_id).values(last_reply_at=when))


@dataclass(frozen=True)
class SeedFigures:
    tickets: int
    replies: int
    seconds: float


SEED_CUSTOMERS = 50
SEED_BATCH = 5_000
_SUBJECT_WORDS = [
    "invoice",
    "login",
    "export",
    "password",
    "refund",
    "upgrade",
    "webhook",
    "api",
    "error",
    "slow",
    "dashboard",
    "report",
    "billing",
    "address",
    "seat",
    "plan",
    "discount",
    "crash",
    "mobile",
    "email",
    "notification",
    "import",
    "sync",
]


def seed_tickets(
    subdomain: str, count: int, replies_per_ticket: int = 2, url: str | None = None, seed: int = 7
) -> SeedFigures:
    """Bulk-inserts `count` tickets (and replies) with plain multi-row INSERTs, in batches.

    Numbers are reserved up front in one transaction, so a concurrent ticket never collides.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    with write_session(url) as session:
        workspace = workspaces.get_workspace(session, subdomain)
        department_ids = _ensure_departments(session, workspace)
        customer_ids, team_ids = _ensure_people(session, workspace)
        first_number = (
            session.exec(
                update(Workspace)
                .where(col(Workspace.id) == workspace.id)
                .values(ticket_seq=Workspace.ticket_seq + count)
                .returning(col(Workspace.ticket_seq))
            ).scalar_one()
            - count
            + 1
        )

    now = utcnow()
    statuses = (Status.OPEN, Status.ANSWERED, Status.CLOSED)
    priorities = tuple(Priority)
    total_replies = 0
    for batch_start in range(0, count, SEED_BATCH):
        numbers = range(first_number + batch_start, first_number + min(batch_start + SEED_BATCH, count))
        ticket_rows: list[dict[str, Any]] = []
        for number in numbers:
            created = now - timedelta(minutes=rng.randint(60, 60 * 24 * 365))
            status = rng.choice(statuses)
            ticket_rows.append(
                {
                    "workspace_id": workspace.id,
                    "number": number,
                    "subject": " ".join(rng.sample(_SUBJECT_WORDS, 4)).capitalize() + f" #{number}",
                    "body": "Generated ticket body for load testing. " * 3,
                    "department_id": rng.choice(department_ids),
                    "priority": rng.choice(priorities).value,
                    "status": status.value,
                    "customer_id": rng.choice(customer_ids),
                    "assignee_id": None,
                    "created_at": created,
                    "last_reply_at": created + timedelta(minutes=30 * replies_per_ticket),
                    "last_message_by_team": status == Status.ANSWERED,
                }
            )
        with write_session(url) as session:
            session.connection().execute(insert(Ticket), ticket_rows)
            ids = dict(
                session.connection()
                .execute(
                    select(col(Ticket.number), col(Ticket.id)).where(
                        col(Ticket.workspace_id) == workspace.id,
                        col(Ticket.number).between(numbers.start, numbers.stop - 1),
                    )
                )
                .all()
            )
            reply_rows = []
            for row in ticket_rows:
                for step in range(1, replies_per_ticket + 1):
                    # Team and customer take turns; the last word matches last_message_by_team.
                    by_team = ((replies_per_ticket - step) % 2 == 0) == row["last_message_by_team"]
                    reply_rows.append(
                        {
                            "ticket_id": ids[row["number"]],
                            "author_id": rng.choice(team_ids) if by_team else row["customer_id"],
                            "body": "Generated reply for load testing.",
                            "created_at": row["created_at"] + timedelta(minutes=30 * step),
                        }
                    )
            if reply_rows:
                session.connection().execute(insert(Reply), reply_rows)
            total_replies += len(reply_rows)
    _refresh_planner_statistics(url)
    return SeedFigures(count, total_replies, time.perf_counter() - started)


def _refresh_planner_statistics(url: str | None) -> None:
    """After a bulk load PostgreSQL's planner still believes the tables are small and sorts
    whole result sets (300 ms instead of 3 ms for the first page at 100,000 tickets) until
    autovacuum gets round to it; ANALYZE now. SQLite picks the index plans without it."""
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE ticket"))
            connection.execute(text("ANALYZE reply"))
            connection.commit()


def _ensure_departments(session: Session, workspace: Workspace) -> list[int]:
    existing = workspaces.list_departments(session, workspace.id)
    if not existing:
        existing = [workspaces.create_department(session, workspace, name) for name in DEMO_DEPARTMENTS]
    return [department.id for department in existing]


def _ensure_people(session: Session, workspace: Workspace) -> tuple[list[int], list[int]]:
    def ids_of(*roles: Role) -> list[int]:
        return list(
            session.scalars(
                select(col(User.id)).where(
                    col(User.workspace_id) == workspace.id, col(User.role).in_([r.value for r in roles])
                )
            )
        )

    seeded_before = session.scalars(
        select(col(User.id)).where(col(User.workspace_id) == workspace.id, col(User.email).like("seed-customer-%"))
    ).first()
    if seeded_before is None:
        password_hash = hash_password(DEMO_PASSWORD)  # hashed once: Argon2 is slow on purpose
        session.connection().execute(
            insert(User),
            [
                {
                    "workspace_id": workspace.id,
                    "email": f"seed-customer-{index}@customer.example.com",
                    "name": f"Seed Customer {index}",
                    "role": Role.CUSTOMER.value,
                    "password_hash": password_hash,
                    "active": True,
                    "created_at": utcnow(),
                }
                for index in range(SEED_CUSTOMERS)
            ],
        )
    if not ids_of(Role.ADMIN, Role.STAFF):
        workspaces.create_user(
            session, workspace, "seed-agent@example.com", "Seed Agent", Role.ADMIN.value, DEMO_PASSWORD
        )
    return ids_of(Role.CUSTOMER), ids_of(Role.ADMIN, Role.STAFF)
