"""The single schema: plain SQLModel tables (Alembic migrations under alembic/ follow it).

Times are timezone-aware UTC (`utcnow()`); SQLModel stores them as UTC on SQLite and PostgreSQL.
Primary keys are typed `int`: None only until the row's first flush, and code reads ids of saved rows only.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import Boolean, Column, Index, Integer, UniqueConstraint, false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    CUSTOMER = "customer"


# "The team" answers tickets: admins and staff (docs/product.md, "People and workspaces").
TEAM_ROLES = frozenset({Role.ADMIN.value, Role.STAFF.value})


def is_team_role(role: str) -> bool:
    return role in TEAM_ROLES


class Pending(enum.StrEnum):
    """Why a person who is not active yet cannot sign in (User.pending); "" for everyone else."""

    NONE = ""
    INVITATION = "invitation"  # invited by an admin, no password chosen yet
    VERIFICATION = "verification"  # signed up as a customer, email address not confirmed yet


class Status(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Priority(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Workspace(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    subdomain: str = Field(max_length=63, unique=True, index=True)
    name: str = Field(max_length=120)
    # Last ticket number handed out; bumped with UPDATE .. RETURNING inside the creating
    # transaction so numbers are gap-free and never reused.
    ticket_seq: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # Customers may create their own accounts (Sign up, with email verification); off by default.
    customer_signup: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false(), default=False)
    )
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        UniqueConstraint("workspace_id", "email", name="uq_user_workspace_email"),
        # The People page: a workspace's people by name, keyset (name, id).
        Index("ix_app_user_ws_name", "workspace_id", "name", "id"),
    )

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    email: str = Field(max_length=254)
    name: str = Field(max_length=120)
    role: str = Field(max_length=16)  # a Role value
    password_hash: str = Field(max_length=255)  # "" while invited: no password signs in
    # May sign in, is emailed and can be assigned tickets. False: deactivated, or not joined yet
    # (then `pending` says why).
    active: bool = Field(default=True)
    pending: str = Field(default=Pending.NONE.value, max_length=16, sa_column_kwargs={"server_default": ""})
    last_sign_in_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Department(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_department_workspace_name"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=80)
    # An archived department takes no new tickets; its tickets stay where they are, visible.
    archived_at: datetime | None = None


class DepartmentMember(SQLModel, table=True):
    __tablename__ = "department_member"

    department_id: int = Field(foreign_key="department.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)


class Ticket(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_ticket_workspace_number"),
        # The list is always "newest activity first" within a workspace, narrowed by one of
        # these; (last_reply_at, id) is the keyset for paging.
        Index("ix_ticket_ws_activity", "workspace_id", "last_reply_at", "id"),
        Index("ix_ticket_ws_status_activity", "workspace_id", "status", "last_reply_at", "id"),
        Index("ix_ticket_ws_customer_activity", "workspace_id", "customer_id", "last_reply_at", "id"),
        Index("ix_ticket_ws_department_activity", "workspace_id", "department_id", "last_reply_at", "id"),
        Index("ix_ticket_ws_assignee_activity", "workspace_id", "assignee_id", "last_reply_at", "id"),
        # The team's "Waiting on team" filter (the customer wrote last) and the other sort orders.
        # (status last: the filter's count reads the index alone, 45 -> 4 ms at 100,000 tickets)
        Index("ix_ticket_ws_waiting_activity", "workspace_id", "last_message_by_team", "last_reply_at", "id", "status"),
        Index("ix_ticket_ws_created", "workspace_id", "created_at", "id"),
        Index("ix_ticket_ws_priority_activity", "workspace_id", "priority", "last_reply_at", "id"),
        # A customer's tickets of the last hour (services/rate_limits.py).
        Index("ix_ticket_customer_created", "customer_id", "created_at"),
    )

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    number: int
    subject: str = Field(max_length=200)
    body: str = Field(max_length=2000)
    department_id: int = Field(foreign_key="department.id")
    priority: str = Field(default=Priority.MEDIUM.value, max_length=16)  # a Priority value
    status: str = Field(default=Status.OPEN.value, max_length=16)  # a Status value
    customer_id: int = Field(foreign_key="app_user.id")
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_reply_at: datetime = Field(default_factory=utcnow)
    # Who wrote the last message, so the list can say whose turn it is without a join.
    last_message_by_team: bool = Field(default=False)


class Reply(SQLModel, table=True):
    __table_args__ = (
        Index("ix_reply_ticket_created", "ticket_id", "created_at", "id"),
        # A person's replies of the last hour (services/rate_limits.py).
        Index("ix_reply_author_created", "author_id", "created_at"),
    )

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    author_id: int = Field(foreign_key="app_user.id")
    body: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    # An internal note: shown to the team only, never to the customer (search skips it for them).
    is_internal: bool = Field(default=False)


class MessageSearch(SQLModel, table=True):
    """One row per message (a ticket's first message or a reply) in the full-text index.

    The words themselves live in the database's own engine, created per dialect by migration
    0007 and kept in step by services/search.py in the action's transaction: an FTS5 table
    `message_fts` whose rowid is this id on SQLite (written by the trigger `message_search_words`
    as a row is inserted), a `document` tsvector column with a GIN index on PostgreSQL
    (services/search.py ENGINE_TABLES).
    """

    __tablename__ = "message_search"
    __table_args__ = (Index("ix_message_search_ticket", "ticket_id", "id"),)

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    reply_id: int | None = Field(default=None, foreign_key="reply.id")  # None: the ticket's first message
    is_internal: bool = Field(default=False)  # copied from the reply: customers never match it


class TicketRead(SQLModel, table=True):
    """When a person last saw a ticket's thread; newer activity marks it unread for them."""

    __tablename__ = "ticket_read"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    seen_at: datetime


class Attachment(SQLModel, table=True):
    __table_args__ = (Index("ix_attachment_ticket", "ticket_id", "reply_id"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    ticket_id: int = Field(foreign_key="ticket.id")
    reply_id: int | None = Field(default=None, foreign_key="reply.id")  # None: the original message
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=64, unique=True)
    size: int
    content_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    __tablename__ = "session"

    id: int = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in; recent rows slow down guessing per account and address pair, per
    address and (gently) per account (services/auth.py). `ip_address` is the throttle key of
    the client's address (an IPv6 /64), empty when unknown."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_account", "workspace_id", "email", "created_at"),
        Index("ix_login_failure_address", "ip_address", "created_at"),
        Index("ix_login_failure_pair", "workspace_id", "email", "ip_address", "created_at"),
        Index("ix_login_failure_created", "created_at"),  # sweeping forgotten failures
    )

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    email: str = Field(max_length=254)
    ip_address: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class OutboxEmail(SQLModel, table=True):
    """An email queued in the same transaction as the change that causes it."""

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    body_html: str = ""
    event: str = Field(max_length=32)
    status: str = Field(default="queued", max_length=16)  # queued | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # The delivery worker that is sending the row (status "sending") and since when; a claim
    # older than the lease (services/mailer.py) belongs to a crashed worker and is taken back.
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    """A personal API token (`Authorization: Bearer …`): acts as its owner, with the owner's
    current role and visibility. Only the SHA-256 of the token is stored; `prefix` (the first
    characters) lets people tell their tokens apart. Revoked tokens keep their row (revoked_at)."""

    __tablename__ = "api_token"
    __table_args__ = (
        Index("ix_api_token_user", "user_id", "created_at"),
        Index("ix_api_token_workspace", "workspace_id", "created_at"),
    )

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    user_id: int = Field(foreign_key="app_user.id")
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class AccountToken(SQLModel, table=True):
    """A one-time link sent by email: reset a password, accept an invitation, verify an address.

    Only the SHA-256 of the link's token is stored; a used link keeps its row (used_at) so it
    can say "already used" rather than "unknown".
    """

    __tablename__ = "account_token"

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    purpose: str = Field(max_length=16)  # services/accounts.py: reset | invitation | verification
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class AccountRequest(SQLModel, table=True):
    """A request that sends an email to a typed-in address (password reset, sign-up), kept for a
    day so they can be capped per address and per account, known or not (services/accounts.py)."""

    __tablename__ = "account_request"
    __table_args__ = (
        Index("ix_account_request_account", "workspace_id", "email", "created_at"),
        Index("ix_account_request_address", "ip_address", "created_at"),
        Index("ix_account_request_created", "created_at"),
    )

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    email: str = Field(max_length=254)
    ip_address: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # reset | signup
    created_at: datetime = Field(default_factory=utcnow)


class EmailOptOut(SQLModel, table=True):
    """A kind of email a person chose not to receive (Profile); no row: they get it."""

    __tablename__ = "email_opt_out"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    kind: str = Field(max_length=32, primary_key=True)  # services/notifications.py EMAIL_KINDS


class SavedReply(SQLModel, table=True):
    """A reusable text for the composer (services/saved_replies.py): shared with the whole team
    of the workspace (owner_id None, managed by admins) or private to its owner."""

    __tablename__ = "saved_reply"
    __table_args__ = (Index("ix_saved_reply_ws_owner", "workspace_id", "owner_id"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    title: str = Field(max_length=80)
    body: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
