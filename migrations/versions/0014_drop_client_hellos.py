"""drop client_hellos: clientVersion writes nothing any more (the version it reports is handed to
the authenticate after it in the worker's memory, engine/client_versions.py)

Revision ID: 0014
Revises: 0013

Written by hand but frozen like a generated one: it never imports ``models``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_client_hellos_remote_addr"), table_name="client_hellos")
    op.drop_table("client_hellos")


def downgrade() -> None:
    op.create_table(
        "client_hellos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("client_version", sa.String(length=40), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_hellos")),
    )
    op.create_index(
        op.f("ix_client_hellos_remote_addr"), "client_hellos", ["remote_addr"], unique=False
    )
