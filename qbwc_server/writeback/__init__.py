"""Exactly-once write-back of AP operations into QuickBooks (issue 5).

- ``catalog``: operation types, states, limits;
- ``validation``: payload checks before queueing (field-level 422 errors), reference resolution;
- ``service``: queue (idempotency keys), read, list, retry, cancel, status summary — for the API
  and the CLI;
- ``queue``: leases, dependencies and state transitions;
- ``requests``: the qbXML of a write, the error-recovery status check, marker lookups, read-backs;
- ``delivery``: :class:`~qbwc_server.writeback.delivery.WriteBack`, what the sync driver calls in
  a QBWC session; its docstring explains the exactly-once method and why it is safe;
- ``matching``: when an existing vendor is "the same vendor" (3100 handling).
"""
