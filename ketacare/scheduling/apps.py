from django.apps import AppConfig

from ketacare.core.roles import Capability


class SchedulingConfig(AppConfig):
    """Chairs, rooms and staff on one calendar; series booked in one step; waitlist, reminders,
    the patient's calendar and staff feeds."""

    name = "ketacare.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
    nav = [
        ("Calendar", "scheduling:calendar", Capability.SCHEDULE_VIEW),
        ("Waitlist", "scheduling:waitlist", Capability.APPOINTMENT_BOOK),
    ]

    def ready(self) -> None:
        from ketacare.clinic_settings.registry import register
        from ketacare.clinical.scheduling_needs import SECTION, SETTING_KINDS, SETTINGS
        from ketacare.core.events import subscribe
        from ketacare.scheduling import events, signals
        from ketacare.scheduling.waitlist import offer_freed_slot_later

        register(
            SECTION,
            "Scheduling",
            SETTINGS,
            description="Chair and nurse time per route where the clinical reference is silent, "
            "nurse capacity, reminders, late cancellation and waitlist offers.",
            kinds=SETTING_KINDS,
        )
        signals.connect()
        # A freed slot goes to the waitlist once the change has committed.
        subscribe(events.APPOINTMENT_CANCELLED, offer_freed_slot_later)
        subscribe(events.APPOINTMENT_MOVED, offer_freed_slot_later)

    def directory_facts(self, clinic_ids, *, at, next_available_for=()):
        """The directory's next free new-patient consultation (core/panels.py)."""
        if not next_available_for:
            return None
        from ketacare.scheduling.public import next_consultations

        found = next_consultations(next_available_for, at=at)
        return {clinic_id: {"next_available": start} for clinic_id, start in found.items()}

    def panels_module(self):
        from ketacare.scheduling import panels

        return panels
