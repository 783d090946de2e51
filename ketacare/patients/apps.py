from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "ketacare.patients"
    label = "patients"
    verbose_name = "Patient registry and intake"

    def panels_module(self):
        from ketacare.patients import panels

        return panels
