"""The monitoring values move into the clinic-settings registry without losing a clinic's choice."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("treatment_sessions", "0002_pump_contents")]
AFTER = [("treatment_sessions", "0003_monitoring_settings_to_clinic_settings")]


@pytest.mark.django_db(transaction=True)
def test_stored_monitoring_values_move_to_clinic_settings_and_the_bp_caution_to_screening():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Organisation = old.get_model("core", "Organisation")
    Clinic = old.get_model("core", "Clinic")
    organisation = Organisation.objects.create(name="Net", slug="net")
    clinic = Clinic.objects.create(organisation=organisation, name="Harbor", slug="harbor")
    now = timezone.now()
    old.get_model("treatment", "ProtocolSetting").objects.create(
        clinic=clinic, key="bp.pre_treatment_systolic_max_mmhg", value=150, updated_at=now
    )
    old.get_model("treatment_sessions", "MonitoringSettings").objects.create(
        clinic=clinic,
        route="racemic_iv",
        updated_at=now,
        values={
            "spo2_alert_below_percent": 92,
            "minimum_observation_minutes": 60,
            "predose_caution_systolic_mmhg": 135,  # stricter than the screening's 150: kept
            "predose_caution_diastolic_mmhg": 85,  # screening unset: moves there
        },
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    stored = dict(
        new.get_model("clinic_settings", "ClinicSetting")
        .objects.filter(clinic_id=clinic.pk)
        .values_list("key", "value")
    )
    assert stored == {
        "monitoring.racemic_iv.spo2_alert_below_percent": 92,
        "monitoring.racemic_iv.minimum_observation_minutes": 60,
    }
    screening = dict(
        new.get_model("treatment", "ProtocolSetting")
        .objects.filter(clinic_id=clinic.pk)
        .values_list("key", "value")
    )
    assert screening == {
        "bp.pre_treatment_systolic_max_mmhg": 135,
        "bp.pre_treatment_diastolic_max_mmhg": 85,
    }
    executor.loader.build_graph()
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
