"""The bulk seeder reserves its numbers, so tickets created afterwards continue the sequence."""

from sqlalchemy import func
from sqlmodel import select

from tests.unit.test_tickets import open_ticket
from xobito_web.db import read_session
from xobito_web.models import Reply, Ticket
from xobito_web.seed import seed_tickets
from xobito_web.services import tickets


def test_seeded_tickets_are_numbered_in_sequence_and_visible(world):
    open_ticket(world)  # TKT-000001 exists before the seed
    figures = seed_tickets("acme", 120, replies_per_ticket=3, url=world.url)
    assert (figures.tickets, figures.replies) == (120, 360)
    assert open_ticket(world).number == 122
    with read_session(world.url) as session:
        numbers = session.exec(select(Ticket.number).where(Ticket.workspace_id == world.admin.workspace_id)).all()
        assert sorted(numbers) == list(range(1, 123))
        assert session.exec(select(func.count()).select_from(Reply)).one() == 360
        page = tickets.list_tickets(session, world.admin, tickets.TicketFilter(statuses=()))
    assert len(page.rows) == tickets.PAGE_SIZE and page.next_cursor


def test_a_bulk_load_on_postgresql_refreshes_the_planner_statistics(pg_world):
    from sqlalchemy import text

    seed_tickets("acme", 50, url=pg_world.url)
    with read_session(pg_world.url) as session:
        analyzed = session.scalars(
            text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname IN ('ticket', 'reply')"
            )
        ).all()
    assert sorted(analyzed) == ["reply", "ticket"]
