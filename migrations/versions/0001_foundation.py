"""foundation: companies, sessions, tickets

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_settings")),
    )
    op.create_table(
        "client_hellos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("client_version", sa.String(length=40), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_hellos")),
    )
    with op.batch_alter_table("client_hellos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_hellos_remote_addr"), ["remote_addr"], unique=False
        )

    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("file_id", sa.String(length=38), nullable=False),
        sa.Column("app_name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("key_rotated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sync_interval_minutes", sa.Integer(), nullable=False),
        sa.Column("history_start", sa.String(length=10), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bound_file_stamp", sa.String(length=64), nullable=True),
        sa.Column("bound_company_name", sa.String(length=200), nullable=True),
        sa.Column("bound_file_path", sa.Text(), nullable=True),
        sa.Column("qb_product", sa.String(length=200), nullable=True),
        sa.Column("qb_version", sa.String(length=40), nullable=True),
        sa.Column("qb_country", sa.String(length=8), nullable=True),
        sa.Column(
            "qb_supported_versions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("qb_file_path", sa.Text(), nullable=True),
        sa.Column("qb_company_name", sa.String(length=200), nullable=True),
        sa.Column(
            "qb_preferences",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_session_outcome", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_complete_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_ticket", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("app_name", name=op.f("uq_companies_app_name")),
        sa.UniqueConstraint("file_id", name=op.f("uq_companies_file_id")),
        sa.UniqueConstraint("username", name=op.f("uq_companies_username")),
    )
    op.create_table(
        "qbwc_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("client_version", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("company_file_path", sa.Text(), nullable=True),
        sa.Column("qbxml_version", sa.String(length=8), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "hresults",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("requests_sent", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_qbwc_sessions_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbwc_sessions")),
    )
    with op.batch_alter_table("qbwc_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qbwc_sessions_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_qbwc_sessions_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_qbwc_sessions_username"), ["username"], unique=False)

    op.create_table(
        "session_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("request_summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_session_events_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["qbwc_sessions.id"],
            name=op.f("fk_session_events_session_id_qbwc_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_events")),
    )
    with op.batch_alter_table("session_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_events_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_events_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "tickets",
        sa.Column("ticket", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_tickets_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["qbwc_sessions.id"],
            name=op.f("fk_tickets_session_id_qbwc_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_session_id"), ["session_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_session_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("session_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_events_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_events_company_id"))

    op.drop_table("session_events")
    with op.batch_alter_table("qbwc_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qbwc_sessions_username"))
        batch_op.drop_index(batch_op.f("ix_qbwc_sessions_started_at"))
        batch_op.drop_index(batch_op.f("ix_qbwc_sessions_company_id"))

    op.drop_table("qbwc_sessions")
    op.drop_table("companies")
    with op.batch_alter_table("client_hellos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_hellos_remote_addr"))

    op.drop_table("client_hellos")
    op.drop_table("app_settings")
