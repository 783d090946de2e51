"""The demo clinic's long-term safety records: checks, a screen baseline, liver results and the
signals they raise, with every limit left "not configured"."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from ketacare.longterm.models import CognitiveScreen, LiverResult, Signal, UrinaryCheck

pytestmark = pytest.mark.django_db


def test_demo_loads_long_term_safety_records_and_signals():
    call_command("demo", patients=40, seed=3)
    assert UrinaryCheck.objects.exists() and CognitiveScreen.objects.exists()
    assert LiverResult.objects.filter(lab_flag="high").exists()
    kinds = set(Signal.objects.values_list("kind", flat=True))
    assert {"urinary_symptoms", "liver_abnormal"} <= kinds
    assert not Signal.objects.filter(kind="exposure_above_limit").exists()  # no limit set
