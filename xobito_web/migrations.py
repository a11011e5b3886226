"""Bring a database's schema up to date with Alembic (used by `xobito migrate` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from xobito_web.config import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def upgrade(database_url: str | None = None) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url or settings.database_url
    command.upgrade(config, "head")
