"""The qbXML audit trail (QBWC_AUDIT=off|errors|all): every request the server sent QuickBooks
and every answer, per QBWC session, redacted and compressed in the database, so support can
answer "what did QuickBooks say?" without a log dive.

* recorder.py — captured at the SOAP boundary (spyne events), written after the response left
  (authenticate's, and in errors mode a call's with an error, before the answer);
* store.py — compression, the errors-mode trim at the end of a session, retention purge;
* views.py — the session with its exchange for the API and ``qbwc-server session show``.
"""
