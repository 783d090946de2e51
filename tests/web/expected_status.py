"""The exact answer a role that may do something gets, for the hand-written role matrices.

A page answers a GET with itself (200) and a form's POST by sending the browser on (302). An API
operation answers with the success status its OpenAPI document declares (200, 201 or 204). A
matrix case whose permitted answer differs (a refusal by the record's state, say) names its own
status and why, next to the case.
"""

from __future__ import annotations

import re
from functools import cache

from ketacare.config.api import api


@cache
def _operations() -> list[tuple[re.Pattern[str], str, int]]:
    rows = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, spec in methods.items():
            successes = sorted(int(c) for c in spec["responses"] if str(c).startswith("2"))
            # a POST that may create answers 201 for a new record (200 for the one that exists)
            status = 201 if method.lower() == "post" and 201 in successes else successes[0]
            rows.append((pattern, method.lower(), status))
    return rows


def success(method: str, url: str) -> int:
    """The status a permitted request to ``url`` answers when it does what it is for."""
    path = url.split("?", 1)[0]
    if not path.startswith("/api/"):
        return 200 if method.lower() == "get" else 302
    for pattern, operation_method, status in _operations():
        if operation_method == method.lower() and pattern.match(path):
            return status
    raise LookupError(f"no API operation {method.upper()} {path}")


def signed_out(url: str) -> int:
    """What an anonymous request gets: the API 401, a page the sign-in redirect."""
    return 401 if url.startswith("/api/") else 302
