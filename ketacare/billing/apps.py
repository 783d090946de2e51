from django.apps import AppConfig

from ketacare.core.roles import Capability


class BillingConfig(AppConfig):
    """Fees, charges from signed sessions, the sliding scale, payments, statements, superbills
    and esketamine prior authorisation."""

    name = "ketacare.billing"
    label = "billing"
    verbose_name = "Billing"
    nav = [("Billing", "billing:home", Capability.BILLING_VIEW)]

    def ready(self) -> None:
        from ketacare.billing.services.charges import charges_from_signed_session
        from ketacare.core.events import subscribe
        from ketacare.sessions.events import SESSION_SIGNED

        subscribe(SESSION_SIGNED, charges_from_signed_session)

    def directory_facts(self, clinic_ids, *, at, next_available_for=()):
        """The directory's prices from the fee schedule (core/panels.py)."""
        from ketacare.billing.public import public_prices

        return {
            clinic_id: {"price_ranges": list(p.ranges), "sliding_scale": p.sliding_scale}
            for clinic_id, p in public_prices(clinic_ids).items()
        }

    def panels_module(self):
        from ketacare.billing import panels

        return panels
