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


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    return config


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_url(request) -> str:
    return request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")


def test_the_migrated_schema_is_the_models_schema(migrated_url):
    with get_engine(migrated_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
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
