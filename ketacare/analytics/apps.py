from django.apps import AppConfig

from ketacare.core.roles import Capability


class AnalyticsConfig(AppConfig):
    """Cohort outcomes for a clinic and a network, and the de-identified research export."""

    name = "ketacare.analytics"
    label = "analytics"
    verbose_name = "Outcomes analytics"

    nav = [("Outcomes", "analytics:dashboard", Capability.ANALYTICS_VIEW)]
