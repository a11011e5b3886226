"""search and unread: every message in a full-text index, per-person read state, list indexes

SQLite gets an FTS5 table `message_fts` (rowid = message_search.id) filled by a trigger on
`message_search`, PostgreSQL a `document`
tsvector column with a GIN index; the existing messages are indexed here. Replies get
`is_internal` (internal notes); customers' own tickets count as seen at their last activity.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of services/search.py's statements (a migration must not change when the app does).
_FTS5_TABLE = (
    "CREATE VIRTUAL TABLE message_fts USING fts5("
    "subject, body, content='', prefix='3 4 5', tokenize='porter unicode61 remove_diacritics 2')"
)
# The words of each message_search row, written by SQLite itself as the row is inserted: one
# statement less per message, and no row can be indexed without its words.
_FTS5_TRIGGER = (
    "CREATE TRIGGER message_search_words AFTER INSERT ON message_search BEGIN"
    " INSERT INTO message_fts (rowid, subject, body) SELECT new.id, t.subject, coalesce(r.body, t.body)"
    " FROM ticket AS t LEFT JOIN reply AS r ON r.id = new.reply_id WHERE t.id = new.ticket_id; END"
)
_PG_DOCUMENT = "setweight(to_tsvector('english', {subject}), 'A') || setweight(to_tsvector('english', {body}), 'B')"


def upgrade() -> None:
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_internal", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "message_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("is_internal", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["reply_id"], ["reply.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_search_ticket", "message_search", ["ticket_id", "id"], unique=False)

    op.create_table(
        "ticket_read",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("user_id", "ticket_id"),
    )

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_ws_waiting_activity", ["workspace_id", "last_message_by_team", "last_reply_at", "id", "status"]
        )
        batch_op.create_index("ix_ticket_ws_created", ["workspace_id", "created_at", "id"])
        batch_op.create_index("ix_ticket_ws_priority_activity", ["workspace_id", "priority", "last_reply_at", "id"])

    # The existing messages, oldest first (ids follow time, as new ones will).
    messages = (
        "SELECT t.id AS ticket_id, NULL AS reply_id, false AS is_internal, t.subject, t.body,"
        " t.created_at, 0 AS position FROM ticket AS t"
        " UNION ALL"
        " SELECT r.ticket_id, r.id, r.is_internal, t.subject, r.body, r.created_at, r.id"
        " FROM reply AS r JOIN ticket AS t ON t.id = r.ticket_id"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE message_search ADD COLUMN document tsvector NOT NULL")
        document = _PG_DOCUMENT.format(subject="m.subject", body="m.body")
        op.execute(
            "INSERT INTO message_search (ticket_id, reply_id, is_internal, document)"
            f" SELECT m.ticket_id, m.reply_id, m.is_internal, {document}"
            f" FROM ({messages}) AS m ORDER BY m.created_at, m.ticket_id, m.position"
        )
        op.execute("CREATE INDEX ix_message_search_document ON message_search USING gin (document)")
    else:
        op.execute(_FTS5_TABLE)
        op.execute(_FTS5_TRIGGER)
        op.execute(
            "INSERT INTO message_search (ticket_id, reply_id, is_internal)"
            f" SELECT m.ticket_id, m.reply_id, m.is_internal FROM ({messages}) AS m"
            " ORDER BY m.created_at, m.ticket_id, m.position"
        )

    # A customer has seen their own tickets as they are now; the team starts with them unread.
    op.execute(
        "INSERT INTO ticket_read (user_id, ticket_id, seen_at) SELECT customer_id, id, last_reply_at FROM ticket"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS message_search_words")
        op.execute("DROP TABLE IF EXISTS message_fts")
    op.drop_table("ticket_read")
    op.drop_index("ix_message_search_ticket", table_name="message_search")
    op.drop_table("message_search")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_ws_priority_activity")
        batch_op.drop_index("ix_ticket_ws_created")
        batch_op.drop_index("ix_ticket_ws_waiting_activity")
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.drop_column("is_internal")
