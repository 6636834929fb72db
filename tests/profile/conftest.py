"""Fixtures of the Company Profile tests (issue 11): the sync tests' rigs and apps."""

from tests.sync.conftest import http_rig, inproc_app, inproc_rig, request_schema

__all__ = ["http_rig", "inproc_app", "inproc_rig", "request_schema"]
