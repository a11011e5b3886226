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
