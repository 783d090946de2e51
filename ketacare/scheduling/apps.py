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
        from ketacare.scheduling import signals

        register(
            SECTION,
            "Scheduling",
            SETTINGS,
            description="Chair and nurse time per route where the clinical reference is silent, "
            "nurse capacity, reminders, late cancellation and waitlist offers.",
            kinds=SETTING_KINDS,
        )
        signals.connect()
