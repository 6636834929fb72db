"""Hypothesis strategies for hostile XML: a valid document, then truncated, spliced with hostile
snippets (DTDs and entities in every spelling, huge attributes, deep nesting, control characters,
lone surrogates, CDATA, stray markup), cut or duplicated; and hidden-DOCTYPE prologs.

Shared by the SOAP envelope fuzzer and the qbXML/HCP parser fuzzers (tests/fuzz).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Spellings of a DOCTYPE libxml2 reads as one once XML-illegal characters are cleaned out, and
# the entity tricks a DTD would enable (billion laughs, XXE, parameter entities).
DTDS = [
    '<!DOCTYPE x [<!ENTITY a "b">]>',
    '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    '<!&#1;DOCTYPE x [<!&#1;ENTITY a "b">]>',
    '<!&#x1F;DOCTYPE x [<!&#x1F;ENTITY a "b">]>',
    '<!\x01DOCTYPE x [<!\x02ENTITY a "b">]>',
    "<!DOC&#1;TYPE x>",
    "<!doctype x>",
    "<!ENTITY a 'b'>",
]
ILLEGAL = ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff"]
CHAR_REFS = ["&#1;", "&#x0;", "&#xD800;", "&#65;", "&#x10FFFF;", "&#x110000;", "&#99999999999;"]
SNIPPETS = [
    *DTDS,
    *ILLEGAL,
    *CHAR_REFS,
    "&a;",
    "&amp;",
    "&lt;",
    "&",
    "<",
    ">",
    "]]>",
    "<![CDATA[x<y>&z]]>",
    "<![CDATA[",
    "<!-- c -->",
    "<!--",
    "<?pi x?>",
    '<?xml version="1.0" encoding="utf-16"?>',
    '<?xml version="1.0" encoding="windows-1252"?>',
    "\ufeff",
    "\u202e",
    "\U0001f600",
    "<a>",
    "</a>",
    "<a/>",
    '<a b="1" b="2"/>',
    '<a xmlns:p="urn:x"><p:b/></a>',
    "<p:a/>",
    'xmlns="urn:evil"',
]


class Edit:
    """A corpus case given in place of hypothesis' ``data``: the document with ``old`` replaced
    by ``new`` (``count`` times), or with ``new`` put before it (:meth:`prefix`)."""

    def __init__(self, old: str, new: str, count: int = 1) -> None:
        self.old, self.new, self.count = old, new, count

    @classmethod
    def prefix(cls, text: str) -> Edit:
        return cls("", text)

    def apply(self, document: str) -> str:
        if not self.old:
            return self.new + document
        return document.replace(self.old, self.new, self.count)


def edited(document: str, data: Any) -> str:
    """``document`` as a test case has it: unchanged (``data`` None), a corpus :class:`Edit`, or
    mutated by hypothesis (``data`` from ``st.data()``)."""
    if data is None:
        return document
    if isinstance(data, Edit):
        return data.apply(document)
    return str(data.draw(mutated(document), label="document"))


@st.composite
def snippet(draw: st.DrawFn) -> str:
    """One hostile piece of text."""
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return draw(st.sampled_from(SNIPPETS))
    if kind == 1:  # a huge attribute
        size = draw(st.sampled_from([100, 5000, 70_000]))
        return f'<a b="{"x" * size}"/>'
    if kind == 2:  # many attributes
        return "<a " + " ".join(f'a{i}="1"' for i in range(draw(st.integers(1, 400)))) + "/>"
    if kind == 3:  # deep nesting
        depth = draw(st.sampled_from([10, 300, 3000]))
        return "<a>" * depth + "</a>" * depth * draw(st.integers(0, 1))
    if kind == 4:  # many elements
        return "<b/>" * draw(st.sampled_from([10, 2000]))
    if kind == 5:
        return draw(st.text(max_size=40))
    return draw(st.text(st.characters(codec="utf-8", categories=["Cc", "Cs", "Co"]), max_size=8))


@st.composite
def mutated(draw: st.DrawFn, document: str) -> str:
    """``document`` after up to three edits, at positions drawn over its whole length."""
    text = document
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):  # a third stay well-formed
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "truncate", "delete", "duplicate", "replace"]))
        if edit == "insert":
            text = text[:at] + draw(snippet()) + text[at:]
        elif edit == "truncate":
            text = text[:at]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 200)) :]
        elif edit == "duplicate":
            text = text[:at] + text[at : at + draw(st.integers(1, 500))] + text[at:]
        else:
            text = text[:at] + draw(snippet()) + text[at + draw(st.integers(1, 50)) :]
    return text


@st.composite
def hidden_doctype(draw: st.DrawFn) -> str:
    """A DOCTYPE with an internal subset, its keywords broken up by characters that the parsers'
    cleaning removes (raw illegal characters or references to them): once cleaned, a DTD."""
    junk = st.lists(st.sampled_from(ILLEGAL[:5] + CHAR_REFS[:2]), max_size=3).map("".join)
    lead = draw(st.sampled_from(["", "&#1;", "\x01", "\ufeff", " \n"]))
    value = draw(st.sampled_from(['"boom"', '"&#38;#60;"', 'SYSTEM "file:///etc/passwd"']))
    return f"{lead}<!{draw(junk)}DOCTYPE QBXML [<!{draw(junk)}ENTITY x {value}>]>"


__all__ = ["DTDS", "ILLEGAL", "SNIPPETS", "Edit", "edited", "hidden_doctype", "mutated", "snippet"]
