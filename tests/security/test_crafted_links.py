"""Crafted links and router data: a page opened with an enormous path or query shows its page
(or the 404 page) without a crash, and a tab's stored state does not grow with what it sent."""

from __future__ import annotations

import asyncio

import reflex as rx

from tests.security.conftest import open_session_of
from tests.security.driver import Browser, Tab
from tests.security.test_event_matrix import PAGES

# A tab's whole stored state (every screen) stays below this, whatever link it was opened with.
STATE_BYTES = 64 * 1024


def crafted_paths(page_path: str) -> list[str]:
    return [
        "/acme/" + "x" * 100_000,
        "/acme/tickets/" + "TKT-1" * 20_000,
        "/" + "A" * 100_000 + "/tickets",
        f"/{page_path}?next=" + "/acme/tickets" * 10_000 + "&q=" + "%25" * 50_000 + "&status=" + "open," * 20_000,
    ]


def test_crafted_links_neither_crash_a_page_nor_grow_its_state(app_database, victim):
    world = app_database

    async def scenario():
        sizes = {}
        async with Browser() as browser:
            for cls, page in PAGES.items():
                for signed_in in (True, False):
                    for path in crafted_paths(page.path.format(subdomain="acme", ref=victim.ref)):
                        tab = Tab(path, open_session_of(world, world.customer) if signed_in else "")
                        await browser.open(tab, page.loads)
                        root = await browser.manager.get_state(rx.BaseStateToken(ident=tab.token, cls=rx.State))
                        sizes[(cls.__name__, signed_in, path[:40])] = len(root._serialize())
            return browser.crashes, sizes

    crashes, sizes = asyncio.run(scenario())
    assert [(name.rsplit(".", 1)[-1], repr(error)[:200]) for name, error in crashes] == []
    assert {key: size for key, size in sizes.items() if size > STATE_BYTES} == {}
