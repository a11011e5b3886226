"""Database connections across processes."""

from __future__ import annotations

import os

from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from xobito_web.db import get_engine


def pooled(engine: Engine) -> int:
    """Connections the engine's pool keeps open for later (the pool as it is now)."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)  # keeps connections between uses, as on PostgreSQL
    return pool.checkedin()


def test_a_forked_worker_process_opens_its_own_connections_instead_of_its_parents(db_url):
    engine = get_engine(db_url)
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert pooled(engine) == 1  # as after `xobito serve` migrates
    reader, writer = os.pipe()
    pid = os.fork()  # as the server does when it starts its worker processes
    if pid == 0:
        try:
            os.write(writer, str(pooled(engine)).encode())
        finally:
            os._exit(0)
    os.close(writer)
    pooled_in_child = os.read(reader, 16).decode()
    os.close(reader)
    os.waitpid(pid, 0)
    assert pooled_in_child == "0"  # the parent's socket is not used by a second process
    assert pooled(engine) == 1  # and the parent's own connection is left open for it
