"""Connector Keys: the password the customer types into the Web Connector.

160 bits from the OS CSPRNG, shown once, stored only as a SHA-256 hash (the key has far more
entropy than a password, so a slow hash adds nothing), compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

KEY_BYTES = 20  # 160 bits
GROUP = 4


def generate_key() -> str:
    """E.g. ``QBWC-7KQ2-M4XA-...``: base32 (no 0/1/8/9 look-alikes to mistype), grouped."""
    raw = base64.b32encode(secrets.token_bytes(KEY_BYTES)).decode("ascii").rstrip("=")
    groups = [raw[i : i + GROUP] for i in range(0, len(raw), GROUP)]
    return "QBWC-" + "-".join(groups)


def normalize_key(key: str) -> str:
    """People paste keys with stray spaces, lower case or without dashes: accept all of those."""
    text = "".join(filter(str.isalnum, key.upper()))  # every poll: no per-character frame
    if text.startswith("QBWC"):
        text = text[4:]
    return text


def hash_key(key: str) -> str:
    return hashlib.sha256(normalize_key(key).encode("ascii", "ignore")).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)
