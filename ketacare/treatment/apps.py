from django.apps import AppConfig

from ketacare.core.roles import Capability


class TreatmentConfig(AppConfig):
    name = "ketacare.treatment"
    label = "treatment"
    verbose_name = "Eligibility, consent and treatment plans"
    nav = [
        ("Protocol", "treatment:protocol", Capability.PROTOCOL_VIEW),
        ("Consent forms", "treatment:consents", Capability.CONSENT_MANAGE),
    ]

    def ready(self):
        from ketacare.assessments.treatments import provide_treatment_times
        from ketacare.treatment.selectors import (
            treatment_datetimes,
            treatment_datetimes_by_patient,
        )

        # The measurement schedule reads treatment times through its port, never this app.
        provide_treatment_times(each=treatment_datetimes, many=treatment_datetimes_by_patient)
        from ketacare.treatment import signals

        signals.connect()

    def chart_panel(self, request, patient):
        from ketacare.treatment.panels import chart_panel

        return chart_panel(request, patient)

    def portal_panel(self, request, patient):
        from ketacare.treatment.panels import portal_panel

        return portal_panel(request, patient)

    def dashboard_panel(self, request):
        from ketacare.treatment.panels import dashboard_panel

        return dashboard_panel(request)
