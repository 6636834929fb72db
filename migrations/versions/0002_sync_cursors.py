"""sync cursors: one row per company and stream

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "stream_cursors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("pass_kind", sa.String(length=20), nullable=False),
        sa.Column("pass_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_from", sa.String(length=32), nullable=True),
        sa.Column("window_to", sa.String(length=32), nullable=True),
        sa.Column("window_span_seconds", sa.Integer(), nullable=False),
        sa.Column("window_pages", sa.Integer(), nullable=False),
        sa.Column("window_records", sa.Integer(), nullable=False),
        sa.Column("window_total", sa.Integer(), nullable=True),
        sa.Column("watermark", sa.String(length=40), nullable=True),
        sa.Column("pass_max_modified", sa.String(length=40), nullable=True),
        sa.Column("incremental_from", sa.String(length=32), nullable=True),
        sa.Column("records_seen", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("passes_completed", sa.Integer(), nullable=False),
        sa.Column("last_page_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pass_completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reconciled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skipped_reason", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False),
        sa.Column("retry_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extra", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_stream_cursors_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_cursors")),
        sa.UniqueConstraint("company_id", "stream", name=op.f("uq_stream_cursors_company_id")),
    )
    with op.batch_alter_table("stream_cursors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stream_cursors_company_id"), ["company_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stream_cursors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_cursors_company_id"))
    op.drop_table("stream_cursors")
