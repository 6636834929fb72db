"""Page and window sizes of the sync (README "Sync tuning"); set from QBWC_* variables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SyncTuning:
    # §6.11: list pages of 500 (a vendor is ~1-2 KB) and transaction pages (with lines) of 100
    # stay under a few MB per response, which QuickBooks answers in seconds; fewer, larger
    # pages also amortize the per-transaction cost of ingesting them (bench/bench_storage.py).
    list_page_size: int = 500
    txn_page_size: int = 100
    window_target: int = 1000  # records per first-pass window (the unit of resumption)
    window_max: int = 2500  # a window holding more is split before paging through it
    overlap: timedelta = timedelta(hours=2)  # modified-date overlap: DST hour + clock skew
    retry_backoff: timedelta = timedelta(minutes=10)
    # A reconciliation of ids (restored files, deletions older than QuickBooks' 90-day log)
    # runs this often per stream, and on demand (POST /api/companies/{id}/reconcile).
    reconcile_interval: timedelta = timedelta(days=7)


DEFAULT_TUNING = SyncTuning()
