"""Sign-in, sessions and sign-out, per workspace.

Sign-in runs in three steps so that the slow part holds no transaction: a short read (the
workspace, the throttle state, the person's password hash), the Argon2 check (about 120 ms and
64 MiB) outside any transaction, then a short write transaction that records either the failure
or the new session. `sign_in` opens its own sessions, so it can run in a worker thread.

Throttling failed sign-ins (issue 11 item 7). Locking an account for everybody after a few
failures let anyone lock anyone out; the rules are now:

- Per (account, address) pair: PAIR_FREE_FAILURES failures cost nothing, then every further
  attempt must wait FIRST_DELAY after the pair's latest failure, doubling with each failure, at
  most MAX_DELAY. An attacker's address is slowed down while the owner, signing in from an
  address that has not failed, is not. A success clears that pair's failures only.
- Per address, across every account (credential stuffing: one address trying many accounts):
  ADDRESS_FREE_FAILURES, then the same growing delays. A success does not clear it, or an
  attacker could wipe the count by signing in to an account of their own. IPv6 counts per /64
  (rate_limits.throttle_address). Without a known address (tests, scripts) this cap is skipped.
- Account-wide: many addresses, each using its free failures, could still guess at one account.
  A hard account-wide limit would bring back the lockout (whatever cap an attacker reaches, they
  can keep reaching), so the safeguard only slows: once the account has collected
  ACCOUNT_UNDER_ATTACK_FAILURES failures, every address gets PAIR_FREE_FAILURES_UNDER_ATTACK
  free failures on it instead of PAIR_FREE_FAILURES. An address that has not failed on the
  account always gets its attempt, so the owner, who knows the password, still gets in.
- Failures are remembered for FAILURE_MEMORY. A refused attempt checks no password and is not
  recorded, so trying again early does not make the wait longer.
- Unknown emails are counted and throttled like real accounts, and both give the same
  WRONG_CREDENTIALS after the same Argon2 work, so neither the answer nor its timing tells
  which accounts exist.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, text, update
from sqlmodel import Session, col, select

from xobito_web.db import read_session, write_session
from xobito_web.models import LoginFailure, Pending, Role, User, UserSession, Workspace, is_team_role, utcnow
from xobito_web.services import live
from xobito_web.services.errors import InvalidInput, NotFound, SignInFailed, TooManyAttempts
from xobito_web.services.passwords import verify_password
from xobito_web.services.rate_limits import describe_wait, throttle_address
from xobito_web.services.workspaces import find_workspace, normalize_email

# The browser keeps the raw session token in this HttpOnly cookie; the server stores and
# compares only its SHA-256 (hash_token), and so does every Reflex state.
SESSION_COOKIE = "xobito_session"
SESSION_LIFETIME = timedelta(days=14)
FAILURE_MEMORY = timedelta(hours=24)
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
PAIR_FREE_FAILURES = 5
PAIR_FREE_FAILURES_UNDER_ATTACK = 1
ADDRESS_FREE_FAILURES = 50
ACCOUNT_UNDER_ATTACK_FAILURES = 50
# Counting stops here above the free failures: the delay has long reached MAX_DELAY by then.
_ENOUGH_BEYOND_FREE = 16
WRONG_CREDENTIALS = "Email or password is incorrect."
# Said only to whoever typed the right password, so it tells nobody else that the account exists.
DEACTIVATED = "This account has been deactivated. Ask an admin of the workspace to reactivate it."
TOO_MANY_ATTEMPTS = "Too many failed sign-ins from this address. Try again in {wait}."
# What the sign-in page says for the error code of a refused plain form post (no script).
SIGN_IN_REFUSALS = {
    "credentials": WRONG_CREDENTIALS,
    "throttled": "Too many failed sign-ins from this address. Wait a few minutes and try again.",
    "invalid": "Enter a valid email address and your password.",
    "deactivated": DEACTIVATED,
    "refused": "The sign-in could not be sent from that page. Open the sign-in page and try again.",
    "not_found": "There is no such workspace.",
}


@dataclass(frozen=True)
class CurrentUser:
    """Who is signed in, as a small plain record (safe to keep in UI state)."""

    user_id: int
    workspace_id: int
    subdomain: str
    workspace_name: str
    name: str
    email: str
    role: str

    @property
    def is_team(self) -> bool:
        return is_team_role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_user_of(user: User, workspace: Workspace) -> CurrentUser:
    """The small plain record of `user` of `workspace`."""
    return CurrentUser(
        user_id=user.id,
        workspace_id=workspace.id,
        subdomain=workspace.subdomain,
        workspace_name=workspace.name,
        name=user.name,
        email=user.email,
        role=user.role,
    )


def failure_delay(failures: int, free: int) -> timedelta:
    """How long after its latest failure a pair or address with `failures` may try again."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - free, _ENOUGH_BEYOND_FREE), MAX_DELAY)


def _recent_failures(
    session: Session, conditions: Sequence[ColumnElement[bool]], since: datetime, enough: int
) -> tuple[int, datetime | None]:
    """How many failures match since `since` (counting no further than `enough`) and the latest.

    Newest first through an index ending in created_at, so at most `enough` entries are read
    however long an attack has been going on.
    """
    found = session.exec(
        select(LoginFailure.created_at)
        .where(*conditions, LoginFailure.created_at > since)
        .order_by(col(LoginFailure.created_at).desc())
        .limit(enough)
    ).all()
    return len(found), (found[0] if found else None)


def _wait_after_failures(
    session: Session, conditions: Sequence[ColumnElement[bool]], free: int, now: datetime
) -> timedelta:
    count, latest = _recent_failures(session, conditions, now - FAILURE_MEMORY, free + _ENOUGH_BEYOND_FREE)
    if latest is None:
        return timedelta(0)
    return max(timedelta(0), latest + failure_delay(count, free) - now)


def _pair(workspace_id: int, email: str, address: str) -> tuple[ColumnElement[bool], ...]:
    return (
        col(LoginFailure.workspace_id) == workspace_id,
        col(LoginFailure.email) == email,
        col(LoginFailure.ip_address) == address,
    )


def throttle_wait(session: Session, workspace_id: int, email: str, address: str, now: datetime) -> timedelta:
    """How long this account may not be tried from `address` (a throttle_address key); 0: go ahead."""
    account = (col(LoginFailure.workspace_id) == workspace_id, col(LoginFailure.email) == email)
    account_failures, _latest = _recent_failures(session, account, now - FAILURE_MEMORY, ACCOUNT_UNDER_ATTACK_FAILURES)
    under_attack = account_failures >= ACCOUNT_UNDER_ATTACK_FAILURES
    free = PAIR_FREE_FAILURES_UNDER_ATTACK if under_attack else PAIR_FREE_FAILURES
    wait = _wait_after_failures(session, _pair(workspace_id, email, address), free, now)
    if address:
        per_address = (col(LoginFailure.ip_address) == address,)
        wait = max(wait, _wait_after_failures(session, per_address, ADDRESS_FREE_FAILURES, now))
    return wait


def too_many_attempts(wait: timedelta) -> TooManyAttempts:
    seconds = math.ceil(wait.total_seconds())
    return TooManyAttempts(TOO_MANY_ATTEMPTS.format(wait=describe_wait(seconds)), seconds)


def sign_in(
    subdomain: str,
    email: str,
    password: str,
    client_address: str = "",
    *,
    database_url: str | None = None,
    now: datetime | None = None,
) -> tuple[str, CurrentUser]:
    """Check the credentials and open a session; returns the raw token (store only its hash).

    `client_address` is the person's address (Reflex's router.session.client_ip, or
    rate_limits.client_address on an HTTP route). Opens its own short transactions (module
    docstring); never call it inside a write_session() block. Raises NotFound (no such
    workspace), InvalidInput, TooManyAttempts or SignInFailed.
    """
    now = now or utcnow()
    address = throttle_address(client_address)
    with read_session(database_url) as session:
        workspace = find_workspace(session, subdomain)
        if workspace is None:
            raise NotFound(f"There is no workspace {subdomain!r}.")
        email = normalize_email(email)
        if not password:
            raise InvalidInput("Enter your password.", "password")
        wait = throttle_wait(session, workspace.id, email, address, now)
        if wait:
            raise too_many_attempts(wait)
        user = session.exec(select(User).where(User.workspace_id == workspace.id, User.email == email)).first()

    # The slow part, outside any transaction. An unknown email is checked against a dummy hash,
    # so it costs as long as a wrong password.
    password_ok = verify_password(password, user.password_hash if user else None)
    signed_in = user is not None and user.active and password_ok
    # The right password for an account that may not sign in: say why (nobody else learns it).
    refusal = _why_not_active(user) if user is not None and password_ok and not user.active else None

    token = ""
    with write_session(database_url) as session:
        # Checked again: attempts sent in parallel all passed the read above. One that lost the
        # race is refused and counted whatever the password, so its outcome stays hidden.
        take_turns_on_account(session, workspace.id, email)
        wait = throttle_wait(session, workspace.id, email, address, now)
        if wait or not (signed_in or refusal):
            session.add(LoginFailure(workspace_id=workspace.id, email=email, ip_address=address, created_at=now))
        elif signed_in and user is not None:
            token = _open_session(session, user.id, _pair(workspace.id, email, address), now)
    if wait:
        raise too_many_attempts(wait)
    if refusal is not None:
        raise refusal
    if not signed_in or user is None:
        raise SignInFailed(WRONG_CREDENTIALS)
    return token, current_user_of(user, workspace)


class AccountNotActive(SignInFailed):
    """The password was right, but the account may not sign in; `code` names why (SIGN_IN_REFUSALS)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _why_not_active(user: User) -> AccountNotActive | None:
    # Someone invited or signing up has no password yet, so only a deactivated person gets here.
    return AccountNotActive(DEACTIVATED, "deactivated") if user.pending == Pending.NONE else None


def take_turns_on_account(session: Session, workspace_id: int, email: str, purpose: str = "sign-in") -> None:
    """Attempts on one account write one after another, so the check above is exact.

    SQLite writers always take turns (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped
    advisory lock keyed by the account does it (an unknown email has no row to lock).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.scalar(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:account, 0))"),
            {"account": f"{purpose} {workspace_id} {email}"},
        )


def _open_session(session: Session, user_id: int, pair: Sequence[ColumnElement[bool]], now: datetime) -> str:
    token = open_session(session, user_id, now)
    # A success forgives this address's failures on this account (not elsewhere), and expired
    # sessions and forgotten failures are swept along the way.
    session.exec(delete(LoginFailure).where(*pair))
    session.exec(delete(UserSession).where(col(UserSession.expires_at) < now))
    session.exec(delete(LoginFailure).where(col(LoginFailure.created_at) <= now - FAILURE_MEMORY))
    session.flush()
    return token


def new_token() -> str:
    """A random secret for a cookie or a one-time link (256 bits)."""
    return secrets.token_urlsafe(32)


def open_session(session: Session, user_id: int, now: datetime | None = None) -> str:
    """A new session of `user_id` in the caller's transaction; returns the raw token for the
    HttpOnly cookie (routes.py). Records the sign-in time the People page shows."""
    now = now or utcnow()
    token = new_token()
    session.add(
        UserSession(token_hash=hash_token(token), user_id=user_id, created_at=now, expires_at=now + SESSION_LIFETIME)
    )
    session.exec(update(User).where(col(User.id) == user_id).values(last_sign_in_at=now))
    return token


def end_sessions(session: Session, user_id: int, keep_hash: str = "") -> None:
    """End every session of `user_id` (but the one whose hash is `keep_hash`); once committed,
    that person's open tabs check their session again and the ended ones go to sign-in."""
    ended = delete(UserSession).where(col(UserSession.user_id) == user_id)
    if keep_hash:
        ended = ended.where(col(UserSession.token_hash) != keep_hash)
    session.exec(ended)
    live.announce_sessions_ended(session, user_id)


@dataclass(frozen=True)
class Visitor:
    """Who opened a page of a workspace: signed in (`user`), or not, or no such workspace."""

    workspace_found: bool
    workspace_name: str
    user: CurrentUser | None


def identify(session: Session, token_hash: str | None, subdomain: str) -> Visitor:
    """One query when signed in (the session row leads to its workspace), two when not."""
    user = resolve_session_hash(session, token_hash, subdomain)
    if user is not None:
        return Visitor(True, user.workspace_name, user)
    workspace = find_workspace(session, subdomain)
    return Visitor(workspace is not None, workspace.name if workspace else "", None)


def resolve_session(
    session: Session, token: str | None, subdomain: str, now: datetime | None = None
) -> CurrentUser | None:
    """The signed-in user of this workspace, or None (no token, expired, signed out, other workspace)."""
    if not token:
        return None
    return resolve_session_hash(session, hash_token(token), subdomain, now)


def resolve_session_hash(
    session: Session, token_hash: str | None, subdomain: str, now: datetime | None = None
) -> CurrentUser | None:
    """As `resolve_session`, from the token's hash (what the Reflex states hold)."""
    if not token_hash or len(token_hash) != 64:
        return None
    now = now or utcnow()
    row = session.exec(
        select(User, Workspace)
        .join(UserSession, col(UserSession.user_id) == col(User.id))
        .join(Workspace, col(Workspace.id) == col(User.workspace_id))
        .where(
            UserSession.token_hash == token_hash,
            UserSession.expires_at > now,
            Workspace.subdomain == subdomain,
            User.active == True,
        )
    ).first()
    if row is None:
        return None
    user, workspace = row
    return current_user_of(user, workspace)


def session_is_live(session: Session, token_hash: str, now: datetime | None = None) -> bool:
    """A session that has not expired, of a person who is still active."""
    now = now or utcnow()
    found = session.exec(
        select(UserSession.id)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(UserSession.token_hash == token_hash, UserSession.expires_at > now, User.active == True)
    ).first()
    return found is not None


def sign_out(session: Session, token: str | None) -> int | None:
    """End the session of this token; returns whose it was (None when there was none)."""
    if not token:
        return None
    ended = session.exec(
        delete(UserSession).where(col(UserSession.token_hash) == hash_token(token)).returning(col(UserSession.user_id))
    ).first()
    return ended[0] if ended else None
