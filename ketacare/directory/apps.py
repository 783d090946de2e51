from django.apps import AppConfig

from ketacare.core.roles import Capability


class DirectoryConfig(AppConfig):
    """The public directory of verified ketamine clinics, searched by distance and services."""

    name = "ketacare.directory"
    label = "directory"
    verbose_name = "Find a provider"
    url_prefix = "find/"
    api_prefix = "/directory"

    def ready(self) -> None:
        from django.conf import settings

        if settings.PRODUCTION:
            # The ZIP table takes about a second to read: read it before the first search does.
            import threading

            from ketacare.directory import geo

            threading.Thread(target=geo.warm, name="zip-centroids", daemon=True).start()

    nav = [
        ("Directory listing", "directory:manage", Capability.CLINIC_MANAGE),
        ("Consultation requests", "directory:leads", Capability.PATIENT_REGISTER),
    ]
