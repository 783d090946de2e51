from django.apps import AppConfig

from ketacare.core.roles import Capability


class TreatmentSessionsConfig(AppConfig):
    # "sessions" is taken by django.contrib.sessions.
    name = "ketacare.sessions"
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"

    nav = [
        ("Today", "sessions:board", Capability.SESSION_DOCUMENT),
        ("REMS forms", "sessions:rems_due", Capability.REMS_VIEW),
    ]

    def ready(self):
        from ketacare.scheduling.ports import provide_monitoring_protocol
        from ketacare.sessions.protocol import protocol_for, register_monitoring_settings

        register_monitoring_settings()
        # Scheduling sizes a session's chair time with the observation time applied here.
        provide_monitoring_protocol(protocol_for)

    def panels_module(self):
        from ketacare.sessions import panels

        return panels
