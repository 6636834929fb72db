"""setup links: one per company, for the person at the QuickBooks PC; token stored hashed

Revision ID: 0012
Revises: 0011

Written by hand but frozen like a generated one: it never imports ``models``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "setup_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.Column("connector_downloaded_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_setup_links_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setup_links")),
        sa.UniqueConstraint("company_id", name=op.f("uq_setup_links_company_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_setup_links_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("setup_links")
