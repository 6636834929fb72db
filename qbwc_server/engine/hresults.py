"""Plain words and reactions for request-processor HRESULTs (§5), from the qbXML catalog."""

from __future__ import annotations

from typing import Literal

from qbwc_server.qbxml.hresult import ConnectionReaction, lookup_hresult

Reaction = Literal["done", "retry_with_path"]


def describe_hresult(hresult: str, message: str) -> str:
    info = lookup_hresult(hresult) if hresult else None
    detail = message.strip()
    if info is None:
        code = hresult.strip() or "(none)"
        return f"QuickBooks reported error {code}" + (f": {detail}" if detail else "")
    text = f"{info.meaning} ({info.hex})"
    if info.user_action:
        text += f" {info.user_action}"
    return text


def connection_error_reaction(hresult: str) -> Reaction:
    info = lookup_hresult(hresult) if hresult else None
    if info is not None and info.connection_reaction == ConnectionReaction.RETRY_WITH_COMPANY_PATH:
        return "retry_with_path"
    return "done"
