"""The read sync: what to ask QuickBooks next, and taking its answers.

- ``planner``: the session's work order and where answers go;
- ``steps/``: one class per step (restore probe, a step per record type with its pass and its
  reconciliation, the deletion sweeps, the vendor balance re-read), registered in order;
- ``run``: what the steps share within one SOAP call; ``state``: the typed session and stream
  state; ``passes``: how a stream's cursor moves; ``windows``: window arithmetic;
- ``reconcile``: the reconciliation marks and ``request_reconcile``; ``progress``: estimates;
  ``cursors``: loading and creating stream cursors.

The record types themselves are declared in ``qbwc_server/records/types.py``.
"""
