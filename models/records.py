"""Synced QuickBooks records: one typed table per object type, their lines and links, and the
change log the change feed reads.

Every record row keeps the complete record as QuickBooks returned it (``qb``) next to the typed
columns an AP product filters and joins on, so no field is ever lost. Time stamps are kept as
the raw strings QuickBooks wrote (§6.5: offsets are wrong during DST, and watermarks must go
back unchanged) plus a UTC instant for filtering. Which model belongs to which record type, and
how a ``…Ret`` dict becomes a row, is declared in ``qbwc_server/records/types.py``; this module
only declares the tables.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from models.base import Base, RecordDoc, utcnow

# Column types. QuickBooks AMTTYPE has 2 decimals; PRICETYPE/QUANTYPE up to 5.
ID = String(40)  # ListID / TxnID / TxnLineID (IDTYPE)
STAMP = String(40)  # TimeCreated / TimeModified / TimeDeleted, raw
Money = Numeric(20, 2, asdecimal=True)
Quantity = Numeric(20, 5, asdecimal=True)
Rate = Numeric(24, 10, asdecimal=True)


class RecordBase:
    """Columns shared by list and transaction records.

    The primary key is (company_id, ListID/TxnID): the key upserts conflict on and the read
    API pages by. No surrogate id: every index costs time on each of the many rows a sync
    writes (bench/bench_storage.py).
    """

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, sort_order=-2
    )
    edit_sequence: Mapped[str | None] = mapped_column(String(40), default=None)
    time_created: Mapped[str | None] = mapped_column(STAMP, default=None)
    time_modified: Mapped[str | None] = mapped_column(STAMP, default=None)
    time_modified_utc: Mapped[datetime | None] = mapped_column(default=None)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    time_deleted: Mapped[str | None] = mapped_column(STAMP, default=None)  # as QuickBooks wrote it
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    qb: Mapped[dict[str, Any]] = mapped_column(RecordDoc)


class ListRecord(RecordBase):
    list_id: Mapped[str] = mapped_column(ID, primary_key=True, sort_order=-1)
    name: Mapped[str | None] = mapped_column(Text, default=None)
    full_name: Mapped[str | None] = mapped_column(Text, default=None)
    parent_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    sublevel: Mapped[int | None] = mapped_column(Integer, default=None)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        t = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"ix_{t}_company_modified", "company_id", "time_modified_utc"),
            # Serves active=true|false pages in key order (the API's keyset pagination).
            Index(f"ix_{t}_company_active", "company_id", "is_active", "list_id"),
        )


class TxnRecord(RecordBase):
    txn_id: Mapped[str] = mapped_column(ID, primary_key=True, sort_order=-1)
    txn_number: Mapped[int | None] = mapped_column(Integer, default=None)
    txn_date: Mapped[date | None] = mapped_column(Date, default=None)
    ref_number: Mapped[str | None] = mapped_column(Text, default=None)
    # VendorRef, or PayeeEntityRef where the payee may be any entity (checks, card charges).
    vendor_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    vendor_name: Mapped[str | None] = mapped_column(Text, default=None)
    ap_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    bank_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    credit_card_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    amount_due: Mapped[Decimal | None] = mapped_column(Money, default=None)
    open_amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    is_paid: Mapped[bool | None] = mapped_column(Boolean, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    terms_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    class_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    memo: Mapped[str | None] = mapped_column(Text, default=None)
    currency_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    currency_name: Mapped[str | None] = mapped_column(Text, default=None)
    exchange_rate: Mapped[Decimal | None] = mapped_column(Rate, default=None)
    amount_in_home_currency: Mapped[Decimal | None] = mapped_column(Money, default=None)
    external_guid: Mapped[str | None] = mapped_column(String(40), default=None)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        t = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"ix_{t}_company_modified", "company_id", "time_modified_utc"),
            Index(f"ix_{t}_company_txn_date", "company_id", "txn_date"),
            Index(f"ix_{t}_company_vendor", "company_id", "vendor_list_id"),
        )


# --- lists -----------------------------------------------------------------------------------


class QbAccount(ListRecord, Base):
    __tablename__ = "qb_accounts"

    account_type: Mapped[str | None] = mapped_column(String(40), default=None)
    detail_account_type: Mapped[str | None] = mapped_column(String(80), default=None)
    special_account_type: Mapped[str | None] = mapped_column(String(80), default=None)
    account_number: Mapped[str | None] = mapped_column(Text, default=None)
    bank_number: Mapped[str | None] = mapped_column(Text, default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    balance: Mapped[Decimal | None] = mapped_column(Money, default=None)
    total_balance: Mapped[Decimal | None] = mapped_column(Money, default=None)
    is_tax_account: Mapped[bool | None] = mapped_column(Boolean, default=None)
    currency_list_id: Mapped[str | None] = mapped_column(ID, default=None)


class QbVendor(ListRecord, Base):
    __tablename__ = "qb_vendors"

    company_name: Mapped[str | None] = mapped_column(Text, default=None)
    first_name: Mapped[str | None] = mapped_column(Text, default=None)
    last_name: Mapped[str | None] = mapped_column(Text, default=None)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    phone: Mapped[str | None] = mapped_column(Text, default=None)
    contact: Mapped[str | None] = mapped_column(Text, default=None)
    name_on_check: Mapped[str | None] = mapped_column(Text, default=None)
    account_number: Mapped[str | None] = mapped_column(Text, default=None)
    vendor_type_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    terms_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    class_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    currency_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    credit_limit: Mapped[Decimal | None] = mapped_column(Money, default=None)
    balance: Mapped[Decimal | None] = mapped_column(Money, default=None)
    is_vendor_eligible_for_1099: Mapped[bool | None] = mapped_column(Boolean, default=None)
    is_tax_agency: Mapped[bool | None] = mapped_column(Boolean, default=None)
    external_guid: Mapped[str | None] = mapped_column(String(40), default=None)


class QbVendorType(ListRecord, Base):
    __tablename__ = "qb_vendor_types"


class QbStandardTerms(ListRecord, Base):
    __tablename__ = "qb_standard_terms"

    std_due_days: Mapped[int | None] = mapped_column(Integer, default=None)
    std_discount_days: Mapped[int | None] = mapped_column(Integer, default=None)
    discount_pct: Mapped[Decimal | None] = mapped_column(Quantity, default=None)


class QbDateDrivenTerms(ListRecord, Base):
    __tablename__ = "qb_date_driven_terms"

    day_of_month_due: Mapped[int | None] = mapped_column(Integer, default=None)
    due_next_month_days: Mapped[int | None] = mapped_column(Integer, default=None)
    discount_day_of_month: Mapped[int | None] = mapped_column(Integer, default=None)
    discount_pct: Mapped[Decimal | None] = mapped_column(Quantity, default=None)


class QbClass(ListRecord, Base):
    __tablename__ = "qb_classes"


class QbItem(ListRecord, Base):
    """All item types in one table; ``item_type`` comes from the Ret tag (ItemServiceRet ->
    "Service")."""

    __tablename__ = "qb_items"

    item_type: Mapped[str | None] = mapped_column(String(40), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    purchase_description: Mapped[str | None] = mapped_column(Text, default=None)
    purchase_cost: Mapped[Decimal | None] = mapped_column(Quantity, default=None)
    sales_price: Mapped[Decimal | None] = mapped_column(Quantity, default=None)
    # The one account of a SalesOrPurchase item (or a discount/payment item).
    account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    expense_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    income_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    cogs_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    asset_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    pref_vendor_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    class_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    manufacturer_part_number: Mapped[str | None] = mapped_column(Text, default=None)
    quantity_on_hand: Mapped[Decimal | None] = mapped_column(Quantity, default=None)
    average_cost: Mapped[Decimal | None] = mapped_column(Quantity, default=None)
    external_guid: Mapped[str | None] = mapped_column(String(40), default=None)


class QbCustomer(ListRecord, Base):
    """Customers and their jobs (a job is a customer with a ParentRef)."""

    __tablename__ = "qb_customers"

    company_name: Mapped[str | None] = mapped_column(Text, default=None)
    first_name: Mapped[str | None] = mapped_column(Text, default=None)
    last_name: Mapped[str | None] = mapped_column(Text, default=None)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    phone: Mapped[str | None] = mapped_column(Text, default=None)
    account_number: Mapped[str | None] = mapped_column(Text, default=None)
    customer_type_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    terms_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    class_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    currency_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    balance: Mapped[Decimal | None] = mapped_column(Money, default=None)
    total_balance: Mapped[Decimal | None] = mapped_column(Money, default=None)
    job_status: Mapped[str | None] = mapped_column(String(40), default=None)
    external_guid: Mapped[str | None] = mapped_column(String(40), default=None)


class QbOtherName(ListRecord, Base):
    __tablename__ = "qb_other_names"

    company_name: Mapped[str | None] = mapped_column(Text, default=None)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    phone: Mapped[str | None] = mapped_column(Text, default=None)
    account_number: Mapped[str | None] = mapped_column(Text, default=None)
    external_guid: Mapped[str | None] = mapped_column(String(40), default=None)


class QbCurrency(ListRecord, Base):
    __tablename__ = "qb_currencies"

    currency_code: Mapped[str | None] = mapped_column(String(8), default=None)
    exchange_rate: Mapped[Decimal | None] = mapped_column(Rate, default=None)
    as_of_date: Mapped[date | None] = mapped_column(Date, default=None)
    is_user_defined_currency: Mapped[bool | None] = mapped_column(Boolean, default=None)


class QbSalesTaxCode(ListRecord, Base):
    __tablename__ = "qb_sales_tax_codes"

    is_taxable: Mapped[bool | None] = mapped_column(Boolean, default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)


# --- transactions ----------------------------------------------------------------------------


class QbBill(TxnRecord, Base):
    __tablename__ = "qb_bills"

    is_pending: Mapped[bool | None] = mapped_column(Boolean, default=None)


class QbBillPaymentCheck(TxnRecord, Base):
    __tablename__ = "qb_bill_payment_checks"

    is_to_be_printed: Mapped[bool | None] = mapped_column(Boolean, default=None)


class QbBillPaymentCreditCard(TxnRecord, Base):
    __tablename__ = "qb_bill_payment_credit_cards"


class QbVendorCredit(TxnRecord, Base):
    __tablename__ = "qb_vendor_credits"


class QbCheck(TxnRecord, Base):
    __tablename__ = "qb_checks"

    is_to_be_printed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    is_pending: Mapped[bool | None] = mapped_column(Boolean, default=None)


class QbCreditCardCharge(TxnRecord, Base):
    __tablename__ = "qb_credit_card_charges"


class QbCreditCardCredit(TxnRecord, Base):
    __tablename__ = "qb_credit_card_credits"


class QbPurchaseOrder(TxnRecord, Base):
    __tablename__ = "qb_purchase_orders"

    expected_date: Mapped[date | None] = mapped_column(Date, default=None)
    is_manually_closed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    is_fully_received: Mapped[bool | None] = mapped_column(Boolean, default=None)


class QbItemReceipt(TxnRecord, Base):
    __tablename__ = "qb_item_receipts"

    liability_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)


# --- lines, links, change log ----------------------------------------------------------------

# Lines, links and change-log rows are many per record; they carry company_id without a
# foreign key, because checking one per row costs the bulk inserts about a quarter of the
# server's time (bench/bench_storage.py). Their parents are: the record rows (which do have
# the foreign key and cascade) and the feed head row. They are written only by
# qbwc_server/records/store.py, together with their parent; records/deletions.py
# purge_company() removes them when a company goes.


class QbTxnLine(Base):
    """One expense, item or group line of a transaction; replaced whenever the transaction
    changes. Item lines inside a group line carry the group's TxnLineID as parent."""

    __tablename__ = "qb_txn_lines"

    # The key is also how lines are read and replaced: all lines of one transaction.
    company_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)  # e.g. "bills"
    txn_id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn_line_id: Mapped[str | None] = mapped_column(ID, default=None)
    parent_txn_line_id: Mapped[str | None] = mapped_column(ID, default=None)
    line_kind: Mapped[str] = mapped_column(String(8))  # expense | item | group
    account_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    item_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    quantity: Mapped[Decimal | None] = mapped_column(Quantity, default=None)
    cost: Mapped[Decimal | None] = mapped_column(Quantity, default=None)
    memo: Mapped[str | None] = mapped_column(Text, default=None)
    class_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    customer_list_id: Mapped[str | None] = mapped_column(ID, default=None)
    billable_status: Mapped[str | None] = mapped_column(String(20), default=None)


class QbTxnLink(Base):
    """A LinkedTxn of a bill/credit/PO/receipt/check (``link_kind`` "linked"), or a bill a
    payment applies to (AppliedToTxnRet, ``link_kind`` "applied_to")."""

    __tablename__ = "qb_txn_links"
    # Which payments apply to a bill, which bills a PO became: look up by the linked TxnID.
    __table_args__ = (Index("ix_qb_txn_links_linked", "company_id", "linked_txn_id"),)

    company_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    txn_id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_kind: Mapped[str] = mapped_column(String(12))  # linked | applied_to
    linked_txn_id: Mapped[str | None] = mapped_column(ID, default=None)
    linked_txn_type: Mapped[str | None] = mapped_column(String(40), default=None)
    link_type: Mapped[str | None] = mapped_column(String(12), default=None)  # AMTTYPE|QUANTYPE
    txn_date: Mapped[date | None] = mapped_column(Date, default=None)
    ref_number: Mapped[str | None] = mapped_column(Text, default=None)
    amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    balance_remaining: Mapped[Decimal | None] = mapped_column(Money, default=None)
    discount_amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    discount_account_list_id: Mapped[str | None] = mapped_column(ID, default=None)


class RecordChangeHead(Base):
    """The last change-log sequence number of a company. Writers lock this row while they
    append, so per-company sequence numbers are gap-free and become visible in order (see
    qbwc_server/records/feed.py, "change feed ordering")."""

    __tablename__ = "qb_record_change_heads"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class RecordChange(Base):
    """One upsert or deletion of a synced record. ``seq`` numbers a company's changes
    1, 2, 3, … in commit order (see qbwc_server/records/feed.py)."""

    __tablename__ = "qb_record_changes"

    company_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    record_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(ID)
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    edit_sequence: Mapped[str | None] = mapped_column(String(40), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
