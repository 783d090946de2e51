"""Alert writes: open, notify, acknowledge with a documented action, resolve, escalate.

Generic by kind: the assessments app opens SAFETY alerts, the sessions app will open VITALS
alerts through the same ``alert_open``. Every write is one transaction and is audited.

Who is told (project choice, documented in docs/measurement.md):

- when an alert opens: the users the caller names (e.g. the patient's prescriber), every active
  nurse and prescriber of the clinic ("the clinicians on duty": Ketacare has no duty roster),
  and the clinic's on-call address if set;
- when it escalates: the clinic's medical director(s), the network-wide medical director(s) of
  its organisation, and the on-call address.

E-mails carry the MRN and a link, never answers or scores. A failing e-mail never undoes or
blocks the alert: notification runs after the commit and every error is logged and audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ketacare.alerts.models import Alert, ClinicAlertPolicy
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import Clinic, StaffMembership, User
from ketacare.core.roles import Role

logger = logging.getLogger(__name__)

# The reference gives no escalation time: a project default, flagged until the clinic confirms.
SAFETY_ESCALATION_MINUTES: ConfigurableDefault[int] = ConfigurableDefault(
    key="alerts.safety_escalation_minutes",
    label="Escalate an unacknowledged safety alert after",
    value=30,
    unit="minutes",
    provenance=Provenance(
        ("project default",),
        verified=False,
        note="the clinical reference gives no escalation time; the medical director sets it",
    ),
    minimum=5,
    maximum=24 * 60,
)
NOTE_MAX_CHARS = 4000
ON_DUTY_ROLES = (Role.NURSE, Role.PRESCRIBER)


class AlertError(Invalid):
    """Input an alert action cannot accept (HTTP 422), with the field it concerns."""


class AlertStateError(Refused):
    """The alert is not in a state that allows the action, e.g. already acknowledged (409)."""


def alert_url(alert: Alert) -> str:
    """Absolute link to the alert's page (the patient's chart when the alert pages are absent)."""
    try:
        path = reverse("alerts:detail", args=[alert.pk])
    except NoReverseMatch:
        path = reverse("patients:detail", args=[alert.patient_id])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


# --- policy -------------------------------------------------------------------------------------


def alert_policy_for(clinic: Clinic) -> ClinicAlertPolicy:
    """The clinic's policy; created with the project default (unconfirmed) on first use."""
    policy, _ = ClinicAlertPolicy.objects.get_or_create(
        clinic=clinic, defaults={"safety_escalation_minutes": SAFETY_ESCALATION_MINUTES.value}
    )
    return policy


@transaction.atomic
def alert_policy_update(
    *,
    clinic: Clinic,
    safety_escalation_minutes: int,
    on_call_email: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> ClinicAlertPolicy:
    """The medical director sets (and so confirms) the escalation time and on-call address."""
    try:
        minutes = SAFETY_ESCALATION_MINUTES.validate(safety_escalation_minutes)
    except ClinicalRuleError as refused:
        raise AlertError.field("safety_escalation_minutes", str(refused)) from None
    policy = alert_policy_for(clinic)
    policy = ClinicAlertPolicy.objects.select_for_update().get(pk=policy.pk)
    before = {
        "safety_escalation_minutes": policy.safety_escalation_minutes,
        "on_call_email": policy.on_call_email,
        "confirmed": policy.confirmed_at is not None,
    }
    policy.safety_escalation_minutes = minutes
    policy.on_call_email = on_call_email.strip()
    policy.confirmed_at = at
    policy.confirmed_by = origin.actor
    policy.save()
    after = {
        "safety_escalation_minutes": minutes,
        "on_call_email": policy.on_call_email,
        "confirmed": True,
    }
    audit_record(
        origin=origin,
        action="update",
        object_type="alert_policy",
        object_id=policy.pk,
        clinic_id=clinic.pk,
        summary=f"Alert policy: escalate safety alerts after {minutes} min",
        changes={
            k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]
        },
        at=at,
    )
    return policy


# --- recipients ---------------------------------------------------------------------------------


def on_duty_clinicians(clinic: Clinic) -> list[User]:
    """Active nurses and prescribers of the clinic: Ketacare's model of "on duty"."""
    return _users(
        StaffMembership.objects.filter(clinic=clinic, role__in=ON_DUTY_ROLES, active=True)
    )


def medical_directors(clinic: Clinic) -> list[User]:
    """The clinic's medical directors and the network-wide ones of its organisation."""
    return _users(
        StaffMembership.objects.filter(role=Role.MEDICAL_DIRECTOR, active=True).filter(
            Q(clinic=clinic) | Q(clinic__isnull=True, organisation_id=clinic.organisation_id)
        )
    )


def _users(memberships: QuerySet[StaffMembership]) -> list[User]:
    ids = memberships.values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _addresses(users: Iterable[User], *extra: str) -> list[str]:
    seen: dict[str, str] = {}
    for address in [*(u.email for u in users), *extra]:
        if address and address.strip():
            seen.setdefault(address.strip().lower(), address.strip())
    return list(seen.values())


# --- open and notify ----------------------------------------------------------------------------


def alert_open(
    *,
    patient,
    kind: str,
    level: str,
    code: str,
    message: str,
    origin: RequestOrigin,
    recommended_action: str = "",
    source_type: str = "",
    source_id: object = "",
    details: dict | None = None,
    notify_users: Iterable[User] = (),
    escalate: bool | None = None,
    notify: bool | None = None,
    at: dt.datetime,
) -> Alert:
    """Open an alert at once; notification e-mails go out after the commit and never fail it.

    ``notify`` (e-mail) and ``escalate`` (to the medical director after the clinic's escalation
    time) default to True for safety alerts and False for other kinds, whose alerts are seen
    where they arise (e.g. a session's vitals, by the nurse in the room). ``notify_users`` are
    told in addition to the clinicians on duty.
    """
    if kind not in Alert.Kind.values:
        raise ValueError(f"unknown alert kind {kind!r}; expected one of {Alert.Kind.values}")
    if level not in Alert.Level.values:
        raise ValueError(f"unknown alert level {level!r}; expected one of {Alert.Level.values}")
    clinic = patient.clinic
    if escalate is None:
        escalate = kind == Alert.Kind.SAFETY
    if notify is None:
        notify = kind == Alert.Kind.SAFETY
    due = (
        at + dt.timedelta(minutes=alert_policy_for(clinic).safety_escalation_minutes)
        if escalate
        else None
    )
    with transaction.atomic():
        alert = Alert.objects.create(
            clinic=clinic,
            patient=patient,
            kind=kind,
            level=level,
            code=code[:60],
            message=message[:400],
            recommended_action=recommended_action[:400],
            source_type=source_type[:60],
            source_id=str(source_id or "")[:64],
            details=details or {},
            opened_at=at,
            opened_by_label=origin.actor_label[:200],
            escalation_due_at=due,
        )
        audit_record(
            origin=origin,
            action="create",
            object_type="alert",
            object_id=alert.pk,
            clinic_id=clinic.pk,
            patient_id=patient.pk,
            summary=f"{alert.get_kind_display()} opened ({level}): {code}",
            changes={"status": {"before": None, "after": "open"}, "code": code, "level": level},
            at=at,
        )
        if notify:
            user_ids = [u.pk for u in notify_users]
            transaction.on_commit(lambda: alert_notify_safely(alert.pk, user_ids))
    return alert


def alert_notify_safely(alert_id: int, user_ids: list[int]) -> list[str]:
    """``alert_notify`` that logs instead of raising: nothing may block the caller's page."""
    try:
        alert = Alert.objects.select_related("patient", "clinic").get(pk=alert_id)
        return alert_notify(alert, extra_users=User.objects.filter(pk__in=user_ids))
    except Exception:
        logger.exception("Could not send the notification for alert %s", alert_id)
        try:
            alert = Alert.objects.get(pk=alert_id)
            audit_record(
                origin=RequestOrigin.system("alert notifier"),
                action="send",
                object_type="alert",
                record=alert,
                summary="Alert e-mail FAILED; the alert stays on the dashboard",
            )
        except Exception:
            logger.exception("Could not audit the failed notification for alert %s", alert_id)
        return []


def alert_notify(alert: Alert, *, extra_users: Iterable[User] = ()) -> list[str]:
    """E-mail the alert to the named users, the clinicians on duty and the on-call address."""
    policy = alert_policy_for(alert.clinic)
    recipients = _addresses([*extra_users, *on_duty_clinicians(alert.clinic)], policy.on_call_email)
    if not recipients:
        logger.warning("Alert %s: nobody with an e-mail address to tell", alert.pk)
        return []
    local = timezone.localtime(alert.opened_at, alert.clinic.zone)
    subject = (
        f"[Ketacare] {alert.get_kind_display()} ({alert.get_level_display().lower()}) — "
        f"patient {alert.patient.mrn}"
    )
    body = (
        f"A {alert.get_kind_display().lower()} opened at {local:%Y-%m-%d %H:%M} "
        f"({alert.clinic.time_zone}) for patient MRN {alert.patient.mrn} "
        f"at {alert.clinic.name}.\n\n"
        "It stays open until a clinician acknowledges it with the action taken.\n"
        f"Open it: {alert_url(alert)}\n\n"
        "This message holds no clinical details; sign in to see them.\n"
    )
    _send_each(subject, body, recipients)
    Alert.objects.filter(pk=alert.pk).update(notified_to=recipients)
    audit_record(
        origin=RequestOrigin.system("alert notifier"),
        action="send",
        object_type="alert",
        record=alert,
        summary=f"Alert e-mailed to {len(recipients)} recipient(s)",
        changes={"to": recipients},
    )
    return recipients


def _send_each(subject: str, body: str, recipients: list[str]) -> None:
    """One message per recipient, so no one sees the others' addresses."""
    connection = get_connection()
    messages = [EmailMessage(subject, body, None, [to], connection=connection) for to in recipients]
    connection.send_messages(messages)


# --- acknowledge and resolve --------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(
    *,
    alert: Alert,
    action: str,
    note: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> Alert:
    """A clinician acknowledges an open alert with the action taken (and a note for "other")."""
    if origin.actor is None:
        raise AlertStateError("An alert is acknowledged by a signed-in clinician.")
    if action not in Alert.Action.values:
        choices = ", ".join(Alert.Action.values)
        raise AlertError.field("action", f"Choose the action taken ({choices}).")
    note = (note or "").strip()
    if action == Alert.Action.OTHER and not note:
        raise AlertError.field(
            "note", "Describe the action taken in the note when you choose “other”."
        )
    if len(note) > NOTE_MAX_CHARS:
        raise AlertError.field("note", f"The note is longer than {NOTE_MAX_CHARS} characters.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.OPEN:
        raise AlertStateError(
            f"This alert is already {alert.get_status_display().lower()}; nothing was changed."
        )
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = at
    alert.acknowledged_by = origin.actor
    alert.action_taken = action
    alert.action_note = note
    alert.save(
        update_fields=[
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "action_taken",
            "action_note",
        ]
    )
    audit_record(
        origin=origin,
        action="update",
        object_type="alert",
        record=alert,
        summary=(
            f"Acknowledged {alert.get_kind_display().lower()}: {alert.get_action_taken_display()}"
        ),
        changes={
            "status": {"before": "open", "after": "acknowledged"},
            "action_taken": {"before": "", "after": action},
            "action_note": {"before": "", "after": note},
        },
        at=at,
    )
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, note: str, origin: RequestOrigin, at: dt.datetime) -> Alert:
    """Close an alert. A safety alert must be acknowledged (with its action) first."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise AlertError.field("note", f"The note is longer than {NOTE_MAX_CHARS} characters.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == Alert.Status.RESOLVED:
        raise AlertStateError("This alert is already resolved; nothing was changed.")
    if alert.status == Alert.Status.OPEN and alert.kind == Alert.Kind.SAFETY:
        raise AlertStateError(
            "A safety alert is acknowledged with the action taken before it can be resolved."
        )
    before = alert.status
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = at
    alert.resolved_by = origin.actor
    alert.resolution_note = note
    alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
    audit_record(
        origin=origin,
        action="update",
        object_type="alert",
        record=alert,
        summary=f"Resolved {alert.get_kind_display().lower()}",
        changes={
            "status": {"before": before, "after": "resolved"},
            "resolution_note": {"before": "", "after": note},
        },
        at=at,
    )
    return alert


# --- escalation ---------------------------------------------------------------------------------


def alerts_due_for_escalation(now: dt.datetime) -> QuerySet[Alert]:
    return Alert.objects.filter(
        status=Alert.Status.OPEN,
        escalated_at__isnull=True,
        escalation_due_at__isnull=False,
        escalation_due_at__lte=now,
    ).order_by("escalation_due_at")


def alerts_escalate_due(*, now: dt.datetime) -> list[Alert]:
    """Escalate every open alert past its escalation time to the medical director(s).

    Idempotent: an alert is escalated once (``escalated_at``). If the e-mail fails, that alert is
    left unescalated and the next run tries again; the others go on.
    """
    escalated = []
    for alert_id in list(alerts_due_for_escalation(now).values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                alert = (
                    Alert.objects.select_for_update()
                    .select_related("clinic", "patient")
                    .get(pk=alert_id)
                )
                if alert.status != Alert.Status.OPEN or alert.escalated_at is not None:
                    continue
                escalated.append(_escalate(alert, now))
        except Exception:
            logger.exception("Could not escalate alert %s; will retry on the next run", alert_id)
    return escalated


def _escalate(alert: Alert, now: dt.datetime) -> Alert:
    policy = alert_policy_for(alert.clinic)
    recipients = _addresses(medical_directors(alert.clinic), policy.on_call_email)
    waited = int((now - alert.opened_at).total_seconds() // 60)
    if recipients:
        subject = (
            f"[Ketacare] ESCALATED: {alert.get_kind_display().lower()} unacknowledged for "
            f"{waited} min — patient {alert.patient.mrn}"
        )
        body = (
            f"A {alert.get_kind_display().lower()} for patient MRN {alert.patient.mrn} at "
            f"{alert.clinic.name} has not been acknowledged {waited} minutes after it opened "
            f"(escalation time {policy.safety_escalation_minutes} min).\n\n"
            f"Open it: {alert_url(alert)}\n\n"
            "This message holds no clinical details; sign in to see them.\n"
        )
        _send_each(subject, body, recipients)
    else:
        logger.error("Alert %s escalated but no medical director has an e-mail address", alert.pk)
    alert.escalated_at = now
    alert.escalated_to = recipients
    alert.save(update_fields=["escalated_at", "escalated_to"])
    audit_record(
        origin=RequestOrigin.system("escalate_safety_alerts"),
        action="update",
        object_type="alert",
        record=alert,
        summary=(
            f"Escalated to the medical director after {waited} min unacknowledged"
            if recipients
            else "Escalation due, but no medical director has an e-mail address"
        ),
        changes={"escalated_to": recipients},
        at=now,
    )
    return alert
