from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "ketacare.assessments"
    label = "assessments"
    verbose_name = "Measurement-based care"
