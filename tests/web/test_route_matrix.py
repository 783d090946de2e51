"""The role × page matrix generated from the URL resolver and each view's declared capability.

Every page either declares the capability it needs (``require_capability``), is the patient
portal's (``require_patient``), or is listed below with the reason it is open or checks its
callers itself: a new page cannot forget its permission. Every page that takes no arguments is
then opened by every role, and must answer exactly 200 for a role holding its capability and 403
for one that does not (the matrix in ketacare.core.roles decides which).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ketacare.core.roles import MATRIX
from tests.conftest import ROLES, base_world, from_module_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_world(module_data):
    """One clinic and its staff, made once for the module."""
    with module_data.building():
        return base_world(patient=False)


organisation, clinic, staff = from_module_world("organisation", "clinic", "staff")

# route -> why it carries no capability of its own
OPEN_OR_SELF_CHECKED = {
    "healthz": "load balancer probe, public",
    "": "home: sends each person to their own start page",
    "accounts/login/": "sign-in",
    "accounts/logout/": "sign-out",
    "accounts/two-factor/": "the second factor of a signed-in user",
    "clinic/switch/": "switches among the user's own clinics only",
    "network/": "a network's medical director: checked in the view (directs_network)",
    "network/people/<int:user_id>/": "as network/",
    "network/people/<int:user_id>/deactivate/": "as network/",
    "network/invitations/<int:invitation_id>/": "as network/",
    "accounts/invitation/<str:token>/": "one-time staff invitation link",
    "intake/<str:token>/": "one-time intake link sent to the patient",
    "portal/activate/<str:token>/": "one-time portal activation link",
    "kiosk/finish/": "ends the kiosk session of the tablet it runs on",
    "kiosk/locked/": "the kiosk's locked screen",
    "portal/": "the portal's home: patients only, checked in the view",
    "patients/merges/<int:merge_id>/": "checked in the view (the merge's clinic and role)",
    "assessments/q/<str:token>/": "one-time questionnaire link",
    "billing/pay/fake/<str:checkout_id>/": "the development card provider's checkout page",
    "scheduling/feeds/<str:token>.ics": "the patient's calendar feed, by secret token",
    "scheduling/offers/<str:token>/": "a waitlist offer link",
    "scheduling/r/<str:token>/": "a reminder's confirm-or-cancel link",
    "find/": "the public directory",
    "find/<slug:slug>/": "a clinic's public directory page",
    "find/manage/verify/": "directory verification: staff of the directory operator (is_staff)",
    "find/manage/verify/<int:listing_id>/": "as find/manage/verify/",
}


def _pages(patterns=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _pages(pattern.url_patterns, prefix + str(pattern.pattern))
        elif not prefix.startswith(("api/", "fhir/")):
            yield prefix + str(pattern.pattern), pattern


def test_every_page_declares_who_may_open_it():
    undeclared = {
        route
        for route, pattern in _pages()
        if getattr(pattern.callback, "required_capability", None) is None
        and not getattr(pattern.callback, "patients_only", False)
        and route not in OPEN_OR_SELF_CHECKED
    }
    assert not undeclared, f"pages without a declared capability: {sorted(undeclared)}"
    stale = set(OPEN_OR_SELF_CHECKED) - {route for route, _ in _pages()}
    assert not stale, f"listed as open but no longer routed: {sorted(stale)}"


def _argument_free_pages() -> list[tuple[str, object]]:
    return sorted(
        (f"/{route}", pattern.callback.required_capability)
        for route, pattern in _pages()
        if getattr(pattern.callback, "required_capability", None) is not None
        and not re.search(r"<|\(", route)
    )


# Pages whose GET answers something other than the page itself, for a role that may open them.
ALLOWED_STATUS = {
    "/sessions/protocol/": 301,  # the monitoring values moved to the protocol settings page
    "/treatment/schedule/": 302,  # the day list moved to the scheduling calendar
}
# Forms that only take a POST (a GET answers 405 whoever asks) send a role that may use them back
# to the page they sit on, with the form's message (an empty POST is refused there in words), and
# refuse any other role (403).
EMPTY_POST_STATUS: dict[str, int] = {}


def test_the_generated_matrix_covers_the_pages():
    assert len(_argument_free_pages()) >= 40


@pytest.mark.parametrize(("url", "capability"), _argument_free_pages(), ids=lambda v: str(v))
def test_each_role_gets_exactly_the_matrix_answer(client_for, url, capability):
    post_only = client_for(ROLES[0]).get(url).status_code == 405
    for role in ROLES:
        client = client_for(role)
        may = role in MATRIX[capability]
        if post_only:
            response = client.post(url, {})
            expected = EMPTY_POST_STATUS.get(url, 302) if may else 403
        else:
            response = client.get(url)
            expected = ALLOWED_STATUS.get(url, 200) if may else 403
        assert response.status_code == expected, (url, role, response.status_code)
