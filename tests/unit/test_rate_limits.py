"""Per-person caps on new tickets and replies: a flood is stopped with a plain message and
nothing of it is stored or emailed, while other people carry on."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from xobito_web import config, seed
from xobito_web.db import read_session, write_session
from xobito_web.models import OutboxEmail, Reply, Ticket, Workspace
from xobito_web.services import rate_limits, tickets
from xobito_web.services.errors import RateLimited

T0 = datetime(2026, 4, 7, 9, 0, tzinfo=UTC)
BODY = "The printer on the second floor smokes."
CAP_SETTINGS = {
    "XOBITO_TICKETS_PER_HOUR": "tickets_per_hour",
    "XOBITO_CUSTOMER_REPLIES_PER_HOUR": "customer_replies_per_hour",
    "XOBITO_TEAM_REPLIES_PER_HOUR": "team_replies_per_hour",
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def open_ticket(world, user=None, when=T0, subject="Printer is on fire"):
    with write_session(world.url) as session:
        return tickets.create_ticket(
            session, user or world.customer, subject, world.departments["Support"], "high", BODY, now=when
        ).number


def reply(world, user, number, when, body="Any news on this one?"):
    with write_session(world.url) as session:
        return tickets.post_reply(session, user, number, body, now=when)


def refused(action, *args, **kwargs) -> RateLimited:
    with pytest.raises(RateLimited) as caught:
        action(*args, **kwargs)
    return caught.value


def counts(world) -> dict[str, int]:
    """What a flood would leave behind: tickets, replies, queued emails, numbers handed out."""
    with read_session(world.url) as session:
        return {
            "tickets": session.exec(select(func.count()).select_from(Ticket)).one(),
            "replies": session.exec(select(func.count()).select_from(Reply)).one(),
            "emails": session.exec(select(func.count()).select_from(OutboxEmail)).one(),
            "numbers": session.exec(select(Workspace.ticket_seq).where(Workspace.subdomain == "acme")).one(),
        }


def test_the_ticket_over_the_hourly_cap_is_refused_and_nothing_is_stored(any_world, flood_limits):
    world = any_world
    flood_limits(tickets_per_hour=3)
    for minute in (0, 10, 20):
        open_ticket(world, when=at(minute))
    before = counts(world)

    error = refused(open_ticket, world, when=at(30))
    assert str(error) == "You have opened 3 tickets in the last hour, the most allowed. Try again in 30 minutes."
    assert error.retry_after_seconds == 30 * 60
    assert counts(world) == before  # no ticket, no email, no number used up

    # Another customer is not concerned, and the first one may go on once an hour has passed.
    open_ticket(world, world.other_customer, when=at(30))
    open_ticket(world, when=at(60))
    with read_session(world.url) as session:
        mine = session.exec(select(func.count()).where(Ticket.customer_id == world.customer.user_id)).one()
    assert mine == 4


def test_replies_are_capped_per_person_and_the_team_may_post_more(any_world, flood_limits):
    world = any_world
    flood_limits(customer_replies_per_hour=2, team_replies_per_hour=4)
    number = open_ticket(world, when=at(0))
    reply(world, world.customer, number, at(1))
    reply(world, world.customer, number, at(2))
    before = counts(world)
    with read_session(world.url) as session:
        ticket_before = session.exec(select(Ticket.status, Ticket.last_reply_at).where(Ticket.number == number)).one()

    error = refused(reply, world, world.customer, number, at(3))
    assert str(error) == "You have posted 2 replies in the last hour, the most allowed. Try again in 58 minutes."
    assert error.retry_after_seconds == 58 * 60
    assert counts(world) == before
    with read_session(world.url) as session:
        ticket_after = session.exec(select(Ticket.status, Ticket.last_reply_at).where(Ticket.number == number)).one()
    assert ticket_after == ticket_before

    # The staff member has a cap of their own, and a higher one.
    for minute in range(3, 7):
        reply(world, world.support_staff, number, at(minute), "We are on it, thanks.")
    error = refused(reply, world, world.support_staff, number, at(7), "We are on it, thanks.")
    assert str(error) == "You have posted 4 replies in the last hour, the most allowed. Try again in 56 minutes."

    # Another customer still replies on their own ticket.
    theirs = open_ticket(world, world.other_customer, when=at(7))
    reply(world, world.other_customer, theirs, at(8))


def test_replies_on_different_tickets_count_together(world, flood_limits):
    flood_limits(customer_replies_per_hour=2)
    first, second, third = (open_ticket(world, when=at(minute), subject=f"Ticket {minute}") for minute in (0, 1, 2))
    reply(world, world.customer, first, at(3))
    reply(world, world.customer, second, at(4))
    assert refused(reply, world, world.customer, third, at(5)).retry_after_seconds == 58 * 60


def test_twenty_tickets_in_33_seconds_stop_at_the_default_cap(world, monkeypatch):
    """The incident of issue 11, replayed against the default settings."""
    for name in CAP_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "settings", config.load_settings())
    assert config.settings.tickets_per_hour == 10

    open_ticket(world, when=T0)
    emails_per_ticket = counts(world)["emails"]
    assert emails_per_ticket > 0  # admins and the department's staff are told
    outcomes = []
    for index in range(1, 20):
        try:
            open_ticket(world, when=T0 + timedelta(seconds=index * 33 / 19))
            outcomes.append("opened")
        except RateLimited as error:
            outcomes.append(str(error))
    assert outcomes[:9] == ["opened"] * 9
    assert set(outcomes[9:]) == {"You have opened 10 tickets in the last hour, the most allowed. Try again in 1 hour."}
    assert counts(world)["tickets"] == 10
    assert counts(world)["emails"] == 10 * emails_per_ticket


def test_a_burst_sent_in_parallel_cannot_pass_the_cap(any_world, flood_limits):
    """Eight requests of one customer at once: the person's requests take turns on the count."""
    world = any_world
    flood_limits(tickets_per_hour=3)
    outcomes, start, lock = [], threading.Barrier(8), threading.Lock()

    def attempt(index):
        start.wait()
        try:
            open_ticket(world, when=T0, subject=f"Burst {index}")
            outcome = "opened"
        except RateLimited:
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["opened"] * 3 + ["refused"] * 5
    assert counts(world)["tickets"] == 3


def test_a_cap_of_zero_means_no_limit(world, flood_limits):
    flood_limits(tickets_per_hour=0, customer_replies_per_hour=0)
    numbers = [open_ticket(world, when=T0, subject=f"Ticket {index}") for index in range(12)]
    for _ in range(12):
        reply(world, world.customer, numbers[0], T0)
    assert counts(world)["tickets"] == 12 and counts(world)["replies"] == 12


def test_made_up_history_is_written_past_the_caps_but_people_are_still_held(world, flood_limits):
    flood_limits(tickets_per_hour=1, customer_replies_per_hour=1)
    with rate_limits.lifted():
        number = open_ticket(world, when=T0)
        open_ticket(world, when=T0)
        reply(world, world.customer, number, T0)
        reply(world, world.customer, number, T0)
    refused(open_ticket, world, when=T0)
    refused(reply, world, world.customer, number, T0)


def test_the_demo_workspace_is_seeded_whatever_the_caps(db_url, flood_limits):
    flood_limits(tickets_per_hour=1, customer_replies_per_hour=1, team_replies_per_hour=1)
    assert seed.seed_demo(db_url)
    with read_session(db_url) as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == len(seed.DEMO_TICKETS)


def test_the_caps_come_from_the_environment(monkeypatch):
    for name in CAP_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    defaults = config.load_settings()
    assert (defaults.tickets_per_hour, defaults.customer_replies_per_hour, defaults.team_replies_per_hour) == (
        10,
        60,
        300,
    )
    for name, field in CAP_SETTINGS.items():
        monkeypatch.setenv(name, "25")
        assert getattr(config.load_settings(), field) == 25
        monkeypatch.setenv(name, "lots")
        with pytest.raises(ValueError, match=f"{name} must be a whole number of 0 or more, not 'lots'"):
            config.load_settings()
        monkeypatch.delenv(name)
