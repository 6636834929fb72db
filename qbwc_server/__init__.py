"""qbwc-server: the QuickBooks Web Connector server of the AP platform."""

__version__ = "0.1.0"
