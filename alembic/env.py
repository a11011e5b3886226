"""Alembic environment: the schema is xobito_web.models, the URL comes from settings."""

from sqlmodel import SQLModel

from alembic import context
from xobito_web import models  # noqa: F401  (registers the tables)
from xobito_web.db import get_engine
from xobito_web.services.search import is_engine_object

config = context.config
target_metadata = SQLModel.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    """The full-text engines' own objects (made by migration 0007 per dialect) are not models."""
    parent = getattr(getattr(obj, "table", None), "name", None)
    return not is_engine_object(name, type_, parent)


def run_migrations() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or None
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=_include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
