"""record documents: the ``qb`` column of every record table as JSON text on PostgreSQL

Revision ID: 0006
Revises: 0005

``qb`` holds the complete record as QuickBooks returned it. JSONB re-sorts an object's keys
(shortest first), so the element order QuickBooks wrote was lost on PostgreSQL while SQLite
kept it; JSONB's binary form also made every stored page slower (bench/bench_ingest.py: about
a third of a vendor page's COPY) and nothing queries inside these documents. JSON keeps the
text as sent. SQLite stores JSON as text already: nothing to do there.

Frozen like a generated revision: the table names are spelled out, not read from ``models``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

RECORD_TABLES = (
    "qb_accounts", "qb_bill_payment_checks", "qb_bill_payment_credit_cards", "qb_bills",
    "qb_checks", "qb_classes", "qb_credit_card_charges", "qb_credit_card_credits",
    "qb_currencies", "qb_customers", "qb_date_driven_terms", "qb_item_receipts", "qb_items",
    "qb_other_names", "qb_purchase_orders", "qb_sales_tax_codes", "qb_standard_terms",
    "qb_vendor_credits", "qb_vendor_types", "qb_vendors",
)  # fmt: skip


def _retype(new: sa.types.TypeEngine[object], old: sa.types.TypeEngine[object], cast: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in RECORD_TABLES:
        op.alter_column(
            table,
            "qb",
            type_=new,
            existing_type=old,
            existing_nullable=False,
            postgresql_using=f"qb::{cast}",
        )


def upgrade() -> None:
    _retype(postgresql.JSON(astext_type=sa.Text()), postgresql.JSONB(astext_type=sa.Text()), "json")


def downgrade() -> None:
    _retype(
        postgresql.JSONB(astext_type=sa.Text()), postgresql.JSON(astext_type=sa.Text()), "jsonb"
    )
