"""A refusal stays inside the application: the navigation, the reason and a way back."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_403_page_keeps_the_navigation_and_a_way_back(client_for, patient):
    desk = client_for("front_desk")
    response = desk.get(f"/patients/{patient.pk}/intake/", HTTP_REFERER="/patients/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'nav aria-label="Main"' in page  # inside the application
    assert "This is not open to you" in page
    assert "Your role at this clinic may not do this" in page
    assert '<a href="/patients/">Go back</a>' in page and '<a href="/">Home</a>' in page


def test_404_page_keeps_the_navigation(client_for, settings):
    settings.DEBUG = False
    response = client_for("nurse").get("/patients/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'nav aria-label="Main"' in page and "Not found" in page
    assert '<a href="/">Home</a>' in page


def test_codes_are_shown_in_words(client_for, patient, signed_intake):
    from ketacare.core.labels import label

    assert label("no_response") == "No response"
    assert label("esketamine_nasal") == "Esketamine nasal spray"
    assert label("some_new_code") == "Some new code"
    chart = client_for("nurse").get(f"/patients/{patient.pk}/").content.decode()
    trials = chart[chart.index("Antidepressant trials") :]
    assert "No response" in trials and "no_response" not in chart
