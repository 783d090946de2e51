from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ketacare.alerts"
    label = "alerts"
    verbose_name = "Clinical alerts"

    def panels_module(self):
        from ketacare.alerts import panels

        return panels
