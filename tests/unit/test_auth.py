"""Passwords, sign-in, sessions, and the sign-in throttle (per account and address pair, per
address, gently per account) with addresses taken through trusted proxy hops."""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from tests.conftest import PASSWORD
from xobito_web import config
from xobito_web.db import get_engine, read_session, write_session
from xobito_web.models import LoginFailure, UserSession, utcnow
from xobito_web.services import auth, passwords
from xobito_web.services.errors import InvalidInput, NotFound, SignInFailed, TooManyAttempts
from xobito_web.services.passwords import hash_password, verify_password
from xobito_web.services.rate_limits import client_address, describe_wait, throttle_address

CAROL = "carol@customer.example.com"
DAVE = "dave@customer.example.com"
ATTACKER = "203.0.113.66"
OWNER_AT_HOME = "198.51.100.7"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_password_hash_is_argon2_and_verifies_only_the_right_password():
    hashed = hash_password("s3cret-enough")
    assert hashed.startswith("$argon2")
    assert "s3cret-enough" not in hashed
    assert verify_password("s3cret-enough", hashed)
    assert not verify_password("s3cret-enougH", hashed)
    assert hash_password("s3cret-enough") != hashed  # salted


def test_verify_password_rejects_missing_or_garbage_hash():
    assert not verify_password("anything", None)
    assert not verify_password("anything", "not-a-hash")


def test_sign_in_creates_a_hashed_session_that_resolves_to_the_user(world):
    token, user = auth.sign_in("acme", "Carol@Customer.example.com", PASSWORD, database_url=world.url)
    assert user.email == "carol@customer.example.com" and user.role == "customer"
    with read_session(world.url) as session:
        stored = session.exec(select(UserSession)).all()
        assert all(row.token_hash != token for row in stored)
        assert auth.hash_token(token) in {row.token_hash for row in stored}
        resolved = auth.resolve_session(session, token, "acme")
    assert resolved == user


def test_session_is_bound_to_its_workspace(world):
    token, _user = auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)
    with read_session(world.url) as session:
        assert auth.resolve_session(session, token, "other") is None
        assert auth.resolve_session(session, "forged-token", "acme") is None
        assert auth.resolve_session(session, "", "acme") is None


def test_session_expires(world):
    token, _user = auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)
    later = utcnow() + auth.SESSION_LIFETIME + timedelta(seconds=1)
    with read_session(world.url) as session:
        assert auth.resolve_session(session, token, "acme") is not None
        assert auth.resolve_session(session, token, "acme", now=later) is None


def test_sign_out_ends_the_session(world):
    token, _user = auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)
    with write_session(world.url) as session:
        auth.sign_out(session, token)
    with read_session(world.url) as session:
        assert auth.resolve_session(session, token, "acme") is None


@pytest.mark.parametrize("email", ["carol@customer.example.com", "nobody@customer.example.com"])
def test_wrong_credentials_give_one_generic_message(world, email):
    with pytest.raises(SignInFailed) as caught:
        auth.sign_in("acme", email, "wrong password", database_url=world.url)
    assert str(caught.value) == "Email or password is incorrect."


def test_user_of_another_workspace_cannot_sign_in_here(world):
    with pytest.raises(SignInFailed):
        auth.sign_in("acme", "admin@other.example.com", PASSWORD, database_url=world.url)


def test_unknown_workspace_is_not_found(world):
    with pytest.raises(NotFound):
        auth.sign_in("nope", CAROL, PASSWORD, database_url=world.url)


@pytest.mark.parametrize(
    "email, password, expected",
    [
        ("", PASSWORD, "Enter your email address."),
        ("not-an-email", PASSWORD, "That email address is not valid"),
        ("carol@@customer.example.com", PASSWORD, "That email address is not valid"),
        ("carol@customer.example.com", "", "Enter your password."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(world, email, password, expected):
    with pytest.raises(InvalidInput) as caught:
        auth.sign_in("acme", email, password, database_url=world.url)
    assert str(caught.value).startswith(expected)


# --- The sign-in throttle -----------------------------------------------------------------


def try_sign_in(world, email, password=PASSWORD, address=ATTACKER, when=T0):
    """One sign-in attempt: "signed in", "incorrect", or the TooManyAttempts refusal itself."""
    try:
        auth.sign_in("acme", email, password, address, database_url=world.url, now=when)
    except SignInFailed as error:
        assert str(error) == "Email or password is incorrect."
        return "incorrect"
    except TooManyAttempts as error:
        return error
    return "signed in"


def fail(world, email, address=ATTACKER, when=T0, times=1):
    for _ in range(times):
        assert try_sign_in(world, email, "wrong password", address, when) == "incorrect"


def refusal(outcome) -> tuple[str, int]:
    assert isinstance(outcome, TooManyAttempts), outcome
    return str(outcome), outcome.retry_after_seconds


def waiting(wait: str) -> str:
    return f"Too many failed sign-ins from this address. Try again in {wait}."


def stored_failures(world, email=None, address=None) -> int:
    conditions = []
    if email is not None:
        conditions.append(LoginFailure.email == email)
    if address is not None:
        conditions.append(LoginFailure.ip_address == throttle_address(address))
    with read_session(world.url) as session:
        return session.exec(select(func.count()).select_from(LoginFailure).where(*conditions)).one()


def past_failures(world, attempts, when=T0):
    """Failures already recorded (as sign_in records them), for histories too long to replay."""
    with write_session(world.url) as session:
        for email, address in attempts:
            session.add(
                LoginFailure(
                    workspace_id=world.customer.workspace_id,
                    email=email,
                    ip_address=throttle_address(address),
                    created_at=when,
                )
            )


def test_failures_slow_down_only_their_account_and_address_pair(any_world):
    world = any_world
    fail(world, CAROL, ATTACKER, times=auth.PAIR_FREE_FAILURES)
    later = T0 + timedelta(seconds=10)
    # The right password from the attacker's address is refused, and says how long to wait ...
    assert refusal(try_sign_in(world, CAROL, PASSWORD, ATTACKER, later)) == (waiting("50 seconds"), 50)
    # ... while the owner, from an address that has not failed, signs in at once,
    assert try_sign_in(world, CAROL, PASSWORD, OWNER_AT_HOME, later) == "signed in"
    # and the attacker's address is not held back on another account.
    assert try_sign_in(world, DAVE, PASSWORD, ATTACKER, later) == "signed in"
    # The refused attempt was not recorded; the owner's success forgave nothing of the attacker's.
    assert stored_failures(world, CAROL, ATTACKER) == auth.PAIR_FREE_FAILURES
    # Once the wait is over, the attacker's address may try again.
    assert try_sign_in(world, CAROL, "wrong password", ATTACKER, T0 + timedelta(seconds=60)) == "incorrect"


def test_the_wait_doubles_with_each_further_failure_up_to_an_hour(any_world):
    world = any_world
    fail(world, CAROL, ATTACKER, times=auth.PAIR_FREE_FAILURES)
    waits, messages, when = [], [], T0
    for _ in range(8):
        message, wait = refusal(try_sign_in(world, CAROL, PASSWORD, ATTACKER, when))
        waits.append(wait)
        messages.append(message)
        # One second early is still too early, and asking early does not make the wait longer.
        just_before = when + timedelta(seconds=wait - 1)
        assert refusal(try_sign_in(world, CAROL, PASSWORD, ATTACKER, just_before))[1] == 1
        when += timedelta(seconds=wait)
        fail(world, CAROL, ATTACKER, when=when)
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert messages[:2] == [waiting("1 minute"), waiting("2 minutes")]
    assert messages[-1] == waiting("1 hour")
    # The owner is still welcome from home.
    assert try_sign_in(world, CAROL, PASSWORD, OWNER_AT_HOME, when) == "signed in"


def test_a_success_forgives_only_its_own_pair(any_world):
    world = any_world
    fail(world, CAROL, OWNER_AT_HOME, times=4)  # the owner's typos
    fail(world, CAROL, ATTACKER, times=3)
    assert try_sign_in(world, CAROL, PASSWORD, OWNER_AT_HOME) == "signed in"
    assert stored_failures(world, CAROL, OWNER_AT_HOME) == 0
    assert stored_failures(world, CAROL, ATTACKER) == 3


def test_one_address_trying_many_accounts_is_slowed_down_on_all_of_them(any_world):
    world = any_world
    guesses = [(f"guess{index}@customer.example.com", ATTACKER) for index in range(auth.ADDRESS_FREE_FAILURES)]
    past_failures(world, guesses, T0)
    soon = T0 + timedelta(seconds=30)
    assert refusal(try_sign_in(world, DAVE, PASSWORD, ATTACKER, soon)) == (waiting("30 seconds"), 30)
    assert stored_failures(world, address=ATTACKER) == auth.ADDRESS_FREE_FAILURES  # nothing added
    # Other addresses are not concerned.
    assert try_sign_in(world, DAVE, PASSWORD, OWNER_AT_HOME, soon) == "signed in"
    # Signing in to an account of one's own from there does not wipe the address's count:
    # the next failure still doubles the wait.
    minute = T0 + timedelta(minutes=1)
    assert try_sign_in(world, DAVE, PASSWORD, ATTACKER, minute) == "signed in"
    fail(world, "guess-again@customer.example.com", ATTACKER, when=minute)
    assert refusal(try_sign_in(world, CAROL, PASSWORD, ATTACKER, minute))[1] == 120


def test_an_account_attacked_from_many_addresses_is_slowed_but_its_owner_gets_in(any_world):
    world = any_world
    botnet = [(CAROL, f"192.0.2.{index}") for index in range(auth.ACCOUNT_UNDER_ATTACK_FAILURES)]
    past_failures(world, botnet, T0)
    # Every further address now gets one free failure on this account instead of five ...
    fail(world, CAROL, ATTACKER, when=T0)
    assert refusal(try_sign_in(world, CAROL, "next guess", ATTACKER, T0)) == (waiting("1 minute"), 60)
    # ... other accounts keep the usual allowance from that address ...
    fail(world, DAVE, ATTACKER, when=T0, times=2)
    # ... and the owner, from an address that has not failed, is never turned away.
    assert try_sign_in(world, CAROL, PASSWORD, OWNER_AT_HOME, T0) == "signed in"


def test_unknown_emails_are_throttled_exactly_like_real_accounts(world):
    nobody = "nobody@customer.example.com"
    fail(world, nobody, ATTACKER, times=auth.PAIR_FREE_FAILURES)
    fail(world, CAROL, ATTACKER, times=auth.PAIR_FREE_FAILURES)
    unknown = refusal(try_sign_in(world, nobody, "guess", ATTACKER))
    known = refusal(try_sign_in(world, CAROL, "guess", ATTACKER))
    assert unknown == known == (waiting("1 minute"), 60)


def test_ipv6_addresses_count_per_64_network(world):
    """Picking a new address of the same /64 for every guess does not escape the throttle."""
    for index in range(auth.PAIR_FREE_FAILURES):
        fail(world, CAROL, f"2001:db8:5:6::{index + 1:x}")
    assert refusal(try_sign_in(world, CAROL, PASSWORD, "2001:db8:5:6:ffff::9"))[1] == 60
    assert try_sign_in(world, CAROL, PASSWORD, "2001:db8:5:7::1") == "signed in"


def test_attempts_sent_at_once_get_no_more_answers_than_the_free_failures(any_world):
    """Eight wrong guesses in parallel may all pass the first read; still only five are answered."""
    world = any_world
    outcomes, start, lock = [], threading.Barrier(8), threading.Lock()

    def guess(index):
        start.wait()
        outcome = try_sign_in(world, CAROL, f"guess {index}", ATTACKER)
        with lock:
            outcomes.append(outcome if isinstance(outcome, str) else "refused")

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["incorrect"] * auth.PAIR_FREE_FAILURES + ["refused"] * 3


def test_the_password_is_checked_outside_any_transaction(any_world, monkeypatch):
    """Argon2 takes ~120 ms and 64 MiB: no transaction (let alone a write lock) is held meanwhile."""
    world = any_world
    engine = get_engine(world.url)
    open_transactions, began, seen = set(), [], []

    def on_begin(connection):
        began.append(1)
        open_transactions.add(id(connection))

    def on_end(connection):
        open_transactions.discard(id(connection))

    def checking(password, password_hash):
        seen.append(len(open_transactions))
        return passwords.verify_password(password, password_hash)

    listeners = [("begin", on_begin), ("commit", on_end), ("rollback", on_end)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    monkeypatch.setattr(auth, "verify_password", checking)
    try:
        assert try_sign_in(world, CAROL, PASSWORD) == "signed in"
        assert try_sign_in(world, CAROL, "wrong password") == "incorrect"
        assert try_sign_in(world, "nobody@customer.example.com", PASSWORD) == "incorrect"
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    assert began and not open_transactions
    assert seen == [0, 0, 0]


def test_sign_ins_run_side_by_side_in_worker_threads(any_world):
    world = any_world
    emails = [CAROL, DAVE, "admin@acme.example.com", "sam@acme.example.com"]
    tokens, start, lock = {}, threading.Barrier(len(emails)), threading.Lock()

    def sign_in(email):
        start.wait()
        token, _user = auth.sign_in("acme", email, PASSWORD, "192.0.2.1", database_url=world.url)
        with lock:
            tokens[email] = token

    threads = [threading.Thread(target=sign_in, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with read_session(world.url) as session:
        resolved = {email: auth.resolve_session(session, token, "acme") for email, token in tokens.items()}
    assert {email: user.email for email, user in resolved.items() if user} == {email: email for email in emails}


# --- The client's address through trusted proxies ------------------------------------------


@pytest.mark.parametrize(
    "peer, forwarded_for, hops, expected",
    [
        ("203.0.113.5", "6.6.6.6", 0, "203.0.113.5"),  # no proxy trusted: a forged header is ignored
        ("10.0.0.1", "203.0.113.5", 1, "203.0.113.5"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),  # what the client wrote is ignored
        ("10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.1", 2, "203.0.113.5"),
        ("10.0.0.1", ["6.6.6.6", "203.0.113.5"], 1, "203.0.113.5"),  # two header lines
        ("10.0.0.1", " 203.0.113.5 , ", 1, "203.0.113.5"),
        ("10.0.0.1", "", 1, "10.0.0.1"),  # no header: the peer
        ("10.0.0.2", "203.0.113.5", 2, "10.0.0.2"),  # fewer entries than proxies: the peer
        ("10.0.0.1", "203.0.113.5:4711", 1, "203.0.113.5"),
        ("10.0.0.1", "[2001:DB8:0:0::1]:443", 1, "2001:db8::1"),
        ("::ffff:203.0.113.5", None, 0, "203.0.113.5"),
        ("10.0.0.1", "unknown", 1, "unknown"),
        ("10.0.0.1", "x" * 500, 1, "x" * 64),
        (None, None, 0, ""),
    ],
)
def test_client_address_trusts_only_the_configured_proxy_hops(peer, forwarded_for, hops, expected):
    assert client_address(peer, forwarded_for, hops) == expected


@pytest.mark.parametrize(
    "address, key",
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("unknown", "unknown"),
        ("", ""),
    ],
)
def test_failures_are_counted_per_ipv4_address_and_ipv6_network(address, key):
    assert throttle_address(address) == key


def test_behind_a_trusted_proxy_each_client_has_its_own_throttle(world):
    proxy = "10.0.0.1"
    attacker = client_address(proxy, f"6.6.6.6, {ATTACKER}", 1)
    owner = client_address(proxy, OWNER_AT_HOME, 1)
    fail(world, CAROL, attacker, times=auth.PAIR_FREE_FAILURES)
    assert refusal(try_sign_in(world, CAROL, PASSWORD, attacker))[1] == 60
    assert try_sign_in(world, CAROL, PASSWORD, owner) == "signed in"
    assert stored_failures(world, CAROL, ATTACKER) == auth.PAIR_FREE_FAILURES


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_throttle(world):
    forged = [client_address(ATTACKER, f"192.0.2.{index}", 0) for index in range(auth.PAIR_FREE_FAILURES + 1)]
    for address in forged[:-1]:
        fail(world, CAROL, address)
    assert refusal(try_sign_in(world, CAROL, PASSWORD, forged[-1]))[1] == 60


def test_trusted_proxy_hops_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("XOBITO_TRUSTED_PROXY_HOPS", raising=False)
    assert config.load_settings().trusted_proxy_hops == 0
    monkeypatch.setenv("XOBITO_TRUSTED_PROXY_HOPS", "2")
    assert config.load_settings().trusted_proxy_hops == 2
    for wrong in ("two", "-1", "1.5"):
        monkeypatch.setenv("XOBITO_TRUSTED_PROXY_HOPS", wrong)
        with pytest.raises(ValueError, match="XOBITO_TRUSTED_PROXY_HOPS must be a whole number of 0 or more"):
            config.load_settings()


def test_reflex_reads_the_client_ip_through_the_configured_hops():
    """rxconfig passes the setting on: Reflex then takes router.session.client_ip from X-Forwarded-For."""
    env = {**os.environ, "XOBITO_TRUSTED_PROXY_HOPS": "2"}
    found = subprocess.run(
        [sys.executable, "-c", "from reflex.config import get_config; print(get_config().trusted_proxy_hops)"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip().splitlines()[-1] == "2"


@pytest.mark.parametrize(
    "seconds, words",
    [(0.2, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"), (3600, "1 hour"), (3601, "2 hours")],
)
def test_waits_are_told_in_plain_words(seconds, words):
    assert describe_wait(seconds) == words
