"""signin failures: failed uses of the admin token per client address (the sign-in throttle)

Revision ID: 0009
Revises: 0008

Written by hand but frozen like a generated one: it never imports ``models``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failures")),
    )
    op.create_index(
        op.f("ix_signin_failures_client_addr"), "signin_failures", ["client_addr"], unique=False
    )
    op.create_index(op.f("ix_signin_failures_at"), "signin_failures", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_signin_failures_at"), table_name="signin_failures")
    op.drop_index(op.f("ix_signin_failures_client_addr"), table_name="signin_failures")
    op.drop_table("signin_failures")
