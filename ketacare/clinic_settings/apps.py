from django.apps import AppConfig

from ketacare.core.roles import Capability


class ClinicSettingsConfig(AppConfig):
    """One registry of every clinic protocol setting, one table of a clinic's values, one page."""

    name = "ketacare.clinic_settings"
    label = "clinic_settings"
    verbose_name = "Clinic protocol settings"
    url_prefix = "clinic/protocol/"
    api_prefix = "/clinic-settings"

    nav = [("Protocol settings", "clinic_settings:page", Capability.PROTOCOL_VIEW)]
