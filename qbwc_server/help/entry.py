"""The shape of one help entry and the values its fields may take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["qbwc", "hresult", "qbxml_status", "server"]
KINDS: tuple[Kind, ...] = ("qbwc", "hresult", "qbxml_status", "server")

# Who acts on the problem: the person at the QuickBooks PC, the customer's accounting manager
# (Company Profile, settings, write-back queue), or whoever runs this server.
QUICKBOOKS_ADMIN = "QuickBooks admin"
ACCOUNTING_MANAGER = "accounting manager"
OPERATOR = "operator"
WHO: tuple[str, ...] = (QUICKBOOKS_ADMIN, ACCOUNTING_MANAGER, OPERATOR)


@dataclass(frozen=True)
class HelpEntry:
    """``code`` is the canonical spelling: ``QBWC1012``, ``0x80040408`` (upper-case hex digits),
    ``3100``, or a snake_case refusal of our own such as ``wrong_company_file``."""

    code: str
    kind: Kind
    title: str  # one line, no full stop: what happened
    cause: str  # why it happens, in plain words
    steps: tuple[str, ...]  # what to do, in order, each a sentence
    who: str  # one of WHO

    @property
    def sentence(self) -> str:
        """The title as a sentence, for texts that continue after it."""
        return self.title if self.title.endswith((".", "!", "?")) else self.title + "."

    @property
    def advice(self) -> str:
        """The steps as one paragraph (for the Web Connector's one-line status)."""
        return " ".join(self.steps)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "kind": self.kind,
            "title": self.title,
            "cause": self.cause,
            "steps": list(self.steps),
            "who": self.who,
        }


def entry(code: str, kind: Kind, who: str, title: str, cause: str, *steps: str) -> HelpEntry:
    return HelpEntry(code=code, kind=kind, title=title, cause=cause, steps=tuple(steps), who=who)
