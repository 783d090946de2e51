"""Pages must not run a query per patient: the count stays flat as the clinic grows."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ketacare.core.models import User

PAGES = ("/", "/patients/", "/assessments/")


def _query_counts(patients: int) -> dict[str, int]:
    call_command("flush", interactive=False, verbosity=0)
    call_command("demo", patients=patients, seed=5, verbosity=0)
    client = Client()
    client.force_login(User.objects.get(username="prescriber"))
    counts = {}
    for page in PAGES:
        client.get(page)  # warm caches and one-off writes
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        counts[page] = len(queries)
    return counts


@pytest.mark.django_db(transaction=True)
def test_page_queries_do_not_grow_with_the_number_of_patients():
    small, large = _query_counts(30), _query_counts(120)
    for page in PAGES:
        assert large[page] <= small[page] + 2, (page, small[page], large[page])
