"""Measurement settings within the clinical core's bounds, and the clinic's official wordings."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.assessments import selectors
from ketacare.assessments.defaults import clinic_setup
from ketacare.assessments.models import (
    AssessmentSettings,
    InstrumentWording,
)
from ketacare.assessments.protocol import CLINICAL_DEFAULTS, registry_key
from ketacare.assessments.services.common import (
    AssessmentError,
    _name,
)
from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.wording import load_wording
from ketacare.core.models import Clinic

# --- clinic settings and wording ----------------------------------------------------------------

# Delivery and outcome options with no source in the reference: bounded here (project choices).
PLAIN_BOUNDS = {
    "reminder_interval_hours": (1, 24 * 14),
    "link_ttl_hours": (1, 24 * 30),
    "baseline_max_age_days": (1, 365),
    "rapid_response_window_hours": (1, 7 * 24),
}
# The clinical thresholds are bounded by the core's defaults and stored in the clinic's protocol.
SETTING_BOUNDS = CLINICAL_DEFAULTS
STORED_FIELDS = ("language", *PLAIN_BOUNDS)
SETTING_FIELDS = (*STORED_FIELDS, *CLINICAL_DEFAULTS)


@transaction.atomic
def settings_update(
    *, clinic: Clinic, values: dict, origin: RequestOrigin, at: dt.datetime
) -> selectors.MeasurementSettings:
    """Change measurement settings within the clinical core's safe bounds (None = default).

    All or nothing: every value is checked before anything is stored. The clinical thresholds
    are written to the clinic's protocol (``clinic_settings_update``, audited there)."""
    clinic_setup(clinic)
    current = AssessmentSettings.objects.select_for_update().get(clinic=clinic)
    errors = {}
    for name, value in values.items():
        if name not in SETTING_FIELDS:
            errors[name] = "unknown setting"
            continue
        if value in (None, "") and name in ("reminder_interval_hours", "link_ttl_hours"):
            errors[name] = "required"
            continue
        if value in (None, ""):
            continue
        try:
            if name in SETTING_BOUNDS:
                SETTING_BOUNDS[name].validate(value)
            elif name in PLAIN_BOUNDS:
                low, high = PLAIN_BOUNDS[name]
                if not low <= value <= high:
                    raise ClinicalRuleError(f"must be {low}–{high}")
        except ClinicalRuleError as refused:
            errors[name] = str(refused)
    if errors:
        raise SettingsInvalid(errors)
    before = {name: getattr(current, name) for name in STORED_FIELDS}
    for name, value in values.items():
        if name not in STORED_FIELDS:
            continue
        if name == "language":
            value = (value or "en").strip()
        elif value == "":
            value = None
        setattr(current, name, value)
    current.updated_at = at
    current.updated_by = origin.actor
    current.save()
    changes = diff(before, {name: getattr(current, name) for name in STORED_FIELDS})
    if changes:
        audit_record(
            origin=origin,
            action="update",
            object_type="assessment_settings",
            object_id=current.pk,
            clinic_id=clinic.pk,
            summary=f"Measurement settings changed: {', '.join(changes)}"[:300],
            changes=changes,
            at=at,
        )
    thresholds = {
        registry_key(name): None if value in (None, "") else value
        for name, value in values.items()
        if name in CLINICAL_DEFAULTS
    }
    if thresholds:
        clinic_settings_update(clinic=clinic, values=thresholds, origin=origin, at=at)
    return selectors.settings_for(clinic)


class SettingsInvalid(AssessmentError):
    """One or more settings outside their bounds; ``fields`` names each."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)

    @property
    def errors(self) -> dict[str, str]:
        return self.fields


@transaction.atomic
def wording_upload(
    *, clinic: Clinic, document, origin: RequestOrigin, at: dt.datetime
) -> InstrumentWording:
    """Store a clinic's official wording after ``load_wording`` accepts it; it replaces the
    previous wording of the same instrument and language (kept, inactive)."""
    try:
        wording = load_wording(document)
    except ClinicalRuleError as refused:
        raise AssessmentError.field("document", str(refused)) from None
    if not isinstance(document, dict):
        import json

        document = json.loads(document)
    replaced = list(
        InstrumentWording.objects.select_for_update().filter(
            clinic=clinic, instrument=wording.instrument, language=wording.language, active=True
        )
    )
    InstrumentWording.objects.filter(pk__in=[w.pk for w in replaced]).update(active=False)
    row = InstrumentWording.objects.create(
        clinic=clinic,
        instrument=wording.instrument,
        language=wording.language,
        document=document,
        source=wording.source[:500],
        uploaded_at=at,
        uploaded_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="instrument_wording",
        object_id=row.pk,
        clinic_id=clinic.pk,
        summary=f"Official wording loaded: {_name(wording.instrument)} ({wording.language})",
        changes={"replaced": [w.pk for w in replaced], "source": wording.source},
        at=at,
    )
    return row


@transaction.atomic
def wording_retire(*, wording: InstrumentWording, origin: RequestOrigin, at: dt.datetime) -> None:
    """Stop showing a clinic wording: the project labels are shown again."""
    InstrumentWording.objects.filter(pk=wording.pk).update(active=False)
    audit_record(
        origin=origin,
        action="update",
        object_type="instrument_wording",
        object_id=wording.pk,
        clinic_id=wording.clinic_id,
        summary=f"Official wording retired: {_name(wording.instrument)} ({wording.language})",
        changes={"active": {"before": True, "after": False}},
        at=at,
    )
