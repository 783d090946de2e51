from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "ketacare.patients"
    label = "patients"
    verbose_name = "Patient registry and intake"

    def portal_panel(self, request, patient):
        from ketacare.patients.panels import portal_panel

        return portal_panel(request, patient)
