from django.apps import AppConfig

from ketacare.core.roles import Capability


class ControlledSubstancesConfig(AppConfig):
    """The Schedule III ledger: every unit received, drawn up, given, wasted, moved or lost; counts,
    inventories, DEA reports. Drawing up a dose starts the session's dosing in the same step."""

    name = "ketacare.controlled_substances"
    label = "controlled_substances"
    verbose_name = "Controlled substances"
    url_prefix = "controlled-substances/"
    api_prefix = "/controlled-substances"
    nav = [("Controlled substances", "controlled_substances:safe", Capability.CONTROLLED_VIEW)]

    def ready(self) -> None:
        from ketacare.clinic_settings.registry import register
        from ketacare.clinical.controlled_substances import SECTION, SETTING_KINDS, SETTINGS
        from ketacare.controlled_substances import handlers

        register(
            SECTION,
            "Controlled substances",
            SETTINGS,
            description="Witnesses, count tolerance, reminders and retention of the Schedule III "
            "ledger (reference §8).",
            kinds=SETTING_KINDS,
        )
        handlers.connect()

    def session_panel(self, request, session):
        from ketacare.controlled_substances.panels import session_panel

        return session_panel(request, session)

    def dosing_start_panel(self, request, session):
        from ketacare.controlled_substances.panels import dosing_start_panel

        return dosing_start_panel(request, session)

    def waste_prompt(self, request, session):
        from ketacare.controlled_substances.panels import waste_prompt

        return waste_prompt(request, session)

    def dashboard_panel(self, request):
        from ketacare.controlled_substances.panels import dashboard_panel

        return dashboard_panel(request)
