"""records: synced QuickBooks records per type, their lines and links, the change log

Revision ID: 0003
Revises: 0002

Written by hand but frozen like a generated one: it never imports ``models`` (the models may
change later; this revision must keep creating exactly this schema).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
INSTANT = sa.DateTime(timezone=True)


def _ref(name: str) -> sa.Column:
    return sa.Column(name, sa.String(length=40), nullable=True)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=True)


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision=20, scale=2), nullable=True)


def _quantity(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision=20, scale=5), nullable=True)


def _rate(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision=24, scale=10), nullable=True)


def _bool(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=True)


def _int(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=True)


def _date(name: str) -> sa.Column:
    return sa.Column(name, sa.Date(), nullable=True)


def _string(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=True)


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["company_id"],
        ["companies.id"],
        name=op.f(f"fk_{table}_company_id_companies"),
        ondelete="CASCADE",
    )


def _record_tail() -> list[sa.Column]:
    return [
        sa.Column("edit_sequence", sa.String(length=40), nullable=True),
        sa.Column("time_created", sa.String(length=40), nullable=True),
        sa.Column("time_modified", sa.String(length=40), nullable=True),
        sa.Column("time_modified_utc", INSTANT, nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("time_deleted", sa.String(length=40), nullable=True),
        sa.Column("deleted_at", INSTANT, nullable=True),
        sa.Column("synced_at", INSTANT, nullable=False),
        sa.Column("qb", JSON, nullable=False),
    ]


def _list_tables() -> dict[str, list[sa.Column]]:
    """Type-specific columns per list table (fresh Column objects on every call: a Column
    belongs to one Table, and upgrade may run more than once per process)."""
    return {
        "qb_accounts": [
            _string("account_type", 40),
            _string("detail_account_type", 80),
            _string("special_account_type", 80),
            _text("account_number"),
            _text("bank_number"),
            _text("description"),
            _money("balance"),
            _money("total_balance"),
            _bool("is_tax_account"),
            _ref("currency_list_id"),
        ],
        "qb_vendors": [
            _text("company_name"),
            _text("first_name"),
            _text("last_name"),
            _text("email"),
            _text("phone"),
            _text("contact"),
            _text("name_on_check"),
            _text("account_number"),
            _ref("vendor_type_list_id"),
            _ref("terms_list_id"),
            _ref("class_list_id"),
            _ref("currency_list_id"),
            _money("credit_limit"),
            _money("balance"),
            _bool("is_vendor_eligible_for_1099"),
            _bool("is_tax_agency"),
            _string("external_guid", 40),
        ],
        "qb_vendor_types": [],
        "qb_standard_terms": [
            _int("std_due_days"),
            _int("std_discount_days"),
            _quantity("discount_pct"),
        ],
        "qb_date_driven_terms": [
            _int("day_of_month_due"),
            _int("due_next_month_days"),
            _int("discount_day_of_month"),
            _quantity("discount_pct"),
        ],
        "qb_classes": [],
        "qb_items": [
            _string("item_type", 40),
            _text("description"),
            _text("purchase_description"),
            _quantity("purchase_cost"),
            _quantity("sales_price"),
            _ref("account_list_id"),
            _ref("expense_account_list_id"),
            _ref("income_account_list_id"),
            _ref("cogs_account_list_id"),
            _ref("asset_account_list_id"),
            _ref("pref_vendor_list_id"),
            _ref("class_list_id"),
            _text("manufacturer_part_number"),
            _quantity("quantity_on_hand"),
            _quantity("average_cost"),
            _string("external_guid", 40),
        ],
        "qb_customers": [
            _text("company_name"),
            _text("first_name"),
            _text("last_name"),
            _text("email"),
            _text("phone"),
            _text("account_number"),
            _ref("customer_type_list_id"),
            _ref("terms_list_id"),
            _ref("class_list_id"),
            _ref("currency_list_id"),
            _money("balance"),
            _money("total_balance"),
            _string("job_status", 40),
            _string("external_guid", 40),
        ],
        "qb_other_names": [
            _text("company_name"),
            _text("email"),
            _text("phone"),
            _text("account_number"),
            _string("external_guid", 40),
        ],
        "qb_currencies": [
            _string("currency_code", 8),
            _rate("exchange_rate"),
            _date("as_of_date"),
            _bool("is_user_defined_currency"),
        ],
        "qb_sales_tax_codes": [
            _bool("is_taxable"),
            _text("description"),
        ],
    }


def _txn_tables() -> dict[str, list[sa.Column]]:
    return {
        "qb_bills": [_bool("is_pending")],
        "qb_bill_payment_checks": [_bool("is_to_be_printed")],
        "qb_bill_payment_credit_cards": [],
        "qb_vendor_credits": [],
        "qb_checks": [_bool("is_to_be_printed"), _bool("is_pending")],
        "qb_credit_card_charges": [],
        "qb_credit_card_credits": [],
        "qb_purchase_orders": [
            _date("expected_date"),
            _bool("is_manually_closed"),
            _bool("is_fully_received"),
        ],
        "qb_item_receipts": [_ref("liability_account_list_id")],
    }


def _create_list_table(name: str, extra: list[sa.Column]) -> None:
    op.create_table(
        name,
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.String(length=40), nullable=False),
        *extra,
        _text("name"),
        _text("full_name"),
        _ref("parent_list_id"),
        _int("sublevel"),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_record_tail(),
        _company_fk(name),
        sa.PrimaryKeyConstraint("company_id", "list_id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{name}_company_modified", ["company_id", "time_modified_utc"], unique=False
        )
        batch_op.create_index(
            f"ix_{name}_company_active", ["company_id", "is_active", "list_id"], unique=False
        )


def _create_txn_table(name: str, extra: list[sa.Column]) -> None:
    op.create_table(
        name,
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("txn_id", sa.String(length=40), nullable=False),
        *extra,
        _int("txn_number"),
        _date("txn_date"),
        _text("ref_number"),
        _ref("vendor_list_id"),
        _text("vendor_name"),
        _ref("ap_account_list_id"),
        _ref("bank_account_list_id"),
        _ref("credit_card_account_list_id"),
        _money("amount"),
        _money("amount_due"),
        _money("open_amount"),
        _bool("is_paid"),
        _date("due_date"),
        _ref("terms_list_id"),
        _ref("class_list_id"),
        _text("memo"),
        _ref("currency_list_id"),
        _text("currency_name"),
        _rate("exchange_rate"),
        _money("amount_in_home_currency"),
        _string("external_guid", 40),
        *_record_tail(),
        _company_fk(name),
        sa.PrimaryKeyConstraint("company_id", "txn_id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{name}_company_modified", ["company_id", "time_modified_utc"], unique=False
        )
        batch_op.create_index(
            f"ix_{name}_company_txn_date", ["company_id", "txn_date"], unique=False
        )
        batch_op.create_index(
            f"ix_{name}_company_vendor", ["company_id", "vendor_list_id"], unique=False
        )


def upgrade() -> None:
    for name, extra in _list_tables().items():
        _create_list_table(name, extra)
    for name, extra in _txn_tables().items():
        _create_txn_table(name, extra)

    # Lines, links and change-log rows have no foreign key to companies on purpose (one check
    # per row is a quarter of the bulk-insert time); see models/records.py.
    op.create_table(
        "qb_txn_lines",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("txn_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _ref("txn_line_id"),
        _ref("parent_txn_line_id"),
        sa.Column("line_kind", sa.String(length=8), nullable=False),
        _ref("account_list_id"),
        _ref("item_list_id"),
        _text("description"),
        _money("amount"),
        _quantity("quantity"),
        _quantity("cost"),
        _text("memo"),
        _ref("class_list_id"),
        _ref("customer_list_id"),
        _string("billable_status", 20),
        sa.PrimaryKeyConstraint(
            "company_id", "record_type", "txn_id", "position", name=op.f("pk_qb_txn_lines")
        ),
    )

    op.create_table(
        "qb_txn_links",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("txn_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("link_kind", sa.String(length=12), nullable=False),
        _ref("linked_txn_id"),
        _string("linked_txn_type", 40),
        _string("link_type", 12),
        _date("txn_date"),
        _text("ref_number"),
        _money("amount"),
        _money("balance_remaining"),
        _money("discount_amount"),
        _ref("discount_account_list_id"),
        sa.PrimaryKeyConstraint(
            "company_id", "record_type", "txn_id", "position", name=op.f("pk_qb_txn_links")
        ),
    )
    with op.batch_alter_table("qb_txn_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_qb_txn_links_linked", ["company_id", "linked_txn_id"], unique=False
        )

    op.create_table(
        "qb_record_change_heads",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        _company_fk("qb_record_change_heads"),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_qb_record_change_heads")),
    )
    op.create_table(
        "qb_record_changes",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("edit_sequence", sa.String(length=40), nullable=True),
        sa.Column("at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("company_id", "seq", name=op.f("pk_qb_record_changes")),
    )


def downgrade() -> None:
    op.drop_table("qb_record_changes")
    op.drop_table("qb_record_change_heads")
    for name in ("qb_txn_links", "qb_txn_lines", *_txn_tables(), *_list_tables()):
        # Dropping a table drops its indexes on every backend.
        op.drop_table(name)
