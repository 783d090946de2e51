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

    def chart_panel(self, request, patient):
        from ketacare.assessments.panels import chart_panel

        return chart_panel(request, patient)

    def portal_panel(self, request, patient):
        from ketacare.assessments.panels import portal_panel

        return portal_panel(request, patient)

    def dashboard_panel(self, request):
        from ketacare.assessments.panels import dashboard_panel

        return dashboard_panel(request)
