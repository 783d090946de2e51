"""The clinic-settings registry: one table of a clinic's values over every registered default."""

from __future__ import annotations

import json

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.clinic_settings import registry
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance

pytestmark = pytest.mark.django_db

DEFAULTS = (
    ConfigurableDefault(
        key="reminder_hours",
        label="Reminder before a session",
        value=48,
        unit="h",
        provenance=Provenance((), verified=False, note="clinic policy"),
        minimum=1,
        maximum=168,
    ),
    ConfigurableDefault(
        key="count_threshold_mg",
        label="Count discrepancy threshold",
        value=None,
        unit="mg",
        provenance=Provenance(()),
        minimum=0,
        maximum=100,
    ),
    ConfigurableDefault(
        key="send_sms",
        label="Send SMS reminders",
        value=True,
        unit="",
        provenance=Provenance(("S1",)),
    ),
)


@pytest.fixture
def section():
    """The test section alone in the registry (apps' own sections are set aside meanwhile)."""
    saved = (dict(registry._SETTINGS), dict(registry._SECTIONS))
    registry._SETTINGS.clear()
    registry._SECTIONS.clear()
    registry.register("testsection", "Test section", DEFAULTS, kinds={"count_threshold_mg": float})
    yield "testsection"
    registry.unregister("testsection")
    registry._SETTINGS.update(saved[0])
    registry._SECTIONS.update(saved[1])


def put(client, values):
    return client.put(
        "/api/v1/clinic-settings",
        data=json.dumps({"values": values}),
        content_type="application/json",
    )


def test_defaults_are_in_force_until_the_clinic_sets_a_value(section, clinic):
    protocol = clinic_protocol(clinic)
    assert protocol.get("testsection.reminder_hours") == 48
    assert protocol.get("testsection.count_threshold_mg") is None
    assert [s.key for s in protocol.unconfigured()] == ["testsection.count_threshold_mg"]
    assert "testsection.reminder_hours" in [s.key for s in protocol.unconfirmed()]
    with pytest.raises(ClinicalRuleError, match="Count discrepancy threshold has no value"):
        protocol.require("testsection.count_threshold_mg")
    with pytest.raises(KeyError):
        protocol.get("testsection.unknown")


def test_the_medical_director_sets_clears_and_every_change_is_audited(section, clinic, client_for):
    director = client_for("medical_director")
    response = put(
        director, {"testsection.count_threshold_mg": 2.5, "testsection.reminder_hours": 24}
    )
    assert response.status_code == 200, response.json()
    protocol = clinic_protocol(clinic)
    assert protocol.get("testsection.count_threshold_mg") == 2.5
    assert protocol.get("testsection.reminder_hours") == 24
    assert protocol.unconfigured() == () and protocol.set_by_clinic("testsection.reminder_hours")
    entry = AuditEntry.objects.filter(object_type="clinic_settings").latest("sequence")
    assert entry.changes["testsection.reminder_hours"] == {"before": None, "after": 24}

    assert put(director, {"testsection.reminder_hours": None}).status_code == 200
    assert clinic_protocol(clinic).get("testsection.reminder_hours") == 48  # default again


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"testsection.reminder_hours": 500}, "testsection.reminder_hours", "above the safe"),
        ({"testsection.reminder_hours": 2.5}, "testsection.reminder_hours", "whole number"),
        ({"testsection.send_sms": "perhaps"}, "testsection.send_sms", "yes or no"),
        ({"testsection.nope": 1}, "testsection.nope", "not a protocol setting"),
    ],
)
def test_values_outside_their_bounds_are_refused_and_nothing_is_saved(
    section, clinic, client_for, values, field, fragment
):
    director = client_for("medical_director")
    response = put(director, {"testsection.count_threshold_mg": 1, **values})
    assert response.status_code == 422
    assert fragment in response.json()["fields"][field]
    assert clinic_protocol(clinic).get("testsection.count_threshold_mg") is None  # all or nothing


@pytest.mark.parametrize("role", ["nurse", "prescriber", "front_desk", "billing", "clinic_admin"])
def test_only_the_medical_director_changes_settings(section, client_for, role):
    assert put(client_for(role), {"testsection.reminder_hours": 12}).status_code == 403


@pytest.mark.parametrize(
    ("role", "status"),
    [("nurse", 200), ("medical_director", 200), ("front_desk", 403), ("billing", 403)],
)
def test_who_may_read_the_protocol(section, client_for, role, status):
    assert client_for(role).get("/api/v1/clinic-settings").status_code == status
    assert client_for(role).get("/clinic/protocol/").status_code == status


def test_the_page_shows_sources_and_the_director_saves_and_confirms(section, clinic, client_for):
    director = client_for("medical_director")
    page = director.get("/clinic/protocol/").content.decode()
    assert "Test section" in page and "To be set by the clinic (1)" in page
    assert "not confirmed" in page and "Confirm default" in page
    bad = director.post(
        "/clinic/protocol/",
        {"key": ["testsection.reminder_hours"], "value:testsection.reminder_hours": "0"},
    )
    assert bad.status_code == 422 and "below the safe minimum" in bad.content.decode()
    ok = director.post(
        "/clinic/protocol/",
        {
            "key": ["testsection.count_threshold_mg", "testsection.send_sms"],
            "value:testsection.count_threshold_mg": "3",
            "value:testsection.send_sms": "no",
        },
    )
    assert ok.status_code == 302
    protocol = clinic_protocol(clinic)
    assert protocol.get("testsection.count_threshold_mg") == 3.0
    assert protocol.get("testsection.send_sms") is False
    confirmed = director.post("/clinic/protocol/", {"confirm": "testsection.reminder_hours"})
    assert confirmed.status_code == 302
    assert clinic_protocol(clinic).set_by_clinic("testsection.reminder_hours")
    nurse_post = client_for("nurse").post("/clinic/protocol/", {"confirm": "x"})
    assert nurse_post.status_code == 403


def test_values_are_per_clinic(section, clinic, other_clinic, client_for):
    put(client_for("medical_director"), {"testsection.reminder_hours": 6})
    assert clinic_protocol(other_clinic).get("testsection.reminder_hours") == 48
