"""Validating an operation's payload before it is queued (issue 5, part 1).

Each operation kind validates its own payload (``writeback/kinds/``) with the field checks of
``writeback/checks.py``; every problem found is reported at once (422, field by field).

The result is the *resolved* payload: the same names, but every list reference carries the
record's ``list_id`` (§6.7: names change, ids do not) and references to operations that are
not done yet stay ``{"operation_id": N}`` and become dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from qbwc_server.writeback.checks import Checker, FieldError, PayloadInvalid
from qbwc_server.writeback.kinds import KINDS

__all__ = ["FieldError", "PayloadInvalid", "Validated", "validate_operation"]


@dataclass
class Validated:
    resolved: dict[str, Any]
    depends_on: list[int] = field(default_factory=list)


def validate_operation(session: Session, company_id: int, op_type: Any, payload: Any) -> Validated:
    """Validate and resolve; raises :class:`PayloadInvalid` (422) listing every problem."""
    if not isinstance(op_type, str) or op_type not in KINDS:
        raise PayloadInvalid([FieldError("type", f"type must be one of {', '.join(KINDS)}")])
    if not isinstance(payload, dict):
        raise PayloadInvalid([FieldError("payload", "payload must be an object")])
    checker = Checker(session, company_id)
    resolved = KINDS[op_type].validate(checker, payload)
    if checker.errors:
        raise PayloadInvalid(checker.errors)
    return Validated(resolved=resolved, depends_on=sorted(checker.depends_on))
