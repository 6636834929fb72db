"""Operator diagnostics: ``qbwc-server doctor`` and ``qbwc-server status``."""
