from django.apps import AppConfig

from ketacare.core.roles import Capability


class AssessmentsConfig(AppConfig):
    name = "ketacare.assessments"
    label = "assessments"
    verbose_name = "Measurement-based care"

    nav = [
        ("Questionnaires", "assessments:due", Capability.ASSESSMENT_VIEW),
        ("Alerts", "alerts:list", Capability.ALERT_VIEW),
    ]

    def ready(self) -> None:
        from ketacare.assessments.protocol import register_measurement_settings

        register_measurement_settings()

    def panels_module(self):
        from ketacare.assessments import panels

        return panels
