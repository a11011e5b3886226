"""Locking people out, through the sign-in route itself: wrong passwords from one address hold
that address back on that account, never the account for everyone, and a forged
X-Forwarded-For neither escapes the throttle nor frames another address unless a trusted proxy
is configured."""

from __future__ import annotations

import dataclasses

from starlette.testclient import TestClient

from tests.conftest import PASSWORD
from xobito_web import routes
from xobito_web.routes import build_api
from xobito_web.services import auth

OWN = {"Accept": "application/json", "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def attempt(world, email: str, password: str, forwarded_for: str = "") -> int:
    client = TestClient(build_api(database_url=world.url), follow_redirects=False)
    headers = OWN | ({"X-Forwarded-For": forwarded_for} if forwarded_for else {})
    return client.post("/acme/login", data={"email": email, "password": password}, headers=headers).status_code


def test_an_attacker_behind_a_proxy_locks_out_only_their_own_address(world, monkeypatch):
    monkeypatch.setattr(routes, "settings", dataclasses.replace(routes.settings, trusted_proxy_hops=1))
    attacker, carol = "198.51.100.66", "203.0.113.10"
    codes = [attempt(world, world.customer.email, "wrong guess", attacker) for _ in range(auth.PAIR_FREE_FAILURES + 1)]
    assert codes[: auth.PAIR_FREE_FAILURES] == [401] * auth.PAIR_FREE_FAILURES
    assert codes[-1] == 429
    assert attempt(world, world.customer.email, PASSWORD, attacker) == 429  # even the right password
    assert attempt(world, world.customer.email, PASSWORD, carol) == 200  # the owner is not locked out
    assert attempt(world, world.other_customer.email, PASSWORD, attacker) == 200  # nor other accounts


def test_without_a_trusted_proxy_a_forged_forwarded_address_changes_nothing(world):
    for number in range(auth.PAIR_FREE_FAILURES):
        assert attempt(world, world.customer.email, "wrong guess", f"192.0.2.{number}") == 401
    # Every attempt counted against the real peer, whatever the header said.
    assert attempt(world, world.customer.email, PASSWORD, "192.0.2.200") == 429
