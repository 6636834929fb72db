"""Synced QuickBooks records: the storage layer the read sync and the write-back share.

- ``types``: one declaration per record type (``record_type``: what a declaration holds);
- ``fields`` / ``rows``: how a ``…Ret`` dict becomes a row, its lines and its links;
- ``queries``: the qbXML query shape of a record type (pages, id scans, read-backs);
- ``store``: bulk upserts; ``deletions``: marking deleted, purging; ``feed``: the change log;
- ``read``: the read API's pages and counts; ``vendor_balances``: vendors to re-read;
- ``bulk``: multi-row INSERT / upsert / COPY for PostgreSQL and SQLite.
"""
