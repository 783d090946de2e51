"""Sub-routers of /api/v1/scheduling: the waitlist (``/waitlist``) and the clinic's resources
(``/resources``); the outbox, feeds and patient preferences are small operations here too."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Router, Schema, Status

from ketacare.core.actions import action, audit_list_read
from ketacare.core.errors import NotFound
from ketacare.core.links import public_url
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, CreatedOut, RecordOut, created
from ketacare.patients.selectors import patient_get
from ketacare.scheduling import feeds, resources, selectors, waitlist
from ketacare.scheduling.models import CalendarFeed, OutboundMessage, WaitlistEntry

waitlist_router = Router(tags=["scheduling"])
resources_router = Router(tags=["scheduling"])
more_router = Router(tags=["scheduling"])


class WaitlistIn(Schema):
    course_id: int
    wants: Literal["first_series", "earlier"]
    appointment_id: int | None = None
    not_before: dt.date | None = None
    priority: int = Field(0, ge=0, le=2, description="0 routine, 1 soon, 2 urgent (clinical)")
    priority_reason: str = Field("", max_length=300)
    note: str = Field("", max_length=300)


class PriorityIn(Schema):
    priority: int = Field(..., ge=0, le=2)
    reason: str = Field("", max_length=300)


class WaitlistOut(RecordOut):
    id: int
    patient_id: int
    course_id: int
    wants: str
    appointment_id: int | None
    priority: int
    priority_reason: str
    status: str
    created_at: dt.datetime

    @classmethod
    def of(cls, entry: WaitlistEntry) -> WaitlistOut:
        return cls.of_record(entry)


@waitlist_router.get("", response={200: list[WaitlistOut], **ERRORS}, summary="Who is waiting")
def waitlist_list(request):
    act = action(request, Capability.APPOINTMENT_BOOK)
    rows = list(WaitlistEntry.objects.filter(clinic=act.clinic, status__in=waitlist.OPEN))
    audit_list_read(
        act, object_type="waitlist", summary="Listed the waitlist through the API", rows=rows
    )
    return [WaitlistOut.of(e) for e in rows]


@waitlist_router.post("", response={201: WaitlistOut, **ERRORS}, summary="Join the waitlist")
def waitlist_join(request, payload: WaitlistIn):
    act = action(request, Capability.APPOINTMENT_BOOK)
    appointment = (
        selectors.appointment_get(act.access, payload.appointment_id)
        if payload.appointment_id
        else None
    )
    entry = waitlist.waitlist_add(
        course=selectors.course_get(act.access, payload.course_id),
        wants=payload.wants,
        appointment=appointment,
        not_before=payload.not_before,
        priority=payload.priority,
        priority_reason=payload.priority_reason,
        note=payload.note,
        actor=act.actor,
        **act.stamp,
    )
    return Status(201, WaitlistOut.of(entry))


@waitlist_router.post(
    "/{entry_id}/priority",
    response={200: WaitlistOut, **ERRORS},
    summary="Set clinical priority (urgent: prescribers and medical directors)",
)
def waitlist_priority(request, entry_id: int, payload: PriorityIn):
    act = action(request, Capability.APPOINTMENT_BOOK)
    entry = waitlist.waitlist_prioritise(
        entry=selectors.waitlist_entry_get(act.access, entry_id),
        priority=payload.priority,
        reason=payload.reason,
        actor=act.actor,
        **act.stamp,
    )
    return WaitlistOut.of(entry)


@waitlist_router.delete(
    "/{entry_id}", response={200: WaitlistOut, **ERRORS}, summary="Leave the waitlist"
)
def waitlist_leave(request, entry_id: int):
    act = action(request, Capability.APPOINTMENT_BOOK)
    entry = waitlist.waitlist_remove(
        entry=selectors.waitlist_entry_get(act.access, entry_id),
        reason="removed through the API",
        **act.stamp,
    )
    return WaitlistOut.of(entry)


# --- resources ---------------------------------------------------------------------------------

# [opens, closes] pairs as lists of two (OpenAPI-friendly; a tuple becomes prefixItems)
Hours = list[Annotated[list[dt.time], Field(min_length=2, max_length=2)]]


class HoursIn(Schema):
    hours: Hours = Field(default_factory=list, description="[[opens, closes], ...]; [] closed")


class ChairSetupIn(Schema):
    capabilities: list[Literal["iv_pump", "esketamine_observation"]]


class ClosureIn(Schema):
    starts_on: dt.date
    ends_on: dt.date
    reason: str = Field(..., min_length=1, max_length=200)


class SpanIn(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str = Field("", max_length=200)


class ResourcesOut(Schema):
    opening_hours: dict[int, Hours]
    chairs: list[dict]
    closures: list[dict]


def _aware(value: dt.datetime, zone) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _span(act, payload: SpanIn) -> dict:
    """A span (naive times read in the clinic's zone) and its reason, as the services take it."""
    zone = act.clinic.zone
    starts_at, ends_at = _aware(payload.starts_at, zone), _aware(payload.ends_at, zone)
    return {"starts_at": starts_at, "ends_at": ends_at, "reason": payload.reason}


@resources_router.get(
    "", response={200: ResourcesOut, **ERRORS}, summary="Opening hours, chairs, closures"
)
def resources_get(request):
    act = action(request, Capability.SCHEDULE_VIEW)
    clinic = act.clinic
    today = act.at.astimezone(clinic.zone).date()
    return ResourcesOut(
        opening_hours=selectors.opening_hours(clinic),
        chairs=[
            {"id": c.pk, "name": c.name, "capabilities": sorted(selectors.chair_capabilities(c))}
            for c in selectors.active_chairs(clinic)
        ],
        closures=[
            {"starts_on": d, "reason": r}
            for d, r in selectors.closures_between(
                clinic, today, today + dt.timedelta(days=366)
            ).items()
        ],
    )


@resources_router.put(
    "/opening-hours/{weekday}", response={200: HoursIn, **ERRORS}, summary="A weekday's hours"
)
def opening_hours_put(request, weekday: int, payload: HoursIn):
    act = action(request, Capability.CLINIC_MANAGE)
    rows = resources.opening_hours_set(
        clinic=act.clinic, weekday=weekday, hours=payload.hours, **act.stamp
    )
    return HoursIn(hours=[(r.opens, r.closes) for r in rows])


@resources_router.put(
    "/chairs/{chair_id}", response={200: ChairSetupIn, **ERRORS}, summary="What a chair can take"
)
def chair_put(request, chair_id: int, payload: ChairSetupIn):
    act = action(request, Capability.CLINIC_MANAGE)
    setup = resources.chair_capabilities_set(
        chair=selectors.chair_get(act.access, chair_id),
        capabilities=payload.capabilities,
        **act.stamp,
    )
    return ChairSetupIn(capabilities=setup.capabilities)


@resources_router.post(
    "/closures", response={201: CreatedOut, **ERRORS}, summary="Close the clinic"
)
def closure_post(request, payload: ClosureIn):
    act = action(request, Capability.CLINIC_MANAGE)
    closure = resources.closure_add(clinic=act.clinic, **payload.model_dump(), **act.stamp)
    return created(closure)


@resources_router.put(
    "/staff/{user_id}/hours/{weekday}",
    response={200: HoursIn, **ERRORS},
    summary="A staff member's working hours on a weekday",
)
def staff_hours_put(request, user_id: int, weekday: int, payload: HoursIn):
    act = action(request, Capability.CLINIC_MANAGE)
    rows = resources.staff_hours_set(
        clinic=act.clinic, user_id=user_id, weekday=weekday, hours=payload.hours, **act.stamp
    )
    return HoursIn(hours=[(r.starts, r.ends) for r in rows])


@resources_router.post(
    "/staff/{user_id}/time-off", response={201: CreatedOut, **ERRORS}, summary="Time off"
)
def time_off_post(request, user_id: int, payload: SpanIn):
    act = action(request, Capability.CLINIC_MANAGE)
    off = resources.time_off_add(
        clinic=act.clinic, user_id=user_id, **_span(act, payload), **act.stamp
    )
    return created(off)


@resources_router.post(
    "/chairs/{chair_id}/blocks", response={201: CreatedOut, **ERRORS}, summary="Block a chair"
)
def chair_block_post(request, chair_id: int, payload: SpanIn):
    act = action(request, Capability.CLINIC_MANAGE)
    chair = selectors.chair_get(act.access, chair_id)
    block = resources.chair_block_add(chair=chair, **_span(act, payload), **act.stamp)
    return created(block)


# --- outbox, feeds, preferences ----------------------------------------------------------------


class MessageOut(Schema):
    id: int
    patient_id: int
    appointment_id: int | None
    kind: str
    channel: str
    to: str
    subject: str
    body: str
    sent_at: dt.datetime


@more_router.get(
    "/outbox", response={200: list[MessageOut], **ERRORS}, summary="Reminders and offers sent"
)
def outbox(request, limit: int = 100):
    act = action(request, Capability.APPOINTMENT_BOOK)
    rows = list(OutboundMessage.objects.filter(clinic=act.clinic)[: max(1, min(limit, 500))])
    audit_list_read(
        act, object_type="outbox", summary="Listed the outbox through the API", rows=rows
    )
    return [
        MessageOut(
            id=m.pk,
            patient_id=m.patient_id,
            appointment_id=m.appointment_id,
            kind=m.kind,
            channel=m.channel,
            to=m.to,
            subject=m.subject,
            body=m.body,
            sent_at=m.sent_at,
        )
        for m in rows
    ]


class FeedOut(Schema):
    id: int
    url: str = Field("", description="Only when created: the private address, shown once.")
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


@more_router.post("/feeds", response={201: FeedOut, **ERRORS}, summary="My private feed")
def feed_post(request):
    act = action(request, Capability.SCHEDULE_VIEW)
    feed, token = feeds.feed_create(user=act.access.user, clinic=act.clinic, **act.stamp)
    url = public_url(f"/scheduling/feeds/{token}.ics")
    return Status(201, FeedOut(id=feed.pk, url=url, created_at=feed.created_at))


@more_router.delete("/feeds/{feed_id}", response={200: FeedOut, **ERRORS}, summary="Revoke")
def feed_delete(request, feed_id: int):
    act = action(request, Capability.SCHEDULE_VIEW)
    feed = CalendarFeed.objects.filter(pk=feed_id, user=act.access.user, clinic=act.clinic).first()
    if feed is None:
        raise NotFound("No such feed of yours at this clinic.")
    feed = feeds.feed_revoke(feed=feed, **act.stamp)
    return FeedOut(id=feed.pk, created_at=feed.created_at, revoked_at=feed.revoked_at)


class PreferencesIO(Schema):
    weekdays: list[int] = Field(default_factory=list)
    earliest: dt.time | None = None
    latest_start: dt.time | None = None
    email_reminders: bool = True
    sms_reminders: bool = False


@more_router.put(
    "/patients/{patient_id}/preferences",
    response={200: PreferencesIO, **ERRORS},
    summary="The patient's days, times and reminder channels",
)
def preferences_put(request, patient_id: int, payload: PreferencesIO):
    act = action(request, Capability.APPOINTMENT_BOOK)
    prefs = resources.preferences_set(
        patient=patient_get(act.access, patient_id), **payload.model_dump(), **act.stamp
    )
    return PreferencesIO(
        weekdays=prefs.weekdays,
        earliest=prefs.earliest,
        latest_start=prefs.latest_start,
        email_reminders=prefs.email_reminders,
        sms_reminders=prefs.sms_reminders,
    )
