from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ketacare.alerts"
    label = "alerts"
    verbose_name = "Clinical alerts"

    def dashboard_pinned(self, request):
        from ketacare.alerts.panels import dashboard_pinned

        return dashboard_pinned(request)
