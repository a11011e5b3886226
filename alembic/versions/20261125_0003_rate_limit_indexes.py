"""rate limit indexes: sign-in failures per account and address pair, tickets and replies per person

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_failure_pair", ["workspace_id", "email", "ip_address", "created_at"], unique=False
        )
        batch_op.create_index("ix_login_failure_created", ["created_at"], unique=False)
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_customer_created", ["customer_id", "created_at"], unique=False)
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.create_index("ix_reply_author_created", ["author_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_author_created")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_customer_created")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_created")
        batch_op.drop_index("ix_login_failure_pair")
