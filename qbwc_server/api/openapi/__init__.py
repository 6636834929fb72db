"""The OpenAPI 3.1 document of the JSON API (``GET /api/openapi.json``).

Kept next to the code, one module per API module: ``companies.py``, ``operations.py``,
``records.py`` hold the operations of their routes, ``components.py`` the shared schemas.

**Adding a route**: add its operation to the ``PATHS`` of the module next to yours (or a new
module listed in ``document.MODULES``), keyed by the OpenAPI path (``{company_id}`` for
werkzeug's ``<company_id>``) and the lower-case HTTP method. ``tests/ops/test_openapi.py``
fails for any ``/api`` route without one (and for a documented route that does not exist), and
schemathesis checks every response of the live server against what is written here.
"""
