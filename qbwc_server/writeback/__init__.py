"""Exactly-once write-back of AP operations into QuickBooks (issue 5).

- ``kinds/``: one class per operation kind (validation, request, marker lookup, its own
  statuses, failure words), registered in ``kinds/__init__.py``;
- ``checks``: the field checks kinds validate with; ``validation``: the entry point (422s);
- ``service``: queue (idempotency keys), read, list, retry, cancel, status summary — for the API
  and the CLI;
- ``queue``: leases, dependencies and state transitions; ``catalog``: states, steps, limits;
- ``delivery``: :class:`~qbwc_server.writeback.delivery.WriteBack`, what the session driver
  calls in a QBWC session; its docstring explains the exactly-once method and why it is safe.
  Its steps: ``sending``, ``settling`` (unknown outcomes), ``conflicts`` (vendor 3200/3100),
  ``read_back``; ``context``: what they share within one SOAP call;
- ``requests``: the message set of a send, the error-recovery status check, read-backs;
- ``matching``: when an existing vendor is "the same vendor" (3100 handling).
"""
