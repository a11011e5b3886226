from datetime import timedelta

import pytest

from tests.conftest import PASSWORD
from xobito_web.db import read_session, write_session
from xobito_web.models import LoginFailure, UserSession, utcnow
from xobito_web.services import auth
from xobito_web.services.errors import InvalidInput, NotFound, SignInFailed, TooManyAttempts
from xobito_web.services.passwords import hash_password, verify_password


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
    with write_session(world.url) as session:
        token, user = auth.sign_in(session, "acme", "Carol@Customer.example.com", PASSWORD)
    assert user.email == "carol@customer.example.com" and user.role == "customer"
    with read_session(world.url) as session:
        stored = session.exec(UserSession.__table__.select()).all()
        assert all(row.token_hash != token for row in stored)
        assert auth.hash_token(token) in {row.token_hash for row in stored}
        resolved = auth.resolve_session(session, token, "acme")
    assert resolved == user


def test_session_is_bound_to_its_workspace(world):
    with write_session(world.url) as session:
        token, _user = auth.sign_in(session, "acme", "carol@customer.example.com", PASSWORD)
    with read_session(world.url) as session:
        assert auth.resolve_session(session, token, "other") is None
        assert auth.resolve_session(session, "forged-token", "acme") is None
        assert auth.resolve_session(session, "", "acme") is None


def test_session_expires(world):
    with write_session(world.url) as session:
        token, _user = auth.sign_in(session, "acme", "carol@customer.example.com", PASSWORD)
    later = utcnow() + auth.SESSION_LIFETIME + timedelta(seconds=1)
    with read_session(world.url) as session:
        assert auth.resolve_session(session, token, "acme") is not None
        assert auth.resolve_session(session, token, "acme", now=later) is None


def test_sign_out_ends_the_session(world):
    with write_session(world.url) as session:
        token, _user = auth.sign_in(session, "acme", "carol@customer.example.com", PASSWORD)
    with write_session(world.url) as session:
        auth.sign_out(session, token)
    with read_session(world.url) as session:
        assert auth.resolve_session(session, token, "acme") is None


@pytest.mark.parametrize("email", ["carol@customer.example.com", "nobody@customer.example.com"])
def test_wrong_credentials_give_one_generic_message(world, email):
    with pytest.raises(SignInFailed) as caught, write_session(world.url) as session:
        auth.sign_in(session, "acme", email, "wrong password")
    assert str(caught.value) == "Email or password is incorrect."


def test_user_of_another_workspace_cannot_sign_in_here(world):
    with pytest.raises(SignInFailed), write_session(world.url) as session:
        auth.sign_in(session, "acme", "admin@other.example.com", PASSWORD)


def test_unknown_workspace_is_not_found(world):
    with pytest.raises(NotFound), write_session(world.url) as session:
        auth.sign_in(session, "nope", "carol@customer.example.com", PASSWORD)


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
    with pytest.raises(InvalidInput) as caught, write_session(world.url) as session:
        auth.sign_in(session, "acme", email, password)
    assert str(caught.value).startswith(expected)


def _fail(url, email, ip="10.0.0.1"):
    try:
        with write_session(url) as session:
            auth.sign_in(session, "acme", email, "wrong password", ip_address=ip)
    except SignInFailed:
        pass


def test_repeated_failures_lock_the_account_even_for_the_right_password(world):
    for _ in range(auth.MAX_FAILURES_PER_ACCOUNT):
        _fail(world.url, "carol@customer.example.com")
    with pytest.raises(TooManyAttempts), write_session(world.url) as session:
        auth.sign_in(session, "acme", "carol@customer.example.com", PASSWORD, ip_address="10.0.0.2")
    # Another account is not affected, and the lock ends with the window.
    with write_session(world.url) as session:
        auth.sign_in(session, "acme", "dave@customer.example.com", PASSWORD, ip_address="10.0.0.2")
    later = utcnow() + auth.FAILURE_WINDOW + timedelta(seconds=1)
    with write_session(world.url) as session:
        auth.sign_in(session, "acme", "carol@customer.example.com", PASSWORD, now=later)


def test_repeated_failures_from_one_address_are_slowed_down(world):
    for index in range(auth.MAX_FAILURES_PER_ADDRESS):
        _fail(world.url, f"guess{index}@customer.example.com", ip="10.9.9.9")
    with pytest.raises(TooManyAttempts), write_session(world.url) as session:
        auth.sign_in(session, "acme", "dave@customer.example.com", PASSWORD, ip_address="10.9.9.9")
    with read_session(world.url) as session:
        assert len(session.exec(LoginFailure.__table__.select()).all()) == auth.MAX_FAILURES_PER_ADDRESS
