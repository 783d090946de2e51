"""Measurement settings within the clinical core's bounds, and the clinic's official wordings."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.assessments import selectors
from ketacare.assessments.models import (
    AssessmentSettings,
    InstrumentWording,
)
from ketacare.assessments.services.common import (
    AssessmentError,
    _name,
)
from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import (
    INSTRUMENTS,
    MADRS_ITEM10_FLAG_MIN,
    MOAAS_SEDATION_MAX,
    PCL5_PROBABLE_PTSD_MIN,
    RESPONSE_MIN_FALL_PERCENT,
)
from ketacare.clinical.outcomes import RELAPSE_RULE
from ketacare.clinical.wording import load_wording
from ketacare.core.models import Clinic

# --- clinic settings and wording ----------------------------------------------------------------

# field -> the clinical core's ConfigurableDefault that bounds it (None: bounded here)
SETTING_BOUNDS = {
    "response_min_fall_percent": RESPONSE_MIN_FALL_PERCENT,
    "remission_phq9": INSTRUMENTS["phq9"].remission.threshold,
    "remission_madrs": INSTRUMENTS["madrs"].remission.threshold,
    "remission_qids_sr16": INSTRUMENTS["qids_sr16"].remission.threshold,
    "relapse_rule": RELAPSE_RULE,
    "madrs_item10_flag_min": MADRS_ITEM10_FLAG_MIN,
    "pcl5_probable_ptsd_min": PCL5_PROBABLE_PTSD_MIN,
    "moaas_sedation_max": MOAAS_SEDATION_MAX,
}
PLAIN_BOUNDS = {
    "reminder_interval_hours": (1, 24 * 14),
    "link_ttl_hours": (1, 24 * 30),
    "baseline_max_age_days": (1, 365),
    "rapid_response_window_hours": (1, 7 * 24),
}
SETTING_FIELDS = ("language", *SETTING_BOUNDS, *PLAIN_BOUNDS)


@transaction.atomic
def settings_update(
    *, clinic: Clinic, values: dict, origin: RequestOrigin, at: dt.datetime
) -> AssessmentSettings:
    """Change measurement settings within the clinical core's safe bounds (None = default)."""
    current = selectors.settings_for(clinic)
    current = AssessmentSettings.objects.select_for_update().get(pk=current.pk)
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
    before = {name: getattr(current, name) for name in SETTING_FIELDS}
    for name, value in values.items():
        if name == "relapse_rule":
            value = value or ""
        elif name == "language":
            value = (value or "en").strip()
        elif value == "":
            value = None
        setattr(current, name, value)
    current.updated_at = at
    current.updated_by = origin.actor
    current.save()
    changes = diff(before, {name: getattr(current, name) for name in SETTING_FIELDS})
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
    return current


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
