"""Scheduling tables: the clinic's resources over time, the database guard against double
booking, what a booking records beyond the appointment, waitlist, messages and staff feeds.

The booking itself stays the treatment app's ``Appointment`` (the today board, the dashboard and
sessions read it); ``Booking`` holds what scheduling adds to it, one to one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ketacare.core.models import Chair, Clinic
from ketacare.patients.models import Patient
from ketacare.treatment.models import Appointment, TreatmentCourse

WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
_USER = settings.AUTH_USER_MODEL


class ChairSetup(models.Model):
    """What a chair or room can do (``clinical.scheduling_needs.ChairCapability`` values)."""

    chair = models.OneToOneField(Chair, on_delete=models.CASCADE, related_name="setup")
    capabilities = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class OpeningHours(models.Model):
    """One opening of the clinic on a weekday (several rows make a lunch break)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_closes_later"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_weekday_valid"),
        ]


class Closure(models.Model):
    """Whole days the clinic is closed (holidays, training days)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="closure_ends_on_or_after_start"
            )
        ]


class StaffHours(models.Model):
    """A staff member's working hours at a clinic on a weekday. A nurse or prescriber with no
    rows at a clinic works its opening hours."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="staff_hours")
    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["user_id", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="staff_hours_end_later"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="staff_hours_weekday_valid"),
        ]


class TimeOff(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="time_off")
    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="time_off_ends_after_start"
            )
        ]


class ChairBlock(models.Model):
    """A chair held for something other than a patient (maintenance, cleaning, training)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="chair_blocks")
    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="blocks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["clinic", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="chair_block_ends_after_start"
            )
        ]


class ScheduleLock(models.Model):
    """One row per clinic that every booking transaction locks first, so the checks and the
    writes of two people booking at once happen one after the other (PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, primary_key=True)


class Occupancy(models.Model):
    """The time an active appointment (booked or completed) holds its chair and its patient.

    Kept in step with every save of an ``Appointment`` (``signals.py``). The database refuses two
    rows that overlap on the same chair or the same patient: PostgreSQL exclusion constraints,
    SQLite triggers (migration 0002). A later migration that rebuilds this table on SQLite must
    create the triggers again; ``test_the_database_refuses_an_overlapping_occupancy`` checks.
    """

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, primary_key=True, related_name="occupancy"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    chair = models.ForeignKey(Chair, null=True, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["chair", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="occupancy_ends_after_start"
            )
        ]


class Series(models.Model):
    """Sessions booked together for one phase of a course, with the spacing rules they keep."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="series")
    phase = models.CharField(max_length=12)
    step = models.PositiveSmallIntegerField(default=0)
    pattern = models.JSONField(help_text="clinical.scheduling_series.SeriesPattern as booked.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")


class Booking(models.Model):
    """What scheduling records about an appointment beyond the appointment itself."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, primary_key=True, related_name="booking"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    nurse_minutes = models.PositiveIntegerField(default=0)
    prescriber = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField()
    booked_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    late_cancel = models.BooleanField(default=False)
    no_show_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)


class PatientPreferences(models.Model):
    """When the patient likes to come and how they want reminders."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="scheduling_preferences"
    )
    weekdays = models.JSONField(default=list, blank=True, help_text="Empty: any day.")
    earliest = models.TimeField(null=True, blank=True)
    latest_start = models.TimeField(null=True, blank=True)
    email_reminders = models.BooleanField(default=True)
    sms_reminders = models.BooleanField(
        default=False, help_text="Only with the patient's consent to text messages."
    )
    updated_at = models.DateTimeField()


class ChangeRequest(models.Model):
    """A patient's request to change an appointment (from the portal or a reminder)."""

    class Source(models.TextChoices):
        PORTAL = "portal", "Portal"
        REMINDER = "reminder", "Reminder link"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="change_requests"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]


class WaitlistEntry(models.Model):
    """A patient waiting for a first series or an earlier slot, in priority order."""

    class Wants(models.TextChoices):
        FIRST_SERIES = "first_series", "A first series"
        EARLIER = "earlier", "An earlier slot"

    class Priority(models.IntegerChoices):
        ROUTINE = 0, "Routine"
        SOON = 1, "Soon"
        URGENT = 2, "Urgent (clinical)"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offer sent"
        BOOKED = "booked", "Booked"
        REMOVED = "removed", "Removed"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist")
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="+")
    wants = models.CharField(max_length=14, choices=Wants.choices)
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For an earlier slot: the appointment to bring forward.",
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=0)
    priority_reason = models.CharField(max_length=300, blank=True)
    prioritised_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_before = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-priority", "created_at", "pk"]
        indexes = [models.Index(fields=["clinic", "status", "priority"])]


class WaitlistOffer(models.Model):
    """A freed slot (or a whole series starting in it) offered to one waiting patient by a
    one-time link that expires. Only the token's SHA-256 is stored."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        GONE = "gone", "Slot taken meanwhile"

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    slots = models.JSONField(help_text="[{start, end, chair_id, nurse_id, prescriber_id}]")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    sent_to = models.EmailField()

    class Meta:
        ordering = ["-created_at"]


class ReminderLink(models.Model):
    """The one-time link in a reminder: the patient confirms or asks to reschedule."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=12, blank=True)


class OutboundMessage(models.Model):
    """Every reminder and offer sent (e-mail or SMS): the clinic's outbox. ``key`` makes a
    repeated run send nothing twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField()
    provider_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["clinic", "sent_at"])]


class CalendarFeed(models.Model):
    """A staff member's private iCalendar feed: the token is in the URL, only its SHA-256 here."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
