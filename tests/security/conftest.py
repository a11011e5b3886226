"""Fixtures of the hostile tests: the app's own database is the test's, with a victim ticket."""

from __future__ import annotations

import dataclasses

import pytest

from xobito_web import db
from xobito_web.db import write_session
from xobito_web.services import auth, tickets


@pytest.fixture
def app_database(world, storage, monkeypatch, no_flood_limits):
    """The app's own reads and writes (state events, routes) go to the test's database."""
    monkeypatch.setattr(db, "settings", dataclasses.replace(db.settings, database_url=world.url))
    return world


@dataclasses.dataclass
class Victim:
    ref: str
    number: int


@pytest.fixture
def victim(app_database) -> Victim:
    """Carol's ticket in Support, with a reply: what the attackers go after."""
    world = app_database
    with write_session(world.url) as session:
        created = tickets.create_ticket(
            session, world.customer, "My invoice", str(world.departments["Support"]), "high", "Invoice 42 is wrong."
        )
    with write_session(world.url) as session:
        tickets.post_reply(session, world.support_staff, created.number, "We are looking into it.")
    return Victim(created.ref, created.number)


def open_session_of(world, person) -> str:
    """A fresh session cookie for `person` (no password hashing: many are opened)."""
    with write_session(world.url) as session:
        return auth.open_session(session, person.user_id)


def pytest_collection_modifyitems(items):
    """The browser tests last: they leave an event loop running in the main thread, where the
    other tests of this folder start their own (asyncio.run)."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
