"""company profile: confirmed binding (Begin Sync), sync window and pause, restore date

Revision ID: 0013
Revises: 0012

Written by hand but frozen like a generated one: it never imports ``models``.

``confirm_binding`` is false for every company that exists when this migration runs (the server
default): those companies were created when the first contact bound the open company file at
once, and their Web Connectors, integrations and scripts count on that; turning it on would
stop their next first contact (after a reset binding) waiting for a person nobody told. New
companies get true from the application (``services/companies.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirm_binding", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("pending_binding", JSON_DOC, nullable=True))
        batch_op.add_column(sa.Column("sync_window", JSON_DOC, nullable=True))
        batch_op.add_column(sa.Column("paused_until", INSTANT, nullable=True))
        batch_op.add_column(sa.Column("paused_at", INSTANT, nullable=True))
        batch_op.add_column(sa.Column("restored_on", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("restore_recorded_at", INSTANT, nullable=True))
        batch_op.add_column(sa.Column("restore_reconcile_started_at", INSTANT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("restore_reconcile_started_at")
        batch_op.drop_column("restore_recorded_at")
        batch_op.drop_column("restored_on")
        batch_op.drop_column("paused_at")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("sync_window")
        batch_op.drop_column("pending_binding")
        batch_op.drop_column("confirm_binding")
