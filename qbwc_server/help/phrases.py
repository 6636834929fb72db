"""Steps that several entries share, written once."""

from __future__ import annotations

RUN_AGAIN = "In the Web Connector, tick this application and click Update Selected."
OPEN_AS_ADMIN = (
    "Open QuickBooks on this PC, log in as Admin and switch to single-user mode "
    "(File > Switch to Single-user Mode)."
)
OPEN_FILE = "Open the company file that belongs to this company."
PASTE_KEY = (
    "Copy the Connector Key from the Company Profile (Generate Connector Key if nobody has the "
    "current one) and paste it into this application's Password column in the Web Connector; "
    "answer Yes when it asks to save the password."
)
INTEGRATED_APPS = (
    "Log in to QuickBooks as Admin and open Edit > Preferences > Integrated Applications > "
    "Company Preferences."
)
NOTHING_LOST = "Nothing is lost: the next update continues where this one stopped."
