"""qbXML schema facts generated from Intuit's XSDs, and a validator that runs on them.

``qbxml_facts.json`` is written by ``scripts/generate_schema_facts.py`` from the reference XSDs
(13.0 and 16.0; sources, their provenance and the generation date are in its ``header``). It
holds, for every request aggregate and the response aggregates the simulator writes, the content
model (sequences and choices with min/max occurs), value types, maxLengths and attributes. So the
fake QuickBooks validates every request like QuickBooks does (§6.8) on a clone without the
reference files; a test regenerates the file from the XSDs and cross-checks this validator
against lxml's ``XMLSchema`` where the files exist.
"""

from .facts import SchemaFacts, facts_for, header
from .validator import FactsValidator, validator_for

__all__ = ["FactsValidator", "SchemaFacts", "facts_for", "header", "validator_for"]
