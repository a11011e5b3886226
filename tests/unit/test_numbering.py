"""Ticket IDs: the TKT- format, and numbers that are sequential, gap-free and unique per workspace."""

import threading

import pytest
from sqlmodel import col, select

from xobito_web.db import read_session, write_session
from xobito_web.models import Ticket, Workspace
from xobito_web.services import tickets
from xobito_web.services.errors import InvalidInput, NotFound

THREADS = 8
TICKETS_PER_THREAD = 10


def _create(url, user, department_id, subject="Numbered ticket"):
    with write_session(url) as session:
        return tickets.create_ticket(session, user, subject, department_id, "medium", "Please number me.").number


def _stored_numbers(url, workspace_id):
    with read_session(url) as session:
        return session.exec(
            select(col(Ticket.number)).where(col(Ticket.workspace_id) == workspace_id).order_by(col(Ticket.number))
        ).all()


def _sequence(url, workspace_id):
    with read_session(url) as session:
        return session.get_one(Workspace, workspace_id).ticket_seq


@pytest.mark.parametrize(
    ("number", "ref"),
    [(1, "TKT-000001"), (42, "TKT-000042"), (999_999, "TKT-999999"), (1_234_567, "TKT-1234567")],
)
def test_format_ref_is_tkt_and_six_digits(number, ref):
    assert tickets.format_ref(number) == ref
    assert tickets.parse_ref(ref) == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("TKT-000042", 42),
        (" tkt-42 ", 42),
        ("TKT000042", 42),
        ("Tkt-7", 7),
        ("\tTKT-000001\n", 1),
    ],
)
def test_parse_ref_accepts_pasted_ids(text, number):
    assert tickets.parse_ref(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "42",
        "TKT-",
        "TKT-0",
        "TKT-000000",
        "TKT-12a",
        "TKT--12",
        "TKT 12",
        "XTKT-12",
        "TKT-12 extra",
        "TKT-99999999999",
        "TKT-٤٢",
        "printer",
    ],
)
def test_parse_ref_refuses_anything_else(text):
    assert tickets.parse_ref(text) is None


def test_parse_ref_tolerates_none():
    assert tickets.parse_ref(None) is None


def test_numbers_are_sequential_per_workspace(world):
    support = world.departments["Support"]
    assert [_create(world.url, world.customer, support) for _ in range(3)] == [1, 2, 3]
    assert _create(world.url, world.other_customer, support) == 4
    # Another workspace counts on its own from 1.
    foreign_support = world.foreign_departments["Support"]
    assert _create(world.url, world.foreign_customer, foreign_support) == 1
    assert _stored_numbers(world.url, world.customer.workspace_id) == [1, 2, 3, 4]
    assert _sequence(world.url, world.customer.workspace_id) == 4
    assert _sequence(world.url, world.foreign_customer.workspace_id) == 1


def test_next_ticket_number_bumps_the_stored_counter(world):
    with write_session(world.url) as session:
        assert tickets.next_ticket_number(session, world.admin.workspace_id) == 1
        assert tickets.next_ticket_number(session, world.admin.workspace_id) == 2
    assert _sequence(world.url, world.admin.workspace_id) == 2


def test_next_ticket_number_of_a_missing_workspace_is_not_found(world):
    with pytest.raises(NotFound), write_session(world.url) as session:
        tickets.next_ticket_number(session, 999_999)


def test_a_rolled_back_creation_does_not_consume_a_number(world):
    support = world.departments["Support"]
    assert _create(world.url, world.customer, support) == 1
    with pytest.raises(RuntimeError, match="something after the insert failed"), write_session(world.url) as session:
        created = tickets.create_ticket(session, world.customer, "Rolled back", support, "", "This one fails later.")
        assert created.number == 2
        raise RuntimeError("something after the insert failed")
    assert _stored_numbers(world.url, world.customer.workspace_id) == [1]
    assert _sequence(world.url, world.customer.workspace_id) == 1
    assert _create(world.url, world.customer, support) == 2


def test_a_refused_creation_does_not_consume_a_number(world):
    support = world.departments["Support"]
    with pytest.raises(InvalidInput) as caught, write_session(world.url) as session:
        tickets.create_ticket(session, world.customer, "Fine subject", support, "", "tiny")
    assert caught.value.field == "body"
    assert _sequence(world.url, world.customer.workspace_id) == 0
    assert _create(world.url, world.customer, support) == 1


def _create_concurrently(world):
    """THREADS threads, each with its own transactions, all starting at once."""
    support = world.departments["Support"]
    start = threading.Barrier(THREADS)
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(thread_index):
        try:
            start.wait()
            for i in range(TICKETS_PER_THREAD):
                number = _create(world.url, world.customer, support, f"Thread {thread_index} ticket {i}")
                with lock:
                    numbers.append(number)
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return numbers


def _assert_gap_free(world, numbers):
    total = THREADS * TICKETS_PER_THREAD
    assert sorted(numbers) == list(range(1, total + 1))
    assert _stored_numbers(world.url, world.customer.workspace_id) == list(range(1, total + 1))
    assert _sequence(world.url, world.customer.workspace_id) == total


@pytest.mark.usefixtures("no_flood_limits")  # 80 tickets by one customer at once
def test_concurrent_creation_on_sqlite_gives_unique_gap_free_numbers(world):
    _assert_gap_free(world, _create_concurrently(world))


@pytest.mark.usefixtures("no_flood_limits")  # 80 tickets by one customer at once
def test_concurrent_creation_on_postgresql_gives_unique_gap_free_numbers(pg_world):
    _assert_gap_free(pg_world, _create_concurrently(pg_world))
