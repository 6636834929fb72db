"""company status: the current problem, first sync completion, Web Connectors seen

Revision ID: 0010
Revises: 0009

Written by hand but frozen like a generated one: it never imports ``models``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "connectors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("machine_name", sa.String(length=64), nullable=False),
        sa.Column("client_version", sa.String(length=40), nullable=True),
        sa.Column("first_seen_at", INSTANT, nullable=False),
        sa.Column("last_seen_at", INSTANT, nullable=False),
        sa.Column("last_sync_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_connectors_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
        sa.UniqueConstraint(
            "company_id",
            "remote_addr",
            "machine_name",
            name=op.f("uq_connectors_company_id"),
        ),
    )
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connectors_company_id"), ["company_id"], unique=False)

    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_sync_completed_at", INSTANT, nullable=True))
        batch_op.add_column(sa.Column("problem_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("problem_since", INSTANT, nullable=True))

    with op.batch_alter_table("qbwc_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connector_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("problem_code", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_qbwc_sessions_connector_id_connectors"),
            "connectors",
            ["connector_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # A company that finished a session with no stream left in its first pass has synced
    # once: it is "Connected to Server" while its Web Connector calls.
    op.execute(
        """
        UPDATE companies SET first_sync_completed_at = last_complete_sync_at
        WHERE last_complete_sync_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM stream_cursors c WHERE c.company_id = companies.id)
          AND NOT EXISTS (
            SELECT 1 FROM stream_cursors c
            WHERE c.company_id = companies.id AND c.phase = 'initial'
          )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("qbwc_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_qbwc_sessions_connector_id_connectors"), type_="foreignkey"
        )
        batch_op.drop_column("problem_code")
        batch_op.drop_column("connector_id")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("problem_since")
        batch_op.drop_column("problem_code")
        batch_op.drop_column("first_sync_completed_at")
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connectors_company_id"))
    op.drop_table("connectors")
