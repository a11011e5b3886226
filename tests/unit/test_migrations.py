"""The migrations build exactly the schema models.py declares, on SQLite and PostgreSQL, and the
API tokens' migration goes down and up again cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import xobito_web.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import command
from xobito_web.db import get_engine
from xobito_web.migrations import PROJECT_ROOT
from xobito_web.services.search import is_engine_object


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    return config


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    # The full-text engines' own objects are made per dialect by migration 0007, not by models.py.
    parent = getattr(getattr(obj, "table", None), "name", None)
    return not is_engine_object(name, type_, parent)


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_url(request) -> str:
    return request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")


def test_the_migrated_schema_is_the_models_schema(migrated_url):
    with get_engine(migrated_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _include_object})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_api_token_migration_goes_down_and_up(migrated_url):
    engine = get_engine(migrated_url)
    command.downgrade(_config(migrated_url), "0003")
    engine.dispose()
    assert "api_token" not in inspect(engine).get_table_names()
    command.upgrade(_config(migrated_url), "head")
    engine.dispose()
    assert {index["name"] for index in inspect(engine).get_indexes("api_token")} >= {
        "ix_api_token_user",
        "ix_api_token_workspace",
    }


def test_the_search_migration_goes_down_and_up(migrated_url):
    engine = get_engine(migrated_url)
    command.downgrade(_config(migrated_url), "0006")
    engine.dispose()
    assert not {"message_search", "ticket_read", "message_fts"} & set(inspect(engine).get_table_names())
    command.upgrade(_config(migrated_url), "head")
    engine.dispose()
    assert {"message_search", "ticket_read"} <= set(inspect(engine).get_table_names())


def test_the_search_migration_indexes_existing_messages_and_marks_customers_tickets_seen(migrated_url):
    from sqlalchemy import text

    from xobito_web.db import read_session, write_session
    from xobito_web.services import tickets
    from xobito_web.services.auth import CurrentUser

    engine = get_engine(migrated_url)
    command.downgrade(_config(migrated_url), "0006")
    engine.dispose()
    now = "2026-01-05 09:00:00.000000"
    with engine.begin() as connection:
        statements = [
            "INSERT INTO workspace (id, subdomain, name, ticket_seq, customer_signup, created_at)"
            " VALUES (1, 'acme', 'Acme', 1, false, :now)",
            "INSERT INTO department (id, workspace_id, name) VALUES (1, 1, 'Support')",
            "INSERT INTO app_user (id, workspace_id, email, name, role, password_hash, active, pending, created_at)"
            " VALUES (1, 1, 'a@example.com', 'Ada', 'admin', '', true, '', :now),"
            " (2, 1, 'c@example.com', 'Cleo', 'customer', '', true, '', :now)",
            "INSERT INTO ticket (id, workspace_id, number, subject, body, department_id, priority, status,"
            " customer_id, created_at, last_reply_at, last_message_by_team)"
            " VALUES (1, 1, 1, 'Printer smokes', 'Since Monday.', 1, 'high', 'answered', 2, :now, :now, true)",
            "INSERT INTO reply (ticket_id, author_id, body, created_at) VALUES (1, 1, 'We refunded the toner.', :now)",
        ]
        for statement in statements:
            connection.execute(text(statement), {"now": now})
    command.upgrade(_config(migrated_url), "head")
    engine.dispose()

    admin = CurrentUser(1, 1, "acme", "Acme", "Ada", "a@example.com", "admin")
    customer = CurrentUser(2, 1, "acme", "Acme", "Cleo", "c@example.com", "customer")
    with read_session(migrated_url) as session:
        for user in (admin, customer):
            for words in ("refund", "smoking printer", "monday"):
                page = tickets.list_tickets(session, user, tickets.TicketFilter(search=words))
                assert [row.number for row in page.rows] == [1], (user.role, words)
        assert [row.unread for row in tickets.list_tickets(session, customer).rows] == [False]
        assert [row.unread for row in tickets.list_tickets(session, admin).rows] == [True]
    # and new messages join the index
    with write_session(migrated_url) as session:
        tickets.post_reply(session, customer, 1, "The zeppelin toner works.")
    with read_session(migrated_url) as session:
        assert [
            r.number for r in tickets.list_tickets(session, admin, tickets.TicketFilter(search="zeppelin")).rows
        ] == [1]
