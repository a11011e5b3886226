"""Sign-in, sessions and sign-out, per workspace."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from xobito_web.models import LoginFailure, Role, User, UserSession, Workspace, is_team_role, utcnow
from xobito_web.services.errors import InvalidInput, NotFound, SignInFailed, TooManyAttempts
from xobito_web.services.passwords import verify_password
from xobito_web.services.workspaces import find_workspace, normalize_email

# The browser keeps the raw session token in this HttpOnly cookie; the server stores and
# compares only its SHA-256 (hash_token), and so does every Reflex state.
SESSION_COOKIE = "xobito_session"
SESSION_LIFETIME = timedelta(days=14)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
WRONG_CREDENTIALS = "Email or password is incorrect."
TOO_MANY_ATTEMPTS = "Too many failed sign-ins. Wait 15 minutes and try again."
# What the sign-in page says for the error code of a refused plain form post (no script).
SIGN_IN_REFUSALS = {
    "credentials": WRONG_CREDENTIALS,
    "throttled": "Too many failed sign-ins. Wait a few minutes and try again.",
    "invalid": "Enter a valid email address and your password.",
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


def _current_user(user: User, workspace: Workspace) -> CurrentUser:
    return CurrentUser(
        user_id=user.id,
        workspace_id=workspace.id,
        subdomain=workspace.subdomain,
        workspace_name=workspace.name,
        name=user.name,
        email=user.email,
        role=user.role,
    )


def _recent_failures(
    session: Session, workspace_id: int, email: str, ip_address: str, now: datetime
) -> tuple[int, int]:
    since = now - FAILURE_WINDOW
    per_account = session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(
            LoginFailure.workspace_id == workspace_id,
            LoginFailure.email == email,
            LoginFailure.created_at > since,
        )
    ).one()
    per_address = 0
    if ip_address:
        per_address = session.exec(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.ip_address == ip_address, LoginFailure.created_at > since)
        ).one()
    return per_account, per_address


def sign_in(
    session: Session,
    subdomain: str,
    email: str,
    password: str,
    ip_address: str = "",
    now: datetime | None = None,
) -> tuple[str, CurrentUser]:
    """Check the credentials and open a session; returns the raw token (store only its hash).

    A failed attempt is committed before SignInFailed is raised, so it counts even though the
    caller's transaction then rolls back.
    """
    now = now or utcnow()
    workspace = find_workspace(session, subdomain)
    if workspace is None:
        raise NotFound(f"There is no workspace {subdomain!r}.")
    email = normalize_email(email)
    if not password:
        raise InvalidInput("Enter your password.", "password")

    per_account, per_address = _recent_failures(session, workspace.id, email, ip_address, now)
    if per_account >= MAX_FAILURES_PER_ACCOUNT or per_address >= MAX_FAILURES_PER_ADDRESS:
        raise TooManyAttempts(TOO_MANY_ATTEMPTS)

    user = session.exec(select(User).where(User.workspace_id == workspace.id, User.email == email)).first()
    password_ok = verify_password(password, user.password_hash if user else None)
    if user is None or not user.active or not password_ok:
        session.add(LoginFailure(workspace_id=workspace.id, email=email, ip_address=ip_address[:64], created_at=now))
        session.commit()
        raise SignInFailed(WRONG_CREDENTIALS)

    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + SESSION_LIFETIME)
    )
    # A success clears the account's failures, and expired sessions are swept now and then.
    session.exec(delete(LoginFailure).where(LoginFailure.workspace_id == workspace.id, LoginFailure.email == email))
    session.exec(delete(UserSession).where(UserSession.expires_at < now))
    session.exec(delete(LoginFailure).where(LoginFailure.created_at < now - FAILURE_WINDOW))
    session.flush()
    return token, _current_user(user, workspace)


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
        .join(UserSession, UserSession.user_id == User.id)
        .join(Workspace, Workspace.id == User.workspace_id)
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
    return _current_user(user, workspace)


def session_is_live(session: Session, token_hash: str, now: datetime | None = None) -> bool:
    """A session that has not expired, of a person who is still active."""
    now = now or utcnow()
    found = session.exec(
        select(UserSession.id)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash, UserSession.expires_at > now, User.active == True)
    ).first()
    return found is not None


def sign_out(session: Session, token: str | None) -> int | None:
    """End the session of this token; returns whose it was (None when there was none)."""
    if not token:
        return None
    ended = session.exec(
        delete(UserSession).where(UserSession.token_hash == hash_token(token)).returning(UserSession.user_id)
    ).first()
    return ended[0] if ended else None
