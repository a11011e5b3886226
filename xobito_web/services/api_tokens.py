"""Personal API tokens: created, named and revoked by their owner; admins see and revoke all of
their workspace's.

A token acts as its owner: the owner's current role and visibility (services/access.py), in
the owner's workspace only, and only while the owner is active. The raw token is returned once
by `create_token` and never stored: the table keeps its SHA-256 and its first characters (so a
list can tell tokens apart). The API records the last use at most once a minute per
token (`record_use`, in a short write of its own), so a busy script does not turn every read
into a write.

Same conventions as the other services: the caller's Session is the transaction (flush, never
commit); records returned are small frozen dataclasses.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from xobito_web.models import ApiToken, User, Workspace, utcnow
from xobito_web.services.auth import CurrentUser, current_user_of
from xobito_web.services.errors import Conflict, NotFound
from xobito_web.services.ids import as_id
from xobito_web.services.workspaces import one_line

TOKEN_PREFIX = "xob_"
SHOWN_PREFIX_LENGTH = 12  # "xob_" and 8 characters of the secret part
NAME_MAX = 80
MAX_TOKENS_PER_PERSON = 20
# Last use is written when the stored one is older than this (a read-mostly API stays read-only).
LAST_USE_PRECISION = timedelta(minutes=1)
# The longest well-formed token; anything longer is refused before it is hashed.
MAX_TOKEN_LENGTH = 128

TOO_MANY_TOKENS = f"You already have {MAX_TOKENS_PER_PERSON} tokens, the most allowed. Revoke one you no longer use."
ALREADY_REVOKED = "This token is already revoked."


@dataclass(frozen=True)
class TokenRecord:
    """One token as its lists show it (never the token itself)."""

    id: int
    name: str
    prefix: str
    owner_id: int
    owner_name: str
    owner_email: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class CreatedToken:
    token: str  # shown once, to its owner, right after creation
    record: TokenRecord


@dataclass(frozen=True)
class TokenUser:
    """Who a presented token acts as."""

    token_id: int
    user: CurrentUser
    last_used_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and 16 <= len(value) <= MAX_TOKEN_LENGTH and value.isascii()


def check_name(value: str | None) -> str:
    return one_line(value, "The token name", 1, NAME_MAX, "name")


def create_token(session: Session, owner: CurrentUser, name: str, now: datetime | None = None) -> CreatedToken:
    """A new token for `owner`; the raw token is in the result and nowhere else."""
    name = check_name(name)
    # The owner's row first: two creations of one person take turns, so the cap holds.
    if session.get_bind().dialect.name != "sqlite":
        session.exec(select(User.id).where(User.id == owner.user_id).with_for_update(key_share=True)).first()
    count = session.exec(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == owner.user_id, ApiToken.revoked_at == None)
    ).one()
    if count >= MAX_TOKENS_PER_PERSON:
        raise Conflict(TOO_MANY_TOKENS)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        workspace_id=owner.workspace_id,
        user_id=owner.user_id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:SHOWN_PREFIX_LENGTH],
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    record = TokenRecord(row.id, row.name, row.prefix, owner.user_id, owner.name, owner.email, row.created_at, None)
    return CreatedToken(token, record)


def list_own_tokens(session: Session, owner: CurrentUser) -> list[TokenRecord]:
    """The owner's tokens that still work, newest first."""
    return _records(session, ApiToken.user_id == owner.user_id, ApiToken.workspace_id == owner.workspace_id)


def list_workspace_tokens(session: Session, admin: CurrentUser) -> list[TokenRecord]:
    """Every working token of the admin's workspace, newest first (admins only)."""
    if not admin.is_admin:
        raise NotFound()
    return _records(session, ApiToken.workspace_id == admin.workspace_id)


def _records(session: Session, *conditions) -> list[TokenRecord]:
    rows = session.exec(
        select(ApiToken, User.name, User.email)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(*conditions, ApiToken.revoked_at == None)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    return [
        TokenRecord(row.id, row.name, row.prefix, row.user_id, name, email, row.created_at, row.last_used_at)
        for row, name, email in rows
    ]


def revoke_token(session: Session, actor: CurrentUser, token_id: int | str, now: datetime | None = None) -> None:
    """The owner revokes their token, or an admin any token of the workspace; else NotFound
    (someone else's token is not even known to exist)."""
    found_id = as_id(token_id)
    if found_id is None:
        raise NotFound()
    row = session.exec(
        select(ApiToken).where(ApiToken.id == found_id, ApiToken.workspace_id == actor.workspace_id).with_for_update()
    ).first()
    if row is None or (row.user_id != actor.user_id and not actor.is_admin):
        raise NotFound()
    if row.revoked_at is not None:
        raise Conflict(ALREADY_REVOKED)
    row.revoked_at = now or utcnow()
    session.flush()


def authenticate(session: Session, token: str, subdomain: str) -> TokenUser | None:
    """Who `token` acts as in this workspace, or None: unknown, revoked, another workspace's, or
    its owner deactivated. One query, read only (see `record_use`)."""
    if not looks_like_token(token):
        return None
    row = session.exec(
        select(ApiToken.id, ApiToken.last_used_at, User, Workspace)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .join(Workspace, col(Workspace.id) == col(ApiToken.workspace_id))
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.revoked_at == None,
            Workspace.subdomain == subdomain,
            User.workspace_id == ApiToken.workspace_id,
            User.active == True,
        )
    ).first()
    if row is None:
        return None
    token_id, last_used_at, user, workspace = row
    return TokenUser(token_id, current_user_of(user, workspace), last_used_at)


def use_is_worth_recording(token_user: TokenUser, now: datetime | None = None) -> bool:
    """The stored last use is over a minute old (or missing)."""
    now = now or utcnow()
    return token_user.last_used_at is None or token_user.last_used_at < now - LAST_USE_PRECISION


def record_use(session: Session, token_id: int, now: datetime | None = None) -> None:
    session.exec(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now or utcnow()))
