"""The company status read model: what the API, the pages and the CLI show about a company."""

from qbwc_server.status.streams import stream_status
from qbwc_server.status.view import company_status

__all__ = ["company_status", "stream_status"]
