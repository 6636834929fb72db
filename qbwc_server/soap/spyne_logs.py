"""Keep request text out of spyne's log records.

spyne logs what it was given: ``spyne.protocol.soap.soap11.invalid`` logged ``%r`` of a whole
malformed body (a Connector Key, 63 MB of log for one request: issue 9), validation faults
carry the offending value, ``spyne.protocol.xml`` dumps documents at DEBUG. We parse bodies
ourselves (soap/envelope.py), but anything spyne still logs goes through this filter, which
replaces the message by a fixed one-line summary: the logger, the type of what was logged and
a fault's code (never its text, arguments or traceback).
"""

from __future__ import annotations

import logging

SPYNE = "spyne"


class SpyneRecordScrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Even a str message may be pre-formatted with request text ("%s" % tag), so only
        # the kind of message is kept, plus a fault's code (spyne's constant, e.g.
        # Client.SchemaValidationError).
        summary = type(record.msg).__name__
        code = getattr(record.msg, "faultcode", None)
        if isinstance(code, str) and code.replace(".", "").isalnum():
            summary += f" {code[:80]}"
        if record.exc_info and record.exc_info[0] is not None:
            summary += f" [{record.exc_info[0].__name__}]"
        record.msg = f"spyne ({record.name}): {summary}; request text withheld"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


_SCRUBBER = SpyneRecordScrubber()


def scrub_spyne_loggers() -> int:
    """Attach the scrubber to every spyne logger that exists now; returns how many.

    Filters on a logger apply to records created on that logger only (not to its children),
    so each one gets it. Call after spyne's modules are imported (building the application
    imports all that a request uses).
    """
    names = [n for n in list(logging.root.manager.loggerDict) if n.startswith("spyne.")]
    names.append(SPYNE)
    count = 0
    for name in set(names):
        logger = logging.getLogger(name)
        if _SCRUBBER not in logger.filters:
            logger.addFilter(_SCRUBBER)
        count += 1
    return count


__all__ = ["SpyneRecordScrubber", "scrub_spyne_loggers"]
