from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "ketacare.treatment"
    label = "treatment"
    verbose_name = "Eligibility, consent and treatment plans"
