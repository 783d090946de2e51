"""What the bench measures: each target's request, who sends it, and (writes) its requests.

A read target is one GET sent again and again. A write target has a list of requests prepared
by ``bench/probe.py prepare`` (``prepared["writes"][name]``: ``[path, JSON body]`` pairs), so
that every request is one a clinic could send: vitals on a pool of sessions in the chair, a
PHQ-9 for a pool of patients on a measurement plan, a series booked for each of a pool of
courses into slots none of the others takes. The test client sends the first two, the requests
alone the next five, and the load goes round the rest (``harness.LOAD_FROM``).
"""

from __future__ import annotations

import string
from urllib.parse import quote

PAGE_USER = "prescriber"  # sees the fullest dashboard (intakes to sign) and the clinical chart
API_USER = "nurse"

READS = (
    # name, label, path (from the prepared values), as
    ("healthz", "Bare endpoint (SELECT 1)", "/healthz", None),
    ("dashboard", "Dashboard page", "/", "page"),
    ("search_page", "Patient search page", "/patients/?q={search}", "page"),
    ("registry_page", "Patient list, no query", "/patients/", "page"),
    ("chart_page", "Patient chart page", "/patients/{patient_id}/", "page"),
    ("board_page", "Today board", "/sessions/", "page"),
    ("due_page", "Questionnaires due", "/assessments/", "page"),
    ("week_page", "Schedule, week view", "/scheduling/?view=week", "page"),
    ("flowsheet_page", "Session flowsheet", "/sessions/{session_id}/", "page"),
    ("api_search", "API patient search", "/api/v1/patients?q={search}", "api"),
    ("api_patient", "API patient detail", "/api/v1/patients/{patient_id}", "api"),
    ("api_intake", "API patient intake", "/api/v1/patients/{patient_id}/intake", "api"),
)
WRITES = (
    # name, label, whether each request may be sent only once (no warm-up then)
    ("api_vitals", "API record vitals", False),
    ("api_phq9", "API submit a PHQ-9", False),
    ("api_book_series", "API book a series", True),
)
NAMES = tuple(name for name, *_ in READS) + tuple(name for name, *_ in WRITES)


def build_targets(prepared: dict, session_cookie: str | None) -> list[dict]:
    """Every target, with its headers (the page cookie once signed in, or the API token)."""
    values = {**prepared, "search": quote(prepared["search"])}
    page = {"kind": "session", "user": PAGE_USER}
    api = {"kind": "token", "user": API_USER, "token": prepared["tokens"][API_USER]}
    anonymous = {"kind": "none", "user": "—"}
    targets = []
    for name, label, path, who in READS:
        auth = {"page": page, "api": api, None: anonymous}[who]
        missing = [key for key in _fields(path) if values.get(key) is None]
        if missing:  # nothing to open (e.g. no signed session in the demo): reported, not run
            target = _target(name, label, path, auth, session_cookie)
            target["unavailable"] = f"nothing to open in the demo ({', '.join(missing)})"
            targets.append(target)
            continue
        targets.append(_target(name, label, path.format(**values), auth, session_cookie))
    for name, label, once in WRITES:
        if name not in prepared["writes"]:
            continue  # not prepared (not asked for with --only)
        requests = prepared["writes"][name]
        if not requests:
            target = _target(name, label, "—", api, session_cookie)
            target["unavailable"] = "nothing to write to in the demo"
            targets.append(target)
            continue
        target = _target(name, label, requests[0][0], api, session_cookie)
        target.update(method="POST", requests=requests, expect=201, once=once)
        target["headers"]["Content-Type"] = "application/json"
        targets.append(target)
    return targets


def _fields(path: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(path) if name]


def _target(name: str, label: str, path: str, auth: dict, session_cookie: str | None) -> dict:
    headers = {}
    if auth["kind"] == "session" and session_cookie:
        headers["Cookie"] = session_cookie
    elif auth["kind"] == "token":
        headers["Authorization"] = f"Bearer {auth['token']}"
    return {
        "name": name,
        "label": label,
        "path": path,
        "auth": auth,
        "headers": headers,
        "method": "GET",
        "expect": 200,
    }
