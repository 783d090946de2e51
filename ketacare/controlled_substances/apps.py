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

    def panels_module(self):
        from ketacare.controlled_substances import panels

        return panels
