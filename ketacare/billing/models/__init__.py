"""The billing app's tables, one module per idea (set-up, account, charges, authorisations)."""

from ketacare.billing.models.account import (
    Account,
    LedgerEntry,
    PackagePurchase,
    Payment,
    Refund,
    SlidingScaleAssessment,
)
from ketacare.billing.models.authorisations import AuthorisationEvent, PriorAuthorisation
from ketacare.billing.models.charges import Charge, ChargeLine
from ketacare.billing.models.setup import (
    SERVICE_LABELS,
    BillingProfile,
    FeeScheduleItem,
    Package,
    SlidingScalePolicy,
)

__all__ = [
    "SERVICE_LABELS",
    "Account",
    "AuthorisationEvent",
    "BillingProfile",
    "Charge",
    "ChargeLine",
    "FeeScheduleItem",
    "LedgerEntry",
    "Package",
    "PackagePurchase",
    "Payment",
    "PriorAuthorisation",
    "Refund",
    "SlidingScaleAssessment",
    "SlidingScalePolicy",
]
