from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    # "sessions" is taken by django.contrib.sessions.
    name = "ketacare.sessions"
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"
