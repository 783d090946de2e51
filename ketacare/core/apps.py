from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ketacare.core"
    label = "core"
    verbose_name = "Clinics, people and roles"

    def ready(self) -> None:
        from ketacare.core import checks  # noqa: F401  (registers system checks)
