"""notes and saved replies: internal notes on the thread, reusable texts for the composer

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-26 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _reply_has_is_internal() -> bool:
    return "is_internal" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("reply")}


def upgrade() -> None:
    # Existing replies are all public: the server default fills them in. The search branch's
    # 0007 adds the very same column; whichever runs first adds it, the other leaves it be.
    if not _reply_has_is_internal():
        with op.batch_alter_table("reply", schema=None) as batch_op:
            batch_op.add_column(sa.Column("is_internal", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "saved_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("saved_reply", schema=None) as batch_op:
        batch_op.create_index("ix_saved_reply_ws_owner", ["workspace_id", "owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_reply", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_reply_ws_owner")
    op.drop_table("saved_reply")
    # is_internal stays when 0007 (search) is below this revision: it is that one's to drop.
    if down_revision == "0006" and _reply_has_is_internal():
        with op.batch_alter_table("reply", schema=None) as batch_op:
            batch_op.drop_column("is_internal")
