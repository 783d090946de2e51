"""Merging two records of the same patient, and undoing it.

Nothing is lost: the duplicate record stays with everything recorded on it (intakes, consents,
sessions, results), marked as merged into the record that stays. It leaves the registry's lists;
its chart is reached from the survivor's, whose timeline shows both histories. Contact fields the
survivor lacked are copied from the duplicate. Undoing is an addendum on the merge (who, when,
why): the duplicate returns to the lists and copied fields still unchanged are cleared again.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import User
from ketacare.patients.models import Patient, PatientMerge

# Contact and administrative fields a survivor may take from the duplicate when it lacks them.
FILLABLE = (
    "preferred_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "preferred_pharmacy",
    "insurance_payer",
    "insurance_member_id",
    "insurance_group_number",
)


def _reason(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid.field(field, "Say why (e.g. registered twice at the front desk).")
    return text


@transaction.atomic
def patient_merge(
    *,
    survivor: Patient,
    duplicate: Patient,
    reason: str,
    by: User,
    origin: RequestOrigin,
    at: dt.datetime,
) -> PatientMerge:
    """Merge ``duplicate`` into ``survivor`` (both of one clinic, neither already merged)."""
    reason = _reason(reason, "reason")
    locked = {
        p.pk: p
        for p in Patient.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if survivor.pk == duplicate.pk:
        raise Invalid.field("duplicate", "A record cannot be merged into itself.")
    if survivor.clinic_id != duplicate.clinic_id:
        raise Refused("Only two records of the same clinic can be merged.")
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise Refused("One of these records is already merged into another.")
    if duplicate.portal_user_id and survivor.portal_user_id:
        raise Refused(
            "Both records have a portal account; deactivate one before merging, so the patient "
            "keeps a single sign-in."
        )
    filled = {
        name: getattr(duplicate, name)
        for name in FILLABLE
        if not getattr(survivor, name) and getattr(duplicate, name)
    }
    for name, value in filled.items():
        setattr(survivor, name, value)
    if duplicate.portal_user_id:
        survivor.portal_user, duplicate.portal_user = duplicate.portal_user, None
        duplicate.save(update_fields=["portal_user"])
        filled["portal_user"] = survivor.portal_user_id
    survivor.save()
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["merged_into"])
    merge = PatientMerge.objects.create(
        survivor=survivor,
        merged=duplicate,
        merged_at=at,
        merged_by=by,
        reason=reason,
        filled=filled,
    )
    _audit_both(
        merge,
        {
            survivor: f"Merged {duplicate.mrn} into this record: {reason}",
            duplicate: f"Merged into {survivor.mrn}: {reason}",
        },
        changes={"survivor": survivor.pk, "merged": duplicate.pk, "filled": filled},
        origin=origin,
        at=at,
    )
    return merge


@transaction.atomic
def patient_merge_undo(
    *, merge: PatientMerge, reason: str, by: User, origin: RequestOrigin, at: dt.datetime
) -> PatientMerge:
    """Undo a merge by addendum: the duplicate is its own record again; fields copied into the
    survivor and not changed since are cleared (changed ones are kept, and listed)."""
    reason = _reason(reason, "undo_reason")
    merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Refused("This merge was already undone.")
    survivor = Patient.objects.select_for_update().get(pk=merge.survivor_id)
    duplicate = Patient.objects.select_for_update().get(pk=merge.merged_id)
    kept = []
    for name, value in merge.filled.items():
        if name == "portal_user":
            if survivor.portal_user_id == value:
                survivor.portal_user = None
                survivor.save(update_fields=["portal_user"])
                duplicate.portal_user_id = value
            continue
        if getattr(survivor, name) == value:
            setattr(survivor, name, "")
        else:
            kept.append(name)
    survivor.save()
    duplicate.merged_into = None
    duplicate.save(update_fields=["merged_into", "portal_user"])
    merge.undone_at, merge.undone_by, merge.undo_reason = at, by, reason
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    _audit_both(
        merge,
        {
            survivor: f"Undid the merge of {duplicate.mrn}: {reason}",
            duplicate: f"No longer merged into {survivor.mrn}: {reason}",
        },
        changes={"undone": True, "kept_on_survivor": kept},
        origin=origin,
        at=at,
    )
    return merge


def _audit_both(
    merge: PatientMerge,
    summaries: dict[Patient, str],
    *,
    changes: dict,
    origin: RequestOrigin,
    at: dt.datetime,
) -> None:
    """One entry in each record's trail (the survivor's and the duplicate's), each with its own
    summary."""
    for patient, summary in summaries.items():
        audit_record(
            origin=origin,
            action="update",
            object_type="patient_merge",
            object_id=merge.pk,
            patient=patient,
            summary=summary[:300],
            changes=changes,
            at=at,
        )
