"""HTTP security mechanisms shared by the pages, the JSON API and the SOAP endpoint.

``headers``: the response headers every answer carries (one WSGI wrapper in ``app.py``).
"""
