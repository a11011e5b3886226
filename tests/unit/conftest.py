"""Fixtures of the unit tests that run the app's own state events."""

from __future__ import annotations

import dataclasses

import pytest

from xobito_web import db


@pytest.fixture
def app_database(world, monkeypatch):
    """The app's own reads and writes (state events) go to the test's database."""
    monkeypatch.setattr(db, "settings", dataclasses.replace(db.settings, database_url=world.url))
    return world
