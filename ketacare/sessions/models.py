"""The treatment session: lifecycle, flowsheet, administration record, REMS and at-home logs.

A session belongs to one Appointment and acts on one signed Order. Once the nurse signs it, the
session and everything recorded in it is immutable: ``save`` and ``delete`` refuse, except the
prescriber's co-signature. Corrections are ``Addendum`` rows. Every write goes through
``ketacare.sessions.services`` (or ``.flowsheet``), which audits it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.clinical.infusion import PumpContents
from ketacare.clinical.session_flow import SessionState
from ketacare.core.errors import Refused
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.treatment.models import ROUTE_CHOICES, Appointment, Order, TreatmentCourse

LOCKED_STATES = frozenset({SessionState.SIGNED, SessionState.COSIGNED})
STATE_CHOICES = [
    ("scheduled", "Scheduled"),
    ("checked_in", "Checked in"),
    ("prechecks_passed", "Pre-checks passed"),
    ("dosing", "Dosing"),
    ("recovery", "Recovery"),
    ("discharged", "Discharged"),
    ("signed", "Signed by the nurse"),
    ("cosigned", "Co-signed by the prescriber"),
    ("cancelled", "Cancelled"),
    ("aborted", "Aborted"),
]


class SessionLocked(Refused):
    """A change to a signed session; corrections are addenda."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "This session is signed and can no longer change; add an addendum instead."
        )


class TreatmentSession(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="treatment_session"
    )
    course = models.ForeignKey(
        TreatmentCourse, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    route = models.CharField(max_length=24, choices=ROUTE_CHOICES)
    state = models.CharField(max_length=20, choices=STATE_CHOICES, default="scheduled")
    state_changed_at = models.DateTimeField()
    created_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    prechecks_passed_at = models.DateTimeField(null=True, blank=True)
    dosing_started_at = models.DateTimeField(null=True, blank=True)
    dosing_ended_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.TextField(blank=True, help_text="Why it was cancelled or aborted.")
    # Pre-checks: what the nurse documented and what the gate found.
    precheck_facts = models.JSONField(default=dict, blank=True)
    precheck_failures = models.JSONField(default=list, blank=True)
    prechecked_at = models.DateTimeField(null=True, blank=True)
    prechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    # Administration: what was drawn up, and (IV) what the bag on the pump holds. The delivered
    # dose is computed from the bag's concentration (bag_drug_mg ÷ bag_volume_ml), never the vial's.
    drug = models.CharField(max_length=100, blank=True)
    vial_concentration_mg_per_ml = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True
    )
    bag_drug_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    bag_diluent_ml = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    bag_volume_ml = models.DecimalField(
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="The bag's final volume with the drug added.",
    )
    lot_number = models.CharField(max_length=60, blank=True)
    # Discharge.
    discharge_facts = models.JSONField(default=dict, blank=True)
    discharge_criteria = models.JSONField(default=list, blank=True)
    discharge_instructions = models.TextField(blank=True)
    discharge_override_reason = models.TextField(blank=True)
    discharge_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ready_to_leave_at = models.DateTimeField(
        null=True, blank=True, help_text="REMS: when the patient would have been ready to leave."
    )
    # Signatures.
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["signed", "cosigned"])
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="session_signed_has_signer",
            ),
            models.CheckConstraint(
                condition=~Q(state="cosigned")
                | Q(cosigned_at__isnull=False, cosigned_by__isnull=False),
                name="session_cosigned_has_cosigner",
            ),
        ]

    # Fields the co-signature may still write on a signed session.
    COSIGN_FIELDS = frozenset({"state", "state_changed_at", "cosigned_at", "cosigned_by_id"})

    def __str__(self) -> str:
        return f"Session {self.pk} for {self.patient} ({self.state})"

    @property
    def is_locked(self) -> bool:
        return self.state in LOCKED_STATES

    @property
    def pump_contents(self) -> PumpContents | None:
        """What the bag on the pump holds (IV), or None before it is recorded."""
        if self.bag_drug_mg is None or self.bag_volume_ml is None:
            return None
        return PumpContents(
            drug_mg=float(self.bag_drug_mg),
            final_volume_ml=float(self.bag_volume_ml),
            diluent_ml=None if self.bag_diluent_ml is None else float(self.bag_diluent_ml),
            vial_concentration_mg_per_ml=(
                None
                if self.vial_concentration_mg_per_ml is None
                else float(self.vial_concentration_mg_per_ml)
            ),
        )

    def save(self, *args, **kwargs):
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).first()
            if stored is not None and stored.state in LOCKED_STATES:
                changed = {
                    f.attname
                    for f in self._meta.concrete_fields
                    if getattr(stored, f.attname) != getattr(self, f.attname)
                }
                cosigning = (
                    stored.state == SessionState.SIGNED
                    and self.state == SessionState.COSIGNED
                    and changed <= self.COSIGN_FIELDS
                )
                if changed and not cosigning:
                    raise SessionLocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_locked:
            raise SessionLocked()
        return super().delete(*args, **kwargs)


class SessionRecord(models.Model):
    """A row recorded in a session: refused once the session is signed."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    def _refuse_if_locked(self) -> None:
        state = (
            TreatmentSession.objects.filter(pk=self.session_id)
            .values_list("state", flat=True)
            .first()
        )
        if state in LOCKED_STATES:
            raise SessionLocked()

    def save(self, *args, **kwargs):
        self._refuse_if_locked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_locked()
        return super().delete(*args, **kwargs)


class SessionEvent(SessionRecord):
    """One lifecycle step: who, when, from which state to which, and why."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="events")
    event = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def save(self, *args, **kwargs):
        # The co-signature's own event is written as the session locks; allow that one.
        if self.event == "cosign" and self._state.adding:
            models.Model.save(self, *args, **kwargs)
            return
        super().save(*args, **kwargs)


class AdministrationEvent(SessionRecord):
    """One pump event (start, pause, resume, rate change, stop) or a discrete dose (a device,
    an injection, a lozenge). ``at`` is when it happened; ``recorded_at`` when it was entered."""

    class Kind(models.TextChoices):
        START = "start", "Start"
        PAUSE = "pause", "Pause"
        RESUME = "resume", "Resume"
        RATE_CHANGE = "rate_change", "Rate change"
        STOP = "stop", "Stop"
        DOSE = "dose", "Dose given"

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="administration"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    rate_ml_per_h = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]


class VitalsEntry(SessionRecord):
    """One flowsheet row. ``None`` = not measured. ``findings`` holds what evaluate_vitals said."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField()
    phase = models.CharField(max_length=10)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate_per_min = models.PositiveSmallIntegerField(null=True, blank=True)
    moaas_level = models.PositiveSmallIntegerField("MOAA/S", null=True, blank=True)
    crisis_symptoms = models.JSONField(null=True, blank=True)
    findings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["taken_at", "pk"]

    @property
    def has_vitals(self) -> bool:
        return any(
            v is not None
            for v in (
                self.systolic_mmhg,
                self.heart_rate_bpm,
                self.spo2_percent,
                self.respiratory_rate_per_min,
            )
        )


class ScoredObservation(SessionRecord):
    """An instrument rated during the session (CADSS-6), scored by ``instruments.score``."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="observations"
    )
    instrument = models.CharField(max_length=20)
    observed_at = models.DateTimeField()
    answers = models.JSONField()
    total = models.IntegerField(null=True)
    scorer_version = models.CharField(max_length=30)
    flags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["observed_at", "pk"]


class SideEffectEntry(SessionRecord):
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="side_effects"
    )
    effect = models.CharField(max_length=20)
    severity = models.CharField(max_length=10)
    observed_at = models.DateTimeField()
    serious_adverse_event = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    intervention = models.TextField(blank=True, help_text="What was given or done.")

    class Meta:
        ordering = ["observed_at", "pk"]


class Addendum(models.Model):
    """A correction or late entry added to a signed session, with its reason."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    reason = models.TextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SessionLocked("An addendum cannot be changed; add another one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SessionLocked("An addendum cannot be deleted.")


class RemsFormRecord(models.Model):
    """What the REMS Patient Monitoring Form needs beyond the session record, and its
    submission. Answers left empty fall back to what the session record shows."""

    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="rems_form"
    )
    answers = models.JSONField(default=dict, blank=True)
    submitted_on = models.DateField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()


class AtHomeSession(models.Model):
    """A patient's own log of a sublingual session taken at home, from the portal."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        TreatmentCourse, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    sitter_present = models.BooleanField()
    dose_taken_mg = models.DecimalField(max_digits=8, decimal_places=2)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    side_effects = models.JSONField(default=list, blank=True)
    phq9_answers = models.JSONField()
    phq9_total = models.IntegerField()
    concerns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("started_at")), name="at_home_ends_after_start"
            )
        ]
