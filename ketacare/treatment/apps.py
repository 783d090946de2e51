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
        from ketacare.treatment.protocol import register_protocol_settings

        signals.connect()
        register_protocol_settings()

    def panels_module(self):
        from ketacare.treatment import panels

        return panels
