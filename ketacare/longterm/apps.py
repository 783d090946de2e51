from django.apps import AppConfig


class LongtermConfig(AppConfig):
    """Long-term safety across the whole course: cumulative exposure, urinary symptoms,
    cognition, liver tests, misuse and dependence signals, continuation reviews."""

    name = "ketacare.longterm"
    label = "longterm"
    verbose_name = "Long-term safety"
    url_prefix = "longterm/"
    # GET /api/v1/patients/{id}/long-term-safety sits beside the patient's other resources.
    api_prefix = "/patients"

    def ready(self) -> None:
        from ketacare.clinic_settings.registry import register
        from ketacare.clinical.longterm import SECTION, SETTING_KINDS, SETTINGS
        from ketacare.longterm import handlers

        register(
            SECTION,
            "Long-term safety",
            SETTINGS,
            description="Review limits for cumulative exposure, the urinary symptom checklist "
            "and its interval, the clinic's cognitive screen, liver tests and the continuation "
            "review interval. The reference gives no number for any of them (§6.2): each prompt "
            "stays off, shown as not configured, until its value is set.",
            kinds=SETTING_KINDS,
        )
        handlers.connect()

    def panels_module(self):
        from ketacare.longterm import panels

        return panels
