from django.apps import AppConfig


class PkConfig(AppConfig):
    """Predicted plasma curves of planned and delivered IV ketamine (decision support only)."""

    name = "ketacare.pk"
    label = "pk"
    verbose_name = "Pharmacokinetic decision support"

    def order_panel(self, request, order):
        from ketacare.pk.views import order_panel

        return order_panel(request, order)

    def session_panel(self, request, session):
        from ketacare.pk.views import session_panel

        return session_panel(request, session)
