"""Engine and sessions. One user action = one `write_session()` block = one transaction."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from xobito_web.config import settings


def get_engine(url: str | None = None) -> Engine:
    """The engine of `url`, by default the configured database (resolved on every call)."""
    return _engine_for(url or settings.database_url)


def forget_inherited_connections() -> None:
    """In a forked process: let go of the parent's pooled connections without closing them.

    `xobito serve` migrates, then its server forks the worker processes. A pooled connection
    they inherit is one socket shared with the parent and every other worker; used from two
    processes its protocol breaks (a BEGIN answered with another's reply, a connection "in
    transaction" that is not), and an event failing that way held its tab's Redis lock until the
    lock expired: the page stayed on "Loading" for 10 s. Each process opens its own instead."""
    for engine in _engines_made:
        engine.dispose(close=False)


_engines_made: list[Engine] = []
os.register_at_fork(after_in_child=forget_inherited_connections)


@functools.cache
def _engine_for(url: str) -> Engine:
    engine = _new_engine(url)
    _engines_made.append(engine)
    return engine


def _new_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # We issue BEGIN ourselves (below) so writers can take the lock up front.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writer that starts DEFERRED and upgrades later can fail at once with "database is
        # locked" under WAL; BEGIN IMMEDIATE waits its turn (busy_timeout) instead.
        mode = "IMMEDIATE" if conn.get_execution_options().get("xobito_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    with Session(get_engine(url), expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """A transaction that commits when the block ends and rolls back on any exception."""
    engine = get_engine(url).execution_options(xobito_write=True)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
