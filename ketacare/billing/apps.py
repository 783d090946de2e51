from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Fees, charges from signed sessions, the sliding scale, payments, statements, superbills
    and esketamine prior authorisation."""

    name = "ketacare.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from ketacare.billing.services.charges import charges_from_signed_session
        from ketacare.core.events import subscribe
        from ketacare.sessions.events import SESSION_SIGNED

        subscribe(SESSION_SIGNED, charges_from_signed_session)
