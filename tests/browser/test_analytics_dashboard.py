"""The medical director opens the outcomes dashboard in real Chromium and reads its figures."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_outcomes_dashboard_shows_rates_charts_and_tables(new_page):
    # The demo `make run` serves (200 patients, seed 1): a rate needs at least 11 responders and
    # 11 non-responders (small cells are hidden), which a smaller demo may not reach.
    call_command("demo")
    page = new_page()
    sign_in(page, "director", "ketacare-demo")
    page.get_by_role("link", name="Outcomes").click()
    page.get_by_role("heading", name=re.compile("^Outcomes at ")).wait_for()
    rate = page.locator("#response-rate").inner_text()
    assert re.fullmatch(r"\d+(\.\d)? %", rate)
    assert page.get_by_role("heading", name="Response by route").is_visible()
    charts = page.locator("svg.analytics-chart")
    assert charts.count() >= 5 and charts.first.is_visible()
    # Every bar is either drawn or says why not (small cells are never shown).
    bars = page.locator("svg.analytics-chart text.value")
    assert bars.count() >= 4
    assert all(re.fullmatch(r"\d+(\.\d)? %|fewer than 11", t) for t in bars.all_text_contents())
    assert page.get_by_role("heading", name="Time to first response").is_visible()
    page.get_by_label("Instrument").select_option("madrs")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile("instrument=madrs"))
    page.get_by_text("Who is counted:").wait_for()
