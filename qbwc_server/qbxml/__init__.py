"""qbXML layer: schema-ordered request builders, hardened (streaming) response parsing, the
strHCPResponse parser, status-code and HRESULT catalogs, and qbXML version choice.

Pure functions and dataclasses: no database, no SOAP. See the modules for details:
``document`` (build_document), ``queries`` / ``writes`` (builders), ``schema_order`` (order
engine, Ref, Address), ``parse`` (iter_response / parse_response), ``ret_dicts``
(ret_to_dict), ``hcp`` (parse_hcp), ``status``, ``hresult``, ``versions``.
"""

from qbwc_server.qbxml.document import build_document
from qbwc_server.qbxml.hcp import HostCompanyPreferences, parse_hcp
from qbwc_server.qbxml.parse import (
    QbxmlParseError,
    UnsafeXmlError,
    iter_response,
    parse_response,
)
from qbwc_server.qbxml.ret_dicts import ret_to_dict
from qbwc_server.qbxml.schema_order import SUPPORTED_VERSIONS, Address, Ref
from qbwc_server.qbxml.versions import choose_qbxml_version

__all__ = [
    "SUPPORTED_VERSIONS",
    "Address",
    "HostCompanyPreferences",
    "QbxmlParseError",
    "Ref",
    "UnsafeXmlError",
    "build_document",
    "choose_qbxml_version",
    "iter_response",
    "parse_hcp",
    "parse_response",
    "ret_to_dict",
]
